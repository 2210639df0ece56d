"""Compressed data records: the compression header and the algorithms behind it.

With a ``Compression =`` option the File daemon compresses every data block
on its own (each record decompresses alone) and sends it on
``STREAM_COMPRESSED_DATA`` (29), or ``STREAM_SPARSE_COMPRESSED_DATA`` (30)
with ``Sparse = yes``.  A record is (Bareos ``filed/backup.cc``, ``include/ch.h``)::

    [uint64 file offset]               sparse records only, big endian
    uint32 magic                       "GZIP" "LZOX" "FZFZ" "FZ4L" "FZ4H" as big-endian ASCII
    uint32 compressed size             bytes after this 12-byte header
    uint16 level                       GZIP: 1-9; FZFZ/FZ4L/FZ4H: 1; LZOX: 0
    uint16 version                     1
    compressed bytes

(the C struct lists level and version before the size; the serialized order
above is the one on the wire).  The payload is a zlib stream for GZIP
(``deflate`` at the level, zlib header and Adler-32), an LZO1X block for
LZOX, and Bareos's fastlzlib block stream (:mod:`bareosnet.proto.fastlz`)
around FastLZ level 1 (FZFZ, ``LZFAST``) or LZ4 (FZ4L ``LZ4``, FZ4H ``LZ4HC``).

The deprecated ``STREAM_GZIP_DATA`` (4) / ``STREAM_SPARSE_GZIP_DATA`` (7) /
``STREAM_WIN32_GZIP_DATA`` (12) records of old File daemons are a bare zlib
stream without this header; a restore still reads them.
"""

from __future__ import annotations

import struct
import zlib
from enum import IntEnum

import attrs
import lz4.block

from bareosnet.errors import ProtocolError
from bareosnet.proto import fastlz, lzo1x
from bareosnet.proto.streams import Stream


class CompressionError(ProtocolError):
    """A compressed record that cannot be read (Bareos: a job error for that file)."""


def _magic(text: str) -> int:
    return int.from_bytes(text.encode("ascii"), "big")


class Algorithm(IntEnum):
    """``compression_type`` of ``include/ch.h``: the four letters as a big-endian integer."""

    NONE = _magic("NONE")
    GZIP = _magic("GZIP")
    LZO1X = _magic("LZOX")
    FZFZ = _magic("FZFZ")  # Compression = LZFAST (FastLZ)
    FZ4L = _magic("FZ4L")  # Compression = LZ4
    FZ4H = _magic("FZ4H")  # Compression = LZ4HC


# Bareos's CompressorName: what job messages call them.
ALGORITHM_NAMES = {
    Algorithm.GZIP: "GZIP",
    Algorithm.LZO1X: "LZO",
    Algorithm.FZFZ: "FASTLZ",
    Algorithm.FZ4L: "LZ4",
    Algorithm.FZ4H: "LZ4HC",
}

COMP_HEAD_VERSION = 1
_HEADER = struct.Struct(">IIHH")
HEADER_SIZE = _HEADER.size  # 12
OFFSET_SIZE = 8

COMPRESSED_STREAMS = frozenset(
    {
        Stream.COMPRESSED_DATA,
        Stream.SPARSE_COMPRESSED_DATA,
        Stream.WIN32_COMPRESSED_DATA,
    }
)
OLD_GZIP_STREAMS = frozenset({Stream.GZIP_DATA, Stream.SPARSE_GZIP_DATA, Stream.WIN32_GZIP_DATA})
SPARSE_STREAMS = frozenset(
    {Stream.SPARSE_DATA, Stream.SPARSE_GZIP_DATA, Stream.SPARSE_COMPRESSED_DATA}
)


@attrs.frozen
class CompressionHeader:
    magic: int
    size: int  # compressed bytes that follow
    level: int
    version: int = COMP_HEAD_VERSION

    def pack(self) -> bytes:
        return _HEADER.pack(self.magic, self.size, self.level, self.version)

    @classmethod
    def unpack(cls, data: bytes) -> CompressionHeader:
        if len(data) < HEADER_SIZE:
            raise CompressionError(f"compressed record of {len(data)} bytes has no header")
        return cls(*_HEADER.unpack_from(data))


@attrs.frozen
class Compression:
    """What one Options block asks for: the algorithm and the level in the header."""

    algorithm: Algorithm
    level: int

    @classmethod
    def from_keyword(cls, value: str | None) -> Compression | None:
        """From the ``compression`` value of :func:`~bareosnet.proto.fileset.keywords_from_options`.

        ``Z<n>`` is GZIP at level n (Bareos's FD reads any digit; 0 is zlib's
        "store"); the others carry level 1 (FastLZ/LZ4), LZO none.
        """
        if value is None:
            return None
        v = value.lower()
        if v.startswith("gzip"):
            digits = v[4:] or "6"
            return cls(Algorithm.GZIP, int(digits)) if digits.isdigit() else None
        table = {"lzo": (Algorithm.LZO1X, 0), "lzfast": (Algorithm.FZFZ, 1),
                 "lz4": (Algorithm.FZ4L, 1), "lz4hc": (Algorithm.FZ4H, 1)}  # fmt: skip
        if v in table:
            return cls(*table[v])
        return None

    @property
    def name(self) -> str:
        return ALGORITHM_NAMES.get(self.algorithm, f"0x{int(self.algorithm):x}")

    def compress(self, block: bytes) -> bytes:
        """One record's header and compressed bytes for one data block."""
        payload = compress_payload(self.algorithm, self.level, block)
        return CompressionHeader(self.algorithm, len(payload), self.level).pack() + payload


def _lz4(block: bytes) -> bytes:
    return lz4.block.compress(block, mode="default", store_size=False)


def _lz4hc(block: bytes) -> bytes:
    # LZ4_compressHC: the HC encoder at its default level (9).
    return lz4.block.compress(block, mode="high_compression", compression=9, store_size=False)


def _lz4_decompress(block: bytes, size: int) -> bytes:
    try:
        return lz4.block.decompress(block, uncompressed_size=size)
    except lz4.block.LZ4BlockError as exc:
        raise fastlz.FastlzError(f"LZ4 block: {exc}") from None


def compress_payload(algorithm: Algorithm, level: int, block: bytes) -> bytes:
    match algorithm:
        case Algorithm.GZIP:
            return zlib.compress(block, level)
        case Algorithm.LZO1X:
            return lzo1x.compress(block)
        case Algorithm.FZFZ:
            return fastlz.stream_compress(block, fastlz.fastlz1_compress)
        case Algorithm.FZ4L:
            return fastlz.stream_compress(block, _lz4)
        case Algorithm.FZ4H:
            return fastlz.stream_compress(block, _lz4hc)
    raise ValueError(f"cannot compress with {algorithm!r}")


def _inflate(data: bytes) -> bytes:
    try:
        return zlib.decompress(data)
    except zlib.error as exc:
        raise CompressionError(f"zlib: {exc}") from None


def decompress_record(stream: int, data: bytes) -> bytes:
    """The file bytes of one compressed record (after any sparse offset).

    Raises :class:`CompressionError` with Bareos's wording for a bad header.
    """
    if stream in OLD_GZIP_STREAMS:
        return _inflate(data)
    head = CompressionHeader.unpack(data)
    if head.version != COMP_HEAD_VERSION:
        raise CompressionError(f"Compressed header version error. version=0x{head.version:x}")
    if head.size + HEADER_SIZE != len(data):
        raise CompressionError(
            f"Compressed header size error. comp_len={head.size}, message_length={len(data)}"
        )
    payload = data[HEADER_SIZE:]
    match head.magic:
        case Algorithm.GZIP:
            return _inflate(payload)
        case Algorithm.LZO1X:
            return lzo1x.decompress(payload)
        case Algorithm.FZFZ:
            return fastlz.stream_decompress(payload, fastlz.fastlz_decompress)
        case Algorithm.FZ4L | Algorithm.FZ4H:
            return fastlz.stream_decompress(payload, _lz4_decompress)
    raise CompressionError(f"Compression algorithm 0x{head.magic:x} found, but not supported!")


def data_stream(*, sparse: bool, compression: Compression | None) -> int:
    """Bareos ``SelectDataStream`` for a regular file on a POSIX client."""
    if compression is not None:
        return Stream.SPARSE_COMPRESSED_DATA if sparse else Stream.COMPRESSED_DATA
    return Stream.SPARSE_DATA if sparse else Stream.FILE_DATA


# The Director's names for the compression letters, first match in its table order
# (dird/inc_conf.cc FS_options; "Z6" is listed as plain "gzip" before "gzip6").
_REPORT_NAMES = (
    ("Z6", "gzip"), *((f"Z{n}", f"gzip{n}") for n in range(1, 10)),
    ("Zo", "lzo"), ("Zff", "lzfast"), ("Zf4", "lz4"), ("Zfh", "lz4hc"),
)  # fmt: skip


def report_algorithms(option_flags: list[str]) -> list[str]:
    """``FindUsedCompressalgos``: the algorithms of every Options block, in order."""
    found: list[str] = []
    for flags in option_flags:
        i = 0
        while i < len(flags):
            if flags[i] == "Z":
                for letters, name in _REPORT_NAMES:
                    if flags.startswith(letters, i):
                        found.append(name)
                        i += len(letters) - 1
                        break
            i += 1
    return found


def software_compression_text(read_bytes: int, job_bytes: int, option_flags: list[str]) -> str:
    """The job report's ``Software Compression:`` value (Bareos ``dird/backup.cc``).

    ``None`` without compression options or bytes read, else the saving in
    per cent of the bytes read, one decimal, and the algorithms:
    ``62.3 % (gzip)``.
    """
    names = report_algorithms(option_flags)
    if read_bytes == 0 or not names:
        return "None"
    saving = 100.0 - 100.0 * (job_bytes / read_bytes)
    return f"{saving:.1f} % ({','.join(names)})"
