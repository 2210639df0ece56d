"""No login waits on Nagle + delayed ACK (issue 10).

Real peers (Directors, consoles, python-bareos) leave TCP_NODELAY off.  With
TLS 1.3 the client's Finished is its last handshake flight; if the server
then sends nothing, the client's Hello sits in the Nagle buffer until our
delayed ACK fires, about 40 ms later.  Each case logs in with a plain
blocking client without TCP_NODELAY and asserts on the median of several
logins, so one slow scheduling hiccup cannot fail it but a stall always does.
"""

from __future__ import annotations

import socket
import ssl
import statistics

import pytest
import trio

from bareosnet.errors import BareosError
from bareosnet.net.handshake import AcceptorSettings, accept
from bareosnet.proto.connections import spec
from bareosnet.proto.cram import password_key
from bareosnet.proto.handshake import AcceptPlan
from bareosnet.testing.login import LoginResult, director_to_fd, login
from bareosnet.tls.settings import TlsSettings
from tests.tls.conftest import pki  # noqa: F401  (fixture)

KEY = password_key("secret")
STALL_FREE_MS = 35.0  # a stall costs >= 40 ms on Linux; a login here takes ~3 ms


async def _serve_logins(tls: TlsSettings, clients: list) -> list[LoginResult]:  # type: ignore[type-arg]
    settings = AcceptorSettings(
        resolver=lambda hello: AcceptPlan(spec("3"), KEY, tls.policy, "stall-fd"),
        own_tls=tls, psk_lookup=lambda ident: KEY, timeout=10, failure_delay=0,
    )  # fmt: skip
    listeners = await trio.open_tcp_listeners(0, host="127.0.0.1")
    port = listeners[0].socket.getsockname()[1]
    results: list[LoginResult] = []

    async def serve() -> None:
        async with trio.open_nursery() as nursery:
            while True:
                tcp = await listeners[0].accept()

                async def one(tcp: trio.SocketStream = tcp) -> None:
                    try:
                        s, _ = await accept(tcp, settings)
                        await s.aclose()
                    except BareosError:
                        pass

                nursery.start_soon(one)

    async with trio.open_nursery() as nursery:
        nursery.start_soon(serve)
        for make in clients:
            results.append(await trio.to_thread.run_sync(login, make(port)))
        nursery.cancel_scope.cancel()
    return results


def _check(results: list[LoginResult], version: str | None) -> None:
    assert all(r.ok for r in results), results
    assert {r.tls_version for r in results} == {version}
    ms = [r.seconds * 1000 for r in results]
    assert statistics.median(ms) < STALL_FREE_MS, f"logins took {ms} ms"


@pytest.mark.parametrize(
    ("protocol", "version"), [(None, "TLSv1.3"), ("-ALL,TLSv1.2", "TLSv1.2")]
)
async def test_psk_login_without_nodelay_has_no_stall(protocol, version) -> None:  # type: ignore[no-untyped-def]
    tls_max = ssl.TLSVersion.TLSv1_3 if version == "TLSv1.3" else ssl.TLSVersion.TLSv1_2
    make = lambda port: director_to_fd("127.0.0.1", port, "bareos-dir", "secret", tls_max=tls_max)  # noqa: E731
    _check(await _serve_logins(TlsSettings(protocol=protocol), [make] * 7), version)


async def test_cleartext_login_without_nodelay_has_no_stall() -> None:
    make = lambda port: director_to_fd("127.0.0.1", port, "bareos-dir", "secret", tls=False)  # noqa: E731
    _check(await _serve_logins(TlsSettings(enable=False, require=False), [make] * 7), None)


async def test_certificate_login_without_nodelay_has_no_stall(pki) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    leaf = pki.leaf("localhost", "localhost", "127.0.0.1")
    ctx = ssl.create_default_context(cafile=pki.ca_file)
    ctx.check_hostname = False
    make = lambda port: director_to_fd("127.0.0.1", port, "bareos-dir", "secret", context=ctx)  # noqa: E731
    tls = TlsSettings(certificate=leaf.cert, key=leaf.key)
    _check(await _serve_logins(tls, [make] * 7), "TLSv1.3")


def test_login_client_really_leaves_nagle_on(monkeypatch: pytest.MonkeyPatch) -> None:
    # The stall tests only mean something if the client behaves like a real peer.
    seen: list[int] = []
    real = socket.create_connection

    def spy(*a, **kw):  # type: ignore[no-untyped-def]
        sock = real(*a, **kw)
        seen.append(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
        return sock

    with socket.create_server(("127.0.0.1", 0)) as srv:
        port = srv.getsockname()[1]
        monkeypatch.setattr(socket, "create_connection", spy)
        with pytest.raises(OSError):
            login(director_to_fd("127.0.0.1", port, "d", "p", tls=False, timeout=0.2))
    assert seen == [0]
