import pytest
from hypothesis import given
from hypothesis import strategies as st

from bareosnet.errors import ProtocolError
from bareosnet.proto.framing import encode_packet
from bareosnet.proto.hello import HelloKind, Persona, build_hello, parse_hello
from bareosnet.proto.names import (
    ResourceType,
    bash_spaces,
    parse_psk_identity,
    psk_identity,
    qualified_cram_name,
    unbash_spaces,
)
from bareosnet.proto.policy import (
    PeekResult,
    TlsPolicy,
    classify_first_bytes,
    cleartext_allowed,
    get_policy,
    select_tls_policy,
)

# ------------------------------------------------------------------ names


@pytest.mark.parametrize(
    "rtype,name,hexid",
    [
        (ResourceType.CONSOLE, "*UserAgent*", "52 5f 43 4f 4e 53 4f 4c 45 1e 2a 55 73 65 72 41 67 65 6e 74 2a"),
        (ResourceType.CONSOLE, "admin tls", "52 5f 43 4f 4e 53 4f 4c 45 1e 61 64 6d 69 6e 20 74 6c 73"),
        (ResourceType.DIRECTOR, "bareos-dir", "52 5f 44 49 52 45 43 54 4f 52 1e 62 61 72 65 6f 73 2d 64 69 72"),
        (ResourceType.CLIENT, "bareos-fd", "52 5f 43 4c 49 45 4e 54 1e 62 61 72 65 6f 73 2d 66 64"),
        (ResourceType.JOB, "backup-bareos-fd.2024-05-01_10.00.00_04",
         "52 5f 4a 4f 42 1e 62 61 63 6b 75 70 2d 62 61 72 65 6f 73 2d 66 64 2e 32 30 32 34 2d 30 35 2d 30 31 5f 31 30 2e 30 30 2e 30 30 5f 30 34"),
    ],
)  # fmt: skip
def test_psk_identities_reference_11_4(rtype, name, hexid):
    ident = psk_identity(rtype, name)
    assert ident.encode().hex(" ") == hexid
    assert parse_psk_identity(ident) == (rtype, name)


def test_bad_identities():
    for bad in ["R_CONSOLE", "R_NOPE\x1ex", "R_CLIENT\x1e"]:
        with pytest.raises(ProtocolError):
            parse_psk_identity(bad)


@given(st.text(alphabet=st.characters(blacklist_characters="\x01"), max_size=30))
def test_bash_round_trip(name):
    assert " " not in bash_spaces(name)
    assert unbash_spaces(bash_spaces(name)) == name


def test_qualified_cram_names():
    assert qualified_cram_name(ResourceType.CLIENT, "bareos-fd") == "R_CLIENT::bareos-fd"
    assert qualified_cram_name(ResourceType.CONSOLE, "my con") == "R_CONSOLE::my\x01con"


# ------------------------------------------------------------------ hello

HELLOS = {
    # kind: (17.2, 18.2 and 25, 26)
    HelloKind.CONSOLE: (
        "Hello admin calling\n",
        "Hello admin calling version {v}\n",
        'Hello admin calling version 26.0.0 Version="26.0.0"\n',
    ),
    HelloKind.DIRECTOR: (
        "Hello Director admin calling\n",
        "Hello Director admin calling\n",
        'Hello Director admin calling Version="26.0.0"\n',
    ),
    HelloKind.CLIENT: (
        "Hello Client admin FdProtocolVersion=54 calling\n",
        "Hello Client admin FdProtocolVersion=54 calling\n",
        'Hello Client admin FdProtocolVersion=54 calling Version="26.0.0"\n',
    ),
    HelloKind.START_JOB: (
        "Hello Start Job admin\n",
        "Hello Start Job admin\n",
        'Hello Start Job admin Version="26.0.0"\n',
    ),
    HelloKind.STORAGE_START_JOB: (
        "Hello Storage calling Start Job admin\n",
        "Hello Storage calling Start Job admin\n",
        'Hello Storage calling Start Job admin Version="26.0.0"\n',
    ),
    HelloKind.START_STORAGE_JOB: (
        "Hello Start Storage Job admin\n",
        "Hello Start Storage Job admin\n",
        'Hello Start Storage Job admin Version="26.0.0"\n',
    ),
}


@pytest.mark.parametrize("kind", list(HELLOS))
@pytest.mark.parametrize("persona", list(Persona))
def test_hello_per_persona(kind, persona):
    old, mid, new = HELLOS[kind]
    expected = {Persona.V17_2: old, Persona.V18_2: mid, Persona.V25: mid, Persona.V26: new}[persona]
    expected = expected.replace("{v}", persona.version)
    assert build_hello(kind, "admin", persona).decode() == expected
    info = parse_hello(expected.encode())
    assert info.kind is kind and info.name == "admin"
    if persona is Persona.V26:
        assert info.bareos_version == "26.0.0"


def test_reference_hello_bytes():
    assert encode_packet(build_hello(HelloKind.DIRECTOR, "bareos-dir", Persona.V25)).hex(" ") == (
        "00 00 00 22 48 65 6c 6c 6f 20 44 69 72 65 63 74 6f 72 20 62 61 72 65 6f 73 2d 64 69 72 "
        "20 63 61 6c 6c 69 6e 67 0a"
    )
    assert build_hello(HelloKind.CONSOLE, "*UserAgent*", Persona.V25, "25.0.0") == (
        b"Hello *UserAgent* calling version 25.0.0\n"
    )


def test_parse_real_hellos_from_transcripts():
    h = parse_hello(b'Hello *UserAgent* calling version 26.0.0~pre1298.eda204c31 Version="26.0.0"\n')
    assert (h.kind, h.name, h.console_version, h.bareos_version) == (
        HelloKind.CONSOLE, "*UserAgent*", 2600, "26.0.0")  # fmt: skip
    h = parse_hello(b"Hello Client test-fd FdProtocolVersion=54 calling\n")
    assert h.kind is HelloKind.CLIENT and h.fd_protocol_version == 54
    h = parse_hello(b"Hello Director my\x01dir calling\n")
    assert h.name == "my dir"
    h = parse_hello(b"Hello *UserAgent* calling version 18.2.5\n")  # python-bareos
    assert h.console_version == 1802
    h = parse_hello(b"Hello admin calling\n")
    assert h.console_version == 1  # pre-18.2


@pytest.mark.parametrize(
    "bad",
    [b"", b"Goodbye", b"Hello", b"Hello Director x", b"Hello admin calling version x.y", b"\xff\xfe"],
)
def test_bad_hellos(bad):
    with pytest.raises(ProtocolError):
        parse_hello(bad)


# ------------------------------------------------------------------ policy


def test_get_policy():
    assert get_policy(False, False) == 0 and get_policy(False, True) == 0
    assert get_policy(True, False) == 1 and get_policy(True, True) == 2


# SelectTlsPolicy table of reference 2.6, every cell.
@pytest.mark.parametrize(
    "remote,local,expected",
    [
        (0, 0, TlsPolicy.NONE), (0, 1, TlsPolicy.NONE), (0, 2, TlsPolicy.DENY),
        (1, 0, TlsPolicy.NONE), (1, 1, TlsPolicy.ENABLED), (1, 2, TlsPolicy.ENABLED),
        (2, 0, TlsPolicy.DENY), (2, 1, TlsPolicy.ENABLED), (2, 2, TlsPolicy.ENABLED),
        (4, 0, TlsPolicy.AUTO), (4, 1, TlsPolicy.AUTO), (4, 2, TlsPolicy.AUTO),
        (None, 2, TlsPolicy.DENY), (None, 1, TlsPolicy.NONE),
        (254, 0, TlsPolicy.NONE), (255, 2, TlsPolicy.DENY),
    ],
)  # fmt: skip
def test_select_tls_policy(remote, local, expected):
    assert select_tls_policy(remote, local) is expected


@pytest.mark.parametrize(
    "data,result",
    [
        (encode_packet(b"Hello Director x calling\n"), PeekResult.CLEARTEXT),
        (bytes.fromhex("1603010244") + b"\0" * 20, PeekResult.TLS),
        (encode_packet(b"Hello Director x calling\n")[:9], PeekResult.TOO_SHORT),
        (b"\x00\x00\x00\x05Hell", PeekResult.TOO_SHORT),
        (b"\x00\x00\x00\x22Hellx plus", PeekResult.TLS),
    ],
)
def test_peek(data, result):
    assert classify_first_bytes(data) is result


@pytest.mark.parametrize(
    "hello,policy,allowed",
    [
        (b"Hello Client fd FdProtocolVersion=54 calling", 2, False),
        (b"Hello Client fd FdProtocolVersion=54 calling", 1, True),
        (b"Hello Client fd FdProtocolVersion=54 calling", 0, True),
        (b"Hello admin calling", 2, True),  # pre-18.2 console reaches CRAM
        (b"Hello admin calling version 17.2.7", 1, True),
        (b"Hello admin calling version 25.0.0", 1, False),
        (b"Hello admin calling version 25.0.0", 0, True),
        (b"Hello Director d calling", 0, True),
        (b"Hello Director d calling", 1, False),
        (b"Hello Director d calling", 2, False),
        (b"Hello Start Job j", 0, True),
        (b"Hello Start Job j", 2, False),
    ],
)
def test_cleartext_decision(hello, policy, allowed):
    assert cleartext_allowed(parse_hello(hello), policy) is allowed
