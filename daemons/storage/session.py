"""A Director (or tray monitor) command session on the Storage daemon: the loop and its end.

The command table is Bareos's, matched by prefix; its handlers register themselves in
:mod:`daemons.storage.control_commands` (``status``, ``.status``, ``cancel``, ``setdebug=``,
``resolve``, ``getSecureEraseCmd``) and :mod:`daemons.storage.dir_jobs` (``JobId=``, ``use
storage=``, ``bootstrap``, ``pluginoptions``, ``passive``, ``replicate``, ``run``,
``listen``), and the daemon holds the table.  An unknown command is answered ``3900 Invalid
command: <cmd>`` and ends the session, as in Bareos.
"""

from __future__ import annotations

import trio

from bareosnet.net.stream import BareosStream
from bareosnet.proto.framing import Frame
from daemons.common import control
from daemons.common.commands import send_lines
from daemons.storage import dir_jobs
from daemons.storage.interfaces import DirectorSession, SdDaemon

MONITOR_DENIED = "3997 Invalid command for a Director with Monitor directive enabled.\n"


async def _unknown(s: DirectorSession, text: str) -> None:
    await send_lines(s.stream, [f"3900 Invalid command: {text}\n"])


async def _monitor_denied(s: DirectorSession, text: str) -> None:
    # The SD answers the refusal, then also falls through to its "not found" reply.
    await s.answer(MONITOR_DENIED)
    await _unknown(s, text)


async def serve_session(
    daemon: SdDaemon,
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
