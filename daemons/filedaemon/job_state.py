"""One job on the File daemon: its state, counters and the messages it sends.

A Director session becomes a job with ``JobId=``; everything the later
commands learn (level, fileset, Storage daemon connection, restore options)
and everything the data phase counts (files, bytes, errors) lives in one
:class:`FdJob`.  Job messages travel to the Director on the session's socket
as ``Jmsg Job=<job> type=<t> level=<time> <client> JobId <id>: <text>``
(:class:`Messenger`), with the side effects Bareos gives them: a fatal
message sets the job status to ``f`` and counts an error, an error message
counts an error, a warning a warning.  Queued messages (Bareos ``Qmsg``, for
example "Connected Storage daemon at ...") go out before the next direct one.
"""

from __future__ import annotations

import time
from typing import Any

import attrs
import structlog
import trio

from bareosnet.errors import PeerClosedError
from bareosnet.net.stream import BareosStream
from bareosnet.proto.fileset import FileSet
from bareosnet.proto.jobcmds import Jmsg, MessageType, redact
from bareosnet.proto.signals import Signal
from daemons.common.commands import JobResult
from daemons.filedaemon.jobs import RunningJob

log = structlog.get_logger("bareos.fd.job")

# JobStatus letters the FD uses.
CREATED, RUNNING, BLOCKED, TERMINATED = "C", "R", "B", "T"
ERROR_TERMINATED, FATAL_ERROR, CANCELED, INCOMPLETE, WARNINGS = "E", "f", "A", "I", "W"

# Message types the FD's default Messages resource does not forward
# (``Director = ... = all, !skipped, !restored, !saved``).
NOT_FORWARDED = frozenset({MessageType.SKIPPED, MessageType.RESTORED, MessageType.SAVED})

_PREFIX = {
    MessageType.FATAL: "Fatal error: ",
    MessageType.ERROR: "Error: ",
    MessageType.WARNING: "Warning: ",
    MessageType.SECURITY: "Security violation: ",
}


def status_priority(status: str) -> int:
    """Bareos ``GetStatusPriority``: errors are sticky."""
    if status == INCOMPLETE:
        return 10
    if status in (ERROR_TERMINATED, FATAL_ERROR, CANCELED):
        return 9
    if status == "e":
        return 8
    if status == "D":
        return 7
    return 0


@attrs.define
class FdJob:
    """Everything one job session knows (the FD's JobControlRecord)."""

    job_id: int
    job: str
    vol_session_id: int = 0
    vol_session_time: int = 0
    key: str = attrs.field(default="", repr=False)  # current session key
    tls_policy: int = 0  # the job's ssl= policy
    level: str = " "  # JobLevel letter
    job_type: str = "B"
    status: str = CREATED
    started: float = attrs.field(factory=time.time)
    since: int | None = None  # incremental/differential reference time (FD clock)
    accurate: bool = False
    rerunning: bool = False
    prev_job: str = ""
    fileset: FileSet | None = None
    accurate_files: dict[str, str] | None = None  # fname -> encoded stat (accurate list)
    accurate_digests: dict[str, str] = attrs.Factory(dict)  # fname -> listed digest text
    files: int = 0  # JobFiles: FileIndex of the last file sent / files restored
    read_bytes: int = 0
    job_bytes: int = 0
    errors: int = 0
    warnings: int = 0
    files_examined: int = 0
    last_file: str = ""
    bwlimit: int = 0  # bytes per second, 0 = none
    multi_restore: bool = False  # a second key arrived: answer "2000 OK storage end"
    run_scripts: list[str] = attrs.Factory(list)
    sd: BareosStream | None = None
    sd_info: Any = None  # ConnectionInfo of the data connection
    sd_active: bool = False  # we connected to the SD (``storage`` command)
    canceled: bool = False
    director_gone: bool = False
    cancel_scope: trio.CancelScope | None = None
    finished: bool = False

    def set_status(self, status: str) -> None:
        """``setJobStatusWithPriorityCheck``."""
        new, old = status_priority(status), status_priority(self.status)
        if new > old or (new == 0 and old == 0):
            self.status = status

    @property
    def term_code(self) -> int:
        return ord(self.status)

    def cancel(self, reason: str) -> None:
        """Cancel from anywhere (``cancel`` command, Director gone): stop the data phase."""
        if self.finished:
            return
        self.canceled = True
        self.set_status(CANCELED)
        log.info("job.canceled", job=self.job, job_id=self.job_id, reason=reason)
        if self.cancel_scope is not None:
            self.cancel_scope.cancel()

    def snapshot(self) -> RunningJob:
        """The ``status`` view of this job right now."""
        return RunningJob(
            job_id=self.job_id,
            job=self.job,
            level=self.level,
            job_type=self.job_type,
            started=self.started,
            status=self.status,
            files=self.files,
            bytes=self.job_bytes,
            errors=self.errors,
            bwlimit=self.bwlimit,
            files_examined=self.files_examined,
            last_file=self.last_file,
            sd_read_seqno=0 if self.sd is not None else None,
            sd_fd=_fileno(self.sd),
        )

    def result(self) -> JobResult:
        level = self.level if self.job_type == "B" else " "
        return JobResult(
            job_id=self.job_id,
            job=self.job,
            job_type=self.job_type,
            level=level,
            files=self.files,
            bytes=self.job_bytes,
            status=self.status,
            errors=self.errors,
        )


def _fileno(stream: BareosStream | None) -> int:
    if stream is None:
        return -1
    sock = getattr(stream.stream, "socket", None)
    try:
        return int(sock.fileno()) if sock is not None else -1
    except (OSError, AttributeError):
        return -1


class Messenger:
    """Sends job messages (and anything else) to the Director, one sender at a time.

    The data phase sends from several tasks (job messages, heartbeats), so
    every packet to the Director goes through one lock.  A Director that is
    gone is noted on the job and further sends are dropped.
    """

    def __init__(self, stream: BareosStream, client_name: str) -> None:
        self.stream = stream
        self.client_name = client_name
        self.lock = trio.Lock()
        self.queued: list[tuple[MessageType, str]] = []
        self.job: FdJob | None = None

    async def send(self, payload: bytes | str) -> bool:
        """One packet to the Director; False (and noted) when the Director is gone."""
        job = self.job
        if job is not None and job.director_gone:
            return False
        async with self.lock:
            try:
                await self.stream.send(payload)
            except (PeerClosedError, trio.TooSlowError, trio.BrokenResourceError) as exc:
                self._gone(str(exc) or type(exc).__name__)
                return False
        return True

    async def signal(self, signal: Signal) -> bool:
        job = self.job
        if job is not None and job.director_gone:
            return False
        async with self.lock:
            try:
                await self.stream.send_signal(signal)
            except (PeerClosedError, trio.TooSlowError, trio.BrokenResourceError) as exc:
                self._gone(str(exc) or type(exc).__name__)
                return False
        return True

    def _gone(self, reason: str) -> None:
        job = self.job
        if job is not None and not job.director_gone:
            job.director_gone = True
            log.warning("job.director_gone", job=job.job, job_id=job.job_id, reason=reason)
            job.cancel("the Director connection was lost")

    def _account(self, type_: MessageType) -> None:
        job = self.job
        if job is None:
            return
        if type_ in (MessageType.FATAL, MessageType.ERROR_TERM):
            job.set_status(FATAL_ERROR)
            if job.errors == 0:
                job.errors = 1
        elif type_ == MessageType.ERROR:
            job.errors += 1
        elif type_ == MessageType.WARNING:
            job.warnings += 1

    def _packet(self, type_: MessageType, text: str) -> bytes | None:
        job = self.job
        if job is None:
            return None
        prefix = _PREFIX.get(type_, "")
        body = f"{self.client_name} JobId {job.job_id}: {prefix}{text}"
        return Jmsg(job=job.job, type=type_, mtime=int(time.time()), text=body).encode()

    def queue(self, type_: MessageType, text: str) -> None:
        """Bareos ``Qmsg``: counted now, sent before the next direct message."""
        self._account(type_)
        self.queued.append((type_, text))

    async def flush(self) -> None:
        pending, self.queued = self.queued, []
        for type_, text in pending:
            await self._deliver(type_, text)

    async def jmsg(self, type_: MessageType, text: str) -> None:
        """Bareos ``Jmsg``: queued messages first, then this one."""
        self._account(type_)
        await self.flush()
        await self._deliver(type_, text)

    async def _deliver(self, type_: MessageType, text: str) -> None:
        job = self.job
        log.info("job.message", job=job.job if job else None, type=int(type_),
                 text=redact(text.rstrip("\n")))  # fmt: skip
        if type_ in NOT_FORWARDED:
            return
        packet = self._packet(type_, text)
        if packet is not None:
            await self.send(packet)

    # shorthands
    async def info(self, text: str) -> None:
        await self.jmsg(MessageType.INFO, text)

    async def warning(self, text: str) -> None:
        await self.jmsg(MessageType.WARNING, text)

    async def error(self, text: str) -> None:
        await self.jmsg(MessageType.ERROR, text)

    async def fatal(self, text: str) -> None:
        await self.jmsg(MessageType.FATAL, text)
