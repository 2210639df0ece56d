"""Shared helpers for the daemon tests: config trees, managed subprocesses, replays.

* :func:`write_config` writes a Bareos config tree like ``tests.support.daemons.write_tree``
  but lets a value be written without quotes (wrap it in :class:`Bare`): Bareos
  (and our loader) refuse a quoted ``Address``.
* the ``start_daemon`` fixture starts an emulator subprocess and stops it at the end.
* :func:`replay_connector` plays the connecting side of a golden transcript
  against a daemon and returns what came back, turn by turn.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import attrs
import pytest
import trio

from bareosnet.net.stream import BareosStream
from bareosnet.proto import cram
from bareosnet.proto.framing import Packet, SignalFrame
from bareosnet.proto.signals import Signal
from tests.support.daemons import DaemonProcess
from tests.support.transcripts import Frame


class Bare(str):
    """A directive value written as is (no quotes): addresses, ports, keywords."""


def _value(item: Any) -> str:
    if isinstance(item, bool):
        return "yes" if item else "no"
    if isinstance(item, int | Bare):
        return str(item)
    text = str(item)
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def render_resource(rtype: str, directives: dict[str, Any]) -> str:
    lines = [f"{rtype} {{"]
    for key, value in directives.items():
        for item in value if isinstance(value, list) else [value]:
            lines.append(f"  {key} = {_value(item)}")
    lines.append("}")
    return "\n".join(lines) + "\n"


def write_config(root: Path, daemon_dir: str, resources: list[tuple[str, dict[str, Any]]]) -> Path:
    """``root/<daemon_dir>/<type>/<name>.conf`` per resource; returns ``root`` (the ``-c`` path)."""
    for rtype, directives in resources:
        sub = root / daemon_dir / rtype.lower()
        sub.mkdir(parents=True, exist_ok=True)
        name = str(directives.get("Name", rtype)).replace("/", "_")
        (sub / f"{name}.conf").write_text(render_resource(rtype, directives))
    return root


@pytest.fixture
def start_daemon() -> Iterator[Callable[..., DaemonProcess]]:
    """``start_daemon(script, config_root, *args)`` -> a running DaemonProcess (stopped afterwards)."""
    started: list[DaemonProcess] = []

    def start(script: str, config: Path, *args: str, **kw: Any) -> DaemonProcess:
        proc = DaemonProcess(script, config, *args, **kw)
        started.append(proc)
        return proc.start()

    yield start
    for proc in started:
        proc.stop()


# ---------------------------------------------------------------- transcript replay


@attrs.frozen
class Turn:
    """One run of frames in one direction: what the transcript has and what happened."""

    direction: str  # "C": we sent these; "S": the daemon sent these
    recorded: tuple[Frame, ...]
    received: tuple[bytes | Signal, ...] = ()  # S turns: payloads or signals received


_CHALLENGE = re.compile(rb"^auth cram-md5c? <\d+\.\d+@")


_ANSWER = re.compile(rb"^[A-Za-z0-9+/]{20,24}\x00?$")


def is_challenge(payload: bytes | None) -> bool:
    return payload is not None and _CHALLENGE.match(payload) is not None


def is_cram_answer(payload: bytes | None) -> bool:
    return payload is not None and _ANSWER.match(payload) is not None


def _turns(frames: list[Frame]) -> list[list[Frame]]:
    out: list[list[Frame]] = []
    for f in frames:
        if out and out[-1][0].direction == f.direction:
            out[-1].append(f)
        else:
            out.append([f])
    return out


async def replay_connector(
    port: int, frames: list[Frame], key: bytes, *, timeout: float = 10.0
) -> list[Turn]:
    """Play the ``C`` side of ``frames`` against 127.0.0.1:``port``.

    Everything the transcript's connector sent is sent again byte for byte,
    except the CRAM answer to the daemon's challenge, which is computed with
    ``key`` for the challenge actually received.  For each ``S`` turn, frames
    are read until as many arrived as were recorded or, when the recorded turn
    ends with a signal, until a signal arrives (so a shorter or longer listing
    still lines up with the next turn).
    """
    tcp = await trio.open_tcp_stream("127.0.0.1", port)
    stream = BareosStream(tcp, timeout=timeout)
    result: list[Turn] = []
    last_challenge: bytes | None = None
    try:
        for turn in _turns(frames):
            if turn[0].direction == "C":
                for f in turn:
                    if f.signal is not None:
                        await stream.send_signal(Signal(f.signal))
                    elif last_challenge is not None and is_cram_answer(f.payload):
                        answer = cram.response_packet(key, cram.parse_challenge(last_challenge))
                        await stream.send(answer)
                        last_challenge = None
                    else:
                        assert f.payload is not None
                        await stream.send(f.payload)
                result.append(Turn("C", tuple(turn)))
                continue
            wants_signal = turn[-1].signal is not None
            got: list[bytes | Signal] = []
            while True:
                frame = await stream.receive_frame()
                if isinstance(frame, SignalFrame):
                    got.append(frame.signal)
                    if wants_signal or len(got) >= len(turn):
                        break
                else:
                    assert isinstance(frame, Packet)
                    got.append(frame.payload)
                    if is_challenge(frame.payload):
                        last_challenge = frame.payload
                    if not wants_signal and len(got) >= len(turn):
                        break
            result.append(Turn("S", tuple(turn), tuple(got)))
    finally:
        await stream.aclose()
    return result


async def read_until_signal(
    stream: BareosStream, timeout: float = 5.0
) -> tuple[list[bytes], Signal]:
    """Payloads up to the next signal (heartbeats skipped), and that signal."""
    got: list[bytes] = []
    while True:
        frame = await stream.receive(timeout=timeout)
        if isinstance(frame, SignalFrame):
            return got, frame.signal
        got.append(frame.payload)


# ---------------------------------------------------------------- golden comparisons

TIME = rb"\d\d-[A-Z][a-z]{2}-\d\d \d\d:\d\d"


def normalize(p: bytes | Signal) -> bytes | Signal:
    """Blank out exactly the fields that must differ between the real FD/SD and us."""
    if isinstance(p, Signal):
        return p
    p = re.sub(rb"^auth cram-md5 <\d+\.\d+@", b"auth cram-md5 <R.T@", p)  # random challenge
    p = re.sub(rb"^(\S+) Version: \S+ \(\d\d [A-Z][a-z]+ \d{4}\) [^\n]+?( ?\n\x00)$",
               rb"\1 Version: V (D) OS\2", p)  # fmt: skip
    p = re.sub(rb"^Daemon started " + TIME + rb"\. Jobs: (run=0,? running=0), [^\n]+ binary\n",
               rb"Daemon started T. Jobs: \1, B binary\n", p)  # fmt: skip
    p = re.sub(rb" connected at: " + TIME, b" connected at: T", p)
    return p


def drop_terminated_table(payloads: list[bytes | Signal]) -> list[bytes | Signal]:
    """The lab had finished jobs, the emulator has none: drop header, rule and rows."""
    out: list[bytes | Signal] = []
    skipping = False
    for p in payloads:
        if isinstance(p, bytes) and p.startswith(b" JobId  Level    Files"):
            skipping = True
            continue
        if skipping and p == b"====\n\x00":
            skipping = False
        if not skipping:
            out.append(p)
    return out


def recorded_frames(turn: Turn) -> list[bytes | Signal]:
    """A turn's recorded frames as payload bytes or :class:`Signal`."""
    return [Signal(f.signal) if f.signal is not None else (f.payload or b"") for f in turn.recorded]


def compare_turns(turns: list[Turn]) -> None:
    """Every reply equal to the recorded one after :func:`normalize`; our CRAM answer exact."""
    saw_answer = False
    for turn in turns:
        if turn.direction != "S":
            continue
        recorded = drop_terminated_table(recorded_frames(turn))
        assert [normalize(p) for p in turn.received] == [normalize(p) for p in recorded]
        for f, got in zip(turn.recorded, turn.received, strict=False):
            if f.payload is not None and re.fullmatch(rb"[A-Za-z0-9+/]{22}\x00", f.payload):
                assert got == f.payload  # our CRAM answer to the recorded challenge
                saw_answer = True
    assert saw_answer
