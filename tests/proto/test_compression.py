"""Compressed data records: header bytes, the fastlzlib block stream, LZO1X and FastLZ blocks."""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import zlib

import lz4.block
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bareosnet.errors import ProtocolError
from bareosnet.proto import fastlz, lzo1x
from bareosnet.proto.compression import (
    Algorithm,
    Compression,
    CompressionError,
    data_stream,
    decompress_record,
)
from bareosnet.proto.streams import Stream

TEXT = b"".join(b"record %d of a compressible file\n" % i for i in range(3000))


def test_magics_are_the_four_letters_big_endian() -> None:
    assert Algorithm.GZIP == 0x475A4950 and Algorithm.LZO1X == 0x4C5A4F58
    assert Algorithm.FZFZ == 0x465A465A and Algorithm.FZ4L == 0x465A344C
    assert Algorithm.FZ4H == 0x465A3448


@pytest.mark.parametrize(
    ("keyword", "head"),
    [
        ("gzip6", b"GZIP" + b"%s" + b"\x00\x06\x00\x01"),
        ("gzip9", b"GZIP" + b"%s" + b"\x00\x09\x00\x01"),
        ("lzo", b"LZOX" + b"%s" + b"\x00\x00\x00\x01"),  # LZO carries no level
        ("lzfast", b"FZFZ" + b"%s" + b"\x00\x01\x00\x01"),
        ("lz4", b"FZ4L" + b"%s" + b"\x00\x01\x00\x01"),
        ("lz4hc", b"FZ4H" + b"%s" + b"\x00\x01\x00\x01"),
    ],
)
def test_header_is_magic_size_level_version(keyword: str, head: bytes) -> None:
    comp = Compression.from_keyword(keyword)
    assert comp is not None
    record = comp.compress(TEXT)
    size = len(record) - 12
    assert record[:12] == head.replace(b"%s", size.to_bytes(4, "big"))
    assert size < len(TEXT) // 4
    assert decompress_record(Stream.COMPRESSED_DATA, record) == TEXT


def test_gzip_payload_is_a_zlib_stream_at_the_level() -> None:
    record = Compression(Algorithm.GZIP, 9).compress(TEXT)
    assert record[12:] == zlib.compress(TEXT, 9)
    assert record[12:14] == b"\x78\xda"  # zlib header: deflate, 32K window, level 9


def test_lz4_payload_is_fastlzlib_blocks_with_an_end_marker() -> None:
    data = TEXT * 30  # more than one 256 KiB block
    payload = Compression(Algorithm.FZ4L, 1).compress(data)[12:]
    first = payload[:16]
    assert first[:8] == b"FastLZ\x00\xc8"  # compressed block, 2^(8+10) = 256 KiB blocks
    clen = int.from_bytes(first[8:12], "little")
    assert int.from_bytes(first[12:16], "little") == 256 * 1024
    assert (
        lz4.block.decompress(payload[16 : 16 + clen], uncompressed_size=256 * 1024) == data[:262144]
    )
    assert payload[-16:] == b"FastLZ\x00\xc8" + bytes(8)


def test_a_small_block_is_stored_raw() -> None:
    payload = Compression(Algorithm.FZ4L, 1).compress(b"tiny")[12:]
    assert payload == b"FastLZ\x00\x18" + (4).to_bytes(4, "little") * 2 + b"tiny" + (
        b"FastLZ\x00\xc8" + bytes(8)
    )


def test_sparse_and_compression_pick_bareos_streams() -> None:
    gz = Compression(Algorithm.GZIP, 6)
    assert data_stream(sparse=False, compression=None) == Stream.FILE_DATA == 2
    assert data_stream(sparse=True, compression=None) == Stream.SPARSE_DATA == 6
    assert data_stream(sparse=False, compression=gz) == Stream.COMPRESSED_DATA == 29
    assert data_stream(sparse=True, compression=gz) == Stream.SPARSE_COMPRESSED_DATA == 30


def test_old_gzip_streams_have_no_header() -> None:
    for stream in (Stream.GZIP_DATA, Stream.SPARSE_GZIP_DATA):
        assert decompress_record(stream, zlib.compress(TEXT)) == TEXT


def test_bad_headers_have_bareos_texts() -> None:
    good = Compression(Algorithm.GZIP, 6).compress(TEXT)
    with pytest.raises(CompressionError, match="Compressed header version error. version=0x2"):
        decompress_record(Stream.COMPRESSED_DATA, good[:10] + b"\x00\x02" + good[12:])
    with pytest.raises(CompressionError, match="Compressed header size error. comp_len="):
        decompress_record(Stream.COMPRESSED_DATA, good + b"x")
    with pytest.raises(CompressionError, match="0x4e4f5045 found, but not supported"):
        decompress_record(Stream.COMPRESSED_DATA, b"NOPE" + good[4:])
    with pytest.raises(ProtocolError):
        decompress_record(Stream.COMPRESSED_DATA, good[:12] + b"\x00" * (len(good) - 12))


@settings(max_examples=60, deadline=None)
@given(
    st.sampled_from(["gzip1", "gzip6", "lzo", "lzfast", "lz4", "lz4hc"]),
    st.one_of(st.binary(max_size=3000), st.lists(st.sampled_from([b"ab", b"c", b"\0" * 9, b"xyz"]),
                                                   max_size=600).map(b"".join)),
)  # fmt: skip
def test_every_algorithm_round_trips(keyword: str, data: bytes) -> None:
    comp = Compression.from_keyword(keyword)
    assert comp is not None
    if not data:
        return  # the FD never sends an empty block
    assert decompress_record(Stream.COMPRESSED_DATA, comp.compress(data)) == data


# ---------------------------------------------------------------- LZO1X and FastLZ blocks

# lzo1x_1_compress (liblzo2 2.10) of LZO_VECTOR_INPUT: literal runs, M2/M3 matches, a long
# zero run, the end marker.
LZO_VECTOR_INPUT = b"Bareos LZO vector: abcabcabcabc " * 4 + bytes(300) + b"end\n"
LZO_VECTOR = bytes.fromhex(
    "0004426172656f73204c5a4f20766563746f723a2061626327090020203f7d000020fb00"
    "000001000000000000000000000000000000656e640a110000"
)


def test_lzo_decodes_liblzo_output() -> None:
    assert lzo1x.decompress(LZO_VECTOR) == LZO_VECTOR_INPUT
    with pytest.raises(lzo1x.LzoError):
        lzo1x.decompress(LZO_VECTOR[:-3])  # no end marker
    with pytest.raises(lzo1x.LzoError):
        lzo1x.decompress(LZO_VECTOR, max_out=100)


def test_lzo_end_marker_and_literal_forms() -> None:
    assert lzo1x.compress(b"ab") == b"\x13ab\x11\x00\x00"  # 17 + 2 literals at the start
    assert lzo1x.decompress(lzo1x.compress(os.urandom(1000))) is not None
    many = bytes(range(256)) * 2  # 512 incompressible-at-first bytes then a match
    assert lzo1x.decompress(lzo1x.compress(many)) == many


def _liblzo() -> ctypes.CDLL | None:
    name = ctypes.util.find_library("lzo2")
    if name is None:
        return None
    lib = ctypes.CDLL(name)
    # lzo_init(): version and the sizes of short, int, long, uint32, lzo_uint, dict_t,
    # char*, void*, lzo_callback_t on LP64.
    if lib.__lzo_init_v2(0x20A0, 2, 4, 8, 4, 8, 8, 8, 8, 48) != 0:
        return None
    return lib


def test_lzo_against_liblzo_when_installed() -> None:
    lib = _liblzo()
    if lib is None:
        pytest.skip("liblzo2 not installed (apt-get install liblzo2-2)")
    rnd = __import__("random").Random(7)
    for k in range(40):
        n = rnd.randrange(1, 60000)
        alphabet = bytes(rnd.randrange(256) for _ in range(rnd.randrange(1, 5)))
        data = bytes(rnd.choice(alphabet) for _ in range(n)) if k % 2 else os.urandom(n)
        out = ctypes.create_string_buffer(n + 16)
        size = ctypes.c_size_t(n + 16)
        ours = lzo1x.compress(data)
        assert lib.lzo1x_decompress_safe(ours, len(ours), out, ctypes.byref(size), None) == 0
        assert out.raw[: size.value] == data
        theirs = ctypes.create_string_buffer(n + n // 16 + 67)
        tsize = ctypes.c_size_t(0)
        work = ctypes.create_string_buffer(131072)
        assert lib.lzo1x_1_compress(data, n, theirs, ctypes.byref(tsize), work) == 0
        assert lzo1x.decompress(theirs.raw[: tsize.value]) == data


def test_fastlz_level1_vector_from_the_format() -> None:
    # literal run of 3 ("abc"), then copy 3 bytes from distance 3, then 9 from distance 1.
    block = b"\x02abc" + b"\x20\x02" + b"\xe0\x00\x00"
    assert fastlz.fastlz_decompress(block, 100) == b"abcabc" + b"c" * 9
    with pytest.raises(fastlz.FastlzError):
        fastlz.fastlz_decompress(block, 10)
    with pytest.raises(fastlz.FastlzError):
        fastlz.fastlz_decompress(b"\x00a\x20\x05", 100)  # reference before the start


def test_fastlz_level2_far_distance() -> None:
    lit = bytes(range(200)) * 50  # 10000 bytes of literals in runs of 32
    runs = b"".join(
        bytes([len(lit[i : i + 32]) - 1]) + lit[i : i + 32] for i in range(0, len(lit), 32)
    )
    # marker for level 2 in the first byte; then a match of 3 from distance 10000
    # (encoded beyond 8191: code 255, 16-bit far distance 10000 - 8192).
    block = (
        bytes([runs[0] | 0x20])
        + runs[1:]
        + bytes([(1 << 5) | 31, 255])
        + (10000 - 8192).to_bytes(2, "big")
    )
    assert fastlz.fastlz_decompress(block, 20000) == lit + lit[:3]


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=2000) | st.lists(st.sampled_from([b"q", b"rs", b"\xff" * 300]),
                                           max_size=200).map(b"".join))  # fmt: skip
def test_fastlz_round_trip(data: bytes) -> None:
    block = fastlz.fastlz1_compress(data)
    assert fastlz.fastlz_decompress(block, len(data)) == data
    if data:
        assert block[0] >> 5 == 0  # level-1 marker


def test_report_text_as_the_director_prints_it() -> None:
    from bareosnet.proto.compression import software_compression_text

    assert software_compression_text(1000, 377, ["Z6HAX"]) == "62.3 % (gzip)"
    assert software_compression_text(1000, 377, ["MZ9", "Zf4H"]) == "62.3 % (gzip9,lz4)"
    assert software_compression_text(1000, 1000, ["MHAX"]) == "None"
    assert software_compression_text(0, 0, ["Zo"]) == "None"
    assert software_compression_text(100, 120, ["Zff"]) == "-20.0 % (lzfast)"
