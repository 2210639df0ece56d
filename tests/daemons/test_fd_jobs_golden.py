"""Golden replays of real Bareos 26 job sessions against the File daemon emulator.

The Director (and, for the data connections, the Storage daemon) side of each
transcript is played again; every packet the FD sends is compared with the
recorded one.  Fields that must differ, and only those, are normalised:

* the random part of our CRAM challenges (``auth cram-md5 <R.T@...>``);
* the version word of ``2000 OK Job <version> (...)`` and of the
  ``Version: ...`` job message (the lab ran a 26.0.0~pre build);
* ``level=<time>`` of job messages (the message time);
* the SD port in ``storage address=`` and ``Connected Storage daemon at``;
* the backed-up paths: ``F /srv/bareos-lab/data`` and restore ``where=``
  point into the test's temporary directory;
* ``btime <usec>`` answers carry the test's clock, and the incremental's
  ``since_utime`` lies between the old and the new files of the test tree.

Byte counts are not normalised: the test trees hold files of the recorded
names, sizes and (where the transcript shows it) contents.
"""

from __future__ import annotations

import hashlib
import os
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import attrs
import trio

from bareosnet.config import parse_string
from bareosnet.net.handshake import AcceptorSettings
from bareosnet.net.stream import BareosStream
from bareosnet.proto import cram
from bareosnet.proto.attributes import AttributeRecord
from bareosnet.proto.connections import spec as connection_spec
from bareosnet.proto.framing import Packet, SignalFrame
from bareosnet.proto.handshake import AcceptPlan, Refusal
from bareosnet.proto.hello import HelloInfo, HelloKind
from bareosnet.proto.signals import Signal
from bareosnet.proto.streams import Stream
from bareosnet.tls.settings import CLEARTEXT
from tests.daemons.conftest import is_challenge, is_cram_answer
from tests.daemons.test_fd_jobs_support import FD_KEY, MemorySD, running_fd
from tests.support.transcripts import Frame, read_transcript

LAB = "/srv/bareos-lab/data"
FILE_TEXT = "hello bareos file {n} Fri Nov 27 00:34:06 UTC 2026\n"


# ---------------------------------------------------------------- replaying


@attrs.frozen
class Turn:
    direction: str
    recorded: tuple[Frame, ...]
    received: tuple[bytes | Signal, ...] = ()


def _turns(frames: list[Frame]) -> list[list[Frame]]:
    out: list[list[Frame]] = []
    for f in frames:
        if out and out[-1][0].direction == f.direction:
            out[-1].append(f)
        else:
            out.append([f])
    return out


Rewrite = Callable[[bytes], bytes]


async def replay(
    stream: BareosStream, frames: list[Frame], key: bytes, *, we: str,
    rewrite: Rewrite | None = None, timeout: float = 20.0,
) -> list[Turn]:  # fmt: skip
    """Play side ``we`` of ``frames`` on ``stream``; read the other side turn by turn.

    Our CRAM answers are computed for the challenges actually received; a
    received turn ends after as many frames as recorded or, when the
    recorded turn ends with a signal, at the first signal.
    """
    result: list[Turn] = []
    last_challenge: bytes | None = None
    for turn in _turns(frames):
        if turn[0].direction == we:
            for f in turn:
                if f.signal is not None:
                    await stream.send_signal(Signal(f.signal))
                elif last_challenge is not None and is_cram_answer(f.payload):
                    await stream.send(
                        cram.response_packet(key, cram.parse_challenge(last_challenge))
                    )
                    last_challenge = None
                else:
                    assert f.payload is not None
                    await stream.send(rewrite(f.payload) if rewrite else f.payload)
            result.append(Turn(we, tuple(turn)))
            continue
        wants_signal = turn[-1].signal is not None
        got: list[bytes | Signal] = []
        while True:
            frame = await stream.receive_frame(timeout=timeout)
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
        result.append(Turn(turn[0].direction, tuple(turn), tuple(got)))
    return result


def normalize(p: bytes | Signal) -> bytes | Signal:
    """Blank exactly the fields listed in the module docstring."""
    if isinstance(p, Signal):
        return p
    p = re.sub(rb"^auth cram-md5 <\d+\.\d+@", b"auth cram-md5 <R.T@", p)
    p = re.sub(rb"^2000 OK Job \S+ \(", b"2000 OK Job V (", p)
    p = re.sub(rb"^(Jmsg Job=\S+ type=\d+) level=\d+ ", rb"\1 level=T ", p)
    p = re.sub(rb": Version: \S+ \(", b": Version: V (", p)
    p = re.sub(
        rb"Connected Storage daemon at 127\.0\.0\.1:\d+,", b"Connected Storage daemon at SD,", p
    )
    return p


def frames_of(turn: Turn) -> list[bytes | Signal]:
    return [Signal(f.signal) if f.signal is not None else (f.payload or b"") for f in turn.recorded]


def compare(turns: list[Turn], they: str) -> int:
    """Every frame side ``they`` sent equals the recording (normalised); returns the count."""
    n = 0
    for turn in turns:
        if turn.direction != they:
            continue
        assert [normalize(p) for p in turn.received] == [normalize(p) for p in frames_of(turn)]
        n += len(turn.received)
    return n


def cram_answers(turns: list[Turn], they: str) -> list[bytes]:
    """The CRAM answers side ``they`` sent (exact: they answer recorded challenges)."""
    return [p for t in turns if t.direction == they for p in t.received
            if isinstance(p, bytes) and re.fullmatch(rb"[A-Za-z0-9+/]{22}\x00", p)]  # fmt: skip


def recorded_answers(frames: list[Frame], they: str) -> list[bytes]:
    return [f.payload for f in frames if f.direction == they and f.payload is not None
            and re.fullmatch(rb"[A-Za-z0-9+/]{22}\x00", f.payload)]  # fmt: skip


# ---------------------------------------------------------------- the lab tree


def lab_tree(root: Path) -> Path:
    """The recorded /srv/bareos-lab/data: three 49-byte files, sub/nested.txt, 200000 bytes."""
    data = root / "data"
    (data / "sub").mkdir(parents=True)
    for n in (1, 2, 3):
        (data / f"file{n}.txt").write_text(FILE_TEXT.format(n=n))
    (data / "sub" / "nested.txt").write_text("nested\n")
    (data / "sub" / "random.bin").write_bytes(os.urandom(200_000))
    return data


def data_records(sd: MemorySD) -> dict[str, tuple[int, bytes, bytes]]:
    """name below data/ -> (file type, data, digest) from what the SD received."""
    by_fi: dict[int, dict[int, bytes]] = {}
    for r in sd.records:
        by_fi.setdefault(r.file_index, {}).setdefault(r.stream, b"")
        by_fi[r.file_index][r.stream] += r.data
    out = {}
    for streams in by_fi.values():
        rec = AttributeRecord.parse(streams[Stream.UNIX_ATTRIBUTES])
        name = rec.fname.split("/data", 1)[1]
        out[name] = (int(rec.file_type), streams.get(Stream.FILE_DATA, b""),
                     streams.get(Stream.MD5_DIGEST, b""))  # fmt: skip
    return out


def recorded_records(frames: list[Frame], sender: str) -> dict[str, tuple[int, bytes, bytes]]:
    """The same view of a recorded append session (name, type, data, digest)."""
    out: dict[str, tuple[int, bytes, bytes]] = {}
    pkts = [f for f in frames if f.direction == sender]
    names: dict[str, str] = {}
    i = 0
    while i < len(pkts):
        f = pkts[i]
        m = re.fullmatch(rb"(\d+) (\d+) 0", f.payload or b"")
        if m is None:
            i += 1
            continue
        fi, stream = m.group(1).decode(), int(m.group(2))
        body = b""
        i += 1
        while i < len(pkts) and pkts[i].signal is None:
            body += pkts[i].payload or b""
            i += 1
        if stream == Stream.UNIX_ATTRIBUTES:
            rec = AttributeRecord.parse(body)
            names[fi] = rec.fname.split("/data", 1)[1]
            out[names[fi]] = (int(rec.file_type), b"", b"")
        else:
            t, d, g = out[names[fi]]
            out[names[fi]] = (t, body, g) if stream == Stream.FILE_DATA else (t, d, body)
    return out


def check_records(sd: MemorySD, frames: list[Frame], sender: str) -> None:
    """Same files, types, texts and digests as recorded (random.bin: our own bytes)."""
    got, want = data_records(sd), recorded_records(frames, sender)
    assert sorted(got) == sorted(want)
    for name, (ftype, data, digest) in want.items():
        g_type, g_data, g_digest = got[name]
        assert g_type == ftype, name
        if name.endswith("random.bin"):
            assert len(g_data) == 200_000 and g_digest == hashlib.md5(g_data).digest()
        else:
            assert (g_data, g_digest) == (data, digest), name
    indexes = [r.file_index for r in sd.records if r.stream == Stream.UNIX_ATTRIBUTES]
    assert indexes == list(range(1, len(want) + 1))
    assert data_records(sd)["/"][0] == 5 and sd.records[-1].file_index == len(want)


def session_commands(frames: list[Frame], sender: str) -> list[bytes | Signal]:
    """The recorded session commands (no data) the FD sent on a data connection."""
    out: list[bytes | Signal] = []
    for f in frames:
        if f.direction != sender:
            continue
        if f.signal == Signal.TERMINATE:
            out.append(Signal.TERMINATE)
        elif f.payload and re.match(rb"(append|read) ", f.payload):
            out.append(f.payload)
    return out


# ---------------------------------------------------------------- a replaying SD


async def sd_handshake_as_acceptor(
    tcp: trio.abc.Stream, frames: list[Frame], key: bytes
) -> tuple[BareosStream, list[Turn]]:
    """Play the SD side of a row-6 handshake (recorded challenge) on an accepted socket."""
    stream = BareosStream(tcp, timeout=10)
    head = frames[:7]  # Hello .. the SD's "1000 OK auth"
    turns = await replay(stream, head, key, we="S")
    return stream, turns


async def sd_handshake_as_connector(
    port: int, frames: list[Frame], key: bytes
) -> tuple[BareosStream, list[Turn]]:
    tcp = await trio.open_tcp_stream("127.0.0.1", port)
    stream = BareosStream(tcp, timeout=10)
    turns = await replay(stream, frames[:7], key, we="C")
    return stream, turns


# ---------------------------------------------------------------- stream05 + stream06


async def test_golden_active_backup_stream05_stream06(tmp_path: Path) -> None:
    data = lab_tree(tmp_path)
    fd_frames = read_transcript("stream05-to-file-daemon")
    sd_frames = read_transcript("stream06-to-storage-daemon")
    key = b"GMEJ-POHO-FAOG-HCCI-JHML-PMAD-FBEC-EHIA"
    sd = MemorySD(key, "backup-lab.2026-11-27_01.10.08_04")
    sd_turns: list[Turn] = []

    async with running_fd() as (_, port), trio.open_nursery() as nursery:
        listeners = await trio.open_tcp_listeners(0, host="127.0.0.1")
        sd_port = listeners[0].socket.getsockname()[1]

        async def sd_handler(tcp: trio.SocketStream) -> None:
            stream, turns = await sd_handshake_as_acceptor(tcp, sd_frames, key)
            sd_turns.extend(turns)
            await sd.serve(stream)

        nursery.start_soon(trio.serve_listeners, sd_handler, listeners)

        def rewrite(p: bytes) -> bytes:
            p = p.replace(b"port=19103", f"port={sd_port}".encode())
            return p.replace(f"F {LAB}".encode(), f"F {data}".encode())

        tcp = await trio.open_tcp_stream("127.0.0.1", port)
        director = BareosStream(tcp, timeout=20)
        turns = await replay(director, fd_frames, FD_KEY, we="C", rewrite=rewrite)
        await director.aclose()
        with trio.fail_after(10):
            await sd.done.wait()
        nursery.cancel_scope.cancel()

    assert compare(turns, "S") == len([f for f in fd_frames if f.direction == "S"])
    assert cram_answers(turns, "S") == recorded_answers(fd_frames, "S")
    # The data connection: Hello, CRAM answer to the recorded SD challenge, session commands.
    assert compare(sd_turns, "C") == 4
    assert cram_answers(sd_turns, "C") == recorded_answers(sd_frames, "C")
    assert [c for c in sd.commands] == session_commands(sd_frames, "C")
    check_records(sd, sd_frames, "C")


# ---------------------------------------------------------------- stream08 + stream09


async def test_golden_passive_backup_stream08_stream09(tmp_path: Path) -> None:
    data = lab_tree(tmp_path)
    fd_frames = read_transcript("stream08-to-file-daemon")
    sd_frames = read_transcript("stream09-to-file-daemon")
    job = "backup-lab-passive.2026-11-27_01.10.11_05"
    key = b"GPJN-KCPD-MEHJ-MMKH-BBEG-NGIP-ALLJ-PCLF"
    sd = MemorySD(key, job, ticket=2)
    sd_turns: list[Turn] = []

    async with running_fd() as (daemon, port), trio.open_nursery() as nursery:

        async def storage_daemon() -> None:
            while daemon.jobs.authorization(job) is None:  # the Director announced the job
                await trio.sleep(0.01)
            stream, turns = await sd_handshake_as_connector(port, sd_frames, key)
            sd_turns.extend(turns)
            await sd.serve(stream)

        nursery.start_soon(storage_daemon)

        def rewrite(p: bytes) -> bytes:
            return p.replace(f"F {LAB}".encode(), f"F {data}".encode())

        tcp = await trio.open_tcp_stream("127.0.0.1", port)
        director = BareosStream(tcp, timeout=20)
        turns = await replay(director, fd_frames, FD_KEY, we="C", rewrite=rewrite)
        await director.aclose()
        with trio.fail_after(10):
            await sd.done.wait()
        nursery.cancel_scope.cancel()

    assert compare(turns, "S") == len([f for f in fd_frames if f.direction == "S"])
    assert cram_answers(turns, "S") == recorded_answers(fd_frames, "S")
    # Row 7: the FD challenges as R_CLIENT::bareos-fd and answers the SD's "File daemon" challenge.
    assert compare(sd_turns, "S") == 3
    assert cram_answers(sd_turns, "S") == recorded_answers(sd_frames, "S")
    assert sd.commands == session_commands(sd_frames, "S")
    check_records(sd, sd_frames, "S")


# ---------------------------------------------------------------- set2: client initiated


def ci_config(dir_port: int) -> Any:
    return parse_string(
        f"""
Client {{ Name = bareos-fd; FD Port = 9102; TLS Enable = no; TLS Require = no }}
Director {{
  Name = bareos-dir; Password = "lab-fd-secret"; TLS Enable = no; TLS Require = no
  Address = 127.0.0.1; Port = {dir_port}; Connection From Client To Director = yes
}}
""",
        daemon="fd",
    )


def director_acceptor() -> AcceptorSettings:
    def resolve(hello: HelloInfo) -> AcceptPlan | Refusal:
        if hello.kind is HelloKind.CLIENT and hello.name == "bareos-fd":
            return AcceptPlan(spec=connection_spec("4"), key=FD_KEY, policy=0,
                              own_name="bareos-dir")  # fmt: skip
        return Refusal("unknown client", "unknown-name")

    return AcceptorSettings(resolver=resolve, own_tls=CLEARTEXT, psk_lookup=lambda _: None,
                            failure_delay=0, timeout=10)  # fmt: skip


async def _ci_session(
    tmp_path: Path, fd_frames: list[Frame], rewrite: Rewrite, sd_task: Callable[..., Any]
) -> list[Turn]:
    """Accept the FD's client-initiated connection and replay the Director (S) side on it."""
    turns: list[Turn] = []
    listeners = await trio.open_tcp_listeners(0, host="127.0.0.1")
    dir_port = listeners[0].socket.getsockname()[1]
    done = trio.Event()
    async with trio.open_nursery() as nursery:

        async def handler(tcp: trio.SocketStream) -> None:
            if done.is_set():
                return  # the FD's next waiting connection
            stream = BareosStream(tcp, timeout=20)
            done.set()
            turns.extend(await replay(stream, fd_frames, FD_KEY, we="S", rewrite=rewrite))
            await stream.aclose()

        nursery.start_soon(trio.serve_listeners, handler, listeners)
        async with running_fd(ci_config(dir_port)) as (daemon, _):
            await nursery.start(sd_task, daemon)  # the SD listens before the job starts
            with trio.fail_after(20):
                while not turns:
                    await trio.sleep(0.05)
        nursery.cancel_scope.cancel()
    return turns


async def test_golden_client_initiated_incremental_set2_stream00(tmp_path: Path) -> None:
    data = lab_tree(tmp_path)
    since = int(time.time()) + 1
    while time.time() < since + 0.05:  # old files have ctime < since
        await trio.sleep(0.05)
    (data / "hello.txt").write_text("changed Fri Nov 27 01:11:57 UTC 2026\n")
    fd_frames = read_transcript("set2-stream00-to-director")
    sd_frames = read_transcript("set2-stream05-to-storage-daemon")
    key = b"OJFA-AMKE-FKLC-BOAH-FGCN-AOMI-EJEI-BFLB"
    sd = MemorySD(key, "backup-lab.2026-11-27_01.11.58_04")
    sd_turns: list[Turn] = []
    sd_port = 0

    async def sd_task(daemon: Any, task_status: Any = trio.TASK_STATUS_IGNORED) -> None:
        nonlocal sd_port
        listeners = await trio.open_tcp_listeners(0, host="127.0.0.1")
        sd_port = listeners[0].socket.getsockname()[1]
        task_status.started()

        async def handler(tcp: trio.SocketStream) -> None:
            stream, turns = await sd_handshake_as_acceptor(tcp, sd_frames, key)
            sd_turns.extend(turns)
            await sd.serve(stream)

        await trio.serve_listeners(handler, listeners)

    def rewrite(p: bytes) -> bytes:
        if p.startswith(b"btime "):
            return f"btime {time.time_ns() // 1000}\n".encode()
        p = re.sub(rb"since_utime \d+", f"since_utime {since}".encode(), p)
        p = p.replace(b"port=19103", f"port={sd_port}".encode())
        return p.replace(f"F {LAB}".encode(), f"F {data}".encode())

    turns = await _ci_session(tmp_path, fd_frames, rewrite, sd_task)
    assert compare(turns, "C") == len([f for f in fd_frames if f.direction == "C"])
    assert cram_answers(turns, "C") == recorded_answers(fd_frames, "C")
    assert sd.commands == session_commands(sd_frames, "C")
    got = data_records(sd)
    assert sorted(got) == ["/", "/hello.txt"]
    assert got["/hello.txt"][1] == b"changed Fri Nov 27 01:11:57 UTC 2026\n"
    assert got["/hello.txt"][2] == recorded_records(sd_frames, "C")["/hello.txt"][2]


async def test_golden_client_initiated_restore_set2_stream04_stream09(tmp_path: Path) -> None:
    where = tmp_path / "restore-clear"
    fd_frames = read_transcript("set2-stream04-to-director")
    sd_frames = read_transcript("set2-stream09-to-storage-daemon")
    key = b"MJHH-NAKB-LPIN-OFFE-CJBA-JMNL-FKMJ-CGNI"
    sd_turns: list[Turn] = []
    sd_port = 0

    async def sd_task(daemon: Any, task_status: Any = trio.TASK_STATUS_IGNORED) -> None:
        nonlocal sd_port
        listeners = await trio.open_tcp_listeners(0, host="127.0.0.1")
        sd_port = listeners[0].socket.getsockname()[1]
        task_status.started()

        async def handler(tcp: trio.SocketStream) -> None:
            stream = BareosStream(tcp, timeout=10)
            sd_turns.extend(await replay(stream, sd_frames, key, we="S"))
            await stream.aclose()

        await trio.serve_listeners(handler, listeners)

    def rewrite(p: bytes) -> bytes:
        p = p.replace(b"port=19103", f"port={sd_port}".encode())
        return p.replace(b"where=/srv/bareos-lab/restore-clear", f"where={where}".encode())

    turns = await _ci_session(tmp_path, fd_frames, rewrite, sd_task)
    assert compare(turns, "C") == len([f for f in fd_frames if f.direction == "C"])
    assert compare(sd_turns, "C") == len([f for f in sd_frames if f.direction == "C"])
    assert cram_answers(sd_turns, "C") == recorded_answers(sd_frames, "C")
    restored = where / "srv/bareos-lab/data"
    assert (restored / "hello.txt").read_bytes() == b"changed Fri Nov 27 01:11:57 UTC 2026\n"
    assert (restored / "hello.txt").stat().st_mode & 0o7777 == 0o644
    assert int((restored / "hello.txt").stat().st_mtime) == 1795741917  # BrCNjd
    assert (restored).stat().st_mode & 0o7777 == 0o755


async def test_golden_passive_restore_set2_stream12_stream13(tmp_path: Path) -> None:
    where = tmp_path / "restore-clear-p"
    fd_frames = read_transcript("set2-stream12-to-file-daemon")
    sd_frames = read_transcript("set2-stream13-to-file-daemon")
    job = "RestoreFiles.2026-11-27_01.12.05_08"
    key = b"GFJO-AMOM-HKLK-CKFB-NJJL-HAOC-HNLK-CNGA"
    sd_turns: list[Turn] = []

    async with running_fd() as (daemon, port), trio.open_nursery() as nursery:

        async def storage_daemon() -> None:
            while daemon.jobs.authorization(job) is None:
                await trio.sleep(0.01)
            tcp = await trio.open_tcp_stream("127.0.0.1", port)
            stream = BareosStream(tcp, timeout=10)
            sd_turns.extend(await replay(stream, sd_frames, key, we="C"))
            await stream.aclose()

        nursery.start_soon(storage_daemon)

        def rewrite(p: bytes) -> bytes:
            return p.replace(b"where=/srv/bareos-lab/restore-clear-p", f"where={where}".encode())

        tcp = await trio.open_tcp_stream("127.0.0.1", port)
        director = BareosStream(tcp, timeout=20)
        turns = await replay(director, fd_frames, FD_KEY, we="C", rewrite=rewrite)
        await director.aclose()
        with trio.fail_after(10):
            while not sd_turns:
                await trio.sleep(0.02)
        nursery.cancel_scope.cancel()

    assert compare(turns, "S") == len([f for f in fd_frames if f.direction == "S"])
    assert compare(sd_turns, "S") == len([f for f in sd_frames if f.direction == "S"])
    assert cram_answers(sd_turns, "S") == recorded_answers(sd_frames, "S")
    assert (where / "srv/bareos-lab/data/hello.txt").read_bytes().startswith(b"changed ")
