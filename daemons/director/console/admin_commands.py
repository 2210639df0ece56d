"""Console commands on the running configuration: enable, disable, time, and the dot lists
of Jobs, JobDefs, Pools, FileSets and Schedules (ua_cmds.cc DoEnDisableCmd, time_cmd;
ua_dotcmds.cc DotJobsCmd and friends).

``enable``/``disable`` change a Job, Client or Schedule until the next reload, as in
Bareos (:meth:`DirectorRuntime.is_enabled`); the answer is
``{"enable": {"jobs": ["<name>"]}}`` plus Bareos's warning that the change is temporary.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from daemons.director.console.args import Args
from daemons.director.console.registry import command
from daemons.director.jobs.setup import job_type_of

if TYPE_CHECKING:
    from daemons.director.console.interfaces import CommandSession

EN_DISABLE_USAGE = "job=<job-name> | client=<client-name> | schedule=<schedule-name>"
# keyword -> (resource type, ACL kind, JSON group, word in the messages)
_SWITCHABLE = {
    "schedule": ("schedule", "schedule", "schedules", "Schedule"),
    "client": ("client", "client", "clients", "Client"),
    "job": ("job", "job", "jobs", "Job"),
}


async def _switch(s: CommandSession, args: Args, setting: bool) -> bool:
    action = "enable" if setting else "disable"
    # Bareos looks for schedule=, then client=, then job= (DoEnDisableCmd).
    for keyword in ("schedule", "client", "job"):
        if keyword in [k.lower() for k, _ in args.words[1:]]:
            break
    else:
        await s.out.error(f"{action}: {EN_DISABLE_USAGE} is needed (this emulator does not "
                          "prompt)\n")  # fmt: skip
        return False
    rtype, acl, group, word = _SWITCHABLE[keyword]
    name = args.value(keyword)
    res = s.rt.cfg.get(rtype, name) if name else None
    if res is None or not s.allowed(acl, res.name):
        await s.out.error(f'{word} "{name or ""}" not found.\n')
        return True
    s.rt.enabled_overrides[(rtype, res.name)] = setting
    await s.out.text(f'{word} "{res.name}" {action}d\n')
    s.out.set(action, {group: [res.name]})
    await s.out.warning(
        f"{'En' if setting else 'Dis'}abling is a temporary operation until the director "
        'reloads.\nFor a permanent setting, please set the value of the "Enabled"\n'
        "directive in the relevant configuration resource file.\n"
    )
    return True


@command("enable", help="Enable a job/client/schedule", usage=EN_DISABLE_USAGE,
         api='{"enable": {"jobs"|"clients"|"schedules": [<name>]}}')  # fmt: skip
async def enable(s: CommandSession, args: Args) -> bool:
    return await _switch(s, args, True)


@command("disable", help="Disable a job/client/schedule", usage=EN_DISABLE_USAGE,
         api='{"disable": {"jobs"|"clients"|"schedules": [<name>]}}')  # fmt: skip
async def disable(s: CommandSession, args: Args) -> bool:
    return await _switch(s, args, False)


@command("time", help="Print current time", usage="",
         api='{"time": {"full", "year", "month", "day", "hour", "minute", "second"}}')  # fmt: skip
async def time_cmd(s: CommandSession, args: Args) -> bool:
    now = time.localtime()
    full = time.strftime("%a %d-%b-%Y %H:%M:%S", now)
    await s.out.text(full + "\n")
    s.out.set("time", {"full": full, **{k: time.strftime(f, now) for k, f in (
        ("year", "%Y"), ("month", "%m"), ("day", "%d"), ("hour", "%H"), ("minute", "%M"),
        ("second", "%S"))}})  # fmt: skip
    return True


async def _names(s: CommandSession, args: Args, rtype: str, acl: str, group: str, *,
                 with_enabled: bool, type_arg: bool = False) -> bool:  # fmt: skip
    want_enabled, want_disabled = args.has("enabled"), args.has("disabled")
    wanted_type = (args.value("type") or "") if type_arg else ""
    items = []
    for res in s.rt.cfg.all(rtype):
        if not s.allowed(acl, res.name):
            continue
        if wanted_type:
            if rtype == "job" and job_type_of(res) != wanted_type[:1]:
                continue
            if rtype == "pool" and not str(res.get("PoolType") or "Backup").lower().startswith(
                wanted_type.lower()
            ):
                continue
        entry: dict[str, object] = {"name": res.name}
        if with_enabled:
            enabled = s.rt.is_enabled(rtype, res)
            if (want_enabled and not enabled) or (want_disabled and enabled):
                continue
            entry["enabled"] = enabled
        await s.out.text(f"{res.name}\n")
        items.append(entry)
    s.out.set(group, items)
    return True


@command(".jobs", help="list the Job names", usage="[type=<jobtype>] [enabled | disabled]",
         api='{"jobs": [{"name", "enabled"}, ...]}')  # fmt: skip
async def dot_jobs(s: CommandSession, args: Args) -> bool:
    return await _names(s, args, "job", "job", "jobs", with_enabled=True, type_arg=True)


@command(".jobdefs", help="list the JobDefs names", usage="", api='{"jobdefs": [{"name"}, ...]}')
async def dot_jobdefs(s: CommandSession, args: Args) -> bool:
    return await _names(s, args, "jobdefs", "job", "jobdefs", with_enabled=False)


@command(".pools", help="list the Pool names", usage="[type=<pooltype>]",
         api='{"pools": [{"name"}, ...]}')  # fmt: skip
async def dot_pools(s: CommandSession, args: Args) -> bool:
    return await _names(s, args, "pool", "pool", "pools", with_enabled=False, type_arg=True)


@command(".filesets", help="list the FileSet names", usage="", api='{"filesets": [{"name"}, ...]}')
async def dot_filesets(s: CommandSession, args: Args) -> bool:
    return await _names(s, args, "fileset", "fileset", "filesets", with_enabled=False)


@command(".schedule", help="list the Schedule names", usage="[enabled | disabled]",
         api='{"schedules": [{"name", "enabled"}, ...]}')  # fmt: skip
async def dot_schedule(s: CommandSession, args: Args) -> bool:
    return await _names(s, args, "schedule", "schedule", "schedules", with_enabled=True)
