"""The Storage daemon emulator's volume files."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bareosnet.proto.bootstrap import Bootstrap
from daemons.storage.volume import (
    FILE_MAGIC,
    RECORD_HEADER_SIZE,
    VolumeChecksumError,
    VolumeError,
    VolumeFormatError,
    VolumeReader,
    VolumeRecord,
    VolumeTruncatedError,
    VolumeWriter,
    read_label,
)

ATTR = b"1 3 /data/a.txt\x00A A IGk B A A A N BAA I A A A A A C\x00\x00\x000\x00"


def _backup(path: Path, session: int = 1, stime: int = 1700000000, files: int = 3) -> list[int]:
    """Write a small backup session, return the record addresses."""
    addrs = []
    with VolumeWriter.open_append(path) as w:
        for fi in range(1, files + 1):
            addrs.append(w.write(session, stime, fi, 1, ATTR.replace(b"1 3", f"{fi} 3".encode())))
            addrs.append(w.write(session, stime, fi, 2, f"content {fi}\n".encode()))
    return addrs


@pytest.fixture
def volume(tmp_path: Path) -> Path:
    path = tmp_path / "Full-0001"
    VolumeWriter.create(path, "Full-0001", "File", label_time=1700000000).close()
    return path


def test_label(volume: Path) -> None:
    label = read_label(volume)
    assert (label.volume_name, label.media_type, label.label_time) == (
        "Full-0001",
        "File",
        1700000000,
    )
    assert volume.read_bytes().startswith(FILE_MAGIC)
    with VolumeReader(volume) as r:
        assert r.label == label
        assert list(r.records()) == []


def test_create_never_overwrites(volume: Path) -> None:
    with pytest.raises(FileExistsError):
        VolumeWriter.create(volume, "Other", "File")


def test_write_and_read_back(volume: Path) -> None:
    addrs = _backup(volume)
    with VolumeReader(volume) as r:
        records = list(r.records())
    assert [(x.file_index, x.stream) for x in records] == [
        (1, 1),
        (1, 2),
        (2, 1),
        (2, 2),
        (3, 1),
        (3, 2),
    ]
    assert records[3] == VolumeRecord(1, 1700000000, 2, 2, b"content 2\n", address=addrs[3])
    assert addrs == [x.address for x in records]
    assert addrs[0] == read_label(volume).data_start


def test_sessions_append_and_filter(volume: Path) -> None:
    _backup(volume, session=1, stime=100)
    _backup(volume, session=2, stime=100, files=2)
    _backup(volume, session=1, stime=200, files=1)
    with VolumeReader(volume) as r:
        assert len(list(r.records())) == 12
        s2 = list(r.records(vol_session_id=2, vol_session_time=100))
        assert {x.vol_session_id for x in s2} == {2} and len(s2) == 4
        some = list(r.records(vol_session_id=1, vol_session_time=100, file_indexes=((2, 3),)))
        assert [(x.file_index, x.stream) for x in some] == [(2, 1), (2, 2), (3, 1), (3, 2)]
        assert len(list(r.records(vol_session_time=200))) == 2


def test_serve_a_bootstrap(volume: Path) -> None:
    _backup(volume, session=1, stime=100)
    addrs = _backup(volume, session=2, stime=100)
    bsr = Bootstrap.parse(
        f'Volume="Full-0001"\nVolSessionId=2\nVolSessionTime=100\n'
        f"VolAddr={addrs[0]}-{addrs[-1]}\nFileIndex=1\nFileIndex=3\nCount=2\n"
    )
    (entry,) = bsr.entries
    with VolumeReader(volume) as r:
        got = list(
            r.records(select=bsr.matches, start=entry.vol_addr[0].first, end=entry.vol_addr[0].last)
        )
    assert [(x.vol_session_id, x.file_index, x.stream) for x in got] == [
        (2, 1, 1),
        (2, 1, 2),
        (2, 3, 1),
        (2, 3, 2),
    ]


def test_large_record_is_split_into_chunks(volume: Path) -> None:
    big = os.urandom(5 * 1024 * 1024)
    with VolumeWriter.open_append(volume, chunk_size=1_000_000) as w:
        first = w.write(7, 1700000000, 1, 2, big)
        w.write(7, 1700000000, 1, 3, b"d" * 16)
    with VolumeReader(volume) as r:
        chunks = list(r.records(file_indexes=((1, 1),)))
        joined = list(r.payloads())
    data_chunks = [c for c in chunks if c.stream == 2]
    assert len(data_chunks) == 6  # 5 x 1,000,000 + 242,880
    assert all(len(c.payload) <= 1_000_000 for c in data_chunks)
    assert [c.continued for c in data_chunks] == [True] * 5 + [False]
    assert data_chunks[0].address == first
    assert b"".join(c.payload for c in data_chunks) == big
    assert [(j.stream, len(j.payload)) for j in joined] == [(2, len(big)), (3, 16)]
    assert joined[0].payload == big and joined[0].address == first and not joined[0].continued


def test_default_chunks_fit_in_one_packet(volume: Path) -> None:
    with VolumeWriter.open_append(volume) as w:
        w.write(1, 1, 1, 2, b"x" * 2_500_000)
    with VolumeReader(volume) as r:
        sizes = [len(x.payload) for x in r.records()]
    assert sizes == [999_996, 999_996, 500_008]


def test_empty_payload(volume: Path) -> None:
    with VolumeWriter.open_append(volume) as w:
        w.write(1, 1, 1, 2, b"")
    with VolumeReader(volume) as r:
        assert [x.payload for x in r.records()] == [b""]


def _flip(path: Path, offset: int) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x40
    path.write_bytes(bytes(data))


def test_corrupted_payload_is_detected(volume: Path) -> None:
    addrs = _backup(volume)
    _flip(volume, addrs[3] + RECORD_HEADER_SIZE + 2)  # inside "content 2"
    with VolumeReader(volume) as r:
        it = r.records()
        assert [next(it).file_index for _ in range(3)] == [1, 1, 2]
        with pytest.raises(VolumeChecksumError, match=rf"offset {addrs[3]}.*checksum mismatch"):
            next(it)
        # Records that are skipped by the filter are not checked.
        assert len(list(r.records(file_indexes=((1, 1), (3, 3))))) == 4


def test_corrupted_record_header_is_detected(volume: Path) -> None:
    addrs = _backup(volume)
    _flip(volume, addrs[1] + 8)  # the session id of the second record
    with VolumeReader(volume) as r, pytest.raises(VolumeChecksumError):
        list(r.records())


def test_bad_record_magic(volume: Path) -> None:
    addrs = _backup(volume)
    _flip(volume, addrs[2])
    with VolumeReader(volume) as r, pytest.raises(VolumeFormatError, match="bad magic"):
        list(r.records())


def test_truncated_record_is_detected(volume: Path) -> None:
    _backup(volume)
    size = volume.stat().st_size
    os.truncate(volume, size - 3)
    with VolumeReader(volume) as r, pytest.raises(VolumeTruncatedError, match="only"):
        list(r.records())
    last_record = size - RECORD_HEADER_SIZE - len(b"content 3\n")
    os.truncate(volume, last_record + 5)  # inside its header
    with VolumeReader(volume) as r, pytest.raises(VolumeTruncatedError, match="header"):
        list(r.records())


def test_append_after_a_damaged_tail(volume: Path) -> None:
    _backup(volume)
    good = volume.stat().st_size
    with volume.open("ab") as f:
        f.write(b"BREC\x00\x00")  # an interrupted record
    with pytest.raises(VolumeTruncatedError, match="refusing to append"):
        VolumeWriter.open_append(volume)
    with VolumeWriter.open_append(volume, truncate_damaged_tail=True) as w:
        assert w.position == good
        w.write(9, 9, 1, 1, b"after repair")
    with VolumeReader(volume) as r:
        assert [x.payload for x in r.records(vol_session_id=9)] == [b"after repair"]


def test_split_payload_missing_its_end(volume: Path) -> None:
    with VolumeWriter.open_append(volume, chunk_size=10) as w:
        w.write(1, 1, 1, 2, b"0123456789abcdefghij")
    with VolumeReader(volume) as r:
        first = next(r.records())
    os.truncate(volume, first.address + RECORD_HEADER_SIZE + 10)
    with VolumeReader(volume) as r, pytest.raises(VolumeTruncatedError, match="last chunk"):
        list(r.payloads())


def test_not_a_volume(tmp_path: Path) -> None:
    path = tmp_path / "junk"
    path.write_bytes(b"this is not a volume at all")
    with pytest.raises(VolumeFormatError, match="not a bareosnet volume"):
        VolumeReader(path)
    path.write_bytes(b"BNET")
    with pytest.raises(VolumeFormatError, match="too short"):
        read_label(path)


def test_damaged_label(volume: Path) -> None:
    _flip(volume, 14)  # inside the volume name
    with pytest.raises(VolumeFormatError, match="header checksum"):
        read_label(volume)


def test_closed_writer(volume: Path) -> None:
    w = VolumeWriter.open_append(volume)
    w.close()
    w.close()  # idempotent
    with pytest.raises(VolumeError):
        w.write(1, 1, 1, 1, b"x")
