"""What the File and Storage daemon emulators share as long-running servers.

Both hold an immutable configuration snapshot that SIGHUP swaps as a whole
(a connection keeps the snapshot it started with) next to run-time state
that survives reloads (start time, debug level, terminated jobs), and both
accept connections the same way: the handshake with acceptor settings built
from the current snapshot, then the authenticated stream goes to the
daemon's own :meth:`ListeningDaemon.serve_accepted`.  A subclass says who
may connect (:meth:`ListeningDaemon.resolver`) and what each connection row
is for; the PSK table is the same for both (:func:`daemons.common.access.key_table`).
Everything here satisfies :class:`daemons.common.server.Daemon`.
"""

from __future__ import annotations

import socket
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from typing import Any, ClassVar

import attrs
import trio

from bareosnet.errors import BareosError, ConfigError
from bareosnet.net.handshake import AcceptorSettings, ConnectionInfo, Resolver, accept
from bareosnet.net.stream import BareosStream
from bareosnet.proto.hello import Persona
from daemons.common.access import JobKeys, key_table
from daemons.common.auth import acceptor_settings
from daemons.common.commands import RecentJobs
from daemons.common.idle_parking import Parked
from daemons.common.server import ConnectionLimits

DEFAULT_IDLE_TIMEOUT = 1800.0
DEFAULT_FAILURE_DELAY = 5.0  # Bareos's sleep after a refused authentication
REQUEST_FAILURE_DELAY = 5.0  # 17.2's sleep after an unreadable first packet (FD and SD)


@attrs.frozen
class DaemonOptions:
    """Run-time knobs every accepting emulator has (the shared command-line flags)."""

    persona: Persona = Persona.V26
    failure_delay: float = DEFAULT_FAILURE_DELAY
    idle_timeout: float = DEFAULT_IDLE_TIMEOUT  # seconds without a command; 0 = never
    handshake_timeout: float = 60.0  # every receive during the handshake
    peek_timeout: float = 10.0  # for the first bytes (TLS or cleartext?)


def check_config(cfg: Any) -> None:
    """Beyond the loader's checks: an own resource and at least one Director."""
    own = cfg.own()  # raises ConfigError if there is no own resource
    if not cfg.all("Director"):
        raise ConfigError("no Director resource defined: nobody could connect", own.file, own.line)


def config_port(value: int | str) -> int:
    """A configured port: a number, or a service name looked up like Bareos does."""
    if isinstance(value, int):
        return value
    return int(value) if value.isdigit() else socket.getservbyname(value, "tcp")


class ListeningDaemon[O: DaemonOptions](ABC):
    """The configuration views, reload and accept path of the File and Storage daemons."""

    daemon_name: str  # "bareos-fd-emu" ... (set by the class)
    log: ClassVar[Any]  # the daemon's structlog logger
    jobs: JobKeys  # the daemon's job registry (set by the subclass)

    def __init__(
        self,
        config: Any,
        options: O,
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
        self.recent = RecentJobs()
        # (config snapshot, its AcceptorSettings): see _settings_for
        self._settings_cache: tuple[Any, AcceptorSettings] | None = None
        self.prebound_sockets: tuple[socket.socket, ...] = ()  # --workers: this worker's

    def join_workers(self, info: Any) -> None:
        """Serve as worker ``info.index`` of ``--workers`` (on the sockets the parent bound)."""
        self.prebound_sockets = tuple(info.sockets)

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

    def listen_addresses(self) -> Sequence[tuple[Any, int]]:
        return [(host, config_port(port)) for host, port in self.own.listen_addresses()]

    # -- run-time state
    def set_debug(self, level: int, trace: int) -> None:
        if level >= 0:  # a negative level keeps the current one
            self.debug = level
        self.trace = trace

    # -- accepting connections
    @abstractmethod
    def resolver(self, cfg: Any) -> Resolver:
        """Who may connect under the configuration snapshot ``cfg``."""

    @abstractmethod
    async def serve_accepted(self, stream: BareosStream, info: ConnectionInfo) -> Parked | None:
        """Serve one authenticated connection (its row is ``info.connection``); a
        :class:`Parked` session goes on later (:mod:`daemons.common.idle_parking`)."""

    def _acceptor_settings(self, cfg: Any) -> AcceptorSettings:
        return acceptor_settings(
            self.resolver(cfg),
            cfg.own().tls,
            key_table(cfg, self.jobs),
            persona=self.options.persona,
            failure_delay=self.options.failure_delay,
            timeout=self.options.handshake_timeout,
        )

    def _settings_for(self, cfg: Any) -> AcceptorSettings:
        # One AcceptorSettings per configuration snapshot, not per connection:
        # building it walks the config (~0.2 ms a login).  Its key table and
        # resolver read the job registry at call time, so new jobs are seen.
        cached = self._settings_cache
        if cached is not None and cached[0] is cfg:
            return cached[1]
        # A shorter --auth-failure-delay (tests) shortens the 17.2 request delay too.
        settings = attrs.evolve(
            self._acceptor_settings(cfg), peek_timeout=self.options.peek_timeout,
            request_failure_delay=min(REQUEST_FAILURE_DELAY, self.options.failure_delay),
        )  # fmt: skip
        self._settings_cache = (cfg, settings)
        return settings

    async def handle_connection(self, stream: trio.SocketStream, peer: str) -> Parked | None:
        settings = self._settings_for(self.config)
        try:
            bstream, info = await accept(stream, settings, peer_address=peer)
        except BareosError:
            return None  # logged as handshake.failed by the transport
        served = self.serve_accepted(bstream, info)
        # This frame lives as long as the session: let it hold none of the handshake's
        # values (a fleet holds thousands of idle sessions).
        del bstream, info, settings
        return await served

    def connection_limits(self) -> ConnectionLimits:
        """Bareos refuses connections beyond the own resource's Maximum Concurrent Jobs."""
        return ConnectionLimits(
            total=int(self.own.get("MaximumConcurrentJobs") or 1000),
            refusal=self.limit_refusal,
        )

    # What a peer refused for too many connections gets (FD: nothing, SD: TERMINATE).
    limit_refusal: ClassVar[bytes] = b""

    # -- the rest of the server protocol
    def reload(self) -> None:
        if self._loader is None:
            raise ConfigError("no configuration file to reload")
        new = self._loader()
        check_config(new)
        old_listen = self.listen_addresses()
        self.config = new
        if self.listen_addresses() != old_listen:
            self.log.warning("reload.listen_unchanged",
                             reason="listen address changes need a restart")  # fmt: skip
        self.log.info("reload.ok", directors=[r.name for r in new.all("Director")])
        self.reloaded()

    def reloaded(self) -> None:
        """Called once a reloaded snapshot is in place (nothing to do by default)."""
        return None

    async def run_background(self, nursery: trio.Nursery) -> None:
        return None

    async def shutdown(self) -> None:
        self.log.info("daemon.shutdown", name=self.name)
