"""python-bareos (the official client, from PyPI) against bareosnet acceptors."""

from __future__ import annotations

import bareos.bsock
import bareos.exceptions
import pytest
import trio

from bareosnet.errors import BareosError
from bareosnet.net.handshake import AcceptorSettings, ConnectionInfo, accept
from bareosnet.proto.connections import spec
from bareosnet.proto.cram import password_key
from bareosnet.proto.framing import Packet
from bareosnet.proto.handshake import AcceptPlan
from bareosnet.proto.names import USER_AGENT, psk_identity
from bareosnet.proto.policy import HandshakeMode
from bareosnet.proto.signals import Signal
from bareosnet.tls.settings import TlsSettings

PASSWORD = "console-secret"


async def serve_once(settings: AcceptorSettings, reply: bytes, results: list) -> int:
    listeners = await trio.open_tcp_listeners(0, host="127.0.0.1")
    port = listeners[0].socket.getsockname()[1]

    async def run(task_status=trio.TASK_STATUS_IGNORED):
        task_status.started()
        async with listeners[0]:
            tcp = await listeners[0].accept()
        try:
            stream, info = await accept(tcp, settings)
        except BareosError as exc:
            results.append(exc)
            return
        results.append(info)
        while True:
            try:
                frame = await stream.receive(timeout=10)
            except BareosError:
                break
            if not isinstance(frame, Packet):
                break
            results.append(frame.payload)
            await stream.send(reply)
            await stream.send_signal(Signal.EOD)
        await stream.aclose()

    return port, run


def console_settings(tls: TlsSettings, password: str = PASSWORD) -> AcceptorSettings:
    key = password_key(password)
    greeting = [b"1000\x1eOK: emu-dir Version: 26.0.0 (21 August 2026)",
                b"1002\x1eYou are connected using the default console"]  # fmt: skip
    return AcceptorSettings(
        resolver=lambda hello: AcceptPlan(spec("1"), key, tls.policy, "emu-dir",
                                          success=lambda enc: greeting),  # fmt: skip
        own_tls=tls,
        psk_lookup=lambda ident: key if ident == psk_identity("R_CONSOLE", USER_AGENT) else None,
        timeout=10,
        failure_delay=0,
    )


@pytest.mark.parametrize("tls_enable", [True, False])
async def test_director_console_logs_in(tls_enable):
    tls = TlsSettings(enable=tls_enable, require=tls_enable)
    results: list = []
    port, run = await serve_once(console_settings(tls), b"emu-dir Version: 26.0.0\n", results)

    def client() -> str:
        con = bareos.bsock.DirectorConsole(
            address="127.0.0.1", port=port, password=PASSWORD, tls_psk_enable=tls_enable,
            tls_psk_require=tls_enable,
        )  # fmt: skip
        out = con.call("version").decode()
        con.close()
        return out

    async with trio.open_nursery() as nursery:
        await nursery.start(run)
        text = await trio.to_thread.run_sync(client)
    info = results[0]
    assert isinstance(info, ConnectionInfo), info
    assert "emu-dir Version: 26.0.0" in text
    assert info.peer_name == USER_AGENT
    if tls_enable:
        assert info.mode is HandshakeMode.TLS_FIRST
        assert (info.tls_version, info.cipher) == ("TLSv1.3", "TLS_CHACHA20_POLY1305_SHA256")
        assert info.psk_identity == "R_CONSOLE\x1e*UserAgent*" and info.psk_used
    else:
        assert info.mode is HandshakeMode.CLEARTEXT_FIRST and info.tls_version is None
    # python-bareos sends "autodisplay off" after login, then our command.
    assert results[1:] == [b"autodisplay off", b"version"]


async def test_director_console_wrong_password_is_refused():
    results: list = []
    port, run = await serve_once(console_settings(TlsSettings(enable=False, require=False)), b"", results)

    def client() -> None:
        bareos.bsock.DirectorConsole(address="127.0.0.1", port=port, password="wrong", protocolversion=2,
                                     tls_psk_enable=False)  # fmt: skip

    async with trio.open_nursery() as nursery:
        await nursery.start(run)
        with pytest.raises(bareos.exceptions.AuthenticationError):
            await trio.to_thread.run_sync(client)
    assert isinstance(results[0], BareosError) and results[0].cause == "wrong-password"


@pytest.mark.parametrize("tls_enable", [True, False])
async def test_file_daemon_class_authenticates(tls_enable):
    tls = TlsSettings(enable=tls_enable, require=False)
    key = password_key("fd-secret")
    settings = AcceptorSettings(
        resolver=lambda hello: AcceptPlan(spec("3"), key, tls.policy, "emu-fd"),
        own_tls=tls,
        psk_lookup=lambda ident: key if ident == "R_DIRECTOR\x1ebareos-dir" else None,
        timeout=10,
        failure_delay=0,
    )
    results: list = []
    port, run = await serve_once(settings, b"emu-fd Version: 26.0.0\n", results)

    def client() -> str:
        fd = bareos.bsock.FileDaemon(address="127.0.0.1", port=port, name="bareos-dir",
                                     password="fd-secret", tls_psk_enable=tls_enable)  # fmt: skip
        out = fd.call("status").decode()
        fd.close()
        return out

    async with trio.open_nursery() as nursery:
        await nursery.start(run)
        text = await trio.to_thread.run_sync(client)
    info = results[0]
    assert isinstance(info, ConnectionInfo), info
    assert info.peer_name == "bareos-dir" and "emu-fd Version" in text
    assert results[1] == b"status"
    if tls_enable:
        assert info.psk_identity == "R_DIRECTOR\x1ebareos-dir" and info.tls_version == "TLSv1.3"
    else:
        assert info.mode is HandshakeMode.CLEARTEXT_FIRST
