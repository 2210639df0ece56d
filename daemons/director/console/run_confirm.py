"""``run`` without ``yes``: the job's parameters, ``OK to run? (yes/mod/no):`` and ``mod``.

Bareos ``ua_run.cc`` (DoRunCmd / ModifyJobParameters) for Backup and Copy jobs:
``yes`` (or an empty answer, or any prefix of yes) queues the job, ``no`` says
"Job not run.", ``mod`` offers Level, Storage, Job, FileSet, Client, Backup Format,
When, Priority, Pool and Plugin Options and shows the parameters again.  As in
Bareos a cancelled level choice only shows them again, while any other cancelled
question ends the command with "Job not run.".  A Restore job has its own block
and menu (:mod:`restore_run`).
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from daemons.common.commands import level_text
from daemons.director.console import restore_dialog as dialog
from daemons.director.console.args import parse_args
from daemons.director.console.restore_run import ask_ok_to_run
from daemons.director.console.restore_select import parse_date
from daemons.director.jobs.setup import Overrides, SetupError, build_job

if TYPE_CHECKING:
    from daemons.director.console.interfaces import CommandSession
    from daemons.director.jobs.control import JobControl

# SelectJobLevel's choices for a backup, with Bareos's level letters (VirtualFull is "f").
LEVELS = (("Full", "F"), ("Incremental", "I"), ("Differential", "D"), ("Since", "S"),
          ("VirtualFull", "f"))  # fmt: skip
MOD_ITEMS = ("Level", "Storage", "Job", "FileSet", "Client", "Backup Format", "When", "Priority",
             "Pool", "Plugin Options")  # fmt: skip
def summary_lines(job: JobControl) -> list[str]:
    """``DisplayJobParameters`` of a Backup or Copy job."""
    word = {"B": "Backup", "c": "Copy"}.get(job.job_type, "")
    lines = [f"Run {word} job\n", f"JobName:  {job.name}\n"]
    if job.job_type == "B":
        lines += [
            f"Level:    {level_text(job.level)}\n",
            f"Client:   {job.client_name}\n",
            f"Format:   {job.params.get('backup_format') or 'Native'}\n",
            f"FileSet:  {job.fileset_name}\n",
        ]
    pool = job.pool_res.name if job.pool_res else ""
    store = job.storage_res.name if job.storage_res else ""
    lines += [
        f"Pool:     {pool} (From {job.sources.get('pool')})\n",
        f"Storage:  {store} (From {job.sources.get('storage')})\n",
        f"When:     {time.strftime('%Y-%m-%d %H:%M:%S', time.localtime(job.sched_time))}\n",
        f"Priority: {job.priority}\n",
    ]
    if job.params.get("pluginoptions"):
        lines.append(f"Plugin Options: {job.params['pluginoptions']}\n")
    return lines


class NotRun(Exception):
    """The job does not run; ``silent``: Bareos ends without "Job not run." (bad ``mod``)."""

    def __init__(self, *, silent: bool = False) -> None:
        super().__init__()
        self.silent = silent


async def confirm(s: CommandSession, job: JobControl) -> JobControl:
    """Ask until yes: the job, perhaps changed or replaced by ``mod``; else :class:`NotRun`."""
    while True:
        for line in summary_lines(job):
            await s.out.text(line)
        answer = await ask_ok_to_run(s)
        if answer is None:
            raise NotRun
        low = answer.lower()
        if answer and "mod".startswith(low):
            changed = await modify(s, job)
            if changed is None:
                raise NotRun
            job = changed
            continue
        if low.startswith(".mod ") or (low.startswith("mod ") and len(answer) > 6):
            changed = await _mod_arguments(s, job, answer)
            if changed is None:
                raise NotRun(silent=True)
            job = changed
            continue
        if answer == "" or "yes".startswith(low):
            return job
        raise NotRun


async def modify(s: CommandSession, job: JobControl) -> JobControl | None:
    """One change of ``ModifyJobParameters``; None when a question was cancelled."""
    choice = await dialog.do_prompt(s, "Parameters to modify:\n", list(MOD_ITEMS), "",
                                    "Select parameter to modify")  # fmt: skip
    if choice is None:
        return None
    item = MOD_ITEMS[choice]
    if item == "Level":
        level = await dialog.do_prompt(s, "Levels:\n", [w for w, _ in LEVELS], "", "Select level")
        if level is not None:  # a cancelled level choice just shows the job again
            job.level = LEVELS[level][1]
        return job
    if item in ("Storage", "FileSet", "Client", "Pool", "Job"):
        return await _pick(s, job, item)
    if item == "Backup Format":
        answer = await s.ask("Please enter Backup Format: ")
        if answer is None:
            return None
        job.params["backup_format"] = answer
    elif item == "When":
        when = await dialog.ask_start_time(s)
        if when is None:
            return None
        job.sched_time = job.params["start_at"] = when
    elif item == "Priority":
        number = await dialog.ask_priority(s)
        if number is None:
            return None
        if number:
            job.params["priority"] = number
    elif item == "Plugin Options":
        answer = await s.ask("Please enter Plugin Options string: ")
        if answer is None:
            return None
        job.params["pluginoptions"] = answer
    return job


async def _mod_arguments(s: CommandSession, job: JobControl, line: str) -> JobControl | None:
    """``mod key=value ...``: the keywords of the run command that change this job."""
    for key, value in parse_args(line).words[1:]:
        k = key.lower()
        if k not in _MOD_KEYS:
            await s.out.text(f"Invalid keyword: {key}\n")
            return None
        if value is None:
            await s.out.text(f"Value missing for keyword {key}\n")
            return None
        if k == "level":
            code = {w.lower(): c for w, c in LEVELS}.get(value.lower())
            if code is None:
                await s.out.error(f"Level \"{value}\" not valid.\n")
                return None
            job.level = code
        elif k == "priority":
            if not value.isdigit() or int(value) <= 0:
                await s.out.error("Priority must be positive nonzero setting it to 10.\n")
                value = "10"
            job.params["priority"] = int(value)
        elif k == "when":
            when = parse_date(value)
            if when is None:
                await s.out.error("Invalid time, using current time.\n")
                when = time.time()
            job.sched_time = job.params["start_at"] = when
        elif k in ("pluginoptions", "backupformat"):
            job.params["pluginoptions" if k == "pluginoptions" else "backup_format"] = value
        else:
            kind = {"sd": "storage", "fd": "client"}.get(k, k)
            res = s.rt.cfg.get(kind, value)
            if res is None or not s.allowed(kind, value):
                await s.out.error(f'{kind.capitalize()} "{value}" not found.\n')
                return None
            setattr(job, f"{kind}_res", res)
            job.sources[kind] = "command line"
    return job


_MOD_KEYS = {"level", "priority", "when", "pluginoptions", "backupformat", "storage", "sd",
             "pool", "client", "fd", "fileset"}  # fmt: skip

_PICKED_KIND = {"Storage": "storage", "FileSet": "fileset", "Client": "client", "Pool": "pool",
                "Job": "job"}  # fmt: skip


async def _pick(s: CommandSession, job: JobControl, item: str) -> JobControl | None:
    res = await dialog.select_resource(s, _PICKED_KIND[item])
    if res is None:
        return None
    if item == "Job":
        # SetJcrDefaults: everything comes from the newly chosen Job.
        try:
            fresh = build_job(s.rt, res, Overrides())
        except SetupError as exc:
            await s.out.error(f"{exc}\n")
            return None
        if fresh.job_type not in ("B", "c"):
            await s.out.error(f'Job "{res.name}" is no Backup or Copy job: this Director keeps '
                              f'"{job.name}".\n')  # fmt: skip
            return job
        fresh.params.update({k: v for k, v in job.params.items() if k == "start_at"})
        fresh.sched_time = job.sched_time
        return fresh
    if item == "Storage":
        job.storage_res = s.rt.storage(res.name) or res
        job.sources["storage"] = "user selection"
    elif item == "FileSet":
        job.fileset_res = res
    elif item == "Client":
        job.client_res = s.rt.client(res.name) or res
    elif item == "Pool":
        job.pool_res = res
    return job
