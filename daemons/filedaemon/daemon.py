"""The File daemon emulator: listener, handshake, sessions, client-initiated links.

One :class:`FileDaemon` lives for the whole process.  Its configuration is
an immutable snapshot swapped as a whole on SIGHUP (a connection keeps the
snapshot it started with), while run-time state — start time, debug level,
connected Directors, jobs — survives reloads.  The configuration views,
reload and accept path are :class:`daemons.common.daemon_base.ListeningDaemon`'s.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Awaitable, Callable
from typing import Any

import structlog
import trio

from bareosnet.errors import BareosError
from bareosnet.net.handshake import ConnectionInfo, Resolver
from bareosnet.net.stream import BareosStream
from daemons.common.commands import CommandTable
from daemons.common.daemon_base import ListeningDaemon
from daemons.common.idle_parking import Parked
from daemons.common.workers import WorkerInfo
from daemons.filedaemon import client_initiated, control_commands, job_commands, verify
from daemons.filedaemon.access import make_resolver
from daemons.filedaemon.interfaces import (
    DEFAULT_FAILURE_DELAY,
    FD_COMMANDS,
    DirectorSession,
    FdOptions,
)
from daemons.filedaemon.jobs import JobRegistry
from daemons.filedaemon.session import serve_session
from daemons.filedaemon.status import DirectorConnection, FdStatusView
from daemons.filedaemon.worker_state import FdWorkers

log = structlog.get_logger("bareos.fd")

# The handler modules register their commands when imported (above); the table is built once.
HANDLER_MODULES = (control_commands, job_commands, verify)
COMMANDS: CommandTable[DirectorSession] = FD_COMMANDS.table()


class FileDaemon(ListeningDaemon[FdOptions]):
    """The File daemon: implements :class:`daemons.filedaemon.interfaces.FdDaemon`."""

    daemon_name = "bareos-fd-emu"
    log = log

    def __init__(
        self,
        config: Any,
        options: FdOptions,
        *,
        loader: Callable[[], Any] | None = None,
        debug: int = 0,
    ) -> None:
        super().__init__(config, options, loader=loader, debug=debug)
        self.jobs: JobRegistry = JobRegistry()
        self.commands: CommandTable[DirectorSession] = COMMANDS
        self._connections: dict[int, DirectorConnection] = {}
        self.job_objects: dict[str, Any] = {}  # unique job name -> FdJob (setbandwidth=)
        self.bwlimit_override: int | None = None  # setbandwidth= without a job
        self._tokens = itertools.count(1)
        self._nursery: trio.Nursery | None = None
        self._ci_scope: trio.CancelScope | None = None
        self.workers: FdWorkers | None = None  # --workers N: the rest of the group

    def join_workers(self, info: WorkerInfo) -> None:
        super().join_workers(info)
        self.workers = FdWorkers(self, info)

    # -- config views
    def bandwidth_limit(self, director: str) -> int:
        """Bytes per second for a new job: Director resource, then Client (Bareos order)."""
        res = self.config.get("Director", director)
        per_dir = int(res.get("MaximumBandwidthPerJob") or 0) if res is not None else 0
        if per_dir:
            return per_dir
        if self.bwlimit_override is not None:
            return self.bwlimit_override
        return int(self.own.get("MaximumBandwidthPerJob") or 0)

    # -- run-time state
    def connection_opened(self, director: str) -> int:
        token = next(self._tokens)
        self._connections[token] = DirectorConnection(director, time.time())
        return token

    def connection_closed(self, token: int) -> None:
        self._connections.pop(token, None)

    async def group_status_view(self) -> FdStatusView:
        """What ``status`` shows: this process's state, or the whole group's (--workers)."""
        if self.workers is not None:
            return await self.workers.group_status_view()
        return self.status_view()

    async def cancel_job(self, job: str) -> bool:
        """Cancel a running job here or in the worker that runs it."""
        if self.jobs.cancel(job):
            return True
        return self.workers is not None and await self.workers.cancel(job)

    async def set_job_bandwidth(self, job: str, bandwidth: int) -> bool:
        """``setbandwidth Job=``: False if no worker runs the job."""
        target = self.job_objects.get(job)
        if target is not None:
            target.bwlimit = bandwidth
            return True
        return self.workers is not None and await self.workers.set_bandwidth(job, bandwidth)

    async def jobs_settled(self) -> None:
        """Until every worker knows the job keys handed to this one (no-op alone)."""
        if self.workers is not None:
            await self.workers.settled()

    def set_debug(self, level: int, trace: int) -> None:
        self.set_debug_here(level, trace)
        if self.workers is not None:
            self.workers.set_debug(level, trace)

    def set_debug_here(self, level: int, trace: int) -> None:
        super().set_debug(level, trace)

    def status_view(self) -> FdStatusView:
        return FdStatusView(
            name=self.name,
            persona=self.options.persona,
            started=self.started,
            debug=self.debug,
            trace=self.trace,
            bwlimit=int(self.own.get("MaximumBandwidthPerJob") or 0),
            jobs_run=self.jobs.jobs_run,
            secure_erase=self.secure_erase,
            connections=tuple(self._connections.values()),
            running=self.jobs.running(),
            terminated=tuple(self.recent),
        )

    def spawn(self, fn: Callable[..., Awaitable[Any]], *args: Any, **kwargs: Any) -> None:
        """Start a task in the daemon's nursery (sessions outlive the task that found them).

        A failure ends that task only, as for accepted connections.
        """
        assert self._nursery is not None, "spawn() before run_background()"

        async def guarded() -> None:
            try:
                await fn(*args, **kwargs)
            except BareosError as exc:
                log.warning("connection.ended", reason=str(exc), error=type(exc).__name__)
            except Exception:
                log.exception("connection.crashed")

        self._nursery.start_soon(guarded)

    # -- accepted connections
    def resolver(self, cfg: Any) -> Resolver:
        return make_resolver(cfg, self.jobs)

    async def serve_accepted(self, stream: BareosStream, info: ConnectionInfo) -> Parked | None:
        name = info.peer_name or "?"
        if info.connection in ("3", "10"):
            session = serve_session(self, stream, director=name,
                                    monitor=info.connection == "10", parkable=True)  # fmt: skip
            del info, stream  # the session outlives the handshake's values; keep them not
            return await session
        elif info.connection == "7":
            await self.serve_storage_job(stream, name, info)
        else:  # pragma: no cover - the resolver only plans rows 3, 7, 10
            await stream.aclose(terminate=True)
        return None

    async def serve_storage_job(self, stream: Any, job: str, info: Any = None) -> None:
        """Connection 7 (SD -> passive FD): hand the stream to the job and wait for it.

        The job's Director session drives the data session on this stream;
        this task only keeps the connection alive until the job releases it
        (the job closes it with BNET_TERMINATE at its end).
        """
        owner = self.jobs.owner(job)
        if owner is not None and self.workers is not None:
            await self.workers.relay_storage_job(stream, job, info, owner)
            return
        link = self.jobs.attach(job, stream, info)
        if link is None:
            await stream.aclose(terminate=True)
            return
        log.info("job.sd_attached", job=job, mode=getattr(info, "mode_text", None),
                 encryption=getattr(info, "encryption_text", None))  # fmt: skip
        try:
            await link.released.wait()
        finally:
            with trio.CancelScope(shield=True):
                await stream.aclose(terminate=True)

    # -- client-initiated connections (run while the daemon runs, restarted on reload)
    def reloaded(self) -> None:
        self._restart_client_initiated()

    async def run_background(self, nursery: trio.Nursery) -> None:
        self._nursery = nursery
        if self.workers is not None:
            await self.workers.run(nursery)
        self._restart_client_initiated()

    def _restart_client_initiated(self) -> None:
        if self._nursery is None:
            return
        if self.workers is not None and self.workers.info.index != 0:
            return  # worker 0 calls the Directors, or each would get one call per worker
        if self._ci_scope is not None:
            self._ci_scope.cancel()
        scope = trio.CancelScope()
        self._ci_scope = scope
        backoff = client_initiated.Backoff(
            self.options.reconnect_initial, self.options.reconnect_max
        )

        async def group() -> None:
            with scope:
                await client_initiated.run_all(self, backoff)

        self._nursery.start_soon(group)

    async def shutdown(self) -> None:
        if self._ci_scope is not None:
            self._ci_scope.cancel()
        await super().shutdown()


__all__ = ["COMMANDS", "DEFAULT_FAILURE_DELAY", "FdOptions", "FileDaemon"]
