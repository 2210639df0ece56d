"""The File daemon emulator: listener, handshake, sessions, client-initiated links.

One :class:`FileDaemon` lives for the whole process.  Its configuration is
an immutable snapshot swapped as a whole on SIGHUP (a connection keeps the
snapshot it started with), while run-time state — start time, debug level,
connected Directors, jobs — survives reloads.
"""

from __future__ import annotations

import itertools
import socket
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import attrs
import structlog
import trio

from bareosnet.errors import BareosError, ConfigError
from bareosnet.net.handshake import AcceptorSettings, accept
from bareosnet.proto.hello import Persona
from daemons.common.auth import acceptor_settings
from daemons.common.commands import CommandTable, RecentJobs
from daemons.filedaemon import client_initiated
from daemons.filedaemon.access import key_table, make_resolver
from daemons.filedaemon.jobs import JobRegistry
from daemons.filedaemon.session import COMMANDS, DirectorSession, serve_session
from daemons.filedaemon.status import DirectorConnection, FdStatusView

log = structlog.get_logger("bareos.fd")

DEFAULT_FAILURE_DELAY = 6.0  # the FD sleeps 6 s after a refused Director
DEFAULT_IDLE_TIMEOUT = 1800.0


@attrs.frozen
class FdOptions:
    persona: Persona = Persona.V26
    failure_delay: float = DEFAULT_FAILURE_DELAY
    idle_timeout: float = DEFAULT_IDLE_TIMEOUT  # seconds without a command; 0 = never
    handshake_timeout: float = 60.0  # every receive during the handshake
    peek_timeout: float = 10.0  # for the first bytes (TLS or cleartext?)
    reconnect_initial: float = 1.0
    reconnect_max: float = 60.0
    sd_wait_timeout: float = 60.0  # passive client: wait this long for the SD to connect
    sd_reply_timeout: float = 300.0  # every wait for a Storage daemon reply in a job


def check_config(cfg: Any) -> None:
    """What the FD needs beyond what the loader checks: its own Client resource."""
    cfg.own()  # raises ConfigError if there is no Client resource
    if not cfg.all("Director"):
        own = cfg.own()
        raise ConfigError("no Director resource defined: nobody could connect", own.file, own.line)


def _port(value: int | str) -> int:
    """A configured port: a number, or a service name looked up like Bareos does."""
    if isinstance(value, int):
        return value
    return int(value) if value.isdigit() else socket.getservbyname(value, "tcp")


class FileDaemon:
    daemon_name = "bareos-fd-emu"

    def __init__(
        self,
        config: Any,
        options: FdOptions,
        *,
        loader: Callable[[], Any] | None = None,
        debug: int = 0,
    ) -> None:
        check_config(config)
        self.config = config
        self.options = options
        self._loader = loader
        self.started = time.time()
        self.debug = debug
        self.trace = 0
        self.jobs = JobRegistry()
        self.recent = RecentJobs()
        self.commands: CommandTable[DirectorSession] = COMMANDS
        self._connections: dict[int, DirectorConnection] = {}
        self.job_objects: dict[str, Any] = {}  # unique job name -> FdJob (setbandwidth=)
        self.bwlimit_override: int | None = None  # setbandwidth= without a job
        self._tokens = itertools.count(1)
        self._nursery: trio.Nursery | None = None
        self._ci_scope: trio.CancelScope | None = None

    # -- config views
    @property
    def own(self) -> Any:
        return self.config.own()

    @property
    def name(self) -> str:
        return str(self.own.name)

    @property
    def working_directory(self) -> str:
        return str(self.own.get("WorkingDirectory") or "/var/lib/bareos")

    @property
    def secure_erase(self) -> str | None:
        return self.own.get("SecureEraseCommand")

    def bandwidth_limit(self, director: str) -> int:
        """Bytes per second for a new job: Director resource, then Client (Bareos order)."""
        res = self.config.get("Director", director)
        per_dir = int(res.get("MaximumBandwidthPerJob") or 0) if res is not None else 0
        if per_dir:
            return per_dir
        if self.bwlimit_override is not None:
            return self.bwlimit_override
        return int(self.own.get("MaximumBandwidthPerJob") or 0)

    def listen_addresses(self) -> Sequence[tuple[Any, int]]:
        return [(host, _port(port)) for host, port in self.own.listen_addresses()]

    # -- run-time state
    def set_debug(self, level: int, trace: int) -> None:
        if level >= 0:
            self.debug = level
        self.trace = trace

    def connection_opened(self, director: str) -> int:
        token = next(self._tokens)
        self._connections[token] = DirectorConnection(director, time.time())
        return token

    def connection_closed(self, token: int) -> None:
        self._connections.pop(token, None)

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

    # -- the server protocol
    async def handle_connection(self, stream: trio.SocketStream, peer: str) -> None:
        cfg = self.config
        settings = attrs.evolve(
            self._acceptor_settings(cfg), peek_timeout=self.options.peek_timeout
        )
        try:
            bstream, info = await accept(stream, settings, peer_address=peer)
        except BareosError:
            return  # logged as handshake.failed by the transport
        name = info.peer_name or "?"
        if info.connection in ("3", "10"):
            await serve_session(self, bstream, director=name, monitor=info.connection == "10")
        elif info.connection == "7":
            await self.serve_storage_job(bstream, name, info)
        else:  # pragma: no cover - the resolver only plans rows 3, 7, 10
            await bstream.aclose(terminate=True)

    def _acceptor_settings(self, cfg: Any) -> AcceptorSettings:
        return acceptor_settings(
            make_resolver(cfg, self.jobs),
            cfg.own().tls,
            key_table(cfg, self.jobs),
            persona=self.options.persona,
            failure_delay=self.options.failure_delay,
            timeout=self.options.handshake_timeout,
        )

    async def serve_storage_job(self, stream: Any, job: str, info: Any = None) -> None:
        """Connection 7 (SD -> passive FD): hand the stream to the job and wait for it.

        The job's Director session drives the data session on this stream;
        this task only keeps the connection alive until the job releases it
        (the job closes it with BNET_TERMINATE at its end).
        """
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

    def reload(self) -> None:
        if self._loader is None:
            raise ConfigError("no configuration file to reload")
        new = self._loader()
        check_config(new)
        old_listen = self.listen_addresses()
        self.config = new
        if self.listen_addresses() != old_listen:
            log.warning("reload.listen_unchanged",
                        reason="listen address changes need a restart")  # fmt: skip
        log.info("reload.ok", directors=[r.name for r in new.all("Director")])
        self._restart_client_initiated()

    async def run_background(self, nursery: trio.Nursery) -> None:
        self._nursery = nursery
        self._restart_client_initiated()

    def _restart_client_initiated(self) -> None:
        if self._nursery is None:
            return
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
        log.info("daemon.shutdown", name=self.name)
