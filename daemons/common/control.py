"""The Director (or tray monitor) control session of the File and Storage daemons.

Both daemons run the same session around their own command tables: the
state of one authenticated control connection, the command loop under the
daemon's idle timeout, the framing of ``status`` and ``.status`` replies,
``resolve``, the ``cancel Job=`` syntax, and the end (log why, then
``BNET_TERMINATE`` and close).  Reply codes differ per daemon (``2xxx`` on
the File daemon, ``3xxx`` on the Storage daemon) and stay in their modules.
"""

from __future__ import annotations

import re
import time
from collections.abc import Awaitable, Callable, Coroutine, Iterable
from typing import Any, Protocol

import attrs

from bareosnet.net.stream import BareosStream
from bareosnet.proto.framing import Frame, encode_packet, encode_signal
from bareosnet.proto.signals import Signal
from daemons.common.commands import (
    CommandTable,
    DotStatus,
    RecentJobs,
    SessionEnd,
    resolve_reply,
    run_command_loop,
    send_lines,
    send_status_lines,
    status_packet,
)
from daemons.common.daemon_base import DaemonOptions


class ControlDaemon(Protocol):
    """What the shared control session asks of its daemon (each daemon's interfaces extend it)."""

    @property
    def name(self) -> str: ...

    @property
    def options(self) -> DaemonOptions: ...

    @property
    def log(self) -> Any: ...  # the daemon's structlog logger


class ListeningDaemonView(ControlDaemon, Protocol):
    """What the File and Storage daemons' handlers both see of ``ListeningDaemon``.

    Each daemon's ``interfaces`` module extends it with its own state and
    narrows ``options`` to its own options class.
    """

    config: Any  # the configuration snapshot (swapped whole on reload)
    recent: RecentJobs  # terminated jobs, for status

    @property
    def own(self) -> Any: ...

    @property
    def working_directory(self) -> str: ...

    @property
    def secure_erase(self) -> str | None: ...

    def set_debug(self, level: int, trace: int) -> None: ...


@attrs.define
class ControlSession[D: ControlDaemon]:
    """One authenticated control connection (accepted, or client initiated)."""

    daemon: D
    stream: BareosStream
    director: str  # Director resource name (or tray monitor name)
    monitor: bool = False
    since: float = attrs.field(factory=time.time)

    async def eod(self) -> None:
        await self.stream.send_signal(Signal.EOD)

    async def answer(self, *lines: str) -> None:
        """Plain reply lines closed by EOD, as most control commands answer."""
        await send_lines(self.stream, lines)
        await self.eod()


type Reaction[S] = Callable[[S, str], Awaitable[None]]


def run_session_loop[S: ControlSession[Any]](
    s: S,
    table: CommandTable[S],
    *,
    on_unknown: Reaction[S],
    on_monitor_denied: Reaction[S],
    first: Frame | None = None,
    may_park: Callable[[], bool] | None = None,
    commands: int = 0,
    deadline: float | None = None,
) -> Coroutine[Any, Any, SessionEnd]:
    """The command loop on ``s`` with its daemon's idle timeout and its monitor flag.

    Returns the loop's coroutine itself (await it): no frame of its own stays
    on the stack of every idle session.
    """
    return run_command_loop(
        s.stream,
        table,
        s,
        idle_timeout=s.daemon.options.idle_timeout,
        monitor=s.monitor,
        on_unknown=on_unknown,
        on_monitor_denied=on_monitor_denied,
        first=first,
        may_park=may_park,
        commands=commands,
        deadline=deadline,
    )


async def close_session(s: ControlSession[Any], end: SessionEnd) -> None:
    """Log why the session ended, then say BNET_TERMINATE and close, as both daemons do."""
    log = s.daemon.log
    if end.reason == "idle-timeout":
        log.warning("session.idle_timeout", director=s.director, detail=end.detail)
    log.info(
        "session.ended",
        director=s.director,
        reason=end.reason,
        commands=end.commands,
        detail=end.detail,
        seconds=round(time.time() - s.since, 3),
    )
    await s.stream.aclose(terminate=True)


# ---------------------------------------------------------------- replies both daemons give


async def send_status(s: ControlSession[Any], lines: Iterable[str]) -> None:
    """``status``: a lone newline packet, the status packets, then EOD.

    All in one write: the same packets, one TLS record and one send instead of
    three (a Director asking a thousand File daemons pays for each).
    """
    data = encode_packet(b"\n") + b"".join(status_packet(line) for line in lines)
    await s.stream.send_raw(data + encode_signal(Signal.EOD))


async def send_dot_status(s: ControlSession[Any], result: DotStatus) -> bool:
    """A ``.status`` answer in its framing, then EOD; True when the session goes on."""
    if result.status_packets:
        await send_status_lines(s.stream, result.lines)
    else:
        await send_lines(s.stream, result.lines)
    await s.eod()
    return result.ok


async def resolve_cmd(s: ControlSession[Any], text: str) -> bool:
    await s.answer(await resolve_reply(s.daemon.name, text))
    return True


_CANCEL = re.compile(r"^cancel\s*Job=(\S{0,127})")


def cancel_job_name(text: str) -> str | None:
    """The job of ``cancel Job=<name>`` (None: the command does not scan)."""
    m = _CANCEL.match(text)
    return None if m is None else m.group(1)
