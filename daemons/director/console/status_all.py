"""``status all`` reaches every Client at once; its output stays Bareos's, in Bareos's order.

Bareos asks the Clients one after the other, so a Director with a thousand
old (17.2) File daemons, each of which drops a TLS attempt only after 5 s,
needs over an hour for its first ``status all``.  The emulator connects to
(and probes) up to :data:`PARALLEL_CLIENTS` Clients concurrently, records
what each one's status would print, and prints the records in configuration
order when all are done: the text is what the sequential run prints, only
the waiting overlaps.  The probed handshake modes are saved as usual (the
state file is written once, at the end), so the next ``status all`` probes
nothing; ``.api 2`` then ``.clients`` lists each Client's ``handshake_mode``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import structlog
import trio

if TYPE_CHECKING:
    from daemons.director.console.interfaces import CommandSession

log = structlog.get_logger("bareosnet.director.console")

PARALLEL_CLIENTS = 1000  # connections to File daemons open at once (each is one descriptor)

ClientStatus = Callable[[Any, Any, str | None], Awaitable[None]]


class RecordedOutput:
    """What one Client's status sends to the console, kept until its turn comes."""

    def __init__(self, out: Any) -> None:
        self.api = out.api
        self.json = out.json
        self._calls: list[tuple[str, Any]] = []

    async def text(self, message: str | bytes) -> None:
        self._calls.append(("text", message))

    async def error(self, message: str) -> None:
        self._calls.append(("error", message))

    async def warning(self, message: str) -> None:
        self._calls.append(("warning", message))

    async def info(self, message: str) -> None:
        self._calls.append(("info", message))

    def set(self, key: str, value: Any) -> None:
        self._calls.append(("set", (key, value)))

    async def replay(self, out: Any) -> None:
        for kind, message in self._calls:
            if kind == "set":
                out.set(*message)
            else:
                await getattr(out, kind)(message)


class _RecordingSession:
    """The console session as one Client's status sees it: its output is recorded."""

    def __init__(self, session: CommandSession, out: RecordedOutput) -> None:
        self._session = session
        self.out = out

    def __getattr__(self, name: str) -> Any:
        return getattr(self._session, name)


async def all_clients_status(
    s: CommandSession, clients: list[Any], client_status: ClientStatus
) -> None:
    """Run ``client_status`` for every Client concurrently; print the results in order."""
    records = [RecordedOutput(s.out) for _ in clients]
    limiter = trio.CapacityLimiter(PARALLEL_CLIENTS)

    async def one(client: Any, record: RecordedOutput) -> None:
        async with limiter:
            await client_status(_RecordingSession(s, record), client, None)

    t0 = trio.current_time()
    with s.rt.modes.deferred_writes():
        async with trio.open_nursery() as nursery:
            for client, record in zip(clients, records, strict=True):
                nursery.start_soon(one, client, record)
    t1 = trio.current_time()
    async with s.out.batched():
        for record in records:
            await record.replay(s.out)
    log.info("status_all.done", clients=len(clients), asked_seconds=round(t1 - t0, 3),
             printed_seconds=round(trio.current_time() - t1, 3))  # fmt: skip
