"""The transcript reader (tests/support/transcripts.py) against every capture."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.transcripts import (
    ENV_VAR,
    Frame,
    TranscriptError,
    find_payload,
    parse_transcript,
    read_transcript,
    transcript_files,
    transcripts_dir,
    unescape,
)

FILES = transcript_files()


def test_all_transcripts_are_there() -> None:
    names = {p.name for p in FILES}
    assert len(names) == 25
    assert "legacy-17.2-fd-status.txt" in names
    assert "stream06-to-storage-daemon.txt" in names
    assert "set2-stream13-to-file-daemon.txt" in names


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_every_transcript_parses_and_lengths_match(path: Path) -> None:
    frames = read_transcript(path)
    assert frames
    for f in frames:
        assert f.direction in ("C", "S")
        assert (f.payload is None) != (f.signal is None)
        if f.signal is not None:
            assert f.signal < 0 and f.length == f.signal
        elif f.truncated:
            assert f.payload is not None and len(f.payload) < f.length
        else:
            assert f.payload is not None and len(f.payload) == f.length


def test_first_frame_of_a_director_connection() -> None:
    frames = read_transcript("stream04-to-storage-daemon")
    assert frames[0] == Frame(
        "C", b'Hello Director bareos-dir calling Version="26.0.0"\n', None, length=51, line=2
    )
    assert frames[2].payload == b"6y+qH81Q24JmN8cVfQ/tgD\x00"
    assert frames[-1] == Frame("S", None, -4, length=-4, line=frames[-1].line)


def test_signals_and_bashed_names() -> None:
    frames = read_transcript("stream04-to-storage-daemon")
    eods = [f for f in frames if f.signal == -1]
    assert len(eods) == 4 and eods[0].direction == "C"
    assert find_payload(frames, b"3000 OK use device") == (
        b"3000 OK use device device=JustInTime\x01Device\n"
    )


def test_truncated_payload_is_marked() -> None:
    frames = read_transcript("stream06-to-storage-daemon")
    (big,) = [f for f in frames if f.truncated]
    assert big.length == 200000
    assert big.payload is not None and len(big.payload) == 400
    assert big.payload.startswith(b"eW\xfd=)")


def test_legacy_format() -> None:
    frames = read_transcript("legacy-17.2-fd-status")
    assert frames[0] == Frame("C", b"Hello Director bareos-dir calling\n", None, length=34, line=5)
    assert frames[1].direction == "S"
    assert frames[1].payload == b"auth cram-md5 <472160127.1795742019@legacy-fd> ssl=0\n"
    assert frames[2].payload == b"On+qO9+Fw/VYi4/Zf4/jWD\x00"
    assert frames[-2] == Frame("S", None, -1, length=-1, line=frames[-2].line)
    assert frames[-1].signal == -4 and frames[-1].direction == "C"
    start = next(i for i, f in enumerate(frames) if f.payload == b"status")
    status_lines = [f.payload for f in frames[start + 1 :] if f.payload is not None]
    assert len(status_lines) == 11
    assert status_lines[0] == b"\n"
    assert all(p.endswith(b"\n\x00") for p in status_lines[1:])


def test_unescape() -> None:
    assert unescape(r"a\x00b\n\"\\\x01\0") == b'a\x00b\n"\\\x01\x00'
    with pytest.raises(TranscriptError):
        unescape("\\q")
    with pytest.raises(TranscriptError):
        unescape("\\x4")


@pytest.mark.parametrize(
    "text",
    [
        'C> [3] "ab"',  # length mismatch
        "C> signal EOD (-4)",  # name/number mismatch
        'X> [1] "a"',
        '  0.1 C->FD hdr=00 00 00 02 len=3  "abc"',
        "  0.1 FD->C hdr=ff ff ff ff len=0  <signal -4 BNET_TERMINATE>",
        'C> [10] "abc... (+5 bytes)"',  # 3 + 5 != 10
    ],
)
def test_bad_lines_are_reported(text: str) -> None:
    with pytest.raises(TranscriptError):
        parse_transcript(text, name="t")


def test_env_override(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / "x.txt").write_text('# demo\nS> [2] "ok"\nC> signal TERMINATE (-4)\n')
    monkeypatch.setenv(ENV_VAR, str(tmp_path))
    assert transcripts_dir() == tmp_path
    assert [p.name for p in transcript_files()] == ["x.txt"]
    assert read_transcript("x") == [
        Frame("S", b"ok", None, length=2, line=2),
        Frame("C", None, -4, length=-4, line=3),
    ]
