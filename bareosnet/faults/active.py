"""The faults a process has switched on, and which of them one connection meets.

A :class:`FaultSet` is what ``--fault`` fills and the Director's ``fault``
command changes at run time.  Each new connection asks it for a
:class:`ConnectionFaults`: the faults whose side matches.  Those that name a
``conn`` or ``peer`` stay unarmed until the connection knows them (an acceptor
learns both from the Hello), and ``count`` is spent when a fault arms.  No I/O.
"""

from __future__ import annotations

from collections.abc import Iterable

import attrs

from bareosnet.faults.table import Fault, parse


@attrs.define
class _Entry:
    fault: Fault
    left: int | None  # connections it may still act on; None = no limit


class FaultSet:
    """The active faults of one daemon (or proxy), in the order they were set."""

    def __init__(self, faults: Iterable[Fault] = ()) -> None:
        self._entries: list[_Entry] = []
        for fault in faults:
            self.add(fault)

    @classmethod
    def parse(cls, texts: Iterable[str]) -> FaultSet:
        return cls(parse(t) for t in texts)

    def add(self, fault: Fault) -> None:
        self._entries.append(_Entry(fault, fault.spec.scope.count))

    def clear(self, name: str | None = None) -> int:
        """Remove every fault (or those called ``name``); how many went."""
        before = len(self._entries)
        self._entries = [e for e in self._entries if name is not None and e.fault.name != name]
        return before - len(self._entries)

    def listing(self) -> list[tuple[Fault, int | None]]:
        """(fault, connections left) per active fault."""
        return [(e.fault, e.left) for e in self._entries]

    def __bool__(self) -> bool:
        return bool(self._entries)

    def for_connection(self, side: str, conn: str | None = None, peer: str | None = None,
                       exclude: frozenset[str] = frozenset(),
                       explicit_side: bool = False) -> ConnectionFaults:  # fmt: skip
        """The faults a new connection may meet; ``exclude``: names with nothing to act on."""
        entries = [e for e in self._entries if e.fault.spec.scope.side in (None, side)
                   and e.fault.row.acts in ("either", side)
                   and e.fault.name not in exclude]  # fmt: skip
        if explicit_side:  # the proxy: a fault without side= acts on the connector's bytes
            entries = [e for e in entries if e.fault.spec.scope.side == side]
        faults = ConnectionFaults(self, side, entries)
        faults.identify(conn, peer)
        return faults

    def _spend(self, entry: _Entry) -> bool:
        if entry not in self._entries:  # cleared meanwhile
            return False
        if entry.left is None:
            return True
        if entry.left <= 0:
            return False
        entry.left -= 1
        if entry.left == 0:
            self._entries.remove(entry)
        return True


class ConnectionFaults:
    """The faults one connection may meet, armed as its row and peer become known."""

    def __init__(self, owner: FaultSet, side: str, entries: list[_Entry]) -> None:
        self.side = side
        self._owner = owner
        self._pending = entries
        self.armed: list[Fault] = []
        self.conn: str | None = None
        self.peer: str | None = None

    def identify(self, conn: str | None = None, peer: str | None = None) -> list[Fault]:
        """Record what is now known of the connection; the faults that armed."""
        self.conn = conn or self.conn
        self.peer = peer or self.peer
        newly: list[Fault] = []
        still: list[_Entry] = []
        for entry in self._pending:
            if entry.fault.spec.scope.matches(side=self.side, conn=self.conn, peer=self.peer):
                if entry.fault.row.connections and self.conn is not None \
                        and self.conn not in entry.fault.row.connections:
                    continue  # e.g. a session-key fault on a non-job connection
                if self._owner._spend(entry):  # noqa: SLF001 - same module family
                    newly.append(entry.fault)
            else:
                still.append(entry)
        self._pending = still
        self.armed += newly
        return newly

    def get(self, name: str) -> Fault | None:
        return next((f for f in self.armed if f.name == name), None)

    def has(self, name: str) -> bool:
        return self.get(name) is not None

    def __bool__(self) -> bool:
        return bool(self.armed or self._pending)
