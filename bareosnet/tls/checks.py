"""What a finished TLS handshake gave us, the checks Bareos runs after it, and
what a failed one means.

After the handshake Bareos (``core/src/lib/bnet.cc`` ``BnetTlsServer`` /
``BnetTlsClient``) checks names, nothing else:

* server side: only when ``TLS Verify Peer`` is on and ``TLS Allowed CN`` is
  not empty, the first subject CN of the client certificate must equal one of
  the list (exact, case-sensitive); a client without certificate (a PSK
  session) fails this check;
* client side: only when ``TLS Verify Peer`` is on: if ``TLS Allowed CN`` is
  set, the server certificate's first CN must be in it; otherwise the
  address we connected to must equal (ignoring ASCII case) a SAN dNSName or
  any subject CN.  A server without certificate (a PSK session) fails.

Bareos never checks that PSK was really used: a PSK-only console talking to a
Director with a certificate gets a certificate session and goes on (the
CRAM-MD5 inside still authenticates both sides).  :func:`check_after_handshake`
does the same, reports ``psk_used`` in :class:`TlsInfo`, and refuses only
when the caller asks for ``require_psk``.

How "PSK was used" is told: in TLS 1.3 an external PSK is a "resumption" for
OpenSSL, so ``session_reused`` is true exactly when the PSK was accepted
(neither side here resumes real sessions: clients never pass a session); in
TLS <= 1.2 the suite's name says it (``...PSK...``).
"""

from __future__ import annotations

import ssl
from typing import Any

import attrs
import structlog

from bareosnet.errors import TlsError
from bareosnet.tls.settings import TlsSettings
from bareosnet.tls.x509names import CertificateNames, certificate_names

log = structlog.get_logger(__name__)


@attrs.frozen
class TlsInfo:
    """The negotiated session as one side saw it."""

    version: str  # "TLSv1.3", "TLSv1.2", ...
    cipher: str  # OpenSSL name, e.g. "TLS_CHACHA20_POLY1305_SHA256"
    psk_identity: str | None  # identity of the PSK that keyed the session, if any
    psk_used: bool
    peer_cn: str | None  # first subject CN of the peer's certificate, if one was sent

    @property
    def encryption(self) -> str:
        """What bconsole prints after ``Encryption:`` (cipher, space, version)."""
        return f"{self.cipher} {self.version}"


def _readable(identity: str | None) -> str:
    # The record separator would be invisible in a log line or message.
    return "-" if identity is None else identity.replace("\x1e", " ")


def _peer_names(ssl_object: Any) -> CertificateNames | None:
    der = ssl_object.getpeercert(binary_form=True)
    if not der:
        return None
    try:
        return certificate_names(der)
    except ValueError:
        log.warning("tls.peer_certificate.unparsable")
        return CertificateNames((), ())


def _psk_used(version: str, cipher: str, session_reused: bool) -> bool:
    if version == "TLSv1.3":
        return session_reused
    return "PSK" in cipher.split("-")


def describe(ssl_object: Any, psk_identity: str | None) -> TlsInfo:
    """Summarise a completed handshake (``ssl.SSLObject`` or ``ssl.SSLSocket``).

    ``psk_identity``: client side, the identity we offered; server side, the
    identity our lookup found a key for (see :class:`ServerTlsSession`).  It
    is reported only if the session really is PSK-keyed.
    """
    version = ssl_object.version()
    cipher = ssl_object.cipher()
    if version is None or cipher is None:
        raise TlsError("TLS handshake has not completed", cause="handshake")
    used = _psk_used(version, cipher[0], bool(ssl_object.session_reused))
    names = _peer_names(ssl_object)
    return TlsInfo(
        version=version,
        cipher=cipher[0],
        psk_identity=psk_identity if used else None,
        psk_used=used,
        peer_cn=names.first_common_name if names else None,
    )


def _side(server_side: bool) -> str:
    return "server side (we accepted)" if server_side else "client side (we connected)"


def check_after_handshake(
    ssl_object: Any,
    settings: TlsSettings,
    *,
    server_side: bool,
    psk_meant: bool,
    peer_host: str | None,
    psk_identity: str | None,
    require_psk: bool = False,
) -> TlsInfo:
    """Bareos's post-handshake checks; returns what was negotiated.

    ``psk_meant``: we offered (client) or accept (server) a PSK.  If it was not
    used, this is logged (``tls.psk_not_used``) and accepted, as Bareos does,
    unless ``require_psk`` (cause ``not-psk``) — set it for job connections.
    ``peer_host``: the Address we connected to (client side).
    """
    info = describe(ssl_object, psk_identity)
    if psk_meant and not info.psk_used:
        log.info(
            "tls.psk_not_used",
            side="server" if server_side else "client",
            identity=_readable(psk_identity),
            cipher=info.cipher,
            tls_version=info.version,
            peer_cn=info.peer_cn,
        )
    if require_psk and not info.psk_used:
        raise TlsError(
            f"TLS {_side(server_side)}: a PSK session was required but the handshake "
            f"gave a certificate session ({info.cipher} {info.version}, peer certificate "
            f"CN {info.peer_cn!r}); the {'client' if server_side else 'server'} probably "
            "has a certificate configured and chose a suite PSK cannot use",
            cause="not-psk",
        )
    if not settings.verify_peer:
        return info
    names = _peer_names(ssl_object)
    if server_side:
        if settings.allowed_cns:
            _check_allowed_cn(names, settings.allowed_cns, server_side=True)
        return info
    if settings.allowed_cns:
        _check_allowed_cn(names, settings.allowed_cns, server_side=False)
    else:
        _check_host(names, peer_host)
    return info


def _check_allowed_cn(
    names: CertificateNames | None, allowed: tuple[str, ...], *, server_side: bool
) -> None:
    peer = "client" if server_side else "server"
    if names is None:
        raise TlsError(
            f"TLS {_side(server_side)}: TLS Verify Peer is on with TLS Allowed CN, but the "
            f"{peer} presented no certificate (a PSK session cannot satisfy TLS Allowed CN)",
            cause="cn-not-allowed",
        )
    cn = names.first_common_name
    if cn not in allowed:
        raise TlsError(
            f"TLS {_side(server_side)}: {peer} certificate CN {cn!r} is not in "
            f"TLS Allowed CN {list(allowed)}",
            cause="cn-not-allowed",
        )


def _check_host(names: CertificateNames | None, host: str | None) -> None:
    if host is None:
        raise TlsError(
            "TLS client side (we connected): TLS Verify Peer is on without TLS Allowed CN, "
            "but no address was given to check the server certificate against",
            cause="config",
        )
    if names is None:
        raise TlsError(
            f"TLS client side (we connected): TLS Verify Peer is on, but server {host} "
            "presented no certificate (a PSK session cannot be verified)",
            cause="untrusted",
        )
    wanted = host.lower()
    # Bareos: SAN dNSName first, then every subject CN; plain case-insensitive equality.
    if any(n.lower() == wanted for n in (*names.dns_names, *names.common_names)):
        return
    raise TlsError(
        f"TLS client side (we connected): server certificate (CN {names.common_names}, "
        f"DNS {names.dns_names}) does not match the address {host!r}; fix the Address or "
        "list the CN in TLS Allowed CN",
        cause="cn-not-allowed",
    )


# X509_V_ERR_* codes (openssl/x509_vfy.h) grouped by what the user must fix.
_EXPIRED_CODES = {9: "not yet valid", 10: "expired"}
_REVOKED_CODE = 23
_CRL_CODES = {3, 8, 11, 12, 15, 16}


def _find_ssl_error(exc: BaseException) -> ssl.SSLError | None:
    seen: set[int] = set()
    cur: BaseException | None = exc
    while cur is not None and id(cur) not in seen:
        if isinstance(cur, ssl.SSLError):
            return cur
        seen.add(id(cur))
        cur = cur.__cause__ or cur.__context__
    return None


def classify_ssl_error(
    exc: BaseException, *, server_side: bool, psk_identity: str | None = None
) -> TlsError:
    """Turn a failed handshake into a :class:`TlsError` with a cause and a hint.

    ``exc`` may be an ``ssl.SSLError`` or anything wrapping one through
    ``__cause__``/``__context__`` (e.g. ``trio.BrokenResourceError``).
    ``psk_identity``: the identity offered (client) or looked up (server), if
    any; it sharpens PSK diagnoses.  Messages never contain a key.
    """
    if isinstance(exc, TlsError):
        return exc
    side = _side(server_side)
    peer = "client" if server_side else "server"
    ident = _readable(psk_identity)
    err = _find_ssl_error(exc)
    if err is None:
        return TlsError(
            f"TLS {side}: the {peer} closed or broke the connection during the handshake "
            f"({type(exc).__name__}: {exc}); it may have refused our identity, certificate "
            "or ciphers — see the peer's log",
            cause="handshake",
        )
    text = str(err).lower()

    if isinstance(err, ssl.SSLCertVerificationError):
        return _classify_verify(err, side, peer)

    # A wrong PSK shows as: TLS 1.3 server "binder does not verify", client alert
    # "illegal parameter"; TLS 1.2 "bad record mac" on both sides (the Finished
    # message cannot be decrypted).  In Bareos traffic these have no other
    # common cause, so they are read as a mismatch even when the identity is not known.
    if (
        "binder does not verify" in text
        or "bad record mac" in text
        or (not server_side and "illegal parameter" in text)
    ):
        which = f"identity {ident}" if psk_identity is not None else "the PSK identity used"
        return TlsError(
            f"TLS {side}: PSK mismatch for {which}: both sides know the identity but the "
            "keys differ — check the password (or session key) on both sides",
            cause="psk-mismatch",
        )
    if "psk identity not found" in text or "unknown psk identity" in text:
        return TlsError(
            f"TLS {side}: PSK identity {ident} unknown to the {'acceptor' if server_side else 'server'} "
            "— check the resource name and type configured on the server",
            cause="unknown-identity",
        )
    if not server_side and psk_identity is not None and "alert handshake failure" in text:
        return TlsError(
            f"TLS client side (we connected): the server refused the handshake; it probably "
            f"does not know PSK identity {ident} (no such resource there) or has no "
            "certificate and no common cipher",
            cause="unknown-identity",
        )
    for needle, cause, what in (
        ("certificate expired", "expired", "our certificate has expired"),
        ("certificate revoked", "revoked", "our certificate is revoked"),
        ("unknown ca", "untrusted", "our certificate's CA is unknown to it"),
        ("bad certificate", "untrusted", "it rejected our certificate"),
        ("certificate unknown", "untrusted", "it rejected our certificate"),
        ("unsupported certificate", "untrusted", "it rejected our certificate"),
        ("certificate required", "untrusted", "it requires a certificate from us"),
    ):
        if needle in text:
            return TlsError(
                f"TLS {side}: the {peer} aborted: {what} — check TLS Certificate / TLS Key "
                f"here and TLS CA Certificate File/Dir on the {peer}",
                cause=cause,
            )
    if "peer did not return a certificate" in text:
        return TlsError(
            "TLS server side (we accepted): TLS Verify Peer is on but the client sent no "
            "certificate — give it TLS Certificate / TLS Key, or turn TLS Verify Peer off",
            cause="untrusted",
        )
    if "no suitable signature algorithm" in text or "no shared cipher" in text:
        hint = (
            "no PSK matched and no usable certificate is configured here"
            if server_side
            else "no cipher in common"
        )
        return TlsError(
            f"TLS {side}: handshake failed: {hint} — check identity/password, TLS Certificate, "
            "TLS Cipher List / Cipher Suites / Protocol on both sides",
            cause="handshake",
        )
    if "unsupported protocol" in text or "protocol version" in text:
        return TlsError(
            f"TLS {side}: no TLS version in common — check TLS Protocol on both sides",
            cause="handshake",
        )
    return TlsError(f"TLS {side}: handshake failed: {err}", cause="handshake")


def _classify_verify(err: ssl.SSLCertVerificationError, side: str, peer: str) -> TlsError:
    code = err.verify_code
    detail = f"{err.verify_message} (X509 error {code})"
    if code in _EXPIRED_CODES:
        return TlsError(
            f"TLS {side}: the {peer} certificate is {_EXPIRED_CODES[code]}: {detail} — "
            "renew it or check both clocks",
            cause="expired",
        )
    if code == _REVOKED_CODE:
        return TlsError(
            f"TLS {side}: the {peer} certificate is revoked by TLS Certificate Revocation "
            f"List: {detail}",
            cause="revoked",
        )
    if code in _CRL_CODES:
        return TlsError(
            f"TLS {side}: cannot check the {peer} certificate against the CRL: {detail} — "
            "every CA of the chain needs a current CRL in TLS Certificate Revocation List",
            cause="untrusted",
        )
    return TlsError(
        f"TLS {side}: the {peer} certificate is not trusted: {detail} — check TLS CA "
        "Certificate File / Dir here and the certificate chain on the peer",
        cause="untrusted",
    )
