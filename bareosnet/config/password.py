"""Passwords as Bareos stores them.

Bareos never keeps the cleartext of a daemon password: ``Password = "x"`` is
stored as the 32-character hex MD5 of ``x``, and that ASCII hex string is what
CRAM-MD5 and TLS-PSK use as key.  ``Password = "[md5]<32 hex>"`` is taken as
already hashed and stored verbatim (Bareos does not change its case, so
neither do we: the key must be byte-identical to the one a real daemon uses).
A few directives (Catalog ``DbPassword``, NDMP passwords, ``Key Encryption
Key``) keep the cleartext; those are ``Password`` values with
``encoding == "clear"``.

Nothing here ever puts a password into a repr or an exception message.
"""

from __future__ import annotations

import hashlib
import string

import attrs

from bareosnet.errors import ConfigError

MD5_PREFIX = "[md5]"
_HEX = frozenset(string.hexdigits)
# md5("") - Bareos refuses it for required passwords even when given as [md5].
EMPTY_MD5 = hashlib.md5(b"").hexdigest()


def _check_md5hex(_instance: object, _attribute: object, value: str) -> None:
    if len(value) != 32 or not set(value) <= _HEX:
        raise ValueError("md5hex must be 32 hexadecimal digits")


@attrs.frozen(repr=False)
class Password:
    """A stored password: the md5 hex digest (and the cleartext only where Bareos keeps it)."""

    md5hex: str = attrs.field(validator=_check_md5hex)
    encoding: str = "md5"  # "md5" or "clear"
    cleartext: str | None = attrs.field(default=None, eq=False)

    def __repr__(self) -> str:
        return f"Password(encoding={self.encoding!r}, md5hex=<hidden>)"

    __str__ = __repr__

    @property
    def key(self) -> bytes:
        """The bytes used as CRAM-MD5 key and TLS-PSK: the ASCII md5 hex string."""
        return self.md5hex.encode("ascii")

    @property
    def config_value(self) -> str:
        """How ``show`` prints the value (between the quotes)."""
        if self.encoding == "clear" and self.cleartext is not None:
            return self.cleartext
        return MD5_PREFIX + self.md5hex

    @classmethod
    def from_cleartext(cls, secret: str) -> Password:
        """Hash a cleartext password the way Bareos's ``StoreMd5Password`` does."""
        digest = hashlib.md5(secret.encode("utf-8", "surrogateescape")).hexdigest()
        return cls(digest)

    @classmethod
    def clear(cls, secret: str) -> Password:
        """A password Bareos keeps in cleartext (Catalog, NDMP, Key Encryption Key)."""
        digest = hashlib.md5(secret.encode("utf-8", "surrogateescape")).hexdigest()
        return cls(digest, "clear", secret)

    @classmethod
    def from_config_value(cls, value: str) -> Password:
        """Parse what follows ``Password =``: ``[md5]<hex>`` verbatim, else cleartext.

        Raises :class:`ConfigError` (without any part of the value) when an
        ``[md5]`` value is not exactly 32 hexadecimal digits.
        """
        if value.startswith(MD5_PREFIX):
            candidate = value[len(MD5_PREFIX) :]
            if len(candidate) != 32:
                raise ConfigError(
                    "md5 password does not have the right size; expected 32 hex digits"
                )
            if not set(candidate) <= _HEX:
                raise ConfigError("md5 password contains non hexadecimal characters")
            return cls(candidate)
        return cls.from_cleartext(value)

    @property
    def is_empty(self) -> bool:
        """True for the md5 of the empty string (refused where a password is required)."""
        return self.md5hex.lower() == EMPTY_MD5
