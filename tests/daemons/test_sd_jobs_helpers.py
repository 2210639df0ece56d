"""Helpers for the Storage daemon job tests (no tests here).

* :func:`running_sd`: a :class:`StorageDaemon` served in-process on 127.0.0.1;
* :class:`FakeDirector`: the Director's side of a job on the SD connection,
  with a tiny catalog answering ``CatReq`` lines like Bareos's ``catreq.cc``;
* :class:`FdScript`: a scripted File daemon for append and read sessions.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import attrs
import trio

from bareosnet.config import parse_string
from bareosnet.errors import BareosError
from bareosnet.net.stream import BareosStream
from bareosnet.proto import cram
from bareosnet.proto.attributes import AttributeRecord, FileType, Stat
from bareosnet.proto.bootstrap import Bootstrap, BootstrapEntry, IndexRange
from bareosnet.proto.framing import Packet, SignalFrame
from bareosnet.proto.jobcmds import (
    CatReqCreateJobMedia,
    CatReqUpdateMedia,
    JobType,
    MediaInfo,
    SdJobCommand,
    SdJobEnd,
    SdJobOk,
    UpdCatFileAttributes,
)
from bareosnet.proto.signals import Signal
from bareosnet.proto.streams import CatalogRecord, DataHeader, RestoreRecordHeader, Stream
from bareosnet.tls.settings import CLEARTEXT, TlsSettings
from daemons.common.auth import open_connection
from daemons.storage.daemon import SdOptions, StorageDaemon

SECRET = "lab-sd-secret"
SD_KEY = cram.password_key(SECRET)
CLEAR = "TLS Enable = no; TLS Require = no"


def sd_config(
    archive: Path,
    *,
    name: str = "bareos-sd",
    tls: bool = False,
    storage_extra: str = "",
    device: str = "FileStorage",
) -> str:
    tls_text = "" if tls else CLEAR
    storage = "\n  ".join(p for p in (f"Name = {name}", "SD Port = 9103", tls_text, storage_extra)
                          if p)  # fmt: skip
    director = "; ".join(p for p in ("Name = bareos-dir", f'Password = "{SECRET}"', tls_text) if p)
    return f"""
Storage {{
  {storage}
}}
Director {{ {director} }}
Device {{ Name = {device}; Media Type = File; Archive Device = "{archive}" }}
Device {{ Name = Tape; Media Type = LTO; Archive Device = "{archive}/tape" }}
"""


@attrs.frozen
class Sd:
    daemon: StorageDaemon
    port: int


@asynccontextmanager
async def running_sd(config: str, **options: Any) -> AsyncIterator[Sd]:
    """Serve a Storage daemon on an ephemeral 127.0.0.1 port until the block ends."""
    cfg = parse_string(config, daemon="sd")
    opts = SdOptions(failure_delay=0, **options)
    daemon = StorageDaemon(cfg, opts)

    async def handler(stream: trio.SocketStream) -> None:
        host, port = stream.socket.getpeername()[:2]
        try:
            await daemon.handle_connection(stream, f"{host}:{port}")
        except (BareosError, trio.BrokenResourceError, trio.ClosedResourceError):
            pass
        finally:
            await trio.aclose_forcefully(stream)

    async with trio.open_nursery() as nursery:
        listeners = await nursery.start(
            functools.partial(trio.serve_tcp, handler, 0, host="127.0.0.1")
        )
        yield Sd(daemon, listeners[0].socket.getsockname()[1])
        nursery.cancel_scope.cancel()


async def connect_director(port: int, *, tls: bool = False) -> BareosStream:
    stream, _ = await open_connection(
        "5", host="127.0.0.1", port=port, hello_name="bareos-dir", own_name="bareos-dir",
        key=SD_KEY, tls=TlsSettings() if tls else CLEARTEXT, timeout=10,
    )  # fmt: skip
    return stream


def job_command(job_id: int, job: str, *, job_type: str = "B", level: str = "F",
                client: str = "bareos-fd") -> bytes:  # fmt: skip
    return SdJobCommand(
        job_id=job_id, job=job, job_name=job.split(".")[0], client_name=client,
        job_type=ord(job_type), level=ord(level), fileset="LabData",
    ).encode()  # fmt: skip


async def announce(stream: BareosStream, job_id: int, job: str, **kw: Any) -> SdJobOk:
    await stream.send(job_command(job_id, job, **kw))
    return SdJobOk.parse(await stream.receive_packet(timeout=10))


async def use_storage(
    stream: BareosStream,
    *,
    append: bool,
    devices: Sequence[str] = ("FileStorage",),
    media_type: str = "File",
    pool: str = "Full",
) -> list[bytes]:
    """The reservation; returns what the SD sent up to its ``3000``/``39xx`` answer."""
    await stream.send(
        f"use storage=File media_type={media_type} pool_name={pool} pool_type=Backup "
        f"append={int(append)} copy=0 stripe=0\n"
    )
    for dev in devices:
        await stream.send(f"use device={dev}\n")
    await stream.send_signal(Signal.EOD)
    await stream.send_signal(Signal.EOD)
    got: list[bytes] = []
    while True:
        payload = await stream.receive_packet(timeout=10)
        got.append(payload)
        if payload[:1] in (b"3",):
            return got


async def send_bootstrap(stream: BareosStream, bsr: Bootstrap) -> bytes:
    await stream.send(b"bootstrap\n")
    for packet in bsr.packets():
        await stream.send(packet)
    await stream.send_signal(Signal.EOD)
    return await stream.receive_packet(timeout=10)


# ---------------------------------------------------------------- the Director's side


@attrs.define
class Outcome:
    """Everything the SD sent on the Director connection during ``run``."""

    lines: list[bytes] = attrs.field(factory=list)
    jmsgs: list[str] = attrs.field(factory=list)
    statuses: list[int] = attrs.field(factory=list)
    attributes: list[CatalogRecord] = attrs.field(factory=list)
    end: SdJobEnd | None = None
    signals: list[Signal] = attrs.field(factory=list)

    def jmsg_types(self) -> list[int]:
        return [int(j.split(" type=", 1)[1].split()[0]) for j in self.jmsgs]


@attrs.define
class FakeDirector:
    """Answers the SD's catalog requests from an in-memory catalog."""

    volume: str = "Full-0001"
    volumes: dict[str, MediaInfo] = attrs.field(factory=dict)
    jobmedia: list[CatReqCreateJobMedia] = attrs.field(factory=list)
    no_media: bool = False

    def answer(self, payload: bytes) -> bytes | None:
        text = payload.decode("utf-8", "replace")
        words = text.split()
        if text.startswith("CatReq") and " FindMedia=" in text:
            if self.no_media:
                return b"1901 No Media.\n"
            if self.volume not in self.volumes:
                self.volumes[self.volume] = MediaInfo(
                    volume=self.volume, max_vol_bytes=1 << 40, media_id=len(self.volumes) + 1
                )
            return self.volumes[self.volume].encode()
        if text.startswith("CatReq") and " GetVolInfo " in text:
            name = next(w for w in words if w.startswith("VolName=")).split("=", 1)[1]
            vol = self.volumes.get(name)
            return vol.encode() if vol else f'1997 Volume "{name}" not in catalog.\n'.encode()
        if text.startswith("CatReq") and " UpdateMedia " in text:
            req = CatReqUpdateMedia.parse(payload)
            old = self.volumes.get(req.volume, MediaInfo(volume=req.volume))
            new = attrs.evolve(
                old, vol_jobs=req.vol_jobs, vol_files=req.vol_files, vol_blocks=req.vol_blocks,
                vol_bytes=req.vol_bytes, vol_mounts=req.vol_mounts, vol_errors=req.vol_errors,
                vol_writes=req.vol_writes, vol_status=req.vol_status,
                vol_read_time=req.vol_read_time, vol_write_time=req.vol_write_time,
            )  # fmt: skip
            self.volumes[req.volume] = new
            return new.encode()
        if text.startswith("CatReq") and " CreateJobMedia " in text:
            self.jobmedia.append(CatReqCreateJobMedia.parse(payload))
            return b"1000 OK CreateJobMedia\n"
        if text.startswith("CatReq") and " DeleteNullJobmediaRecords " in text:
            return b"1000 OK DeleteNullJobmediaRecords\n"
        return None

    def bootstrap(self, job: SdJobOk, *, device: str = "FileStorage") -> Bootstrap:
        """A bootstrap for every file of the job, from its JobMedia records."""
        entries = []
        for jm in self.jobmedia:
            if jm.first_index == 0:
                continue
            start = (jm.start_file << 32) | jm.start_block
            end = (jm.end_file << 32) | jm.end_block
            vol = next(v for v in self.volumes.values() if v.media_id == jm.media_id)
            entries.append(
                BootstrapEntry(
                    volume=vol.volume, media_type="File", device=device, storage="File",
                    vol_session_id=[job.vol_session_id], vol_session_time=job.vol_session_time,
                    vol_addr=[IndexRange(start, end)],
                    file_index=[IndexRange(jm.first_index, jm.last_index)],
                    count=jm.last_index - jm.first_index + 1,
                )  # fmt: skip
            )
        return Bootstrap(entries)

    async def drive(self, stream: BareosStream, *, timeout: float = 20) -> Outcome:
        """Read the job's messages, answer its requests, until 3099 + EOD (or the end)."""
        out = Outcome()
        with trio.fail_after(timeout):
            while True:
                try:
                    frame = await stream.receive(timeout=timeout)
                except BareosError:
                    return out
                if isinstance(frame, SignalFrame):
                    out.signals.append(frame.signal)
                    if frame.signal is Signal.EOD and out.end is not None:
                        return out
                    if frame.signal is Signal.TERMINATE:
                        return out
                    continue
                assert isinstance(frame, Packet)
                payload = frame.payload
                out.lines.append(payload)
                if payload.startswith(b"UpdCat"):
                    out.attributes.append(UpdCatFileAttributes.parse(payload).record)
                elif payload.startswith(b"Jmsg"):
                    out.jmsgs.append(payload.decode("utf-8", "replace"))
                elif payload.startswith(b"Status Job="):
                    out.statuses.append(int(payload.split(b"JobStatus=")[1]))
                elif payload.startswith(b"3099 "):
                    out.end = SdJobEnd.parse(payload)
                else:
                    reply = self.answer(payload)
                    if reply is not None:
                        await stream.send(reply)


# ---------------------------------------------------------------- the File daemon's side


@attrs.frozen
class Record:
    file_index: int
    stream: int
    data: bytes


def generated_files() -> list[Record]:
    """Nested names with spaces and UTF-8, an empty file, a 5 MB file in 64 KiB packets."""
    big = bytes((i * 7 + i // 251) & 0xFF for i in range(5 * 1024 * 1024))
    files: list[tuple[str, bytes | None]] = [
        ("/srv/data/with space/Ünïcödé dir/€ file.txt", b"hello\n" * 100),
        ("/srv/data/empty file", b""),
        ("/srv/data/deep/er/still deeper/big.bin", big),
        ("/srv/data/deep/er/still deeper/", None),
    ]
    records: list[Record] = []
    for index, (name, data) in enumerate(files, start=1):
        ftype = FileType.DIREND if data is None else (FileType.REGE if not data else FileType.REG)
        stat = Stat(mode=0o40755 if data is None else 0o100644, size=len(data or b""),
                    data_stream=Stream.FILE_DATA if data else 0)  # fmt: skip
        attr = AttributeRecord(index, ftype, name, stat).encode()
        records.append(Record(index, Stream.UNIX_ATTRIBUTES, attr))
        if data:
            for off in range(0, len(data), 65536):
                records.append(Record(index, Stream.FILE_DATA, data[off : off + 65536]))
            records.append(Record(index, Stream.MD5_DIGEST, hashlib.md5(data).digest()))
    return records


async def fd_connect(port: int, job: str, key: str, *, tls: bool = False) -> BareosStream:
    stream, _ = await open_connection(
        "6", host="127.0.0.1", port=port, hello_name=job, own_name="bareos-fd",
        key=key.encode(), tls=TlsSettings() if tls else CLEARTEXT, tls_first=tls,
        require_psk=tls, timeout=10,
    )  # fmt: skip
    return stream


async def send_records(stream: BareosStream, records: Sequence[Record]) -> None:
    """Headers, data packets, EOD per (FileIndex, Stream) run (FD append format)."""
    last: tuple[int, int] | None = None
    for rec in records:
        if (rec.file_index, rec.stream) != last:
            if last is not None:
                await stream.send_signal(Signal.EOD)
            await stream.send(DataHeader(rec.file_index, rec.stream).encode())
            last = (rec.file_index, rec.stream)
        await stream.send(rec.data)
    if last is not None:
        await stream.send_signal(Signal.EOD)


async def fd_backup(stream: BareosStream, records: Sequence[Record]) -> list[bytes | Signal]:
    """A whole append session; returns the SD's answers."""
    got: list[bytes | Signal] = []

    async def expect() -> bytes:
        payload = await stream.receive_packet(timeout=20)
        got.append(payload)
        return payload

    await stream.send(b"append open session\n")
    ticket = int((await expect()).split(b"=")[1])
    await stream.send(f"append data {ticket}\n")
    assert await expect() == b"3000 OK data\n"
    await send_records(stream, records)
    await stream.send_signal(Signal.EOD)
    assert await expect() == b"3000 OK append data\n"
    await stream.send(f"append end session {ticket}\n")
    await expect()
    await stream.send(f"append close session {ticket}\n")
    await expect()
    frame = await stream.receive(timeout=10)
    got.append(frame.signal if isinstance(frame, SignalFrame) else frame.payload)
    await stream.send_signal(Signal.TERMINATE)
    await stream.aclose()
    return got


@attrs.define
class RestoreResult:
    records: list[Record] = attrs.field(factory=list)
    headers: list[RestoreRecordHeader] = attrs.field(factory=list)
    replies: list[bytes | Signal] = attrs.field(factory=list)


async def fd_restore(stream: BareosStream) -> RestoreResult:
    """``read open/data/close``; collects every record until the SD's EOD."""
    out = RestoreResult()
    await stream.send(b"read open session = DummyVolume 1 1 0 0 0 0\n")
    reply = await stream.receive_packet(timeout=10)
    out.replies.append(reply)
    ticket = int(reply.split(b"=")[1])
    await stream.send(f"read data {ticket}\n")
    out.replies.append(await stream.receive_packet(timeout=10))
    if out.replies[-1] != b"3000 OK data\n":
        return out
    while True:
        frame = await stream.receive(timeout=20)
        if isinstance(frame, SignalFrame):
            out.replies.append(frame.signal)
            break
        header = RestoreRecordHeader.parse(frame.payload)
        data = await stream.receive_packet(timeout=20)
        assert len(data) == header.data_len
        out.headers.append(header)
        out.records.append(Record(header.file_index, header.stream, data))
    try:
        await stream.send(f"read close session {ticket}\n")
        while True:
            frame = await stream.receive(timeout=10)
            out.replies.append(frame.signal if isinstance(frame, SignalFrame) else frame.payload)
            if isinstance(frame, SignalFrame):
                break
        await stream.send_signal(Signal.TERMINATE)
    except BareosError:
        pass
    await stream.aclose()
    return out


__all__ = [
    "CLEAR",
    "JobType",
    "SD_KEY",
    "SECRET",
    "FakeDirector",
    "Outcome",
    "Record",
    "RestoreResult",
    "Sd",
    "announce",
    "connect_director",
    "fd_backup",
    "fd_connect",
    "fd_restore",
    "generated_files",
    "job_command",
    "run_backup",
    "run_restore",
    "running_sd",
    "sd_config",
    "send_bootstrap",
    "send_records",
    "use_storage",
]


# ---------------------------------------------------------------- whole jobs


@attrs.frozen
class BackupRun:
    ok: SdJobOk
    outcome: Outcome
    fd_replies: list[bytes | Signal]


async def run_backup(sd: Sd, director: FakeDirector, job_id: int, job: str,
                     records: Sequence[Record], *, tls: bool = False) -> BackupRun:  # fmt: skip
    """A complete active-client backup: announce, reserve, FD session, catalog traffic."""
    dir_stream = await connect_director(sd.port, tls=tls)
    ok = await announce(dir_stream, job_id, job)
    reply = await use_storage(dir_stream, append=True)
    assert reply[-1] == b"3000 OK use device device=JustInTime\x01Device\n"
    fd = await fd_connect(sd.port, job, ok.authorization, tls=tls)
    await dir_stream.send(b"run")
    result: dict[str, Any] = {}
    async with trio.open_nursery() as nursery:

        async def director_side() -> None:
            result["out"] = await director.drive(dir_stream)

        nursery.start_soon(director_side)
        result["fd"] = await fd_backup(fd, records)
    await dir_stream.aclose()
    return BackupRun(ok, result["out"], result["fd"])


@attrs.frozen
class RestoreRun:
    ok: SdJobOk
    outcome: Outcome
    restore: RestoreResult


async def run_restore(sd: Sd, director: FakeDirector, job_id: int, job: str,
                      bsr: Bootstrap) -> RestoreRun:  # fmt: skip
    dir_stream = await connect_director(sd.port)
    ok = await announce(dir_stream, job_id, job, job_type="R", level=" ")
    assert await send_bootstrap(dir_stream, bsr) == b"3000 OK bootstrap\n"
    assert (await use_storage(dir_stream, append=False))[-1] == (
        b"3000 OK use device device=FileStorage\n"
    )
    fd = await fd_connect(sd.port, job, ok.authorization)
    await dir_stream.send(b"run")
    result: dict[str, Any] = {}
    async with trio.open_nursery() as nursery:

        async def director_side() -> None:
            result["out"] = await director.drive(dir_stream)

        nursery.start_soon(director_side)
        result["fd"] = await fd_restore(fd)
    await dir_stream.aclose()
    return RestoreRun(ok, result["out"], result["fd"])
