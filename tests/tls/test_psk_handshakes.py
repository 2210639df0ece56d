"""TLS-PSK between our client and server contexts over loopback sockets."""

from __future__ import annotations

import ssl

import pytest

from bareosnet.errors import TlsError
from bareosnet.tls.checks import TlsInfo, classify_ssl_error
from bareosnet.tls.contexts import client_context, server_context
from bareosnet.tls.psk import PskCredentials
from bareosnet.tls.session import ServerTlsSession
from bareosnet.tls.settings import TlsSettings
from tests.tls.conftest import SECRET_KEY, USER_AGENT
from tests.tls.pairs import run_pair

DEFAULTS = TlsSettings()


def lookup_for(table: dict[str, bytes]):  # type: ignore[no-untyped-def]
    return table.get


def psk_client(key: bytes = SECRET_KEY, identity: str = USER_AGENT) -> ssl.SSLContext:
    return client_context(DEFAULTS, PskCredentials(identity, key))


async def test_psk_tls13_both_sides_see_chacha_and_identity() -> None:
    session = ServerTlsSession(DEFAULTS, lookup_for({USER_AGENT: SECRET_KEY}))
    result = await run_pair(psk_client(), session, client_identity=USER_AGENT)
    expected = TlsInfo(
        version="TLSv1.3",
        cipher="TLS_CHACHA20_POLY1305_SHA256",
        psk_identity=USER_AGENT,
        psk_used=True,
        peer_cn=None,
    )
    assert result.client.unwrap() == expected
    assert result.server.unwrap() == expected
    assert session.offered_identity == "R_CONSOLE\x1e*UserAgent*"
    assert session.offered_identity.encode() == bytes.fromhex(
        "525f434f4e534f4c451e2a557365724167656e742a"
    )
    assert result.server.received == b"ping" and result.client.received == b"pong"
    assert result.client.unwrap().encryption == "TLS_CHACHA20_POLY1305_SHA256 TLSv1.3"


async def test_psk_tls12_when_client_caps_at_tls12() -> None:
    client = psk_client()
    client.maximum_version = ssl.TLSVersion.TLSv1_2  # what python-bareos does with sslpsk3
    session = ServerTlsSession(DEFAULTS, lookup_for({USER_AGENT: SECRET_KEY}))
    result = await run_pair(client, session, client_identity=USER_AGENT)
    for info in (result.client.unwrap(), result.server.unwrap()):
        assert info.version == "TLSv1.2"
        assert info.cipher == "ECDHE-PSK-CHACHA20-POLY1305"
        assert info.psk_used is True
        assert info.psk_identity == USER_AGENT


def test_psk_only_client_offers_no_certificate_suites_below_tls13() -> None:
    ctx = psk_client()
    legacy = [c for c in ctx.get_ciphers() if c["protocol"] != "TLSv1.3"]
    assert legacy, "PSK suites must remain"
    assert {c["auth"] for c in legacy} == {"auth-psk"}
    names = [c["name"] for c in legacy]
    assert not any(n.startswith("RSA-PSK") for n in names)
    assert {
        "ECDHE-PSK-CHACHA20-POLY1305",
        "DHE-PSK-AES256-GCM-SHA384",
        "PSK-AES256-GCM-SHA384",
    } <= set(names)
    # @STRENGTH order of Bareos's list survives the filtering: 256-bit suites first.
    assert [c["strength_bits"] for c in legacy] == sorted(
        (c["strength_bits"] for c in legacy), reverse=True
    )


def test_psk_client_with_certificate_keeps_bareos_cipher_list(pki) -> None:  # type: ignore[no-untyped-def]
    leaf = pki.leaf("client.example")
    ctx = client_context(
        TlsSettings(certificate=leaf.cert, key=leaf.key), PskCredentials(USER_AGENT, SECRET_KEY)
    )
    names = {c["name"] for c in ctx.get_ciphers()}
    assert "RSA-PSK-AES256-GCM-SHA384" in names
    assert "ECDHE-ECDSA-AES256-GCM-SHA384" in names


@pytest.mark.parametrize("tls12", [False, True], ids=["tls13", "tls12"])
async def test_wrong_psk_is_psk_mismatch_on_both_sides(tls12: bool) -> None:
    client = psk_client(key=b"0" * 32)
    if tls12:
        client.maximum_version = ssl.TLSVersion.TLSv1_2
    session = ServerTlsSession(DEFAULTS, lookup_for({USER_AGENT: SECRET_KEY}))
    result = await run_pair(client, session, client_identity=USER_AGENT)
    assert result.client.error is not None and result.server.error is not None
    server_err = session.classify_error(result.server.failure)
    client_err = classify_ssl_error(
        result.client.failure, server_side=False, psk_identity=USER_AGENT
    )
    assert (server_err.cause, client_err.cause) == ("psk-mismatch", "psk-mismatch")
    assert "R_CONSOLE *UserAgent*" in str(server_err)
    # The same classification without any identity known (what a bare caller gets).
    assert classify_ssl_error(result.server.failure, server_side=True).cause == "psk-mismatch"
    assert classify_ssl_error(result.client.failure, server_side=False).cause == "psk-mismatch"
    for err in (server_err, client_err):
        assert SECRET_KEY.decode() not in str(err) and "0" * 32 not in str(err)


@pytest.mark.parametrize("tls12", [False, True], ids=["tls13", "tls12"])
async def test_unknown_identity(tls12: bool) -> None:
    client = psk_client(identity="R_CONSOLE\x1enobody")
    if tls12:
        client.maximum_version = ssl.TLSVersion.TLSv1_2
    session = ServerTlsSession(DEFAULTS, lookup_for({USER_AGENT: SECRET_KEY}))
    result = await run_pair(client, session)
    assert session.offered_identity == "R_CONSOLE\x1enobody"
    assert session.found_identity is None
    assert result.server.error is not None and result.client.error is not None
    assert session.classify_error(result.server.failure).cause == "unknown-identity"
    client_err = classify_ssl_error(
        result.client.failure, server_side=False, psk_identity="R_CONSOLE\x1enobody"
    )
    assert client_err.cause == "unknown-identity"
    assert "R_CONSOLE nobody" in str(client_err)


async def test_lookup_that_raises_refuses_the_identity() -> None:
    def broken(identity: str) -> bytes | None:
        raise RuntimeError("database down")

    session = ServerTlsSession(DEFAULTS, broken)
    result = await run_pair(psk_client(), session)
    assert result.server.error is not None
    assert session.classify_error(result.server.failure).cause == "unknown-identity"


async def test_server_context_shared_lookup_sees_exact_identity() -> None:
    seen: list[str] = []

    def lookup(identity: str) -> bytes | None:
        seen.append(identity)
        return SECRET_KEY if identity == "R_DIRECTOR\x1ebareos-dir" else None

    client = client_context(DEFAULTS, PskCredentials("R_DIRECTOR\x1ebareos-dir", SECRET_KEY))
    result = await run_pair(client, server_context(DEFAULTS, lookup))
    assert seen == ["R_DIRECTOR\x1ebareos-dir"]
    assert result.server.unwrap().psk_used is True


async def test_require_psk_passes_for_psk_session() -> None:
    session = ServerTlsSession(DEFAULTS, lookup_for({USER_AGENT: SECRET_KEY}))
    result = await run_pair(
        psk_client(), session, server_check=lambda s: session.check(s, require_psk=True)
    )
    assert result.server.unwrap().psk_identity == USER_AGENT


def test_psk_credentials_hide_key_and_validate() -> None:
    creds = PskCredentials(USER_AGENT, SECRET_KEY)
    assert SECRET_KEY.decode() not in repr(creds)
    assert "R_CONSOLE" in repr(creds)
    with pytest.raises(ValueError):
        PskCredentials("", SECRET_KEY)
    with pytest.raises(ValueError):
        PskCredentials(USER_AGENT, b"")
    with pytest.raises(ValueError, match="without NUL") as info:
        PskCredentials(USER_AGENT, b"abc\0def")
    assert "abc" not in str(info.value)
    with pytest.raises(ValueError):
        PskCredentials("x" * 300, SECRET_KEY)


def test_server_context_errors_are_tls_config_errors(tmp_path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(TlsError) as info:
        server_context(TlsSettings(cipher_list="NO-SUCH-CIPHER"), None)
    assert info.value.cause == "config"
    with pytest.raises(TlsError) as info:
        server_context(TlsSettings(dh_file=str(tmp_path / "missing.pem")), None)
    assert info.value.cause == "config" and "TLS DH File" in str(info.value)
