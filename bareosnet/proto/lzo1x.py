"""LZO1X blocks (``Compression = LZO``): a pure decoder and a simple encoder.

Bareos writes LZO1X-1 (``lzo1x_1_compress``) and reads with
``lzo1x_decompress_safe``.  The PyPI binding (python-lzo) ships only a
source archive that needs liblzo2's headers and a C compiler, which a fresh
machine of this project does not have; the format is small enough to write
here.  The decoder reads every instruction of the format; the encoder emits
literal runs, M3 (distance <= 16384) and M4 (<= 49151) matches found by a
greedy 3-byte hash, and the end-of-stream marker -- valid input for liblzo's
decoder, not a bit-exact copy of ``lzo1x_1_compress``.

Instructions (first byte ``t``; a "state" of 0-3 is in the low two bits of
the last distance byte and says how many literals follow the match):

* at the start, ``t > 17``: t-17 literals;
* ``0 <= t < 16`` with state 0: a literal run of t+3 (t = 0: 15 + 255*zeros + byte);
* ``t < 16`` right after a literal run: 3 bytes from distance 2049 + (t>>2) + (b<<2);
* ``t < 16`` after a match with state > 0: 2 bytes from distance 1 + (t>>2) + (b<<2);
* ``64 <= t``: M2, (t>>5)+1 bytes from distance 1 + ((t>>2)&7) + (b<<3);
* ``32 <= t < 64``: M3, (t&31)+2 bytes (t&31 = 0: extended), distance 1 + (le16>>2);
* ``16 <= t < 32``: M4, (t&7)+2 bytes, distance 16384 + ((t&8)<<11) + (le16>>2);
  distance 16384 exactly is the end of the stream (``0x11 0x00 0x00``).
"""

from __future__ import annotations

from bareosnet.errors import ProtocolError


class LzoError(ProtocolError):
    """An LZO1X block that cannot be decoded."""


_M2_MAX_OFFSET = 0x0800
_M3_MAX_OFFSET = 0x4000
_M4_MAX_OFFSET = 0xBFFF
_EOF = b"\x11\x00\x00"


def decompress(data: bytes, max_out: int | None = None) -> bytes:
    """``lzo1x_decompress_safe``: raises :class:`LzoError` on bad or truncated input."""
    out = bytearray()
    ip = 0
    limit = max_out if max_out is not None else 1 << 62

    def copy_match(dist: int, count: int) -> None:
        start = len(out) - dist
        if start < 0:
            raise LzoError("LZO lookbehind overrun")
        if len(out) + count > limit:
            raise LzoError("LZO output overrun")
        if dist >= count:
            out.extend(out[start : start + count])
        else:
            for k in range(count):
                out.append(out[start + k])

    def literals(count: int) -> None:
        nonlocal ip
        if ip + count > len(data):
            raise LzoError("LZO input overrun")
        if len(out) + count > limit:
            raise LzoError("LZO output overrun")
        out.extend(data[ip : ip + count])
        ip += count

    def extended(base: int) -> int:
        nonlocal ip
        t = 0
        while data[ip] == 0:
            t += 255
            ip += 1
        t += base + data[ip]
        ip += 1
        return t

    try:
        # mode: "loop" (state 0: literal run allowed), "first" (after a literal run),
        # "match" (a match instruction must come)
        mode = "loop"
        if data[0] > 17:
            t = data[0] - 17
            ip = 1
            literals(t)
            mode = "first" if t >= 4 else "match"
        while True:
            t = data[ip]
            ip += 1
            if t < 16:
                if mode == "loop":
                    literals((extended(15) if t == 0 else t) + 3)
                    mode = "first"
                    continue
                b = data[ip]
                ip += 1
                if mode == "first":
                    copy_match(1 + _M2_MAX_OFFSET + (t >> 2) + (b << 2), 3)
                else:
                    copy_match(1 + (t >> 2) + (b << 2), 2)
                state = t & 3
            elif t >= 64:
                b = data[ip]
                ip += 1
                copy_match(1 + ((t >> 2) & 7) + (b << 3), (t >> 5) + 1)
                state = t & 3
            elif t >= 32:
                count = t & 31
                if count == 0:
                    count = extended(31)
                le16 = data[ip] | (data[ip + 1] << 8)
                ip += 2
                copy_match(1 + (le16 >> 2), count + 2)
                state = le16 & 3
            else:
                count = t & 7
                if count == 0:
                    count = extended(7)
                le16 = data[ip] | (data[ip + 1] << 8)
                ip += 2
                dist = ((t & 8) << 11) + (le16 >> 2)
                if dist == 0:
                    if ip != len(data):
                        raise LzoError("LZO input not consumed")
                    return bytes(out)
                copy_match(dist + 0x4000, count + 2)
                state = le16 & 3
            if state:
                literals(state)
                mode = "match"
            else:
                mode = "loop"
    except IndexError:
        raise LzoError("LZO input overrun") from None


def _length(out: bytearray, value: int, bits_max: int, marker: int) -> None:
    # value = length - 2 (matches) or count - 3 (literals); fits in the marker's
    # low bits when 1..bits_max, else 0 there and 255-extended.
    if value <= bits_max:
        out.append(marker | value)
        return
    out.append(marker)
    rest = value - bits_max
    while rest > 255:
        out.append(0)
        rest -= 255
    out.append(rest)


def compress(data: bytes) -> bytes:
    """An LZO1X stream of ``data`` (see the module note)."""
    out = bytearray()
    n = len(data)
    table: dict[bytes, int] = {}
    pending = bytearray()  # literals not yet written
    last_state_pos = -1  # where the previous match's state bits are (-1: at the start)
    started = False
    i = 0

    def write_literals() -> None:
        nonlocal started
        count = len(pending)
        if count == 0:
            return
        if not started:
            if count <= 238:
                out.append(17 + count)
            else:
                _length(out, count - 3, 15, 0)
        elif count <= 3:
            out[last_state_pos] |= count  # the previous match carries them
        else:
            _length(out, count - 3, 15, 0)
        out.extend(pending)
        pending.clear()
        started = True

    while i < n:
        if i + 3 <= n:
            key = data[i : i + 3]
            ref = table.get(key)
            table[key] = i
            if ref is not None and 0 < i - ref <= _M4_MAX_OFFSET:
                dist = i - ref
                length = 3
                while i + length < n and data[ref + length] == data[i + length]:
                    length += 1
                write_literals()
                if dist <= _M3_MAX_OFFSET:
                    _length(out, length - 2, 31, 32)
                    d = (dist - 1) << 2
                else:
                    d4 = dist - 0x4000
                    _length(out, length - 2, 7, 16 | ((d4 >> 11) & 8))
                    d = (d4 & 0x3FFF) << 2
                out.append(d & 0xFF)
                last_state_pos = len(out) - 1
                out.append(d >> 8)
                i += length
                continue
        pending.append(data[i])
        i += 1
    write_literals()
    out += _EOF
    return bytes(out)
