"""Client-initiated File daemon connections waiting for work (connection 4).

A File daemon with ``Connection From Client To Director = yes`` connects,
authenticates and then waits silently.  The task that accepted it *parks* the
connection here and keeps watching it: any byte (or EOF) on a parked
connection means it is unusable and it is dropped, as Bareos's connection
pool does.  A ``status client=`` or a job *takes* the connection exactly once,
uses it, and *releases* it; the parking task then closes it and the File
daemon reconnects on its own.
"""

from __future__ import annotations

import time

import attrs
import structlog
import trio

from bareosnet.errors import BareosError
from bareosnet.net.handshake import ConnectionInfo
from bareosnet.net.stream import BareosStream

log = structlog.get_logger("bareosnet.director.pool")


@attrs.define(eq=False)
class PooledConnection:
    """One authenticated client-initiated connection."""

    name: str
    stream: BareosStream
    info: ConnectionInfo
    protocol_version: int
    connected_at: float = attrs.field(factory=time.time)
    dead: bool = False
    _watch: trio.CancelScope | None = None
    _watch_stopped: trio.Event = attrs.field(factory=trio.Event)
    _released: trio.Event = attrs.field(factory=trio.Event)

    def release(self) -> None:
        """The user is done: the parking task closes the connection."""
        self._released.set()


@attrs.frozen
class PoolEntryInfo:
    name: str
    connected_at: float
    protocol_version: int


# A parked connection nobody took for this long is closed; the File daemon then
# reconnects (its back-off loop), so no wait on a silent peer is unbounded.
MAX_PARKED_SECONDS = 24 * 3600.0


class ClientConnectionPool:
    def __init__(self, max_parked: float = MAX_PARKED_SECONDS) -> None:
        self._entries: dict[str, list[PooledConnection]] = {}
        self._added = trio.Event()
        self.max_parked = max_parked

    def waiting(self) -> list[PoolEntryInfo]:
        """Parked connections, oldest first (for ``status director``)."""
        out = [
            PoolEntryInfo(e.name, e.connected_at, e.protocol_version)
            for entries in self._entries.values()
            for e in entries
        ]
        return sorted(out, key=lambda e: e.connected_at)

    def has(self, name: str) -> bool:
        return bool(self._entries.get(name))

    def _remove(self, entry: PooledConnection) -> None:
        entries = self._entries.get(entry.name)
        if entries and entry in entries:
            entries.remove(entry)
            if not entries:
                del self._entries[entry.name]

    async def park(
        self, name: str, stream: BareosStream, info: ConnectionInfo, protocol_version: int
    ) -> None:
        """Run by the accepting task: returns when the connection is finished with."""
        entry = PooledConnection(name, stream, info, protocol_version)
        self._entries.setdefault(name, []).append(entry)
        added, self._added = self._added, trio.Event()
        added.set()
        log.info("pool.parked", client=name, mode=info.mode.value, encryption=info.encryption_text)
        try:
            with trio.CancelScope() as scope:
                entry._watch = scope
                try:
                    frame = await stream.receive_frame(timeout=self.max_parked)
                    reason = f"peer sent {type(frame).__name__} while waiting"
                except BareosError as exc:
                    reason = str(exc)
                # Only reached when nobody took it: the connection is gone or spoke.
                entry.dead = True
            entry._watch_stopped.set()
            if entry.dead:
                self._remove(entry)
                log.info("pool.discarded", client=name, reason=reason)
                return
            await entry._released.wait()
        finally:
            self._remove(entry)
            entry._watch_stopped.set()
            with trio.CancelScope(shield=True):
                await stream.aclose()

    async def take(self, name: str, timeout: float = 0.0) -> PooledConnection | None:
        """The oldest live parked connection of ``name``, waiting up to ``timeout`` s."""
        deadline = trio.current_time() + timeout
        while True:
            entries = self._entries.get(name)
            while entries:
                entry = entries.pop(0)
                if not entries:
                    self._entries.pop(name, None)
                assert entry._watch is not None
                entry._watch.cancel()
                await entry._watch_stopped.wait()
                if not entry.dead:
                    log.info("pool.taken", client=name)
                    return entry
                entries = self._entries.get(name)
            if trio.current_time() >= deadline:
                return None
            with trio.move_on_at(deadline):
                await self._added.wait()


class LeasedStream(BareosStream):
    """A pooled connection's stream in the hands of its user; closing it releases it.

    It shares the parked stream's transport and frame decoder, so nothing the
    File daemon sent is lost in the hand-over.
    """

    def __init__(self, entry: PooledConnection) -> None:  # noqa: D107 - see class doc
        self.__dict__.update(entry.stream.__dict__)
        self._entry = entry

    async def aclose(self, *, terminate: bool = False) -> None:
        try:
            await super().aclose(terminate=terminate)
        finally:
            self._entry.release()
