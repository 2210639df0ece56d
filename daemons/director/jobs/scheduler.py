"""The Director's scheduler: Jobs with a ``Schedule`` start at their Run times.

Bareos ``scheduler_private.cc``: a Job runs automatically when it, its
Schedule and its Client are enabled.  At every wake-up the runs of this and
the next hour are looked at (:func:`~.schedule.runtimes_this_and_next_hour`);
a run starts once its time has come, unless it is more than 59 seconds late
(a Director that was not running then does not catch up) or the same Run
line already started less than 61 seconds before.  The Run line's overrides
(Level, Pool, Storage, Priority, Accurate ...) apply to the job.  The
scheduler sleeps until the next run time, at most a minute (Bareos's
``default_wait_interval``).

The wall clock is a parameter (``clock``), so a test can put the Director at
any time of day; the sleeping goes through trio, so ``MockClock`` makes it
instant.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import attrs
import structlog
import trio

from daemons.director.jobs.schedule import (
    DateTimeMask,
    mask_of,
    next_schedule_time,
    runtimes_this_and_next_hour,
)

if TYPE_CHECKING:
    from daemons.director.interfaces import Director

log = structlog.get_logger("bareosnet.director.scheduler")

WAIT_INTERVAL = 60.0


@attrs.frozen
class ScheduledRun:
    """One Run line of one Job, as ``status director`` lists it."""

    job_res: Any
    run: Any  # the config's RunSpec
    mask: DateTimeMask
    level: str  # Level word: the Run's override, else the Job's
    priority: int
    pool: str | None
    storage: str | None

    @property
    def key(self) -> tuple[str, str, int]:
        return (self.job_res.name, self.run.text, self.run.line)


def automatic_runs(rt: Director) -> list[ScheduledRun]:
    """``IsAutomaticSchedulerJob`` for every Job: its Run lines with their overrides."""
    out: list[ScheduledRun] = []
    for job_res in rt.cfg.all("job"):
        sched_name = job_res.get("Schedule")
        # "disable job=..." (and of its Schedule or Client) stops its automatic runs too.
        if not sched_name or not rt.is_enabled("job", job_res):
            continue
        sched = rt.cfg.get("schedule", str(sched_name))
        client = rt.cfg.get("client", str(job_res.get("Client"))) if job_res.get("Client") else None
        if sched is None or not rt.is_enabled("schedule", sched):
            continue
        if client is not None and not rt.is_enabled("client", client):
            continue
        for run in sched.get("Run") or ():
            ov = dict(run.overrides)
            out.append(ScheduledRun(
                job_res=job_res, run=run, mask=mask_of(run.when),
                level=str(ov.get("Level") or job_res.get("Level") or "Incremental"),
                priority=int(ov.get("Priority") or job_res.get("Priority") or 10),
                pool=ov.get("Pool"), storage=ov.get("Storage"),
            ))  # fmt: skip
    return out


def scheduled_jobs(rt: Director, now: float, days: int = 1) -> list[tuple[float, ScheduledRun]]:
    """``ListScheduledJobs``: the next time of every run within ``days``, by time, priority."""
    found = []
    for sr in automatic_runs(rt):
        when = next_schedule_time(sr.mask, now, days)
        if when is not None:
            found.append((when, sr))
    found.sort(key=lambda item: (item[0], item[1].priority))
    return found


StartJob = Callable[[ScheduledRun, float], Any]


class Scheduler:
    def __init__(self, rt: Director, start: StartJob, *, clock: Callable[[], float] = time.time,
                 wait_interval: float = WAIT_INTERVAL) -> None:  # fmt: skip
        self.rt = rt
        self.start = start
        self.clock = clock
        self.wait_interval = wait_interval
        self.last_started: dict[tuple[str, str, int], float] = {}

    def due(self, now: float) -> tuple[list[tuple[float, ScheduledRun]], float]:
        """The runs to start now, and the seconds until the next look."""
        starts: list[tuple[float, ScheduledRun]] = []
        wait = self.wait_interval
        for sr in automatic_runs(self.rt):
            for runtime in runtimes_this_and_next_hour(sr.mask, now):
                if runtime - self.last_started.get(sr.key, -1e18) < 61:
                    continue  # this Run line started a moment ago
                if runtime + 59 < now:
                    continue  # missed: Bareos does not catch up
                if runtime <= now:
                    starts.append((runtime, sr))
                else:
                    wait = min(wait, runtime - now)
        starts.sort(key=lambda item: (item[0], item[1].priority))
        return starts, max(wait, 0.5)

    def tick(self) -> float:
        now = self.clock()
        starts, wait = self.due(now)
        for runtime, sr in starts:
            self.last_started[sr.key] = runtime
            log.info("scheduler.start", job=sr.job_res.name, level=sr.level, run=sr.run.text)
            try:
                self.start(sr, runtime)
            except Exception:  # a job that cannot start must not stop the scheduler
                log.exception("scheduler.start_failed", job=sr.job_res.name)
        return wait

    async def run(self) -> None:
        while True:
            await trio.sleep(self.tick())


def start_scheduled(rt: Any, sr: ScheduledRun, runtime: float) -> int:
    """Queue the job of a Run line as ``ExecuteJob`` would (``SetJcrFromRunResource``)."""
    from daemons.director.jobs.kinds import kind_of
    from daemons.director.jobs.setup import Overrides, build_job

    level = sr.level if str(sr.job_res.get("Type") or "Backup").lower() == "backup" else None
    job = build_job(rt, sr.job_res, Overrides(level=level, pool=sr.pool, storage=sr.storage))
    job.sched_time = runtime
    if sr.pool:
        job.sources["pool"] = "Run Pool override"
    if sr.storage:
        job.sources["storage"] = "run override"
    accurate = sr.run.overrides.get("Accurate")
    if accurate is not None:
        job.params["accurate"] = str(accurate).lower() in ("yes", "true", "1")
    return rt.jobs.submit(job, kind_of(job.job_type))
