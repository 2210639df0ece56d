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

import re
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import attrs
import structlog
import trio

from bareosnet.proto.jobcmds import Jmsg, MessageType, redact
from daemons.common.commands import JobResult
from daemons.director.jobs.messages import MessageRouter, message_time

if TYPE_CHECKING:
    from bareosnet.net.stream import BareosStream
    from daemons.director.interfaces import Director

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

    rt: Director
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
    def priority(self) -> int:
        """The console's ``mod`` Priority, else the Job resource's (Bareos default 10)."""
        if self.params.get("priority"):
            return int(self.params["priority"])
        return int(self.job_res.get("Priority") or 10) if self.job_res is not None else 10

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
