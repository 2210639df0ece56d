"""The console command table: commands join it by registration, in Bareos's key order.

A command module declares each command beside its handler::

    @command("version", help="print the Director's version", usage="",
             api='{"version": {"name", "type", "version", "bdate", ...}}')
    async def version(s, args): ...

``usage`` is what ``help <command>`` prints under "Arguments:" ("" for a
command without arguments), ``acl`` is the name the console's ``Command ACL``
must allow (the key unless given), ``api`` describes the result object of
``.api 2`` (the JSON-RPC ``result``).  A handler may carry several
registrations (``exit``, ``quit`` and ``.quit`` share one).

The *order* of the table is Bareos's, not the order of registration: a typed
word selects the first key that starts with it (``st`` -> ``status``,
``ex`` -> ``exit``), so :data:`BAREOS_KEYS` lists every key of the real
Director's table, emulated or not; a key nobody registered answers that it is
not emulated.  A command Bareos does not have must be added there first.

This module imports no command module and nothing above it: command modules
depend on it, :mod:`daemons.director.console.commands` loads them all.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import attrs

if TYPE_CHECKING:
    from daemons.director.console.args import Args
    from daemons.director.console.interfaces import CommandSession

Handler = Callable[["CommandSession", "Args"], Awaitable[bool]]
F = Any  # the decorated handler, returned unchanged

# The real Director's command keys in its table order (dird/ua_cmds.cc), emulated or not.
BAREOS_KEYS: tuple[str, ...] = (
    ".", ".actiononpurge", ".api", ".authorized", ".catalogs", ".clients", ".consoles",
    ".users", ".defaults", ".filesets", ".help", ".jobdefs", ".jobs", ".jobstatus",
    ".levels", ".locations", ".messages", ".media", ".mediatypes", ".msgs", ".pools",
    ".profiles", ".quit", ".sql", ".schedule", ".status", ".storages", ".types",
    ".volstatus", ".bvfs_lsdirs", ".bvfs_lsfiles", ".bvfs_update", ".bvfs_get_jobids",
    ".bvfs_versions", ".bvfs_restore", ".bvfs_cleanup", ".bvfs_clear_cache",
    "add", "autodisplay", "automount", "cancel", "configure", "create", "delete",
    "disable", "enable", "estimate", "exit", "export", "gui", "help", "import", "label",
    "list", "llist", "messages", "memory", "mount", "move", "prune", "purge", "quit",
    "query", "restore", "relabel", "release", "reload", "rerun", "resolve", "run",
    "status", "setbandwidth", "setdebug", "setdevice", "setip", "show", "sqlquery",
    "time", "trace", "truncate", "unmount", "umount", "update", "use", "var", "version",
    "wait", "whoami",
)  # fmt: skip


@attrs.frozen
class Command:
    key: str
    help: str = ""
    usage: str = ""
    handler: Handler | None = None  # None: in Bareos, not in this emulator
    acl: str = ""  # the Command ACL name ("" for a key that is not emulated)
    always_allowed: bool = False  # runs whatever the Command ACL says (exit, quit, whoami)
    api: str = ""  # the shape of the ``.api 2`` result object

    @property
    def emulated(self) -> bool:
        return self.handler is not None


class CommandTable:
    """Registered commands, read in a fixed key order."""

    def __init__(self, order: tuple[str, ...]) -> None:
        if len(set(order)) != len(order):
            raise ValueError("duplicate key in the command order")
        self._order = order
        self._registered: dict[str, Command] = {}
        self._table: tuple[Command, ...] = ()
        self._rebuild()

    def command(
        self,
        key: str,
        *,
        help: str,
        usage: str,
        api: str,
        acl: str | None = None,
        always_allowed: bool = False,
    ) -> Callable[[F], F]:
        """Register the decorated handler as ``key`` (keyword arguments: see the module doc)."""
        if key not in self._order:
            raise ValueError(f"console command {key!r} is not in the table order")
        if key in self._registered:
            raise ValueError(f"console command {key!r} is registered twice")

        def register(handler: F) -> F:
            self._registered[key] = Command(key, help, usage, handler, acl or key,
                                            always_allowed, api)  # fmt: skip
            self._rebuild()
            return handler

        return register

    def _rebuild(self) -> None:
        # Registration happens at import time only; reads then cost nothing.
        self._table = tuple(self._registered.get(k) or Command(k) for k in self._order)

    @property
    def commands(self) -> tuple[Command, ...]:
        return self._table

    def always_allowed(self) -> frozenset[str]:
        return frozenset(c.key for c in self._table if c.always_allowed)

    def lookup(self, word: str) -> Command | None:
        """The first command whose key starts with ``word`` (case-insensitive)."""
        if not word:
            return None
        w = word.lower()
        for cmd in self._table:
            if cmd.key.startswith(w):
                return cmd
        return None


# Commands of the emulator that Bareos does not have: after Bareos's keys, so that no
# abbreviation of a Bareos command selects one of them.
EMULATOR_KEYS: tuple[str, ...] = ("fault",)

# The Director's one table; command modules register into it with ``@command(...)``.
TABLE = CommandTable(BAREOS_KEYS + EMULATOR_KEYS)
command = TABLE.command
