"""The fault table, the ``--fault`` syntax and the sans-IO injector, on bytes."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bareosnet.faults.active import FaultSet
from bareosnet.faults.inject import Close, Injector, Sleep, UnitSplitter, Write
from bareosnet.faults.spec import FaultSpecError, Scope, parse_fault
from bareosnet.faults.table import BY_NAME, FAULTS, parse
from bareosnet.proto.framing import encode_packet

ISSUE_ROWS = {  # what issue 13 asks for, by the row that does it
    "wrong password / wrong PSK identity": ["wrong-password", "wrong-psk-identity"],
    "TLS required vs not offered": ["no-tls", "require-tls"],
    "certificates": ["cert-cn-not-allowed", "cert-expired", "cert-revoked", "cert-unknown-ca"],
    "downgrade": ["downgrade"], "replayed CRAM challenge": ["cram-replay"],
    "stalls": ["stall-before", "stall-during", "stall-after"],
    "drops": ["drop-at-byte", "drop-after-packet"], "pace": ["latency", "bandwidth"],
    "corruption": ["corrupt-length", "corrupt-header"], "slowloris": ["slowloris"],
    "vanish": ["vanish"], "session keys": ["session-key-replay", "session-key-other-job"],
}  # fmt: skip


def test_every_row_the_issue_asks_for_exists_once():
    names = [row.name for row in FAULTS]
    assert len(names) == len(set(names))
    for rows in ISSUE_ROWS.values():
        assert all(r in BY_NAME for r in rows), rows
    for row in FAULTS:
        assert row.simulates and row.bareos and row.layer in ("handshake", "bytes")


def test_syntax_with_args_and_scope():
    spec = parse_fault("drop-after-packet:3@conn=3,peer=bareos-fd,side=acceptor,count=2")
    assert spec.name == "drop-after-packet" and spec.args == ("3",)
    assert spec.scope == Scope("3", "bareos-fd", "acceptor", 2)
    assert parse_fault(spec.text()) == spec
    fault = parse("stall-before")
    assert fault.seconds() == math.inf
    assert parse("stall-before:0.5").seconds() == 0.5


@pytest.mark.parametrize("bad", ["", "nope", "stall-before:soon", "drop-at-byte", "latency:-1",
                                 "vanish@conn=12", "vanish@side=both", "vanish@count=0",
                                 "vanish@colour=red", "cram-replay@side=acceptor",
                                 "session-key-replay@conn=3", "latency:1:2"])  # fmt: skip
def test_bad_faults_say_why(bad):
    with pytest.raises(FaultSpecError):
        parse(bad)


@given(st.text(max_size=60))
def test_parser_never_raises_anything_else(text):
    try:
        parse(text)
    except FaultSpecError:
        pass


def test_count_is_spent_per_connection_and_scope_waits_for_the_hello():
    faults = FaultSet.parse(["latency:1@conn=3,count=1", "vanish@side=connector"])
    acc = faults.for_connection("acceptor")
    assert not acc.armed  # row unknown before the Hello
    assert [f.name for f in acc.identify(conn="3", peer="bareos-dir")] == ["latency"]
    assert not faults.for_connection("acceptor", conn="3").armed  # spent
    assert [f.name for f, _ in faults.listing()] == ["vanish"]
    assert faults.clear() == 1 and not faults


@given(st.lists(st.binary(max_size=50), max_size=8), st.data())
def test_splitter_finds_the_same_packets_however_the_bytes_are_cut(payloads, data):
    stream = b"".join(encode_packet(p) for p in payloads)
    cuts = sorted(data.draw(st.lists(st.integers(0, len(stream)), max_size=5)))
    splitter, units, last = UnitSplitter(), [], 0
    for cut in [*cuts, len(stream)]:
        units += splitter.feed(stream[last:cut])
        last = cut
    assert units == [encode_packet(p) for p in payloads]


def _run(fault: str, chunks: list[bytes], done_after: int | None = None) -> list[object]:
    inj = Injector(FaultSet.parse([fault]).for_connection("connector", conn="3"))
    actions: list[object] = []
    for i, chunk in enumerate(chunks):
        if done_after is not None and i == done_after:
            inj.handshake_done()
        actions += inj.outgoing(chunk)
    return actions


def test_downgrade_rewrites_only_the_challenge_policy():
    challenge = encode_packet(b"auth cram-md5 <1.2@R_DIRECTOR::d> ssl=2\n")
    out = _run("downgrade", [encode_packet(b"Hello Director d calling\n"), challenge])
    assert out[1] == Write(encode_packet(b"auth cram-md5 <1.2@R_DIRECTOR::d> ssl=0\n"))


def test_corrupt_length_and_header_of_packet_k():
    hello = encode_packet(b"Hello")
    assert _run("corrupt-length:2", [hello, hello])[1] == Write(b"\x7f\xff\xff\xffHello")
    assert _run("corrupt-header:1", [hello])[0].data[:4] == (-9999).to_bytes(4, "big", signed=True)


def test_drops_and_vanish_close_where_asked():
    out = _run("drop-at-byte:6", [b"abcd", b"efgh"])
    assert out[:2] == [Write(b"abcd"), Write(b"ef")] and isinstance(out[2], Close)
    out = _run("vanish:3", [b"before", b"abcdef"], done_after=1)
    assert out[0] == Write(b"before") and out[1] == Write(b"abc")
    assert isinstance(out[2], Close) and out[2].abort


def test_slowloris_and_bandwidth_pace_the_bytes():
    assert _run("slowloris:5", [b"ab"]) == [Write(b"a"), Sleep(0.005), Write(b"b"), Sleep(0.005)]
    assert _run("bandwidth:1000", [b"x" * 500]) == [Write(b"x" * 500), Sleep(0.5)]


def test_docs_list_every_fault():
    from pathlib import Path

    docs = (Path(__file__).resolve().parents[2] / "docs" / "faults.md").read_text()
    for row in FAULTS:
        assert f"| `{row.usage.split('[')[0].split(':')[0]}" in docs, row.name
