"""What the File daemon knows about jobs: the ones that may connect, and finished ones.

The Director announces a job to the FD with ``JobId=... Authorization=<key>
[ssl=N]``.  From then on a Storage daemon may open the job's data connection
to a passive FD (connection 7, ``Hello Storage calling Start Job <job>``),
authenticated with that session key both as CRAM-MD5 key and as TLS-PSK
(identity ``R_JOB`` 0x1E job).  The :class:`JobRegistry` is the table the
acceptor consults; a job that is not in it is refused.

Session keys are bound to their job: the registry refuses a key that another
running job holds or that an ended job used (it remembers digests of retired
keys, never the keys), and it hands a job exactly one authenticated data
connection (a second ``Hello Storage calling Start Job`` for the same job is
refused).  Finished jobs go to :class:`~daemons.common.commands.RecentJobs`
for the status output.
"""

from __future__ import annotations

import hashlib
import time
from collections import deque
from collections.abc import Callable
from typing import Any

import attrs
import structlog
import trio

from bareosnet.errors import BareosError
from bareosnet.proto.policy import TlsPolicy
from bareosnet.proto.session_key import DUMMY_SESSION_KEY

log = structlog.get_logger("bareos.fd.jobs")

RETIRED_KEYS_KEPT = 4096  # digests of used keys remembered (a bounded history)


class KeyRefusedError(BareosError):
    """A session key the registry will not bind to this job (text never holds the key)."""


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


class DataLink:
    """The hand-over of a passive job's data connection (connection 7).

    The acceptor task offers the authenticated stream and then waits for
    :attr:`released`; the job takes the stream with :meth:`wait` and sets
    ``released`` when it is done (the acceptor task then returns and the
    server closes the socket).
    """

    def __init__(self) -> None:
        self.stream: Any = None  # BareosStream once offered
        self.info: Any = None  # ConnectionInfo of that stream
        self.attached = trio.Event()
        self.released = trio.Event()

    @property
    def is_attached(self) -> bool:
        return self.attached.is_set()

    def offer(self, stream: Any, info: Any) -> bool:
        if self.attached.is_set() or self.released.is_set():
            return False
        self.stream, self.info = stream, info
        self.attached.set()
        return True

    async def wait(self, timeout: float) -> tuple[Any, Any] | None:
        with trio.move_on_after(timeout):
            await self.attached.wait()
        if not self.attached.is_set() or self.released.is_set():
            return None  # never came, or already used by an earlier part
        return self.stream, self.info

    def release(self) -> None:
        self.released.set()


def _digest(key: bytes) -> str:
    return hashlib.sha256(key).hexdigest()


class JobRegistry:
    """Jobs by unique name; the acceptor's resolver and PSK table read it."""

    def __init__(self) -> None:
        self._auth: dict[str, JobAuthorization] = {}
        self._links: dict[str, DataLink] = {}
        self._running: dict[str, RunningJob] = {}
        self._live: dict[str, Callable[[], RunningJob]] = {}
        self._cancel_hooks: dict[str, Callable[[], None]] = {}
        self._retired: deque[str] = deque(maxlen=RETIRED_KEYS_KEPT)
        self._retired_set: set[str] = set()
        self.jobs_run = 0  # finished jobs since start ("Jobs: run=")
        # --workers: jobs other workers run (key, owner), and whom to tell of ours
        self._remote: dict[str, tuple[JobAuthorization, int]] = {}
        self.changed: Callable[[str, JobAuthorization | None], None] | None = None

    # -- data connection authorisations
    def check_key(self, job: str, key: bytes) -> None:
        """Raise :class:`KeyRefusedError` if ``key`` may not be bound to ``job``."""
        if key == DUMMY_SESSION_KEY.encode():
            return
        digest = _digest(key)
        if digest in self._retired_set:
            raise KeyRefusedError(f"session key for job {job} was already used by an ended job")
        for other, auth in self._auth.items():
            if other != job and auth.key == key:
                raise KeyRefusedError(f"session key for job {job} is bound to another job")
        for other, (auth, _owner) in self._remote.items():
            if other != job and auth.key == key:
                raise KeyRefusedError(f"session key for job {job} is bound to another job")

    def authorize(self, auth: JobAuthorization) -> None:
        """Bind ``auth.key`` to ``auth.job`` (replacing an earlier key of the same job)."""
        self.check_key(auth.job, auth.key)
        old = self._auth.get(auth.job)
        if old is not None and old.key != auth.key:
            self._retire(old.key)
            # A new key starts a new part (multi-part restore): the Storage
            # daemon may connect once more, the previous connection is done.
            link = self._links.pop(auth.job, None)
            if link is not None:
                link.release()
        self._auth[auth.job] = auth
        self._links.setdefault(auth.job, DataLink())
        if self.changed is not None:
            self.changed(auth.job, auth)

    def authorization(self, job: str) -> JobAuthorization | None:
        auth = self._auth.get(job)
        if auth is None and job in self._remote:
            return self._remote[job][0]
        return auth

    def key(self, job: str) -> bytes | None:
        auth = self.authorization(job)
        if auth is None or auth.key == DUMMY_SESSION_KEY.encode():
            return None  # a job without a Storage daemon takes no data connection
        return auth.key

    def revoke(self, job: str) -> None:
        """Forget a job's key; it can never be bound again."""
        auth = self._auth.pop(job, None)
        if auth is not None:
            self._retire(auth.key)
            if self.changed is not None:
                self.changed(job, None)

    # -- jobs of the other workers (--workers)
    def remote_authorize(self, auth: JobAuthorization, owner: int) -> None:
        self._remote[auth.job] = (auth, owner)

    def remote_forget(self, job: str) -> None:
        entry = self._remote.pop(job, None)
        if entry is not None:
            self._retire(entry[0].key)

    def owner(self, job: str) -> int | None:
        """The worker running ``job`` if another one does (None: ours, or unknown)."""
        if job in self._auth:
            return None
        entry = self._remote.get(job)
        return None if entry is None else entry[1]

    def _retire(self, key: bytes) -> None:
        if key == DUMMY_SESSION_KEY.encode():
            return
        digest = _digest(key)
        if digest in self._retired_set:
            return
        if len(self._retired) == self._retired.maxlen:
            self._retired_set.discard(self._retired[0])
        self._retired.append(digest)
        self._retired_set.add(digest)

    # -- the passive data connection
    def link(self, job: str) -> DataLink | None:
        return self._links.get(job) if job in self._auth else None

    def is_connected(self, job: str) -> bool:
        link = self._links.get(job)
        return link is not None and link.is_attached

    def attach(self, job: str, stream: Any, info: Any) -> DataLink | None:
        """Give ``job`` its authenticated data connection; None if it has one already."""
        link = self.link(job)
        if link is None or not link.offer(stream, info):
            log.warning("job.auth_refused", job=job,
                        reason="job already has an authenticated Storage daemon connection"
                        if link is not None else "job unknown or ended")  # fmt: skip
            return None
        return link

    # -- running jobs
    def start(self, job: RunningJob) -> None:
        self._running[job.job] = job

    def start_live(self, job: str, snapshot: Callable[[], RunningJob]) -> None:
        """A running job whose status line is computed when asked."""
        self._live[job] = snapshot

    def update(self, job: RunningJob) -> None:
        self._running[job.job] = job

    def on_cancel(self, job: str, hook: Callable[[], None]) -> None:
        """What ``cancel Job=<job>`` should do for a running job (set by the jobs code)."""
        self._cancel_hooks[job] = hook

    def cancel(self, job: str) -> bool:
        """Mark a running job canceled; False if there is no such job."""
        running = self._running.get(job)
        if running is None and job not in self._live:
            return False
        if running is not None:
            self._running[job] = attrs.evolve(running, status="A")
        hook = self._cancel_hooks.get(job)
        if hook is not None:
            hook()
        return True

    def finish(self, job: str) -> RunningJob | None:
        self.revoke(job)
        link = self._links.pop(job, None)
        if link is not None:
            link.release()
        self._cancel_hooks.pop(job, None)
        live = self._live.pop(job, None)
        done = self._running.pop(job, None)
        if done is None and live is not None:
            done = live()
        if done is not None:
            self.jobs_run += 1
        return done

    def running(self) -> tuple[RunningJob, ...]:
        return tuple(self._running.values()) + tuple(f() for f in self._live.values())

    def find_running(self, job: str) -> RunningJob | None:
        if job in self._live:
            return self._live[job]()
        return self._running.get(job)
