"""Command tables built by registration: a handler joins its daemon's table where it is written.

A daemon package holds one :class:`CommandRegistry` in its interfaces module; every handler
module decorates its handlers with ``@REGISTRY.command("prefix")``, and the daemon module,
after importing the handler modules, takes :meth:`CommandRegistry.table`.

The order of the table is not the order of registration.  Bareos scans its table for the
first entry that prefixes the command; in the Bareos tables a keyword that starts another
(``Run`` / ``RunBeforeNow``) always comes after it, or it would hide it, so the first match
is always the longest matching prefix.  The table is therefore sorted longest prefix first,
which gives the same answer for every command text whatever the import order.
"""

from __future__ import annotations

from collections.abc import Callable

from daemons.common.commands import CommandEntry, CommandTable, Handler


class CommandRegistry[S]:
    """The commands of one daemon (one session type ``S``), collected by decorators."""

    def __init__(self, daemon: str) -> None:
        self.daemon = daemon  # for error texts: "File daemon", "Storage daemon"
        self._entries: dict[str, CommandEntry[S]] = {}

    def command(
        self, prefix: str, *, monitor_access: bool = False
    ) -> Callable[[Handler[S]], Handler[S]]:
        """Register the decorated handler for commands starting with ``prefix``."""

        def register(handler: Handler[S]) -> Handler[S]:
            self.add(CommandEntry(prefix, handler, monitor_access=monitor_access))
            return handler

        return register

    def add(self, entry: CommandEntry[S]) -> None:
        old = self._entries.get(entry.prefix)
        if old is not None and old.handler is not entry.handler:
            raise ValueError(f"{self.daemon} command {entry.prefix!r} is registered twice")
        self._entries[entry.prefix] = entry

    @property
    def prefixes(self) -> frozenset[str]:
        return frozenset(self._entries)

    def table(self) -> CommandTable[S]:
        """The entries, longest prefix first (ties in prefix order, for a stable table)."""
        entries = sorted(self._entries.values(), key=lambda e: (-len(e.prefix), e.prefix))
        return CommandTable(tuple(entries))


__all__ = ["CommandRegistry"]
