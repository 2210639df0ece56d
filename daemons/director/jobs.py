"""Jobs of the Director: one control record per job, one trio task per job, the job queue.

A console ``run``/``restore`` builds a :class:`JobControl` (Bareos's JCR: the
job's identity, resources, counters, connection notes and log) and hands it
with its *runner* (backup, restore or copy) to :class:`JobManager.submit`.
The manager creates the catalog row (the JobId), starts a task in the
Director's nursery, limits how many run at once (the Director's ``Maximum
Concurrent Jobs``), and when the runner returns or fails it settles the final
status, writes the catalog, emits the job report and wakes ``wait``.

A runner signals a fatal condition by raising :class:`JobFailed` with the
message Bareos would log; the job then ends as failed (never as OK).
"""

from __future__ import annotations

import itertools
import re
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import attrs
import structlog
import trio

from bareosnet.proto.jobcmds import Jmsg, MessageType, redact
from daemons.common import texts
from daemons.common.commands import JobResult, RecentJobs
from daemons.director.messages import MessageRouter, message_time

if TYPE_CHECKING:
    from bareosnet.net.stream import BareosStream
    from daemons.director.runtime import DirectorRuntime

log = structlog.get_logger("bareosnet.director.jobs")

# JobStatus letters (Bareos include/job_status.h).
JS_CREATED = "C"
JS_RUNNING = "R"
JS_TERMINATED = "T"
JS_WARNINGS = "W"
JS_ERROR = "e"  # non-fatal error
JS_ERROR_TERMINATED = "E"
JS_FATAL = "f"
JS_CANCELED = "A"
JS_WAIT_FD = "F"
JS_WAIT_SD = "S"
FAILED_STATUSES = frozenset({JS_ERROR_TERMINATED, JS_FATAL, JS_CANCELED})
# Bareos's precedence when a status is set on a job that already has one.
_PRIORITY = {JS_CANCELED: 3, JS_FATAL: 2, JS_ERROR_TERMINATED: 2}

# A daemon's "Connected ... at <host:port>, encryption: <cipher or None>" job message.
_CONNECTED_RE = re.compile(
    r"Connected (Storage daemon|File Daemon|File daemon) at (\S+?), encryption: (.+?)\s*$"
)


class JobFailed(Exception):
    """A fatal job error; ``str()`` is the message for the job log."""


@attrs.define(eq=False)
class ConnectionNote:
    """One connection of a job, for the report: ``Director -> File daemon (3)``."""

    label: str
    row: str
    handshake: str
    encryption: str

    def line(self) -> str:
        return (f"  {self.label} ({self.row}):  Handshake: {self.handshake}, "
                f"Encryption: {self.encryption}\n")  # fmt: skip


@attrs.define(eq=False)
class JobControl:
    """The Director's record of one job while it runs (and after, for the report)."""

    rt: DirectorRuntime
    name: str  # Job resource name
    job_type: str  # "B" backup, "R" restore, "c" copy control job
    level: str  # "F", "I", "D", " "
    job_res: Any | None = None
    client_res: Any | None = None
    fileset_res: Any | None = None
    pool_res: Any | None = None
    storage_res: Any | None = None  # write storage (backup/copy), read storage (restore)
    read_storage_res: Any | None = None
    messages_res: Any | None = None
    sources: dict[str, str] = attrs.Factory(dict)  # "pool" -> "Job resource" ...
    params: dict[str, Any] = attrs.Factory(dict)  # kind-specific (where, jobids, ...)
    job_id: int = 0
    job: str = ""
    sched_time: float = attrs.Factory(time.time)
    start_time: float | None = None
    end_time: float | None = None
    status: str = JS_CREATED
    fd_status: str = "?"
    sd_status: str = "?"
    fd_ok: bool = False
    fd_files: int = 0
    fd_read_bytes: int = 0
    fd_bytes: int = 0
    fd_errors: int = 0
    fd_vss: int = 0
    fd_encrypt: int = 0
    sd_files: int = 0
    sd_bytes: int = 0
    sd_errors: int = 0
    sd_ended: bool = False
    errors: int = 0
    vol_session_id: int = 0
    vol_session_time: int = 0
    volumes: list[str] = attrs.Factory(list)
    client_uname: str = ""
    since_time: float | None = None
    prev_job: str = ""
    fatal_messages: list[str] = attrs.Factory(list)
    connections: list[ConnectionNote] = attrs.Factory(list)
    done: trio.Event = attrs.Factory(trio.Event)
    scope: trio.CancelScope | None = None
    canceled: bool = False
    streams: list[BareosStream] = attrs.Factory(list)
    router: MessageRouter | None = None
    report: list[str] = attrs.Factory(list)

    # -- identity
    @property
    def client_name(self) -> str | None:
        return self.client_res.name if self.client_res is not None else None

    @property
    def fileset_name(self) -> str | None:
        return self.fileset_res.name if self.fileset_res is not None else None

    @property
    def running(self) -> bool:
        return not self.done.is_set()

    @property
    def failed(self) -> bool:
        return self.status in FAILED_STATUSES

    # -- status
    def set_status(self, status: str) -> None:
        """Set unless a status of higher priority is already there (Bareos's priority check)."""
        if _PRIORITY.get(status, 0) >= _PRIORITY.get(self.status, 0):
            self.status = status

    # -- messages
    def _deliver(self, mtype: int, line: str) -> None:
        if self.router is None:
            self.router = MessageRouter(self.rt, self.messages_res)
        self.router.deliver(self.job_id, mtype, line)
        log.info("job.message", jobid=self.job_id, type=int(mtype), text=redact(line).rstrip("\n"))

    def message(self, text: str, mtype: int = MessageType.INFO) -> None:
        """A Director message of this job (Bareos ``Jmsg`` in the Director)."""
        line = f"{message_time()} {self.rt.settings.name} JobId {self.job_id}: {text}"
        self._deliver(mtype, line if line.endswith("\n") else line + "\n")
        if mtype in (MessageType.FATAL, MessageType.ABORT):
            self.fatal_messages.append(redact(text).strip())
            self.set_status(JS_FATAL)
        elif mtype == MessageType.ERROR:
            self.errors += 1

    def fatal(self, text: str) -> None:
        self.message(text, MessageType.FATAL)

    def warning(self, text: str) -> None:
        self.message(text, MessageType.WARNING)

    def daemon_message(self, msg: Jmsg, sender: str) -> None:
        """A ``Jmsg`` from the File (``"fd"``) or Storage (``"sd"``/``"sd-write"``) daemon."""
        text = msg.text if msg.text.endswith("\n") else msg.text + "\n"
        self._deliver(int(msg.type), f"{message_time(msg.mtime or None)} {text}")
        if msg.type in (MessageType.FATAL, MessageType.ABORT, MessageType.ERROR_TERM):
            # "bareos-fd JobId 9: Fatal error: ..." -> keep the part after the prefix.
            body = text.split(": ", 1)[1] if ": " in text else text
            self.fatal_messages.append(redact(body).strip())
            self.set_status(JS_FATAL)
        elif msg.type == MessageType.ERROR:
            self.errors += 1
        m = _CONNECTED_RE.search(text)
        if m is not None:
            self._note_data_connection(sender, m.group(1), m.group(3))

    def _note_data_connection(self, sender: str, peer_kind: str, encryption: str) -> None:
        tls_first = self.params.get("data_ssl") == 4
        if peer_kind.startswith("Storage") and sender == "fd":
            label, row = "File daemon -> Storage daemon", "6"
        elif peer_kind.startswith("File"):
            label, row = "Storage daemon -> File daemon", "7"
        else:
            label, row = "Storage daemon -> Storage daemon", "8"
            tls_first = self.params.get("replicate_ssl") == 4
        if tls_first:
            handshake = "Immediate TLS"
        elif encryption != "None":
            handshake = "Cleartext, then TLS"
        else:
            handshake = "Cleartext"
        self.connections.append(ConnectionNote(label, row, handshake, encryption))

    def note_connection(self, label: str, row: str, info: Any) -> None:
        """A Director connection of this job (from its :class:`ConnectionInfo`)."""
        handshake = info.mode_text
        if info.connection == "4":
            handshake = f"client-initiated ({info.mode_text})"
            label, row = "File daemon -> Director", "4"
        self.connections.append(ConnectionNote(label, row, handshake, info.encryption_text))

    def result(self) -> JobResult:
        return JobResult(
            job_id=self.job_id,
            job=self.job,
            job_type=self.job_type,
            level=self.level,
            files=self.fd_files if self.job_type in ("B", "R") else self.sd_files,
            bytes=self.fd_bytes if self.job_type in ("B", "R") else self.sd_bytes,
            status=self.status,
            errors=self.errors + self.fd_errors + self.sd_errors,
            end_time=self.end_time or time.time(),
        )


Runner = Callable[[JobControl], Awaitable[None]]
Finisher = Callable[[JobControl], list[str]]


@attrs.frozen
class JobKind:
    """How one type of job runs and reports."""

    run: Runner
    report: Finisher  # final status already set; returns the report lines


class JobManager:
    """The Director's jobs: running ones, the last terminated ones, the queue limit."""

    def __init__(self, rt: DirectorRuntime) -> None:
        self.rt = rt
        self.running: dict[int, JobControl] = {}
        self.recent = RecentJobs(limit=10)
        self.total_run = 0
        self._nursery: trio.Nursery | None = None
        self._changed = trio.Event()
        self._seq = itertools.count(1)
        limit = int(rt.cfg.own().get("MaximumConcurrentJobs") or 1)
        self.limiter = trio.CapacityLimiter(max(1, limit))
        for rec in rt.catalog.jobs(limit=10):
            if rec.end_time is not None:
                self.recent.add(JobResult(job_id=rec.job_id, job=rec.job, job_type=rec.type,
                                          level=rec.level, files=rec.files, bytes=rec.bytes,
                                          status=rec.status, errors=rec.errors,
                                          end_time=rec.end_time))  # fmt: skip

    def attach(self, nursery: trio.Nursery) -> None:
        self._nursery = nursery

    def reconfigure(self) -> None:
        limit = int(self.rt.cfg.own().get("MaximumConcurrentJobs") or 1)
        self.limiter.total_tokens = max(1, limit)

    def unique_name(self, name: str, when: float | None = None) -> str:
        """``backup-lab.2026-11-27_01.10.08_04``: name, time, a two-digit sequence."""
        stamp = time.strftime("%Y-%m-%d_%H.%M.%S", time.localtime(when))
        return f"{name}.{stamp}_{next(self._seq) % 100:02d}"

    def get(self, job_id: int) -> JobControl | None:
        return self.running.get(job_id)

    def submit(self, job: JobControl, kind: JobKind, *, prior_job_id: int = 0) -> int:
        """Create the catalog record and start the job's task; returns the JobId."""
        if self._nursery is None:
            raise RuntimeError("the job manager has no nursery (Director not serving)")
        rt = self.rt
        job.job = self.unique_name(job.name, job.sched_time)
        job.job_id = rt.catalog.create_job(
            job=job.job,
            name=job.name,
            type=job.job_type,
            level=job.level,
            client=job.client_name,
            fileset=job.fileset_name,
            pool=job.pool_res.name if job.pool_res is not None else None,
            storage=job.storage_res.name if job.storage_res is not None else None,
            sched_time=job.sched_time,
            prior_job_id=prior_job_id,
        )
        self.running[job.job_id] = job
        log.info("job.queued", jobid=job.job_id, job=job.job, type=job.job_type, level=job.level,
                 client=job.client_name)  # fmt: skip
        self._nursery.start_soon(self._run, job, kind, name=f"job-{job.job_id}")
        self._notify()
        return job.job_id

    def _notify(self) -> None:
        changed, self._changed = self._changed, trio.Event()
        changed.set()

    async def wait_all(self) -> None:
        """Until no job runs (console ``wait``)."""
        while self.running:
            await self._changed.wait()

    async def wait_job(self, job_id: int) -> None:
        job = self.running.get(job_id)
        if job is not None:
            await job.done.wait()

    async def _run(self, job: JobControl, kind: JobKind) -> None:
        rt = self.rt
        # This task's own context: every connection the job opens logs its JobId (the trace).
        structlog.contextvars.bind_contextvars(jobid=job.job_id)
        scope = job.scope = trio.CancelScope()
        if job.canceled:
            scope.cancel()
        try:
            with scope:
                async with self.limiter:
                    job.start_time = time.time()
                    job.set_status(JS_RUNNING)
                    rt.catalog.update_job(job.job_id, status=JS_RUNNING, start_time=job.start_time)
                    self.total_run += 1
                    job.message(
                        f"Version: {texts.version(rt.persona)} ({texts.release_date(rt.persona)}) "
                        f"{texts.os_name()}\n"
                    )
                    try:
                        await kind.run(job)
                    except JobFailed as exc:
                        job.fatal(str(exc) if str(exc).endswith("\n") else f"{exc}\n")
                    except Exception as exc:  # a bug ends this job as failed, not the Director
                        log.exception("job.crashed", jobid=job.job_id)
                        job.fatal(f"Director internal error: {type(exc).__name__}: {exc}\n")
            if scope.cancelled_caught or job.canceled:
                job.canceled = True
                job.set_status(JS_CANCELED)
        finally:
            with trio.CancelScope(shield=True):
                await self._finish(job, kind)

    async def _finish(self, job: JobControl, kind: JobKind) -> None:
        rt = self.rt
        for stream in job.streams:
            with trio.move_on_after(2):
                await stream.aclose()
        job.end_time = time.time()
        try:
            job.report = kind.report(job)
        except Exception:  # the report must not keep a job from ending
            log.exception("job.report_failed", jobid=job.job_id)
            job.report = []
        if job.status in (JS_RUNNING, JS_CREATED):
            job.status = JS_ERROR_TERMINATED
        rt.catalog.update_job(
            job.job_id,
            status=job.status,
            end_time=job.end_time,
            files=job.result().files,
            bytes=job.result().bytes,
            read_bytes=job.fd_read_bytes,
            errors=job.errors + job.fd_errors + job.sd_errors,
            vol_session_id=job.vol_session_id,
            vol_session_time=job.vol_session_time,
            client_uname=job.client_uname or None,
            since_time=job.since_time,
            prev_job=job.prev_job or None,
            error_text="; ".join(job.fatal_messages) or None,
        )
        if job.report:
            if job.router is None:
                job.router = MessageRouter(rt, job.messages_res)
            mtype = MessageType.ERROR if job.failed else MessageType.TERM
            job.router.deliver_block(job.job_id, int(mtype), job.report)
            log.info(
                "job.report", jobid=job.job_id, lines=[line.rstrip("\n") for line in job.report]
            )
        self.recent.add(job.result())
        self.running.pop(job.job_id, None)
        log.info("job.finished", jobid=job.job_id, job=job.job, status=job.status,
                 fd_status=job.fd_status, sd_status=job.sd_status,
                 errors=job.fatal_messages)  # fmt: skip
        job.done.set()
        self._notify()

    def cancel(self, job_id: int) -> JobControl | None:
        job = self.running.get(job_id)
        if job is None:
            return None
        job.canceled = True
        job.set_status(JS_CANCELED)
        if job.scope is not None:
            job.scope.cancel()
        return job
