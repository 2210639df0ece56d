"""TLS Enable x TLS Require on both sides, against reference sections 2.6 and 2.7."""

from __future__ import annotations

import itertools

import pytest

from bareosnet.errors import BareosError
from bareosnet.net.handshake import ConnectionInfo
from bareosnet.proto.connections import CONNECTIONS
from bareosnet.proto.hello import Persona
from bareosnet.proto.policy import HandshakeMode
from bareosnet.tls.settings import TlsSettings
from tests.net.harness import run_pair

BOOLS = [False, True]
CELLS = list(itertools.product(BOOLS, BOOLS, BOOLS, BOOLS))


def settings(enable: bool, require: bool) -> TlsSettings:
    return TlsSettings(enable=enable, require=require)


def expected(row: str, c_enable: bool, a_enable: bool, a_require: bool, old_console: bool) -> str:
    """'tls', 'clear' or a failure cause seen by the connector (reference 2.7)."""
    if c_enable and not old_console:
        return "tls"  # TLS-PSK first, whatever the acceptor's policy
    a_policy = 0 if not a_enable else (2 if a_require else 1)
    if old_console:
        return "policy-deny" if a_policy == 2 else "clear"
    if row == "4":  # client-initiated FD
        return "peer-refused" if a_policy == 2 else "clear"
    return "clear" if a_policy == 0 else "peer-refused"


@pytest.mark.parametrize("row", ["1", "3", "4", "5"])
@pytest.mark.parametrize("c_enable,c_require,a_enable,a_require", CELLS)
async def test_matrix(row, c_enable, c_require, a_enable, a_require):
    out = await run_pair(
        CONNECTIONS[row],
        connector_tls=settings(c_enable, c_require),
        acceptor_tls=settings(a_enable, a_require),
    )
    want = expected(row, c_enable, a_enable, a_require, old_console=False)
    if want == "tls":
        assert isinstance(out.connector, ConnectionInfo), out.connector
        assert out.connector.mode is HandshakeMode.TLS_FIRST and out.connector.psk_used
    elif want == "clear":
        assert isinstance(out.connector, ConnectionInfo), out.connector
        assert out.connector.mode is HandshakeMode.CLEARTEXT_FIRST
        assert out.connector.tls_version is None
        assert isinstance(out.acceptor, ConnectionInfo)
    else:
        assert isinstance(out.connector, BareosError), out.connector
        assert out.connector.cause == want
        assert isinstance(out.acceptor, BareosError)
        assert out.acceptor.cause == "tls-required"


@pytest.mark.parametrize("c_enable,c_require,a_enable,a_require", CELLS)
async def test_pre_18_2_console(c_enable, c_require, a_enable, a_require):
    # A 17.2 console never starts TLS; the Director lets it reach CRAM, then ssl= decides.
    out = await run_pair(
        CONNECTIONS["1"],
        connector_tls=settings(c_enable, c_require),
        acceptor_tls=settings(a_enable, a_require),
        persona_c=Persona.V17_2,
        # an old console without certificates: advertise ssl=0
        tls_first=False,
    )
    c_policy = 0 if not c_enable else (2 if c_require else 1)
    a_policy = 0 if not a_enable else (2 if a_require else 1)
    if {c_policy, a_policy} == {0, 2}:
        assert isinstance(out.connector, BareosError) and out.connector.cause == "policy-deny"
        assert isinstance(out.acceptor, BareosError) and out.acceptor.cause == "policy-deny"
    elif c_policy >= 1 and a_policy >= 1:
        # Both want TLS after CRAM, but neither side has a certificate: the upgrade fails,
        # which is why the manual says only certificate TLS works with pre-18.2 peers.
        assert isinstance(out.connector, BareosError)
    else:
        assert isinstance(out.connector, ConnectionInfo), out.connector
        assert out.connector.mode is HandshakeMode.CLEARTEXT_FIRST


@pytest.mark.parametrize("c_enable", BOOLS)
async def test_old_file_daemon(c_enable):
    # A 17.2 FD (TLS off) reads a TLS ClientHello as an oversize packet and drops it.
    out = await run_pair(
        CONNECTIONS["3"],
        connector_tls=settings(c_enable, False),
        acceptor_tls=settings(False, False),
        persona_a=Persona.V17_2,
    )
    if c_enable:
        assert isinstance(out.connector, BareosError)
        assert isinstance(out.acceptor, BareosError) and "too big" in str(out.acceptor)
    else:
        assert isinstance(out.connector, ConnectionInfo)
        assert out.connector.mode is HandshakeMode.CLEARTEXT_FIRST
