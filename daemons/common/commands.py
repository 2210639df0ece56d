"""Command sessions shared by the emulators: prefix tables, the loop, status output.

Bareos daemons read one command per packet and pick the handler whose table
entry is a *prefix* of the packet (first match wins, so longer keywords come
first where two share a start).  A handler returns whether the session goes
on.  Status output is one packet per line with a trailing NUL inside the
payload (Bareos's status packets carry the C string terminator), and the
"terminated jobs" table is rendered here once for the File and Storage
daemon, whose tables differ only in the rule length and one status word.
"""

from __future__ import annotations

import math
import re
import socket
import time
from collections import deque
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Protocol

import attrs
import structlog
import trio

from bareosnet.errors import HandshakeTimeoutError, PeerClosedError, ProtocolError
from bareosnet.net.stream import BareosStream
from bareosnet.proto.framing import Frame, Packet, SignalFrame, encode_packet
from bareosnet.proto.signals import Signal
from daemons.common import idle_parking
from daemons.common.texts import bareos_time

log = structlog.get_logger("daemon.session")

# A handler gets the session object and the command text; it returns "go on?".
type Handler[S] = Callable[[S, str], Awaitable[bool]]


# ---------------------------------------------------------------- dispatch


@attrs.frozen
class CommandEntry[S]:
    """One row of a daemon's command table."""

    prefix: str
    handler: Handler[S]
    monitor_access: bool = False  # allowed for a Director resource with Monitor = yes

    @property
    def word(self) -> str:
        """The command word for logs: the prefix without ``=``/trailing blanks."""
        return self.prefix.strip().rstrip("=").strip() or self.prefix


@attrs.frozen
class CommandTable[S]:
    entries: tuple[CommandEntry[S], ...]

    def find(self, text: str) -> CommandEntry[S] | None:
        """The first entry whose prefix starts ``text`` (Bareos's ``bstrncmp`` scan)."""
        for entry in self.entries:
            if text.startswith(entry.prefix):
                return entry
        return None


def command_word(text: str, limit: int = 24) -> str:
    """First word of an unknown command, shortened and printable (never the arguments)."""
    word = text.split(None, 1)[0] if text.split() else ""
    word = word.split("=", 1)[0]
    word = "".join(ch if ch.isprintable() else "?" for ch in word)
    return word[:limit]


def command_text(payload: bytes) -> str:
    """A command packet as text; a trailing NUL some senders add is dropped."""
    return Packet(payload).text


@attrs.frozen
class SessionEnd:
    """Why a command loop stopped (``reason`` is one word for logs)."""

    reason: str
    commands: int
    detail: str | None = None
    deadline: float | None = None  # "parked": the idle deadline it carries on with


async def run_command_loop[S](
    stream: BareosStream,
    table: CommandTable[S],
    session: S,
    *,
    idle_timeout: float | None,
    monitor: bool = False,
    on_unknown: Callable[[S, str], Awaitable[None]],
    on_monitor_denied: Callable[[S, str], Awaitable[None]],
    first: Frame | None = None,
    may_park: Callable[[], bool] | None = None,
    commands: int = 0,
    deadline: float | None = None,
) -> SessionEnd:
    """Read commands until the peer ends, a handler says stop, or the idle timer fires.

    ``first`` is a frame already read (the waiting client-initiated connection
    reads the Director's first command while it waits).  Any signal from the
    peer ends the session as Bareos's ``recv() < 0`` does; heartbeats are
    skipped by the stream.  Nothing is sent here after the end: the caller
    closes (with ``BNET_TERMINATE``).

    ``may_park``: asked when the session has been idle for ``PARK_AFTER``
    seconds and the server can hold it without a task
    (:mod:`daemons.common.idle_parking`); True ends the loop with reason
    ``parked`` and the idle ``deadline``, and the caller later goes on by
    calling the loop again with ``commands`` and that ``deadline``.
    """
    count = commands
    pending = first
    timeout = math.inf if idle_timeout is None or idle_timeout <= 0 else idle_timeout
    while True:
        if pending is not None:
            frame, pending = pending, None
        else:
            try:
                # Idle between commands: wait on the socket first (a shallow stack
                # while a fleet holds thousands of idle sessions), then receive.
                if deadline is None:
                    deadline = trio.current_time() + timeout
                if may_park is not None and _park_now(stream, deadline, may_park):
                    grace = trio.current_time() + idle_parking.PARK_AFTER
                    if not await stream.wait_readable(grace) and _park_now(stream, deadline, may_park):
                        return SessionEnd("parked", count, deadline=deadline)
                if not await stream.wait_readable(deadline):
                    raise HandshakeTimeoutError("idle")
                frame = await stream.receive(timeout=max(0.0, deadline - trio.current_time()))
                deadline = None  # the next idle wait starts its own
            except HandshakeTimeoutError:
                return SessionEnd("idle-timeout", count, f"no command within {timeout:g} s")
            except PeerClosedError as exc:
                return SessionEnd("peer-closed", count, str(exc))
            except ProtocolError as exc:
                return SessionEnd("protocol-error", count, str(exc))
        if isinstance(frame, SignalFrame):
            if frame.signal is Signal.TERMINATE:
                return SessionEnd("peer-terminated", count)
            return SessionEnd("peer-signal", count, frame.signal.name)
        text = command_text(frame.payload)
        entry = table.find(text)
        try:
            if entry is None:
                log.info("command.received", command=command_word(text), known=False)
                await on_unknown(session, text)
                return SessionEnd("unknown-command", count + 1, command_word(text))
            log.info("command.received", command=entry.word)
            count += 1
            if monitor and not entry.monitor_access:
                await on_monitor_denied(session, text)
                return SessionEnd("monitor-denied", count, entry.word)
            if not await entry.handler(session, text):
                return SessionEnd("command-ended", count, entry.word)
        except PeerClosedError as exc:  # the peer left while we answered
            return SessionEnd("peer-closed", count, str(exc))
        except trio.TooSlowError:
            return SessionEnd("send-timeout", count, "the peer stopped reading our reply")


def _park_now(stream: BareosStream, deadline: float, may_park: Callable[[], bool]) -> bool:
    """Parking is worth it: the idle deadline is further off than the grace period, the
    server can park, nothing is buffered above the socket, and the session agrees."""
    return (
        deadline - trio.current_time() > idle_parking.PARK_AFTER
        and idle_parking.parking_available()
        and stream.idle_fileno() is not None
        and may_park()
    )


def scan_ints(text: str, words: Sequence[str]) -> list[int] | None:
    """Like bsscanf of ``w1=%d w2=%d ...`` (blanks between optional, trailing text ignored).

    ``%d`` takes zero digits as 0, as Bareos's scanner does.
    """
    pattern = r"\s*".join(rf"{re.escape(w)}=(-?\d*)" for w in words)
    m = re.match(pattern, text)
    if m is None:
        return None
    return [int(g) if g not in ("", "-") else 0 for g in m.groups()]


async def resolve_reply(own_name: str, text: str) -> str:
    """The answer to ``resolve <host>`` (same on FD and SD): ``<me> resolves h to host[ipv4;a] ``."""
    words = text.split()
    host = words[1] if len(words) > 1 else ""
    try:
        infos = await trio.socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        infos = []
    if not infos:
        return f"{own_name}: Failed to resolve {host}\n"
    seen: list[str] = []
    for family, *_rest, addr in infos:
        kind = "ipv6" if family == socket.AF_INET6 else "ipv4"
        item = f"host[{kind};{addr[0]}] "
        if item not in seen:
            seen.append(item)
    return f"{own_name} resolves {host} to {''.join(seen)}\n"


# ---------------------------------------------------------------- status output


def status_packet(line: str) -> bytes:
    """One status line as a packet: the text plus the NUL Bareos's status sender includes."""
    return encode_packet(line.encode("utf-8") + b"\x00")


async def send_status_lines(stream: BareosStream, lines: Iterable[str]) -> None:
    """Each line as its own packet with a trailing NUL (written in one go)."""
    data = b"".join(status_packet(line) for line in lines)
    await stream.send_raw(data)


async def send_lines(stream: BareosStream, lines: Iterable[str]) -> None:
    """Plain reply lines (``fsend`` style, no NUL), one packet each."""
    data = b"".join(encode_packet(line.encode("utf-8")) for line in lines)
    await stream.send_raw(data)


def with_commas(value: int) -> str:
    """``1073741824`` -> ``1,073,741,824`` (Bareos ``edit_uint64_with_commas``)."""
    return f"{value:,}"


def with_suffix(value: int) -> str:
    """Bareos ``edit_uint64_with_suffix``: ``1.073 G``, ``37 `` (empty suffix kept)."""
    suffixes = ("", "K", "M", "G", "T", "P", "E", "Z", "Y", "FIX ME")
    groups = with_commas(value).split(",")
    if len(groups) == 1:
        return f"{groups[0]} "
    # Bareos keeps the first group and the start of the second, five characters in all.
    text = (groups[0] + "." + groups[1])[:5]
    return f"{text} {suffixes[min(len(groups) - 1, len(suffixes) - 1)]}"


# Job levels, types and status letters as Bareos stores them in a JCR.
_LEVELS = {
    "B": "Base",
    "F": "Full",
    "I": "Incremental",
    "D": "Differential",
    "S": "Since",
    "C": "Verify Catalog",
    "V": "Init Catalog",
    "O": "Volume to Catalog",
    "d": "Disk to Catalog",
    "A": "Data",
    "f": "VirtualFull",
    " ": " ",
}
JT_BACKUP, JT_RESTORE, JT_ADMIN = "B", "R", "D"


def level_text(level: str) -> str:
    return _LEVELS.get(level, "Unknown Job Level")


_JOB_TYPES = {
    "B": "Backup",
    "M": "Migrated Job",
    "V": "Verify",
    "R": "Restore",
    "U": "Console",
    "I": "System or Console",
    "D": "Admin",
    "A": "Archive",
    "C": "Job Copy",
    "c": "Copy",
    "g": "Migrate",
    "S": "Scan",
    "O": "Consolidate",
}


def job_type_text(job_type: str) -> str:
    return _JOB_TYPES.get(job_type, "Unknown Type")


_JOB_STATUS = {
    "C": "Created",
    "R": "Running",
    "B": "Blocked",
    "T": "OK",
    "I": "Error: incomplete job",
    "f": "Fatal Error",
    "E": "Error",
    "e": "Non-fatal error",
    "W": "OK -- with warnings",
    "A": "Canceled",
    "D": "Verify differences",
    "F": "Waiting on FD",
    "S": "Wait on SD",
    "m": "Wait for new Volume",
    "M": "Waiting for mount",
    "s": "Waiting for Storage resource",
    "j": "Waiting for Job resource",
    "c": "Waiting for Client resource",
    "d": "Waiting on Max Jobs",
    "t": "Waiting for Start Time",
    "p": "Waiting on Priority",
    "L": "SD committing Data",
    "l": "SD despooling Data",
    "a": "SD despooling Attributes",
    "i": "Dir inserting Attributes",
}


def job_status_text(status: str) -> str:
    """Bareos ``JobstatusToAscii``."""
    return _JOB_STATUS.get(status, f"Unknown Job termination status={ord(status[:1] or chr(0))}")


@attrs.frozen
class JobResult:
    """One finished job, as the "Terminated Jobs" table shows it."""

    job_id: int
    job: str  # unique job name, e.g. backup-big.2026-11-27_01.07.00_05
    job_type: str = JT_BACKUP
    level: str = "F"
    files: int = 0
    bytes: int = 0
    status: str = "T"  # JobStatus letter
    errors: int = 0
    end_time: float = attrs.field(factory=time.time)

    @property
    def short_name(self) -> str:
        return short_job_name(self.job)


def short_job_name(job: str) -> str:
    """The job name without the three dot-separated parts of its unique suffix."""
    for _ in range(3):
        if "." in job:
            job = job.rsplit(".", 1)[0]
    return job


class RecentJobs:
    """The last few terminated jobs, oldest first (Bareos keeps ten)."""

    def __init__(self, limit: int = 10) -> None:
        self._items: deque[JobResult] = deque(maxlen=limit)

    def add(self, result: JobResult) -> None:
        self._items.append(result)

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(tuple(self._items))

    def __len__(self) -> int:
        return len(self._items)

    @property
    def last(self) -> JobResult | None:
        return self._items[-1] if self._items else None


_TERM_STATUS = {"C": "Created", "f": "Error", "E": "Error", "D": "Diffs", "A": "Cancel", "T": "OK"}
TERMINATED_HEADER = " JobId  Level    Files      Bytes   Status   Finished        Name \n"


def terminated_row(result: JobResult, *, api: bool, warnings_text: str | None = None) -> str:
    """One table row; ``warnings_text`` is the SD's word for JobStatus ``W``."""
    if result.job_type in (JT_ADMIN, JT_RESTORE):
        level = "    "
    else:
        level = level_text(result.level)[:4]
    status = _TERM_STATUS.get(result.status)
    if status is None:
        status = warnings_text if (result.status == "W" and warnings_text) else "Other"
    cells = (
        f"{result.job_id:6d}",
        f"{level:<6s}",
        f"{with_commas(result.files):>8s}",
        f"{with_suffix(result.bytes):>10s}",
        f"{status:<7s}",
        f"{bareos_time(result.end_time):<8s}",
        result.short_name,
    )
    if api:
        return "\t".join(cells) + "\n"
    c = cells
    return f"{c[0]}  {c[1]} {c[2]} {c[3]}  {c[4]}  {c[5]} {c[6]}\n"


def terminated_jobs_lines(
    jobs: Sequence[JobResult], *, api: bool, rule_length: int, warnings_text: str | None = None
) -> list[str]:
    """The "Terminated Jobs" block (plain) or just its rows (API form)."""
    lines: list[str] = [] if api else ["\nTerminated Jobs:\n"]
    if not jobs:
        return lines if api else lines + ["====\n"]
    if not api:
        lines += [TERMINATED_HEADER, "=" * rule_length + "\n"]
    lines += [terminated_row(j, api=api, warnings_text=warnings_text) for j in jobs]
    if not api:
        lines.append("====\n")
    return lines


def dot_status_job(job_id: int, status: str, errors: int) -> str:
    """``JobId=8 JobStatus=T JobErrors=0`` line of ``.status current|last``."""
    return f"JobId={job_id} JobStatus={status} JobErrors={errors}\n"


class JobState(Protocol):
    """What ``.status current|last`` shows of a job (running or terminated)."""

    @property
    def job_id(self) -> int: ...

    @property
    def status(self) -> str: ...

    @property
    def errors(self) -> int: ...


@attrs.frozen
class DotStatus:
    """The answer to one ``.status <what>`` command."""

    ok: bool
    lines: Sequence[str]  # plain packets (``2000 OK .status`` ...) or NUL status lines
    status_packets: bool  # True: send ``lines`` as status packets (with NUL)


def dot_status_current(ok_line: str, running: Iterable[JobState]) -> DotStatus:
    """``.status current``: the OK line, then each running job that has a JobId."""
    lines = [ok_line] + [dot_status_job(j.job_id, j.status, j.errors) for j in running if j.job_id]
    return DotStatus(True, lines, False)


def dot_status_last(ok_line: str, terminated: Sequence[JobState]) -> DotStatus:
    """``.status last``: the OK line, then the last terminated job if there is one."""
    lines = [ok_line]
    if terminated:
        j = terminated[-1]
        lines.append(dot_status_job(j.job_id, j.status, j.errors))
    return DotStatus(True, lines, False)


__all__ = [
    "CommandEntry",
    "CommandTable",
    "DotStatus",
    "JobResult",
    "JobState",
    "RecentJobs",
    "SessionEnd",
    "command_text",
    "command_word",
    "dot_status_current",
    "dot_status_job",
    "dot_status_last",
    "job_status_text",
    "job_type_text",
    "level_text",
    "resolve_reply",
    "run_command_loop",
    "scan_ints",
    "send_lines",
    "send_status_lines",
    "short_job_name",
    "status_packet",
    "terminated_jobs_lines",
    "terminated_row",
    "with_commas",
    "with_suffix",
]
