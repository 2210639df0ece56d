"""One exception hierarchy for the whole library.

Every error carries the text a user needs to act on it.  Local protocol errors
(we could not parse what the peer sent) and authentication failures are kept
apart so that daemons can log the right cause and answer the peer with the
right Bareos error line.  No error message ever contains a secret.
"""

from __future__ import annotations


class BareosError(Exception):
    """Base class of every error raised by bareosnet."""


class ProtocolError(BareosError):
    """The peer sent bytes that do not follow the Bareos protocol."""


class OversizePacketError(ProtocolError):
    """A packet header announced more than the 1,000,000-byte cap."""

    def __init__(self, length: int, limit: int) -> None:
        super().__init__(f"packet size too big: {length} bytes announced, limit {limit}")
        self.length = length
        self.limit = limit


class PeerClosedError(ProtocolError):
    """The peer closed the connection (with or without BNET_TERMINATE)."""


class HandshakeTimeoutError(BareosError):
    """A wait during a handshake or a command ran past its timeout."""


class AuthError(BareosError):
    """Authentication failed (wrong password, unknown name, policy deny, ...).

    ``cause`` is a short machine-readable word: ``unknown-name``,
    ``wrong-password``, ``peer-rejected``, ``policy-deny``, ``tls-required``,
    ``bad-hello``, ``bad-challenge``, ``replay``, ``not-allowed``.
    """

    def __init__(self, message: str, cause: str = "auth") -> None:
        super().__init__(message)
        self.cause = cause


class TlsError(BareosError):
    """TLS setup or handshake failed.

    ``cause``: ``psk-mismatch``, ``unknown-identity``, ``untrusted``,
    ``cn-not-allowed``, ``revoked``, ``expired``, ``not-psk``, ``config``,
    ``handshake`` (anything else).
    """

    def __init__(self, message: str, cause: str = "handshake") -> None:
        super().__init__(message)
        self.cause = cause


class ConfigError(BareosError):
    """A configuration file is wrong.  ``file`` and ``line`` point at it."""

    def __init__(self, message: str, file: str | None = None, line: int | None = None) -> None:
        where = ""
        if file is not None:
            where = f"{file}:{line}: " if line is not None else f"{file}: "
        super().__init__(where + message)
        self.file = file
        self.line = line
        self.reason = message
