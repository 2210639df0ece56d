"""The Storage daemon emulator: listener, handshake, Director sessions, job links.

The configuration is an immutable snapshot swapped whole on SIGHUP; the
run-time state (start time, debug level, jobs) survives reloads.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Sequence
from typing import Any

import attrs
import structlog
import trio

from bareosnet.errors import BareosError, ConfigError
from bareosnet.net.handshake import AcceptorSettings, ConnectionInfo, accept
from bareosnet.net.stream import BareosStream
from bareosnet.proto.hello import Persona
from daemons.common.auth import acceptor_settings
from daemons.common.commands import CommandTable, RecentJobs
from daemons.storage.access import key_table, make_resolver
from daemons.storage.jobs import JobRegistry
from daemons.storage.session import COMMANDS, DirectorSession, serve_session
from daemons.storage.status import SdStatusView, devices_from_config

log = structlog.get_logger("bareos.sd")

DEFAULT_FAILURE_DELAY = 5.0
DEFAULT_IDLE_TIMEOUT = 1800.0


@attrs.frozen
class SdOptions:
    persona: Persona = Persona.V26
    failure_delay: float = DEFAULT_FAILURE_DELAY
    idle_timeout: float = DEFAULT_IDLE_TIMEOUT
    handshake_timeout: float = 60.0  # every receive during the handshake
    peek_timeout: float = 10.0  # for the first bytes (TLS or cleartext?)


def check_config(cfg: Any) -> None:
    """Beyond the loader's checks: an own Storage resource and at least one Director."""
    own = cfg.own()
    if not cfg.all("Director"):
        raise ConfigError("no Director resource defined: nobody could connect", own.file, own.line)


def _port(value: int | str) -> int:
    return value if isinstance(value, int) else (
        int(value) if value.isdigit() else socket.getservbyname(value, "tcp"))  # fmt: skip


class StorageDaemon:
    daemon_name = "bareos-sd-emu"

    def __init__(self, config: Any, options: SdOptions, *, loader: Any = None, debug: int = 0):
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
        self.volume_lines: tuple[str, ...] = ()  # filled by the volume code

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
        return [(host, _port(port)) for host, port in self.own.listen_addresses()]

    def set_debug(self, level: int, trace: int) -> None:
        self.debug = level
        self.trace = trace

    def status_view(self) -> SdStatusView:
        devices, changers = devices_from_config(self.config)
        return SdStatusView(
            name=self.name,
            persona=self.options.persona,
            started=self.started,
            jobs_run=self.jobs.jobs_run,
            bwlimit=int(self.own.get("MaximumBandwidthPerJob") or 0),
            secure_erase=self.secure_erase,
            devices=devices,
            autochangers=changers,
            running=self.jobs.running(),
            terminated=tuple(self.recent),
            volume_lines=self.volume_lines,
        )

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
        if info.connection in ("5", "11"):
            await serve_session(self, bstream, director=name, monitor=info.connection == "11")
        else:
            self.jobs.mark_authenticated(name)
            await self.serve_job_connection(bstream, info)

    def _acceptor_settings(self, cfg: Any) -> AcceptorSettings:
        return acceptor_settings(
            make_resolver(cfg, self.jobs),
            cfg.own().tls,
            key_table(cfg, self.jobs),
            persona=self.options.persona,
            failure_delay=self.options.failure_delay,
            timeout=self.options.handshake_timeout,
        )

    async def serve_job_connection(self, stream: BareosStream, info: ConnectionInfo) -> None:
        """Connections 6 and 8 for a job; the jobs code replaces this."""
        log.warning("job_connection.unhandled", job=info.peer_name, connection=info.connection)
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

    async def run_background(self, nursery: trio.Nursery) -> None:
        return None

    async def shutdown(self) -> None:
        log.info("daemon.shutdown", name=self.name)
