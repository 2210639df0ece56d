"""A Director (or tray monitor) command session on the File daemon: the loop and its end.

The command table is Bareos's, matched by prefix; its handlers register themselves in
:mod:`daemons.filedaemon.control_commands` (``status``, ``.status``, ``cancel``,
``setdebug=``, ``resolve``, ``getSecureEraseCmd``) and :mod:`daemons.filedaemon.job_commands`
(``JobId=``, ``level = ``, ``fileset``, ``storage ``, ``backup``, ``restore `` ...), and the
daemon holds the table.  An unknown command ends the session like a real FD does; a
session that ran a job ends with ``2800 End Job``.
"""

from __future__ import annotations

import trio

from bareosnet.net.stream import BareosStream
from bareosnet.proto.framing import Frame
from daemons.common import control
from daemons.common.commands import CommandTable
from daemons.filedaemon.interfaces import DirectorSession, FdDaemon, reject_unknown
from daemons.filedaemon.job_commands import end_of_session

MONITOR_DENIED = "2997 Invalid command for a Director with Monitor directive enabled.\n"


async def _monitor_denied(s: DirectorSession, text: str) -> None:
    await s.answer(MONITOR_DENIED)


async def serve_session(
    daemon: FdDaemon,
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
            on_unknown=reject_unknown,
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
