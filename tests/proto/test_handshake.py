"""The handshake machines, on bytes: golden transcripts and every connection row."""

import itertools

import pytest

from bareosnet.errors import AuthError
from bareosnet.proto import cram
from bareosnet.proto.connections import CONNECTIONS, spec
from bareosnet.proto.framing import FrameDecoder, Packet, SignalFrame, encode_packet
from bareosnet.proto.handshake import (
    AcceptorHandshake,
    AcceptPlan,
    ConnectorConfig,
    ConnectorHandshake,
    Done,
    Failed,
    Refusal,
    Send,
    StartTls,
    own_cram_name,
)
from bareosnet.proto.hello import HelloKind, Persona
from bareosnet.proto.policy import HandshakeMode
from bareosnet.proto.signals import Signal


def fixed(r, t):
    return lambda name, pol: cram.new_challenge(name, pol, random=r, timestamp=t)


def frames_of(events):
    dec = FrameDecoder()
    for e in events:
        if isinstance(e, Send):
            dec.feed(e.data)
    return list(dec.frames())


def pump(connector, acceptor, *, tls_hook=None):
    """Run both machines against each other; return (connector events, acceptor events)."""
    c_events, a_events = [], []
    pending_to_acceptor = list(connector.initiate())
    c_events += pending_to_acceptor
    pending_to_connector = []
    for _ in range(50):
        progressed = False
        for f in frames_of(pending_to_acceptor):
            evs = acceptor.receive(f)
            a_events += evs
            pending_to_connector += evs
            progressed = True
        pending_to_acceptor = []
        for e in list(pending_to_connector):
            if isinstance(e, StartTls):
                evs = acceptor.tls_established(" Encryption: TLS_X TLSv1.3")
                a_events += evs
                pending_to_connector += evs
        for f in frames_of(pending_to_connector):
            if connector.finished:
                break
            evs = connector.receive(f)
            c_events += evs
            pending_to_acceptor += evs
            progressed = True
            for e in evs:
                if isinstance(e, StartTls):
                    evs2 = connector.tls_established()
                    c_events += evs2
                    pending_to_acceptor += evs2
        pending_to_connector = []
        if not progressed:
            break
    return c_events, a_events


def key(pw):
    return cram.password_key(pw)


# ------------------------------------------------------------------ golden transcripts

STREAM01 = [  # Director -> FD, cleartext, lab-fd-secret
    ("C", b'Hello Director bareos-dir calling Version="26.0.0"\n'),
    ("S", b"auth cram-md5 <874717756.1795741808@R_CLIENT::bareos-fd> ssl=0\n"),
    ("C", b"9kx3jAAnQQI3ni+lvQQi4D\x00"),
    ("S", b"1000 OK auth\n"),
    ("C", b"auth cram-md5 <1114933586.1795741808@R_DIRECTOR::bareos-dir> ssl=0\n"),
    ("S", b"M70W14+MA5/1NmRtE9/JGA\x00"),
    ("C", b"1000 OK auth\n"),
    ("S", b"2000 OK Hello 54\n"),
]


def test_acceptor_replays_stream01_byte_exact():
    plan = AcceptPlan(spec("3"), key("lab-fd-secret"), 0, "bareos-fd")
    acc = AcceptorHandshake(lambda hello: plan, tls_active=False, challenge_factory=fixed(874717756, 1795741808))
    sent = []
    for who, payload in STREAM01:
        if who == "C":
            sent += frames_of(acc.receive(Packet(payload)))
    assert [f.payload for f in sent] == [p for w, p in STREAM01 if w == "S"]
    assert acc.result.peer_name == "bareos-dir"
    assert acc.result.mode is HandshakeMode.CLEARTEXT_FIRST


def test_connector_replays_stream01_byte_exact():
    cfg = ConnectorConfig(spec("3"), "bareos-dir", "bareos-dir", key("lab-fd-secret"), 0, Persona.V26)
    con = ConnectorHandshake(cfg, tls_active=False, challenge_factory=fixed(1114933586, 1795741808))
    sent = frames_of(con.initiate())
    for who, payload in STREAM01:
        if who == "S":
            sent += frames_of(con.receive(Packet(payload)))
    assert [f.payload for f in sent] == [p for w, p in STREAM01 if w == "C"]
    assert con.result.greeting == ("2000 OK Hello 54\n",)


STREAM00_LOGIN = [  # bconsole -> Director, default console, lab-console-secret
    ("C", b'Hello *UserAgent* calling version 26.0.0~pre1298.eda204c31 Version="26.0.0"\n'),
    ("S", b"auth cram-md5 <1153803475.1795741808@R_DIRECTOR::bareos-dir> ssl=0\n"),
    ("C", b"ElV8e3+6h6Ar57RGE9+VlC\x00"),
    ("S", b"1000 OK auth\n"),
    ("C", b"auth cram-md5 <1537581769.1795741808@R_CONSOLE::*UserAgent*> ssl=0\n"),
    ("S", b"D++OdG/0iAJnbTYpl7VUQA\x00"),
    ("C", b"1000 OK auth\n"),
    ("S", b"1000\x1eOK: bareos-dir Version: 26.0.0~pre1298.eda204c31 (21 August 2026)"),
    ("S", b"1002\x1eSelf-compiled binaries (UNSUPPORTED)\nGet professional support from "
          b"https://www.bareos.com\nYou are connected using the default console"),
]  # fmt: skip


def test_console_login_both_sides_stream00():
    greeting = [p for w, p in STREAM00_LOGIN[-2:]]
    plan = AcceptPlan(spec("1"), key("lab-console-secret"), 0, "bareos-dir", success=lambda enc: greeting)
    acc = AcceptorHandshake(lambda h: plan, tls_active=False, challenge_factory=fixed(1153803475, 1795741808))
    out = []
    for who, payload in STREAM00_LOGIN:
        if who == "C":
            out += frames_of(acc.receive(Packet(payload)))
    assert [f.payload for f in out] == [p for w, p in STREAM00_LOGIN if w == "S"]

    cfg = ConnectorConfig(spec("1"), "*UserAgent*", "*UserAgent*", key("lab-console-secret"), 0,
                          Persona.V26, version="26.0.0~pre1298.eda204c31")  # fmt: skip
    con = ConnectorHandshake(cfg, tls_active=False, challenge_factory=fixed(1537581769, 1795741808))
    out = frames_of(con.initiate())
    for who, payload in STREAM00_LOGIN:
        if who == "S":
            out += frames_of(con.receive(Packet(payload)))
    assert [f.payload for f in out] == [p for w, p in STREAM00_LOGIN if w == "C"]
    assert con.result.greeting[0].startswith("1000\x1eOK: bareos-dir")


def test_stream02_storage_responses():
    k = key("lab-sd-secret")
    assert cram.compute_response(k, "<594355184.1795741808@R_STORAGE::bareos-sd>") == "T4AzNH/XoX/p17BBmhYBFB"
    assert cram.compute_response(k, "<801789834.1795741808@R_DIRECTOR::bareos-dir>") == "h4E0bF+3+zY3v//BF5/qvC"


# ------------------------------------------------------------------ every row, every mode

OWN = {"acceptor": "acceptor-name", "connector": "connector-name"}


def make_pair(row, *, persona_c=Persona.V26, persona_a=Persona.V26, pol_c=0, pol_a=0,
              tls=False, key_c=b"k" * 32, key_a=b"k" * 32, psk_identity=None):  # fmt: skip
    s = CONNECTIONS[row]
    hello_name = "job.2026-01-01_00.00.00_01" if s.is_job_connection else "connector-name"
    cfg = ConnectorConfig(s, hello_name, "connector-name", key_c, pol_c, persona_c)
    con = ConnectorHandshake(cfg, tls_active=tls)
    seen = {}

    def resolve(hello):
        seen["hello"] = hello
        success = None
        if s.hello is HelloKind.CONSOLE:
            success = lambda enc: [b"1000\x1eOK: d Version: 1", b"1002\x1einfo"]  # noqa: E731
        elif s.hello is HelloKind.CLIENT:
            success = lambda enc: [b"1000 OK: d Version: 26.0.0 (01 January 2026)\n"]  # noqa: E731
        return AcceptPlan(s, key_a, pol_a, "acceptor-name", success=success)

    acc = AcceptorHandshake(resolve, tls_active=tls, persona=persona_a, psk_identity=psk_identity)
    return con, acc, seen


@pytest.mark.parametrize("row", sorted(CONNECTIONS, key=int))
@pytest.mark.parametrize("tls", [False, True])
def test_every_connection_succeeds(row, tls):
    con, acc, seen = make_pair(row, tls=tls)
    c_ev, a_ev = pump(con, acc)
    assert isinstance(c_ev[-1], Done) and isinstance(a_ev[-1], Done), (c_ev, a_ev)
    s = CONNECTIONS[row]
    assert seen["hello"].kind is s.hello
    assert acc.result.mode is (HandshakeMode.TLS_FIRST if tls else HandshakeMode.CLEARTEXT_FIRST)
    # names in challenges follow the row
    expect_acc = own_cram_name(s, "acceptor", "acceptor-name")
    assert con.result.peer_name == expect_acc
    assert expect_acc.startswith(s.acceptor_cram_type.value + "::")


@pytest.mark.parametrize("row", sorted(CONNECTIONS, key=int))
def test_wrong_key_fails_on_both_sides_with_row_failure_line(row):
    con, acc, _ = make_pair(row, key_a=b"x" * 32)
    c_ev, a_ev = pump(con, acc)
    assert isinstance(a_ev[-1], Failed) and a_ev[-1].error.cause == "wrong-password"
    assert a_ev[-1].delay
    assert isinstance(c_ev[-1], Failed) and c_ev[-1].error.cause == "wrong-password"
    lines = [f.payload for f in frames_of(a_ev)]
    assert cram.AUTH_FAILED in lines
    if CONNECTIONS[row].failure_line:
        assert lines[-1] == CONNECTIONS[row].failure_line


@pytest.mark.parametrize("pol_c,pol_a", list(itertools.product([0, 1, 2], repeat=2)))
def test_post_cram_policy_matrix_for_old_peers(pol_c, pol_a):
    # 17.2 acceptor: no peek check, the ssl= values decide after CRAM.
    con, acc, _ = make_pair("3", persona_c=Persona.V17_2, persona_a=Persona.V17_2, pol_c=pol_c, pol_a=pol_a)
    c_ev, a_ev = pump(con, acc)
    if {pol_c, pol_a} == {0, 2}:
        assert isinstance(a_ev[-1], Failed) and a_ev[-1].error.cause == "policy-deny"
        assert isinstance(c_ev[-1], Failed) and c_ev[-1].error.cause == "policy-deny"
    else:
        assert isinstance(a_ev[-1], Done)
        upgraded = pol_c >= 1 and pol_a >= 1
        assert any(isinstance(e, StartTls) for e in a_ev) is upgraded
        assert acc.result.tls_upgraded is upgraded and con.result.tls_upgraded is upgraded


def test_17_2_names_itself_plainly():
    con, acc, _ = make_pair("3", persona_c=Persona.V17_2, persona_a=Persona.V17_2)
    c_ev, a_ev = pump(con, acc)
    challenges = [f.payload for f in frames_of(a_ev) if f.payload.startswith(b"auth")]
    assert b"@acceptor-name> ssl=0\n" in challenges[0]


@pytest.mark.parametrize("pol_a", [1, 2])
def test_current_acceptor_refuses_cleartext_director(pol_a):
    con, acc, _ = make_pair("3", pol_a=pol_a)
    c_ev, a_ev = pump(con, acc)
    assert isinstance(a_ev[-1], Failed) and a_ev[-1].error.cause == "tls-required"
    assert frames_of(a_ev) == [SignalFrame(Signal.TERMINATE)]
    assert isinstance(c_ev[-1], Failed) and c_ev[-1].error.cause == "peer-refused"


def test_psk_name_must_match_hello_name_in_26():
    con, acc, _ = make_pair("3", tls=True, psk_identity="R_DIRECTOR\x1eother")
    _, a_ev = pump(con, acc)
    assert isinstance(a_ev[-1], Failed) and a_ev[-1].error.cause == "name-mismatch"
    con, acc, _ = make_pair("3", tls=True, psk_identity="R_DIRECTOR\x1eother", persona_a=Persona.V25)
    _, a_ev = pump(con, acc)
    assert isinstance(a_ev[-1], Done)


def test_refusal_from_resolver():
    acc = AcceptorHandshake(lambda h: Refusal("no such Director 'x'"), tls_active=True)
    ev = acc.receive(Packet(b"Hello Director x calling\n"))
    assert isinstance(ev[-1], Failed) and ev[-1].error.cause == "unknown-name"
    assert frames_of(ev) == [SignalFrame(Signal.TERMINATE)]


def test_garbage_hello_and_heartbeats():
    acc = AcceptorHandshake(lambda h: pytest.fail("not reached"), tls_active=True)
    assert acc.receive(SignalFrame(Signal.HEARTBEAT)) == []
    ev = acc.receive(Packet(b"\x00\x01garbage"))
    assert isinstance(ev[-1], Failed)
    assert acc.connection_closed() == []


def test_peer_closed_mid_handshake():
    cfg = ConnectorConfig(spec("5"), "d", "d", b"k", 2)
    con = ConnectorHandshake(cfg, tls_active=True)
    con.initiate()
    ev = con.connection_closed()
    assert isinstance(ev[-1], Failed) and isinstance(ev[-1].error, AuthError)


def test_replayed_own_challenge_is_refused():
    cfg = ConnectorConfig(spec("3"), "dir", "dir", b"k", 0)
    con = ConnectorHandshake(cfg, tls_active=True)
    con.initiate()
    ev = con.receive(Packet(b"auth cram-md5 <1.2@R_DIRECTOR::dir> ssl=0\n"))
    assert isinstance(ev[-1], Failed) and ev[-1].error.cause == "replay"
    assert frames_of(ev) == [Packet(cram.AUTH_FAILED)]


def test_sd_to_passive_fd_uses_literal_name():
    s = spec("7")
    assert own_cram_name(s, "connector", "bareos-sd") == "File\x01daemon"
    assert own_cram_name(spec("9"), "connector", "tray") == ""
    assert own_cram_name(spec("6"), "connector", "bareos-fd") == "R_CLIENT::bareos-fd"
    assert own_cram_name(spec("8"), "acceptor", "sd2") == "R_STORAGE::sd2"


def test_response_packets_carry_nul():
    con, acc, _ = make_pair("5")
    c_ev, _ = pump(con, acc)
    responses = [f.payload for f in frames_of(c_ev) if len(f.payload) == 23]
    assert responses and all(r.endswith(b"\x00") for r in responses)
    assert encode_packet(responses[0])[:4] == b"\x00\x00\x00\x17"
