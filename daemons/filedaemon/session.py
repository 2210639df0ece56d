"""A Director (or tray monitor) command session on the File daemon: the loop and its end.

The command table is Bareos's, matched by prefix; its handlers register themselves in
:mod:`daemons.filedaemon.control_commands` (``status``, ``.status``, ``cancel``,
``setdebug=``, ``resolve``, ``getSecureEraseCmd``) and :mod:`daemons.filedaemon.job_commands`
(``JobId=``, ``level = ``, ``fileset``, ``storage ``, ``backup``, ``restore `` ...), and the
daemon holds the table.  An unknown command ends the session like a real FD does; a
session that ran a job ends with ``2800 End Job``.
"""

from __future__ import annotations

from collections.abc import Coroutine
from typing import Any

import trio

from bareosnet.net.stream import BareosStream
from bareosnet.proto.framing import Frame
from daemons.common import control
from daemons.common.commands import CommandTable, SessionEnd
from daemons.common.idle_parking import Parked
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
    parkable: bool = False,
) -> Parked | None:
    """Run the command loop, then say BNET_TERMINATE and close, as the FD does.

    ``parkable`` (accepted connections): a session without a job that stays
    idle may park (:mod:`daemons.common.idle_parking`); the returned
    :class:`Parked` goes on later, in a new task, where this one stopped.
    """
    session = DirectorSession(daemon, stream, director, monitor)
    token = daemon.connection_opened(director)
    return await _serve(_SessionState(session, token, table or daemon.commands, parkable), first)


class _SessionState(Parked):
    """What a session carries from one task to the next while it parks."""

    __slots__ = ("commands", "deadline", "fd", "parkable", "session", "table", "token")

    def __init__(self, session: DirectorSession, token: int,
                 table: CommandTable[DirectorSession], parkable: bool) -> None:  # fmt: skip
        self.session, self.token, self.table, self.parkable = session, token, table, parkable
        self.commands = 0
        self.deadline: float = 0.0  # set when it parks (the idle deadline it carries on with)
        self.fd = -1

    def may_park(self) -> bool:
        return self.session.job is None  # a job's session keeps its task

    def resume(self) -> Coroutine[Any, Any, Parked | None]:
        return _serve(self, None, self.deadline)

    def abandon(self) -> None:
        self.session.daemon.connection_closed(self.token)


async def _serve(
    state: _SessionState, first: Frame | None, deadline: float | None = None
) -> Parked | None:
    session = state.session
    daemon, stream = session.daemon, session.stream
    finished = parked = False
    try:
        end = await control.run_session_loop(
            session,
            state.table,
            on_unknown=reject_unknown,
            on_monitor_denied=_monitor_denied,
            first=first,
            may_park=state.may_park if state.parkable else None,
            commands=state.commands,
            deadline=deadline,
        )
        if end.reason == "parked":
            assert end.deadline is not None
            fd = stream.idle_fileno()
            if fd is not None:
                state.commands, state.deadline, state.fd = end.commands, end.deadline, fd
                parked = finished = True
                daemon.log.debug("session.parked", director=session.director, commands=end.commands)
                return state
            end = SessionEnd("idle-timeout", end.commands, "could not park")  # pragma: no cover
        if end.reason == "peer-closed" and session.job is not None:
            session.job.director_gone = True  # the Director vanished between commands
            session.job.cancel("the Director connection was lost")
        await end_of_session(session)  # 2800 End Job for a job session
        finished = True
    finally:
        if not parked:
            daemon.connection_closed(state.token)
        if not finished:  # cancelled or crashed: no goodbye, just close
            if session.job is not None and not session.job.finished:
                with trio.CancelScope(shield=True), trio.move_on_after(5):
                    session.job.director_gone = True
                    await end_of_session(session)
            await trio.aclose_forcefully(stream.stream)
    await control.close_session(session, end)
    return None
