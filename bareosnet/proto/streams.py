"""Data streams: stream numbers and the record headers that frame them.

Three shapes of one thing (a *record*: FileIndex + Stream + bytes) travel
between the daemons:

* FD -> SD during a backup (and SD -> SD during replication): a header packet
  ``"<FileIndex> <Stream> <info>"`` (no newline; ``info`` is always 0), then
  one or more data packets, then ``BNET_EOD``
  (:class:`DataHeader`).
* SD -> FD during a restore: a header packet
  ``"rechdr <VolSessionId> <VolSessionTime> <FileIndex> <Stream> <data_len>"``
  (no newline) followed by exactly one data packet
  (:class:`RestoreRecordHeader`).
* SD -> Director for attribute records (and digests): ``UpdCat Job=<job>
  FileAttributes `` followed by a 20-byte big-endian binary header
  (VolSessionId u32, VolSessionTime u32, FileIndex i32, Stream i32, data
  length u32) and the record bytes (:class:`CatalogRecord`; the text prefix
  is built by :class:`bareosnet.proto.jobcmds.UpdCatFileAttributes`).
"""

from __future__ import annotations

import re
import struct
from enum import IntEnum

import attrs

from bareosnet.errors import ProtocolError


class Stream(IntEnum):
    """Stream numbers (Bareos ``include/streams.h``) that a plain backup uses and a few more."""

    NONE = 0
    UNIX_ATTRIBUTES = 1
    FILE_DATA = 2
    MD5_DIGEST = 3
    GZIP_DATA = 4  # deprecated
    UNIX_ATTRIBUTES_EX = 5  # deprecated
    SPARSE_DATA = 6
    SPARSE_GZIP_DATA = 7  # deprecated
    PROGRAM_NAMES = 8
    PROGRAM_DATA = 9
    SHA1_DIGEST = 10
    WIN32_DATA = 11
    WIN32_GZIP_DATA = 12  # deprecated
    MACOS_FORK_DATA = 13
    HFSPLUS_ATTRIBUTES = 14
    UNIX_ACCESS_ACL = 15  # deprecated
    UNIX_DEFAULT_ACL = 16  # deprecated
    SHA256_DIGEST = 17
    SHA512_DIGEST = 18
    SIGNED_DIGEST = 19
    ENCRYPTED_FILE_DATA = 20
    ENCRYPTED_WIN32_DATA = 21
    ENCRYPTED_SESSION_DATA = 22
    ENCRYPTED_FILE_GZIP_DATA = 23  # deprecated
    ENCRYPTED_WIN32_GZIP_DATA = 24  # deprecated
    ENCRYPTED_MACOS_FORK_DATA = 25
    PLUGIN_NAME = 26
    PLUGIN_DATA = 27
    RESTORE_OBJECT = 28
    COMPRESSED_DATA = 29
    SPARSE_COMPRESSED_DATA = 30
    WIN32_COMPRESSED_DATA = 31
    ENCRYPTED_FILE_COMPRESSED_DATA = 32
    ENCRYPTED_WIN32_COMPRESSED_DATA = 33
    XXH128_DIGEST = 40
    NDMP_SEPARATOR = 999
    ACL_LINUX_DEFAULT_ACL = 1007
    ACL_LINUX_ACCESS_ACL = 1008
    XATTR_LINUX = 1998


# Streams whose payload is a file digest, and the digest's length in bytes.
DIGEST_LENGTHS: dict[int, int] = {
    Stream.MD5_DIGEST: 16,
    Stream.SHA1_DIGEST: 20,
    Stream.SHA256_DIGEST: 32,
    Stream.SHA512_DIGEST: 64,
    Stream.XXH128_DIGEST: 16,
}

# FileSet "signature" option letters -> the stream the digest is sent on.
SIGNATURE_STREAMS: dict[str, int] = {
    "M": Stream.MD5_DIGEST,
    "S": Stream.SHA1_DIGEST,
    "S1": Stream.SHA1_DIGEST,
    "S2": Stream.SHA256_DIGEST,
    "S3": Stream.SHA512_DIGEST,
    "S4": Stream.XXH128_DIGEST,
}

# Stream numbers carry flag bits above bit 24 (plugin, delta, offsets, ...).
STREAM_MASK = 0x07FF_FFFF


def is_digest_stream(stream: int) -> bool:
    return (stream & STREAM_MASK) in DIGEST_LENGTHS


def _text(data: bytes) -> str:
    # Receivers treat payloads as C strings: anything after a NUL is ignored.
    return data.split(b"\0", 1)[0].decode("ascii", "replace")


_DATA_HEADER_RE = re.compile(r"\s*(-?\d+)\s+(-?\d+)(?:\s+(-?\d+))?\s*")


@attrs.frozen
class DataHeader:
    """``"<FileIndex> <Stream> <info>"``: starts one stream of one file (no newline)."""

    file_index: int
    stream: int
    info: int = 0

    def encode(self) -> bytes:
        return f"{self.file_index} {self.stream} {self.info}".encode()

    @classmethod
    def parse(cls, data: bytes) -> DataHeader:
        # The SD reads it with "%ld %ld": the info field is optional.
        m = _DATA_HEADER_RE.fullmatch(_text(data))
        if m is None:
            raise ProtocolError(f"malformed data header {data[:60]!r}")
        return cls(int(m.group(1)), int(m.group(2)), int(m.group(3) or 0))


_RECHDR_RE = re.compile(r"rechdr\s+(\d+)\s+(\d+)\s+(-?\d+)\s+(-?\d+)\s+(\d+)\s*")


@attrs.frozen
class RestoreRecordHeader:
    """``rechdr <VolSessionId> <VolSessionTime> <FileIndex> <Stream> <len>`` (SD -> FD)."""

    vol_session_id: int
    vol_session_time: int
    file_index: int
    stream: int
    data_len: int

    def encode(self) -> bytes:
        return (
            f"rechdr {self.vol_session_id} {self.vol_session_time} "
            f"{self.file_index} {self.stream} {self.data_len}"
        ).encode()

    @classmethod
    def parse(cls, data: bytes) -> RestoreRecordHeader:
        m = _RECHDR_RE.fullmatch(_text(data))
        if m is None:
            raise ProtocolError(f"malformed rechdr {data[:60]!r}")
        return cls(*(int(g) for g in m.groups()))


_CAT_HEADER = struct.Struct(">IIiiI")
CATALOG_HEADER_SIZE = _CAT_HEADER.size


@attrs.frozen
class CatalogRecord:
    """A volume record as the SD forwards it to the Director (binary header + data)."""

    vol_session_id: int
    vol_session_time: int
    file_index: int
    stream: int
    data: bytes

    def pack(self) -> bytes:
        return (
            _CAT_HEADER.pack(
                self.vol_session_id,
                self.vol_session_time,
                self.file_index,
                self.stream,
                len(self.data),
            )
            + self.data
        )

    @classmethod
    def unpack(cls, data: bytes) -> CatalogRecord:
        if len(data) < CATALOG_HEADER_SIZE:
            raise ProtocolError(
                f"catalog record of {len(data)} bytes is shorter than its "
                f"{CATALOG_HEADER_SIZE}-byte header"
            )
        sid, stime, findex, stream, length = _CAT_HEADER.unpack_from(data)
        body = data[CATALOG_HEADER_SIZE:]
        # The Director trusts the length field; extra bytes (e.g. a trailing NUL
        # some senders add) are ignored, missing bytes are an error.
        if len(body) < length:
            raise ProtocolError(
                f"catalog record announces {length} data bytes but carries {len(body)}"
            )
        return cls(sid, stime, findex, stream, bytes(body[:length]))
