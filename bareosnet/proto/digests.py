"""File digests: the ``Signature =`` option's hash per digest stream, and its catalog text.

The File daemon sends one digest record per regular file after its data
(``<FI> <stream> 0``, the raw digest bytes, EOD).  The bytes are what the
library gives: MD5/SHA-* as hashlib, XXH128 in xxHash's *canonical* form
(big endian, ``XXH128_canonicalFromHash``), which is what ``xxhash.xxh3_128
().digest()`` returns.

The Director stores the digest in the catalog's ``File.MD5`` column with
``BinToBase64(..., use_standard_encoding=true)``: standard base64 without
``=`` padding (Bareos ``dird/catreq.cc``).  The hashed bytes are the bytes
*sent*: with ``Sparse = yes`` a skipped all-zero block is not hashed
(Bareos ``SendDataToSd`` returns before ``CryptoDigestUpdate``), so the
digest of a sparse file is that of its data blocks only.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Protocol

import xxhash

from bareosnet.proto.cram import bareos_base64
from bareosnet.proto.streams import Stream


class Digest(Protocol):
    def update(self, data: bytes, /) -> None: ...
    def digest(self) -> bytes: ...
    def hexdigest(self) -> str: ...


def _md5() -> Digest:
    return hashlib.md5(usedforsecurity=False)


def _sha1() -> Digest:
    return hashlib.sha1(usedforsecurity=False)


DIGEST_CONSTRUCTORS: dict[int, Callable[[], Digest]] = {
    Stream.MD5_DIGEST: _md5,
    Stream.SHA1_DIGEST: _sha1,
    Stream.SHA256_DIGEST: hashlib.sha256,
    Stream.SHA512_DIGEST: hashlib.sha512,
    Stream.XXH128_DIGEST: xxhash.xxh3_128,
}

# Bareos's names for the digest types (``crypto_digest_name``), for messages.
DIGEST_NAMES: dict[int, str] = {
    Stream.MD5_DIGEST: "MD5",
    Stream.SHA1_DIGEST: "SHA1",
    Stream.SHA256_DIGEST: "SHA256",
    Stream.SHA512_DIGEST: "SHA512",
    Stream.XXH128_DIGEST: "XXH128",
}


def new_digest(stream: int | None) -> Digest | None:
    """A fresh hash object for a digest stream number, or None for any other stream."""
    if stream is None:
        return None
    make = DIGEST_CONSTRUCTORS.get(stream)
    return make() if make is not None else None


def catalog_digest_text(digest: bytes) -> str:
    """The ``File.MD5`` column text: standard base64 without padding."""
    return bareos_base64(digest, standard=True)
