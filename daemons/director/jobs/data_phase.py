"""The running part of a job: the SD message threads and the File daemon, side by side.

Bareos runs one message thread per Storage daemon connection while the job
thread talks to the File daemon.  Here each SD session's :meth:`follow` is
a task and the File daemon steps run in the job's task; this module also
decides what happens when one side fails, so that no job hangs:

* the File daemon ended without ``2800 End Job`` (or the job was canceled):
  the Storage daemon job is canceled on a new connection (Bareos's
  ``CancelStorageDaemonJob``), then its end is awaited for a while;
* a Storage daemon connection was lost while the File daemon still works:
  the FD gets ``FD_GRACE`` seconds to notice (its data connection broke
  too), then it is canceled on a new connection and its socket closed;
* with two Storage daemons (copy), a failing one gets the other canceled.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import structlog
import trio

from daemons.director.jobs.common import cancel_on_client, cancel_on_storage
from daemons.director.jobs.control import JS_TERMINATED, JS_WARNINGS, JobControl, JobFailed
from daemons.director.jobs.fd_session import FdSession
from daemons.director.jobs.sd_session import SdSession

log = structlog.get_logger("bareosnet.director.jobs")

FD_GRACE = 20.0  # after the SD vanished, before the FD is canceled
SD_GRACE = 30.0  # after the FD ended, before the SD is given up


class DataPhase:
    def __init__(self, job: JobControl, sessions: list[SdSession], fd: FdSession | None) -> None:
        self.job = job
        self.sessions = sessions
        self.fd = fd
        self._sd_done = {id(s): trio.Event() for s in sessions}
        self._fd_done = trio.Event()
        self._fd_scope = trio.CancelScope()

    def sd_done(self, s: SdSession) -> bool:
        return self._sd_done[id(s)].is_set()

    async def wait_storage(self, timeout: float = SD_GRACE) -> bool:
        """Until every SD session ended (Bareos ``WaitForStorageDaemonTermination``)."""
        with trio.move_on_after(timeout):
            for s in self.sessions:
                await self._sd_done[id(s)].wait()
            return True
        return False

    async def _sd_thread(self, s: SdSession) -> None:
        try:
            await s.follow()
        finally:
            self._sd_done[id(s)].set()
        job = self.job
        failed = s.ended is None or chr(int(s.ended.status)) not in (JS_TERMINATED, JS_WARNINGS)
        if not failed:
            return
        for other in self.sessions:
            if other is not s and not self.sd_done(other):
                await cancel_on_storage(job.rt, other.store_res, job.job)
        if s.ended is None and self.fd is not None and not self._fd_done.is_set():
            with trio.move_on_after(FD_GRACE):
                await self._fd_done.wait()
            if not self._fd_done.is_set() and job.client_res is not None:
                log.warning("job.fd_cancel", jobid=job.job_id, reason="storage daemon lost")
                await cancel_on_client(job.rt, job.client_res, job.job)
                self._fd_scope.cancel()

    async def run(self, fd_steps: Callable[[], Awaitable[None]] | None) -> None:
        job = self.job
        async with trio.open_nursery() as nursery:
            for s in self.sessions:
                nursery.start_soon(self._sd_thread, s)
            if self.fd is not None and fd_steps is not None:
                with self._fd_scope:
                    try:
                        await fd_steps()
                    except JobFailed as exc:
                        job.fatal(str(exc))
                self._fd_done.set()
                if self._fd_scope.cancelled_caught:
                    job.fatal(
                        "File daemon did not end the job after the Storage daemon was lost.\n"
                    )
                if not job.fd_ok or job.canceled:
                    for s in self.sessions:
                        if not self.sd_done(s):
                            await cancel_on_storage(job.rt, s.store_res, job.job)
            if not await self.wait_storage():
                job.fatal("Storage daemon did not end the job in time; giving up on it.\n")
                nursery.cancel_scope.cancel()


def take_sd_results(job: JobControl, s: SdSession) -> None:
    """The SD's end line into the job (what the report shows as SD numbers)."""
    job.sd_status = s.sd_status if s.ended is None else chr(int(s.ended.status))
    if s.ended is not None:
        job.sd_ended = True
        job.sd_files = s.ended.job_files
        job.sd_bytes = s.ended.job_bytes
        job.sd_errors = s.ended.job_errors
    for v in s.volumes:
        if v not in job.volumes:
            job.volumes.append(v)
