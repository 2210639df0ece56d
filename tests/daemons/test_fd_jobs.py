"""File daemon job sessions end to end, in-process: backup, restore, keys, failures."""

from __future__ import annotations

import functools
import hashlib
import os
import re
from pathlib import Path

import pytest
import trio
from attrs import evolve as attrs_evolve
from structlog.testing import capture_logs

from bareosnet.errors import BareosError
from bareosnet.proto.attributes import AttributeRecord, FileType
from bareosnet.proto.signals import Signal
from bareosnet.proto.streams import Stream
from bareosnet.tls.settings import TlsSettings
from daemons.filedaemon import status as fdstatus
from daemons.filedaemon.daemon import FileDaemon
from daemons.filedaemon.jobs import JobAuthorization, JobRegistry, KeyRefusedError
from tests.daemons.test_fd_jobs_support import (
    CLEAR,
    Director,
    MemorySD,
    fd_config,
    make_tree,
    running_fd,
    tree_listing,
)

KEY = "GMEJ-POHO-FAOG-HCCI-JHML-PMAD-FBEC-EHIA"
KEY2 = "MJHH-NAKB-LPIN-OFFE-CJBA-JMNL-FKMJ-CGNI"
JOB = "backup-lab.2026-11-27_01.10.08_04"
RJOB = "RestoreFiles.2026-11-27_01.12.01_06"


async def backup(port: int, sd: MemorySD, sd_port: int, paths: list[str], *,
                 level: str = "level = full  mtime_only=0 \n") -> list[bytes | Signal]:  # fmt: skip
    d = await Director.connect(port)
    assert (await d.job(sd.job, sd.key.decode())).startswith(b"2000 OK Job ")
    await d.send(level)
    assert await d.reply() == b"2000 OK level\n"
    assert await d.fileset(paths) == b"2000 OK include\n"
    await d.send(f"storage address=127.0.0.1 port={sd_port} ssl=0\n")
    assert await d.reply() == b"2000 OK storage\n"
    await d.send("backup FileIndex=0\n")
    assert await d.reply() == b"2000 OK backup\n"
    tail = await d.until_terminate()
    await d.aclose()
    return tail


async def restore(port: int, sd: MemorySD, sd_port: int, where: Path,
                  replace: str = "a") -> list[bytes | Signal]:  # fmt: skip
    d = await Director.connect(port)
    assert (await d.job(RJOB, KEY2)).startswith(b"2000 OK Job ")
    await d.send(
        f"storage address=127.0.0.1 port={sd_port} ssl=0 Authorization={sd.key.decode()}\n"
    )
    assert await d.reply() == b"2000 OK storage\n"
    await d.send(f"restore replace={replace} prelinks=0 where={where}\n")
    assert await d.reply() == b"2000 OK restore\n"
    assert await d.reply(timeout=30) == b"2000 OK storage end\n"
    await d.send("endrestore")
    await d.until_terminate()
    await d.aclose()
    return d.received


def end_job(tail: list[bytes | Signal]) -> bytes:
    return next(p for p in tail if isinstance(p, bytes) and p.startswith(b"2800 End Job"))


async def test_backup_restore_round_trip(tmp_path: Path) -> None:
    src = make_tree(tmp_path / "src")
    before = tree_listing(src)
    sd = MemorySD(KEY.encode(), JOB)
    with capture_logs() as logs:
        async with running_fd() as (daemon, port), trio.open_nursery() as nursery:
            sd_port = await sd.listen(nursery)
            tail = await backup(port, sd, sd_port, [str(src)])
            nursery.cancel_scope.cancel()
    assert logs and all(KEY not in str(e) for e in logs)  # the session key is never logged
    total = sum(len(p.read_bytes()) for p in src.rglob("*") if p.is_file() and not p.is_symlink())
    files = len(list(src.rglob("*"))) + 1
    assert (
        end_job(tail)
        == (
            f"2800 End Job TermCode=84 JobFiles={files} ReadBytes={total} JobBytes={total} "
            "Errors=0 VSS=0 Encrypt=0\n"
        ).encode()
    )
    assert tail[-1] == Signal.TERMINATE
    # FileIndex sequence and streams: attributes first, data, then the MD5 digest.
    attrs_by_name = {}
    indexes = []
    for r in sd.records:
        if r.stream == Stream.UNIX_ATTRIBUTES:
            rec = AttributeRecord.parse(r.data)
            attrs_by_name[rec.fname] = rec
            indexes.append(r.file_index)
    assert indexes == list(range(1, files + 1))
    assert attrs_by_name[str(src) + "/"].file_type == FileType.DIREND  # the top dir comes last
    assert sd.records[-1].file_index == files
    assert attrs_by_name[str(src / "empty")].file_type == FileType.REGE
    assert attrs_by_name[str(src / "link")].file_type == FileType.LNK
    assert attrs_by_name[str(src / "link")].link == "hello.txt"
    big = src / "sub dir" / "big file.bin"
    big_fi = attrs_by_name[str(big)].file_index
    data = [r.data for r in sd.records if r.file_index == big_fi and r.stream == Stream.FILE_DATA]
    assert max(len(d) for d in data) == 256 * 1024 and b"".join(data) == big.read_bytes()
    digest = [
        r.data for r in sd.records if r.file_index == big_fi and r.stream == Stream.MD5_DIGEST
    ]
    assert digest == [hashlib.md5(big.read_bytes()).digest()]
    empty_fi = attrs_by_name[str(src / "empty")].file_index
    assert [r.stream for r in sd.records if r.file_index == empty_fi] == [1, 3]
    assert sd.commands[:2] == [b"append open session\n", b"append data 1\n"]
    assert sd.commands[-3:] == [b"append end session 1\n", b"append close session 1\n",
                                Signal.TERMINATE]  # fmt: skip
    assert daemon.jobs.jobs_run == 1 and daemon.recent.last is not None
    assert daemon.recent.last.status == "T" and daemon.recent.last.files == files

    # Restore everything into another directory via the same records.
    sd2 = MemorySD(KEY2.encode(), RJOB, records=sd.records)
    dest = tmp_path / "dest"
    async with running_fd() as (daemon, port), trio.open_nursery() as nursery:
        sd_port = await sd2.listen(nursery)
        tail = await restore(port, sd2, sd_port, dest)
        nursery.cancel_scope.cancel()
    assert (
        end_job(tail)
        == (
            f"2800 End Job TermCode=84 JobFiles={files} ReadBytes={total} JobBytes={total} "
            "Errors=0 VSS=0 Encrypt=0\n"
        ).encode()
    )
    assert sd2.commands[0] == b"read open session = DummyVolume 1 1795741802 0 0 0 0\n"
    assert sd2.commands[1:4] == [b"read data 1\n", b"read close session 1\n", Signal.TERMINATE]
    assert sd2.commands[-1] == Signal.TERMINATE
    restored = dest / src.relative_to("/")
    assert tree_listing(restored) == before


# ---------------------------------------------------------------- TLS-PSK data connections


async def test_active_tls_psk_data_connection(tmp_path: Path) -> None:
    """ssl=4: TLS first with identity R_JOB 0x1E job and the session key as PSK."""
    src = make_tree(tmp_path / "src")
    sd = MemorySD(KEY.encode(), JOB, tls=TlsSettings(), policy=2)
    cfg = fd_config(client_extra="TLS Enable = yes")
    async with running_fd(cfg) as (_, port), trio.open_nursery() as nursery:
        sd_port = await sd.listen(nursery)
        d = await Director.connect(port)
        await d.job(JOB, KEY, ssl=4)
        await d.send("level = full  mtime_only=0 \n")
        await d.reply()
        await d.fileset([str(src)])
        await d.send(f"storage address=127.0.0.1 port={sd_port} ssl=4\n")
        assert await d.reply() == b"2000 OK storage\n"
        await d.send("backup FileIndex=0\n")
        assert await d.reply() == b"2000 OK backup\n"
        tail = await d.until_terminate()
        nursery.cancel_scope.cancel()
    assert sd.info is not None and sd.info.psk_identity == f"R_JOB\x1e{JOB}"
    assert sd.info.psk_used and sd.info.tls_version == "TLSv1.3"
    assert b"TermCode=84" in end_job(tail)
    cipher = sd.info.encryption_text
    assert cipher.startswith("TLS_") and cipher.endswith(" TLSv1.3")
    msgs = d.jmsgs()
    assert any(m.endswith(f"JobId 7:  Encryption: {cipher}\n") for m in msgs)
    assert any(f"Connected Storage daemon at 127.0.0.1:{sd_port}, encryption: {cipher}\n" in m
               for m in msgs)  # fmt: skip


async def passive_backup(port: int, daemon: FileDaemon, sd: MemorySD, src: Path, *,
                         ssl: int | None, tls_first: bool) -> list[bytes | Signal]:  # fmt: skip
    d = await Director.connect(port)
    await d.job(sd.job, sd.key.decode(), ssl=ssl)
    await d.send("level = full  mtime_only=0 \n")
    await d.reply()
    await d.fileset([str(src)])
    async with trio.open_nursery() as nursery:
        nursery.start_soon(functools.partial(sd.call_fd, port, tls_first=tls_first))
        await d.send("backup FileIndex=0\n")
        reply = await d.reply()
        tail = await d.until_terminate()
    return [reply, *tail]


async def test_passive_tls_psk_and_cleartext(tmp_path: Path) -> None:
    src = make_tree(tmp_path / "src")
    # TLS Require = no: in the cleartext half the FD's challenge carries its own Client
    # resource's policy (as Bareos's FD does), and 0 vs 2 would be a policy deny.
    cfg = fd_config(client_extra="TLS Enable = yes; TLS Require = no")
    async with running_fd(cfg) as (daemon, port):
        sd = MemorySD(KEY.encode(), JOB, tls=TlsSettings(), policy=2)
        with capture_logs() as logs:
            out = await passive_backup(port, daemon, sd, src, ssl=4, tls_first=True)
        assert out[0] == b"2000 OK backup\n" and b"TermCode=84" in end_job(out)
        assert sd.info is not None and sd.info.tls_version == "TLSv1.3"
        attached = [e for e in logs if e["event"] == "handshake.ok" and e["connection"] == "7"]
        assert attached and attached[0]["psk_identity"] == f"R_JOB\\x1e{JOB}"
        # Old-form JobId= (no ssl=): the passive connection is cleartext (policy 0).
        sd2 = MemorySD(KEY2.encode(), RJOB, policy=0)
        out = await passive_backup(port, daemon, sd2, src, ssl=None, tls_first=False)
        assert b"TermCode=84" in end_job(out)
        assert sd2.info is not None and sd2.info.tls_version is None
        assert all(KEY not in str(e) and KEY2 not in str(e) for e in logs)


async def test_passive_cleartext_refused_when_job_requires_tls(tmp_path: Path) -> None:
    src = make_tree(tmp_path / "src")
    async with running_fd(fd_config(client_extra="TLS Enable = yes"), sd_wait_timeout=0.5) as (
        daemon, port,
    ):  # fmt: skip
        d = await Director.connect(port)
        await d.job(JOB, KEY, ssl=2)
        await d.send("level = full  mtime_only=0 \n")
        await d.reply()
        await d.fileset([str(src)])
        sd = MemorySD(KEY.encode(), JOB, policy=0)
        with pytest.raises(BareosError):
            await sd.call_fd(port, tls_first=False)
        await d.send("backup FileIndex=0\n")
        assert await d.reply() == b"2902 Bad backup\n"
        tail = await d.until_terminate()
    assert end_job(tail).startswith(b"2800 End Job TermCode=102 JobFiles=0 ")
    assert b"Errors=1 " in end_job(tail)
    assert any("Fatal error: Cannot contact Storage daemon" in m for m in d.jmsgs())


# ---------------------------------------------------------------- session keys


def test_registry_binds_keys_to_jobs() -> None:
    reg = JobRegistry()
    reg.authorize(JobAuthorization("a.1", b"KEY-A", job_id=1))
    with pytest.raises(KeyRefusedError) as err:
        reg.authorize(JobAuthorization("b.2", b"KEY-A", job_id=2))
    assert "KEY-A" not in str(err.value)
    reg.authorize(JobAuthorization("a.1", b"KEY-A2", job_id=1))  # restore: a new key, same job
    with pytest.raises(KeyRefusedError):  # the replaced key is retired
        reg.authorize(JobAuthorization("c.3", b"KEY-A", job_id=3))
    reg.finish("a.1")
    assert reg.key("a.1") is None
    with pytest.raises(KeyRefusedError):
        reg.authorize(JobAuthorization("d.4", b"KEY-A2", job_id=4))
    reg.authorize(JobAuthorization("e.5", b"dummy", job_id=5))
    reg.authorize(JobAuthorization("f.6", b"dummy", job_id=6))  # "dummy": no SD, never a key
    assert reg.key("e.5") is None


async def test_wrong_key_reused_key_and_replayed_hello(tmp_path: Path) -> None:
    src = make_tree(tmp_path / "src")
    async with running_fd(sd_wait_timeout=1.0) as (daemon, port):
        # Active: the SD knows another key -> CRAM fails, 2902 Bad storage, job fails.
        sd = MemorySD(b"AAAA-BBBB-CCCC-DDDD-EEEE-FFFF-GGGG-HHHH", JOB)
        async with trio.open_nursery() as nursery:
            sd_port = await sd.listen(nursery)
            d = await Director.connect(port)
            await d.job(JOB, KEY)
            await d.send(f"storage address=127.0.0.1 port={sd_port} ssl=0\n")
            assert await d.reply() == b"2902 Bad storage\n"
            tail = await d.until_terminate()
            nursery.cancel_scope.cancel()
        assert end_job(tail).startswith(b"2800 End Job TermCode=102 ")
        assert any("Fatal error: Failed to authenticate Storage daemon.\n" in m for m in d.jmsgs())

        # The key of the ended job is refused for a new job.
        d = await Director.connect(port)
        assert await d.job("other.2026-11-27_01.10.08_09", KEY, job_id=8) == b"2901 Bad Job\n"
        await d.until_terminate()

        # Passive: a key of another job is refused; a second Hello after success too.
        d = await Director.connect(port)
        await d.job(RJOB, KEY2, job_id=9)
        await d.send("level = full  mtime_only=0 \n")
        await d.reply()
        await d.fileset([str(src)])
        wrong = MemorySD(b"GPJN-KCPD-MEHJ-MMKH-BBEG-NGIP-ALLJ-PCLF", RJOB)
        with pytest.raises(BareosError):
            await wrong.call_fd(port)
        good = MemorySD(KEY2.encode(), RJOB)
        second = MemorySD(KEY2.encode(), RJOB)
        with capture_logs() as logs:
            async with trio.open_nursery() as nursery:
                nursery.start_soon(good.call_fd, port)
                while not daemon.jobs.is_connected(RJOB):
                    await trio.sleep(0.01)
                with pytest.raises(BareosError):
                    await second.call_fd(port)
                await d.send("backup FileIndex=0\n")
                assert await d.reply() == b"2000 OK backup\n"
                tail = await d.until_terminate()
        refused = [e for e in logs if e["event"] == "job.auth_refused"]
        assert refused and refused[0]["job"] == RJOB
        assert all(KEY2 not in str(e) for e in logs)
        assert b"TermCode=84" in end_job(tail)


# ---------------------------------------------------------------- failures


async def test_sd_vanishing_mid_backup_fails_the_job(tmp_path: Path) -> None:
    src = make_tree(tmp_path / "src")
    sd = MemorySD(KEY.encode(), JOB, drop_after_bytes=300_000)
    with trio.fail_after(20):
        async with running_fd(sd_reply_timeout=5) as (daemon, port), trio.open_nursery() as n:
            sd_port = await sd.listen(n)
            tail = await backup(port, sd, sd_port, [str(src)])
            n.cancel_scope.cancel()
    line = end_job(tail)
    assert line.startswith(b"2800 End Job TermCode=102 ")
    assert int(re.search(rb"Errors=(\d+)", line).group(1)) >= 1  # type: ignore[union-attr]
    fatal = [p for p in tail if isinstance(p, bytes) and b" type=3 " in p]
    assert fatal and (b"Network send error to SD" in fatal[0] or b"Comm error with SD" in fatal[0])
    assert daemon.recent.last is not None and daemon.recent.last.status == "f"


async def test_sd_vanishing_mid_restore_removes_the_partial_file(tmp_path: Path) -> None:
    src = make_tree(tmp_path / "src")
    sd = MemorySD(KEY.encode(), JOB)
    async with running_fd() as (_, port), trio.open_nursery() as nursery:
        await backup(port, sd, await sd.listen(nursery), [str(src)])
        nursery.cancel_scope.cancel()
    big = src / "sub dir" / "big file.bin"
    sd2 = MemorySD(KEY2.encode(), RJOB, records=sd.records, drop_after_bytes=1_000_000)
    dest = tmp_path / "dest"
    with trio.fail_after(20):
        async with running_fd(sd_reply_timeout=5) as (_, port), trio.open_nursery() as nursery:
            sd_port = await sd2.listen(nursery)
            d = await Director.connect(port)
            await d.job(RJOB, KEY2)
            await d.send(f"storage address=127.0.0.1 port={sd_port} ssl=0 Authorization={KEY2}\n")
            await d.reply()
            await d.send(f"restore replace=a prelinks=0 where={dest}\n")
            assert await d.reply() == b"2000 OK restore\n"
            assert await d.reply() == b"2000 OK storage end\n"  # a restore part ended
            await d.send("endrestore")
            tail = [*d.received, *await d.until_terminate()]
            nursery.cancel_scope.cancel()
    line = end_job(tail)
    assert line.startswith(b"2800 End Job TermCode=102 ") and b"Errors=0 " not in line
    assert not (dest / big.relative_to("/")).exists()
    msgs = [p.decode() for p in tail if isinstance(p, bytes) and p.startswith(b"Jmsg")]
    assert any("Data record error" in m for m in msgs)
    assert any(f"Partially restored file removed: {dest / big.relative_to('/')}" in m for m in msgs)


async def test_director_vanishing_cancels_the_job_and_status_shows_it(tmp_path: Path) -> None:
    src = make_tree(tmp_path / "src")
    sd = MemorySD(KEY.encode(), JOB)
    cfg = fd_config(client_extra=f"{CLEAR}; Maximum Bandwidth Per Job = 1000000")
    with trio.fail_after(20):
        async with running_fd(cfg) as (daemon, port), trio.open_nursery() as nursery:
            sd_port = await sd.listen(nursery)
            d = await Director.connect(port)
            await d.job(JOB, KEY)
            await d.send("level = full  mtime_only=0 \n")
            await d.reply()
            await d.fileset([str(src)])
            await d.send(f"storage address=127.0.0.1 port={sd_port} ssl=0\n")
            await d.reply()
            await d.send("backup FileIndex=0\n")
            assert await d.reply() == b"2000 OK backup\n"
            await trio.sleep(0.3)
            # A second Director session sees the job running.
            mon = await Director.connect(port)
            await mon.send(".status current")
            assert await mon.recv() == b"2000 OK .status\n"
            assert await mon.recv() == b"JobId=7 JobStatus=R JobErrors=0\n"
            await mon.aclose()
            with capture_logs() as logs:
                await trio.aclose_forcefully(d.stream.stream)  # the Director vanishes
                while daemon.jobs.running():
                    await trio.sleep(0.02)
            await sd.done.wait()
            nursery.cancel_scope.cancel()
    assert any(e["event"] == "job.director_gone" for e in logs)
    assert daemon.recent.last is not None and daemon.recent.last.status == "A"
    assert sd.commands[-1] == Signal.TERMINATE
    lines = fdstatus.status_lines(daemon.status_view())
    assert any(line.rstrip().endswith("backup-lab") and " Cancel " in line for line in lines)


async def test_cancel_command_ends_a_running_job(tmp_path: Path) -> None:
    src = make_tree(tmp_path / "src")
    sd = MemorySD(KEY.encode(), JOB)
    cfg = fd_config(client_extra=f"{CLEAR}; Maximum Bandwidth Per Job = 1000000")
    with trio.fail_after(20):
        async with running_fd(cfg) as (daemon, port), trio.open_nursery() as nursery:
            sd_port = await sd.listen(nursery)
            d = await Director.connect(port)
            await d.job(JOB, KEY)
            await d.send("level = full  mtime_only=0 \n")
            await d.reply()
            await d.fileset([str(src)])
            await d.send(f"storage address=127.0.0.1 port={sd_port} ssl=0\n")
            await d.reply()
            await d.send("backup FileIndex=0\n")
            await d.reply()
            await trio.sleep(0.2)
            ctl = await Director.connect(port)
            await ctl.send("status")
            listing = []
            while (got := await ctl.recv()) != Signal.EOD:
                listing.append(got)
            assert any(p.startswith(f"JobId 7 Job {JOB} is running.".encode()) for p in listing
                       if isinstance(p, bytes))  # fmt: skip
            await ctl.send(f"cancel Job={JOB}\n")
            assert await ctl.recv() == f"2001 Job {JOB} marked to be canceled.\n".encode()
            tail = await d.until_terminate()
            nursery.cancel_scope.cancel()
    assert end_job(tail).startswith(b"2800 End Job TermCode=65 ")


# ---------------------------------------------------------------- restore details


async def test_restore_replace_never_and_digest_mismatch(tmp_path: Path) -> None:
    src = make_tree(tmp_path / "src")
    sd = MemorySD(KEY.encode(), JOB)
    async with running_fd() as (_, port), trio.open_nursery() as nursery:
        await backup(port, sd, await sd.listen(nursery), [str(src)])
        nursery.cancel_scope.cancel()
    dest = tmp_path / "dest"
    hello = dest / (src / "hello.txt").relative_to("/")
    hello.parent.mkdir(parents=True)
    hello.write_text("local copy\n")
    # Corrupt the digest of nested.txt.
    nested_fi = next(AttributeRecord.parse(r.data).file_index for r in sd.records
                     if r.stream == 1 and r.data.split(b"\0")[0].endswith(b"nested.txt"))  # fmt: skip
    records = [attrs_evolve(r, data=bytes(16)) if (r.file_index, r.stream) == (nested_fi, 3) else r
               for r in sd.records]  # fmt: skip
    sd2 = MemorySD(KEY2.encode(), RJOB, records=records)
    async with running_fd() as (_, port), trio.open_nursery() as nursery:
        tail = await restore(port, sd2, await sd2.listen(nursery), dest, replace="n")
        nursery.cancel_scope.cancel()
    assert hello.read_text() == "local copy\n"  # never replaced
    line = end_job(tail)
    assert line.startswith(b"2800 End Job TermCode=69 ") and b" Errors=1 " in line
    msgs = [p.decode() for p in tail if isinstance(p, bytes) and p.startswith(b"Jmsg")]
    assert any("Error: Digest mismatch for " in m and "nested.txt" in m for m in msgs)
    assert any(f"File skipped. Already exists: {hello}" in m for m in msgs)


async def test_hard_links_are_saved_once_and_restored_as_links(tmp_path: Path) -> None:
    data = tmp_path / "src"
    data.mkdir()
    (data / "a").write_text("same inode\n")
    os.link(data / "a", data / "b")
    sd = MemorySD(KEY.encode(), JOB)
    async with running_fd() as (_, port), trio.open_nursery() as nursery:
        sd_port = await sd.listen(nursery)
        d = await Director.connect(port)
        await d.job(JOB, KEY)
        await d.send("level = full  mtime_only=0 \n")
        await d.reply()
        await d.fileset([str(data)], options="MAX")  # no "H": hard links tracked
        await d.send(f"storage address=127.0.0.1 port={sd_port} ssl=0\n")
        await d.reply()
        await d.send("backup FileIndex=0\n")
        await d.reply()
        await d.until_terminate()
        nursery.cancel_scope.cancel()
    recs = [AttributeRecord.parse(r.data) for r in sd.records if r.stream == 1]
    linked = [r for r in recs if r.file_type == FileType.LNKSAVED]
    assert len(linked) == 1 and linked[0].stat.link_fi in {r.file_index for r in recs}
    assert sum(1 for r in sd.records if r.stream == Stream.FILE_DATA) == 1
    sd2 = MemorySD(KEY2.encode(), RJOB, records=sd.records)
    dest = tmp_path / "dest"
    async with running_fd() as (_, port), trio.open_nursery() as nursery:
        await restore(port, sd2, await sd2.listen(nursery), dest)
        nursery.cancel_scope.cancel()
    a, b = dest / (data / "a").relative_to("/"), dest / (data / "b").relative_to("/")
    assert a.read_text() == "same inode\n" and a.stat().st_ino == b.stat().st_ino


async def test_heartbeats_to_the_director_while_data_moves(tmp_path: Path) -> None:
    src = make_tree(tmp_path / "src")
    sd = MemorySD(KEY.encode(), JOB)
    cfg = fd_config(
        client_extra=f"{CLEAR}; Heartbeat Interval = 1\nMaximum Bandwidth Per Job = 4000000"
    )
    with trio.fail_after(20):
        async with running_fd(cfg) as (_, port), trio.open_nursery() as nursery:
            sd_port = await sd.listen(nursery)
            d = await Director.connect(port)
            await d.job(JOB, KEY)
            await d.send("level = full  mtime_only=0 \n")
            await d.reply()
            await d.fileset([str(src)])
            await d.send(f"storage address=127.0.0.1 port={sd_port} ssl=0\n")
            await d.reply()
            await d.send("backup FileIndex=0\n")
            seen: list[object] = []
            while True:
                frame = await d.stream.receive_frame(timeout=10)
                seen.append(getattr(frame, "signal", None))
                if getattr(frame, "signal", None) == Signal.TERMINATE:
                    break
            nursery.cancel_scope.cancel()
    assert Signal.HEARTBEAT in seen


async def test_unreachable_storage_daemon(tmp_path: Path) -> None:
    from tests.support.daemons import free_port

    cfg = fd_config(client_extra=f"{CLEAR}; SD Connect Timeout = 1")
    with trio.fail_after(10):
        async with running_fd(cfg) as (_, port):
            d = await Director.connect(port)
            await d.job(JOB, KEY)
            dead = free_port()
            await d.send(f"storage address=127.0.0.1 port={dead} ssl=0\n")
            assert await d.reply() == b"2902 Bad storage\n"
            tail = await d.until_terminate()
    assert any(f"Fatal error: Failed to connect to Storage daemon: 127.0.0.1:{dead}\n" in m
               for m in d.jmsgs())  # fmt: skip
    assert end_job(tail).startswith(b"2800 End Job TermCode=102 JobFiles=0 ReadBytes=0 ")
