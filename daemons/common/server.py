"""The long-running part every emulator shares.

Listeners on the configured addresses, one nursery task per connection (a
failing connection is logged and closed, the daemon goes on), SIGHUP reload,
SIGINT/SIGTERM clean stop, and a structlog context (daemon, peer, connection
id) bound for everything a connection logs.  An idle command session may
*park* instead (:mod:`daemons.common.idle_parking`): its task ends, the
connection stays open and counted, and a new task carries on when it wakes.
"""

from __future__ import annotations

import itertools
import signal
from collections import Counter
from collections.abc import AsyncIterator, Callable, Coroutine, Sequence
from typing import Any, Protocol

import attrs
import structlog
import trio

from bareosnet.errors import BareosError
from daemons.common.idle_parking import PARKING, IdleParking, Parked

log = structlog.get_logger("daemon")
_ids = itertools.count(1)
_stop_requested = False


def request_stop() -> None:
    """A stop signal arrived before serve() could receive it itself."""
    global _stop_requested
    _stop_requested = True


@attrs.frozen
class ConnectionLimits:
    """How many connections a daemon serves at once, and what a refused peer gets.

    Bareos's File and Storage daemons refuse new connections once their jobs and
    control sessions reach ``Maximum Concurrent Jobs`` (the FD without a word, the
    SD with BNET_TERMINATE); ``per_peer`` keeps one noisy address from taking them all.
    """

    total: int | None = None
    per_peer: int | None = 100
    refusal: bytes = b""


class Daemon(Protocol):
    """What :func:`serve` needs from an emulator."""

    daemon_name: str  # "bareos-dir-emu" ...

    def listen_addresses(self) -> Sequence[tuple[str, int]]: ...

    async def handle_connection(self, stream: trio.SocketStream, peer: str) -> Parked | None: ...

    def reload(self) -> None: ...

    async def run_background(self, nursery: trio.Nursery) -> None: ...

    async def shutdown(self) -> None: ...


class _Admission:
    """Counts live connections, in total and per peer address."""

    def __init__(self, daemon: Daemon) -> None:
        self.daemon = daemon
        self.total = 0
        self.per_peer: Counter[str] = Counter()

    def limits(self) -> ConnectionLimits:
        get = getattr(self.daemon, "connection_limits", None)
        return get() if get is not None else ConnectionLimits()

    def refusal_reason(self, host: str, limits: ConnectionLimits) -> str | None:
        if limits.total is not None and self.total >= limits.total:
            return f"{self.total} connections already (limit {limits.total})"
        if limits.per_peer is not None and self.per_peer[host] >= limits.per_peer:
            return f"{self.per_peer[host]} connections from {host} already (limit {limits.per_peer})"
        return None


async def _refuse(stream: trio.SocketStream, data: bytes) -> None:
    with trio.move_on_after(2):
        try:
            if data:
                await stream.send_all(data)
        except (trio.BrokenResourceError, trio.ClosedResourceError, OSError):
            pass
    await trio.aclose_forcefully(stream)


class _Connection:
    """One accepted connection: what its end owes, kept while its session is parked."""

    __slots__ = ("admission", "conn", "daemon", "host", "parked", "parking", "peer",
                 "resource", "stream")  # fmt: skip

    def __init__(self, daemon: Daemon, stream: trio.SocketStream, admission: _Admission,
                 host: str, peer: str, parking: IdleParking | None) -> None:  # fmt: skip
        self.daemon, self.stream, self.admission = daemon, stream, admission
        self.host, self.peer, self.parking = host, peer, parking
        self.conn = next(_ids)
        self.resource: str | None = None
        self.parked: Parked | None = None

    def bind_log_context(self) -> None:
        # Bound in the connection's own task (a fresh context copy): no reset needed,
        # and no context-manager generator stays alive for the whole session.
        fields: dict[str, Any] = {"conn": self.conn, "peer": self.peer}
        if self.resource is not None:
            fields["resource"] = self.resource
        structlog.contextvars.bind_contextvars(**fields)

    async def serve(self, work: Coroutine[Any, Any, Any]) -> None:
        """Run the daemon's handling (or a parked session's rest); end or park after it."""
        parked: Parked | None = None
        try:
            result = await work
            if isinstance(result, Parked):
                if self.parking is not None and self.parking.accepts():
                    parked = result
                else:  # nobody to hold it (shutting down): end it here
                    result.abandon()
        except BareosError as exc:
            log.warning("connection.ended", reason=str(exc), error=type(exc).__name__)
        except (trio.BrokenResourceError, trio.ClosedResourceError) as exc:
            log.info("connection.lost", reason=str(exc) or type(exc).__name__)
        except trio.Cancelled:
            raise
        except Exception:  # a bug must end one connection, never the daemon
            log.exception("connection.crashed")
        finally:
            if parked is None:
                await self._close()
        if parked is not None:
            assert self.parking is not None
            self.parked = parked
            self.resource = structlog.contextvars.get_contextvars().get("resource")
            try:
                self.parking.park(parked.fd, self)
            except (OSError, RuntimeError) as exc:  # e.g. epoll refused the descriptor
                log.warning("connection.park_failed", error=str(exc))
                self.abandon()

    # -- the parked session, as the parking watcher sees it
    @property
    def deadline(self) -> float:
        assert self.parked is not None
        return self.parked.deadline

    async def wake(self) -> None:
        parked, self.parked = self.parked, None
        assert parked is not None
        self.bind_log_context()
        PARKING.set(self.parking)
        await self.serve(parked.resume())

    def abandon(self) -> None:
        parked, self.parked = self.parked, None
        try:
            if parked is not None:
                parked.abandon()
        finally:
            self.stream.socket.close()  # no goodbye, as for a cancelled session task
            self._leave()

    async def _close(self) -> None:
        try:
            await trio.aclose_forcefully(self.stream)
            log.debug("connection.closed")
        finally:
            self._leave()

    def _leave(self) -> None:
        admission, host = self.admission, self.host
        admission.total -= 1
        admission.per_peer[host] -= 1
        if not admission.per_peer[host]:
            del admission.per_peer[host]


async def _admitted(
    daemon: Daemon,
    stream: trio.SocketStream,
    admission: _Admission,
    host: str,
    peer: str,
    parking: IdleParking | None = None,
) -> None:
    admission.total += 1
    admission.per_peer[host] += 1
    connection = _Connection(daemon, stream, admission, host, peer, parking)
    connection.bind_log_context()
    log.debug("connection.accepted")
    if parking is not None:
        PARKING.set(parking)  # this task's context only: sessions it runs may park
    await connection.serve(daemon.handle_connection(stream, peer))


async def _accept_loop(listener: trio.SocketListener, daemon: Daemon, nursery: trio.Nursery,
                       admission: _Admission, parking: IdleParking | None = None) -> None:  # fmt: skip
    async with listener:
        while True:
            try:
                stream = await listener.accept()
            except OSError as exc:  # EMFILE and friends: back off, keep serving
                log.warning("accept.failed", error=str(exc))
                await trio.sleep(0.1)
                continue
            try:
                address = stream.socket.getpeername()
                host, peer = str(address[0]), f"{address[0]}:{address[1]}"
            except OSError:
                host = peer = "?"
            limits = admission.limits()
            reason = admission.refusal_reason(host, limits)
            if reason is not None:
                log.warning("connection.refused", peer=host, reason=reason)
                nursery.start_soon(_refuse, stream, limits.refusal)
                continue
            nursery.start_soon(_admitted, daemon, stream, admission, host, peer, parking)


async def _signals(reload: Callable[[], None], cancel_scope: trio.CancelScope,
                   signals: AsyncIterator[int]) -> None:  # fmt: skip
    async for signum in signals:
        if signum == signal.SIGHUP:
            log.info("reload.requested")
            try:
                reload()
            except Exception as exc:  # a bad config keeps the old one
                log.error("reload.failed", reason=str(exc))
        else:
            log.info("daemon.stopping", signal=signal.Signals(signum).name)
            cancel_scope.cancel()
            return


async def serve(
    daemon: Daemon, *, task_status: trio.TaskStatus[list[int]] = trio.TASK_STATUS_IGNORED
) -> None:
    """Serve until SIGINT/SIGTERM (or cancellation); returns cleanly."""
    listeners: list[trio.SocketListener] = []
    prebound = getattr(daemon, "prebound_sockets", None)
    if prebound:  # --workers: the parent bound them (SO_REUSEPORT), this worker accepts
        listeners = [trio.SocketListener(trio.socket.from_stdlib_socket(s)) for s in prebound]
    for host, port in [] if prebound else daemon.listen_addresses():
        listeners += await trio.open_tcp_listeners(port, host=host)
    ports = [lst.socket.getsockname()[1] for lst in listeners]
    # The receiver is installed before we announce that we listen (whoever waits for that
    # line may signal us at once) and stays until serve() returns: a second SIGTERM during
    # the shutdown must not fall through to the default action and kill the process.
    with trio.open_signal_receiver(signal.SIGHUP, signal.SIGTERM, signal.SIGINT) as signals:
        if _stop_requested:
            log.info("daemon.stopping", signal="before start")
            for listener in listeners:
                await listener.aclose()
            return
        log.info("daemon.listening", daemon=daemon.daemon_name, addresses=[
            f"{lst.socket.getsockname()[0]}:{lst.socket.getsockname()[1]}" for lst in listeners])  # fmt: skip
        await _serve(daemon, listeners, ports, signals, task_status)


async def _serve(
    daemon: Daemon,
    listeners: list[trio.SocketListener],
    ports: list[int],
    signals: AsyncIterator[int],
    task_status: trio.TaskStatus[list[int]],
) -> None:
    try:
        async with trio.open_nursery() as nursery:
            nursery.start_soon(_signals, daemon.reload, nursery.cancel_scope, signals)
            admission = _Admission(daemon)
            parking = IdleParking()
            await nursery.start(parking.run, nursery)
            for listener in listeners:
                nursery.start_soon(_accept_loop, listener, daemon, nursery, admission, parking)
            nursery.start_soon(daemon.run_background, nursery)
            task_status.started(ports)
    finally:
        with trio.CancelScope(shield=True), trio.move_on_after(5):
            await daemon.shutdown()


# ---------------------------------------------------------------- many daemons, one process


def _summary(addresses: list[str]) -> list[str]:
    return addresses if len(addresses) <= 6 else [*addresses[:3], "...", *addresses[-2:]]


async def _with_context(fields: dict[str, Any], fn: Callable[..., Any], *args: Any) -> None:
    # Everything this task starts inherits the context: each member's lines name it.
    with structlog.contextvars.bound_contextvars(**fields):
        await fn(*args)


async def _open_group_listeners(daemons: Sequence[Daemon]) -> list[tuple[Daemon, trio.SocketListener]]:
    opened: list[tuple[Daemon, trio.SocketListener]] = []
    try:
        for daemon in daemons:
            for host, port in daemon.listen_addresses():
                opened += [(daemon, lst) for lst in await trio.open_tcp_listeners(port, host=host)]
    except BaseException:
        for _, lst in opened:
            lst.socket.close()
        raise
    return opened


async def serve_group(
    daemons: Sequence[Daemon],
    reload: Callable[[], None],
    *,
    name: str,
    task_status: trio.TaskStatus[list[int]] = trio.TASK_STATUS_IGNORED,
) -> None:
    """Serve several daemons in one process until SIGINT/SIGTERM (a File daemon fleet).

    Each daemon keeps its own listeners and its own connection limits (the
    per-peer cap counts per daemon, so one Director reaching every member
    is never refused); the process has one signal receiver, and SIGHUP
    calls ``reload`` once for the whole group.  Log lines of a daemon's
    connections carry its ``resource`` name.
    """
    pairs = await _open_group_listeners(daemons)
    ports = [lst.socket.getsockname()[1] for _, lst in pairs]
    with trio.open_signal_receiver(signal.SIGHUP, signal.SIGTERM, signal.SIGINT) as signals:
        if _stop_requested:
            log.info("daemon.stopping", signal="before start")
            for _, lst in pairs:
                await lst.aclose()
            task_status.started([])
            return
        addresses = [f"{lst.socket.getsockname()[0]}:{lst.socket.getsockname()[1]}" for _, lst in pairs]
        log.info("daemon.listening", daemon=name, daemons=len(daemons), listeners=len(pairs),
                 addresses=_summary(addresses))  # fmt: skip
        try:
            async with trio.open_nursery() as nursery:
                nursery.start_soon(_signals, reload, nursery.cancel_scope, signals)
                admissions = {id(d): _Admission(d) for d in daemons}
                parking = IdleParking()  # one watcher for every member's idle sessions
                await nursery.start(parking.run, nursery)
                for daemon, lst in pairs:
                    fields = {"resource": getattr(daemon, "name", None)}
                    nursery.start_soon(_with_context, fields, _accept_loop, lst, daemon, nursery,
                                       admissions[id(daemon)], parking)  # fmt: skip
                for daemon in daemons:
                    fields = {"resource": getattr(daemon, "name", None)}
                    nursery.start_soon(_with_context, fields, daemon.run_background, nursery)
                task_status.started(ports)
        finally:
            with trio.CancelScope(shield=True), trio.move_on_after(10):
                for daemon in daemons:
                    await daemon.shutdown()
