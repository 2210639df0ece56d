"""TLS policy: the ``ssl=`` numbers, the post-CRAM decision, the acceptor's peek.

Bareos has two ways to start a connection.  TLS-first: the connector opens
with a TLS ClientHello (PSK or certificates) and the Bareos Hello follows
inside TLS.  Cleartext-first (the pre-18.2 protocol): Hello and CRAM-MD5 in
cleartext, each CRAM challenge carrying the challenger's policy, then TLS or
not according to :func:`select_tls_policy`.
"""

from __future__ import annotations

from enum import Enum, IntEnum

from bareosnet.proto.framing import HEADER_LENGTH
from bareosnet.proto.hello import HelloInfo, HelloKind
from bareosnet.proto.names import USER_AGENT


class TlsPolicy(IntEnum):
    NONE = 0  # TLS Enable = no
    ENABLED = 1  # TLS Enable = yes, TLS Require = no
    REQUIRED = 2  # TLS Enable = yes, TLS Require = yes
    AUTO = 4  # "TLS first": job commands only
    UNKNOWN = 254  # initialiser; ssl=254 for jobs without storage
    DENY = 255  # internal: refuse


class HandshakeMode(Enum):
    """How the Director last reached a File daemon (kept per Client)."""

    UNDEFINED = "undefined"
    TLS_FIRST = "tls-first"
    CLEARTEXT_FIRST = "cleartext-first"
    FAILED = "failed"


def get_policy(enable: bool, require: bool) -> TlsPolicy:
    """Bareos ``GetPolicy()`` of a resource."""
    if not enable:
        return TlsPolicy.NONE
    return TlsPolicy.REQUIRED if require else TlsPolicy.ENABLED


# SelectTlsPolicy(remote, local): what happens after a cleartext CRAM exchange.
_SELECT: dict[tuple[int, int], TlsPolicy] = {
    (0, 0): TlsPolicy.NONE,
    (0, 1): TlsPolicy.NONE,
    (0, 2): TlsPolicy.DENY,
    (1, 0): TlsPolicy.NONE,
    (1, 1): TlsPolicy.ENABLED,
    (1, 2): TlsPolicy.ENABLED,
    (2, 0): TlsPolicy.DENY,
    (2, 1): TlsPolicy.ENABLED,
    (2, 2): TlsPolicy.ENABLED,
}


def select_tls_policy(remote: int | None, local: int) -> TlsPolicy:
    """NONE = stay cleartext, ENABLED = start TLS now, DENY = fail, AUTO = TLS already up.

    A peer that sent no ``ssl=`` (``remote is None``) counts as policy 0, as
    in Bareos where the value stays at its "none" initialiser.
    """
    if remote == TlsPolicy.AUTO:
        return TlsPolicy.AUTO
    r = 0 if remote is None or remote not in (0, 1, 2) else remote
    l_ = local if local in (0, 1, 2) else 0
    return _SELECT[(r, l_)]


class PeekResult(Enum):
    TOO_SHORT = "too-short"
    CLEARTEXT = "cleartext"
    TLS = "tls"


# The acceptor needs the 4-byte header plus "Hello " to decide.
PEEK_MINIMUM = HEADER_LENGTH + len(b"Hello ")


def classify_first_bytes(data: bytes) -> PeekResult:
    """The acceptor's peek: ``Hello `` right after the header means cleartext."""
    if len(data) < PEEK_MINIMUM:
        return PeekResult.TOO_SHORT
    if data[HEADER_LENGTH:PEEK_MINIMUM] == b"Hello ":
        return PeekResult.CLEARTEXT
    return PeekResult.TLS


# Console Hello versions are major*100+minor; below this the console is pre-18.2.
RELEASE_18_2 = 1802


def cleartext_allowed(hello: HelloInfo, configured_policy: int) -> bool:
    """May a cleartext Hello proceed, given the acceptor's policy for that peer?

    Client-initiated File daemons are refused only when their Client resource
    requires TLS; pre-18.2 consoles always get to CRAM (and fail there if the
    policy requires TLS); everything else needs policy 0.
    """
    if hello.kind is HelloKind.CLIENT:
        return configured_policy != TlsPolicy.REQUIRED
    if hello.kind is HelloKind.CONSOLE and hello.console_version < RELEASE_18_2:
        return True
    return configured_policy == TlsPolicy.NONE


def default_console_policy_name(name: str) -> bool:
    """The default console is judged by the Director resource's own policy."""
    return name == USER_AGENT
