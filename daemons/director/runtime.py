"""The Director's state while it runs: configuration, handshake modes, pooled clients, consoles.

One :class:`DirectorRuntime` exists per process.  The console sessions, the
resolver of incoming connections and the File/Storage daemon connectors all
read the *current* configuration through it, so a reload (SIGHUP or the
``reload`` command) takes effect for the next command without restarting
anything.  A configuration that fails to load leaves the old one in place.

This module composes the rooms (catalog, jobs, probing); they see it only
through the Protocols of :mod:`daemons.director.interfaces` and
:mod:`daemons.director.console.interfaces`, so nothing imports it back.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import structlog

from bareosnet.proto.hello import Persona
from daemons.director.catalog.store import Catalog
from daemons.director.interfaces import ConsoleLease, DirectorSettings
from daemons.director.jobs.manager import JobManager
from daemons.director.probing.client_pool import ClientConnectionPool
from daemons.director.probing.clients import FileDaemonConnector
from daemons.director.probing.handshake_modes import (
    STATE_FILE_NAME,
    HandshakeModeStore,
    client_fingerprint,
)

log = structlog.get_logger("bareosnet.director")

DEFAULT_CONSOLE_IDLE_TIMEOUT = 1800.0


class ConsoleRegistry:
    def __init__(self) -> None:
        self._leases: dict[int, ConsoleLease] = {}
        self._ids = itertools.count(1)

    def acquire(self, peer: str) -> ConsoleLease:
        lease = ConsoleLease(next(self._ids), peer)
        self._leases[lease.id] = lease
        return lease

    def release(self, lease: ConsoleLease) -> None:
        self._leases.pop(lease.id, None)

    def __len__(self) -> int:
        return len(self._leases)

    def sessions(self) -> list[ConsoleLease]:
        return sorted(self._leases.values(), key=lambda lease: lease.started_at)


class ConsoleMessages:
    """Messages queued for consoles (shown by ``messages``; "You have messages.")."""

    def __init__(self, limit: int = 1000) -> None:
        self._items: list[str] = []
        self._limit = limit

    @property
    def pending(self) -> bool:
        return bool(self._items)

    def add(self, text: str) -> None:
        self._items.append(text if text.endswith("\n") else text + "\n")
        del self._items[: -self._limit]

    def drain(self) -> list[str]:
        items, self._items = self._items, []
        return items


class DirectorRuntime:
    """Everything shared by the Director's connections."""

    def __init__(
        self,
        cfg: Any,
        *,
        load: Callable[[], Any],
        persona: Persona,
        failure_delay: float,
        handshake_state: bool = True,
        console_idle_timeout: float = DEFAULT_CONSOLE_IDLE_TIMEOUT,
    ) -> None:
        self._load = load
        self.persona = persona
        self.failure_delay = failure_delay
        self.handshake_state = handshake_state
        self.console_idle_timeout = console_idle_timeout
        self.started_at = time.time()
        self.pool = ClientConnectionPool()
        self.consoles = ConsoleRegistry()
        self.messages = ConsoleMessages()
        self.cfg = cfg
        self.settings = DirectorSettings.from_config(cfg)
        # "enable"/"disable" of a Job, Client or Schedule: temporary, until the next reload.
        self.enabled_overrides: dict[tuple[str, str], bool] = {}
        # Resources parsed at startup: only those has Bareos marked "not written in the
        # config" item by item (it stops marking once started), which show relies on.
        self.marked_resources: frozenset[tuple[str, str]] = frozenset(
            (r.type, r.name) for r in cfg.resources
        )
        self.modes = HandshakeModeStore(self._state_path())
        self.modes.load((c.name, client_fingerprint(c)) for c in self.clients())
        self.file_daemons = FileDaemonConnector(self)
        self.catalog = Catalog.in_working_directory(self.settings.working_directory)
        self.jobs = JobManager(self)

    def _state_path(self) -> Path | None:
        if not self.handshake_state:
            return None
        workdir = Path(self.settings.working_directory)
        if not workdir.is_dir():
            log.warning("modes.no_working_directory", path=str(workdir),
                        hint="handshake modes are kept in memory only")  # fmt: skip
            return None
        return workdir / STATE_FILE_NAME

    # -- configuration
    def reload(self) -> None:
        """Re-read the configuration; on error the old one stays and the error propagates."""
        cfg = self._load()
        settings = DirectorSettings.from_config(cfg)
        if settings.listen != self.settings.listen:
            log.warning("reload.listen_unchanged", configured=[f"{h}:{p}" for h, p in settings.listen],
                        hint="a new DirAddress/DirPort takes effect after a restart")  # fmt: skip
        self.cfg = cfg
        self.settings = settings
        self.enabled_overrides = {}
        self.marked_resources = frozenset()
        # As Bareos: a (re)load forgets every Client's handshake mode.
        self.modes = HandshakeModeStore(self._state_path())
        self.modes.reset_all()
        self.jobs.reconfigure()
        log.info("reload.done", clients=len(self.clients()), consoles=len(self.cfg.all("console")))

    def load_added(self) -> None:
        """Read the configuration again after "configure add" wrote a resource file.

        Unlike :meth:`reload` the running state stays (handshake modes, enable/disable):
        Bareos parses only the new file into its running configuration.  On error the old
        configuration stays and the error propagates.
        """
        self.cfg = self._load()

    def is_enabled(self, rtype: str, res: Any) -> bool:
        """The resource's Enabled directive, unless "enable"/"disable" changed it since."""
        override = self.enabled_overrides.get((rtype, res.name))
        if override is not None:
            return override
        return bool(res.get("Enabled")) if res.spec.item("Enabled") is not None else True

    def clients(self) -> list[Any]:
        return list(self.cfg.all("client"))

    def client(self, name: str) -> Any | None:
        return self.cfg.get("client", name)

    def storages(self) -> list[Any]:
        return list(self.cfg.all("storage"))

    def storage(self, name: str) -> Any | None:
        return self.cfg.get("storage", name)

    def console_resource(self, name: str) -> Any | None:
        return self.cfg.get("console", name)

    def profiles_of(self, console: Any) -> list[Any]:
        try:
            names = console.get("Profile") or ()
        except KeyError:
            return []
        found = [self.cfg.get("profile", n) for n in names]
        return [p for p in found if p is not None]
