"""Idle command sessions held without a task of their own.

A File daemon fleet holds thousands of authenticated Director sessions that
wait for their next command.  As trio tasks each would keep its coroutine
stack, a cancel scope and the task itself alive: about 4 KiB per connection,
a fifth of what the connection costs.  A session that stayed idle for
:data:`PARK_AFTER` seconds ends its task instead and leaves a *parked*
entry here: its socket, its idle deadline and how to go on.  One watcher
task per process waits on all parked sockets at once (its own epoll set)
and starts a new task for a session when its peer sends something, closes,
or its idle deadline passes; the session then carries on exactly where it
stopped (same command count, same deadline).

Parking is offered only to tasks the server started for an accepted
connection (:data:`PARKING` is set in that task's context), and only when
nothing is buffered above the socket.  At shutdown every parked session is
abandoned: its socket is closed without a goodbye, as a cancelled session
task would have done.
"""

from __future__ import annotations

import contextvars
import heapq
import select
from collections.abc import Coroutine
from typing import Any, Protocol

import structlog
import trio

log = structlog.get_logger("daemon.parking")

# Seconds a session waits in its own task before it parks: a Director that asks
# at once (status, probes, jobs) never pays for parking and waking.
PARK_AFTER = 2.0


class Parked:
    """What a command session hands its server when it parks (instead of ending).

    A session's own state object derives from it (no extra object per parked
    connection): ``fd`` is the socket to watch, ``deadline`` the trio time of
    the idle timeout.
    """

    __slots__ = ()
    fd: int
    deadline: float

    def resume(self) -> Coroutine[Any, Any, Parked | None]:
        """The session's rest, run in a new task (it may park again)."""
        raise NotImplementedError

    def abandon(self) -> None:
        """The session's own end-of-connection duties, without I/O (shutdown)."""
        raise NotImplementedError


PARKING: contextvars.ContextVar[IdleParking | None] = contextvars.ContextVar(
    "idle_parking", default=None
)


def parking_available() -> bool:
    parking = PARKING.get()
    return parking is not None and parking.accepts()


class Sleeper(Protocol):
    """What the server parks: a deadline, how to wake, how to give up."""

    @property
    def deadline(self) -> float: ...

    async def wake(self) -> None: ...

    def abandon(self) -> None: ...


class IdleParking:
    """The parked sessions of one process and the task that watches them."""

    def __init__(self) -> None:
        self._epoll = select.epoll()
        self._entries: dict[int, Sleeper] = {}
        self._deadlines: list[tuple[float, int]] = []  # lazily cleaned heap
        self._scope: trio.CancelScope | None = None
        self._nursery: trio.Nursery | None = None

    def __len__(self) -> int:
        return len(self._entries)

    def accepts(self) -> bool:
        """True while the watcher runs (not yet started, or stopped: no parking)."""
        return self._nursery is not None

    def park(self, fd: int, sleeper: Sleeper) -> None:
        """Watch ``fd``; run ``sleeper.wake()`` in a new task when it is readable or at
        ``sleeper.deadline``."""
        if self._nursery is None:
            raise RuntimeError("parking before the watcher runs")
        deadline = sleeper.deadline
        self._epoll.register(fd, select.EPOLLIN)
        self._entries[fd] = sleeper
        heapq.heappush(self._deadlines, (deadline, fd))
        if len(self._deadlines) > 2 * len(self._entries) + 64:
            self._deadlines = [(e.deadline, f) for f, e in self._entries.items()]
            heapq.heapify(self._deadlines)
        if self._scope is not None and deadline < self._scope.deadline:
            self._scope.deadline = deadline

    async def run(
        self, nursery: trio.Nursery, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED
    ) -> None:
        """The watcher: wakes parked sessions in ``nursery`` until cancelled."""
        self._nursery = nursery
        task_status.started()
        try:
            while True:
                with trio.CancelScope(deadline=self._next_deadline()) as scope:
                    self._scope = scope
                    await trio.lowlevel.wait_readable(self._epoll.fileno())
                self._scope = None
                while True:
                    events = self._epoll.poll(0)
                    for fd, _mask in events:
                        self._wake(fd)
                    if len(events) < 1000:
                        break
                now = trio.current_time()
                while self._deadlines and self._deadlines[0][0] <= now:
                    deadline, fd = heapq.heappop(self._deadlines)
                    entry = self._entries.get(fd)
                    if entry is not None and entry.deadline == deadline:
                        self._wake(fd)
        finally:
            self._nursery = None
            entries, self._entries = self._entries, {}
            self._deadlines = []
            for entry in entries.values():
                try:
                    entry.abandon()
                except Exception:  # one broken session must not keep the rest open
                    log.exception("parking.abandon_failed")
            self._epoll.close()

    def _next_deadline(self) -> float:
        while self._deadlines:
            deadline, fd = self._deadlines[0]
            entry = self._entries.get(fd)
            if entry is not None and entry.deadline == deadline:
                return deadline
            heapq.heappop(self._deadlines)
        return float("inf")

    def _wake(self, fd: int) -> None:
        entry = self._entries.pop(fd, None)
        if entry is None:
            return
        self._epoll.unregister(fd)
        assert self._nursery is not None
        self._nursery.start_soon(entry.wake)
