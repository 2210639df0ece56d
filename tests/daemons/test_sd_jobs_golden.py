"""Golden replays of real Bareos 26 job sessions against the Storage daemon emulator.

The test plays the Director (and the File daemon) exactly as recorded and
compares every packet the emulator sends with the recorded one.  What must
differ, and is blanked on both sides before comparing:

* CRAM-MD5 challenges (random number and time); CRAM answers that depend on
  the session key are checked against the answer computed with *our* key;
* the session key and SDtime of ``3000 OK Job`` (SDid must match) and the
  SDtime inside the binary ``UpdCat`` header;
* ``level=<time>`` of job messages, the text after ``Version:``,
  ``EndTime=``, ``VolWriteTime=``/``VolReadTime=`` (microseconds spent), the
  numbers in "Elapsed time=..., Transfer rate=...";
* the Archive Device path and port numbers (ours are temporary), and the
  volume size after our job (our volume format is not Bareos's: the
  ``VolBytes`` and ``EndBlock`` of the final catalog updates must equal our
  real file size instead).

The volume ``Full-0002`` is prepared with exactly the size the lab's catalog
reports, so "Ready to append to end of Volume ... size=N" and the first
catalog updates are compared byte for byte.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import attrs
import trio

from bareosnet.errors import PeerClosedError
from bareosnet.net.stream import BareosStream
from bareosnet.proto import cram
from bareosnet.proto.framing import SignalFrame
from bareosnet.proto.session_key import is_session_key
from bareosnet.proto.signals import Signal
from daemons.storage.devices import EOS_LABEL, PRE_LABEL, SOS_LABEL, SessionLabel
from daemons.storage.volume import RECORD_HEADER_SIZE, VolumeWriter
from tests.daemons.test_sd_jobs_helpers import (
    SD_KEY,
    announce,
    connect_director,
    running_sd,
    sd_config,
)
from tests.support.transcripts import Frame, read_transcript

LAB_PATH = b"/srv/bareos-lab/storage"
_ANSWER = re.compile(rb"^[A-Za-z0-9+/]{20,24}\x00$")
_CHALLENGE = re.compile(rb"^auth cram-md5c? <\d+\.\d+@")


def normalize(p: bytes) -> bytes:
    p = _CHALLENGE.sub(b"auth cram-md5 <R.T@", p)
    p = re.sub(rb"^(3000 OK Job SDid=\d+ SDtime=)\d+( Authorization=)\S+", rb"\1T\2KEY", p)
    if p.startswith(b"Jmsg Job="):
        p = re.sub(rb"^(Jmsg Job=\S+ type=\d+ level=)\d+", rb"\1T", p)
        p = re.sub(rb"(JobId \d+: Version: ).*\n$", rb"\1V\n", p)
        p = re.sub(rb"Elapsed time=\d\d:\d\d:\d\d, Transfer rate=.* Bytes/second",
                   b"Elapsed time=E, Transfer rate=R Bytes/second", p)  # fmt: skip
    p = re.sub(rb"(EndTime|VolWriteTime|VolReadTime)=\d+", rb"\1=N", p)
    if p.startswith(b"UpdCat Job="):
        i = p.index(b" FileAttributes ") + len(b" FileAttributes ")
        p = p[: i + 4] + b"TTTT" + p[i + 8 :]
    return p


def payload_of(f: Frame) -> bytes:
    """The recorded payload; a truncated one is padded to its length (the rest was not shown)."""
    assert f.payload is not None
    if f.truncated:
        return f.payload + bytes((i * 31) & 0xFF for i in range(f.length - len(f.payload)))
    return f.payload


def turns(frames: list[Frame]) -> list[list[Frame]]:
    out: list[list[Frame]] = []
    for f in frames:
        if out and out[-1][0].direction == f.direction:
            out[-1].append(f)
        else:
            out.append([f])
    return out


@attrs.define
class Player:
    """Plays the ``mine`` side of a transcript over ``stream``; checks the other side."""

    name: str
    frames: list[Frame]
    mine: str
    key: Callable[[], bytes]  # the CRAM key of this connection (may be known late)
    rewrite: Callable[[bytes], bytes] = lambda p: p  # applied to frames we send
    ours_to_lab: Callable[[bytes], bytes] = lambda p: p  # applied to frames we receive
    on_receive: Callable[[bytes], None] = lambda p: None
    compared: int = 0

    async def play(self, stream: BareosStream) -> None:
        sent_challenge: bytes | None = None
        got_challenge: bytes | None = None
        for turn in turns(self.frames):
            if turn[0].direction == self.mine:
                for f in turn:
                    if f.signal is not None:
                        try:
                            await stream.send_signal(Signal(f.signal))
                        except PeerClosedError:
                            # Our goodbye after the daemon already hung up (the
                            # recorded FD says BNET_TERMINATE twice): nothing left to check.
                            assert f is self.frames[-1] or Signal(f.signal) is Signal.TERMINATE
                            return
                        continue
                    payload = payload_of(f)
                    if got_challenge is not None and _ANSWER.match(payload):
                        payload = cram.response_packet(self.key(), cram.parse_challenge(got_challenge))
                        got_challenge = None
                    elif _CHALLENGE.match(payload):
                        sent_challenge = payload
                    await stream.send(self.rewrite(payload))
                continue
            for f in turn:
                frame = await stream.receive(timeout=20)
                where = f"{self.name}:{f.line}"
                if f.signal is not None:
                    assert frame == SignalFrame(Signal(f.signal)), (where, frame)
                    self.compared += 1
                    continue
                assert not isinstance(frame, SignalFrame), (where, frame, f.payload)
                got = frame.payload
                self.on_receive(got)
                recorded = payload_of(f)
                if _CHALLENGE.match(got):
                    got_challenge = got
                if sent_challenge is not None and _ANSWER.match(recorded):
                    expected = cram.response_packet(self.key(), cram.parse_challenge(sent_challenge))
                    assert got == expected, (where, got, expected)
                    sent_challenge = None
                else:
                    assert normalize(self.ours_to_lab(got)) == normalize(recorded), (
                        where, got[:300], recorded[:300]
                    )  # fmt: skip
                self.compared += 1


def jmsg_and_connected(port: int, lab_port: int) -> Callable[[bytes], bytes]:
    def fix(p: bytes) -> bytes:
        return p.replace(f"127.0.0.1:{port},".encode(), f"127.0.0.1:{lab_port},".encode())

    return fix


def prepare_volume(path: Path, size: int, sessions: list[tuple[int, int, str, int, list[Frame]]] = ()) -> None:  # type: ignore[assignment]
    """``Full-0002`` with a filler record up to ``size``, then the given sessions' records."""
    w = VolumeWriter.create(path, "Full-0002", "File", chunk_size=10**8)
    w.write(0, 0, PRE_LABEL, 0, b"\0" * (size - w.position - RECORD_HEADER_SIZE))
    assert w.position == size
    for sid, stime, job, job_id, records in sessions:
        w.write(sid, stime, SOS_LABEL, job_id, SessionLabel("SOS", job, job_id).encode())
        fi = 0
        for header, data in zip(records[::2], records[1::2], strict=True):
            fi, stream, _ = (int(x) for x in payload_of(header).split())
            w.write(sid, stime, fi, stream, payload_of(data))
        w.write(sid, stime, EOS_LABEL, job_id,
                SessionLabel("EOS", job, job_id, "T", fi).encode())  # fmt: skip
    w.close()


def data_records(frames: list[Frame]) -> list[Frame]:
    """Header + single data packet pairs of an FD append session (EODs dropped)."""
    out: list[Frame] = []
    started = False
    for f in frames:
        if f.payload == b"3000 OK data\n":
            started = True
            continue
        if started and f.direction == "C":
            if f.signal is not None:
                continue
            if f.payload and f.payload.startswith(b"append end"):
                break
            out.append(f)
    return out


async def bump_session_ids(port: int, count: int) -> None:
    """Announce (and drop) jobs so the next one gets the recorded SDid."""
    for n in range(count):
        d = await connect_director(port)
        await announce(d, 900 + n, f"dummy.2026-11-27_00.00.0{n}_9{n}")
        await d.aclose()


async def _replay(
    tmp_path: Path,
    director_name: str,
    data_name: str,
    *,
    passive: bool,
    volume_size: int,
    sessions: list[Any] = (),  # type: ignore[assignment]
    bump: int = 0,
) -> tuple[Player, Player]:
    dir_frames = read_transcript(director_name)
    data_frames = read_transcript(data_name)
    volume = tmp_path / "Full-0002"
    prepare_volume(volume, volume_size, sessions)
    lab_final = _final_size(dir_frames)
    state: dict[str, Any] = {"key": None}
    key_known = trio.Event()

    def on_dir_receive(p: bytes) -> None:
        m = re.match(rb"^3000 OK Job SDid=\d+ SDtime=(\d+) Authorization=(\S+)\n", p)
        if m:
            assert is_session_key(m.group(2).decode())
            state["key"], state["sdtime"] = m.group(2), int(m.group(1))
            key_known.set()

    def dir_to_lab(p: bytes) -> bytes:
        p = p.replace(str(tmp_path).encode(), LAB_PATH)
        size = volume.stat().st_size
        if lab_final is not None and size != volume_size:  # our job wrote: map our end to the lab's
            p = p.replace(b"VolBytes=%d " % size, b"VolBytes=%d " % lab_final)
            p = p.replace(b"EndBlock=%d " % (size - 1), b"EndBlock=%d " % (lab_final - 1))
        return fix_port(p)

    fix_port: Callable[[bytes], bytes] = lambda p: p  # noqa: E731
    async with running_sd(sd_config(tmp_path)) as sd, trio.open_nursery() as nursery:
        await bump_session_ids(sd.port, bump)
        data_player = Player(data_name, data_frames, "C" if not passive else "S",
                             key=lambda: state["key"])  # fmt: skip
        rewrite: Callable[[bytes], bytes] = lambda p: p  # noqa: E731
        if passive:
            lab_port = int(re.search(rb"port=(\d+)", next(
                f.payload for f in dir_frames if f.payload and f.payload.startswith(b"passive client")
            )).group(1))  # type: ignore[union-attr]  # fmt: skip

            async def fd_handler(tcp: trio.SocketStream) -> None:
                await key_known.wait()
                await data_player.play(BareosStream(tcp, timeout=20))

            listeners = await nursery.start(
                functools.partial(trio.serve_tcp, fd_handler, 0, host="127.0.0.1")
            )
            port = listeners[0].socket.getsockname()[1]

            def rewrite(p: bytes) -> bytes:
                return p.replace(f"port={lab_port} ".encode(), f"port={port} ".encode())

            fix_port = jmsg_and_connected(port, lab_port)
        else:

            async def fd_side() -> None:
                await key_known.wait()
                tcp = await trio.open_tcp_stream("127.0.0.1", sd.port)
                await data_player.play(BareosStream(tcp, timeout=20))
                await tcp.aclose()

            nursery.start_soon(fd_side)
        dir_player = Player(director_name, dir_frames, "C", key=lambda: SD_KEY, rewrite=rewrite,
                            ours_to_lab=dir_to_lab, on_receive=on_dir_receive)  # fmt: skip
        tcp = await trio.open_tcp_stream("127.0.0.1", sd.port)
        with trio.fail_after(30):
            await dir_player.play(BareosStream(tcp, timeout=20))
            while data_player.compared < sum(1 for f in data_frames if f.direction != data_player.mine):
                await trio.sleep(0.01)
        await tcp.aclose()
        nursery.cancel_scope.cancel()
    return dir_player, data_player


def others(player: Player) -> int:
    return sum(1 for f in player.frames if f.direction != player.mine)


def _final_size(frames: list[Frame]) -> int | None:
    sizes = [int(m.group(1)) for f in frames if f.payload and f.direction == "S"
             for m in [re.search(rb" UpdateMedia .* VolBytes=(\d+) ", f.payload)] if m]  # fmt: skip
    return sizes[-1] if sizes else None


async def test_active_backup_stream04_stream06(tmp_path: Path) -> None:
    d, f = await _replay(tmp_path, "stream04-to-storage-daemon", "stream06-to-storage-daemon",
                         passive=False, volume_size=1135432)  # fmt: skip
    assert (d.compared, f.compared) == (47, 9) == (others(d), others(f))


async def test_passive_backup_stream07_stream09(tmp_path: Path) -> None:
    d, f = await _replay(tmp_path, "stream07-to-storage-daemon", "stream09-to-file-daemon",
                         passive=True, volume_size=1336924, bump=1)  # fmt: skip
    assert d.compared == others(d) and f.compared == others(f)


def _incremental_session() -> list[Any]:
    frames = read_transcript("set2-stream05-to-storage-daemon")
    return [(1, 1795741908, "backup-lab.2026-11-27_01.11.58_04", 11, data_records(frames))]


async def test_active_restore_set2_stream07_stream09(tmp_path: Path) -> None:
    d, f = await _replay(tmp_path, "set2-stream07-to-storage-daemon",
                         "set2-stream09-to-storage-daemon", passive=False, volume_size=1538464,
                         sessions=_incremental_session(), bump=1)  # fmt: skip
    assert d.compared == others(d) and f.compared == others(f)


async def test_passive_restore_set2_stream11_stream13(tmp_path: Path) -> None:
    d, f = await _replay(tmp_path, "set2-stream11-to-storage-daemon",
                         "set2-stream13-to-file-daemon", passive=True, volume_size=1538464,
                         sessions=_incremental_session(), bump=2)  # fmt: skip
    assert d.compared == others(d) and f.compared == others(f)
