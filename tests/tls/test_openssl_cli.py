"""Interop with the ``openssl`` command line tool (s_server / s_client with -psk)."""

from __future__ import annotations

import shutil
import subprocess
from functools import partial
from typing import Any

import pytest
import trio

from bareosnet.tls.checks import describe
from bareosnet.tls.contexts import client_context
from bareosnet.tls.psk import PskCredentials
from bareosnet.tls.session import ServerTlsSession
from bareosnet.tls.settings import TlsSettings
from tests.tls.conftest import SECRET_KEY, USER_AGENT

OPENSSL = shutil.which("openssl")
pytestmark = pytest.mark.skipif(OPENSSL is None, reason="openssl binary missing")

# The PSK on the openssl command line is the hex of the ASCII md5-hex key bytes.
PSK_HEX = SECRET_KEY.hex()


async def _accept_port(proc: trio.Process) -> int:
    """Read s_server's stdout up to its "ACCEPT 127.0.0.1:<port>" line."""
    assert proc.stdout is not None
    seen = b""
    with trio.fail_after(5):
        while b"ACCEPT" not in seen or not seen.split(b"ACCEPT", 1)[1].count(b"\n"):
            chunk = await proc.stdout.receive_some(1024)
            if not chunk:
                raise AssertionError(f"s_server ended early: {seen!r}")
            seen += chunk
    line = seen.split(b"ACCEPT", 1)[1].split(b"\n", 1)[0]
    return int(line.rsplit(b":", 1)[1])


@pytest.mark.parametrize(
    ("server_args", "version", "cipher"),
    [
        ([], "TLSv1.3", "TLS_CHACHA20_POLY1305_SHA256"),
        # s_server has DH parameters built in, so the first PSK suite of our list wins.
        (["-tls1_2"], "TLSv1.2", "DHE-PSK-AES256-GCM-SHA384"),
    ],
)
async def test_our_client_against_s_server(
    server_args: list[str], version: str, cipher: str
) -> None:
    assert OPENSSL is not None
    cmd = [
        OPENSSL,
        "s_server",
        "-accept",
        "127.0.0.1:0",
        "-nocert",
        "-naccept",
        "1",
        "-rev",
        "-psk",
        PSK_HEX,
        "-psk_identity",
        USER_AGENT,
        *server_args,
    ]
    with trio.fail_after(10):
        async with trio.open_nursery() as nursery:
            proc: trio.Process = await nursery.start(
                partial(
                    trio.run_process,
                    cmd,
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.STDOUT,
                    check=False,
                )
            )
            port = await _accept_port(proc)
            tcp = await trio.open_tcp_stream("127.0.0.1", port)
            stream: trio.SSLStream[Any] = trio.SSLStream(
                tcp, client_context(TlsSettings(), PskCredentials(USER_AGENT, SECRET_KEY))
            )
            await stream.do_handshake()
            info = describe(stream, USER_AGENT)
            await stream.send_all(b"ping\n")
            echoed = await stream.receive_some(100)
            await tcp.aclose()
            rest = b""
            assert proc.stdout is not None
            while chunk := await proc.stdout.receive_some(4096):
                rest += chunk
    assert (info.version, info.cipher, info.psk_used, info.psk_identity) == (
        version,
        cipher,
        True,
        USER_AGENT,
    )
    assert echoed == b"gnip\n"  # s_server -rev answers the line reversed
    assert b"PSK warning" not in rest  # s_server saw exactly the identity it expected


@pytest.mark.parametrize(
    ("client_args", "version", "cipher"),
    [
        ([], "TLSv1.3", "TLS_CHACHA20_POLY1305_SHA256"),
        (["-tls1_2"], "TLSv1.2", "ECDHE-PSK-CHACHA20-POLY1305"),
    ],
)
async def test_s_client_against_our_server(
    client_args: list[str], version: str, cipher: str
) -> None:
    assert OPENSSL is not None
    session = ServerTlsSession(TlsSettings(), {USER_AGENT: SECRET_KEY}.get)
    listener = (await trio.open_tcp_listeners(0, host="127.0.0.1"))[0]
    port = listener.socket.getsockname()[1]
    seen: dict[str, Any] = {}

    async def serve() -> None:
        tcp = await listener.accept()
        stream: trio.SSLStream[Any] = trio.SSLStream(tcp, session.context, server_side=True)
        await stream.do_handshake()
        seen["info"] = session.check(stream)
        seen["data"] = await stream.receive_some(100)
        await tcp.aclose()

    cmd = [
        OPENSSL,
        "s_client",
        "-connect",
        f"127.0.0.1:{port}",
        "-brief",
        "-psk",
        PSK_HEX,
        "-psk_identity",
        USER_AGENT,
        *client_args,
    ]
    with trio.fail_after(10):
        async with trio.open_nursery() as nursery:
            nursery.start_soon(serve)
            result = await trio.run_process(
                cmd, stdin=b"ping\n", capture_stdout=True, capture_stderr=True, check=False
            )
    await listener.aclose()
    info = seen["info"]
    assert (info.version, info.cipher, info.psk_used, info.psk_identity) == (
        version,
        cipher,
        True,
        USER_AGENT,
    )
    assert session.offered_identity == USER_AGENT
    assert seen["data"] == b"ping\n"
    report = result.stderr.decode()
    assert f"Protocol version: {version}" in report
    assert f"Ciphersuite: {cipher}" in report
