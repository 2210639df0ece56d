"""The TLS-PSK credentials a connector offers.

The identity is ``R_<TYPE>`` 0x1E ``<name>`` (built by
``bareosnet.proto.names.psk_identity``); the key is the ASCII bytes of the
stored password, i.e. the 32-character md5 hex of the cleartext, or a job's
session key.  Bareos copies both as C strings into OpenSSL's buffers, so
neither may contain NUL.
"""

from __future__ import annotations

import ssl

import attrs

# Buffer sizes OpenSSL gives the legacy PSK callbacks (PSK_MAX_IDENTITY_LEN,
# PSK_MAX_PSK_LEN): 256 / 512 since OpenSSL 3.0, 128 / 256 before.  A unique
# job name can be longer than 128 bytes, so the real limit matters.
if ssl.OPENSSL_VERSION_INFO >= (3,):
    MAX_IDENTITY_BYTES, MAX_KEY_BYTES = 256, 512
else:  # pragma: no cover - this project runs on OpenSSL 3
    MAX_IDENTITY_BYTES, MAX_KEY_BYTES = 128, 256


def _check_identity(_: object, __: attrs.Attribute[str], identity: str) -> None:
    raw = identity.encode("utf-8")
    if not raw or b"\0" in raw or len(raw) > MAX_IDENTITY_BYTES:
        raise ValueError(
            f"PSK identity must be 1..{MAX_IDENTITY_BYTES} bytes without NUL (got {len(raw)} bytes)"
        )


def _check_key(_: object, __: attrs.Attribute[bytes], key: bytes) -> None:
    # The message never shows the key itself.
    if not key or b"\0" in key or len(key) > MAX_KEY_BYTES:
        raise ValueError(f"PSK key must be 1..{MAX_KEY_BYTES} bytes without NUL")


@attrs.frozen
class PskCredentials:
    """What a TLS client sends: identity (a name, not secret) and key (secret)."""

    identity: str = attrs.field(validator=_check_identity)
    key: bytes = attrs.field(repr=False, validator=_check_key)
