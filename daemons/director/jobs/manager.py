"""The Director's job queue: JobIds, one trio task per job, the concurrency limit, ``wait``.

:meth:`JobManager.submit` creates the catalog row (the JobId), starts the
job's task in the Director's nursery under the ``Maximum Concurrent Jobs``
limiter, and when the runner returns or fails settles the final status,
writes the catalog, emits the job report and wakes every ``wait``.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import structlog
import trio

from bareosnet.proto.jobcmds import MessageType
from daemons.common import texts
from daemons.common.commands import JobResult, RecentJobs
from daemons.director.jobs.control import (
    JS_CANCELED,
    JS_CREATED,
    JS_ERROR_TERMINATED,
    JS_RUNNING,
    JobControl,
    JobFailed,
    JobKind,
)
from daemons.director.jobs.messages import MessageRouter

if TYPE_CHECKING:
    from daemons.director.interfaces import Director

log = structlog.get_logger("bareosnet.director.jobs")


class JobManager:
    """The Director's jobs: running ones, the last terminated ones, the queue limit."""

    def __init__(self, rt: Director) -> None:
        self.rt = rt
        self.running: dict[int, JobControl] = {}
        self.recent = RecentJobs(limit=10)
        self.total_run = 0
        self._nursery: trio.Nursery | None = None
        self._changed = trio.Event()
        # Bareos's CreateUniqueJobName counter: one number for every job *and* every control
        # record (the job monitor made at start-up, each console connection), 1..59 then 0.
        self._seq = 1  # the *JobMonitor* record has taken 1
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

    def next_sequence(self) -> int:
        """Take the next number of the unique-name counter (a console connection takes one)."""
        self._seq = self._seq + 1 if self._seq < 59 else 0
        return self._seq

    def unique_name(self, name: str, when: float | None = None) -> str:
        """``backup-lab.2026-11-27_01.10.08_04``: name, time, a two-digit sequence."""
        stamp = time.strftime("%Y-%m-%d_%H.%M.%S", time.localtime(when))
        return f"{name}.{stamp}_{self.next_sequence():02d}"

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
                # A start time the console chose (the run prompt's "When"): wait for
                # it first; cancel ends the wait like the job.
                delay = float(job.params.get("start_at") or 0) - time.time()
                if delay > 0:
                    await trio.sleep(delay)
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
