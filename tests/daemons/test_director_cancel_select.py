"""``cancel`` picks its jobs as the real Director's select_jobs (checked against Bareos 26)."""

from __future__ import annotations

import types
from typing import Any

from tests.daemons.test_director_status_prompts import CONFIG
from tests.daemons.test_director_units import console_texts, runtime


async def test_nothing_running() -> None:
    rt = runtime(CONFIG)
    assert (await console_texts(rt, "cancel"))[-1] == "No Jobs running.\n"
    assert (await console_texts(rt, "cancel jobid=3"))[-1] == (
        "JobId 3 is not running. Use Job name to cancel inactive jobs.\nNo Jobs running.\n"
    )
    assert (await console_texts(rt, "cancel ujobid=x"))[-1] == (
        "Warning Job x is not running. Continuing anyway ...\nNo Jobs running.\n"
    )
    # Bareos skips the keywords when job= is the first of them (FindArgKeyword returns 0).
    assert (await console_texts(rt, "cancel job=x"))[-1] == "No Jobs running.\n"


def _queued(rt: Any, job_id: int) -> None:
    rt.jobs.running[job_id] = types.SimpleNamespace(
        job_id=job_id, job=f"backup.2026-12-08_03.00.00_{job_id:02d}", name="backup",
        start_time=None, status="C")  # fmt: skip


async def test_one_job_running_is_offered_and_confirmed() -> None:
    rt = runtime(CONFIG)
    _queued(rt, 7)
    assert (await console_texts(rt, "cancel"))[-1] == (
        "Automatically selected Job: JobId=7 Job=backup.2026-12-08_03.00.00_07\n"
        "Confirm cancel (yes/no): "
    )
    assert (await console_texts(rt, "cancel all"))[-1] == "Selected Job 7 for cancelling\nConfirm cancel (yes/no): "
    assert (await console_texts(rt, "cancel state=bogus"))[-1] == (
        "Illegal state either created, blocked, waiting or running\n"
    )
    assert (await console_texts(rt, "cancel state=running"))[-1] == "No Jobs selected.\n"  # not started yet
