"""Certificate mode: verify peer, Allowed CN, expiry, CRL, CA dir, DH file, passphrase."""

from __future__ import annotations

import datetime
import ssl
from collections.abc import Callable
from typing import Any

import pytest
import trustme

from bareosnet.errors import TlsError
from bareosnet.tls.checks import check_after_handshake, classify_ssl_error
from bareosnet.tls.contexts import client_context, server_context
from bareosnet.tls.psk import PskCredentials
from bareosnet.tls.session import ServerTlsSession
from bareosnet.tls.settings import TlsSettings
from tests.tls.conftest import SECRET_KEY, USER_AGENT
from tests.tls.pairs import PairResult, run_pair
from tests.tls.pki import Pki

LONG_AGO = datetime.datetime(2001, 1, 1, tzinfo=datetime.UTC)


def client_check(settings: TlsSettings, host: str | None) -> Callable[[Any], Any]:
    return lambda s: check_after_handshake(
        s, settings, server_side=False, psk_meant=False, peer_host=host, psk_identity=None
    )


async def cert_pair(
    client: TlsSettings,
    server: TlsSettings,
    *,
    host: str | None = "bareos-dir.example",
) -> tuple[PairResult, ServerTlsSession]:
    session = ServerTlsSession(server, None)
    result = await run_pair(
        client_context(client, None),
        session,
        client_check=client_check(client, host),
        server_check=session.check,
    )
    return result, session


@pytest.fixture(scope="module")
def dir_leaf(pki: Pki):  # type: ignore[no-untyped-def]
    return pki.leaf("bareos-dir.example")


@pytest.fixture(scope="module")
def fd_leaf(pki: Pki):  # type: ignore[no-untyped-def]
    return pki.leaf("bareos-fd.example")


async def test_valid_certificates_verified_both_ways(pki, dir_leaf, fd_leaf) -> None:  # type: ignore[no-untyped-def]
    server = TlsSettings(
        certificate=dir_leaf.cert,
        key=dir_leaf.key,
        ca_certificate_file=pki.ca_file,
        verify_peer=True,
        allowed_cns=("bareos-fd.example",),
    )
    client = TlsSettings(
        certificate=fd_leaf.cert,
        key=fd_leaf.key,
        ca_certificate_file=pki.ca_file,
        verify_peer=True,
    )
    result, _ = await cert_pair(client, server)
    c, s = result.client.unwrap(), result.server.unwrap()
    assert (c.version, c.cipher, c.psk_used, c.psk_identity) == (
        "TLSv1.3",
        "TLS_AES_256_GCM_SHA384",
        False,
        None,
    )
    assert c.peer_cn == "bareos-dir.example"
    assert s.peer_cn == "bareos-fd.example"
    assert s.cipher == "TLS_AES_256_GCM_SHA384"


async def test_client_host_check_uses_address(pki, dir_leaf) -> None:  # type: ignore[no-untyped-def]
    server = TlsSettings(certificate=dir_leaf.cert, key=dir_leaf.key)
    client = TlsSettings(ca_certificate_file=pki.ca_file, verify_peer=True)
    ok, _ = await cert_pair(client, server, host="BAREOS-DIR.example")  # case-insensitive
    assert ok.client.unwrap().peer_cn == "bareos-dir.example"
    bad, _ = await cert_pair(client, server, host="127.0.0.1")
    assert isinstance(bad.client.failure, TlsError)
    assert bad.client.failure.cause == "cn-not-allowed"
    assert "127.0.0.1" in str(bad.client.failure)


async def test_client_allowed_cn_replaces_host_check(pki, dir_leaf) -> None:  # type: ignore[no-untyped-def]
    server = TlsSettings(certificate=dir_leaf.cert, key=dir_leaf.key)
    allowed = TlsSettings(
        ca_certificate_file=pki.ca_file,
        verify_peer=True,
        allowed_cns=("other", "bareos-dir.example"),
    )
    ok, _ = await cert_pair(allowed, server, host="127.0.0.1")
    assert ok.client.unwrap().peer_cn == "bareos-dir.example"
    # As in Bareos: with TLS Allowed CN set, the address is not consulted at all.
    refused = TlsSettings(
        ca_certificate_file=pki.ca_file, verify_peer=True, allowed_cns=("someone-else",)
    )
    bad, _ = await cert_pair(refused, server, host="bareos-dir.example")
    assert isinstance(bad.client.failure, TlsError) and bad.client.failure.cause == "cn-not-allowed"


@pytest.mark.parametrize(
    ("allowed", "accepted"),
    [
        (("bareos-fd.example",), True),
        (("first.example", "bareos-fd.example", "third.example"), True),
        (("first.example", "third.example"), False),
        (("BAREOS-FD.EXAMPLE",), False),  # Bareos compares CNs exactly
    ],
)
async def test_server_allowed_cn(pki, dir_leaf, fd_leaf, allowed, accepted) -> None:  # type: ignore[no-untyped-def]
    server = TlsSettings(
        certificate=dir_leaf.cert,
        key=dir_leaf.key,
        ca_certificate_file=pki.ca_file,
        verify_peer=True,
        allowed_cns=allowed,
    )
    client = TlsSettings(certificate=fd_leaf.cert, key=fd_leaf.key)
    result, _ = await cert_pair(client, server)
    if accepted:
        assert result.server.unwrap().peer_cn == "bareos-fd.example"
    else:
        err = result.server.error
        assert isinstance(err, TlsError) and err.cause == "cn-not-allowed"
        assert "'bareos-fd.example'" in str(err)


async def test_server_verify_peer_without_client_certificate(pki, dir_leaf) -> None:  # type: ignore[no-untyped-def]
    server = TlsSettings(
        certificate=dir_leaf.cert,
        key=dir_leaf.key,
        ca_certificate_file=pki.ca_file,
        verify_peer=True,
    )
    result, session = await cert_pair(TlsSettings(), server)
    assert result.server.error is not None and result.client.error is not None
    assert session.classify_error(result.server.failure).cause == "untrusted"
    client_err = classify_ssl_error(result.client.failure, server_side=False)
    assert client_err.cause == "untrusted"
    assert "certificate" in str(client_err)


async def test_untrusted_server_certificate(other_pki, dir_leaf) -> None:  # type: ignore[no-untyped-def]
    server = TlsSettings(certificate=dir_leaf.cert, key=dir_leaf.key)
    client = TlsSettings(ca_certificate_file=other_pki.ca_file, verify_peer=True)
    result, session = await cert_pair(client, server)
    err = result.client.failure
    assert isinstance(err.__cause__, ssl.SSLCertVerificationError)
    assert err.__cause__.verify_code == 20  # unable to get local issuer certificate
    tls_err = classify_ssl_error(err, server_side=False)
    assert tls_err.cause == "untrusted"
    assert "client side" in str(tls_err) and "TLS CA Certificate" in str(tls_err)
    assert session.classify_error(result.server.failure).cause == "untrusted"  # alert unknown ca


async def test_verify_peer_off_accepts_any_certificate_even_with_ca(other_pki, dir_leaf) -> None:  # type: ignore[no-untyped-def]
    # Bareos: TLS Verify Peer = no means SSL_VERIFY_NONE; a configured CA does not matter.
    server = TlsSettings(certificate=dir_leaf.cert, key=dir_leaf.key)
    client = TlsSettings(ca_certificate_file=other_pki.ca_file, verify_peer=False)
    result, _ = await cert_pair(client, server)
    assert result.client.unwrap().peer_cn == "bareos-dir.example"


async def test_expired_server_certificate(pki) -> None:  # type: ignore[no-untyped-def]
    old = pki.leaf("bareos-dir.example", not_after=LONG_AGO)
    server = TlsSettings(certificate=old.cert, key=old.key)
    client = TlsSettings(ca_certificate_file=pki.ca_file, verify_peer=True)
    result, session = await cert_pair(client, server)
    assert result.client.failure.__cause__.verify_code == 10
    client_err = classify_ssl_error(result.client.failure, server_side=False)
    assert client_err.cause == "expired" and "expired" in str(client_err)
    assert session.classify_error(result.server.failure).cause == "expired"


async def test_revoked_client_certificate_via_crl(pki, dir_leaf) -> None:  # type: ignore[no-untyped-def]
    revoked = pki.leaf("bareos-fd.example")
    crl = pki.crl(revoked.serial)
    server = TlsSettings(
        certificate=dir_leaf.cert,
        key=dir_leaf.key,
        ca_certificate_file=pki.ca_file,
        verify_peer=True,
        certificate_revocation_list=crl,
    )
    client = TlsSettings(certificate=revoked.cert, key=revoked.key)
    result, session = await cert_pair(client, server)
    assert result.server.failure.__cause__.verify_code == 23
    assert session.classify_error(result.server.failure).cause == "revoked"
    assert classify_ssl_error(result.client.failure, server_side=False).cause == "revoked"


async def test_crl_without_the_client_serial_lets_it_in(pki, dir_leaf, fd_leaf) -> None:  # type: ignore[no-untyped-def]
    other = pki.leaf("someone.example")
    server = TlsSettings(
        certificate=dir_leaf.cert,
        key=dir_leaf.key,
        ca_certificate_file=pki.ca_file,
        verify_peer=True,
        certificate_revocation_list=pki.crl(other.serial),
    )
    ctx = server_context(server, None)
    assert ctx.verify_flags & ssl.VERIFY_CRL_CHECK_CHAIN == ssl.VERIFY_CRL_CHECK_CHAIN
    client = TlsSettings(certificate=fd_leaf.cert, key=fd_leaf.key)
    result, _ = await cert_pair(client, server)
    assert result.server.unwrap().peer_cn == "bareos-fd.example"


def test_crl_file_with_a_certificate_does_not_add_trust(pki, other_pki, tmp_path) -> None:  # type: ignore[no-untyped-def]
    mixed = tmp_path / "mixed.pem"
    mixed.write_bytes(open(pki.crl(), "rb").read() + open(other_pki.ca_file, "rb").read())
    ctx = server_context(TlsSettings(certificate_revocation_list=str(mixed)), None)
    assert ctx.cert_store_stats()["x509_ca"] == 0
    assert ctx.cert_store_stats()["crl"] == 1
    not_a_crl = tmp_path / "nocrl.pem"
    not_a_crl.write_bytes(open(other_pki.ca_file, "rb").read())
    with pytest.raises(TlsError) as info:
        server_context(TlsSettings(certificate_revocation_list=str(not_a_crl)), None)
    assert info.value.cause == "config"


async def test_ca_certificate_dir_hashed(pki, other_pki, dir_leaf) -> None:  # type: ignore[no-untyped-def]
    pytest.importorskip("shutil").which("openssl") or pytest.skip("openssl binary missing")
    server = TlsSettings(certificate=dir_leaf.cert, key=dir_leaf.key)
    good = TlsSettings(ca_certificate_dir=pki.hashed_ca_dir(), verify_peer=True)
    result, _ = await cert_pair(good, server)
    assert result.client.unwrap().peer_cn == "bareos-dir.example"
    wrong = TlsSettings(ca_certificate_dir=other_pki.hashed_ca_dir(), verify_peer=True)
    result, _ = await cert_pair(wrong, server)
    assert classify_ssl_error(result.client.failure, server_side=False).cause == "untrusted"


@pytest.fixture(scope="module")
def rsa_leaf(pki: Pki):  # type: ignore[no-untyped-def]
    return pki.leaf("bareos-sd.example", key_type=trustme.KeyType.RSA)


async def test_dh_file_enables_dhe_suites(pki, rsa_leaf) -> None:  # type: ignore[no-untyped-def]
    dhe_only = TlsSettings(cipher_list="DHE-RSA-AES256-GCM-SHA384:DHE-RSA-AES128-GCM-SHA256")
    client = client_context(dhe_only, None)
    client.maximum_version = ssl.TLSVersion.TLSv1_2
    with_dh = TlsSettings(certificate=rsa_leaf.cert, key=rsa_leaf.key, dh_file=pki.dh_file())
    result = await run_pair(client, server_context(with_dh, None))
    info = result.client.unwrap()
    assert (info.version, info.cipher) == ("TLSv1.2", "DHE-RSA-AES256-GCM-SHA384")
    # Without TLS DH File the server has no DH group, so a DHE-only client finds nothing.
    client = client_context(dhe_only, None)
    client.maximum_version = ssl.TLSVersion.TLSv1_2
    without = TlsSettings(certificate=rsa_leaf.cert, key=rsa_leaf.key)
    result = await run_pair(client, server_context(without, None))
    assert result.server.error is not None
    assert classify_ssl_error(result.server.failure, server_side=True).cause == "handshake"


async def test_dh_file_with_psk_gives_dhe_psk(pki) -> None:  # type: ignore[no-untyped-def]
    client = client_context(
        TlsSettings(cipher_list="DHE-PSK-CHACHA20-POLY1305"), PskCredentials(USER_AGENT, SECRET_KEY)
    )
    client.maximum_version = ssl.TLSVersion.TLSv1_2
    session = ServerTlsSession(TlsSettings(dh_file=pki.dh_file()), {USER_AGENT: SECRET_KEY}.get)
    result = await run_pair(client, session, client_identity=USER_AGENT)
    for info in (result.client.unwrap(), result.server.unwrap()):
        assert (info.cipher, info.psk_used, info.psk_identity) == (
            "DHE-PSK-CHACHA20-POLY1305",
            True,
            USER_AGENT,
        )


async def test_key_with_passphrase(pki) -> None:  # type: ignore[no-untyped-def]
    leaf = pki.leaf("bareos-dir.example", passphrase=b"open sesame")
    server = TlsSettings(certificate=leaf.cert, key=leaf.key, key_passphrase="open sesame")
    result = await run_pair(client_context(TlsSettings(), None), server_context(server, None))
    assert result.client.unwrap().peer_cn == "bareos-dir.example"
    for wrong in ("not it", None):
        with pytest.raises(TlsError) as info:
            server_context(
                TlsSettings(certificate=leaf.cert, key=leaf.key, key_passphrase=wrong), None
            )
        assert info.value.cause == "config"
        assert "Passphrase" in str(info.value)
        assert "not it" not in str(info.value) and "open sesame" not in str(info.value)
    assert "open sesame" not in repr(server)


def test_key_without_certificate_is_a_config_error(fd_leaf) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(TlsError) as info:
        client_context(TlsSettings(key=fd_leaf.key), None)
    assert info.value.cause == "config"
