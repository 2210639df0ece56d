"""Stat encoding, attribute records and the stream record headers."""

from __future__ import annotations

import os
import re
import stat as stat_module

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bareosnet.errors import ProtocolError
from bareosnet.proto.attributes import (
    AttributeRecord,
    FileType,
    Stat,
    decode_stat,
    encode_stat,
    from_base64,
    to_base64,
)
from bareosnet.proto.jobcmds import UpdCatFileAttributes
from bareosnet.proto.streams import (
    CatalogRecord,
    DataHeader,
    RestoreRecordHeader,
    Stream,
    is_digest_stream,
)
from tests.support.transcripts import find_payload, payloads, read_transcript

INT64 = st.integers(min_value=-(1 << 63), max_value=(1 << 63) - 1)

# From stream06 (FD -> SD): the attribute record of file2.txt.
FILE2_RECORD = (
    b"1 3 /srv/bareos-lab/data/file2.txt\x00"
    b"P4A FyBV IGk B A A A x BAA I BrCNFn BrCM/+ BrCM/+ A A C\x00\x00\x000\x00"
)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (0, "A"),
        (1, "B"),
        (63, "/"),
        (64, "BA"),
        (8, "I"),
        (33188, "IGk"),
        (65024, "P4A"),
        (4096, "BAA"),
        (-1, "-B"),
        (1795739646, "BrCM/+"),
    ],
)
def test_integer_base64_vectors(value: int, text: str) -> None:
    assert to_base64(value) == text
    assert from_base64(text) == value


@given(INT64)
def test_integer_base64_round_trip(value: int) -> None:
    assert from_base64(to_base64(value)) == value


def test_upper_uint64_half_wraps_like_a_c_cast() -> None:
    assert from_base64(to_base64((1 << 64) - 1)) == -1


def test_bad_base64_characters() -> None:
    with pytest.raises(ProtocolError):
        from_base64("A*")
    with pytest.raises(ProtocolError):
        from_base64("")


def test_decode_real_stat_from_transcript() -> None:
    st_ = decode_stat("P4A FyBV IGk B A A A x BAA I BrCNFn BrCM/+ BrCM/+ A A C")
    assert st_ == Stat(
        dev=65024,
        ino=1515605,
        mode=0o100644,
        nlink=1,
        uid=0,
        gid=0,
        rdev=0,
        size=49,
        blksize=4096,
        blocks=8,
        atime=1795740007,
        mtime=1795739646,
        ctime=1795739646,
        link_fi=0,
        flags=0,
        data_stream=2,
    )
    assert st_.is_reg and not st_.is_dir


def test_stat_without_optional_tail() -> None:
    # Older writers stop after st_ctime.
    st_ = decode_stat("A B IGk B A A A x BAA I C D E")
    assert (st_.link_fi, st_.flags, st_.data_stream) == (0, 0, 0)
    with pytest.raises(ProtocolError):
        decode_stat("A B C")


stats = st.builds(Stat, *([INT64] * 16))


@given(stats)
def test_stat_round_trip(value: Stat) -> None:
    assert decode_stat(encode_stat(value)) == value


def test_stat_from_os(tmp_path: os.PathLike[str]) -> None:
    path = os.path.join(tmp_path, "f")
    with open(path, "wb") as f:
        f.write(b"x" * 10)
    st_ = Stat.from_os_stat(os.lstat(path), data_stream=Stream.FILE_DATA)
    assert st_.size == 10 and stat_module.S_ISREG(st_.mode) and st_.data_stream == 2
    assert decode_stat(encode_stat(st_)) == st_


def test_parse_real_attribute_record() -> None:
    frames = read_transcript("stream06-to-storage-daemon")
    payload = find_payload(frames, b"1 3 /srv/bareos-lab/data/file2.txt")
    assert payload == FILE2_RECORD
    rec = AttributeRecord.parse(payload)
    assert rec.file_index == 1
    assert rec.file_type == FileType.REG
    assert rec.fname == "/srv/bareos-lab/data/file2.txt"
    assert rec.stat.size == 49  # the data packet that follows is 49 bytes
    assert rec.stat.mtime == 1795739646
    assert rec.stat.data_stream == Stream.FILE_DATA
    assert (rec.link, rec.extended_attributes, rec.delta_seq) == ("", "", 0)
    assert rec.encode() == payload


def test_parse_real_directory_record() -> None:
    frames = read_transcript("stream06-to-storage-daemon")
    payload = find_payload(frames, b"5 5 ")
    rec = AttributeRecord.parse(payload)
    assert rec.file_type == FileType.DIREND
    assert rec.fname == "/srv/bareos-lab/data/sub/"
    assert rec.stat.is_dir and rec.stat.mode == 0o40755
    assert rec.stat.nlink == 2
    assert rec.encode() == payload


def test_every_attribute_record_of_the_backup_round_trips() -> None:
    frames = read_transcript("stream06-to-storage-daemon")
    payloads = [f.payload for f in frames if f.payload is not None]
    records = [
        AttributeRecord.parse(nxt)
        for hdr, nxt in zip(payloads, payloads[1:], strict=False)
        if re.fullmatch(rb"\d+ \d+ 0", hdr) and DataHeader.parse(hdr).stream == 1
    ]
    assert [r.file_index for r in records] == [1, 2, 3, 4, 5, 6, 7]
    assert [r.file_type for r in records] == [3, 3, 3, 3, 5, 3, 5]
    assert records[3].stat.size == 200000  # random.bin, the 200000-byte data packet
    for r in records:
        assert AttributeRecord.parse(r.encode()) == r


def test_symlink_record() -> None:
    rec = AttributeRecord(
        file_index=9,
        file_type=FileType.LNK,
        fname="/a/link",
        link="target/file",
        stat=Stat(mode=0o120777, size=11),
    )
    raw = rec.encode()
    assert raw.startswith(b"9 4 /a/link\x00")
    assert b"\x00target/file\x00\x000\x00" in raw
    assert AttributeRecord.parse(raw) == rec


names = st.text(st.characters(blacklist_characters="\0", blacklist_categories=("Cs",)), max_size=40)


@given(
    st.integers(min_value=1, max_value=(1 << 31) - 1),
    st.sampled_from(list(FileType)).filter(lambda t: t not in (25, 27, 28)),
    names,
    stats,
    names,
    names,
    st.integers(min_value=0, max_value=1000),
)
def test_attribute_record_round_trip(
    fi: int, ft: FileType, fname: str, st_: Stat, link: str, ex: str, delta: int
) -> None:
    rec = AttributeRecord(fi, ft, fname, st_, link, ex, delta)
    assert AttributeRecord.parse(rec.encode()) == rec


def test_non_utf8_file_names_survive() -> None:
    raw = b"1 3 /data/caf\xe9\x00A A A A A A A A A A A A A A A A\x00\x00\x000\x00"
    rec = AttributeRecord.parse(raw)
    assert rec.encode() == raw


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"garbage",
        b"1 3 /x",
        b"1 3 /x\x00A B\x00\x00\x00",
        b"1 25 obj\x00stuff\x00",
        b"1 3 /x\x00A A A A A A A A A A A A A\x00\x00\x00x\x00",
    ],
)
def test_bad_attribute_records(raw: bytes) -> None:
    with pytest.raises(ProtocolError):
        AttributeRecord.parse(raw)


# --- streams ---------------------------------------------------------------


def test_stream_numbers() -> None:
    assert (Stream.UNIX_ATTRIBUTES, Stream.FILE_DATA, Stream.MD5_DIGEST) == (1, 2, 3)
    assert (Stream.SHA1_DIGEST, Stream.SHA256_DIGEST, Stream.SHA512_DIGEST) == (10, 17, 18)
    assert Stream.XXH128_DIGEST == 40 and Stream.COMPRESSED_DATA == 29
    assert is_digest_stream(3) and not is_digest_stream(2)


def test_data_header_bytes() -> None:
    assert DataHeader(1, Stream.UNIX_ATTRIBUTES).encode() == b"1 1 0"
    assert DataHeader.parse(b"4 2 0") == DataHeader(4, 2)
    assert DataHeader.parse(b"4 2") == DataHeader(4, 2, 0)  # the SD reads "%ld %ld"
    for bad in (b"", b"x 1 0", b"1", b"1 2 3 4"):
        with pytest.raises(ProtocolError):
            DataHeader.parse(bad)


def test_data_headers_in_the_backup_transcript() -> None:
    frames = read_transcript("stream06-to-storage-daemon")
    headers = [f.payload for f in frames if f.payload in (b"1 1 0", b"1 2 0", b"1 3 0")]
    assert headers == [DataHeader(1, s).encode() for s in (1, 2, 3)]


def test_restore_record_header() -> None:
    frames = read_transcript("set2-stream09-to-storage-daemon")
    raw = find_payload(frames, b"rechdr ")
    assert raw == b"rechdr 1 1795741908 1 1 95"
    hdr = RestoreRecordHeader.parse(raw)
    assert hdr == RestoreRecordHeader(1, 1795741908, 1, 1, 95)
    assert hdr.encode() == raw
    with pytest.raises(ProtocolError):
        RestoreRecordHeader.parse(b"rechdr 1 2 3")


def test_updcat_record_from_the_sd() -> None:
    frames = read_transcript("stream04-to-storage-daemon")
    raw = find_payload(frames, b"UpdCat Job=")
    msg = UpdCatFileAttributes.parse(raw)
    assert msg.job == "backup-lab.2026-11-27_01.10.08_04"
    assert msg.record == CatalogRecord(1, 1795741802, 1, Stream.UNIX_ATTRIBUTES, FILE2_RECORD)
    assert AttributeRecord.parse(msg.record.data).fname == "/srv/bareos-lab/data/file2.txt"
    assert msg.encode() == raw
    # The MD5 digest record that follows it, same as the FD sent on stream 3.
    updcats = [p for p in payloads(frames) if p.startswith(b"UpdCat ")]
    digest = UpdCatFileAttributes.parse(updcats[1]).record
    assert (digest.file_index, digest.stream) == (1, Stream.MD5_DIGEST)
    assert digest.data == b"\xf8@?U7\xf4@\x8a^4\xe0u\xaf7\xb1)"
    assert len(updcats) == 12  # 7 attribute records + 5 digests (directories have none)


@given(
    st.integers(0, (1 << 32) - 1),
    st.integers(0, (1 << 32) - 1),
    st.integers(-(1 << 31), (1 << 31) - 1),
    st.integers(-(1 << 31), (1 << 31) - 1),
    st.binary(max_size=200),
)
def test_catalog_record_round_trip(sid: int, stime: int, fi: int, stream: int, data: bytes) -> None:
    rec = CatalogRecord(sid, stime, fi, stream, data)
    assert CatalogRecord.unpack(rec.pack()) == rec


def test_catalog_record_too_short() -> None:
    with pytest.raises(ProtocolError):
        CatalogRecord.unpack(b"\x00" * 10)
    with pytest.raises(ProtocolError):
        CatalogRecord.unpack(CatalogRecord(1, 2, 3, 4, b"abcdef").pack()[:-1])
