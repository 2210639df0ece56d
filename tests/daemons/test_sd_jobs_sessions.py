"""Job sessions on the Storage daemon: keys, TLS-PSK, failures, cancel, status, errors."""

from __future__ import annotations

import functools
from collections.abc import MutableMapping, Sequence
from pathlib import Path
from typing import Any

import pytest
import structlog
import trio

from bareosnet.errors import BareosError
from bareosnet.proto.framing import SignalFrame
from bareosnet.proto.jobcmds import JobStatus
from bareosnet.proto.session_key import make_session_key
from bareosnet.proto.signals import Signal
from bareosnet.proto.streams import DataHeader, Stream
from daemons.storage.devices import EOS_LABEL, SessionLabel
from daemons.storage.volume import VolumeReader
from tests.daemons.conftest import Bare, write_config
from tests.daemons.test_sd_jobs_helpers import (
    FakeDirector,
    Record,
    Sd,
    announce,
    connect_director,
    fd_backup,
    fd_connect,
    run_backup,
    run_restore,
    running_sd,
    sd_config,
    send_records,
    use_storage,
)
from tests.support.daemons import DaemonProcess, free_port

JOB = "backup-lab.2026-11-27_03.00.00_01"
OTHER = "backup-lab.2026-11-27_03.00.01_02"
RESTORE = "RestoreFiles.2026-11-27_03.10.00_03"
SMALL = [
    Record(1, Stream.UNIX_ATTRIBUTES, b"1 3 /srv/a.txt\x00P4A A IGk B A A A x BAA I A A A A A C\x00\x00\x000\x00"),
    Record(1, Stream.FILE_DATA, b"alpha\n" * 1000),
    Record(2, Stream.UNIX_ATTRIBUTES, b"2 3 /srv/b.txt\x00P4A A IGk B A A A x BAA I A A A A A C\x00\x00\x000\x00"),
    Record(2, Stream.FILE_DATA, b"beta\n" * 1000),
]  # fmt: skip


def events(logs: Sequence[MutableMapping[str, Any]], name: str) -> list[MutableMapping[str, Any]]:
    return [e for e in logs if e.get("event") == name]


async def _refused(coro: Any) -> None:
    with pytest.raises(BareosError):
        stream = await coro
        await stream.receive(timeout=5)  # pragma: no cover - the connect itself fails


async def test_tls_psk_data_connection(tmp_path: Path) -> None:
    """ssl=4: the FD connects TLS first with identity R_JOB 0x1E job and the key as PSK."""
    with structlog.testing.capture_logs() as logs:
        async with running_sd(sd_config(tmp_path, tls=True)) as sd:
            run = await run_backup(sd, FakeDirector(), 1, JOB, SMALL, tls=True)
    assert run.outcome.end is not None and run.outcome.end.status == JobStatus.TERMINATED
    data = [e for e in events(logs, "handshake.ok")
            if e["connection"] == "6" and e["side"] == "acceptor"]  # fmt: skip
    assert len(data) == 1
    assert data[0]["psk_identity"] == f"R_JOB\\x1e{JOB}" and data[0]["psk_used"] is True
    assert data[0]["tls_version"] == "TLSv1.3" and data[0]["peer"] == JOB
    # The session key never appears in any log line.
    assert not any(run.ok.authorization in repr(e) for e in logs)


async def test_keys_are_bound_to_one_job_and_one_connection(tmp_path: Path) -> None:
    with structlog.testing.capture_logs() as logs:
        async with running_sd(sd_config(tmp_path)) as sd:
            d = await connect_director(sd.port)
            ok = await announce(d, 1, JOB)
            d2 = await connect_director(sd.port)
            other = await announce(d2, 2, OTHER)
            # A wrong key, and the other job's key, are refused.
            await _refused(fd_connect(sd.port, JOB, make_session_key()))
            await _refused(fd_connect(sd.port, JOB, other.authorization))
            # The right key works once; a second Hello Start Job for the job is refused.
            fd = await fd_connect(sd.port, JOB, ok.authorization)
            await _refused(fd_connect(sd.port, JOB, ok.authorization))
            assert (await use_storage(d, append=True))[-1].startswith(b"3000 OK use device")
            await d.send(b"run")
            director = FakeDirector()
            async with trio.open_nursery() as nursery:
                result: dict[str, Any] = {}

                async def drive() -> None:
                    result["out"] = await director.drive(d)

                nursery.start_soon(drive)
                await fd_backup(fd, SMALL)
            assert result["out"].end.status == JobStatus.TERMINATED
            # The job ended: its key is revoked, a replay finds no job.
            assert sd.daemon.jobs.key(JOB) is None and JOB not in sd.daemon.active_jobs
            await _refused(fd_connect(sd.port, JOB, ok.authorization))
            # The other job's Director leaves before "run": its key is revoked too.
            await d2.aclose()
            with trio.fail_after(5):
                while sd.daemon.jobs.key(OTHER) is not None:
                    await trio.sleep(0.01)
            await _refused(fd_connect(sd.port, OTHER, other.authorization))
    failed = [e for e in events(logs, "handshake.failed") if e["side"] == "acceptor"]
    causes = [e["cause"] for e in failed]
    assert causes.count("replay") == 1 and causes.count("unknown-name") == 2
    assert len(causes) == 5
    replay = next(e for e in failed if e["cause"] == "replay")
    assert "already authenticated" in replay["error"]
    for key in (ok.authorization, other.authorization):
        assert not any(key in repr(e) for e in logs)


async def test_file_daemon_vanishes_mid_stream(tmp_path: Path) -> None:
    """3099 with JobStatus 102, a fatal message, the session marked failed; no restore of it."""
    director = FakeDirector()
    async with running_sd(sd_config(tmp_path)) as sd:
        d = await connect_director(sd.port)
        ok = await announce(d, 5, JOB)
        await use_storage(d, append=True)
        fd = await fd_connect(sd.port, JOB, ok.authorization)
        await d.send(b"run")
        result: dict[str, Any] = {}
        with trio.fail_after(15):
            async with trio.open_nursery() as nursery:

                async def drive() -> None:
                    result["out"] = await director.drive(d)

                nursery.start_soon(drive)
                await fd.send(b"append open session\n")
                await fd.receive_packet()
                await fd.send(b"append data 1\n")
                assert await fd.receive_packet() == b"3000 OK data\n"
                await fd.send(DataHeader(1, Stream.UNIX_ATTRIBUTES).encode())
                await fd.send(SMALL[0].data)
                await fd.send_signal(Signal.EOD)
                await fd.send(DataHeader(1, Stream.FILE_DATA).encode())
                await fd.send(b"x" * 70000)
                await trio.sleep(0.2)
                await trio.aclose_forcefully(fd.stream)  # gone, no goodbye
        out = result["out"]
        assert out.end is not None and out.end.status == JobStatus.FATAL_ERROR
        assert out.end.job_errors == 1 and out.end.job_bytes == len(SMALL[0].data) + 70000
        assert any("Network error reading from FD" in j and " type=3 " in j for j in out.jmsgs)
        assert out.statuses[-1] == ord("f")
        assert not out.attributes  # a failed session's files are not cataloged
        with VolumeReader(tmp_path / "Full-0001") as reader:
            labels = [r for r in reader.payloads() if r.file_index == EOS_LABEL]
        eos = SessionLabel.decode(labels[-1].payload)
        assert eos is not None and eos.status == "f"
        assert JOB not in sd.daemon.active_jobs
        assert sd.daemon.recent.last is not None and sd.daemon.recent.last.status == "f"
        # Restoring that session is refused, not silently partial.
        restored = await run_restore(sd, director, 6, RESTORE, director.bootstrap(ok))
    assert restored.restore.records == []
    assert restored.outcome.end is not None
    assert restored.outcome.end.status == JobStatus.FATAL_ERROR
    assert any("is incomplete" in j for j in restored.outcome.jmsgs)


async def test_director_vanishes_during_the_data_stream(tmp_path: Path) -> None:
    async with running_sd(sd_config(tmp_path)) as sd:
        d = await connect_director(sd.port)
        ok = await announce(d, 7, JOB)
        await use_storage(d, append=True)
        fd = await fd_connect(sd.port, JOB, ok.authorization)
        await d.send(b"run")
        director = FakeDirector()
        with trio.fail_after(15):
            async with trio.open_nursery() as nursery:

                async def drive_then_vanish() -> None:
                    # Answer the catalog until the job writes, then leave without a word.
                    while not director.jobmedia:
                        frame = await d.receive()
                        if not isinstance(frame, SignalFrame):
                            reply = director.answer(frame.payload)
                            if reply is not None:
                                await d.send(reply)
                    await trio.sleep(0.2)
                    await trio.aclose_forcefully(d.stream)

                nursery.start_soon(drive_then_vanish)
                await fd.send(b"append open session\n")
                await fd.receive_packet()
                await fd.send(b"append data 1\n")
                await fd.receive_packet()
                await fd.send(DataHeader(1, Stream.UNIX_ATTRIBUTES).encode())
                await fd.send(SMALL[0].data)
                # The SD hangs up on the FD: BNET_TERMINATE or EOF, no hang.
                while True:
                    try:
                        frame = await fd.receive(timeout=10)
                    except BareosError:
                        break
                    if isinstance(frame, SignalFrame) and frame.signal is Signal.TERMINATE:
                        break
        with trio.fail_after(5):
            while JOB in sd.daemon.active_jobs:
                await trio.sleep(0.01)
        assert sd.daemon.jobs.key(JOB) is None
        assert sd.daemon.recent.last is not None and sd.daemon.recent.last.status == "A"
        with VolumeReader(tmp_path / "Full-0001") as reader:
            eos = [r for r in reader.payloads() if r.file_index == EOS_LABEL]
        assert SessionLabel.decode(eos[-1].payload).status == "A"  # type: ignore[union-attr]


async def test_cancel_while_waiting_for_the_file_daemon(tmp_path: Path) -> None:
    async with running_sd(sd_config(tmp_path)) as sd:
        d = await connect_director(sd.port)
        await announce(d, 8, JOB)
        await use_storage(d, append=True)
        await d.send(b"run")
        assert await d.receive_packet() == f"Status Job={JOB} JobStatus=70\n".encode()
        c = await connect_director(sd.port)
        await c.send(f"cancel Job={JOB}\n")
        assert await c.receive_packet() == f'3000 JobId=8 Job="{JOB}" marked to be canceled.\n'.encode()
        assert await c.receive() == SignalFrame(Signal.EOD)
        out = await FakeDirector().drive(d, timeout=5)
        assert out.end is not None and out.end.status == JobStatus.CANCELED
        assert [s for s in out.signals] == [Signal.EOD]
        rest = [await d.receive(timeout=5) for _ in range(3)]
        assert rest == [SignalFrame(Signal.TERMINATE), SignalFrame(Signal.EOD),
                        SignalFrame(Signal.TERMINATE)]  # fmt: skip


async def test_file_daemon_never_connects(tmp_path: Path) -> None:
    async with running_sd(sd_config(tmp_path), client_connect_wait=0.3) as sd:
        d = await connect_director(sd.port)
        ok = await announce(d, 9, JOB)
        await use_storage(d, append=True)
        await d.send(b"run")
        with trio.fail_after(5):
            out = await FakeDirector().drive(d)
        assert out.end is not None and out.end.status == JobStatus.FATAL_ERROR
        assert any("File daemon did not connect" in j for j in out.jmsgs)
        await _refused(fd_connect(sd.port, JOB, ok.authorization))


async def test_status_shows_the_running_job_and_its_device(tmp_path: Path) -> None:
    director = FakeDirector()
    async with running_sd(sd_config(tmp_path)) as sd:

        async def status() -> list[bytes]:
            s = await connect_director(sd.port)
            await s.send(b"status FileStorage")
            lines = []
            while True:
                frame = await s.receive(timeout=5)
                if isinstance(frame, SignalFrame):
                    break
                lines.append(frame.payload.rstrip(b"\x00"))
            await s.aclose()
            return lines

        d = await connect_director(sd.port)
        ok = await announce(d, 11, JOB)
        await use_storage(d, append=True)
        await d.send(b"run")
        assert await d.receive_packet() == f"Status Job={JOB} JobStatus=70\n".encode()
        waiting = await status()
        assert f"Backup Job {JOB} waiting for Client connection.\n".encode() in waiting
        fd = await fd_connect(sd.port, JOB, ok.authorization)
        result: dict[str, Any] = {}
        async with trio.open_nursery() as nursery:

            async def drive() -> None:
                result["out"] = await director.drive(d)

            nursery.start_soon(drive)
            await fd.send(b"append open session\n")
            await fd.receive_packet()
            await fd.send(b"append data 1\n")
            await fd.receive_packet()
            await send_records(fd, SMALL[:2])
            with trio.fail_after(5):
                while True:
                    lines = await status()
                    if any(line.startswith(b"Writing: ") for line in lines):
                        break
                    await trio.sleep(0.02)
            await send_records(fd, SMALL[2:])
            await fd.send_signal(Signal.EOD)
            assert await fd.receive_packet() == b"3000 OK append data\n"
            await fd.send(b"append end session 1\n")
            await fd.receive_packet()
            await fd.send(b"append close session 1\n")
            assert await fd.receive_packet() == b"3000 OK close Status = 84\n"
            await fd.send_signal(Signal.TERMINATE)
        text = b"".join(lines).decode()
        assert "JobId=11 Level=Full Type=Backup Name=backup-lab Status=Running\n" in text
        assert 'Writing: Volume="Full-0001"\n    pool="Full" device="FileStorage" (' in text
        assert f'Device "FileStorage" ({tmp_path}) is mounted with:\n    Volume:      Full-0001\n' in text
        assert f'Full-0001 on device "FileStorage" ({tmp_path})\n' in text
        after = b"".join(await status()).decode()
        assert "No Jobs running.\n" in after and "is not open" in after
        assert "    11  Full          2    11.11 K  OK " in after


async def test_reservation_and_job_command_errors(tmp_path: Path) -> None:
    async with running_sd(sd_config(tmp_path)) as sd:
        d = await connect_director(sd.port)
        await d.send(b"JobId=1 job=x job_name=y client_name=z type=66 level=nope\n")
        assert await d.receive_packet() == (
            b"3915 Bad Job command. stat=6 CMD: JobId=1 job=x job_name=y client_name=z "
            b"type=66 level=nope\n\n"
        )
        assert await d.receive() == SignalFrame(Signal.TERMINATE)
        for devices, media in ((("Nope",), "File"), (("Tape",), "File"), (("FileStorage",), "LTO")):
            d = await connect_director(sd.port)
            await announce(d, 2, JOB)
            got = await use_storage(d, append=True, devices=devices, media_type=media)
            assert got[-1] == (f'3924 Device "{devices[0]}" not in SD Device resources or no '
                               "matching Media Type.\n").encode()  # fmt: skip
            assert " type=3 " in got[0].decode() and "Device reservation failed" in got[0].decode()
            assert await d.receive() == SignalFrame(Signal.TERMINATE)
            await d.aclose()
        # A restore reservation names the real device; a bad bootstrap is refused.
        d = await connect_director(sd.port)
        await announce(d, 3, RESTORE, job_type="R", level=" ")
        assert await use_storage(d, append=False) == [b"3000 OK use device device=FileStorage\n"]
        await d.send(b"bootstrap\n")
        await d.send(b"Volume=Full-0001\n")
        await d.send(b"Bogus=1\n")
        await d.send_signal(Signal.EOD)
        frames = [await d.receive() for _ in range(3)]
        assert frames[0].payload.startswith(f"Jmsg Job={RESTORE} type=3 ".encode())  # type: ignore[union-attr]
        assert frames[1].payload == b"3904 Error bootstrap\n"  # type: ignore[union-attr]
        assert frames[2] == SignalFrame(Signal.TERMINATE)
        # Unknown FD commands end the data session with 3900.
        d = await connect_director(sd.port)
        ok = await announce(d, 4, OTHER)
        await use_storage(d, append=True)
        fd = await fd_connect(sd.port, OTHER, ok.authorization)
        await d.send(b"run")
        async with trio.open_nursery() as nursery:
            result: dict[str, Any] = {}

            async def drive() -> None:
                result["out"] = await FakeDirector().drive(d)

            nursery.start_soon(drive)
            await fd.send(b"append data 1\n")
            assert await fd.receive_packet() == b"3902 Error session not opened\n"
            assert await fd.receive() == SignalFrame(Signal.TERMINATE)
        out = result["out"]
        assert out.end.status == JobStatus.FATAL_ERROR  # the fatal message comes first
        assert any("Command error with FD, hanging up. Attempt to append on non-open session."
                   in j for j in out.jmsgs)  # fmt: skip


async def test_the_daemon_process_runs_a_backup(tmp_path: Path) -> None:
    """bareos-sd-emu as a subprocess: a backup, then --client-connect-wait for a lost FD."""
    port = free_port()
    archive = tmp_path / "storage"
    archive.mkdir()
    write_config(tmp_path, "bareos-sd.d", [
        ("Storage", {"Name": "bareos-sd", "SD Port": port, "SD Address": Bare("127.0.0.1"),
                     "TLS Enable": False, "TLS Require": False}),
        ("Director", {"Name": "bareos-dir", "Password": "lab-sd-secret", "TLS Enable": False,
                      "TLS Require": False}),
        ("Device", {"Name": "FileStorage", "Media Type": "File", "Archive Device": str(archive)}),
    ])  # fmt: skip
    proc = DaemonProcess("bareos-sd-emu", tmp_path, "--client-connect-wait", "0.5")
    await trio.to_thread.run_sync(proc.start)
    try:
        sd = Sd(None, port)  # type: ignore[arg-type]
        run = await run_backup(sd, FakeDirector(), 1, JOB, SMALL)
        assert run.outcome.end is not None and run.outcome.end.status == JobStatus.TERMINATED
        assert (archive / "Full-0001").stat().st_size > sum(len(r.data) for r in SMALL)
        d = await connect_director(port)
        await announce(d, 2, OTHER)
        await use_storage(d, append=True)
        await d.send(b"run")
        with trio.fail_after(10):
            out = await FakeDirector().drive(d)
        assert out.end is not None and out.end.status == JobStatus.FATAL_ERROR
        ended = await trio.to_thread.run_sync(
            functools.partial(proc.wait_for, "job.end", lambda e: e["job"] == OTHER)
        )
        assert ended["status"] == "f"
    finally:
        assert await trio.to_thread.run_sync(proc.stop) == 0
