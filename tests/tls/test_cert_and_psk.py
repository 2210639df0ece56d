"""A resource with certificates AND PSK (reference section 14), and PSK with TLS Verify Peer."""

from __future__ import annotations

import ssl

import pytest

from bareosnet.errors import TlsError
from bareosnet.tls.checks import check_after_handshake, classify_ssl_error
from bareosnet.tls.contexts import client_context
from bareosnet.tls.psk import PskCredentials
from bareosnet.tls.session import ServerTlsSession
from bareosnet.tls.settings import TlsSettings
from tests.tls.conftest import SECRET_KEY, USER_AGENT
from tests.tls.pairs import run_pair

LOOKUP = {USER_AGENT: SECRET_KEY}.get
PSK = PskCredentials(USER_AGENT, SECRET_KEY)


@pytest.fixture(scope="module")
def director_settings(pki):  # type: ignore[no-untyped-def]
    leaf = pki.leaf("bareos-dir.example")
    # What section 14's Director had: certificate, key, CA file, nothing else.
    return TlsSettings(certificate=leaf.cert, key=leaf.key, ca_certificate_file=pki.ca_file)


def psk_client_check(settings: TlsSettings, *, require_psk: bool = False):  # type: ignore[no-untyped-def]
    return lambda s: check_after_handshake(
        s,
        settings,
        server_side=False,
        psk_meant=True,
        peer_host="127.0.0.1",
        psk_identity=USER_AGENT,
        require_psk=require_psk,
    )


async def test_psk_only_client_gets_certificate_session_like_bareos(director_settings) -> None:  # type: ignore[no-untyped-def]
    session = ServerTlsSession(director_settings, LOOKUP)
    result = await run_pair(
        client_context(TlsSettings(), PSK),
        session,
        client_check=psk_client_check(TlsSettings()),
        server_check=session.check,
    )
    client, server = result.client.unwrap(), result.server.unwrap()
    # bconsole against such a Director prints "TLS_AES_256_GCM_SHA384 TLSv1.3" and goes on.
    assert client.encryption == server.encryption == "TLS_AES_256_GCM_SHA384 TLSv1.3"
    assert (client.psk_used, server.psk_used) == (False, False)
    assert (client.psk_identity, server.psk_identity) == (None, None)
    assert client.peer_cn == "bareos-dir.example"
    # The PSK callback ran and found the key; OpenSSL dropped the PSK for the SHA-384 suite.
    assert session.found_identity == USER_AGENT
    assert result.client.received == b"pong"


async def test_require_psk_refuses_the_certificate_session(director_settings) -> None:  # type: ignore[no-untyped-def]
    session = ServerTlsSession(director_settings, LOOKUP)
    result = await run_pair(
        client_context(TlsSettings(), PSK),
        session,
        client_check=psk_client_check(TlsSettings(), require_psk=True),
        server_check=lambda s: session.check(s, require_psk=True),
    )
    for err in (result.client.failure, result.server.failure):
        assert isinstance(err, TlsError) and err.cause == "not-psk"
        assert "TLS_AES_256_GCM_SHA384" in str(err)


async def test_psk_client_that_verifies_rejects_the_self_made_certificate(
    director_settings, other_pki
) -> None:  # type: ignore[no-untyped-def]
    # Like python-bareos (CERT_REQUIRED by default): the certificate session is refused.
    verifying = TlsSettings(verify_peer=True, ca_certificate_file=other_pki.ca_file)
    session = ServerTlsSession(director_settings, LOOKUP)
    result = await run_pair(client_context(verifying, PSK), session)
    err = classify_ssl_error(result.client.failure, server_side=False, psk_identity=USER_AGENT)
    assert err.cause == "untrusted"
    assert session.classify_error(result.server.failure).cause == "untrusted"


async def test_psk_client_capped_at_tls12_still_gets_psk(director_settings) -> None:  # type: ignore[no-untyped-def]
    client = client_context(TlsSettings(), PSK)
    client.maximum_version = ssl.TLSVersion.TLSv1_2
    session = ServerTlsSession(director_settings, LOOKUP)
    result = await run_pair(client, session, client_identity=USER_AGENT)
    # Our PSK-only client offers only PSK-authenticated suites below TLS 1.3.
    assert result.server.unwrap().cipher == "ECDHE-PSK-CHACHA20-POLY1305"
    assert result.server.unwrap().psk_identity == USER_AGENT


async def test_keep_psk_with_certificate_extra(director_settings) -> None:  # type: ignore[no-untyped-def]
    session = ServerTlsSession(director_settings, LOOKUP, keep_psk_with_certificate=True)
    result = await run_pair(client_context(TlsSettings(), PSK), session, client_identity=USER_AGENT)
    for info in (result.client.unwrap(), result.server.unwrap()):
        assert (info.cipher, info.psk_used, info.psk_identity, info.peer_cn) == (
            "TLS_CHACHA20_POLY1305_SHA256",
            True,
            USER_AGENT,
            None,
        )
    # A client without PSK still gets the certificate (on a SHA-256 suite).
    result = await run_pair(client_context(TlsSettings(), None), session)
    assert result.client.unwrap().cipher == "TLS_CHACHA20_POLY1305_SHA256"
    assert result.client.unwrap().peer_cn == "bareos-dir.example"


async def test_client_verify_peer_fails_a_psk_session_like_bareos(pki) -> None:  # type: ignore[no-untyped-def]
    # Bareos's client with TLS Verify Peer = yes checks the server certificate after the
    # handshake; a PSK session has none, so the connection is refused.
    verifying = TlsSettings(verify_peer=True, ca_certificate_file=pki.ca_file)
    session = ServerTlsSession(TlsSettings(), LOOKUP)
    result = await run_pair(
        client_context(verifying, PSK), session, client_check=psk_client_check(verifying)
    )
    err = result.client.error
    assert isinstance(err, TlsError) and err.cause == "untrusted"
    assert "presented no certificate" in str(err)
    assert result.server.info is not None and result.server.info.psk_used is True


async def test_server_allowed_cn_refuses_psk_clients(pki) -> None:  # type: ignore[no-untyped-def]
    leaf = pki.leaf("bareos-dir.example")
    strict = TlsSettings(
        certificate=leaf.cert,
        key=leaf.key,
        ca_certificate_file=pki.ca_file,
        verify_peer=True,
        allowed_cns=("bareos-fd.example",),
    )
    session = ServerTlsSession(strict, LOOKUP, keep_psk_with_certificate=True)
    result = await run_pair(client_context(TlsSettings(), PSK), session, server_check=session.check)
    err = result.server.error
    assert isinstance(err, TlsError) and err.cause == "cn-not-allowed"
    # Without Allowed CN, TLS Verify Peer alone lets a PSK session through (no CertificateRequest).
    lenient = TlsSettings(
        certificate=leaf.cert, key=leaf.key, ca_certificate_file=pki.ca_file, verify_peer=True
    )
    session = ServerTlsSession(lenient, LOOKUP, keep_psk_with_certificate=True)
    result = await run_pair(client_context(TlsSettings(), PSK), session, server_check=session.check)
    assert result.server.unwrap().psk_identity == USER_AGENT
