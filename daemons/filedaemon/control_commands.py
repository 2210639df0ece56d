"""The File daemon's control commands: ``status``, ``.status``, ``cancel``, ``setdebug=``,
``resolve``, ``getSecureEraseCmd`` (the job commands are in :mod:`job_commands`).

Only ``status`` and ``.status`` are open to a Director resource with ``Monitor = yes``.
"""

from __future__ import annotations

import structlog

from daemons.common import control
from daemons.common.commands import scan_ints, send_lines
from daemons.filedaemon import status as fdstatus
from daemons.filedaemon.interfaces import DirectorSession, fd_command

log = structlog.get_logger("bareos.fd")

fd_command("resolve ")(control.resolve_cmd)


@fd_command("status", monitor_access=True)
async def status_cmd(s: DirectorSession, text: str) -> bool:
    await control.send_status(s, fdstatus.status_lines(await s.daemon.group_status_view()))
    log.info("status.sent", director=s.director)
    return True


@fd_command(".status", monitor_access=True)
async def dot_status_cmd(s: DirectorSession, text: str) -> bool:
    view = await s.daemon.group_status_view()
    return await control.send_dot_status(s, fdstatus.dot_status(view, text))


@fd_command("cancel")
async def cancel_cmd(s: DirectorSession, text: str) -> bool:
    job = control.cancel_job_name(text)
    if job is None:
        reply = "2902 Error scanning cancel command.\n"
    elif await s.daemon.cancel_job(job):
        reply = f"2001 Job {job} marked to be canceled.\n"
    else:
        reply = f"2901 Job {job} not found.\n"
    await s.answer(reply)
    return True


@fd_command("setdebug=")
async def setdebug_cmd(s: DirectorSession, text: str) -> bool:
    tracefile = f"{s.daemon.working_directory}/{s.daemon.name}.trace"
    v2 = scan_ints(text, ["setdebug", "trace", "hangup", "timestamp"])
    v1 = None if v2 else scan_ints(text, ["setdebug", "trace", "hangup"])
    v0 = None if (v2 or v1) else scan_ints(text, ["setdebug", "trace"])
    if v2 is not None:
        level, trace, hangup, stamp = v2
        s.daemon.set_debug(level, trace)
        reply = (
            f"2000 OK setdebug={level} trace={trace} hangup={hangup} timestamp={stamp} "
            f"tracefile={tracefile}\n"
        )
    elif v1 is not None or v0 is not None:
        vals = v1 if v1 is not None else [*v0, -1]  # type: ignore[misc]
        level, trace, hangup = vals
        s.daemon.set_debug(level, trace)
        reply = f"2000 OK setdebug={level} trace={trace} hangup={hangup} tracefile={tracefile}\n"
    else:
        await send_lines(s.stream, [f"2991 Bad setdebug command: {text}\n"])
        return False
    await send_lines(s.stream, [reply])
    return True


@fd_command("getSecureEraseCmd")
async def secure_erase_cmd(s: DirectorSession, text: str) -> bool:
    setting = s.daemon.secure_erase or "*None*"
    await send_lines(s.stream, [f"2000 OK FDSecureEraseCmd {setting}\n"])
    return True
