"""Every handshake-layer and byte-layer fault between two bareosnet endpoints.

Each test switches a fault on for one side (``side=``) and one connection
(``count=1``), and shows what both sides saw; the clean connection that
follows shows the fault did not outlive its scope.
"""

from __future__ import annotations

import time
from pathlib import Path

import attrs
import pytest
import trio

from bareosnet.errors import BareosError, HandshakeTimeoutError
from bareosnet.faults.active import FaultSet
from bareosnet.net import faulty
from bareosnet.net.handshake import ConnectionInfo
from bareosnet.proto.connections import CONNECTIONS
from bareosnet.proto.framing import Packet
from bareosnet.proto.hello import Persona
from bareosnet.tls.settings import TlsSettings
from tests.net.harness import Outcome, run_pair
from tests.tls.pki import make_pki

PSK = TlsSettings()
CLEAR = TlsSettings(enable=False, require=False)
FD = CONNECTIONS["3"]  # Director -> File daemon


async def with_fault(fault: str, **pair: object) -> Outcome:
    """One connection with ``fault`` (spent after one connection), then a clean one."""
    faulty.install(FaultSet.parse([fault]))
    spec = pair.pop("spec", FD)
    out = await run_pair(spec, **pair)  # type: ignore[arg-type]
    pair.pop("after", None)
    again = await run_pair(spec, **pair)  # type: ignore[arg-type]
    assert isinstance(again.connector, ConnectionInfo), ("next connection failed", again)
    assert isinstance(again.acceptor, ConnectionInfo), ("next connection failed", again)
    faulty.install(None)
    return out


def failed(side: object, cause: str | None = None, text: str | None = None) -> BareosError:
    assert isinstance(side, BareosError), side
    if cause is not None:
        assert getattr(side, "cause", type(side).__name__) == cause, (side, getattr(side, "cause", None))
    if text is not None:
        assert text in str(side), str(side)
    return side


# ---------------------------------------------------------------- handshake layer


async def test_wrong_password_tls_psk_both_sides_see_psk_mismatch():
    out = await with_fault("wrong-password@side=connector,count=1",
                           connector_tls=PSK, acceptor_tls=PSK)  # fmt: skip
    failed(out.connector, "psk-mismatch")
    failed(out.acceptor, "psk-mismatch")


async def test_wrong_password_cleartext_on_the_acceptor_is_a_cram_rejection():
    out = await with_fault("wrong-password@side=acceptor,count=1",
                           connector_tls=CLEAR, acceptor_tls=CLEAR)  # fmt: skip
    failed(out.connector, "wrong-password")
    failed(out.acceptor, "wrong-password")


async def test_wrong_psk_identity_is_unknown_to_the_acceptor():
    out = await with_fault("wrong-psk-identity@count=1", connector_tls=PSK, acceptor_tls=PSK)
    failed(out.connector)
    failed(out.acceptor)
    assert any(i.endswith("-unknown") for i in out.seen_identities), out.seen_identities


async def test_connector_not_offering_tls_meets_a_requiring_acceptor():
    out = await with_fault("no-tls@side=connector,count=1", connector_tls=PSK, acceptor_tls=PSK)
    failed(out.acceptor, "tls-required")
    failed(out.connector)


async def test_acceptor_not_offering_tls_drops_the_client_hello():
    out = await with_fault("no-tls@side=acceptor,count=1", connector_tls=PSK, acceptor_tls=PSK)
    failed(out.acceptor, text="does not offer TLS (fault no-tls)")
    failed(out.connector)


async def test_acceptor_requiring_tls_refuses_a_cleartext_connector():
    out = await with_fault("require-tls@side=acceptor,count=1",
                           connector_tls=CLEAR, acceptor_tls=CLEAR)  # fmt: skip
    failed(out.acceptor, "tls-required")
    failed(out.connector)


async def test_connector_requiring_tls_fails_against_a_cleartext_only_acceptor():
    out = await with_fault("require-tls@side=connector,count=1", connector_tls=CLEAR,
                           acceptor_tls=CLEAR, persona_a=Persona.V17_2)  # fmt: skip
    failed(out.connector)
    failed(out.acceptor)


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    return make_pki(Path(tmp_path_factory.mktemp("faultpki")))


def _cert_pair(pki):  # type: ignore[no-untyped-def]
    server = pki.leaf("acceptor.example")
    client = pki.leaf("connector.example")
    a = TlsSettings(certificate=server.cert, key=server.key, ca_certificate_file=pki.ca_file,
                    verify_peer=True, allowed_cns=("connector.example",))  # fmt: skip
    c = TlsSettings(certificate=client.cert, key=client.key, ca_certificate_file=pki.ca_file,
                    verify_peer=True, allowed_cns=("acceptor.example",))  # fmt: skip
    return c, a


async def test_certificate_cn_not_allowed(pki):
    c, a = _cert_pair(pki)
    mallory = pki.leaf("mallory.example")
    out = await with_fault(f"cert-cn-not-allowed:{mallory.cert}:{mallory.key}@side=connector,count=1",
                           connector_tls=c, acceptor_tls=a)  # fmt: skip
    failed(out.acceptor, "cn-not-allowed")
    failed(out.connector)


async def test_certificate_expired(pki):
    import datetime

    c, a = _cert_pair(pki)
    old = pki.leaf("acceptor.example", not_after=datetime.datetime(2001, 1, 1, tzinfo=datetime.UTC))
    out = await with_fault(f"cert-expired:{old.cert}:{old.key}@side=acceptor,count=1",
                           connector_tls=c, acceptor_tls=a)  # fmt: skip
    failed(out.connector, "expired")
    failed(out.acceptor)


async def test_certificate_revoked(pki):
    c, a = _cert_pair(pki)
    revoked = pki.leaf("connector.example")
    a = attrs.evolve(a, certificate_revocation_list=pki.crl(revoked.serial))
    out = await with_fault(f"cert-revoked:{revoked.cert}:{revoked.key}@side=connector,count=1",
                           connector_tls=c, acceptor_tls=a)  # fmt: skip
    failed(out.acceptor, "revoked")
    failed(out.connector)


async def test_certificate_from_an_unknown_ca(pki, tmp_path):
    c, a = _cert_pair(pki)
    (tmp_path / "other").mkdir()
    stranger = make_pki(tmp_path / "other").leaf("acceptor.example")
    out = await with_fault(f"cert-unknown-ca:{stranger.cert}:{stranger.key}@side=acceptor,count=1",
                           connector_tls=c, acceptor_tls=a)  # fmt: skip
    failed(out.connector, "untrusted")
    failed(out.acceptor)


# ---------------------------------------------------------------- byte layer


async def test_downgrade_ssl2_to_ssl0_is_refused_by_both_sides(pki):
    # Cleartext first, TLS required after CRAM (certificates): what a MITM can rewrite.
    c, a = _cert_pair(pki)
    out = await with_fault("downgrade@side=connector,count=1", connector_tls=c,
                           acceptor_tls=a, tls_first=False,
                           persona_a=Persona.V17_2, persona_c=Persona.V17_2)  # fmt: skip
    failed(out.connector, "policy-deny")
    failed(out.acceptor, "policy-deny")


async def test_replayed_cram_challenge_is_detected():
    out = await with_fault("cram-replay@count=1", connector_tls=CLEAR, acceptor_tls=CLEAR)
    failed(out.acceptor, "replay", "replay")
    failed(out.connector)


@pytest.mark.parametrize("phase", ["before", "during"])
async def test_stall_for_a_while_only_slows_the_handshake(phase):
    t = time.monotonic()
    out = await with_fault(f"stall-{phase}:0.3@side=connector,count=1",
                           connector_tls=PSK, acceptor_tls=PSK)  # fmt: skip
    assert isinstance(out.connector, ConnectionInfo) and isinstance(out.acceptor, ConnectionInfo)
    assert time.monotonic() - t >= 0.3


@pytest.mark.parametrize("phase", ["before", "during"])
async def test_stall_forever_runs_into_the_peers_timeout(phase):
    out = await with_fault(f"stall-{phase}@side=connector,count=1",
                           connector_tls=CLEAR, acceptor_tls=CLEAR, timeout=0.5)  # fmt: skip
    err = failed(out.acceptor)
    # the peer's own timeout, or the staller's send giving up at the same moment
    assert any(w in str(err) for w in ("within 0.5 s", "stalled", "closed")), str(err)
    failed(out.connector, text="within 0.5 s")


async def test_stall_after_the_handshake_times_out_the_peers_read():
    async def read(cs, as_):
        async def send() -> None:
            with trio.move_on_after(1):
                await cs.send(b"status")

        async with trio.open_nursery() as nursery:
            nursery.start_soon(send)
            with pytest.raises(HandshakeTimeoutError, match="within 0.3 s"):
                await as_.receive(timeout=0.3)

    out = await with_fault("stall-after@side=connector,count=1", connector_tls=PSK,
                           acceptor_tls=PSK, after=read)  # fmt: skip
    assert isinstance(out.connector, ConnectionInfo) and isinstance(out.acceptor, ConnectionInfo)


async def test_drop_at_byte_cuts_the_hello():
    out = await with_fault("drop-at-byte:20@side=connector,count=1",
                           connector_tls=CLEAR, acceptor_tls=CLEAR)  # fmt: skip
    failed(out.acceptor, text="closed")
    failed(out.connector)


async def test_drop_after_packet_ends_the_handshake_after_the_hello():
    out = await with_fault("drop-after-packet:1@side=connector,count=1",
                           connector_tls=CLEAR, acceptor_tls=CLEAR)  # fmt: skip
    failed(out.acceptor, text="peer closed the connection")
    failed(out.connector)


async def test_drop_after_a_tls_record():
    out = await with_fault("drop-after-packet:1@side=connector,count=1",
                           connector_tls=PSK, acceptor_tls=PSK)  # fmt: skip
    failed(out.acceptor)
    failed(out.connector)


async def test_latency_delays_each_write():
    t = time.monotonic()
    out = await with_fault("latency:100@side=connector,count=1", connector_tls=CLEAR,
                           acceptor_tls=CLEAR)  # fmt: skip
    assert isinstance(out.connector, ConnectionInfo) and isinstance(out.acceptor, ConnectionInfo)
    assert time.monotonic() - t >= 0.3  # Hello, answer, challenge: three writes


async def test_bandwidth_limit_paces_the_data():
    got: list[float] = []

    async def bulk(cs, as_):
        t = time.monotonic()
        await cs.send(b"x" * 20_000)
        assert await as_.receive() == Packet(b"x" * 20_000)
        got.append(time.monotonic() - t)

    out = await with_fault("bandwidth:100000@side=connector,count=1", connector_tls=PSK,
                           acceptor_tls=PSK, after=bulk)  # fmt: skip
    assert isinstance(out.connector, ConnectionInfo)
    assert got and got[0] >= 0.18, got  # 20 kB at 100 kB/s


async def test_corrupt_length_is_packet_size_too_big():
    out = await with_fault("corrupt-length:1@side=connector,count=1",
                           connector_tls=CLEAR, acceptor_tls=CLEAR)  # fmt: skip
    failed(out.acceptor, text="too big")
    failed(out.connector)


async def test_corrupt_header_is_an_unknown_signal():
    out = await with_fault("corrupt-header:1@side=connector,count=1",
                           connector_tls=CLEAR, acceptor_tls=CLEAR)  # fmt: skip
    err = failed(out.acceptor)
    assert "9999" in str(err) or "signal" in str(err), str(err)
    failed(out.connector)


async def test_corrupt_tls_record_header_fails_tls():
    out = await with_fault("corrupt-header:1@side=connector,count=1",
                           connector_tls=PSK, acceptor_tls=PSK)  # fmt: skip
    failed(out.acceptor)
    failed(out.connector)


async def test_slowloris_one_byte_at_a_time_still_logs_in():
    out = await with_fault("slowloris:1@side=connector,count=1",
                           connector_tls=CLEAR, acceptor_tls=CLEAR)  # fmt: skip
    assert isinstance(out.connector, ConnectionInfo) and isinstance(out.acceptor, ConnectionInfo)


async def test_vanish_after_the_handshake_resets_the_connection():
    async def talk(cs, as_):
        with pytest.raises(BareosError):
            await cs.send(b"y" * 5000)
            await cs.send(b"y" * 5000)
        with pytest.raises(BareosError):
            while True:
                await as_.receive(timeout=2)

    out = await with_fault("vanish:100@side=connector,count=1", connector_tls=PSK,
                           acceptor_tls=PSK, after=talk)  # fmt: skip
    assert isinstance(out.connector, ConnectionInfo) and isinstance(out.acceptor, ConnectionInfo)


async def test_no_fault_set_wraps_nothing():
    faulty.install(None)
    out = await run_pair(FD, connector_tls=PSK, acceptor_tls=PSK)
    assert isinstance(out.connector, ConnectionInfo)
    with trio.fail_after(1):
        pass


async def test_session_key_of_another_job_is_refused():
    """Row 6: the second job's connection uses the first job's key with its own name."""
    job = CONNECTIONS["6"]
    first, second = b"a" * 32, b"b" * 32
    faulty.install(FaultSet.parse(["session-key-other-job@count=1"]))
    out = await run_pair(job, connector_tls=PSK, acceptor_tls=PSK,
                         connector_key=first, acceptor_key=first)  # fmt: skip
    assert isinstance(out.connector, ConnectionInfo)  # nothing earlier to take a key from
    out = await run_pair(job, connector_tls=PSK, acceptor_tls=PSK,
                         connector_key=second, acceptor_key=second)  # fmt: skip
    failed(out.connector, "psk-mismatch")
    failed(out.acceptor, "psk-mismatch")
    out = await run_pair(job, connector_tls=CLEAR, acceptor_tls=CLEAR,
                         connector_key=second, acceptor_key=second)  # fmt: skip
    assert isinstance(out.connector, ConnectionInfo), out  # spent: the next job is fine
    faulty.install(None)
