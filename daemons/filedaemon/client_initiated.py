"""Client-initiated connections (row 4): the File daemon calls its Directors.

For every FD Director resource with ``Connection From Client To Director =
yes`` one task keeps a connection open: connect to the resource's Address and
Port, ``Hello Client <fd> FdProtocolVersion=54 calling``, two-way CRAM-MD5,
``1000 OK: <dir> Version: ...``, then wait in silence (the Director drops
pooled connections that say anything).  When the Director sends its first
command, the connection becomes an ordinary command session in its own task,
and a fresh waiting connection is opened at once, as the real FD does.
Connect or authentication failures, and connections the Director drops
while they wait, are retried with a doubling back-off.
"""

from __future__ import annotations

import math
import socket
from typing import Any

import attrs
import structlog
import trio

from bareosnet.errors import BareosError
from bareosnet.net.stream import BareosStream
from bareosnet.proto.framing import SignalFrame
from daemons.common.auth import open_connection
from daemons.filedaemon.interfaces import FdDaemon
from daemons.filedaemon.session import serve_session

log = structlog.get_logger("bareos.fd.client_initiated")


@attrs.frozen
class Backoff:
    """Retry delays: ``initial`` doubling up to ``maximum`` seconds."""

    initial: float = 1.0
    maximum: float = 60.0

    def after(self, delay: float) -> float:
        return min(max(delay, self.initial) * 2, self.maximum)


def _enable_keepalive(stream: BareosStream) -> None:
    """TCP keep-alive on the waiting connection, so a vanished Director is noticed."""
    inner: Any = stream.stream
    for _ in range(4):
        if isinstance(inner, trio.SocketStream):
            try:
                inner.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
            except OSError:
                pass
            return
        inner = getattr(inner, "transport_stream", None) or getattr(inner, "inner", None)
        if inner is None:
            return


async def keep_connected(daemon: FdDaemon, director: str, backoff: Backoff) -> None:
    """Forever: hold one waiting connection to ``director`` (a Director resource name)."""
    delay = backoff.initial
    while True:
        cfg = daemon.config
        res = cfg.get("Director", director)
        if res is None or not res.get("ConnectionFromClientToDirector"):
            return  # a reload removed it
        host = res.get("Address")
        port = int(res.get("Port"))
        address = f"{host}:{port}"
        own = cfg.own().name
        if not host or res.password is None:
            log.error("client_initiated.unconfigured", director=director,
                      reason="the Director resource needs Address and Password")  # fmt: skip
            return
        try:
            stream, info = await open_connection(
                "4",
                host=host,
                port=port,
                hello_name=own,
                own_name=own,
                key=res.password.key,
                tls=res.tls,
                persona=daemon.options.persona,
                timeout=daemon.options.handshake_timeout,
            )
        except Exception as exc:  # BareosError, or a bug: never end the retry loop
            log.warning("client_initiated.failed", director=director, address=address,
                        error=str(exc) or type(exc).__name__, retry_in=delay)  # fmt: skip
            await trio.sleep(delay)
            delay = backoff.after(delay)
            continue
        delay = backoff.initial
        _enable_keepalive(stream)
        greeting = info.result.greeting[0] if info.result and info.result.greeting else None
        log.info("client_initiated.connected", director=director, address=address,
                 mode=info.mode.value, encryption=info.encryption_text, greeting=greeting)  # fmt: skip
        token = daemon.connection_opened(director)
        try:
            frame = await stream.receive(timeout=math.inf)
        except BareosError as exc:
            frame = None
            reason = str(exc)
        finally:
            daemon.connection_closed(token)
        if frame is None or isinstance(frame, SignalFrame):
            if isinstance(frame, SignalFrame):
                reason = f"Director sent {frame.signal.name}"
            log.info("client_initiated.lost", director=director, address=address,
                     reason=reason, retry_in=delay)  # fmt: skip
            await stream.aclose()
            await trio.sleep(delay)
            delay = backoff.after(delay)
            continue
        log.info("client_initiated.in_use", director=director, address=address)
        daemon.spawn(serve_session, daemon, stream, director=director, monitor=False, first=frame)


async def run_all(daemon: FdDaemon, backoff: Backoff) -> None:
    """One task per Director resource that wants client-initiated connections."""
    names = [
        r.name for r in daemon.config.all("Director") if r.get("ConnectionFromClientToDirector")
    ]
    if not names:
        return
    async with trio.open_nursery() as nursery:
        for name in names:
            nursery.start_soon(keep_connected, daemon, name, backoff)
