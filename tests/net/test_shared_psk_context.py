"""The acceptor and the TLS-first connector share a TLS context per settings when it reads no files."""

from __future__ import annotations

import attrs
import trio

from bareosnet.errors import BareosError
from bareosnet.net.handshake import (
    AcceptorSettings,
    ConnectionInfo,
    _connector_context,
    _tls_first_context,
)
from bareosnet.proto.connections import spec
from bareosnet.proto.cram import password_key
from bareosnet.proto.handshake import AcceptPlan
from bareosnet.tls.psk import PskCredentials
from bareosnet.tls.settings import TlsSettings
from tests.net.harness import Outcome, run_pair
from tests.tls.conftest import pki  # noqa: F401  (fixture)

KEY = password_key("secret")


def _settings(tls: TlsSettings) -> AcceptorSettings:
    return AcceptorSettings(
        resolver=lambda hello: AcceptPlan(spec("3"), KEY, tls.policy, "fd"),
        own_tls=tls, psk_lookup=lambda ident: KEY,
    )  # fmt: skip


def test_psk_only_context_is_shared_per_settings() -> None:
    s = _settings(TlsSettings())
    assert _tls_first_context(s) is _tls_first_context(s)
    # the Director builds settings per connection: equal TLS settings share it
    assert _tls_first_context(_settings(TlsSettings())) is _tls_first_context(s)
    # other TLS settings (e.g. after a reload that changed them) get their own
    other = _settings(attrs.evolve(TlsSettings(), cipher_list="ECDHE-PSK-AES128-CBC-SHA256"))
    assert _tls_first_context(other) is not _tls_first_context(s)


def test_context_reading_files_is_rebuilt_per_connection(pki) -> None:  # noqa: F811
    leaf = pki.leaf("fd.example")
    tls = attrs.evolve(TlsSettings(), certificate=leaf.cert, key=leaf.key)
    s = _settings(tls)
    assert _tls_first_context(s) is not _tls_first_context(s)


def test_connector_shares_its_psk_context_only_without_files(pki) -> None:  # noqa: F811
    a = PskCredentials("R_DIRECTOR\x1ea", KEY)
    b = PskCredentials("R_DIRECTOR\x1eb", password_key("other"))
    assert _connector_context(TlsSettings(), a) is _connector_context(TlsSettings(), b)
    leaf = pki.leaf("dir.example")
    with_cert = attrs.evolve(TlsSettings(), certificate=leaf.cert, key=leaf.key)
    assert _connector_context(with_cert, a) is not _connector_context(with_cert, a)


async def test_concurrent_connectors_on_the_shared_context_offer_their_own_keys() -> None:
    # Right and wrong keys interleaved on one shared context: each handshake must
    # offer its own connection's key, whatever the others are doing meanwhile.
    tls = TlsSettings()
    outcomes: list[tuple[bool, Outcome]] = []

    async def one(right: bool) -> None:
        key = KEY if right else password_key("wrong")
        outcomes.append((right, await run_pair(spec("3"), connector_tls=tls, acceptor_tls=tls,
                                               connector_key=key, acceptor_key=KEY)))  # fmt: skip

    async with trio.open_nursery() as nursery:
        for i in range(6):
            nursery.start_soon(one, i % 2 == 0)
    assert len(outcomes) == 6
    for right, out in outcomes:
        if right:
            assert isinstance(out.connector, ConnectionInfo), out.connector
            assert out.connector.psk_used and out.connector.tls_version == "TLSv1.3"
        else:
            assert isinstance(out.connector, BareosError), out.connector
            assert isinstance(out.acceptor, BareosError), out.acceptor
