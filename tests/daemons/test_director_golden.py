"""Golden transcript stream00: bconsole's side replayed against bareos-dir-emu.

The Director is configured like the lab of the transcripts (cleartext, names
and passwords from the transcripts README), with bareos-fd-emu and
bareos-sd-emu behind it.  Every packet and signal the emulator sends must be
equal to the recorded one, after the normalisations listed in
``DIFFERENCES`` (each with its reason).  The CRAM answer the Director gives
to bconsole's recorded challenge is compared unchanged: same key, same
challenge, same bytes.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import trio

from bareosnet.net.stream import BareosStream
from bareosnet.proto import cram
from bareosnet.proto.framing import SignalFrame
from bareosnet.proto.signals import Signal
from daemons.common import texts
from tests.daemons.conftest import render_resource
from tests.daemons.test_director_lab import (
    CLEAR,
    CONSOLE_SECRET,
    DIR,
    FD,
    SD,
    client,
    dir_tree,
    fd_tree,
    sd_tree,
    start_all,
    stop_all,
    storage,
)
from tests.support.daemons import DaemonProcess, free_port
from tests.support.transcripts import Frame, read_transcript

Item = bytes | Signal
LAB_FD_PORT, LAB_SD_PORT = 19102, 19103
LAB_OS = "Debian GNU/Linux 12 (bookworm)"

# (what differs, why it must differ, how both sides are normalised)
Rule = tuple[str, str, Callable[[bytes], bytes]]


def _sub(pattern: bytes, repl: bytes) -> Callable[[bytes], bytes]:
    rx = re.compile(pattern)
    return lambda b: rx.sub(repl, b)


DIFFERENCES: list[Rule] = [
    (
        "CRAM challenge of the Director",
        "random number and time in every challenge",
        _sub(rb"^auth cram-md5 <\d+\.\d+@", b"auth cram-md5 <R.T@"),
    ),
    (
        "version and release date",
        "the emulator reports its persona's version, not a 26.0.0~pre build",
        _sub(rb"Version: \S+ \(\d\d \w+ \d{4}\)", b"Version: <V> (<DATE>)"),
    ),
    (
        "host OS",
        "the emulator prints the OS it runs on",
        lambda b: b.replace(texts.os_name().encode(), b"<OS>").replace(LAB_OS.encode(), b"<OS>"),
    ),
    (
        "distribution id in version",
        "host OS again (version's distname word)",
        _sub(rb"<OS> \w+ <OS>", b"<OS> <DIST> <OS>"),
    ),
    (
        "services message",
        "the emulator is no Bareos build and says so",
        _sub(rb"(?s)^1002\x1e.*\n(?=You are )", b"1002\x1e<SERVICES>\n"),
    ),
    (
        "daemon start and connect times",
        "they show the wall clock of this run",
        _sub(rb"\d\d-\w{3}-\d\d \d\d:\d\d", b"<TIME>"),
    ),
    ("db: word", "no catalog database behind the emulator (db:none)", _sub(rb"db:\w+", b"db:<DB>")),
    (
        "binary info",
        '"bareosnet emulator" instead of "self-compiled"',
        _sub(rb", [\w -]+ binary\n", b", <BINARY> binary\n"),
    ),
    (
        "FD debug level",
        "the test harness starts every emulator with -d 100",
        _sub(rb"debug=\d+", b"debug=<N>"),
    ),
    (
        "archive device path",
        "the lab's storage path vs a temporary directory",
        _sub(rb'(Device "FileStorage") \(.*\)', rb"\1 (<PATH>)"),
    ),
]
JOB_ROWS = ("job list rows", "the emulators have run no jobs: recorded terminated-jobs tables "
            "(header, separator, rows) are dropped, the Director's \"No Terminated Jobs.\" and "
            "its recorded table are both replaced by one marker")  # fmt: skip


def normalise(items: list[Item]) -> list[Item]:
    out: list[Item] = []
    skip_director_table = False
    for item in items:
        if isinstance(item, Signal):
            out.append(item)
            continue
        b = item
        for _what, _why, fix in DIFFERENCES:
            b = fix(b)
        # Job list rows (see JOB_ROWS).
        if (
            b.startswith(b" JobId  Level")
            or re.fullmatch(rb"={60,}\n", b)
            or re.match(rb"^\s+\d+\s+(Full|Incr|Diff)\s", b)
        ):
            continue
        if b == b"No Terminated Jobs.\n":
            out.append(b"<TERMINATED JOBS>")
            continue
        if skip_director_table:
            if b == b"\n":
                skip_director_table = False
            continue
        out.append(b)
    return out


def director_table(items: list[Item]) -> list[Item]:
    """The Director's recorded "\\nTerminated Jobs:\\n" block up to its "\\n" -> one marker."""
    out: list[Item] = []
    i = 0
    while i < len(items):
        if items[i] == b"\nTerminated Jobs:\n" and any(
            x == b"\nClient Initiated Connections (waiting for jobs):\n" or (
                isinstance(x, bytes) and x.startswith(b"\nClient Initiated"))
            for x in items[i:]
        ):  # fmt: skip
            j = i + 1
            while j < len(items) and items[j] != b"\n":
                j += 1
            out.append(b"<TERMINATED JOBS>")
            i = j + 1
            continue
        out.append(items[i])
        i += 1
    return out


def _turns(frames: list[Frame]) -> list[list[Frame]]:
    out: list[list[Frame]] = []
    for f in frames:
        if out and out[-1][0].direction == f.direction:
            out[-1].append(f)
        else:
            out.append([f])
    return out


async def replay(
    port: int, frames: list[Frame], key: bytes
) -> list[tuple[list[Frame], list[Item]]]:
    """Send the console's frames; read each reply turn up to its recorded final signal."""
    stream = BareosStream(await trio.open_tcp_stream("127.0.0.1", port), timeout=20)
    results: list[tuple[list[Frame], list[Item]]] = []
    challenge: bytes | None = None
    try:
        for turn in _turns(frames):
            if turn[0].direction == "C":
                for f in turn:
                    assert f.payload is not None
                    if challenge is not None and re.fullmatch(rb"[A-Za-z0-9+/]{22}\x00", f.payload):
                        await stream.send(
                            cram.response_packet(key, cram.parse_challenge(challenge))
                        )
                        challenge = None
                    else:
                        await stream.send(f.payload)
                continue
            last = turn[-1]
            got: list[Item] = []
            while True:
                frame = await stream.receive_frame()
                if isinstance(frame, SignalFrame):
                    got.append(frame.signal)
                    if last.signal is not None and frame.signal == last.signal:
                        break
                else:
                    got.append(frame.payload)
                    if frame.payload.startswith(b"auth cram-md5 "):
                        challenge = frame.payload
                if last.signal is None and len(got) == len(turn):
                    break
            results.append((turn, got))
        # After "quit" the Director closes the connection without another packet.
        with trio.fail_after(5):
            try:
                extra = await stream.receive_frame()
            except Exception:
                extra = None
        assert extra is None, f"unexpected {extra!r} after quit"
    finally:
        await stream.aclose()
    return results


def recorded(turn: list[Frame]) -> list[Item]:
    return [Signal(f.signal) if f.signal is not None else f.payload for f in turn]  # type: ignore[misc]


def test_stream00_console_session(tmp_path: Path) -> None:
    dp, fp, sp = free_port(), free_port(), free_port()
    dir_tree(tmp_path / "dir", dp, director=dict(CLEAR),
             clients=[client("bareos-fd", fp, Catalog="MyCatalog", **CLEAR)],
             storages=[storage("File", sp, **CLEAR)],
             extra=[("Catalog", {"Name": "MyCatalog", "DbName": "bareos",
                                 "DbUser": "bareos"})])  # fmt: skip
    # In the same file, so that it is listed after bareos-fd whatever the file order.
    with open(tmp_path / "dir" / "bareos-dir.d" / "client" / "bareos-fd.conf", "a") as fh:
        fh.write(render_resource("Client", client("bareos-fd-passive", free_port(),
                                                  Catalog="MyCatalog", Passive=True)))  # fmt: skip
    fd_tree(tmp_path / "fd", "bareos-fd", fp, **CLEAR)
    sd_tree(tmp_path / "sd", "bareos-sd", sp, **CLEAR)
    procs = start_all([DaemonProcess(DIR, tmp_path / "dir"), DaemonProcess(FD, tmp_path / "fd"),
                       DaemonProcess(SD, tmp_path / "sd")])  # fmt: skip
    try:
        frames = read_transcript("stream00-to-director")
        turns = trio.run(replay, dp, frames, cram.password_key(CONSOLE_SECRET))
    finally:
        codes = stop_all(procs)
    assert codes == [0, 0, 0]

    def ports(b: bytes) -> bytes:
        return b.replace(str(fp).encode(), b"19102").replace(str(sp).encode(), b"19103")

    compared = 0
    for turn, got in turns:
        want = normalise(director_table(recorded(turn)))
        have = normalise(director_table([ports(x) if isinstance(x, bytes) else x for x in got]))
        assert have == want, f"transcript line {turn[0].line}"
        compared += len(want)
    assert compared >= 70
    # The Director's answer to bconsole's recorded challenge is the recorded answer.
    recorded_answer = b"D++OdG/0iAJnbTYpl7VUQA\x00"
    answer = next(got for turn, got in turns if turn[0].payload == recorded_answer)
    assert answer == [recorded_answer]


def test_every_difference_has_a_reason() -> None:
    for what, why, _ in [*DIFFERENCES, (*JOB_ROWS, None)]:  # type: ignore[misc]
        assert what and len(why) > 10
