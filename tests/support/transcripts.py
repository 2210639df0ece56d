"""Reader for the golden transcripts of real Bareos daemons.

The files live in ``shared/reference/transcripts/`` beside the repository
(``BAREOSNET_TRANSCRIPTS`` overrides the directory).  Two formats exist:

* the main one (``streamNN-*.txt``, ``set2-*.txt``)::

      C> [51] "Hello Director bareos-dir calling ...\\n"
      S> signal EOD (-1)

  ``C`` is the connecting side, ``S`` the accepting side, ``[n]`` the packet's
  length header and the payload is Python-escaped.  A long payload may be cut:
  ``"<first bytes>... (+199600 bytes)"``; such a frame is marked
  ``truncated`` and carries only the bytes shown.

* the 17.2 capture (``legacy-17.2-*.txt``)::

        0.001 C->FD hdr=00 00 00 17 len=23  "On+qO9+Fw/VYi4/Zf4/jWD\\0"
        0.044 FD->C hdr=ff ff ff ff len=0  <signal -1 BNET_EOD>

  where ``C`` is again the connector.

Every frame's length is checked against its payload; a mismatch raises
:class:`TranscriptError` naming the file and line.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Literal

import attrs

from bareosnet.proto.signals import Signal

Direction = Literal["C", "S"]

ENV_VAR = "BAREOSNET_TRANSCRIPTS"


class TranscriptError(ValueError):
    """A transcript line that does not parse or whose length does not match."""


@attrs.frozen
class Frame:
    """One packet of a transcript: a payload or a signal."""

    direction: Direction
    payload: bytes | None
    signal: int | None
    # The length header as recorded (for signals: the negative value).
    length: int = 0
    # True when the transcript shows only the first bytes of the payload.
    truncated: bool = False
    line: int = 0

    @property
    def is_signal(self) -> bool:
        return self.signal is not None

    @property
    def text(self) -> str:
        """The payload as text (latin-1, so any byte maps to one character)."""
        if self.payload is None:
            raise ValueError("a signal frame has no text")
        return self.payload.decode("latin-1")


def transcripts_dir() -> Path:
    """The directory holding the transcripts (env override first)."""
    override = os.environ.get(ENV_VAR)
    if override:
        return Path(override)
    # A copy lives in the repo (tests/golden/transcripts) so the suite is hermetic;
    # shared/reference/transcripts beside the checkout is the source it came from.
    return Path(__file__).resolve().parents[1] / "golden" / "transcripts"


def transcript_files() -> list[Path]:
    """Every transcript file, sorted by name (the README is not one)."""
    directory = transcripts_dir()
    if not directory.is_dir():
        raise FileNotFoundError(
            f"transcripts directory {directory} not found (set {ENV_VAR} to point at it)"
        )
    return sorted(p for p in directory.glob("*.txt"))


def transcript_path(name: str) -> Path:
    """``name`` with or without ``.txt``, e.g. ``"stream06-to-storage-daemon"``."""
    path = transcripts_dir() / (name if name.endswith(".txt") else name + ".txt")
    if not path.is_file():
        raise FileNotFoundError(f"no transcript {path}")
    return path


_SIMPLE_ESCAPES = {
    "n": b"\n",
    "r": b"\r",
    "t": b"\t",
    "0": b"\0",  # used by the 17.2 capture (Python itself writes \x00)
    "\\": b"\\",
    '"': b'"',
    "'": b"'",
    "a": b"\a",
    "b": b"\b",
    "f": b"\f",
    "v": b"\v",
}


def unescape(body: str) -> bytes:
    """Decode a transcript payload (Python-style escapes, plus ``\\0`` = NUL)."""
    out = bytearray()
    i, n = 0, len(body)
    while i < n:
        ch = body[i]
        if ch != "\\":
            out += ch.encode("utf-8")
            i += 1
            continue
        if i + 1 >= n:
            raise TranscriptError("dangling backslash")
        esc = body[i + 1]
        if esc == "x":
            hexdigits = body[i + 2 : i + 4]
            if len(hexdigits) != 2:
                raise TranscriptError(f"short \\x escape at {i}")
            try:
                out.append(int(hexdigits, 16))
            except ValueError:
                raise TranscriptError(f"bad \\x escape {hexdigits!r}") from None
            i += 4
        elif esc in _SIMPLE_ESCAPES:
            out += _SIMPLE_ESCAPES[esc]
            i += 2
        else:
            raise TranscriptError(f"unknown escape \\{esc}")
    return bytes(out)


_MAIN_PACKET = re.compile(r'(?P<dir>[CS])> \[(?P<n>\d+)\] "(?P<body>.*)"')
_MAIN_SIGNAL = re.compile(r"(?P<dir>[CS])> signal (?P<name>[A-Z_]+) \((?P<num>-\d+)\)")
_TRUNCATED = re.compile(r"(?P<head>.*)\.\.\. \(\+(?P<more>\d+) bytes\)", re.DOTALL)
_LEGACY = re.compile(
    r"\s*[\d.]+ (?P<src>\w+)->(?P<dst>\w+) hdr=(?P<hdr>(?:[0-9a-f]{2} ){3}[0-9a-f]{2}) "
    r"len=(?P<len>\d+)\s+"
    r'(?:"(?P<body>.*)"|<signal (?P<sig>-\d+) (?P<signame>\w+)>)'
)


def _signal_name_ok(name: str, number: int) -> bool:
    try:
        sig = Signal(number)
    except ValueError:
        return False
    return name.removeprefix("BNET_") == sig.name


def _main_frame(m: re.Match[str], lineno: int, where: str) -> Frame:
    direction: Direction = "C" if m.group("dir") == "C" else "S"
    length = int(m.group("n"))
    body = m.group("body")
    payload = unescape(body)
    truncated = False
    if len(payload) != length:
        cut = _TRUNCATED.fullmatch(body)
        if cut is None:
            raise TranscriptError(f"{where}: [{length}] but payload has {len(payload)} bytes")
        payload = unescape(cut.group("head"))
        if len(payload) + int(cut.group("more")) != length:
            raise TranscriptError(
                f"{where}: [{length}] but shown {len(payload)} + omitted {cut.group('more')}"
            )
        truncated = True
    return Frame(direction, payload, None, length=length, truncated=truncated, line=lineno)


def _legacy_frame(m: re.Match[str], lineno: int, where: str) -> Frame:
    # The connector is always called "C" in this capture.
    direction: Direction = "C" if m.group("src") == "C" else "S"
    header = int.from_bytes(bytes.fromhex(m.group("hdr").replace(" ", "")), "big", signed=True)
    length = int(m.group("len"))
    if m.group("sig") is not None:
        number = int(m.group("sig"))
        if header != number or length != 0:
            raise TranscriptError(f"{where}: signal {number} with header {header} len={length}")
        if not _signal_name_ok(m.group("signame"), number):
            raise TranscriptError(f"{where}: signal name {m.group('signame')} is not {number}")
        return Frame(direction, None, number, length=number, line=lineno)
    payload = unescape(m.group("body"))
    if not header == length == len(payload):
        raise TranscriptError(
            f"{where}: header {header}, len={length}, payload {len(payload)} bytes disagree"
        )
    return Frame(direction, payload, None, length=length, line=lineno)


def parse_transcript(text: str, *, name: str = "<transcript>") -> list[Frame]:
    """Parse a transcript in either format into frames."""
    frames: list[Frame] = []
    for lineno, line in enumerate(text.splitlines(), start=1):
        where = f"{name}:{lineno}"
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if m := _MAIN_PACKET.fullmatch(line):
            frames.append(_main_frame(m, lineno, where))
        elif m := _MAIN_SIGNAL.fullmatch(line):
            number = int(m.group("num"))
            if not _signal_name_ok(m.group("name"), number):
                raise TranscriptError(f"{where}: signal name {m.group('name')} is not {number}")
            direction: Direction = "C" if m.group("dir") == "C" else "S"
            frames.append(Frame(direction, None, number, length=number, line=lineno))
        elif m := _LEGACY.fullmatch(line):
            frames.append(_legacy_frame(m, lineno, where))
        else:
            raise TranscriptError(f"{where}: unrecognised line {line[:80]!r}")
    return frames


def read_transcript(name_or_path: str | Path) -> list[Frame]:
    """Frames of a transcript given by file name (``stream06-...``) or path."""
    path = Path(name_or_path)
    if not path.is_file():
        path = transcript_path(str(name_or_path))
    return parse_transcript(path.read_text(encoding="utf-8"), name=path.name)


def payloads(frames: list[Frame], direction: Direction | None = None) -> Iterator[bytes]:
    """The complete (non-truncated) payloads, optionally of one direction."""
    for f in frames:
        if f.payload is not None and not f.truncated:
            if direction is None or f.direction == direction:
                yield f.payload


def find_payload(frames: list[Frame], prefix: bytes, direction: Direction | None = None) -> bytes:
    """The first complete payload starting with ``prefix`` (for tests)."""
    for p in payloads(frames, direction):
        if p.startswith(prefix):
            return p
    raise LookupError(f"no payload starting with {prefix!r}")
