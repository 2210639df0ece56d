"""The Storage daemon's control commands: ``status``, ``.status``, ``cancel``, ``setdebug=``,
``resolve``, ``getSecureEraseCmd`` (the job commands are in :mod:`dir_jobs`).

Only ``status`` and ``.status`` are open to a Director resource with ``Monitor = yes``.
"""

from __future__ import annotations

import structlog

from daemons.common import control
from daemons.common.commands import scan_ints, send_lines
from daemons.storage import status as sdstatus
from daemons.storage.interfaces import DirectorSession, sd_command

log = structlog.get_logger("bareos.sd")

sd_command("resolve")(control.resolve_cmd)  # no blank after it on the SD


@sd_command("status", monitor_access=True)
async def status_cmd(s: DirectorSession, text: str) -> bool:
    names = sdstatus.parse_device_names(text)
    await control.send_status(s, sdstatus.status_lines(s.daemon.status_view(), names))
    log.info("status.sent", director=s.director, devices=names)
    return True


@sd_command(".status", monitor_access=True)
async def dot_status_cmd(s: DirectorSession, text: str) -> bool:
    return await control.send_dot_status(s, sdstatus.dot_status(s.daemon.status_view(), text))


@sd_command("cancel")
async def cancel_cmd(s: DirectorSession, text: str) -> bool:
    wanted = control.cancel_job_name(text)
    if wanted is None:
        reply = "3903 Error scanning cancel command.\n"
    elif (job := s.daemon.jobs.cancel(wanted)) is None:
        reply = f"3904 Job {wanted} not found.\n"
    else:
        reply = f'3000 JobId={job.job_id} Job="{job.job}" marked to be canceled.\n'
    await s.answer(reply)
    return True


@sd_command("setdebug=")
async def setdebug_cmd(s: DirectorSession, text: str) -> bool:
    tracefile = f"{s.daemon.working_directory}/{s.daemon.name}.trace"
    v1 = scan_ints(text, ["setdebug", "trace", "timestamp"])
    v0 = None if v1 else scan_ints(text, ["setdebug", "trace"])
    values = v1 or v0
    if values is None or values[0] < 0:
        await send_lines(s.stream, [f"3991 Bad setdebug command: {text}\n"])
        return False
    level, trace = values[0], values[1]
    s.daemon.set_debug(level, trace)
    if v1 is not None:
        reply = f"3000 OK setdebug={level} trace={trace} timestamp={v1[2]} tracefile={tracefile}\n"
    else:
        reply = f"3000 OK setdebug={level} tracefile={tracefile}\n"
    await send_lines(s.stream, [reply])
    return True


@sd_command("getSecureEraseCmd")
async def secure_erase_cmd(s: DirectorSession, text: str) -> bool:
    setting = s.daemon.secure_erase or "*None*"
    await send_lines(s.stream, [f"2000 OK SDSecureEraseCmd {setting} \n"])
    return True
