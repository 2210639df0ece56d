"""describe() and classify_ssl_error() rules on hand-made inputs."""

from __future__ import annotations

import ssl

import attrs
import pytest

from bareosnet.errors import TlsError
from bareosnet.tls.checks import TlsInfo, check_after_handshake, classify_ssl_error, describe
from bareosnet.tls.settings import TlsSettings


@attrs.define
class FakeSsl:
    """Just what describe() reads from an SSLObject / trio.SSLStream."""

    tls_version: str | None
    cipher_name: str | None
    session_reused: bool = False
    peer_der: bytes | None = None

    def version(self) -> str | None:
        return self.tls_version

    def cipher(self) -> tuple[str, str, int] | None:
        return None if self.cipher_name is None else (self.cipher_name, "x", 256)

    def getpeercert(self, binary_form: bool = False) -> bytes | None:
        assert binary_form
        return self.peer_der


@pytest.mark.parametrize(
    ("version", "cipher", "reused", "psk_used"),
    [
        ("TLSv1.3", "TLS_CHACHA20_POLY1305_SHA256", True, True),
        ("TLSv1.3", "TLS_AES_256_GCM_SHA384", False, False),
        ("TLSv1.2", "ECDHE-PSK-CHACHA20-POLY1305", False, True),
        ("TLSv1.2", "PSK-AES256-GCM-SHA384", False, True),
        ("TLSv1.2", "RSA-PSK-AES256-GCM-SHA384", False, True),
        ("TLSv1.2", "ECDHE-ECDSA-AES256-GCM-SHA384", False, False),
        ("TLSv1.2", "ECDHE-ECDSA-AES256-GCM-SHA384", True, False),  # a resumed cert session
    ],
)
def test_describe_psk_rule(version: str, cipher: str, reused: bool, psk_used: bool) -> None:
    info = describe(FakeSsl(version, cipher, reused), "R_JOB\x1ejob.1")
    assert info == TlsInfo(version, cipher, "R_JOB\x1ejob.1" if psk_used else None, psk_used, None)


def test_describe_before_handshake_is_an_error() -> None:
    with pytest.raises(TlsError) as info:
        describe(FakeSsl(None, None), None)
    assert info.value.cause == "handshake"


def test_unparsable_peer_certificate_gives_no_cn_and_fails_allowed_cn() -> None:
    fake = FakeSsl("TLSv1.3", "TLS_AES_256_GCM_SHA384", peer_der=b"\x30\x03junk")
    assert describe(fake, None).peer_cn is None
    with pytest.raises(TlsError) as info:
        check_after_handshake(
            fake,
            TlsSettings(verify_peer=True, allowed_cns=("a",)),
            server_side=True,
            psk_meant=False,
            peer_host=None,
            psk_identity=None,
        )
    assert info.value.cause == "cn-not-allowed"


def test_client_host_check_needs_a_host() -> None:
    with pytest.raises(TlsError) as info:
        check_after_handshake(
            FakeSsl("TLSv1.3", "TLS_AES_256_GCM_SHA384"),
            TlsSettings(verify_peer=True),
            server_side=False,
            psk_meant=False,
            peer_host=None,
            psk_identity=None,
        )
    assert info.value.cause == "config"


def verify_error(code: int, message: str) -> ssl.SSLCertVerificationError:
    err = ssl.SSLCertVerificationError(1, f"[SSL: CERTIFICATE_VERIFY_FAILED] {message}")
    err.verify_code = code
    err.verify_message = message
    return err


@pytest.mark.parametrize(
    ("code", "cause"),
    [
        (10, "expired"),
        (9, "expired"),
        (23, "revoked"),
        (3, "untrusted"),
        (12, "untrusted"),
        (19, "untrusted"),
        (20, "untrusted"),
        (21, "untrusted"),
        (18, "untrusted"),
    ],
)
def test_verify_codes(code: int, cause: str) -> None:
    err = classify_ssl_error(verify_error(code, "whatever"), server_side=False)
    assert err.cause == cause
    assert f"X509 error {code}" in str(err) and "client side" in str(err)


def sslerr(text: str) -> ssl.SSLError:
    return ssl.SSLError(1, f"{text} (_ssl.c:1020)")


@pytest.mark.parametrize(
    ("text", "server_side", "identity", "cause"),
    [
        ("[SSL: BINDER_DOES_NOT_VERIFY] binder does not verify", True, None, "psk-mismatch"),
        (
            "[SSL: SSLV3_ALERT_ILLEGAL_PARAMETER] sslv3 alert illegal parameter",
            False,
            "R_X\x1ey",
            "psk-mismatch",
        ),
        (
            "[SSL: SSLV3_ALERT_ILLEGAL_PARAMETER] sslv3 alert illegal parameter",
            False,
            None,
            "psk-mismatch",
        ),
        (
            "[SSL: SSLV3_ALERT_ILLEGAL_PARAMETER] sslv3 alert illegal parameter",
            True,
            None,
            "handshake",
        ),
        (
            "[SSL: DECRYPTION_FAILED_OR_BAD_RECORD_MAC] decryption failed or bad record mac",
            True,
            None,
            "psk-mismatch",
        ),
        (
            "[SSL: SSLV3_ALERT_BAD_RECORD_MAC] sslv3 alert bad record mac",
            False,
            "R_X\x1ey",
            "psk-mismatch",
        ),
        ("[SSL: PSK_IDENTITY_NOT_FOUND] psk identity not found", True, None, "unknown-identity"),
        ("[SSL] tlsv1 alert unknown psk identity", False, "R_X\x1ey", "unknown-identity"),
        (
            "[SSL: SSLV3_ALERT_HANDSHAKE_FAILURE] sslv3 alert handshake failure",
            False,
            "R_X\x1ey",
            "unknown-identity",
        ),
        (
            "[SSL: SSLV3_ALERT_HANDSHAKE_FAILURE] sslv3 alert handshake failure",
            False,
            None,
            "handshake",
        ),
        (
            "[SSL: SSLV3_ALERT_CERTIFICATE_EXPIRED] sslv3 alert certificate expired",
            True,
            None,
            "expired",
        ),
        (
            "[SSL: SSLV3_ALERT_CERTIFICATE_REVOKED] sslv3 alert certificate revoked",
            False,
            None,
            "revoked",
        ),
        ("[SSL: TLSV1_ALERT_UNKNOWN_CA] tlsv1 alert unknown ca", True, None, "untrusted"),
        (
            "[SSL: PEER_DID_NOT_RETURN_A_CERTIFICATE] peer did not return a certificate",
            True,
            None,
            "untrusted",
        ),
        ("[SSL: NO_SHARED_CIPHER] no shared cipher", True, None, "handshake"),
        ("[SSL: UNSUPPORTED_PROTOCOL] unsupported protocol", True, None, "handshake"),
    ],
)
def test_ssl_error_texts(text: str, server_side: bool, identity: str | None, cause: str) -> None:
    err = classify_ssl_error(sslerr(text), server_side=server_side, psk_identity=identity)
    assert err.cause == cause
    assert ("server side" if server_side else "client side") in str(err)
    if identity is not None and cause in {"psk-mismatch", "unknown-identity"}:
        assert "R_X y" in str(err)  # record separator shown as a space


def test_wrapped_errors_are_unwrapped() -> None:
    inner = sslerr("[SSL: BINDER_DOES_NOT_VERIFY] binder does not verify")
    try:
        try:
            raise inner
        except ssl.SSLError as exc:
            raise RuntimeError("transport broken") from exc
    except RuntimeError as outer:
        assert classify_ssl_error(outer, server_side=True).cause == "psk-mismatch"


def test_plain_eof_and_tls_errors() -> None:
    err = classify_ssl_error(EOFError("peer went away"), server_side=False)
    assert err.cause == "handshake" and "closed" in str(err)
    original = TlsError("x", cause="not-psk")
    assert classify_ssl_error(original, server_side=True) is original
