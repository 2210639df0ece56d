"""Devices and the volume files on them, as jobs use them.

A ``Device`` resource's ``Archive Device`` is a directory; a volume is the
file ``<Archive Device>/<volume name>`` in the format of
:mod:`daemons.storage.volume`.  Several jobs may append to the same volume:
they share one :class:`~daemons.storage.volume.VolumeWriter` (one per path)
and write whole batches ("blocks") under its lock, so records of different
sessions interleave only at block boundaries, as on a real device.

Every append session is framed by two label records (Bareos's session
labels): ``SOS_LABEL`` (FileIndex -4) when the session starts and
``EOS_LABEL`` (FileIndex -5) with the job's final status when it ends, both
with the session's VolSessionId/Time and the JobId as stream.  A read
session checks the EOS label of every session it is asked for: a session
that ended in error, or never ended, is not restored as if it were good.
"""

from __future__ import annotations

import builtins
import time
from collections.abc import Generator, Iterable
from pathlib import Path
from typing import Any

import attrs
import trio

from daemons.storage.volume import VolumeError, VolumeReader, VolumeRecord, VolumeWriter

# Bareos label FileIndex values (``stored/record.h``).
PRE_LABEL = -1
VOL_LABEL = -2
SOS_LABEL = -4
EOS_LABEL = -5

DEFAULT_BLOCK_SIZE = 1_048_576  # Device "Maximum Block Size" default


def print_name(res: Any) -> str:
    """Bareos ``print_name()``: ``"FileStorage" (/var/lib/bareos/storage)``."""
    return f'"{res.name}" ({res.get("ArchiveDevice") or ""})'


def archive_dir(res: Any) -> Path:
    return Path(str(res.get("ArchiveDevice") or "."))


def block_size(res: Any) -> int:
    value = res.get("MaximumBlockSize") or DEFAULT_BLOCK_SIZE
    return max(64 * 1024, int(value))


def matching_devices(cfg: Any, names: Iterable[str], media_type: str) -> list[Any]:
    """Device resources named (directly or via an Autochanger) with this Media Type."""
    found: list[Any] = []
    for name in names:
        candidates: list[Any] = []
        dev = cfg.get("Device", name)
        if dev is not None:
            candidates.append(dev)
        changer = cfg.get("Autochanger", name)
        if changer is not None:
            candidates += [d for d in (cfg.get("Device", n) for n in changer.get("Device") or ())
                           if d is not None]  # fmt: skip
        for res in candidates:
            if str(res.get("MediaType") or "") == media_type and res not in found:
                found.append(res)
    return found


# ---------------------------------------------------------------- session labels


@attrs.frozen
class SessionLabel:
    """What a SOS/EOS label record carries (our own text payload)."""

    kind: str  # "SOS" / "EOS"
    job: str
    job_id: int
    status: str = "R"
    files: int = 0
    byte_count: int = 0
    time: int = 0

    def encode(self) -> builtins.bytes:
        return (
            f"{self.kind} job={self.job} jobid={self.job_id} status={self.status} "
            f"files={self.files} bytes={self.byte_count} time={self.time}"
        ).encode("utf-8", "surrogateescape")

    @classmethod
    def decode(cls, payload: builtins.bytes) -> SessionLabel | None:
        words = payload.decode("utf-8", "surrogateescape").split()
        if not words or words[0] not in ("SOS", "EOS"):
            return None
        fields = dict(w.split("=", 1) for w in words[1:] if "=" in w)
        try:
            return cls(
                kind=words[0],
                job=fields.get("job", ""),
                job_id=int(fields.get("jobid", "0")),
                status=fields.get("status", "?")[:1] or "?",
                files=int(fields.get("files", "0")),
                byte_count=int(fields.get("bytes", "0")),
                time=int(fields.get("time", "0")),
            )
        except ValueError:
            return None


# ---------------------------------------------------------------- volumes


@attrs.define(eq=False)
class SharedVolume:
    """An open volume file appended to by one or more jobs."""

    path: Path
    writer: VolumeWriter
    lock: trio.Lock = attrs.field(factory=trio.Lock)
    users: int = 0
    blocks_written: int = 0


@attrs.frozen
class BlockWritten:
    first: int  # address of the first record of the batch
    end: int  # file size after the batch
    micros: int  # time spent writing (VolWriteTime units)


type PendingRecord = tuple[int, int, int, int, bytes]  # sid, stime, FileIndex, stream, data


def _write_block(writer: VolumeWriter, records: list[PendingRecord]) -> BlockWritten:
    began = time.perf_counter()
    first = writer.position
    for sid, stime, findex, stream, data in records:
        writer.write(sid, stime, findex, stream, data)
    writer.flush()
    micros = max(1, int((time.perf_counter() - began) * 1_000_000))
    return BlockWritten(first, writer.position, micros)


class VolumeTable:
    """The volumes currently open for appending, by path (one writer each)."""

    def __init__(self) -> None:
        self._open: dict[Path, SharedVolume] = {}

    async def open_append(
        self, path: Path, volume: str, media_type: str
    ) -> tuple[SharedVolume, bool]:
        """Open (or label, when the file does not exist) a volume; returns (volume, labelled)."""
        path = path.resolve()
        shared = self._open.get(path)
        labelled = False
        if shared is None:

            def open_or_create() -> tuple[VolumeWriter, bool]:
                if path.exists():
                    return VolumeWriter.open_append(path), False
                path.parent.mkdir(parents=True, exist_ok=True)
                return VolumeWriter.create(path, volume, media_type), True

            writer, labelled = await trio.to_thread.run_sync(open_or_create)
            shared = SharedVolume(path, writer)
            self._open[path] = shared
        shared.users += 1
        return shared, labelled

    async def write(self, shared: SharedVolume, records: list[PendingRecord]) -> BlockWritten:
        async with shared.lock:
            done = await trio.to_thread.run_sync(_write_block, shared.writer, records)
            shared.blocks_written += 1
            return done

    async def release(self, shared: SharedVolume) -> None:
        shared.users -= 1
        if shared.users <= 0:
            self._open.pop(shared.path, None)
            async with shared.lock:
                await trio.to_thread.run_sync(shared.writer.close)


def session_endings(path: Path) -> dict[tuple[int, int], SessionLabel]:
    """The EOS label of every session on the volume (labels only are read)."""
    out: dict[tuple[int, int], SessionLabel] = {}
    with VolumeReader(path) as reader:
        for rec in reader.records(select=lambda _sid, _stime, fi: fi == EOS_LABEL):
            label = SessionLabel.decode(rec.payload)
            if label is not None:
                out[(rec.vol_session_id, rec.vol_session_time)] = label
    return out


def read_batches(
    path: Path, *, start: int | None, end: int | None, select: Any, max_bytes: int
) -> Generator[list[VolumeRecord]]:
    """The selected data records (FileIndex > 0), joined chunks, in batches (worker thread)."""
    with VolumeReader(path) as reader:
        batch: list[VolumeRecord] = []
        size = 0
        try:
            for rec in reader.payloads(start=start, end=end, select=select):
                batch.append(rec)
                size += len(rec.payload)
                if size >= max_bytes:
                    yield batch
                    batch, size = [], 0
        except VolumeError:
            if batch:  # the good records before the damage still go out, then the error
                yield batch
            raise
        if batch:
            yield batch


@attrs.define(eq=False)
class DeviceUse:
    """A device in use by a job: what ``status`` shows."""

    name: str
    archive_device: str
    volume: str
    pool: str
    media_type: str
    reading: bool = False

    @property
    def print_name(self) -> str:
        return f'"{self.name}" ({self.archive_device})'
