"""Run one TLS client and one TLS server over a real 127.0.0.1 socket (trio)."""

from __future__ import annotations

import ssl
from collections.abc import Callable
from typing import Any

import attrs
import trio

from bareosnet.tls.checks import TlsInfo, describe
from bareosnet.tls.session import ServerTlsSession

Check = Callable[[trio.SSLStream[Any]], TlsInfo]


async def send_pending_alert(stream: trio.SSLStream[Any]) -> None:
    """Send the fatal alert OpenSSL queued when the handshake failed.

    trio.SSLStream marks itself broken and raises without flushing its
    outgoing buffer, so the peer would only see EOF; Bareos (socket BIO) sends
    the alert.  This reaches into trio's private ``_outgoing`` MemoryBIO.
    """
    pending = stream._outgoing.read()
    if pending:
        try:
            await stream.transport_stream.send_all(pending)
        except trio.BrokenResourceError:
            pass


@attrs.define
class SideResult:
    info: TlsInfo | None = None
    error: BaseException | None = None
    received: bytes = b""

    @property
    def failure(self) -> Any:
        """The recorded error (typed loosely: tests read ``__cause__.verify_code``)."""
        assert self.error is not None, "expected this side to fail"
        return self.error

    def unwrap(self) -> TlsInfo:
        assert self.error is None, (
            f"unexpected error: {self.error!r} (cause {self.error.__cause__!r})"
        )
        assert self.info is not None
        return self.info


@attrs.frozen
class PairResult:
    client: SideResult
    server: SideResult


async def run_pair(
    client_ctx: ssl.SSLContext,
    server: ServerTlsSession | ssl.SSLContext,
    *,
    client_check: Check | None = None,
    server_check: Check | None = None,
    client_identity: str | None = None,
    timeout: float = 5.0,
) -> PairResult:
    """Handshake, run each side's check, then exchange ``ping``/``pong``.

    The exchange makes failures that TLS 1.3 reports only after the client's
    handshake (e.g. a rejected client certificate) visible on both sides.
    """
    server_ctx = server.context if isinstance(server, ServerTlsSession) else server
    if server_check is None:
        if isinstance(server, ServerTlsSession):
            server_check = server.describe
        else:
            server_check = lambda s: describe(s, None)  # noqa: E731
    if client_check is None:
        client_check = lambda s: describe(s, client_identity)  # noqa: E731

    listeners = await trio.open_tcp_listeners(0, host="127.0.0.1")
    listener = listeners[0]
    port = listener.socket.getsockname()[1]
    cres, sres = SideResult(), SideResult()

    async def serve() -> None:
        tcp = await listener.accept()
        stream = trio.SSLStream(tcp, server_ctx, server_side=True)
        try:
            await stream.do_handshake()
            sres.info = server_check(stream)
            sres.received = bytes(await stream.receive_some(100))
            await stream.send_all(b"pong")
        except Exception as exc:  # noqa: BLE001 - recorded for the test to assert on
            sres.error = exc
            await send_pending_alert(stream)
        finally:
            await tcp.aclose()

    async def connect() -> None:
        tcp = await trio.open_tcp_stream("127.0.0.1", port)
        stream = trio.SSLStream(tcp, client_ctx, server_side=False)  # no SNI, like Bareos
        try:
            await stream.do_handshake()
            cres.info = client_check(stream)
            await stream.send_all(b"ping")
            cres.received = bytes(await stream.receive_some(100))
            if not cres.received:
                raise trio.BrokenResourceError("server closed without answering")
        except Exception as exc:  # noqa: BLE001
            cres.error = exc
            await send_pending_alert(stream)
        finally:
            await tcp.aclose()

    with trio.fail_after(timeout):
        async with trio.open_nursery() as nursery:
            nursery.start_soon(serve)
            nursery.start_soon(connect)
    await listener.aclose()
    return PairResult(cres, sres)
