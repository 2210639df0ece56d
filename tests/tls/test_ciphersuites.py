"""TLS Cipher Suites and TLS Protocol through the ctypes binding, and its safety checks."""

from __future__ import annotations

import ssl

import pytest

from bareosnet.errors import TlsError
from bareosnet.tls import ciphersuites
from bareosnet.tls.contexts import client_context, server_context
from bareosnet.tls.psk import PskCredentials
from bareosnet.tls.session import ServerTlsSession
from bareosnet.tls.settings import TlsSettings
from tests.tls.conftest import SECRET_KEY, USER_AGENT
from tests.tls.pairs import run_pair

PSK = PskCredentials(USER_AGENT, SECRET_KEY)
LOOKUP = {USER_AGENT: SECRET_KEY}.get


def tls13_names(ctx: ssl.SSLContext) -> list[str]:
    return [c["name"] for c in ctx.get_ciphers() if c["protocol"] == "TLSv1.3"]


async def test_cipher_suites_honoured_on_certificate_server(pki) -> None:  # type: ignore[no-untyped-def]
    leaf = pki.leaf("bareos-sd.example")
    server = TlsSettings(
        certificate=leaf.cert, key=leaf.key, cipher_suites="TLS_AES_128_GCM_SHA256"
    )
    ctx = server_context(server, None)
    assert tls13_names(ctx) == ["TLS_AES_128_GCM_SHA256"]
    result = await run_pair(client_context(TlsSettings(), None), ctx)
    assert result.client.unwrap().encryption == "TLS_AES_128_GCM_SHA256 TLSv1.3"
    assert result.server.unwrap().cipher == "TLS_AES_128_GCM_SHA256"


async def test_cipher_suites_honoured_with_psk() -> None:
    session = ServerTlsSession(TlsSettings(cipher_suites="TLS_AES_128_GCM_SHA256"), LOOKUP)
    result = await run_pair(client_context(TlsSettings(), PSK), session, client_identity=USER_AGENT)
    info = result.server.unwrap()
    assert (info.cipher, info.psk_used, info.psk_identity) == (
        "TLS_AES_128_GCM_SHA256",
        True,
        USER_AGENT,
    )


async def test_sha384_only_suites_cannot_carry_a_psk() -> None:
    # Bareos's directive text: "Currently only SHA256 ciphers are supported".
    session = ServerTlsSession(TlsSettings(cipher_suites="TLS_AES_256_GCM_SHA384"), LOOKUP)
    result = await run_pair(client_context(TlsSettings(), PSK), session)
    assert result.server.error is not None and result.client.error is not None


def test_client_cipher_suites_order_is_kept() -> None:
    ctx = client_context(
        TlsSettings(cipher_suites="TLS_AES_128_GCM_SHA256:TLS_CHACHA20_POLY1305_SHA256"), PSK
    )
    assert tls13_names(ctx) == ["TLS_AES_128_GCM_SHA256", "TLS_CHACHA20_POLY1305_SHA256"]


@pytest.mark.parametrize(
    "bad", ["BOGUS", "TLS_AES_128_GCM_SHA256:TLS_NO_SUCH_SUITE", "ECDHE-PSK-CHACHA20-POLY1305"]
)
def test_bogus_cipher_suites_are_config_errors(bad: str) -> None:
    with pytest.raises(TlsError) as info:
        server_context(TlsSettings(cipher_suites=bad), LOOKUP)
    assert info.value.cause == "config"
    assert "TLS Cipher Suites" in str(info.value)


def test_empty_cipher_suites_means_openssl_default() -> None:
    ctx = server_context(TlsSettings(cipher_suites=""), LOOKUP)
    assert tls13_names(ctx) == [
        "TLS_AES_256_GCM_SHA384",
        "TLS_CHACHA20_POLY1305_SHA256",
        "TLS_AES_128_GCM_SHA256",
    ]


async def test_tls_protocol_forces_tls12_on_the_server() -> None:
    session = ServerTlsSession(TlsSettings(protocol="-ALL,TLSv1.2"), LOOKUP)
    assert session.context.options & ssl.OP_NO_TLSv1_3
    assert not session.context.options & ssl.OP_NO_TLSv1_2
    result = await run_pair(client_context(TlsSettings(), PSK), session, client_identity=USER_AGENT)
    info = result.client.unwrap()
    assert (info.version, info.cipher, info.psk_used) == (
        "TLSv1.2",
        "ECDHE-PSK-CHACHA20-POLY1305",
        True,
    )


async def test_tls_protocol_on_the_client_and_a_mismatch() -> None:
    client = client_context(TlsSettings(protocol="-ALL,TLSv1.2"), PSK)
    result = await run_pair(client, ServerTlsSession(TlsSettings(), LOOKUP))
    assert result.server.unwrap().version == "TLSv1.2"
    server_13_only = ServerTlsSession(TlsSettings(protocol="-ALL,TLSv1.3"), LOOKUP)
    result = await run_pair(
        client_context(TlsSettings(protocol="-ALL,TLSv1.2"), PSK), server_13_only
    )
    err = server_13_only.classify_error(result.server.failure)
    assert err.cause == "handshake" and "TLS Protocol" in str(err)


@pytest.mark.parametrize("bad", ["TLSv9", "-ALL,TLSv1.2,bogus"])
def test_bogus_protocol_is_a_config_error(bad: str) -> None:
    with pytest.raises(TlsError) as info:
        client_context(TlsSettings(protocol=bad), PSK)
    assert info.value.cause == "config" and "TLS Protocol" in str(info.value)


def test_openssl_error_queue_is_left_empty() -> None:
    with pytest.raises(TlsError):
        server_context(TlsSettings(cipher_suites="BOGUS"), None)
    assert ciphersuites.binding().drain_errors() == []


def test_binding_refuses_a_different_openssl(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ssl, "OPENSSL_VERSION", "OpenSSL 0.9.8 (not this one)")
    with pytest.raises(TlsError) as info:
        ciphersuites._load_library()
    assert info.value.cause == "config" and "refusing" in str(info.value)


def test_binding_refuses_a_pointer_that_does_not_read_back(monkeypatch: pytest.MonkeyPatch) -> None:
    ciphersuites.binding()  # proven with the real layout first
    monkeypatch.setattr(ciphersuites, "_python_cipher_names", lambda ctx: ["SOMETHING-ELSE"])
    with pytest.raises(TlsError) as info:
        server_context(TlsSettings(cipher_suites="TLS_AES_128_GCM_SHA256"), None)
    assert info.value.cause == "config" and "layout" in str(info.value)


def test_binding_refuses_non_contexts() -> None:
    with pytest.raises(TlsError) as info:
        ciphersuites.set_ciphersuites(object(), "TLS_AES_128_GCM_SHA256")  # type: ignore[arg-type]
    assert info.value.cause == "config"


def test_probe_proves_both_directions() -> None:
    lib = ciphersuites._load_library()
    ciphersuites._prove_layout(lib)  # raises on failure
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.set_ciphers("PSK-AES128-GCM-SHA256")
    assert lib.cipher_names(ciphersuites._raw_ctx_pointer(ctx)) == [
        c["name"] for c in ctx.get_ciphers()
    ]
