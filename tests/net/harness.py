"""Two bareosnet endpoints over real loopback sockets, for transport tests."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import attrs
import trio

from bareosnet.errors import BareosError
from bareosnet.net.handshake import AcceptorSettings, ConnectionInfo, accept, connect
from bareosnet.net.stream import BareosStream
from bareosnet.proto.connections import ConnectionSpec
from bareosnet.proto.handshake import AcceptPlan, ConnectorConfig
from bareosnet.proto.hello import HelloKind, Persona
from bareosnet.proto.names import psk_identity
from bareosnet.tls.psk import PskCredentials
from bareosnet.tls.settings import TlsSettings

KEY = b"5ebe2294ecd0e0f08eab7690d2a6ee69"  # md5hex("secret")
JOB = "backup-bareos-fd.2026-11-27_01.00.00_04"


def hello_name(spec: ConnectionSpec) -> str:
    return JOB if spec.is_job_connection else "connector"


def plan_for(spec: ConnectionSpec, key: bytes, policy: int) -> AcceptPlan:
    success = None
    if spec.hello is HelloKind.CONSOLE:
        success = lambda enc: [b"1000\x1eOK: acceptor Version: 26.0.0 (21 August 2026)", b"1002\x1ehi"]  # noqa: E731
    elif spec.hello is HelloKind.CLIENT:
        success = lambda enc: [b"1000 OK: acceptor Version: 26.0.0 (21 August 2026)\n"]  # noqa: E731
    return AcceptPlan(spec, key, policy, "acceptor", success=success)


@attrs.define
class Outcome:
    connector: ConnectionInfo | BareosError | None = None
    acceptor: ConnectionInfo | BareosError | None = None
    seen_identities: list[str] = attrs.Factory(list)


async def run_pair(
    spec: ConnectionSpec,
    *,
    connector_tls: TlsSettings,
    acceptor_tls: TlsSettings,
    acceptor_policy: int | None = None,
    connector_key: bytes = KEY,
    acceptor_key: bytes = KEY,
    tls_first: bool | None = None,
    persona_c: Persona = Persona.V26,
    persona_a: Persona = Persona.V26,
    after: Callable[[BareosStream, BareosStream], Awaitable[None]] | None = None,
    timeout: float = 10,
    via: Callable[[int], Awaitable[int]] | None = None,
) -> Outcome:
    """Connect once; return what each side saw (a ConnectionInfo or the error).

    ``via``: given the acceptor's port, start something in between (a proxy) and
    return the port the connector should dial instead.
    """
    out = Outcome()
    name = hello_name(spec)
    policy = acceptor_tls.policy if acceptor_policy is None else acceptor_policy

    def lookup(identity: str) -> bytes | None:
        out.seen_identities.append(identity)
        return acceptor_key if identity == psk_identity(spec.psk_type, name) else None

    settings = AcceptorSettings(
        resolver=lambda hello: plan_for(spec, acceptor_key, policy),
        own_tls=acceptor_tls,
        psk_lookup=lookup,
        persona=persona_a,
        timeout=timeout,
        peek_timeout=min(5, timeout),
        failure_delay=0,
    )
    listeners = await trio.open_tcp_listeners(0, host="127.0.0.1")
    port = listeners[0].socket.getsockname()[1]
    streams: dict[str, BareosStream] = {}
    done = trio.Event()

    async def serve() -> None:
        tcp = await listeners[0].accept()
        try:
            stream, info = await accept(tcp, settings, peer_address="127.0.0.1")
            out.acceptor = info
            streams["a"] = stream
        except BareosError as exc:
            out.acceptor = exc
        await done.wait()

    async with trio.open_nursery() as nursery:
        nursery.start_soon(serve)
        if via is not None:
            port = await via(port)
        first = (connector_tls.enable and persona_c.has_tls_psk) if tls_first is None else tls_first
        cfg = ConnectorConfig(spec, name, "connector", connector_key, connector_tls.policy, persona_c)
        psk = PskCredentials(psk_identity(spec.psk_type, name), connector_key) if first else None
        try:
            with trio.fail_after(15):
                stream, info = await connect(
                    "127.0.0.1", port, cfg, tls_first=first, tls_settings=connector_tls, psk=psk,
                    timeout=timeout,
                )  # fmt: skip
            out.connector = info
            streams["c"] = stream
        except BareosError as exc:
            out.connector = exc
        with trio.fail_after(15):
            while out.acceptor is None:
                await trio.sleep(0.01)
        if after is not None and "a" in streams and "c" in streams:
            await after(streams["c"], streams["a"])
        done.set()
        for s in streams.values():
            await s.aclose()
    for lst in listeners:
        await lst.aclose()
    return out
