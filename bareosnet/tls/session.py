"""One accepted connection's TLS server side, and which PSK identity it used.

Python's PSK server callback gets only the identity, not the connection, so a
context shared by several connections cannot say which identity belongs to
which of them.  Bareos builds a new ``SSL_CTX`` per connection anyway, and so
does :class:`ServerTlsSession`: it owns a context whose callback records into
this object.  The cost, measured by ``bench/tls_context_cost.py`` on OpenSSL
3.0: about 0.3 ms for a PSK-only context (a PSK handshake is about 0.35 ms of
CPU), 1.2 ms with a certificate and a small CA file, and 25 ms if ``TLS CA
Certificate File`` is a whole system bundle -- Bareos pays the same, as it
re-reads its files for every connection.

Use (trio)::

    session = ServerTlsSession(settings, lookup)
    stream = trio.SSLStream(tcp_stream, session.context, server_side=True)
    try:
        await stream.do_handshake()
    except (trio.BrokenResourceError, ssl.SSLError) as exc:
        raise session.classify_error(exc) from exc
    info = session.check(stream)          # TlsInfo; raises TlsError
    info.psk_identity                      # e.g. "R_CONSOLE\\x1e*UserAgent*"
"""

from __future__ import annotations

from typing import Any

from bareosnet.errors import TlsError
from bareosnet.tls.checks import TlsInfo, check_after_handshake, classify_ssl_error, describe
from bareosnet.tls.contexts import PskLookup, server_context
from bareosnet.tls.settings import TlsSettings


class ServerTlsSession:
    """Per-connection server context plus the PSK identity the client offered.

    Create one per accepted connection and use it for that connection only.
    ``offered_identity``: the last identity the client offered (or ``None``);
    ``found_identity``: that identity if the lookup returned a key for it.
    Whether the session really is PSK-keyed is only known after the handshake
    (:meth:`describe` / :meth:`check`): with a certificate loaded, TLS 1.3 may
    choose a certificate suite although the lookup found the key.
    """

    def __init__(
        self,
        settings: TlsSettings,
        psk_lookup: PskLookup | None,
        *,
        keep_psk_with_certificate: bool = False,
    ) -> None:
        self.settings = settings
        self.offered_identity: str | None = None
        self.found_identity: str | None = None
        self._lookup = psk_lookup
        self.context = server_context(
            settings,
            self._record if psk_lookup is not None else None,
            keep_psk_with_certificate=keep_psk_with_certificate,
        )

    def _record(self, identity: str) -> bytes | None:
        assert self._lookup is not None
        self.offered_identity = identity
        key = self._lookup(identity)
        self.found_identity = identity if key else None
        return key

    def describe(self, stream: Any) -> TlsInfo:
        """:class:`TlsInfo` of the finished handshake on ``stream``.

        ``stream``: a ``trio.SSLStream`` (it forwards ``version``, ``cipher``,
        ``session_reused`` and ``getpeercert``), ``ssl.SSLObject`` or ``SSLSocket``.
        """
        return describe(stream, self.found_identity)

    def check(self, stream: Any, *, require_psk: bool = False) -> TlsInfo:
        """Bareos's server-side checks (TLS Allowed CN) plus optional ``require_psk``."""
        return check_after_handshake(
            stream,
            self.settings,
            server_side=True,
            psk_meant=self._lookup is not None,
            peer_host=None,
            psk_identity=self.found_identity,
            require_psk=require_psk,
        )

    def classify_error(self, exc: BaseException) -> TlsError:
        """:func:`classify_ssl_error`, sharpened by what the PSK callback saw."""
        if isinstance(exc, TlsError):
            return exc
        if self.offered_identity is not None and self.found_identity is None:
            name = self.offered_identity.replace("\x1e", " ")
            return TlsError(
                f"TLS server side (we accepted): the client offered PSK identity {name}, "
                "which has no key here — check that a resource of that type and name "
                "exists in this daemon's configuration",
                cause="unknown-identity",
            )
        return classify_ssl_error(
            exc, server_side=True, psk_identity=self.found_identity or self.offered_identity
        )
