from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bareosnet.proto.session_key import (
    SESSION_KEY_LENGTH,
    SessionKey,
    is_session_key,
    make_session_key,
)
from tests.support.transcripts import read_transcript


def test_reference_vector() -> None:
    # Reference section 11.7: bytes 00..0f.
    assert make_session_key(bytes(range(16))) == "AABA-CADA-EAFA-GAHA-IAJA-KALA-MANA-OAPA"


def test_low_nibble_first() -> None:
    assert make_session_key(b"\x1f" + bytes(15)).startswith("PB")


def test_random_keys_have_the_bareos_shape() -> None:
    keys = {make_session_key() for _ in range(50)}
    assert len(keys) == 50
    for key in keys:
        assert len(key) == SESSION_KEY_LENGTH
        assert is_session_key(key)


@given(st.binary(min_size=16, max_size=16))
def test_any_bytes_give_a_valid_key(rand: bytes) -> None:
    key = make_session_key(rand)
    assert is_session_key(key)
    # Decoding the nibbles gives the bytes back.
    letters = key.replace("-", "")
    back = bytes(
        (ord(letters[i]) - 65) | ((ord(letters[i + 1]) - 65) << 4) for i in range(0, 32, 2)
    )
    assert back == rand


def test_wrong_length_is_refused() -> None:
    with pytest.raises(ValueError):
        make_session_key(b"short")


@pytest.mark.parametrize(
    "text",
    [
        "",
        "dummy",
        "AABA-CADA-EAFA-GAHA-IAJA-KALA-MANA-OAP",
        "AABA-CADA-EAFA-GAHA-IAJA-KALA-MANA-OAPQ",
        "AABACADA-EAFA-GAHA-IAJA-KALA-MANA-OAPA-",
        "aaba-cada-eafa-gaha-iaja-kala-mana-oapa",
    ],
)
def test_not_session_keys(text: str) -> None:
    assert not is_session_key(text)


def test_keys_seen_in_the_transcripts_have_the_shape() -> None:
    frames = read_transcript("stream04-to-storage-daemon")
    reply = next(f.payload for f in frames if f.payload and f.payload.startswith(b"3000 OK Job"))
    key = reply.split(b"Authorization=")[1].strip().decode()
    assert key == "GMEJ-POHO-FAOG-HCCI-JHML-PMAD-FBEC-EHIA"
    assert is_session_key(key)


def test_session_key_value_hides_the_secret() -> None:
    key = SessionKey("GMEJ-POHO-FAOG-HCCI-JHML-PMAD-FBEC-EHIA")
    assert "GMEJ" not in repr(key)
    assert "GMEJ" not in str(key)
    assert "GMEJ" not in f"{key}"
    assert key.value == "GMEJ-POHO-FAOG-HCCI-JHML-PMAD-FBEC-EHIA"
    assert key == SessionKey("GMEJ-POHO-FAOG-HCCI-JHML-PMAD-FBEC-EHIA")
    assert is_session_key(SessionKey.generate().value)
    assert SessionKey("dummy").is_dummy


def test_session_key_refuses_blank_values() -> None:
    with pytest.raises(ValueError):
        SessionKey("")
    with pytest.raises(ValueError):
        SessionKey("AB CD")
