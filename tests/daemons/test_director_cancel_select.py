"""``cancel`` picks its jobs as the real Director's select_jobs (checked against Bareos 26)."""

from __future__ import annotations

import types
from typing import Any

import trio

from bareosnet.proto.signals import Signal
from tests.daemons.test_director_status_prompts import CONFIG
from tests.daemons.test_director_units import _session, runtime

STOP = {Signal.EOD, Signal.MAIN_PROMPT, Signal.SUB_PROMPT, Signal.TEXT_INPUT}


async def _ask(rt: Any, command: str) -> str:
    async with trio.open_nursery() as nursery:
        c = await _session(rt, nursery)
        await c.cmd(command)
        frames = await c.frames(STOP)
        nursery.cancel_scope.cancel()
    return b"".join(f for f in frames if isinstance(f, bytes)).decode()


async def test_nothing_running() -> None:
    rt = runtime(CONFIG)
    assert await _ask(rt, "cancel") == "No Jobs running.\n"
    assert await _ask(rt, "cancel jobid=3") == (
        "JobId 3 is not running. Use Job name to cancel inactive jobs.\nNo Jobs running.\n"
    )
    assert await _ask(rt, "cancel ujobid=x") == (
        "Warning Job x is not running. Continuing anyway ...\nNo Jobs running.\n"
    )
    # Bareos skips the keywords when job= is the first of them (FindArgKeyword returns 0).
    assert await _ask(rt, "cancel job=x") == "No Jobs running.\n"


def _queued(rt: Any, job_id: int) -> None:
    rt.jobs.running[job_id] = types.SimpleNamespace(
        job_id=job_id, job=f"backup.2026-12-08_03.00.00_{job_id:02d}", name="backup",
        start_time=None, status="C")  # fmt: skip


async def test_one_job_running_is_offered_and_confirmed() -> None:
    rt = runtime(CONFIG)
    _queued(rt, 7)
    assert await _ask(rt, "cancel") == (
        "Automatically selected Job: JobId=7 Job=backup.2026-12-08_03.00.00_07\n"
        "Confirm cancel (yes/no): "
    )
    assert await _ask(rt, "cancel all") == "Selected Job 7 for cancelling\nConfirm cancel (yes/no): "
    assert await _ask(rt, "cancel state=bogus") == (
        "Illegal state either created, blocked, waiting or running\n"
    )
    assert await _ask(rt, "cancel state=running") == "No Jobs selected.\n"  # not started yet
