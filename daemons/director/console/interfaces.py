"""What a console command handler gets: its session, and the Director as the console sees it.

Handlers (:mod:`.basic`, :mod:`.job_commands`, :mod:`.resources`,
:mod:`.status`) annotate with :class:`CommandSession` and never import the
session or the runtime: :class:`~daemons.director.console.session.ConsoleSession`
and :class:`~daemons.director.runtime.DirectorRuntime` satisfy these
Protocols structurally, which mypy checks where the session is handed to a
handler.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

from daemons.director.interfaces import Director

if TYPE_CHECKING:
    from bareosnet.proto.signals import Signal
    from daemons.director.console.acl import ConsoleAcl
    from daemons.director.console.output import ConsoleOutput
    from daemons.director.interfaces import ConsoleLease
    from daemons.director.jobs.manager import JobManager


class ConsoleLeases(Protocol):
    """The console connections counted by the Director (``status director`` lists them)."""

    def __len__(self) -> int: ...

    def sessions(self) -> list[ConsoleLease]: ...


class ConsoleDirector(Director, Protocol):
    """The Director as a console sees it: the jobs room in full, consoles, reload."""

    @property
    def jobs(self) -> JobManager: ...

    @property
    def consoles(self) -> ConsoleLeases: ...

    @property
    def started_at(self) -> float: ...

    @property
    def console_idle_timeout(self) -> float: ...

    def console_resource(self, name: str) -> Any | None: ...

    def profiles_of(self, console: Any) -> list[Any]: ...

    def reload(self) -> None: ...

    # "enable"/"disable": (resource type, name) -> enabled, until the next reload.
    @property
    def enabled_overrides(self) -> dict[tuple[str, str], bool]: ...

    def is_enabled(self, rtype: str, res: Any) -> bool: ...

    def load_added(self) -> None: ...

    # (type, name) of the resources loaded at startup (see show's "written" marks).
    @property
    def marked_resources(self) -> frozenset[tuple[str, str]]: ...


class CommandSession(Protocol):
    """What a command handler may use of the console session that runs it."""

    # The flags a command switches (quit, autodisplay, "Using Catalog" said once, and
    # Bareos's batch mode: set by ".api json", run/restore then start without "yes").
    quit: bool
    auto_display: bool
    catalog_opened: bool  # the shared catalog connection (run, estimate, use ...)
    private_catalog_opened: bool  # the private one (list, restore, .bvfs_* ...)
    catalog_chosen: bool  # Bareos's ua->catalog: picked once, by argument or automatically
    batch: bool

    @property
    def rt(self) -> ConsoleDirector: ...

    @property
    def out(self) -> ConsoleOutput: ...

    @property
    def name(self) -> str: ...

    @property
    def acl(self) -> ConsoleAcl | None: ...

    def allowed(self, kind: str, item: str) -> bool: ...

    def command_allowed(self, key: str) -> bool: ...

    async def show_messages(self) -> None: ...

    async def ask(self, prompt: str, *, subprompt: bool = False) -> str | None:
        """Bareos ``GetCmd``: prompt and read the answer (None: cancelled or batch mode)."""
        ...

    async def send_signal(self, signal: Signal) -> None:
        """One signal to the console (``BNET_START_RTREE``, ``BNET_START_SELECT`` ...)."""
        ...
