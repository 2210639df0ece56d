"""python-bareos (a real Bareos client library) against our server context: TLS layer only."""

from __future__ import annotations

from typing import Any

import pytest
import trio

from bareosnet.tls.session import ServerTlsSession
from bareosnet.tls.settings import TlsSettings
from tests.tls.conftest import SECRET_KEY, USER_AGENT

bsock = pytest.importorskip("bareos.bsock")


async def test_python_bareos_console_handshake_and_hello() -> None:
    session = ServerTlsSession(TlsSettings(), {USER_AGENT: SECRET_KEY}.get)
    listener = (await trio.open_tcp_listeners(0, host="127.0.0.1"))[0]
    port = listener.socket.getsockname()[1]
    seen: dict[str, Any] = {}

    async def serve() -> None:
        tcp = await listener.accept()
        stream: trio.SSLStream[Any] = trio.SSLStream(tcp, session.context, server_side=True)
        await stream.do_handshake()
        seen["info"] = session.check(stream, require_psk=True)
        data = b""
        while len(data) < 4 or len(data) < 4 + int.from_bytes(data[:4], "big"):
            data += await stream.receive_some(1024)
        seen["hello"] = data
        await tcp.aclose()  # no CRAM here: the client's login then fails, which is fine
        await listener.aclose()

    def console() -> None:
        try:
            bsock.DirectorConsole(
                address="127.0.0.1",
                port=port,
                password="secret",
                timeout=5,
                tls_psk_require=True,
            )
        except Exception as exc:  # noqa: BLE001 - the login cannot succeed
            seen["client_error"] = exc

    with trio.fail_after(10):
        async with trio.open_nursery() as nursery:
            nursery.start_soon(serve)
            await trio.to_thread.run_sync(console)

    info = seen["info"]
    assert (info.version, info.cipher, info.psk_used, info.psk_identity) == (
        "TLSv1.3",
        "TLS_CHACHA20_POLY1305_SHA256",
        True,
        USER_AGENT,
    )
    assert seen["hello"][4:].startswith(b"Hello *UserAgent* calling")
    assert "client_error" in seen
