"""What the File daemon's sessions and command handlers may ask of the daemon, and get.

Handler modules (``control_commands``, ``job_commands``, ``client_initiated``) import this
module and the job modules below it, never ``session`` or ``daemon``: the daemon module
composes them.  A handler is ``async def h(s: DirectorSession, text: str) -> bool`` ("go
on?"), registered with ``@fd_command("prefix")`` beside its code; the daemon builds its table
from :data:`FD_COMMANDS` once every handler module is imported.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Protocol

import attrs

from bareosnet.proto.framing import Frame, SignalFrame
from daemons.common import control
from daemons.common.command_registry import CommandRegistry
from daemons.common.commands import CommandTable, command_text, send_lines
from daemons.common.daemon_base import DaemonOptions
from daemons.filedaemon.job_state import FdJob, Messenger
from daemons.filedaemon.jobs import JobRegistry
from daemons.filedaemon.status import FdStatusView

DEFAULT_FAILURE_DELAY = 6.0  # the FD sleeps 6 s after a refused Director
INVALID_COMMAND = "2999 Invalid command\n"


@attrs.frozen
class FdOptions(DaemonOptions):
    failure_delay: float = DEFAULT_FAILURE_DELAY
    reconnect_initial: float = 1.0
    reconnect_max: float = 60.0
    sd_wait_timeout: float = 60.0  # passive client: wait this long for the SD to connect
    sd_reply_timeout: float = 300.0  # every wait for a Storage daemon reply in a job


class FdDaemon(control.ListeningDaemonView, Protocol):
    """The File daemon as its sessions and handlers see it (``FileDaemon`` implements it)."""

    jobs: JobRegistry  # session keys, live jobs, passive SD links
    job_objects: dict[str, Any]  # unique job name -> FdJob (setbandwidth=)
    commands: CommandTable[DirectorSession]

    @property
    def options(self) -> FdOptions: ...

    def bandwidth_limit(self, director: str) -> int: ...

    def status_view(self) -> FdStatusView: ...

    # --workers N: what may live in another worker process (alone: this one)
    async def group_status_view(self) -> FdStatusView: ...

    async def cancel_job(self, job: str) -> bool: ...

    async def set_job_bandwidth(self, job: str, bandwidth: int) -> bool: ...

    async def jobs_settled(self) -> None: ...

    async def serve_storage_job(self, stream: Any, job: str, info: Any = None) -> None: ...

    def set_debug_here(self, level: int, trace: int) -> None: ...

    def connection_opened(self, director: str) -> int: ...

    def connection_closed(self, token: int) -> None: ...

    def spawn(self, fn: Callable[..., Awaitable[Any]], *args: Any, **kwargs: Any) -> None: ...


@attrs.define
class DirectorSession(control.ControlSession[FdDaemon]):
    """A File daemon control session: what every command handler gets.

    A session that received ``JobId=`` carries its job (:class:`FdJob`);
    every packet the job code sends to the Director goes through ``msgs``.
    """

    job: FdJob | None = None
    pending: Frame | None = None  # a command read while data moved
    # Made when a job first sends: most sessions (status, probes, idle fleet
    # connections) never do, and its lock costs ~0.4 KiB per held connection.
    _msgs: Messenger | None = attrs.field(default=None, init=False, repr=False)

    @property
    def msgs(self) -> Messenger:
        if self._msgs is None:
            self._msgs = Messenger(self.stream, self.daemon.name)
        return self._msgs

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
            await reject_unknown(self, text)
            return False
        self.daemon.log.info("command.received", command=entry.word)
        return await entry.handler(self, text)


async def reject_unknown(s: DirectorSession, text: str) -> None:
    """An unknown command: ``2999 Invalid command`` (the session then ends)."""
    await send_lines(s.stream, [INVALID_COMMAND])


# The Director's commands to the File daemon (filed/dir_cmd.cc), filled by @fd_command.
FD_COMMANDS: CommandRegistry[DirectorSession] = CommandRegistry("File daemon")
fd_command = FD_COMMANDS.command

__all__ = [
    "DEFAULT_FAILURE_DELAY",
    "FD_COMMANDS",
    "INVALID_COMMAND",
    "DirectorSession",
    "FdDaemon",
    "FdOptions",
    "fd_command",
    "reject_unknown",
]
