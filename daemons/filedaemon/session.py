"""A Director (or tray monitor) command session on the File daemon.

The command table is Bareos's, matched by prefix in the same order; this
module answers the commands a control session uses (``status``,
``.status``, ``cancel``, ``setdebug=``, ``resolve``, ``getSecureEraseCmd``)
and takes the job commands (``JobId=``, ``level = ``, ``fileset``,
``storage ``, ``backup``, ``restore `` ...) from
:mod:`daemons.filedaemon.job_commands`.  An unknown command ends the session
like a real FD does; a session that ran a job ends with ``2800 End Job``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import attrs
import structlog
import trio

from bareosnet.net.stream import BareosStream
from bareosnet.proto.framing import Frame, SignalFrame
from daemons.common import control
from daemons.common.commands import CommandEntry, CommandTable, command_text, scan_ints, send_lines
from daemons.filedaemon import status as fdstatus
from daemons.filedaemon.job_commands import JOB_COMMANDS, end_of_session
from daemons.filedaemon.job_state import FdJob, Messenger

if TYPE_CHECKING:
    from daemons.filedaemon.daemon import FileDaemon

log = structlog.get_logger("bareos.fd")

INVALID_COMMAND = "2999 Invalid command\n"
MONITOR_DENIED = "2997 Invalid command for a Director with Monitor directive enabled.\n"


@attrs.define
class DirectorSession(control.ControlSession["FileDaemon"]):
    """A File daemon control session.

    A session that received ``JobId=`` carries its job (:class:`FdJob`);
    every packet the job code sends to the Director goes through ``msgs``.
    """

    job: FdJob | None = None
    msgs: Messenger = attrs.field(default=None)
    pending: Frame | None = None  # a command read while data moved

    def __attrs_post_init__(self) -> None:
        if self.msgs is None:
            self.msgs = Messenger(self.stream, self.daemon.name)

    async def dispatch_pending(self) -> bool:
        """Handle a command that arrived during the data phase (True: go on)."""
        frame, self.pending = self.pending, None
        if frame is None:
            return True
        if isinstance(frame, SignalFrame):
            return False
        text = command_text(frame.payload)
        entry = self.daemon.commands.find(text)
        if entry is None:
            await _unknown(self, text)
            return False
        log.info("command.received", command=entry.word)
        return await entry.handler(self, text)


async def status_cmd(s: DirectorSession, text: str) -> bool:
    await control.send_status(s, fdstatus.status_lines(await s.daemon.group_status_view()))
    log.info("status.sent", director=s.director)
    return True


async def dot_status_cmd(s: DirectorSession, text: str) -> bool:
    view = await s.daemon.group_status_view()
    return await control.send_dot_status(s, fdstatus.dot_status(view, text))


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


async def secure_erase_cmd(s: DirectorSession, text: str) -> bool:
    setting = s.daemon.secure_erase or "*None*"
    await send_lines(s.stream, [f"2000 OK FDSecureEraseCmd {setting}\n"])
    return True


_CONTROL: tuple[CommandEntry[DirectorSession], ...] = (
    CommandEntry("cancel", cancel_cmd),
    CommandEntry("resolve ", control.resolve_cmd),
    CommandEntry("getSecureEraseCmd", secure_erase_cmd),
    CommandEntry("setdebug=", setdebug_cmd),
    CommandEntry("status", status_cmd, monitor_access=True),
    CommandEntry(".status", dot_status_cmd, monitor_access=True),
)
# Bareos's order (filed/dir_cmd.cc): first prefix match wins.
_ORDER = (
    "accurate", "backup", "bootstrap", "cancel", "endrestore", "estimate", "fileset",
    "JobId=", "level = ", "pluginoptions", "RunBeforeNow", "Run", "restoreobject",
    "restore ", "resolve ", "getSecureEraseCmd", "setauthorization", "setbandwidth=",
    "setdebug=", "status", ".status", "storage ",
)  # fmt: skip
_BY_PREFIX = {e.prefix: e for e in (*_CONTROL, *JOB_COMMANDS)}
COMMANDS: CommandTable[DirectorSession] = CommandTable(tuple(_BY_PREFIX[p] for p in _ORDER))


async def _unknown(s: DirectorSession, text: str) -> None:
    await send_lines(s.stream, [INVALID_COMMAND])


async def _monitor_denied(s: DirectorSession, text: str) -> None:
    await s.answer(MONITOR_DENIED)


async def serve_session(
    daemon: FileDaemon,
    stream: BareosStream,
    *,
    director: str,
    monitor: bool,
    first: Frame | None = None,
    table: CommandTable[DirectorSession] | None = None,
) -> None:
    """Run the command loop, then say BNET_TERMINATE and close, as the FD does."""
    session = DirectorSession(daemon, stream, director, monitor)
    token = daemon.connection_opened(director)
    finished = False
    try:
        end = await control.run_session_loop(
            session,
            table or daemon.commands,
            on_unknown=_unknown,
            on_monitor_denied=_monitor_denied,
            first=first,
        )
        if end.reason == "peer-closed" and session.job is not None:
            session.job.director_gone = True  # the Director vanished between commands
            session.job.cancel("the Director connection was lost")
        await end_of_session(session)  # 2800 End Job for a job session
        finished = True
    finally:
        daemon.connection_closed(token)
        if not finished:  # cancelled or crashed: no goodbye, just close
            if session.job is not None and not session.job.finished:
                with trio.CancelScope(shield=True), trio.move_on_after(5):
                    session.job.director_gone = True
                    await end_of_session(session)
            await trio.aclose_forcefully(stream.stream)
    await control.close_session(session, end)
