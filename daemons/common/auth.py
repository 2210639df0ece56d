"""The bridge between config resources and the transport's handshake runner.

Each daemon describes *who may connect* as a resolver (Hello -> AcceptPlan or
Refusal) and *which keys exist* as a PSK table; this module turns those into
:class:`AcceptorSettings`, and opens outgoing connections of any row of the
reference table with the right identity, key, policy and TLS mode.
"""

from __future__ import annotations

from collections.abc import Callable

import trio

from bareosnet.errors import ProtocolError
from bareosnet.net.handshake import (
    AcceptorSettings,
    ConnectionInfo,
    Resolver,
    handshake_as_connector,
    open_tcp,
)
from bareosnet.net.stream import BareosStream
from bareosnet.proto.connections import spec as connection_spec
from bareosnet.proto.handshake import ConnectorConfig
from bareosnet.proto.hello import Persona
from bareosnet.proto.names import ResourceType, parse_psk_identity, psk_identity
from bareosnet.tls.psk import PskCredentials
from bareosnet.tls.settings import TlsSettings

KeyTable = Callable[[ResourceType, str], bytes | None]


def psk_lookup_from(table: KeyTable) -> Callable[[str], bytes | None]:
    """Identity string -> key, through a (type, name) table; unknown -> None."""

    def lookup(identity: str) -> bytes | None:
        try:
            rtype, name = parse_psk_identity(identity)
        except ProtocolError:
            return None
        return table(rtype, name)

    return lookup


def acceptor_settings(
    resolver: Resolver,
    own_tls: TlsSettings,
    keys: KeyTable,
    *,
    persona: Persona,
    failure_delay: float,
    timeout: float = 60.0,
) -> AcceptorSettings:
    return AcceptorSettings(
        resolver=resolver,
        own_tls=own_tls,
        psk_lookup=psk_lookup_from(keys),
        persona=persona,
        timeout=timeout,
        failure_delay=failure_delay,
    )


def _connector(
    row: str,
    *,
    hello_name: str,
    own_name: str,
    key: bytes,
    tls: TlsSettings,
    persona: Persona,
    tls_first: bool | None,
    policy: int | None,
    version: str | None,
) -> tuple[ConnectorConfig, bool, PskCredentials | None]:
    """The connector's handshake parameters for ``row`` from one resource's settings.

    ``tls_first`` defaults to the resource's TLS Enable (never for a 17.2
    persona, which has no TLS-PSK); ``policy`` (our ``ssl=``) to the
    resource's policy.
    """
    spec = connection_spec(row)
    if tls_first is None:
        tls_first = tls.enable and persona.has_tls_psk
    psk = PskCredentials(psk_identity(spec.psk_type, hello_name), key) if tls_first else None
    config = ConnectorConfig(
        spec=spec,
        hello_name=hello_name,
        own_name=own_name,
        key=key,
        policy=tls.policy if policy is None else policy,
        persona=persona,
        version=version,
    )
    return config, tls_first, psk


async def authenticate(
    tcp: trio.abc.Stream,
    row: str,
    *,
    host: str,
    port: int,
    hello_name: str,
    own_name: str,
    key: bytes,
    tls: TlsSettings,
    persona: Persona = Persona.V26,
    tls_first: bool | None = None,
    policy: int | None = None,
    version: str | None = None,
    timeout: float = 60.0,
    require_psk: bool = False,
) -> tuple[BareosStream, ConnectionInfo]:
    """Run the connector's handshake of ``row`` on an already open TCP stream."""
    config, first, psk = _connector(
        row, hello_name=hello_name, own_name=own_name, key=key, tls=tls, persona=persona,
        tls_first=tls_first, policy=policy, version=version,
    )  # fmt: skip
    return await handshake_as_connector(
        tcp,
        config,
        peer_address=f"{host}:{port}",
        peer_host=host,
        tls_first=first,
        tls_settings=tls,
        psk=psk,
        timeout=timeout,
        require_psk=require_psk,
    )


async def open_connection(
    row: str,
    *,
    host: str,
    port: int,
    hello_name: str,
    own_name: str,
    key: bytes,
    tls: TlsSettings,
    persona: Persona = Persona.V26,
    tls_first: bool | None = None,
    policy: int | None = None,
    version: str | None = None,
    timeout: float = 60.0,
    connect_timeout: float = 15.0,
    require_psk: bool = False,
    heartbeat_interval: int = 0,
) -> tuple[BareosStream, ConnectionInfo]:
    """Connect as the connector of ``row`` and authenticate."""
    tcp = await open_tcp(
        host, port, connect_timeout=connect_timeout, heartbeat_interval=heartbeat_interval
    )
    return await authenticate(
        tcp, row, host=host, port=port, hello_name=hello_name, own_name=own_name, key=key,
        tls=tls, persona=persona, tls_first=tls_first, policy=policy, version=version,
        timeout=timeout, require_psk=require_psk,
    )  # fmt: skip


async def sleep_then_close(stream: BareosStream, seconds: float) -> None:
    if seconds > 0:
        await trio.sleep(seconds)
    await stream.aclose()
