"""The TLS directives of one configuration resource, as a plain value.

This module imports nothing from ``ssl``: the config layer fills a
:class:`TlsSettings` from a resource, the policy code reads ``enable`` and
``require``, and only :mod:`bareosnet.tls.contexts` turns it into an
``ssl.SSLContext``.
"""

from __future__ import annotations

import attrs

# Cipher list Bareos uses for TLS <= 1.2 when ``TLS Cipher List`` is not set.
DEFAULT_CIPHER_LIST = "ALL:!ADH:!LOW:!EXP:!MD5:@STRENGTH"


@attrs.frozen
class TlsSettings:
    """Every directive of the "Transport Encryption" chapter for one resource."""

    enable: bool = True
    require: bool = True
    certificate: str | None = None
    key: str | None = None
    key_passphrase: str | None = attrs.field(default=None, repr=False)
    verify_peer: bool = False
    allowed_cns: tuple[str, ...] = ()
    ca_certificate_file: str | None = None
    ca_certificate_dir: str | None = None
    certificate_revocation_list: str | None = None
    dh_file: str | None = None
    cipher_list: str | None = None
    cipher_suites: str | None = None
    protocol: str | None = None

    @property
    def has_certificate(self) -> bool:
        """True when this resource is configured for certificate TLS."""
        return self.certificate is not None and self.key is not None

    @property
    def policy(self) -> int:
        """Bareos ``GetPolicy()``: 0 none, 1 enabled, 2 required."""
        if not self.enable:
            return 0
        return 2 if self.require else 1


CLEARTEXT = TlsSettings(enable=False, require=False)
