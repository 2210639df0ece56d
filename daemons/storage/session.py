"""A Director (or tray monitor) command session on the Storage daemon.

The control-session commands are answered here (``status``, ``.status``,
``cancel``, ``setdebug=``, ``resolve``, ``getSecureEraseCmd``); the job
commands (``JobId=``, ``use storage=``, ``bootstrap``, ``pluginoptions``,
``passive``, ``replicate``, ``run``, ``listen``) live in
:mod:`daemons.storage.dir_jobs`.  An unknown command is answered ``3900 Invalid
command: <cmd>`` and ends the session, as in Bareos.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import attrs
import structlog
import trio

from bareosnet.net.stream import BareosStream
from bareosnet.proto.framing import Frame
from daemons.common import control
from daemons.common.commands import CommandEntry, CommandTable, scan_ints, send_lines
from daemons.storage import dir_jobs
from daemons.storage import status as sdstatus

if TYPE_CHECKING:
    from daemons.storage.daemon import StorageDaemon
    from daemons.storage.dirlink import DirectorLink
    from daemons.storage.sdjob import SdJob

log = structlog.get_logger("bareos.sd")

MONITOR_DENIED = "3997 Invalid command for a Director with Monitor directive enabled.\n"


@attrs.define
class DirectorSession(control.ControlSession["StorageDaemon"]):
    job: SdJob | None = None  # the job announced on this session (``JobId=``)
    link: DirectorLink | None = None  # job messages / catalog requests to this Director


async def status_cmd(s: DirectorSession, text: str) -> bool:
    names = sdstatus.parse_device_names(text)
    await control.send_status(s, sdstatus.status_lines(s.daemon.status_view(), names))
    log.info("status.sent", director=s.director, devices=names)
    return True


async def dot_status_cmd(s: DirectorSession, text: str) -> bool:
    return await control.send_dot_status(s, sdstatus.dot_status(s.daemon.status_view(), text))


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


async def secure_erase_cmd(s: DirectorSession, text: str) -> bool:
    setting = s.daemon.secure_erase or "*None*"
    await send_lines(s.stream, [f"2000 OK SDSecureEraseCmd {setting} \n"])
    return True


# In Bareos's order (``stored/dir_cmd.cc``); the first prefix that matches wins.
COMMANDS: CommandTable[DirectorSession] = CommandTable(
    (
        CommandEntry("bootstrap", dir_jobs.bootstrap_cmd),
        CommandEntry("cancel", cancel_cmd),
        CommandEntry("JobId=", dir_jobs.job_cmd),
        CommandEntry("listen", dir_jobs.listen_cmd),
        CommandEntry("passive", dir_jobs.passive_cmd),
        CommandEntry("pluginoptions", dir_jobs.pluginoptions_cmd),
        CommandEntry("resolve", control.resolve_cmd),
        CommandEntry("replicate", dir_jobs.replicate_cmd),
        CommandEntry("run", dir_jobs.run_cmd),
        CommandEntry("getSecureEraseCmd", secure_erase_cmd),
        CommandEntry("setdebug=", setdebug_cmd),
        CommandEntry("status", status_cmd, monitor_access=True),
        CommandEntry(".status", dot_status_cmd, monitor_access=True),
        CommandEntry("use storage=", dir_jobs.use_cmd),
    )
)


async def _unknown(s: DirectorSession, text: str) -> None:
    await send_lines(s.stream, [f"3900 Invalid command: {text}\n"])


async def _monitor_denied(s: DirectorSession, text: str) -> None:
    # The SD answers the refusal, then also falls through to its "not found" reply.
    await s.answer(MONITOR_DENIED)
    await _unknown(s, text)


async def serve_session(
    daemon: StorageDaemon,
    stream: BareosStream,
    *,
    director: str,
    monitor: bool,
    first: Frame | None = None,
) -> None:
    session = DirectorSession(daemon, stream, director, monitor)
    finished = False
    try:
        end = await control.run_session_loop(
            session,
            daemon.commands,
            on_unknown=_unknown,
            on_monitor_denied=_monitor_denied,
            first=first,
        )
        finished = True
    finally:
        await dir_jobs.session_ended(session)
        if not finished:  # cancelled or crashed: no goodbye, just close
            await trio.aclose_forcefully(stream.stream)
    await control.close_session(session, end)
