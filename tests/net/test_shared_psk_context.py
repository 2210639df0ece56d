"""The acceptor shares one TLS context per config load when it reads no files."""

from __future__ import annotations

import attrs

from bareosnet.net.handshake import AcceptorSettings, _tls_first_context
from bareosnet.proto.connections import spec
from bareosnet.proto.cram import password_key
from bareosnet.proto.handshake import AcceptPlan
from bareosnet.tls.settings import TlsSettings
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
