"""The long-running part every emulator shares.

Listeners on the configured addresses, one nursery task per connection (a
failing connection is logged and closed, the daemon goes on), SIGHUP reload,
SIGINT/SIGTERM clean stop, and a structlog context (daemon, peer, connection
id) bound for everything a connection logs.
"""

from __future__ import annotations

import itertools
import signal
from collections.abc import Sequence
from typing import Protocol

import structlog
import trio

from bareosnet.errors import BareosError

log = structlog.get_logger("daemon")
_ids = itertools.count(1)


class Daemon(Protocol):
    """What :func:`serve` needs from an emulator."""

    daemon_name: str  # "bareos-dir-emu" ...

    def listen_addresses(self) -> Sequence[tuple[str, int]]: ...

    async def handle_connection(self, stream: trio.SocketStream, peer: str) -> None: ...

    def reload(self) -> None: ...

    async def run_background(self, nursery: trio.Nursery) -> None: ...

    async def shutdown(self) -> None: ...


async def _handle(daemon: Daemon, stream: trio.SocketStream) -> None:
    try:
        host, port = stream.socket.getpeername()[:2]
        peer = f"{host}:{port}"
    except OSError:
        peer = "?"
    conn_id = next(_ids)
    with structlog.contextvars.bound_contextvars(conn=conn_id, peer=peer):
        log.debug("connection.accepted")
        try:
            await daemon.handle_connection(stream, peer)
        except BareosError as exc:
            log.warning("connection.ended", reason=str(exc), error=type(exc).__name__)
        except (trio.BrokenResourceError, trio.ClosedResourceError) as exc:
            log.info("connection.lost", reason=str(exc) or type(exc).__name__)
        except trio.Cancelled:
            raise
        except Exception:  # a bug must end one connection, never the daemon
            log.exception("connection.crashed")
        finally:
            await trio.aclose_forcefully(stream)
            log.debug("connection.closed")


async def _accept_loop(listener: trio.SocketListener, daemon: Daemon, nursery: trio.Nursery) -> None:
    async with listener:
        while True:
            try:
                stream = await listener.accept()
            except OSError as exc:  # EMFILE and friends: back off, keep serving
                log.warning("accept.failed", error=str(exc))
                await trio.sleep(0.1)
                continue
            nursery.start_soon(_handle, daemon, stream)


async def _signals(daemon: Daemon, cancel_scope: trio.CancelScope) -> None:
    with trio.open_signal_receiver(signal.SIGHUP, signal.SIGTERM, signal.SIGINT) as signals:
        async for signum in signals:
            if signum == signal.SIGHUP:
                log.info("reload.requested")
                try:
                    daemon.reload()
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
    for host, port in daemon.listen_addresses():
        listeners += await trio.open_tcp_listeners(port, host=host)
    ports = [lst.socket.getsockname()[1] for lst in listeners]
    log.info("daemon.listening", daemon=daemon.daemon_name, addresses=[
        f"{lst.socket.getsockname()[0]}:{lst.socket.getsockname()[1]}" for lst in listeners])  # fmt: skip
    try:
        async with trio.open_nursery() as nursery:
            nursery.start_soon(_signals, daemon, nursery.cancel_scope)
            for listener in listeners:
                nursery.start_soon(_accept_loop, listener, daemon, nursery)
            nursery.start_soon(daemon.run_background, nursery)
            task_status.started(ports)
    finally:
        with trio.CancelScope(shield=True), trio.move_on_after(5):
            await daemon.shutdown()
