"""Golden job sessions: the emulated Director against replayed File and Storage daemons.

For each recorded job of the real Bareos lab (tests/golden/transcripts), the
test starts ``bareos-dir-emu`` with the lab's resources and a catalog seeded
with the lab's state at that moment (same next JobId, same volume counters,
same previous jobs), and puts two fakes in the places of the File and Storage
daemons.  Each fake authenticates with the real handshake code and then
plays its side of the transcript: every packet the real FD/SD sent is sent
again when its turn comes, every packet the real Director sent must arrive
from the emulator, equal to the recorded one after :data:`DIRECTOR_DIFFERENCES`.

Cases: an active backup (stream04/05), a passive backup (stream07/08), an
incremental over a client-initiated connection with ten BTIME answers
(set2-stream03/00), an active restore over a client-initiated connection
(set2-stream07/04) and a passive restore with ``setauthorization``
(set2-stream11/12).
"""

from __future__ import annotations

import re
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import attrs
import pytest
import trio

from bareosnet.errors import BareosError
from bareosnet.net.handshake import accept
from bareosnet.net.stream import BareosStream
from bareosnet.proto import cram
from bareosnet.proto.connections import spec as connection_spec
from bareosnet.proto.framing import SignalFrame
from bareosnet.proto.handshake import AcceptPlan
from bareosnet.proto.hello import Persona
from bareosnet.proto.signals import Signal
from bareosnet.tls.settings import CLEARTEXT
from daemons.common.auth import acceptor_settings, open_connection
from daemons.director.catalog.store import Catalog
from tests.daemons.conftest import Bare, write_config
from tests.daemons.test_director_lab import (
    CLEAR,
    CONSOLE_SECRET,
    DIR,
    FD_SECRET,
    SD_SECRET,
    console,
    stop_all,
)
from tests.support.daemons import DaemonProcess, free_port
from tests.support.transcripts import Frame, read_transcript

LAB_FD_PORT, LAB_SD_PORT = 19102, 19103
LAB_DATA = "/srv/bareos-lab/data"

# (what differs between the recorded Director and the emulator, why, how both are normalised)
Rule = tuple[str, str, Callable[[bytes], bytes]]


def _sub(pattern: bytes, repl: bytes) -> Callable[[bytes], bytes]:
    rx = re.compile(pattern)
    return lambda b: rx.sub(repl, b)


DIRECTOR_DIFFERENCES: list[Rule] = [
    (
        "unique job name",
        "it carries the time the job was queued (replaced by the recorded one before comparing)",
        lambda b: b,
    ),  # fmt: skip
    (
        "FileSetMD5",
        "Bareos digests its own config text of the FileSet, the emulator the wire form",
        _sub(rb"FileSetMD5=\S+", b"FileSetMD5=<MD5>"),
    ),  # fmt: skip
    ("btime", "the Director's clock in microseconds", _sub(rb"^btime \d+\n$", b"btime <USEC>\n")),
    (
        "ports",
        "the fakes listen on free ports, the lab on 19102/19103 (replaced before comparing)",
        lambda b: b,
    ),  # fmt: skip
    (
        "Director version",
        "the emulator reports its persona's version",
        _sub(rb"Version: \S+ \(\d\d \w+ \d{4}\)", b"Version: <V> (<DATE>)"),
    ),  # fmt: skip
]


def normalise(payload: bytes) -> bytes:
    for _what, _why, fix in DIRECTOR_DIFFERENCES:
        payload = fix(payload)
    return payload


# ---------------------------------------------------------------- the lab's Director


def director_tree(root: Path, dp: int, fp: int, sp: int, *, client_initiated: bool) -> Path:
    work = root / "work"
    work.mkdir(parents=True, exist_ok=True)
    fd_extra: dict[str, Any] = (
        {"Connection From Client To Director": True} if client_initiated else {}
    )
    resources: list[tuple[str, dict[str, Any]]] = [
        ("Director", {"Name": "bareos-dir", "DirAddress": Bare("127.0.0.1"), "DirPort": dp,
                      "Password": CONSOLE_SECRET, "Working Directory": str(work),
                      "Maximum Concurrent Jobs": 10, **CLEAR}),
        ("Catalog", {"Name": "MyCatalog", "DbName": "bareos", "DbUser": "bareos"}),
        ("Messages", {"Name": "Standard", "Console": Bare("all")}),
        ("Client", {"Name": "bareos-fd", "Address": Bare("127.0.0.1"), "Port": fp,
                    "Password": FD_SECRET, "Catalog": "MyCatalog", **CLEAR, **fd_extra}),
        ("Client", {"Name": "bareos-fd-passive", "Address": Bare("127.0.0.1"), "Port": fp,
                    "Password": FD_SECRET, "Catalog": "MyCatalog", "Passive": True, **CLEAR}),
        ("Storage", {"Name": "File", "Address": Bare("127.0.0.1"), "Port": sp,
                     "Password": SD_SECRET, "Device": "FileStorage", "Media Type": "File",
                     **CLEAR}),
        ("Pool", {"Name": "Full", "Pool Type": Bare("Backup"), "Label Format": "Full-",
                  "Maximum Volume Bytes": Bare("1g")}),
        ("Job", {"Name": "backup-lab", "Type": Bare("Backup"), "Level": Bare("Full"),
                 "Client": "bareos-fd", "FileSet": "LabData", "Storage": "File", "Pool": "Full",
                 "Messages": "Standard"}),
        ("Job", {"Name": "backup-lab-passive", "Type": Bare("Backup"), "Level": Bare("Full"),
                 "Client": "bareos-fd-passive", "FileSet": "LabData", "Storage": "File",
                 "Pool": "Full", "Messages": "Standard"}),
        ("Job", {"Name": "RestoreFiles", "Type": Bare("Restore"), "Client": "bareos-fd",
                 "FileSet": "LabData", "Storage": "File", "Pool": "Full", "Messages": "Standard",
                 "Where": "/tmp/bareos-restores"}),
    ]  # fmt: skip
    write_config(root, "bareos-dir.d", resources)
    (root / "bareos-dir.d" / "fileset").mkdir(parents=True, exist_ok=True)
    (root / "bareos-dir.d" / "fileset" / "LabData.conf").write_text(
        "FileSet {\n  Name = LabData\n  Include {\n    Options {\n      Signature = MD5\n    }\n"
        f'    File = "{LAB_DATA}"\n  }}\n}}\n'
    )
    return root


def _volume(db: sqlite3.Connection, media_id: int, name: str, status: str, **v: int) -> None:
    cols = {"VolJobs": 0, "VolFiles": 0, "VolBlocks": 0, "VolBytes": 0, "VolMounts": 0,
            "VolWrites": 0, "VolReadTime": 0, "VolWriteTime": 0, **v}  # fmt: skip
    db.execute(
        "INSERT INTO Media (MediaId, VolumeName, PoolName, MediaType, StorageName, MaxVolBytes, "
        f"VolStatus, {', '.join(cols)}) VALUES (?,?,?,?,?,?,?,{','.join('?' * len(cols))})",
        (media_id, name, "Full", "File", "File", 1073741824, status, *cols.values()),
    )


FULL_JOB = "backup-lab.2026-11-27_01.10.08_04"
INCR_JOB = "backup-lab.2026-11-27_01.11.58_04"


def seed(work: Path, *, next_jobid: int, volume: dict[str, int], history: str) -> None:
    """The lab catalog at the recorded moment (what the Director's replies depend on)."""
    cat = Catalog(work / "bareosnet-catalog.sqlite")
    db = cat.db
    _volume(db, 1, "Full-0001", "Full", VolBytes=1000)
    _volume(db, 2, "Full-0002", "Append", **volume)
    if history in ("full", "incremental"):
        db.execute(
            "INSERT INTO Job (JobId, Job, Name, Type, Level, ClientName, FileSetName, PoolName, "
            "StorageName, JobStatus, SchedTime, StartTime, EndTime, JobFiles, VolSessionId, "
            "VolSessionTime) VALUES (9, ?, 'backup-lab', 'B', 'F', 'bareos-fd', 'LabData', 'Full', "
            "'File', 'T', 1795741808, 1795741810, 1795741811, 7, 1, 1795741802)",
            (FULL_JOB,),
        )
    if history == "incremental":
        db.execute(
            "INSERT INTO Job (JobId, Job, Name, Type, Level, ClientName, FileSetName, PoolName, "
            "StorageName, JobStatus, SchedTime, StartTime, EndTime, JobFiles, VolSessionId, "
            "VolSessionTime) VALUES (11, ?, 'backup-lab', 'B', 'I', 'bareos-fd', 'LabData', "
            "'Full', 'File', 'T', 1795741918, 1795741920, 1795741920, 2, 1, 1795741908)",
            (INCR_JOB,),
        )
        db.execute("INSERT INTO JobMedia (JobId, MediaId, FirstIndex, LastIndex, StartBlock, "
                   "EndBlock) VALUES (11, 2, 1, 2, 1538464, 1539133)")  # fmt: skip
        stat = "P4A FyBV IGk B A A A x BAA I BrCNFn BrCM/+ BrCM/+ A A C"
        db.execute("INSERT INTO File (JobId, FileIndex, Path, Name, FileType, LStat) VALUES "
                   f"(11, 1, '{LAB_DATA}/', 'new.txt', 3, '{stat}')")  # fmt: skip
        db.execute("INSERT INTO File (JobId, FileIndex, Path, Name, FileType, LStat) VALUES "
                   f"(11, 2, '{LAB_DATA}/', '', 5, '{stat}')")  # fmt: skip
    db.execute("DELETE FROM sqlite_sequence WHERE name='Job'")
    db.execute("INSERT INTO sqlite_sequence (name, seq) VALUES ('Job', ?)", (next_jobid - 1,))
    cat.close()


# ---------------------------------------------------------------- the fakes


@attrs.define
class Side:
    """One fake daemon: which transcript it plays and what it saw."""

    transcript: str
    ours: str  # "S": the fake accepts (the Director dials it); "C": the fake dials (row 4)
    own_name: str
    key: bytes
    frames: list[Frame] = attrs.Factory(list)
    compared: list[tuple[Frame, bytes | Signal]] = attrs.Factory(list)
    extra: list[bytes | Signal] = attrs.Factory(list)
    job: str | None = None
    error: str | None = None

    def __attrs_post_init__(self) -> None:
        self.frames = read_transcript(self.transcript)


_JOB_RE = re.compile(rb"[Jj]ob=(\S+)")


def _start(frames: list[Frame], ours: str) -> int:
    """Index of the first frame after the handshake's success line."""
    for i, f in enumerate(frames):
        p = f.payload or b""
        if ours == "S" and f.direction == "S" and p in (b"3000 OK Hello\n", b"2000 OK Hello 54\n"):
            return i + 1
        if ours == "C" and f.direction == "S" and p.startswith(b"1000 OK: "):
            return i + 1
    raise AssertionError("no handshake success line in the transcript")


async def play(side: Side, stream: BareosStream, ports: dict[bytes, bytes]) -> None:
    frames = side.frames
    start = _start(frames, side.ours)
    recorded_job = next(m.group(1) for f in frames[start:] if f.payload
                        and (m := _JOB_RE.search(f.payload)))  # fmt: skip
    actual: bytes | None = None
    tail = max(i for i, f in enumerate(frames) if f.direction != side.ours)
    try:
        for i, f in enumerate(frames[start:], start=start):
            if f.direction == side.ours:
                try:
                    if f.signal is not None:
                        await stream.send_signal(Signal(f.signal))
                    else:
                        assert f.payload is not None
                        payload = f.payload
                        if actual is not None:
                            payload = payload.replace(recorded_job, actual)
                        await stream.send(payload)
                except BareosError:
                    if i > tail:
                        break  # the Director already closed after its last packet
                    raise
                continue
            frame = await stream.receive_frame(timeout=20)
            if isinstance(frame, SignalFrame):
                side.compared.append((f, frame.signal))
                continue
            got = frame.payload
            if actual is None and (m := _JOB_RE.search(got)):
                actual = m.group(1)
                side.job = actual.decode()
            if actual is not None:
                got = got.replace(actual, recorded_job)
            for mine, lab in ports.items():
                got = got.replace(b"port=" + mine, b"port=" + lab)
            side.compared.append((f, got))
        # Whatever the Director sends after the recorded end (it should close).
        with trio.move_on_after(3):
            while True:
                frame = await stream.receive_frame(timeout=3)
                side.extra.append(frame.signal if isinstance(frame, SignalFrame) else frame.payload)
    except BareosError as exc:
        if "closed" not in str(exc) or len(side.compared) < sum(
            1 for f in frames[start:] if f.direction != side.ours
        ):
            side.error = f"{type(exc).__name__}: {exc}"
    except trio.TooSlowError:
        side.error = "timed out waiting for the Director"


def plan_for(side: Side, row: str) -> Callable[[Any], AcceptPlan]:
    def resolve(_hello: Any) -> AcceptPlan:
        return AcceptPlan(spec=connection_spec(row), key=side.key, policy=0, own_name=side.own_name)

    return resolve


async def serve_one(listener: trio.SocketListener, side: Side, row: str,
                    ports: dict[bytes, bytes]) -> None:  # fmt: skip
    settings = acceptor_settings(plan_for(side, row), CLEARTEXT, lambda t, n: None,
                                 persona=Persona.V26, failure_delay=0)  # fmt: skip
    tcp = await listener.accept()
    stream, _info = await accept(tcp, settings, peer_address="director")
    try:
        await play(side, stream, ports)
    finally:
        await stream.aclose()


@attrs.frozen
class Case:
    name: str
    sd: str
    fd: str
    command: str
    next_jobid: int
    volume: dict[str, int]
    history: str = "none"
    client_initiated: bool = False
    sd_row: str = "5"


VOL_AFTER_8 = {"VolJobs": 1, "VolBlocks": 3, "VolBytes": 1135432, "VolMounts": 1,
               "VolWrites": 3, "VolWriteTime": 300}  # fmt: skip
VOL_AFTER_9 = {"VolJobs": 2, "VolBlocks": 4, "VolBytes": 1336924, "VolMounts": 2,
               "VolWrites": 4, "VolWriteTime": 519}  # fmt: skip
VOL_AFTER_10 = {"VolJobs": 3, "VolBlocks": 5, "VolBytes": 1538464, "VolMounts": 3,
                "VolWrites": 5, "VolWriteTime": 595}  # fmt: skip
VOL_AFTER_11 = {"VolJobs": 4, "VolBlocks": 6, "VolBytes": 1539134, "VolMounts": 4,
                "VolWrites": 6, "VolWriteTime": 618}  # fmt: skip
VOL_AFTER_12 = {**VOL_AFTER_11, "VolReadTime": 5}

CASES = [
    Case("active-backup", "stream04-to-storage-daemon", "stream05-to-file-daemon",
         "run job=backup-lab yes", 9, VOL_AFTER_8),
    Case("passive-backup", "stream07-to-storage-daemon", "stream08-to-file-daemon",
         "run job=backup-lab-passive yes", 10, VOL_AFTER_9, history="full"),
    Case("incremental-client-initiated", "set2-stream03-to-storage-daemon",
         "set2-stream00-to-director", "run job=backup-lab level=Incremental yes", 11,
         VOL_AFTER_10, history="full", client_initiated=True),
    Case("active-restore-client-initiated", "set2-stream07-to-storage-daemon",
         "set2-stream04-to-director",
         "restore client=bareos-fd jobid=11 where=/srv/bareos-lab/restore-clear all done yes",
         12, VOL_AFTER_11, history="incremental", client_initiated=True),
    Case("passive-restore", "set2-stream11-to-storage-daemon", "set2-stream12-to-file-daemon",
         "restore client=bareos-fd-passive jobid=11 where=/srv/bareos-lab/restore-clear-p "
         "all done yes", 13, VOL_AFTER_12, history="incremental"),
]  # fmt: skip


async def _scenario(case: Case, dp: int, fd_listener: trio.SocketListener,
                    sd_listener: trio.SocketListener, proc: DaemonProcess) -> tuple[Side, Side, str]:  # fmt: skip
    fp = fd_listener.socket.getsockname()[1]
    sp = sd_listener.socket.getsockname()[1]
    ports = {
        str(sp).encode(): str(LAB_SD_PORT).encode(),
        str(fp).encode(): str(LAB_FD_PORT).encode(),
    }
    sd = Side(case.sd, "S", "bareos-sd", cram.password_key(SD_SECRET))
    fd = Side(case.fd, "C" if case.client_initiated else "S", "bareos-fd",
              cram.password_key(FD_SECRET))  # fmt: skip
    messages = ""
    async with trio.open_nursery() as nursery:
        nursery.start_soon(serve_one, sd_listener, sd, case.sd_row, ports)
        if case.client_initiated:
            stream, _info = await open_connection(
                "4", host="127.0.0.1", port=dp, hello_name="bareos-fd", own_name="bareos-fd",
                key=fd.key, tls=CLEARTEXT, persona=Persona.V26, tls_first=False, policy=0,
            )  # fmt: skip
            await trio.to_thread.run_sync(lambda: proc.wait_for("pool.parked", timeout=10))

            async def fd_play() -> None:
                try:
                    await play(fd, stream, ports)
                finally:
                    await stream.aclose()

            nursery.start_soon(fd_play)
        else:
            nursery.start_soon(serve_one, fd_listener, fd, "3", ports)

        def drive() -> str:
            c = console(dp)
            out = c.call(case.command).decode()
            assert "Job queued. JobId=" in out, out
            c.call("wait")
            return out + c.call("messages").decode()

        messages = await trio.to_thread.run_sync(drive)
    return sd, fd, messages


def _mismatches(side: Side) -> list[str]:
    out = []
    for rec, got in side.compared:
        want: bytes | Signal = (
            Signal(rec.signal) if rec.signal is not None else (rec.payload or b"")
        )
        if isinstance(want, bytes) and isinstance(got, bytes):
            if normalise(want) != normalise(got):
                out.append(f"{side.transcript}:{rec.line}: recorded {want!r}, got {got!r}")
        elif want != got:
            out.append(f"{side.transcript}:{rec.line}: recorded {want!r}, got {got!r}")
    return out


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_director_job_session_matches_recording(tmp_path: Path, case: Case) -> None:
    dp = free_port()

    async def main() -> tuple[Side, Side, str]:
        fd_listeners = await trio.open_tcp_listeners(0, host="127.0.0.1")
        sd_listeners = await trio.open_tcp_listeners(0, host="127.0.0.1")
        fp = fd_listeners[0].socket.getsockname()[1]
        sp = sd_listeners[0].socket.getsockname()[1]
        root = director_tree(tmp_path / "dir", dp, fp, sp, client_initiated=case.client_initiated)
        seed(root / "work", next_jobid=case.next_jobid, volume=case.volume, history=case.history)
        proc = DaemonProcess(DIR, root, "--auth-failure-delay", "0")
        await trio.to_thread.run_sync(proc.start)
        try:
            with trio.fail_after(60):
                return await _scenario(case, dp, fd_listeners[0], sd_listeners[0], proc)
        finally:
            await trio.to_thread.run_sync(lambda: stop_all([proc]))
            for lst in fd_listeners + sd_listeners:
                await lst.aclose()

    sd, fd, messages = trio.run(main)
    assert sd.error is None, (sd.error, sd.compared[-3:])
    assert fd.error is None, (fd.error, fd.compared[-3:])
    problems = _mismatches(sd) + _mismatches(fd)
    assert not problems, "\n".join(problems)
    # Every packet the real Director sent was compared, and nothing more was sent.
    for side in (sd, fd):
        start = _start(side.frames, side.ours)
        expected = [f for f in side.frames[start:] if f.direction != side.ours]
        assert len(side.compared) == len(expected), side.transcript
        assert side.extra == [], (side.transcript, side.extra)
    assert sd.job == fd.job and sd.job is not None
    word = "Restore" if "restore" in case.name else "Backup"
    assert f"  Termination:            {word} OK\n" in messages, messages
    assert f"JobId {case.next_jobid}:" in messages


def test_every_director_difference_has_a_reason() -> None:
    for what, why, _ in DIRECTOR_DIFFERENCES:
        assert what and len(why) > 10


def test_lab_job_names_keep_their_length() -> None:
    # The fakes swap the recorded unique job name for the emulator's: same shape, same length.
    import types

    from daemons.director.jobs.manager import JobManager

    # As Bareos: the job monitor took 1, two console connections 2 and 3, so the job gets 4
    # (the recording's _04); after 59 comes 0.
    fake = types.SimpleNamespace(_seq=3)
    fake.next_sequence = lambda: JobManager.next_sequence(fake)  # type: ignore[arg-type]
    name = JobManager.unique_name(fake, "backup-lab", time.time())  # type: ignore[arg-type]
    assert len(name) == len(FULL_JOB)
    assert re.fullmatch(r"backup-lab\.\d{4}-\d\d-\d\d_\d\d\.\d\d\.\d\d_04", name)
    fake._seq = 59
    assert JobManager.unique_name(fake, "x", 0.0).endswith("_00")  # type: ignore[arg-type]
