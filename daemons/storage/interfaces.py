"""What the Storage daemon's sessions, command handlers and job code may ask of the daemon.

Handler modules (``control_commands``, ``dir_jobs``) and the job code below them (``runjob``,
``datasession``, ``append``, ``readback``) import this module and the value modules below it,
never ``session`` or ``daemon``: the daemon module composes them.  A Director command handler
is ``async def h(s: DirectorSession, text: str) -> bool`` ("go on?"), registered with
``@sd_command("prefix")`` beside its code; the daemon builds its table from
:data:`SD_COMMANDS` once every handler module is imported.
"""

from __future__ import annotations

from typing import Protocol

import attrs

from daemons.common import control
from daemons.common.command_registry import CommandRegistry
from daemons.common.commands import CommandTable
from daemons.common.daemon_base import DaemonOptions
from daemons.storage.devices import DeviceUse, VolumeTable
from daemons.storage.dirlink import DirectorLink
from daemons.storage.jobs import JobAuthorization, JobRegistry
from daemons.storage.sdjob import SdJob
from daemons.storage.status import SdStatusView


@attrs.frozen
class SdOptions(DaemonOptions):
    # Overrides the Storage resource's Client Connect Wait (None: use the config).
    client_connect_wait: float | None = None
    catalog_timeout: float = 1800.0  # wait this long for the Director's catalog answers


class SdDaemon(control.ListeningDaemonView, Protocol):
    """The Storage daemon as its sessions and jobs see it (``StorageDaemon`` implements it)."""

    jobs: JobRegistry  # session keys and running jobs
    active_jobs: dict[str, SdJob]  # announced by a Director and not yet ended
    volumes: VolumeTable  # volumes open for appending
    vol_session_time: int
    commands: CommandTable[DirectorSession]

    @property
    def options(self) -> SdOptions: ...

    @property
    def catalog_timeout(self) -> float: ...

    def status_view(self) -> SdStatusView: ...

    def new_vol_session_id(self) -> int: ...

    def client_connect_wait(self) -> float: ...

    def add_job(self, job: SdJob, auth: JobAuthorization) -> None: ...

    def publish(self, job: SdJob) -> None: ...

    def device_in_use(self, use: DeviceUse, busy: bool) -> None: ...

    def drop_job(self, job: SdJob) -> None: ...

    def end_job(self, job: SdJob) -> None: ...


@attrs.define
class DirectorSession(control.ControlSession[SdDaemon]):
    """A Storage daemon control session: what every Director command handler gets."""

    job: SdJob | None = None  # the job announced on this session (``JobId=``)
    link: DirectorLink | None = None  # job messages / catalog requests to this Director


# The Director's commands to the Storage daemon (stored/dir_cmd.cc), filled by @sd_command.
SD_COMMANDS: CommandRegistry[DirectorSession] = CommandRegistry("Storage daemon")
sd_command = SD_COMMANDS.command

__all__ = ["SD_COMMANDS", "DirectorSession", "SdDaemon", "SdOptions", "sd_command"]
