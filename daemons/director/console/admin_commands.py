"""Console commands on the running configuration: enable, disable, time (ua_cmds.cc
DoEnDisableCmd, time_cmd).  The dot lists (``.jobs``, ``.schedule``...) that show the
switched state are in :mod:`.webui_commands`.

``enable``/``disable`` change a Job, Client or Schedule until the next reload, as in
Bareos (:meth:`DirectorRuntime.is_enabled`); the answer is
``{"enable": {"jobs": ["<name>"]}}`` plus Bareos's warning that the change is temporary.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from daemons.director.console.args import Args
from daemons.director.console.registry import command

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
