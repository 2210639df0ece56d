"""The Storage daemon emulator: listener, handshake, Director sessions, job links.

The configuration is an immutable snapshot swapped whole on SIGHUP; the
run-time state (start time, debug level, jobs) survives reloads.  The
configuration views, reload and accept path are
:class:`daemons.common.daemon_base.ListeningDaemon`'s.
"""

from __future__ import annotations

from typing import Any

import attrs
import structlog

from bareosnet.net.handshake import ConnectionInfo, Resolver
from bareosnet.net.stream import BareosStream
from bareosnet.proto.framing import encode_signal
from bareosnet.proto.signals import Signal
from daemons.common.commands import CommandTable, JobResult
from daemons.common.daemon_base import ListeningDaemon
from daemons.storage import control_commands, dir_jobs, volume_commands
from daemons.storage.access import make_resolver
from daemons.storage.devices import DeviceUse, VolumeTable
from daemons.storage.interfaces import SD_COMMANDS, DirectorSession, SdOptions
from daemons.storage.jobs import JobAuthorization, JobRegistry
from daemons.storage.sdjob import SdJob
from daemons.storage.session import serve_session
from daemons.storage.status import SdStatusView, devices_from_config

log = structlog.get_logger("bareos.sd")

DEFAULT_CLIENT_CONNECT_WAIT = 1800  # Bareos: "Client Connect Wait", 0 means 1800 too

# The handler modules register their commands when imported (above); the table is built once.
HANDLER_MODULES = (control_commands, dir_jobs, volume_commands)
COMMANDS: CommandTable[DirectorSession] = SD_COMMANDS.table()


class StorageDaemon(ListeningDaemon[SdOptions]):
    """The Storage daemon: implements :class:`daemons.storage.interfaces.SdDaemon`."""

    daemon_name = "bareos-sd-emu"
    log = log
    limit_refusal = encode_signal(Signal.TERMINATE)  # the SD says so; the FD just closes

    def __init__(self, config: Any, options: SdOptions, *, loader: Any = None, debug: int = 0):
        super().__init__(config, options, loader=loader, debug=debug)
        self.jobs: JobRegistry = JobRegistry()
        self.commands: CommandTable[DirectorSession] = COMMANDS
        self.volume_lines: tuple[str, ...] = ()  # filled by the volume code
        # Jobs announced by a Director and not yet ended, by unique job name.
        self.active_jobs: dict[str, SdJob] = {}
        self.volumes = VolumeTable()
        self.devices_in_use: list[DeviceUse] = []
        self.vol_session_time = int(self.started)
        self._last_session_id = 0

    # -- jobs
    def new_vol_session_id(self) -> int:
        """Bareos ``NewVolSessionId``: 1, 2, ... since the daemon started."""
        self._last_session_id += 1
        return self._last_session_id

    @property
    def catalog_timeout(self) -> float:
        return self.options.catalog_timeout

    def client_connect_wait(self) -> float:
        if self.options.client_connect_wait is not None:
            return self.options.client_connect_wait
        return float(self.own.get("ClientConnectWait") or DEFAULT_CLIENT_CONNECT_WAIT)

    def add_job(self, job: SdJob, auth: JobAuthorization) -> None:
        self.active_jobs[job.job] = job
        self.jobs.authorize(auth)
        self.jobs.start(job.running_view())
        self.jobs.on_cancel(job.job, job.cancel)

    def publish(self, job: SdJob) -> None:
        """Refresh what ``status`` shows for a running job."""
        if job.job in self.active_jobs and not job.finished:
            self.jobs.update(job.running_view())

    def device_in_use(self, use: DeviceUse, busy: bool) -> None:
        if busy:
            self.devices_in_use.append(use)
        elif use in self.devices_in_use:
            self.devices_in_use.remove(use)

    def _forget(self, job: SdJob) -> None:
        job.finished = True
        job.data_released.set()
        if self.active_jobs.get(job.job) is job:
            del self.active_jobs[job.job]

    def drop_job(self, job: SdJob) -> None:
        """A job that never ran (its Director left, or replaced it): revoke its key."""
        if job.finished:
            return
        current = self.active_jobs.get(job.job) is job  # not a newer job of the same name
        self._forget(job)
        if current:
            self.jobs.forget(job.job)
        log.info("job.dropped", job=job.job, job_id=job.job_id)

    def end_job(self, job: SdJob) -> None:
        """The job ran and ended: revoke its key, list it under "Terminated Jobs"."""
        self._forget(job)
        self.jobs.finish(job.job)
        self.recent.add(JobResult(job_id=job.job_id, job=job.job, job_type=job.job_type,
                                  level=job.level, files=job.files, bytes=job.bytes,
                                  status=job.status, errors=job.errors))  # fmt: skip

    def status_view(self) -> SdStatusView:
        devices, changers = devices_from_config(self.config)
        in_use = {u.name: u for u in self.devices_in_use}
        devices = tuple(
            attrs.evolve(d, volume=in_use[d.name].volume, pool=in_use[d.name].pool)
            if d.name in in_use else d
            for d in devices
        )  # fmt: skip
        return SdStatusView(
            name=self.name,
            persona=self.options.persona,
            started=self.started,
            jobs_run=self.jobs.jobs_run,
            bwlimit=int(self.own.get("MaximumBandwidthPerJob") or 0),
            secure_erase=self.secure_erase,
            devices=devices,
            autochangers=changers,
            running=tuple(j.running_view() for j in self.active_jobs.values()),
            terminated=tuple(self.recent),
            volume_lines=self.volume_lines + self._volume_lines(),
        )

    def _volume_lines(self) -> tuple[str, ...]:
        out: list[str] = []
        for use in self.devices_in_use:
            readers = int(use.reading)
            out += [f"{use.volume} on device {use.print_name}\n",
                    f"    Reader={readers} writers={1 - readers} reserves=0 volinuse=1\n"]  # fmt: skip
        return tuple(out)

    # -- accepted connections
    def resolver(self, cfg: Any) -> Resolver:
        return make_resolver(cfg, self.jobs)

    async def serve_accepted(self, stream: BareosStream, info: ConnectionInfo) -> None:
        name = info.peer_name or "?"
        if info.connection in ("5", "11"):
            await serve_session(self, stream, director=name, monitor=info.connection == "11")
        else:
            self.jobs.mark_authenticated(name)
            await self.serve_job_connection(stream, info)

    async def serve_job_connection(self, stream: BareosStream, info: ConnectionInfo) -> None:
        """Connections 6 (File daemon) and 8 (replicating SD): hand the stream to the job.

        The job's ``run``/``listen`` drives the conversation on its Director
        session; this task only keeps the connection until the job is done.
        """
        job = self.active_jobs.get(info.peer_name or "")
        if job is None or job.finished or job.data_stream is not None:
            log.warning("job_connection.no_job", job=info.peer_name, connection=info.connection)
            await stream.aclose(terminate=True)
            return
        job.attach(stream, info, "SD" if info.connection == "8" else "FD")
        log.info("job_connection.ready", job=job.job, job_id=job.job_id,
                 connection=info.connection, encryption=info.encryption_text)  # fmt: skip
        await job.data_released.wait()


__all__ = ["COMMANDS", "DEFAULT_CLIENT_CONNECT_WAIT", "SdOptions", "StorageDaemon"]
