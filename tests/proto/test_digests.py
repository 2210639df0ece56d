"""Digest streams and the catalog text of a digest."""

from __future__ import annotations

import base64
import hashlib

from hypothesis import given
from hypothesis import strategies as st

from bareosnet.proto.digests import DIGEST_CONSTRUCTORS, catalog_digest_text, new_digest
from bareosnet.proto.fileset import options_from_keywords
from bareosnet.proto.streams import DIGEST_LENGTHS, SIGNATURE_STREAMS, Stream


def test_stream_numbers_are_bareos_streams_h() -> None:
    assert {int(s): DIGEST_LENGTHS[s] for s in DIGEST_CONSTRUCTORS} == {
        3: 16, 10: 20, 17: 32, 18: 64, 40: 16,
    }  # fmt: skip
    # Signature = XXH128 travels as "S4" and goes out on stream 40.
    letters = options_from_keywords({"signature": "XXH128"}, apply_defaults=False)
    assert letters == "S4" and SIGNATURE_STREAMS[letters] == Stream.XXH128_DIGEST == 40


def test_xxh128_is_the_canonical_big_endian_form() -> None:
    # XXH3_128bits("") from the xxHash sanity vectors (high64, low64).
    h = new_digest(Stream.XXH128_DIGEST)
    assert h is not None
    assert h.digest().hex() == "99aa06d3014798d86001c324468d497f"
    assert len(h.digest()) == DIGEST_LENGTHS[Stream.XXH128_DIGEST]


def test_md5_and_sha_are_hashlib() -> None:
    for stream, name in [(3, "md5"), (10, "sha1"), (17, "sha256"), (18, "sha512")]:
        h = new_digest(stream)
        assert h is not None
        h.update(b"bareos")
        assert h.digest() == hashlib.new(name, b"bareos").digest()
    assert new_digest(Stream.FILE_DATA) is None and new_digest(None) is None


def test_catalog_text_of_a_known_md5() -> None:
    # md5("") = d41d8cd98f00b204e9800998ecf8427e -> what a Bareos catalog holds for an empty file.
    assert catalog_digest_text(hashlib.md5(b"").digest()) == "1B2M2Y8AsgTpgAmY7PhCfg"


@given(st.binary(min_size=1, max_size=64))
def test_catalog_text_is_standard_base64_without_padding(digest: bytes) -> None:
    assert catalog_digest_text(digest) == base64.b64encode(digest).decode().rstrip("=")
