"""Every row of the reference table over real sockets, in every transport mode."""

from __future__ import annotations

from pathlib import Path

import pytest

from bareosnet.errors import BareosError
from bareosnet.net.handshake import ConnectionInfo
from bareosnet.proto.connections import CONNECTIONS
from bareosnet.proto.framing import Packet
from bareosnet.proto.names import psk_identity
from bareosnet.proto.policy import HandshakeMode
from bareosnet.tls.settings import TlsSettings
from tests.net.harness import hello_name, run_pair
from tests.tls.pki import make_pki

ROWS = sorted(CONNECTIONS, key=int)
PSK13 = TlsSettings()
PSK12 = TlsSettings(protocol="-ALL,TLSv1.2")
CLEAR = TlsSettings(enable=False, require=False)


@pytest.fixture(scope="module")
def certs(tmp_path_factory):
    pki = make_pki(Path(tmp_path_factory.mktemp("netpki")))
    server = pki.leaf("acceptor.example")
    client = pki.leaf("connector.example")
    a = TlsSettings(certificate=server.cert, key=server.key, ca_certificate_file=pki.ca_file,
                    verify_peer=True, allowed_cns=("connector.example",))  # fmt: skip
    c = TlsSettings(certificate=client.cert, key=client.key, ca_certificate_file=pki.ca_file,
                    verify_peer=True, allowed_cns=("acceptor.example",))  # fmt: skip
    return c, a


@pytest.mark.parametrize("row", ROWS)
async def test_psk_tls13(row):
    spec = CONNECTIONS[row]
    out = await run_pair(spec, connector_tls=PSK13, acceptor_tls=PSK13)
    c, a = out.connector, out.acceptor
    assert isinstance(c, ConnectionInfo) and isinstance(a, ConnectionInfo), (c, a)
    ident = psk_identity(spec.psk_type, hello_name(spec))
    assert out.seen_identities == [ident]  # the exact bytes the acceptor saw
    for side in (c, a):
        assert (side.tls_version, side.cipher) == ("TLSv1.3", "TLS_CHACHA20_POLY1305_SHA256")
        assert side.psk_used and side.mode is HandshakeMode.TLS_FIRST
        assert side.connection == spec.number
    assert a.psk_identity == ident
    assert a.peer_name == hello_name(spec)


@pytest.mark.parametrize("row", ROWS)
async def test_psk_tls12(row):
    spec = CONNECTIONS[row]
    out = await run_pair(spec, connector_tls=PSK12, acceptor_tls=PSK13)
    c, a = out.connector, out.acceptor
    assert isinstance(c, ConnectionInfo) and isinstance(a, ConnectionInfo), (c, a)
    for side in (c, a):
        assert side.tls_version == "TLSv1.2"
        assert side.cipher == "ECDHE-PSK-CHACHA20-POLY1305" and side.psk_used


@pytest.mark.parametrize("row", ROWS)
async def test_certificates(row, certs):
    spec = CONNECTIONS[row]
    ctls, atls = certs
    out = await run_pair(spec, connector_tls=ctls, acceptor_tls=atls)
    c, a = out.connector, out.acceptor
    assert isinstance(c, ConnectionInfo) and isinstance(a, ConnectionInfo), (c, a)
    assert c.tls_version == a.tls_version == "TLSv1.3"
    assert not c.psk_used and not a.psk_used
    assert c.peer_cn == "acceptor.example" and a.peer_cn == "connector.example"
    assert c.cipher == a.cipher


@pytest.mark.parametrize("row", ROWS)
async def test_cleartext(row):
    spec = CONNECTIONS[row]

    async def exchange(cs, as_):
        await cs.send(b"ping")
        assert await as_.receive() == Packet(b"ping")

    out = await run_pair(spec, connector_tls=CLEAR, acceptor_tls=CLEAR, after=exchange)
    c, a = out.connector, out.acceptor
    assert isinstance(c, ConnectionInfo) and isinstance(a, ConnectionInfo), (c, a)
    for side in (c, a):
        assert side.mode is HandshakeMode.CLEARTEXT_FIRST and side.tls_version is None
        assert side.encryption_text == "None"


async def test_cleartext_first_then_certificate_tls(certs):
    # Both sides enabled but connector does cleartext first (old peer style): TLS after CRAM.
    ctls, atls = certs
    c_set = TlsSettings(**{**ctls.__dict__, "require": False}) if False else ctls
    out = await run_pair(CONNECTIONS["3"], connector_tls=c_set, acceptor_tls=atls,
                         acceptor_policy=0, tls_first=False)  # fmt: skip
    # acceptor policy 0 (its Director resource has TLS off) and connector 2: deny.
    assert isinstance(out.connector, BareosError) and out.connector.cause == "policy-deny"
    out = await run_pair(CONNECTIONS["3"], connector_tls=ctls, acceptor_tls=atls,
                         acceptor_policy=1, tls_first=False, persona_a=__import__(
                             "bareosnet.proto.hello", fromlist=["Persona"]).Persona.V17_2)  # fmt: skip
    c, a = out.connector, out.acceptor
    assert isinstance(c, ConnectionInfo) and isinstance(a, ConnectionInfo), (c, a)
    assert c.mode is HandshakeMode.CLEARTEXT_FIRST and c.result.tls_upgraded
    assert c.tls_version == "TLSv1.3" and not c.psk_used


async def test_wrong_psk_is_reported_as_psk_mismatch():
    out = await run_pair(CONNECTIONS["1"], connector_tls=PSK13, acceptor_tls=PSK13,
                         connector_key=b"0" * 32)  # fmt: skip
    assert isinstance(out.connector, BareosError) and out.connector.cause == "psk-mismatch"
    assert isinstance(out.acceptor, BareosError) and out.acceptor.cause == "psk-mismatch"


async def test_wrong_password_in_cleartext_is_cram_rejection():
    out = await run_pair(CONNECTIONS["3"], connector_tls=CLEAR, acceptor_tls=CLEAR,
                         connector_key=b"0" * 32)  # fmt: skip
    assert isinstance(out.connector, BareosError) and out.connector.cause == "wrong-password"
    assert isinstance(out.acceptor, BareosError) and out.acceptor.cause == "wrong-password"
