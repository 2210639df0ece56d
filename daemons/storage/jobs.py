"""What the Storage daemon knows about jobs: announced, running and finished.

The Director announces a job with ``JobId=... Job=<unique name> ...``; the SD
answers with a session key (``3000 OK Job SDid=.. SDtime=.. Authorization=<key>``).
That key authenticates the job's data connections: the File daemon's
``Hello Start Job <job>`` (connection 6) and a replicating SD's ``Hello Start
Storage Job <job>`` (connection 8), as CRAM key and as TLS-PSK for the
identity ``R_JOB`` 0x1E job.  A job accepts one data connection: a second one
is refused, as Bareos does ("already authenticated").  The key is revoked
when the job ends (or its Director leaves before ``run``), so a replayed key
finds no job.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import attrs

from bareosnet.proto.policy import TlsPolicy


@attrs.frozen
class JobAuthorization:
    """A job that may open a data connection to this SD."""

    job: str  # unique job name
    key: bytes = attrs.field(repr=False)  # session key: CRAM key and PSK
    tls_policy: int = TlsPolicy.NONE  # the job's ssl= policy
    job_id: int = 0


@attrs.frozen
class RunningJob:
    """A job the SD is working on, as ``status`` lists it (filled by the jobs code)."""

    job_id: int
    job: str
    level: str = "F"
    job_type: str = "B"
    status: str = "R"  # JobStatus letter; "F" = waiting for the File daemon
    errors: int = 0
    started: float = attrs.field(factory=time.time)
    files: int = 0
    bytes: int = 0
    average_rate: int = 0
    last_rate: int = 0
    # Device in use: print name ("FileStorage" (/path)), volume and pool.
    device: str | None = None
    volume: str = ""
    pool: str = ""
    reading: bool = False
    spooling: bool = False
    despooling: bool = False
    despool_wait: bool = False
    fd_read_seqno: int | None = None  # None: no File daemon socket
    fd_in_msg: int = 0
    fd_out_msg: int = 0
    fd_fd: int = -1
    reserve_messages: tuple[str, ...] = ()


class JobRegistry:
    def __init__(self) -> None:
        self._auth: dict[str, JobAuthorization] = {}
        self._authenticated: set[str] = set()
        self._running: dict[str, RunningJob] = {}
        self._cancel_hooks: dict[str, Callable[[], None]] = {}
        self.jobs_run = 0

    # -- data connection authorisations
    def authorize(self, auth: JobAuthorization) -> None:
        self._auth[auth.job] = auth
        self._authenticated.discard(auth.job)

    def authorization(self, job: str) -> JobAuthorization | None:
        return self._auth.get(job)

    def key(self, job: str) -> bytes | None:
        auth = self._auth.get(job)
        return auth.key if auth else None

    def mark_authenticated(self, job: str) -> None:
        self._authenticated.add(job)

    def is_authenticated(self, job: str) -> bool:
        return job in self._authenticated

    def revoke(self, job: str) -> None:
        self._auth.pop(job, None)
        self._authenticated.discard(job)

    # -- running jobs
    def start(self, job: RunningJob) -> None:
        self._running[job.job] = job

    def update(self, job: RunningJob) -> None:
        self._running[job.job] = job

    def on_cancel(self, job: str, hook: Callable[[], None]) -> None:
        self._cancel_hooks[job] = hook

    def find(self, job_or_id: str) -> RunningJob | None:
        """By unique name, or by JobId when the word is a number (as ``cancel`` does)."""
        if job_or_id.isdigit():
            wanted = int(job_or_id)
            return next((j for j in self._running.values() if j.job_id == wanted), None)
        return self._running.get(job_or_id)

    def cancel(self, job_or_id: str) -> RunningJob | None:
        job = self.find(job_or_id)
        if job is None:
            return None
        self._running[job.job] = attrs.evolve(job, status="A")
        hook = self._cancel_hooks.get(job.job)
        if hook is not None:
            hook()
        return job

    def finish(self, job: str) -> RunningJob | None:
        self.revoke(job)
        self._cancel_hooks.pop(job, None)
        done = self._running.pop(job, None)
        if done is not None:
            self.jobs_run += 1
        return done

    def forget(self, job: str) -> None:
        """A job that never ran: revoke its key, drop it without counting it as run."""
        self.revoke(job)
        self._cancel_hooks.pop(job, None)
        self._running.pop(job, None)

    def running(self) -> tuple[RunningJob, ...]:
        return tuple(self._running.values())
