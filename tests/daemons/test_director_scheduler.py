"""Schedules start jobs at their times; status director lists them as Bareos does."""

from __future__ import annotations

import re
import time

import trio
import trio.testing

from bareosnet.proto.signals import Signal
from daemons.director.jobs.scheduler import Scheduler, scheduled_jobs, start_scheduled
from tests.daemons.test_director_units import _session, runtime

CONFIG = """
Director { Name = bareos-dir; DirPort = 9101; Password = "s"; TLS Enable = no; TLS Require = no }
Client { Name = fd; Address = 127.0.0.1; Port = 1; Password = "p"; TLS Enable = no
         TLS Require = no }
Storage { Name = File; Address = 127.0.0.1; Port = 1; Password = "p"; Device = D
          Media Type = File; TLS Enable = no; TLS Require = no }
Catalog { Name = MyCatalog; DbName = bareos; DbUser = bareos }
Pool { Name = Full; Pool Type = Backup }
Pool { Name = Other; Pool Type = Backup }
FileSet { Name = Data; Include { File = /nonexistent } }
Messages { Name = Standard }
Schedule { Name = Soon
  Run = Level=Full Pool=Other Priority=7 daily at %s
}
Schedule { Name = Never
  Run = Level=Full jan 1 at 00:00
}
Job { Name = nightly; Type = Backup; Level = Incremental; Client = fd; FileSet = Data
      Storage = File; Pool = Full; Messages = Standard; Schedule = Soon }
Job { Name = newyear; Type = Backup; Client = fd; FileSet = Data; Storage = File; Pool = Full
      Messages = Standard; Schedule = Never }
Job { Name = disabled; Type = Backup; Client = fd; FileSet = Data; Storage = File; Pool = Full
      Messages = Standard; Schedule = Soon; Enabled = no }
"""


def today(h: int, m: int, s: int = 0) -> float:
    t = time.localtime()
    return time.mktime((t.tm_year, t.tm_mon, t.tm_mday, h, m, s, 0, 0, -1))


def test_scheduler_starts_a_run_once_when_its_minute_comes() -> None:
    rt = runtime(CONFIG % "10:01")
    started: list[tuple[str, str, float]] = []
    now = [today(10, 0, 30)]
    sch = Scheduler(rt, lambda sr, when: started.append((sr.job_res.name, sr.level, when)),
                    clock=lambda: now[0])  # fmt: skip
    assert sch.tick() == 30.0 and started == []  # sleeps until 10:01:00
    now[0] = today(10, 1, 2)
    sch.tick()
    assert started == [("nightly", "Full", today(10, 1))]  # the disabled job does not run
    sch.tick()
    assert len(started) == 1  # once per run time
    now[0] = today(10, 3)  # a run more than 59 s late is skipped, as Bareos does
    late = Scheduler(rt, lambda sr, when: started.append(("late", "", when)), clock=lambda: now[0])
    late.tick()
    assert len(started) == 1


def test_a_schedule_one_minute_ahead_really_starts_the_job() -> None:
    """The scheduler's loop on trio's MockClock: the Director's wall clock starts at 10:00:30."""
    rt = runtime(CONFIG % "10:01")
    base = today(10, 0, 30)
    clock = trio.testing.MockClock(autojump_threshold=0)
    jobs: list[int] = []

    async def main() -> None:
        async with trio.open_nursery() as nursery:
            rt.jobs.attach(nursery)
            sch = Scheduler(rt, lambda sr, when: jobs.append(start_scheduled(rt, sr, when)),
                            clock=lambda: base + trio.current_time())  # fmt: skip
            nursery.start_soon(sch.run)
            with trio.move_on_after(29):
                while not jobs:
                    await trio.sleep(1)
            assert not jobs  # not before 10:01
            with trio.fail_after(5):
                while not jobs:
                    await trio.sleep(0.5)
            assert trio.current_time() < 31.0
            nursery.cancel_scope.cancel()

    trio.run(main, clock=clock)
    rec = rt.catalog.job(jobs[0])
    assert rec is not None and rec.name == "nightly" and rec.type == "B"
    assert rec.pool == "Other"  # the Run line's Pool= override
    assert rec.sched_time == today(10, 1)


async def test_status_director_lists_the_scheduled_jobs() -> None:
    soon = time.strftime("%H:%M", time.localtime(time.time() + 3600))
    rt = runtime(CONFIG % soon)
    runs = [r for r in scheduled_jobs(rt, time.time()) if r[1].job_res.name != "newyear"]
    assert [sr.job_res.name for _, sr in runs] == ["nightly"]  # not the disabled job
    async with trio.open_nursery() as nursery:
        c = await _session(rt, nursery)
        await c.cmd("status director")
        frames = await c.frames({Signal.EOD})
        text = b"".join(f for f in frames if isinstance(f, bytes)).decode()
        nursery.cancel_scope.cancel()
    when = time.strftime("%d-%b-%y %H:%M", time.localtime(runs[0][0]))
    assert (
        "\nScheduled Jobs:\n"
        "Level          Type     Pri  Scheduled          Name               Volume\n"
        + "="
        * 83
        + "\n"
        f"Full           Backup     7  {when:<18} nightly            *unknown*\n"
    ) in text, text
    assert re.search(r"No Scheduled Jobs", text) is None
