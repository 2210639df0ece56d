"""Connections the Storage daemon opens itself: passive clients (row 7), replication (row 8)."""

from __future__ import annotations

import functools
from collections.abc import MutableMapping, Sequence
from pathlib import Path
from typing import Any

import pytest
import structlog
import trio

from bareosnet.net.handshake import AcceptorSettings, accept
from bareosnet.net.stream import BareosStream
from bareosnet.proto.connections import spec as connection_spec
from bareosnet.proto.handshake import AcceptPlan
from bareosnet.proto.hello import HelloInfo, HelloKind
from bareosnet.proto.jobcmds import JobStatus
from bareosnet.tls.settings import CLEARTEXT, TlsSettings
from daemons.storage.volume import VolumeReader
from tests.daemons.test_sd_jobs_helpers import (
    FakeDirector,
    Record,
    announce,
    connect_director,
    fd_backup,
    generated_files,
    run_backup,
    running_sd,
    sd_config,
    send_bootstrap,
    use_storage,
)

JOB = "backup-lab-passive.2026-11-27_04.00.00_01"
SOURCE = "backup-src.2026-11-27_04.10.00_02"
COPY_READ = "copy-read.2026-11-27_04.20.00_03"
COPY_WRITE = "copy-write.2026-11-27_04.20.00_04"


def events(logs: Sequence[MutableMapping[str, Any]], name: str) -> list[MutableMapping[str, Any]]:
    return [e for e in logs if e.get("event") == name]


async def passive_fd(nursery: trio.Nursery, job: str, key: str, records: list[Record], *,
                     tls: bool, result: dict[str, Any]) -> int:  # fmt: skip
    """A passive File daemon: accepts the SD's row-7 connection, then runs the append session."""

    def resolve(hello: HelloInfo) -> AcceptPlan:
        assert hello.kind is HelloKind.STORAGE_START_JOB and hello.name == job
        return AcceptPlan(spec=connection_spec("7"), key=key.encode(), policy=0,
                          own_name="bareos-fd")  # fmt: skip

    settings = AcceptorSettings(
        resolver=resolve,  # type: ignore[arg-type]
        own_tls=TlsSettings() if tls else CLEARTEXT,
        psk_lookup=lambda identity: key.encode() if identity == f"R_JOB\x1e{job}" else None,
        failure_delay=0,
    )

    async def handler(tcp: trio.SocketStream) -> None:
        stream, info = await accept(tcp, settings, peer_address="sd")
        result["info"] = info
        result["fd"] = await fd_backup(stream, records)

    listeners = await nursery.start(functools.partial(trio.serve_tcp, handler, 0,
                                                      host="127.0.0.1"))  # fmt: skip
    return int(listeners[0].socket.getsockname()[1])


@pytest.mark.parametrize("tls", [False, True], ids=["cleartext", "tls-psk"])
async def test_passive_client_backup(tmp_path: Path, tls: bool) -> None:
    records = generated_files()[:4]
    director = FakeDirector()
    result: dict[str, Any] = {}
    with structlog.testing.capture_logs() as logs:
        async with running_sd(sd_config(tmp_path, tls=tls)) as sd, trio.open_nursery() as nursery:
            d = await connect_director(sd.port, tls=tls)
            ok = await announce(d, 41, JOB, client="bareos-fd-passive")
            port = await passive_fd(nursery, JOB, ok.authorization, records, tls=tls,
                                    result=result)  # fmt: skip
            await use_storage(d, append=True)
            await d.send(f"passive client address=127.0.0.1 port={port} ssl={4 if tls else 0}\n")
            assert await d.receive_packet(timeout=10) == b"2000 OK passive client\n"
            await d.send(b"run")
            out = await director.drive(d)
            nursery.cancel_scope.cancel()
    assert out.end is not None and out.end.status == JobStatus.TERMINATED
    assert out.end.job_files == 2 and out.end.job_bytes == sum(len(r.data) for r in records)
    assert result["fd"][-2:] == [b"3000 OK close Status = 84\n", result["fd"][-1]]
    texts = [j.split(": ", 1)[1] for j in out.jmsgs]
    encryption = "None" if not tls else result["info"].encryption_text
    assert f"Connected File Daemon at 127.0.0.1:{port}, encryption: {encryption}\n" in texts
    # The "Connected" message comes right after Status R, before the version line.
    first = out.lines.index(f"Status Job={JOB} JobStatus=82\n".encode())
    assert b"Connected File Daemon" in out.lines[first + 1]
    sd_side = [e for e in events(logs, "handshake.ok")
               if e["connection"] == "7" and e["side"] == "connector"]  # fmt: skip
    assert len(sd_side) == 1
    if tls:
        assert sd_side[0]["psk_identity"] == f"R_JOB\\x1e{JOB}" and sd_side[0]["psk_used"]
    else:
        assert sd_side[0]["tls_version"] is None
    assert result["info"].connection == "7" and result["info"].peer_name == JOB


async def test_passive_client_unreachable(tmp_path: Path) -> None:
    with trio.socket.socket() as sock:  # a port nobody listens on
        await sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    async with running_sd(sd_config(tmp_path, storage_extra="FD Connect Timeout = 1")) as sd:
        d = await connect_director(sd.port)
        await announce(d, 42, JOB)
        await use_storage(d, append=True)
        command = f"passive client address=127.0.0.1 port={port} ssl=0\n"
        await d.send(command)
        jmsg = await d.receive_packet(timeout=10)
        assert b" type=3 " in jmsg and f"Failed to connect to File daemon: 127.0.0.1:{port}".encode() in jmsg
        assert await d.receive_packet() == f"3991 Bad passive client command: {command}\n".encode()


@pytest.mark.parametrize("ssl", [0, 4])
async def test_replication_between_two_storage_daemons(tmp_path: Path, ssl: int) -> None:
    """``listen`` on the writing SD, ``replicate`` + ``run`` on the reading one (row 8)."""
    records = generated_files()
    tls = ssl == 4  # the Director asks for TLS first exactly when the storages use TLS
    reader_dir, writer_dir = tmp_path / "reader", tmp_path / "writer"
    source_cat, read_cat, write_cat = FakeDirector(), FakeDirector(), FakeDirector()
    with structlog.testing.capture_logs() as logs:
        async with (
            running_sd(sd_config(reader_dir, name="sd-reader", tls=tls)) as reader,
            running_sd(sd_config(writer_dir, name="sd-writer", tls=tls)) as writer,
        ):
            backup = await run_backup(reader, source_cat, 51, SOURCE, records, tls=tls)
            assert backup.outcome.end is not None
            # The writing side: job, reservation, listen (it waits for the other SD).
            w = await connect_director(writer.port, tls=tls)
            w_ok = await announce(w, 53, COPY_WRITE, job_type="c")
            await use_storage(w, append=True)
            await w.send(b"listen")
            # The reading side: job, bootstrap, read reservation, replicate, run.
            r = await connect_director(reader.port, tls=tls)
            await announce(r, 52, COPY_READ, job_type="c")
            assert await send_bootstrap(r, source_cat.bootstrap(backup.ok)) == b"3000 OK bootstrap\n"
            await use_storage(r, append=False)
            await r.send(f"replicate JobId=53 Job={COPY_WRITE} address=127.0.0.1 "
                         f"port={writer.port} ssl={ssl} Authorization={w_ok.authorization}\n")
            assert await r.receive_packet(timeout=10) == b"3000 OK replicate\n"
            await r.send(b"run")
            result: dict[str, Any] = {}
            async with trio.open_nursery() as nursery:

                async def drive(name: str, stream: BareosStream, cat: FakeDirector) -> None:
                    result[name] = await cat.drive(stream)

                nursery.start_soon(drive, "write", w, write_cat)
                nursery.start_soon(drive, "read", r, read_cat)
    out_w, out_r = result["write"], result["read"]
    total = sum(len(rec.data) for rec in records)
    assert out_r.end is not None and out_w.end is not None
    assert (out_r.end.status, out_r.end.job_files, out_r.end.job_bytes) == (84, 4, total)
    assert (out_w.end.status, out_w.end.job_files, out_w.end.job_bytes) == (84, 4, total)
    assert out_w.statuses[:2] == [83, 82]  # waiting for the SD, then running
    assert b"3010 Job " + COPY_WRITE.encode() + b" start\n" in out_w.lines
    # The copy: same records, under the writing SD's own session.
    with VolumeReader(writer_dir / "Full-0001") as vol:
        copied = [rec for rec in vol.payloads() if rec.file_index > 0]
    assert [Record(c.file_index, c.stream, c.payload) for c in copied] == records
    assert {(c.vol_session_id, c.vol_session_time) for c in copied} == {
        (w_ok.vol_session_id, w_ok.vol_session_time)
    }
    assert len(out_w.attributes) == len([x for x in records if x.stream != 2])
    row8 = [e for e in events(logs, "handshake.ok") if e["connection"] == "8"]
    assert {e["side"] for e in row8} == {"connector", "acceptor"}
    acceptor = next(e for e in row8 if e["side"] == "acceptor")
    assert acceptor["peer"] == COPY_WRITE
    if ssl == 4:
        assert acceptor["psk_identity"] == f"R_JOB\\x1e{COPY_WRITE}" and acceptor["psk_used"]
    else:
        assert acceptor["tls_version"] is None
