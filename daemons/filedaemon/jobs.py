"""What the File daemon knows about jobs: the ones that may connect, and finished ones.

The Director announces a job to the FD with ``JobId=... Authorization=<key>
[ssl=N]`` (the jobs issue fills that in).  From then on a Storage daemon may
open the job's data connection to a passive FD (connection 7, ``Hello
Storage calling Start Job <job>``), authenticated with that session key both
as CRAM-MD5 key and as TLS-PSK (identity ``R_JOB`` 0x1E job).  The
:class:`JobRegistry` is the table the acceptor consults; a job that is not in
it is refused.  Finished jobs go to :class:`~daemons.common.commands.RecentJobs`
for the status output.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import attrs

from bareosnet.proto.policy import TlsPolicy


@attrs.frozen
class JobAuthorization:
    """A job the FD accepts a data connection for."""

    job: str  # unique job name (Job=)
    key: bytes = attrs.field(repr=False)  # session key: CRAM key and PSK
    tls_policy: int = TlsPolicy.NONE  # the job's ssl= policy (what we announce in CRAM)
    job_id: int = 0


@attrs.frozen
class RunningJob:
    """A job the FD is working on, as ``status`` lists it (filled by the jobs code)."""

    job_id: int
    job: str
    level: str = "F"  # JobLevel letter
    job_type: str = "B"  # JobType letter
    started: float = attrs.field(factory=time.time)
    status: str = "R"  # JobStatus letter
    files: int = 0
    bytes: int = 0
    errors: int = 0
    bwlimit: int = 0
    files_examined: int = 0
    last_file: str = ""
    sd_read_seqno: int | None = None  # None: no Storage daemon socket
    sd_fd: int = -1


class JobRegistry:
    """Jobs by unique name; the acceptor's resolver and PSK table read it."""

    def __init__(self) -> None:
        self._auth: dict[str, JobAuthorization] = {}
        self._running: dict[str, RunningJob] = {}
        self._cancel_hooks: dict[str, Callable[[], None]] = {}
        self.jobs_run = 0  # finished jobs since start ("Jobs: run=")

    # -- data connection authorisations
    def authorize(self, auth: JobAuthorization) -> None:
        self._auth[auth.job] = auth

    def authorization(self, job: str) -> JobAuthorization | None:
        return self._auth.get(job)

    def key(self, job: str) -> bytes | None:
        auth = self._auth.get(job)
        return auth.key if auth else None

    def revoke(self, job: str) -> None:
        """Forget a job's key (Bareos wipes it once the data connection is up)."""
        self._auth.pop(job, None)

    # -- running jobs
    def start(self, job: RunningJob) -> None:
        self._running[job.job] = job

    def update(self, job: RunningJob) -> None:
        self._running[job.job] = job

    def on_cancel(self, job: str, hook: Callable[[], None]) -> None:
        """What ``cancel Job=<job>`` should do for a running job (set by the jobs code)."""
        self._cancel_hooks[job] = hook

    def cancel(self, job: str) -> bool:
        """Mark a running job canceled; False if there is no such job."""
        running = self._running.get(job)
        if running is None:
            return False
        self._running[job] = attrs.evolve(running, status="A")
        hook = self._cancel_hooks.get(job)
        if hook is not None:
            hook()
        return True

    def finish(self, job: str) -> RunningJob | None:
        self._auth.pop(job, None)
        self._cancel_hooks.pop(job, None)
        done = self._running.pop(job, None)
        if done is not None:
            self.jobs_run += 1
        return done

    def running(self) -> tuple[RunningJob, ...]:
        return tuple(self._running.values())

    def find_running(self, job: str) -> RunningJob | None:
        return self._running.get(job)
