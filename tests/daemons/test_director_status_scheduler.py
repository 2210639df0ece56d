"""``status scheduler``: the Schedule -> Jobs table and the Run-time preview, as Bareos prints them.

The expected texts were checked against a real Bareos 26 Director on the same configuration
(the preview lines, the "(disabled)" marks, the JSON keys and types, the job prompt).
"""

from __future__ import annotations

import json
import time

from daemons.director.console.status_scheduler import preview
from daemons.director.jobs.scheduler import automatic_runs
from tests.daemons.test_director_units import console_texts, runtime

CONFIG = """
Director { Name = bareos-dir; DirPort = 9101; Password = "s"; TLS Enable = no; TLS Require = no }
Client { Name = fd; Address = 127.0.0.1; Port = 1; Password = "p"; TLS Enable = no
         TLS Require = no }
Client { Name = other; Address = 127.0.0.1; Port = 1; Password = "p"; TLS Enable = no
         TLS Require = no }
Storage { Name = File; Address = 127.0.0.1; Port = 1; Password = "p"; Device = D
          Media Type = File; TLS Enable = no; TLS Require = no }
Catalog { Name = MyCatalog; DbName = bareos; DbUser = bareos }
Pool { Name = Full; Pool Type = Backup }
FileSet { Name = Data; Include { File = /nonexistent } }
Messages { Name = Standard }
Schedule { Name = Nightly
  Run = Level=Incremental Priority=5 Pool=Full mon-fri at 23:10
  Run = Full 1st sun at 2:05
  Run = Level=Differential Accurate=yes SpoolData=no hourly at 0:17
}
Schedule { Name = Unused
  Run = Full sun at 21:00
}
Job { Name = nightly; Type = Backup; Level = Incremental; Client = fd; FileSet = Data
      Storage = File; Pool = Full; Messages = Standard; Schedule = Nightly }
Job { Name = nightly-off; Type = Backup; Client = fd; FileSet = Data; Storage = File
      Pool = Full; Messages = Standard; Schedule = Nightly; Enabled = no }
Job { Name = elsewhere; Type = Backup; Client = other; FileSet = Data; Storage = File
      Pool = Full; Messages = Standard; Schedule = Nightly }
"""

HEAD = (
    "Scheduler Jobs:\n\n"
    "Schedule               Jobs Triggered\n"
    "===========================================================\n"
)


def at(y: int, mo: int, d: int, h: int, mi: int) -> float:
    return time.mktime((y, mo, d, h, mi, 0, 0, 0, -1))


def test_the_preview_walks_every_hour_and_names_the_run_lines_overrides() -> None:
    rt = runtime(CONFIG)
    nightly = rt.cfg.get("schedule", "Nightly")
    # Friday 4 Dec 2026, 22:30 -> Saturday 03:30, hour by hour: the hourly line, and 23:10
    # on a weekday.
    rows = preview([nightly], at(2026, 12, 4, 22, 30), at(2026, 12, 5, 3, 30))
    lines = [f"{r.datetime}  {r.schedule:<22}  {r.text_overrides()}" for r in rows]
    diff = "Level=Differential Spool Data=0 Accurate=1"
    assert lines == [
        f"Fri 04-Dec-2026 22:17  Nightly                 {diff}",  # same hour, earlier minute
        "Fri 04-Dec-2026 23:10  Nightly                 Level=Incremental Priority=5 Pool=Full",
        f"Fri 04-Dec-2026 23:17  Nightly                 {diff}",
        f"Sat 05-Dec-2026 00:17  Nightly                 {diff}",
        f"Sat 05-Dec-2026 01:17  Nightly                 {diff}",
        f"Sat 05-Dec-2026 02:17  Nightly                 {diff}",
    ]  # 03:30 is the end: the hour from 03:30 is not looked at
    first_sunday = preview([nightly], at(2026, 12, 6, 2, 0), at(2026, 12, 6, 3, 0))
    assert [(r.datetime, r.text_overrides()) for r in first_sunday] == [
        ("Sun 06-Dec-2026 02:05", "Level=Full"),
        ("Sun 06-Dec-2026 02:17", diff),
    ]
    assert first_sunday[1].json() == {
        "datetime": "Sun 06-Dec-2026 02:17", "runtime": int(at(2026, 12, 6, 2, 17)),
        "schedule": "Nightly", "level": "Differential", "spool_data": False, "accurate": True,
    }  # fmt: skip



def _preview_lines(text: str) -> list[str]:
    body = text.split("==============================================================\n", 1)[1]
    return body.removesuffix("====\n").splitlines()


async def test_status_scheduler_text() -> None:
    rt = runtime(CONFIG)
    before = time.time()
    text = (await console_texts(rt, "status scheduler days=1"))[-1]
    after = time.time()
    assert text.startswith(
        HEAD + "Nightly\n"
        "                       nightly\n"
        "                       nightly-off (disabled)\n"
        "                       elsewhere\n\n"
        "====\n\nScheduler Preview for 1 days:\n\n"
        "Date                   Schedule                Overrides\n"
    ), text  # "Unused" triggers no job: not in the table, but in the preview
    schedules = list(rt.cfg.all("schedule"))
    day = 86400
    expected = [
        [f"{r.datetime}  {r.schedule:<22}  {r.text_overrides()}".rstrip() for r in rows]
        for rows in (preview(schedules, t, t + day) for t in (before, after))
    ]
    got = [line.rstrip() for line in _preview_lines(text)]
    assert got in expected
    assert sum("Nightly" in line for line in got) >= 24  # the hourly line, every hour


async def test_status_scheduler_for_one_job_and_disabled_jobs() -> None:
    rt = runtime(CONFIG)
    text = (await console_texts(rt, "disable job=elsewhere yes", "status scheduler job=elsewhere days=1"))[-1]
    assert text.startswith(HEAD + "Nightly\n                       elsewhere (disabled)\n\n"), text
    assert _preview_lines(text) == []  # a disabled job has no runs to preview
    # ... nor does the scheduler start it.
    assert {sr.job_res.name for sr in automatic_runs(rt)} == {"nightly"}
    text = (await console_texts(rt, "status scheduler client=other days=1"))[-1]
    assert text.startswith(HEAD + "Nightly\n                       elsewhere (disabled)\n\n")


async def test_status_scheduler_json() -> None:
    rt = runtime(CONFIG)
    answer = (await console_texts(rt, ".api 2", "status scheduler days=-1,1 schedule=Nightly"))[-1]
    result = json.loads(answer)["result"]
    assert result["schedules"] == [{"name": "Nightly", "enabled": True, "jobs": [
        {"name": "nightly", "enabled": True}, {"name": "nightly-off", "enabled": False},
        {"name": "elsewhere", "enabled": True}]}]  # fmt: skip
    previews = result["preview"]
    assert len(previews) >= 48  # two days of the hourly line
    weekday = [p for p in previews if p.get("level") == "Incremental"]
    for p in weekday:
        assert p["priority"] == 5 and p["pool"] == "Full" and p["datetime"].endswith("23:10")
        assert isinstance(p["runtime"], int)
    hourly = [p for p in previews if p.get("level") == "Differential"]
    assert hourly and all(p["accurate"] is True and p["spool_data"] is False for p in hourly)


async def test_a_bogus_job_asks_for_one_as_bareos_does() -> None:
    rt = runtime(CONFIG)
    text = (await console_texts(rt, "status scheduler job=nope"))[-1]
    assert text == (
        "The defined Job resources are:\n1: elsewhere\n2: nightly\n3: nightly-off\n"
        "Select Job resource (1-3): "
    ), text


async def test_status_director_json_names_only_a_run_lines_pool() -> None:
    answer = (await console_texts(runtime(CONFIG), ".api 2", "status director"))[-1]
    scheduled = json.loads(answer)["result"]["scheduled"]
    hourly = [r for r in scheduled if r["level"] == "Differential"]
    weekday = [r for r in scheduled if r["level"] == "Incremental"]
    assert hourly and all("pool" not in r for r in hourly), scheduled  # no Pool= on that line
    assert all(r["pool"] == "Full" for r in weekday), scheduled
