"""``bareos-emu proxy`` between two bareosnet endpoints: what each end saw through it."""

from __future__ import annotations

from pathlib import Path

import pytest
import trio

from bareosnet.errors import BareosError
from bareosnet.faults.spec import FaultSpecError
from bareosnet.net.handshake import ConnectionInfo
from bareosnet.proto.connections import CONNECTIONS
from bareosnet.proto.framing import Packet
from bareosnet.proto.hello import Persona
from bareosnet.tls.settings import TlsSettings
from daemons.tools.proxy import TLS_HANDSHAKE_GRACE, proxy_faults, serve_proxy
from tests.net.harness import Outcome, run_pair
from tests.tls.pki import make_pki

PSK = TlsSettings()
CLEAR = TlsSettings(enable=False, require=False)
FD = CONNECTIONS["3"]


async def through_proxy(faults: list[str], connections: int = 1, **pair: object) -> list[Outcome]:
    """``connections`` logins through one proxy carrying ``faults``."""
    outcomes = []
    fault_set = proxy_faults(faults)
    async with trio.open_nursery() as nursery:

        async def via(port: int) -> int:
            return await nursery.start(serve_proxy, ("127.0.0.1", 0), ("127.0.0.1", port),
                                       fault_set)  # fmt: skip

        for _ in range(connections):
            outcomes.append(await run_pair(FD, via=via, **pair))  # type: ignore[arg-type]
        nursery.cancel_scope.cancel()
    return outcomes


def ok(out: Outcome) -> None:
    assert isinstance(out.connector, ConnectionInfo), out
    assert isinstance(out.acceptor, ConnectionInfo), out


def failed(side: object, cause: str | None = None) -> BareosError:
    assert isinstance(side, BareosError), side
    if cause is not None:
        assert getattr(side, "cause", None) == cause, (side, getattr(side, "cause", None))
    return side


@pytest.mark.parametrize("tls", [PSK, CLEAR], ids=["psk", "cleartext"])
async def test_a_proxy_without_faults_is_invisible(tls):
    async def echo(cs, as_):
        await cs.send(b"x" * 100_000)
        assert await as_.receive() == Packet(b"x" * 100_000)

    (out,) = await through_proxy([], connector_tls=tls, acceptor_tls=tls, after=echo)
    ok(out)


async def test_downgrade_by_the_man_in_the_middle_is_refused(tmp_path: Path):
    pki = make_pki(tmp_path)
    s, c = pki.leaf("acceptor.example"), pki.leaf("connector.example")
    a = TlsSettings(certificate=s.cert, key=s.key, ca_certificate_file=pki.ca_file)
    k = TlsSettings(certificate=c.cert, key=c.key, ca_certificate_file=pki.ca_file)
    bad, good = await through_proxy(["downgrade@count=1"], connections=2, connector_tls=k,
                                    acceptor_tls=a, tls_first=False, persona_a=Persona.V17_2,
                                    persona_c=Persona.V17_2)  # fmt: skip
    failed(bad.connector, "policy-deny")
    failed(bad.acceptor, "policy-deny")
    ok(good)
    assert good.connector.result.tls_upgraded  # type: ignore[union-attr]


async def test_replayed_challenge_through_the_proxy():
    (out,) = await through_proxy(["cram-replay"], connector_tls=CLEAR, acceptor_tls=CLEAR)
    failed(out.acceptor, "replay")
    failed(out.connector)


async def test_corrupt_tls_record_from_the_acceptor():
    bad, good = await through_proxy(["corrupt-header:1@side=acceptor,count=1"], connections=2,
                                    connector_tls=PSK, acceptor_tls=PSK)  # fmt: skip
    failed(bad.connector)
    failed(bad.acceptor)
    ok(good)


async def test_peer_scope_matches_the_hello_name():
    other, = await through_proxy(["drop-after-packet:1@peer=someone-else"], connector_tls=CLEAR,
                                 acceptor_tls=CLEAR)  # fmt: skip
    ok(other)
    (hit,) = await through_proxy(["drop-after-packet:1@peer=connector"], connector_tls=CLEAR,
                                 acceptor_tls=CLEAR)  # fmt: skip
    failed(hit.acceptor)
    failed(hit.connector)


async def test_stall_after_the_handshake_from_the_acceptor():
    async def read(cs, as_):
        await trio.sleep(TLS_HANDSHAKE_GRACE)  # under TLS the proxy goes by the clock
        await as_.send(b"answer")
        with pytest.raises(BareosError, match="within 0.3 s"):
            await cs.receive(timeout=0.3)

    (out,) = await through_proxy(["stall-after@side=acceptor"], connector_tls=PSK,
                                 acceptor_tls=PSK, after=read)  # fmt: skip
    ok(out)


def test_the_proxy_refuses_handshake_faults():
    with pytest.raises(FaultSpecError, match="use the daemon's --fault"):
        proxy_faults(["wrong-password"])
