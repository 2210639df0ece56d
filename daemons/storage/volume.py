"""The Storage daemon emulator's volume files (our own format, not Bareos's).

A volume is one file: a label header written when the volume is labelled,
then records appended by backup sessions.  Everything is big-endian.

File header (written once, at label time)::

    magic        8 bytes   b"BNETVOL\\n"
    version      u16       FORMAT_VERSION (1)
    name_len     u16       then the volume name, UTF-8
    media_len    u16       then the media type, UTF-8
    label_time   i64       seconds since the epoch
    header_crc   u32       CRC-32 of every header byte before it

Record (one per data packet the SD received; a payload larger than the
writer's ``chunk_size`` is stored as several records, all but the last
flagged CONTINUED)::

    magic        4 bytes   b"BREC"
    flags        u32       bit 0: CONTINUED (more chunks of the same payload follow)
    session_id   u32       VolSessionId
    session_time u32       VolSessionTime
    file_index   i32       FileIndex (may be negative for Bareos labels)
    stream       i32       Stream
    length       u32       payload length
    crc          u32       CRC-32 of the 28 header bytes above + payload
    payload      <length> bytes

What the Storage daemon puts in records (``daemons.storage.devices``): one
record per data packet of an append session, with the session's
VolSessionId/Time; each session is framed by a ``SOS_LABEL`` (FileIndex -4)
and an ``EOS_LABEL`` (FileIndex -5) record whose stream is the JobId and
whose payload is ``"SOS|EOS job=<job> jobid=<n> status=<c> files=<n>
bytes=<n> time=<t>"`` -- a read session refuses a session whose EOS label is
missing or reports a failed job.

Records are appended to the file in append mode; ``close()`` flushes and
fsyncs, so a crash can at worst leave a truncated last record, which the
reader reports (:class:`VolumeTruncatedError`) and
:meth:`VolumeWriter.open_append` refuses to write after (or cuts off, when
asked).  A record's *address* is the file offset of its magic; that is the
``VolAddr`` a bootstrap names.  Pure file I/O, no trio: run it in a worker
thread from async code.
"""

from __future__ import annotations

import os
import struct
import time
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO, Self

import attrs

from bareosnet.errors import BareosError

FILE_MAGIC = b"BNETVOL\n"
FORMAT_VERSION = 1
RECORD_MAGIC = b"BREC"
FLAG_CONTINUED = 0x1
# One record's payload fits in one BSOCK packet (1,000,000 - 4 bytes).
DEFAULT_CHUNK_SIZE = 999_996

_HEAD_FIXED = struct.Struct(">8sH")
_U16 = struct.Struct(">H")
_I64 = struct.Struct(">q")
_U32 = struct.Struct(">I")
_REC = struct.Struct(">4sIIIiiI")  # everything the CRC covers, before the CRC
RECORD_HEADER_SIZE = _REC.size + _U32.size  # 32


class VolumeError(BareosError):
    """A volume file is unusable."""


class VolumeFormatError(VolumeError):
    """Not one of our volumes, or an unsupported version / damaged header."""


class VolumeChecksumError(VolumeError):
    """A record's CRC does not match: the volume is damaged."""


class VolumeTruncatedError(VolumeError):
    """The file ends inside a record."""


@attrs.frozen
class VolumeLabel:
    volume_name: str
    media_type: str
    label_time: int
    version: int = FORMAT_VERSION
    data_start: int = 0  # offset of the first record


@attrs.frozen
class VolumeRecord:
    """One stored record (one chunk, when a payload was split)."""

    vol_session_id: int
    vol_session_time: int
    file_index: int
    stream: int
    payload: bytes
    address: int = 0  # file offset of the record
    continued: bool = False  # more chunks of the same payload follow


def _encode_label(volume_name: str, media_type: str, label_time: int) -> bytes:
    name = volume_name.encode("utf-8")
    media = media_type.encode("utf-8")
    if not name or len(name) > 0xFFFF or len(media) > 0xFFFF:
        raise ValueError("volume name must be 1..65535 bytes, media type at most 65535")
    body = (
        _HEAD_FIXED.pack(FILE_MAGIC, FORMAT_VERSION)
        + _U16.pack(len(name))
        + name
        + _U16.pack(len(media))
        + media
        + _I64.pack(label_time)
    )
    return body + _U32.pack(zlib.crc32(body))


def _read_exact(f: BinaryIO, n: int) -> bytes:
    data = f.read(n)
    return data if data is not None else b""


def _read_label(f: BinaryIO, path: Path) -> VolumeLabel:
    def need(n: int) -> bytes:
        data = _read_exact(f, n)
        if len(data) != n:
            raise VolumeFormatError(f"volume {path}: file too short for a volume header")
        return data

    fixed = need(_HEAD_FIXED.size)
    magic, version = _HEAD_FIXED.unpack(fixed)
    if magic != FILE_MAGIC:
        raise VolumeFormatError(f"{path} is not a bareosnet volume (bad magic)")
    if version != FORMAT_VERSION:
        raise VolumeFormatError(f"volume {path}: unsupported format version {version}")
    raw_name_len = need(2)
    name = need(_U16.unpack(raw_name_len)[0])
    raw_media_len = need(2)
    media = need(_U16.unpack(raw_media_len)[0])
    raw_time = need(_I64.size)
    (crc,) = _U32.unpack(need(4))
    body = fixed + raw_name_len + name + raw_media_len + media + raw_time
    if zlib.crc32(body) != crc:
        raise VolumeFormatError(f"volume {path}: header checksum mismatch")
    try:
        return VolumeLabel(
            volume_name=name.decode("utf-8"),
            media_type=media.decode("utf-8"),
            label_time=_I64.unpack(raw_time)[0],
            version=version,
            data_start=f.tell(),
        )
    except UnicodeDecodeError:
        raise VolumeFormatError(f"volume {path}: header names are not UTF-8") from None


def read_label(path: str | os.PathLike[str]) -> VolumeLabel:
    p = Path(path)
    with p.open("rb") as f:
        return _read_label(f, p)


def _scan_end(f: BinaryIO, path: Path, start: int, size: int) -> tuple[int, int]:
    """Walk record headers from ``start``; return (end of last whole record, record count)."""
    pos, count = start, 0
    while pos < size:
        f.seek(pos)
        header = _read_exact(f, RECORD_HEADER_SIZE)
        if len(header) < RECORD_HEADER_SIZE:
            break
        magic, _flags, _sid, _stime, _fi, _stream, length = _REC.unpack_from(header)
        if magic != RECORD_MAGIC or pos + RECORD_HEADER_SIZE + length > size:
            break
        pos += RECORD_HEADER_SIZE + length
        count += 1
    return pos, count


class VolumeWriter:
    """Appends records to a volume; use :meth:`create` or :meth:`open_append`."""

    def __init__(
        self, path: Path, f: BinaryIO, label: VolumeLabel, *, chunk_size: int = DEFAULT_CHUNK_SIZE
    ) -> None:
        if chunk_size <= 0:
            raise ValueError("chunk_size must be positive")
        self.path = path
        self.label = label
        self.chunk_size = chunk_size
        self._f: BinaryIO | None = f
        self._pos = f.seek(0, os.SEEK_END)

    @classmethod
    def create(
        cls,
        path: str | os.PathLike[str],
        volume_name: str,
        media_type: str,
        *,
        label_time: int | None = None,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
    ) -> Self:
        """Label a new volume; an existing file is never overwritten."""
        p = Path(path)
        when = int(time.time()) if label_time is None else label_time
        header = _encode_label(volume_name, media_type, when)
        f = p.open("xb")
        try:
            f.write(header)
            f.flush()
            os.fsync(f.fileno())
        except BaseException:
            f.close()
            raise
        f.close()
        return cls.open_append(p, chunk_size=chunk_size)

    @classmethod
    def open_append(
        cls,
        path: str | os.PathLike[str],
        *,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
        truncate_damaged_tail: bool = False,
    ) -> Self:
        """Open a labelled volume for appending.

        A partial record at the end (an interrupted write) is refused unless
        ``truncate_damaged_tail`` cuts it off.
        """
        p = Path(path)
        with p.open("rb") as f:
            label = _read_label(f, p)
            size = f.seek(0, os.SEEK_END)
            end, _count = _scan_end(f, p, label.data_start, size)
        if end != size:
            if not truncate_damaged_tail:
                raise VolumeTruncatedError(
                    f"volume {p}: {size - end} damaged bytes after offset {end}; "
                    "refusing to append (open with truncate_damaged_tail=True to cut them)"
                )
            os.truncate(p, end)
        f2 = p.open("ab")
        return cls(p, f2, label, chunk_size=chunk_size)

    @property
    def position(self) -> int:
        """The address the next record will get."""
        return self._pos

    def write(
        self,
        vol_session_id: int,
        vol_session_time: int,
        file_index: int,
        stream: int,
        payload: bytes,
    ) -> int:
        """Append a payload (split into chunks if large); return its first address."""
        if self._f is None:
            raise VolumeError(f"volume {self.path} is closed")
        first = self._pos
        chunks = [payload[i : i + self.chunk_size] for i in range(0, len(payload), self.chunk_size)]
        if not chunks:
            chunks = [b""]
        for i, chunk in enumerate(chunks):
            flags = FLAG_CONTINUED if i < len(chunks) - 1 else 0
            head = _REC.pack(
                RECORD_MAGIC,
                flags,
                vol_session_id,
                vol_session_time,
                file_index,
                stream,
                len(chunk),
            )
            crc = zlib.crc32(chunk, zlib.crc32(head))
            self._f.write(head + _U32.pack(crc) + chunk)
            self._pos += RECORD_HEADER_SIZE + len(chunk)
        return first

    def flush(self) -> None:
        if self._f is not None:
            self._f.flush()
            os.fsync(self._f.fileno())

    def close(self) -> None:
        if self._f is not None:
            try:
                self.flush()
            finally:
                self._f.close()
                self._f = None

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


type RecordFilter = Callable[[int, int, int], bool]


class VolumeReader:
    """Iterates a volume's records, checking each one."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._f: BinaryIO | None = self.path.open("rb")
        try:
            self.label = _read_label(self._f, self.path)
            self._size = self._f.seek(0, os.SEEK_END)
        except BaseException:
            self._f.close()
            raise

    def close(self) -> None:
        if self._f is not None:
            self._f.close()
            self._f = None

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def records(
        self,
        *,
        vol_session_id: int | None = None,
        vol_session_time: int | None = None,
        file_indexes: tuple[tuple[int, int], ...] | None = None,
        select: RecordFilter | None = None,
        start: int | None = None,
        end: int | None = None,
    ) -> Iterator[VolumeRecord]:
        """Yield the records that pass every given filter, in volume order.

        ``file_indexes`` are inclusive ``(first, last)`` ranges; ``select`` is
        called as ``select(session_id, session_time, file_index)`` (e.g.
        ``Bootstrap.matches``); ``start``/``end`` bound the record addresses
        (a bootstrap's ``VolAddr``).  Records that are skipped are not read;
        every yielded one has been checked against its CRC.
        """
        f = self._f
        if f is None:
            raise VolumeError(f"volume {self.path} is closed")
        pos = self.label.data_start if start is None else max(start, self.label.data_start)
        while pos < self._size and (end is None or pos <= end):
            f.seek(pos)
            header = _read_exact(f, RECORD_HEADER_SIZE)
            if len(header) < RECORD_HEADER_SIZE:
                raise VolumeTruncatedError(
                    f"volume {self.path}: truncated record header at offset {pos} "
                    f"({len(header)} of {RECORD_HEADER_SIZE} bytes)"
                )
            magic, flags, sid, stime, findex, stream, length = _REC.unpack_from(header)
            if magic != RECORD_MAGIC:
                raise VolumeFormatError(
                    f"volume {self.path}: no record at offset {pos} (bad magic {magic!r})"
                )
            next_pos = pos + RECORD_HEADER_SIZE + length
            if next_pos > self._size:
                raise VolumeTruncatedError(
                    f"volume {self.path}: record at offset {pos} announces {length} bytes, "
                    f"only {self._size - pos - RECORD_HEADER_SIZE} left"
                )
            wanted = (
                (vol_session_id is None or sid == vol_session_id)
                and (vol_session_time is None or stime == vol_session_time)
                and (file_indexes is None or any(lo <= findex <= hi for lo, hi in file_indexes))
                and (select is None or select(sid, stime, findex))
            )
            if wanted:
                payload = _read_exact(f, length)
                if len(payload) != length:
                    raise VolumeTruncatedError(
                        f"volume {self.path}: record at offset {pos} is cut short"
                    )
                (stored_crc,) = _U32.unpack_from(header, _REC.size)
                computed = zlib.crc32(payload, zlib.crc32(header[: _REC.size]))
                if stored_crc != computed:
                    raise VolumeChecksumError(
                        f"volume {self.path}: record at offset {pos} (FileIndex {findex}, "
                        f"stream {stream}) checksum mismatch: stored {stored_crc:#010x}, "
                        f"computed {computed:#010x}"
                    )
                yield VolumeRecord(
                    sid,
                    stime,
                    findex,
                    stream,
                    payload,
                    address=pos,
                    continued=bool(flags & FLAG_CONTINUED),
                )
            pos = next_pos

    def payloads(self, **filters: object) -> Iterator[VolumeRecord]:
        """Like :meth:`records` but with the chunks of each payload joined.

        The yielded record carries the address of its first chunk and
        ``continued=False``.
        """
        pending: list[VolumeRecord] = []
        for rec in self.records(**filters):  # type: ignore[arg-type]
            pending.append(rec)
            if rec.continued:
                continue
            first = pending[0]
            if any(
                (r.vol_session_id, r.vol_session_time, r.file_index, r.stream)
                != (first.vol_session_id, first.vol_session_time, first.file_index, first.stream)
                for r in pending
            ):
                raise VolumeFormatError(
                    f"volume {self.path}: chunks at offset {first.address} do not belong together"
                )
            yield attrs.evolve(first, payload=b"".join(r.payload for r in pending), continued=False)
            pending = []
        if pending:
            raise VolumeTruncatedError(
                f"volume {self.path}: payload at offset {pending[0].address} misses its last chunk"
            )
