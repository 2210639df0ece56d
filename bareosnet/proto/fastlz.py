"""FastLZ blocks and the block stream Bareos's ``fastlzlib`` wraps them in (LZFAST, LZ4, LZ4HC).

Bareos compresses ``Compression = LZFAST`` / ``LZ4`` / ``LZ4HC`` through its
bundled ``fastlzlib`` (``core/src/fastlz``), a zlib-like wrapper that cuts
the input into blocks of at most 256 KiB and frames each one with a 16-byte
header::

    "FastLZ\\0"  (7 bytes)
    type | log2(block size) - 10       (1 byte: 0xc0 compressed, 0x10 raw; 8 = 256 KiB)
    compressed length  (uint32, little endian)
    original length    (uint32, little endian)

A block of 64 bytes or less, or one that does not shrink, is stored raw.  The
stream ends with an empty compressed block (both lengths 0).  The block
payload is an LZ4 block (``lz4.block``, no size prefix) or a FastLZ block.

No maintained Python package writes FastLZ, so its level-1 format is written
here: a greedy matcher over a 3-byte hash (any valid block restores, the real
FD's encoder is not reproduced bit for bit), and a decoder for levels 1 and 2
(the first byte's top three bits give the level).

FastLZ level 1, as the decoder reads it: ``000nnnnn`` is a run of n+1
literals; ``lllddddd dddddddd`` copies l+2 bytes (l < 7) from distance
``d+1`` (13 bits); l = 7 takes one more length byte before the low distance
byte.  Level 2 extends lengths with 255-bytes and distances beyond 8191.
"""

from __future__ import annotations

import struct
from collections.abc import Callable

from bareosnet.errors import ProtocolError


class FastlzError(ProtocolError):
    """A FastLZ or fastlzlib stream that cannot be decoded."""


_HEADER = struct.Struct("<7sBII")
HEADER_SIZE = _HEADER.size  # 16
BLOCK_MAGIC = b"FastLZ\0"
BLOCK_COMPRESSED = 0xC0
BLOCK_RAW = 0x10
BLOCK_SIZE = 256 * 1024  # fastlzlib's DEFAULT_BLOCK_SIZE
_BLOCK_POWER = 8  # log2(BLOCK_SIZE) - 10
MIN_BLOCK_SIZE = 64  # up to this size a block is stored raw

_MAX_COPY = 32
_MAX_LEN = 264  # 256 + 8
_MAX_DISTANCE = 8191  # level 1: encoded distance (distance - 1) < 8191


# ---------------------------------------------------------------- FastLZ blocks


def fastlz1_compress(data: bytes) -> bytes:
    """A FastLZ level-1 block of ``data``."""
    n = len(data)
    if n == 0:
        return b""
    out = bytearray()
    literals = bytearray()

    def flush_literals() -> None:
        for start in range(0, len(literals), _MAX_COPY):
            chunk = literals[start : start + _MAX_COPY]
            out.append(len(chunk) - 1)
            out.extend(chunk)
        literals.clear()

    table: dict[bytes, int] = {}
    i = 0
    # Matches start after the first byte (the first instruction must be a literal
    # run: its top bits are the level marker) and leave 3 bytes of room at the end.
    while i < n:
        if i >= 1 and i + 3 <= n:
            key = data[i : i + 3]
            ref = table.get(key)
            table[key] = i
            if ref is not None and i - ref - 1 < _MAX_DISTANCE:
                length = 3
                limit = n - i
                while length < limit and data[ref + length] == data[i + length]:
                    length += 1
                flush_literals()
                _emit_match1(out, length, i - ref - 1)
                i += length
                continue
        literals.append(data[i])
        i += 1
    flush_literals()
    return bytes(out)


def _emit_match1(out: bytearray, length: int, dist: int) -> None:
    # length >= 3; an instruction copies at most _MAX_LEN bytes.
    while length > 0:
        if length > _MAX_LEN:
            part = _MAX_LEN if length - _MAX_LEN >= 3 else length - 3
        else:
            part = length
        code = part - 2
        if code < 7:
            out += bytes(((code << 5) | (dist >> 8), dist & 0xFF))
        else:
            out += bytes(((7 << 5) | (dist >> 8), code - 7, dist & 0xFF))
        length -= part


def fastlz_decompress(data: bytes, max_out: int) -> bytes:
    """Decode a FastLZ block (level 1 or 2) of at most ``max_out`` bytes."""
    if not data:
        return b""
    level = (data[0] >> 5) + 1
    if level not in (1, 2):
        raise FastlzError(f"unknown FastLZ level {level}")
    out = bytearray()
    n = len(data)
    ip = 1
    ctrl = data[0] & 31
    try:
        while True:
            if ctrl >= 32:
                length = (ctrl >> 5) - 1
                ofs = (ctrl & 31) << 8
                if level == 1:
                    if length == 6:
                        length += data[ip]
                        ip += 1
                    dist = ofs + data[ip] + 1
                    ip += 1
                else:
                    if length == 6:
                        while True:
                            code = data[ip]
                            ip += 1
                            length += code
                            if code != 255:
                                break
                    code = data[ip]
                    ip += 1
                    dist = ofs + code + 1
                    if code == 255 and ofs == (31 << 8):
                        dist = ((data[ip] << 8) | data[ip + 1]) + _MAX_DISTANCE + 1
                        ip += 2
                start = len(out) - dist
                count = length + 3
                if start < 0 or len(out) + count > max_out:
                    raise FastlzError("FastLZ match outside the block")
                for k in range(count):  # may overlap itself: byte by byte
                    out.append(out[start + k])
            else:
                count = ctrl + 1
                if ip + count > n or len(out) + count > max_out:
                    raise FastlzError("FastLZ literal run past the end")
                out += data[ip : ip + count]
                ip += count
            if ip >= n:
                break
            ctrl = data[ip]
            ip += 1
    except IndexError:
        raise FastlzError("truncated FastLZ block") from None
    return bytes(out)


# ---------------------------------------------------------------- the fastlzlib stream

type BlockCompressor = Callable[[bytes], bytes]
type BlockDecompressor = Callable[[bytes, int], bytes]


def _header(block_type: int, compressed: int, original: int) -> bytes:
    return _HEADER.pack(BLOCK_MAGIC, block_type | _BLOCK_POWER, compressed, original)


def stream_compress(data: bytes, compress: BlockCompressor) -> bytes:
    """``fastlzlibCompress(..., Z_FINISH)`` of one buffer: blocks, then the end marker."""
    out = bytearray()
    for start in range(0, len(data), BLOCK_SIZE):
        chunk = data[start : start + BLOCK_SIZE]
        packed = compress(chunk) if len(chunk) > MIN_BLOCK_SIZE else b""
        if packed and len(packed) < len(chunk):
            out += _header(BLOCK_COMPRESSED, len(packed), len(chunk)) + packed
        else:
            out += _header(BLOCK_RAW, len(chunk), len(chunk)) + chunk
    out += _header(BLOCK_COMPRESSED, 0, 0)
    return bytes(out)


def stream_decompress(data: bytes, decompress: BlockDecompressor) -> bytes:
    """Read blocks up to the end marker (or the end of the data)."""
    out = bytearray()
    pos = 0
    while pos + HEADER_SIZE <= len(data):
        magic, packed_type, compressed, original = _HEADER.unpack_from(data, pos)
        if magic != BLOCK_MAGIC:
            raise FastlzError("corrupted compressed stream (bad magic)")
        pos += HEADER_SIZE
        if compressed == 0 and original == 0:
            return bytes(out)
        block_type = packed_type & 0xF0
        if (1 << ((packed_type & 0x0F) + 10)) > BLOCK_SIZE:
            raise FastlzError("block size too large")
        payload = data[pos : pos + compressed]
        if len(payload) != compressed:
            raise FastlzError("truncated compressed block")
        pos += compressed
        if block_type == BLOCK_RAW:
            if compressed != original:
                raise FastlzError("raw block with two sizes")
            out += payload
        elif block_type == BLOCK_COMPRESSED:
            block = decompress(payload, original)
            if len(block) != original:
                raise FastlzError("unable to decompress block stream")
            out += block
        else:
            raise FastlzError("corrupted compressed stream (illegal block type)")
    if pos != len(data):
        raise FastlzError("truncated block header")
    return bytes(out)
