"""What a job, a connector or a console may ask of the Director: the runtime as they see it.

The Director composes its rooms in :mod:`daemons.director.runtime` (catalog,
job queue, File daemon connector, console queues).  The rooms themselves
depend on this module, never on the runtime, so no import goes back up:

* :class:`Director` is what jobs (:mod:`.jobs`) and connectors (:mod:`.probing`)
  read: configuration, settings, catalog, handshake modes, pooled clients,
  queued console messages, the File daemon connector and the job queue;
* the console adds what only it needs in :mod:`.console.interfaces`.

Members are read-only properties, so :class:`~daemons.director.runtime.DirectorRuntime`
(plain attributes holding the concrete objects) satisfies them structurally.
The value types every room shares (:class:`DirectorSettings`,
:class:`ConsoleLease`) live here too.  Only leaf modules (the catalog store,
the handshake-mode store, the client pool) are imported, and for types only.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, Protocol

import attrs

from bareosnet.tls.settings import TlsSettings

if TYPE_CHECKING:
    from bareosnet.net.handshake import ConnectionInfo
    from bareosnet.net.stream import BareosStream
    from bareosnet.proto.hello import Persona
    from daemons.director.catalog.store import Catalog
    from daemons.director.probing.client_pool import ClientConnectionPool
    from daemons.director.probing.handshake_modes import HandshakeModeStore

# Where the File daemon connector writes what a console or a job log should hear.
MessageSink = Callable[[str], Awaitable[None]]


@attrs.frozen
class DirectorSettings:
    """The Director resource's values the runtime needs, read once per (re)load."""

    name: str
    listen: tuple[tuple[str | None, int], ...]
    password_key: bytes = attrs.field(repr=False)
    tls: TlsSettings = attrs.field(repr=False)
    working_directory: str = "/var/lib/bareos"
    max_console_connections: int = 20
    fd_connect_timeout: int = 180
    sd_connect_timeout: int = 1800
    ver_id: str = ""

    @classmethod
    def from_config(cls, cfg: Any) -> DirectorSettings:
        me = cfg.own()
        listen = tuple((host, int(port)) for host, port in me.listen_addresses())
        password = me.password
        if password is None:  # the parser refuses this already; keep the error clear
            raise ValueError(f"Director {me.name} has no Password")
        return cls(
            name=me.name,
            listen=listen,
            password_key=password.key,
            tls=me.tls,
            working_directory=str(me.get("WorkingDirectory") or "/var/lib/bareos"),
            max_console_connections=int(me.get("MaximumConsoleConnections") or 20),
            fd_connect_timeout=int(me.get("FdConnectTimeout") or 180),
            sd_connect_timeout=int(me.get("SdConnectTimeout") or 1800),
            ver_id=str(me.get("VerId") or ""),
        )


@attrs.define(eq=False)
class ConsoleLease:
    """One console connection, counted from the Hello on (Bareos's console lease)."""

    id: int
    peer: str
    started_at: float = attrs.field(factory=time.time)
    name: str | None = None


class ConsoleQueue(Protocol):
    """Messages queued for the consoles (``messages`` prints them)."""

    @property
    def pending(self) -> bool: ...

    def add(self, text: str) -> None: ...

    def drain(self) -> list[str]: ...


class FileDaemons(Protocol):
    """Bareos's ``ConnectToFileDaemon``: a pooled client-initiated connection or a probe."""

    async def connect_to_file_daemon(
        self,
        client_res: Any,
        *,
        purpose: str = "status",
        console: MessageSink | None = None,
        job_log: MessageSink | None = None,
    ) -> tuple[BareosStream, ConnectionInfo]: ...


class JobQueue(Protocol):
    """What a job may ask of the job queue (a copy job queues one job per selected JobId).

    ``job`` is a :class:`~daemons.director.jobs.control.JobControl` and ``kind``
    its :class:`~daemons.director.jobs.control.JobKind`; they are not named here
    because the jobs room depends on this module.
    """

    def submit(self, job: Any, kind: Any, *, prior_job_id: int = 0) -> int: ...

    def unique_name(self, name: str, when: float | None = None) -> str: ...


class Director(Protocol):
    """The Director as its jobs and connectors see it: always the *current* configuration."""

    @property
    def cfg(self) -> Any: ...

    @property
    def settings(self) -> DirectorSettings: ...

    @property
    def persona(self) -> Persona: ...

    @property
    def catalog(self) -> Catalog: ...

    @property
    def modes(self) -> HandshakeModeStore: ...

    @property
    def pool(self) -> ClientConnectionPool: ...

    @property
    def messages(self) -> ConsoleQueue: ...

    @property
    def file_daemons(self) -> FileDaemons: ...

    @property
    def jobs(self) -> JobQueue: ...

    def clients(self) -> list[Any]: ...

    def client(self, name: str) -> Any | None: ...

    def storages(self) -> list[Any]: ...

    def storage(self, name: str) -> Any | None: ...

    def is_enabled(self, rtype: str, res: Any) -> bool:
        """The resource's Enabled directive, or what ``enable``/``disable`` made of it."""
        ...
