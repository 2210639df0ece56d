import pytest
from hypothesis import given
from hypothesis import strategies as st

from bareosnet.errors import AuthError
from bareosnet.proto import cram
from bareosnet.proto.framing import encode_packet

# Reference section 11.2, verbatim.
VECTORS = [
    ("<1804289383.1700000000@R_DIRECTOR::bareos-dir>", "5ebe2294ecd0e0f08eab7690d2a6ee69",
     "8b4009741903e3a672b4600392898291", "i0AJdBkD46ZytGADk4+CkB", "i0AJdBkD46ZytGADkomCkQ"),
    ("<846930886.1712345678@R_CLIENT::bareos-fd>", "c23bd25668dd904979a9aa3e502b5933",
     "e7f22e7d91e50ebe984cc7741e809699", "5/Iuf5/lD7+YT8d0H4+WmB", "5/IufZHlDr6YTMd0HoCWmQ"),
    ("<1681692777.1712345678@R_CONSOLE::*UserAgent*>", "5ebe2294ecd0e0f08eab7690d2a6ee69",
     "4289b559054b88454d576849234b8577", "Q4+1WQVLiEVNV2hJI0+FdD", "Qom1WQVLiEVNV2hJI0uFdw"),
    ("<1714636915.1500000000@bareos-dir>", "5ebe2294ecd0e0f08eab7690d2a6ee69",
     "94466f56ab0639dd73a5a694d770c803", "lEZvV6sGO91zp6+U13/IAD", "lEZvVqsGOd1zpaaU13DIAw"),
    ("<424238335.1712345678@R_STORAGE::bareos-sd>", "KHPC-BMDF-GNLM-FJAK-DBPA-OHCN-JLEB-INMC",
     "671593dee421ddf0f2e4170b03640f12", "Zx+T3+Qh3//y5BcLA2QPEC", "ZxWT3uQh3fDy5BcLA2QPEg"),
    ("<1957747793.1712345678@File\x01daemon>", "KHPC-BMDF-GNLM-FJAK-DBPA-OHCN-JLEB-INMC",
     "ef12725cde73f442f79eb05e7aa8946f", "7xJyX95z9E/3n7Bee6+UbD", "7xJyXN5z9EL3nrBeeqiUbw"),
    ("<1234567890.1700000000@R_DIRECTOR::bareos-dir>", "5ebe2294ecd0e0f08eab7690d2a6ee69",
     "c06452e19309c10ed3d212dd6f13d648", "wGRS45MJwQ/T0h/dbx/WSA", "wGRS4ZMJwQ7T0hLdbxPWSA"),
]  # fmt: skip


@pytest.mark.parametrize("challenge,key,digest,bareos,standard", VECTORS)
def test_reference_vectors(challenge, key, digest, bareos, standard):
    import hashlib
    import hmac

    assert hmac.new(key.encode(), challenge.encode(), hashlib.md5).hexdigest() == digest
    assert cram.compute_response(key.encode(), challenge) == bareos
    assert cram.compute_response(key.encode(), challenge, standard=True) == standard
    parsed = cram.parse_challenge(f"auth cram-md5 {challenge} ssl=0\n".encode())
    assert cram.verify_response(key.encode(), parsed, bareos.encode() + b"\x00")
    assert cram.verify_response(key.encode(), parsed, standard.encode())
    assert not cram.verify_response(b"0" * 32, parsed, bareos.encode())


@pytest.mark.parametrize(
    "password,key",
    [
        ("secret", "5ebe2294ecd0e0f08eab7690d2a6ee69"),
        ("fd-password-123", "c23bd25668dd904979a9aa3e502b5933"),
        ("Secret-Password", "d19308021fffd494056e28f695909923"),
        ("", "d41d8cd98f00b204e9800998ecf8427e"),
    ],
)
def test_password_key(password, key):
    assert cram.password_key(password) == key.encode()


def test_wire_form_of_response_1():
    ch = cram.parse_challenge(b"auth cram-md5 <1804289383.1700000000@R_DIRECTOR::bareos-dir> ssl=2\n")
    pkt = encode_packet(cram.response_packet(b"5ebe2294ecd0e0f08eab7690d2a6ee69", ch))
    assert pkt.hex(" ") == (
        "00 00 00 17 69 30 41 4a 64 42 6b 44 34 36 5a 79 74 47 41 44 6b 34 2b 43 6b 42 00"
    )


def test_challenge_message_exact_bytes():
    ch = cram.new_challenge("R_DIRECTOR::bareos-dir", 2, random=1804289383, timestamp=1700000000)
    assert encode_packet(ch.message()).hex() == (
        "00000043617574682063726" "16d2d6d6435203c313830343238393338332e31373030303030303030"
        "40525f4449524543544f523a3a626172656f732d6469723e2073736c3d320a"
    )


def test_parse_variants():
    c = cram.parse_challenge(b"auth cram-md5c <1.2@x> ssl=1\n")
    assert c.compatible and c.policy == 1 and c.name == "x"
    c = cram.parse_challenge(b"auth cram-md5 <1.2@x>\n")
    assert c.policy is None and not c.compatible
    # python-bareos challenges: 10-digit random, bare name
    c = cram.parse_challenge(b"auth cram-md5 <2383434892.1795741013@*UserAgent*> ssl=0\n")
    assert c.name == "*UserAgent*" and c.policy == 0
    # cram-md5c is answered in standard base64
    assert cram.response_packet(b"k", cram.parse_challenge(b"auth cram-md5c <1.2@x>")) == (
        cram.compute_response(b"k", "<1.2@x>", standard=True).encode() + b"\x00"
    )


@pytest.mark.parametrize(
    "payload",
    [b"", b"hello", b"auth cram-md5 nobrackets ssl=0", b"auth cram-md5 <a.b@x> ssl=0", b"\xff\xfe"],
)
def test_bad_challenges(payload):
    with pytest.raises(AuthError) as info:
        cram.parse_challenge(payload)
    assert info.value.cause == "bad-challenge"


def test_replay_rule():
    ch = cram.parse_challenge(b"auth cram-md5 <1.2@R_CLIENT::fd> ssl=0")
    assert cram.is_replay(ch, "R_CLIENT::fd")
    assert not cram.is_replay(ch, "R_DIRECTOR::dir")
    sd = cram.parse_challenge(b"auth cram-md5 <1.2@R_STORAGE::sd> ssl=0")
    assert not cram.is_replay(sd, "R_STORAGE::sd")  # SD <-> SD with equal names is allowed


@given(st.binary(min_size=0, max_size=40))
def test_standard_variant_is_rfc4648_without_padding(data):
    import base64

    assert cram.bareos_base64(data, standard=True) == base64.b64encode(data).decode().rstrip("=")


@given(st.binary(min_size=16, max_size=16), st.binary(min_size=1, max_size=40))
def test_response_is_22_chars(digest_key, text):
    r = cram.compute_response(digest_key, "<1.2@" + text.hex() + ">")
    assert len(r) == 22
