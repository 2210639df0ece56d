"""``ssl.SSLContext`` factories that behave like Bareos's OpenSSL setup.

Bareos (``core/src/lib/tls/openssl/impl.cc``) builds a fresh ``SSL_CTX`` per
connection from ``TLS_method()`` with ``SSL_OP_ALL | SSL_OP_NO_SSLv2 |
SSL_OP_NO_SSLv3``, its cipher list (default ``ALL:!ADH:!LOW:!EXP:!MD5:@STRENGTH``),
optional TLS 1.3 suites, optional ``Protocol`` command, certificates, CA
file/dir, CRL (``CRL_CHECK | CRL_CHECK_ALL``), DH parameters, and
``SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT`` when ``TLS Verify Peer``
is on, ``SSL_VERIFY_NONE`` otherwise.  PSK goes through OpenSSL's legacy
callbacks, which also drive TLS 1.3 (SHA-256 suites only).

Python's ``ssl`` starts from different defaults; each factory undoes the ones
that change what is negotiated: server-preference cipher order is cleared
(OpenSSL, and therefore Bareos, follows the client's order), the TLS 1.2
minimum is lifted back to "whatever OpenSSL allows", ``SSL_OP_ALL`` is set in
full.  Host name checking is off: Bareos checks names itself after the
handshake (:mod:`bareosnet.tls.checks`).

One deliberate addition on the client: when PSK is used without a
certificate, the TLS <= 1.2 cipher list is cut down to PSK-authenticated
suites (PSK, ECDHE-PSK, DHE-PSK).  ``RSA-PSK`` (which Bareos's list includes)
needs a server certificate and is not what a PSK-only client means.
"""

from __future__ import annotations

import os
import ssl
import tempfile
from collections.abc import Callable

import structlog

from bareosnet.errors import TlsError
from bareosnet.tls.ciphersuites import apply_protocol, set_ciphersuites
from bareosnet.tls.psk import PskCredentials
from bareosnet.tls.settings import DEFAULT_CIPHER_LIST, TlsSettings

log = structlog.get_logger(__name__)

PskLookup = Callable[[str], bytes | None]
"""Maps a client's PSK identity to its key (ASCII bytes); ``None`` = unknown."""

TLS13_SHA256_SUITES = "TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256"
"""The TLS 1.3 suites a legacy-callback PSK can use (OpenSSL binds it to SHA-256)."""

# What Bareos ORs into every context; OP_NO_SSLv2 is 0 in OpenSSL >= 1.1.0.
_BAREOS_OPTIONS = ssl.OP_ALL | ssl.OP_NO_SSLv3


def _base_context(protocol: ssl._SSLMethod, settings: TlsSettings) -> ssl.SSLContext:
    ctx = ssl.SSLContext(protocol)
    if protocol == ssl.PROTOCOL_TLS_CLIENT:
        ctx.check_hostname = False  # must precede CERT_NONE; names are checked after the handshake
    # Bareos runs the Protocol command before setting its options, and only ORs options in.
    if settings.protocol:
        apply_protocol(ctx, settings.protocol)
    ctx.options = (ctx.options | _BAREOS_OPTIONS) & ~ssl.OP_CIPHER_SERVER_PREFERENCE
    # TLS_method() with no min/max: OpenSSL's own limits (and security level) decide.
    ctx.minimum_version = ssl.TLSVersion.MINIMUM_SUPPORTED
    _set_cipher_list(ctx, settings.cipher_list or DEFAULT_CIPHER_LIST)
    if settings.cipher_suites:  # empty means "OpenSSL's default", as in Bareos
        set_ciphersuites(ctx, settings.cipher_suites)
    _load_certificates(ctx, settings)
    ctx.verify_mode = ssl.CERT_REQUIRED if settings.verify_peer else ssl.CERT_NONE
    return ctx


def _set_cipher_list(ctx: ssl.SSLContext, cipher_list: str) -> None:
    try:
        ctx.set_ciphers(cipher_list)
    except ssl.SSLError as exc:
        raise TlsError(
            f"TLS Cipher List {cipher_list!r} rejected by OpenSSL ({_reason(exc)}); "
            "see `openssl ciphers -v '<list>'`",
            cause="config",
        ) from exc


def _restrict_to_psk_suites(ctx: ssl.SSLContext, cipher_list: str) -> None:
    """Keep only PSK-authenticated TLS <= 1.2 suites, in the list's own order."""
    psk_suites = [
        c["name"]
        for c in ctx.get_ciphers()
        if c["protocol"] != "TLSv1.3" and c.get("auth") == "auth-psk"
    ]
    if not psk_suites:
        # Nothing to restrict to: keep the list as configured (TLS 1.3 PSK still works),
        # exactly what Bareos would do, but say so.
        log.warning("tls.cipher_list.no_psk_suite", cipher_list=cipher_list)
        return
    ctx.set_ciphers(":".join(psk_suites))


def _no_passphrase(*_: object) -> bytes:
    # Without this, OpenSSL would prompt on the terminal for an encrypted key.
    return b""


def _load_certificates(ctx: ssl.SSLContext, settings: TlsSettings) -> None:
    if settings.certificate:
        password = (
            settings.key_passphrase if settings.key_passphrase is not None else _no_passphrase
        )
        try:
            # keyfile None: the key is read from the certificate file (combined PEM).
            ctx.load_cert_chain(settings.certificate, settings.key, password=password)
        except (ssl.SSLError, OSError) as exc:
            hint = (
                "wrong or missing TLS Key Passphrase?"
                if isinstance(exc, ssl.SSLError)
                else "file not readable?"
            )
            raise TlsError(
                f"cannot load TLS Certificate {settings.certificate!r} with TLS Key "
                f"{settings.key!r}: {_reason(exc)} ({hint})",
                cause="config",
            ) from exc
    elif settings.key:
        raise TlsError(f"TLS Key {settings.key!r} is set without TLS Certificate", cause="config")

    if settings.ca_certificate_file or settings.ca_certificate_dir:
        try:
            ctx.load_verify_locations(
                cafile=settings.ca_certificate_file, capath=settings.ca_certificate_dir
            )
        except (ssl.SSLError, OSError) as exc:
            raise TlsError(
                f"cannot load TLS CA Certificate File {settings.ca_certificate_file!r} / "
                f"Dir {settings.ca_certificate_dir!r}: {_reason(exc)}",
                cause="config",
            ) from exc

    if settings.certificate_revocation_list:
        _load_crl(ctx, settings.certificate_revocation_list)


def _load_crl(ctx: ssl.SSLContext, path: str) -> None:
    """Load CRLs only (never certificates) and check the whole chain, like Bareos."""
    try:
        with open(path, "rb") as f:
            pem = f.read()
    except OSError as exc:
        raise TlsError(
            f"cannot read TLS Certificate Revocation List {path!r}: {exc.strerror}",
            cause="config",
        ) from exc
    if b"-----BEGIN X509 CRL-----" not in pem:
        raise TlsError(f"TLS Certificate Revocation List {path!r} holds no PEM CRL", cause="config")
    try:
        if b"-----BEGIN CERTIFICATE-----" in pem:
            # load_verify_locations would also trust those certificates; Bareos's
            # X509_load_crl_file reads CRLs only, so hand over the CRL blocks alone.
            _load_crl_blocks(ctx, pem)
        else:
            ctx.load_verify_locations(cafile=path)
    except ssl.SSLError as exc:
        raise TlsError(
            f"cannot load TLS Certificate Revocation List {path!r}: {_reason(exc)}",
            cause="config",
        ) from exc
    ctx.verify_flags |= ssl.VERIFY_CRL_CHECK_CHAIN  # X509_V_FLAG_CRL_CHECK | _CRL_CHECK_ALL


def _load_crl_blocks(ctx: ssl.SSLContext, pem: bytes) -> None:
    begin, end = b"-----BEGIN X509 CRL-----", b"-----END X509 CRL-----"
    blocks = []
    pos = 0
    while (start := pem.find(begin, pos)) != -1:
        stop = pem.find(end, start)
        if stop == -1:
            break
        blocks.append(pem[start : stop + len(end)])
        pos = stop + len(end)
    fd, tmp = tempfile.mkstemp(suffix=".crl.pem")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(b"\n".join(blocks) + b"\n")
        ctx.load_verify_locations(cafile=tmp)
    finally:
        os.unlink(tmp)


def _reason(exc: BaseException) -> str:
    # Not every SSLError has ``reason`` (set_ciphers raises a bare one).
    if isinstance(exc, ssl.SSLError) and getattr(exc, "reason", None):
        return str(exc.reason)
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc)


def client_context(settings: TlsSettings, psk: PskCredentials | None) -> ssl.SSLContext:
    """The TLS client (connector) context for one connection, as Bareos builds it.

    ``psk`` given: the legacy PSK client callback offers it (TLS 1.3 and <= 1.2).
    Certificates, CA file/dir, CRL, cipher list/suites and protocol come from
    ``settings``.  ``TLS Verify Peer = no`` means ``CERT_NONE`` even when a CA is
    configured: Bareos's client then accepts any server certificate.
    """
    ctx = _base_context(ssl.PROTOCOL_TLS_CLIENT, settings)
    if psk is not None:
        if not settings.has_certificate:
            _restrict_to_psk_suites(ctx, settings.cipher_list or DEFAULT_CIPHER_LIST)
        identity, key = psk.identity, psk.key
        ctx.set_psk_client_callback(lambda _hint: (identity, key))
    return ctx


def shared_psk_client_context(
    settings: TlsSettings, credentials: Callable[[], PskCredentials | None]
) -> ssl.SSLContext:
    """A client context for many connections: ``credentials()`` names this handshake's PSK.

    OpenSSL calls the PSK callback inside the handshake, in the connecting
    task, so ``credentials`` can read per-connection state (a ContextVar).
    Same suites and options as :func:`client_context` with a PSK.
    """
    ctx = _base_context(ssl.PROTOCOL_TLS_CLIENT, settings)
    if not settings.has_certificate:
        _restrict_to_psk_suites(ctx, settings.cipher_list or DEFAULT_CIPHER_LIST)

    def callback(_hint: str | None) -> tuple[str | None, bytes]:
        psk = credentials()
        return (psk.identity, psk.key) if psk is not None else (None, b"")

    ctx.set_psk_client_callback(callback)
    return ctx


def server_context(
    settings: TlsSettings,
    psk_lookup: PskLookup | None,
    *,
    keep_psk_with_certificate: bool = False,
) -> ssl.SSLContext:
    """The TLS server (acceptor) context for one connection, as Bareos builds it.

    ``psk_lookup`` maps the identity a client offers to the key; ``None`` from
    it means unknown identity and fails a PSK-only handshake.  No identity
    hint is sent (as in Bareos).  ``TLS DH File`` is loaded here only.

    ``keep_psk_with_certificate`` is an extra Bareos does not have: with a
    certificate loaded, a TLS 1.3 client's first choice (a SHA-384 suite) wins
    and the session becomes certificate-authenticated even though the client
    offered a PSK.  With this flag (and no ``TLS Cipher Suites``) the server
    offers only SHA-256 TLS 1.3 suites, so an offered PSK is used.
    """
    ctx = _base_context(ssl.PROTOCOL_TLS_SERVER, settings)
    if settings.dh_file:
        try:
            ctx.load_dh_params(settings.dh_file)
        except (ssl.SSLError, OSError) as exc:
            raise TlsError(
                f"cannot load TLS DH File {settings.dh_file!r}: {_reason(exc)}",
                cause="config",
            ) from exc
    if psk_lookup is not None:
        ctx.set_psk_server_callback(_server_psk_callback(psk_lookup))
        if keep_psk_with_certificate and settings.has_certificate and not settings.cipher_suites:
            set_ciphersuites(ctx, TLS13_SHA256_SUITES)
    return ctx


def _server_psk_callback(psk_lookup: PskLookup) -> Callable[[str | None], bytes]:
    def callback(identity: str | None) -> bytes:
        if identity is None:
            return b""
        try:
            key = psk_lookup(identity)
        except Exception:
            # An exception would only be printed by the ssl module; log it and refuse.
            log.exception("tls.psk_lookup.failed", identity=identity.replace("\x1e", " "))
            return b""
        return key or b""  # empty = no PSK for this identity

    return callback
