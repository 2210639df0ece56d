"""Diagrams from packet captures: a recorded real Bareos 26 cleartext job, and TLS-PSK.

The cleartext capture is written from the golden transcripts of real Bareos
26 daemons (one TCP connection each); the TLS captures are taken by a relay
between two bareosnet endpoints, so their ClientHello/ServerHello are real
OpenSSL output.
"""

from __future__ import annotations

import time
from pathlib import Path

import trio

from bareosnet.errors import BareosError
from bareosnet.net.handshake import AcceptorSettings, accept, connect
from bareosnet.proto.connections import CONNECTIONS
from bareosnet.proto.handshake import ConnectorConfig
from bareosnet.proto.hello import Persona
from bareosnet.proto.names import psk_identity
from bareosnet.tls.psk import PskCredentials
from bareosnet.tls.settings import TlsSettings
from bareosnet.trace.diagram import Arrow, build
from bareosnet.trace.pcap import parse_client_hello, read_pcap
from bareosnet.trace.render import mermaid
from daemons.tools.cli import main as bareos_emu
from tests.net.harness import KEY, plan_for
from tests.support.pcap import PcapWriter, relay
from tests.support.transcripts import read_transcript


def _from_transcripts(path: Path, names: list[str]) -> None:
    writer = PcapWriter(path)
    t = 1_700_000_000.0
    for i, name in enumerate(names):
        client, server = ("127.0.0.1", 40000 + i), ("127.0.0.1", 19100 + i)
        writer.connect(client, server, t)
        for frame in read_transcript(name):
            t += 0.001
            src, dst = (client, server) if frame.direction == "C" else (server, client)
            if frame.payload is not None:
                data = len(frame.payload).to_bytes(4, "big", signed=True) + frame.payload
            else:
                assert frame.signal is not None
                data = frame.signal.to_bytes(4, "big", signed=True)
            writer.data(src, dst, data, t)
        writer.close(client, server, t + 0.001)
        t += 1
    writer.finish()


def test_a_cleartext_capture_of_real_daemons_draws_rows_3_and_6(tmp_path: Path) -> None:
    pcap = tmp_path / "job.pcap"
    _from_transcripts(pcap, ["stream01-to-file-daemon", "stream06-to-storage-daemon"])
    diagram = build(read_pcap(pcap))
    assert diagram.lifelines == ["Director", "File daemon", "Storage daemon"]
    arrows = [(a.source, a.target, a.label) for a in diagram.items if isinstance(a, Arrow)]
    assert arrows == [
        ("Director", "File daemon", "3 cleartext ssl=0"),
        ("File daemon", "Storage daemon", "6 cleartext ssl=0"),
    ]
    steps = build(read_pcap(pcap), detail="steps")
    labels = [a.label for a in steps.items if isinstance(a, Arrow) and a.connection == "3"]
    assert labels == [
        '3 Hello Director bareos-dir Version=26.0.0',
        "3 auth cram-md5 R_CLIENT::bareos-fd ssl=0",
        "3 CRAM-MD5 answer",
        "3 1000 OK auth",
        "3 auth cram-md5 R_DIRECTOR::bareos-dir ssl=0",
        "3 CRAM-MD5 answer",
        "3 1000 OK auth",
        "3 2000 OK Hello",
    ]
    directions = [(a.source, a.target) for a in steps.items
                  if isinstance(a, Arrow) and a.connection == "3"][:2]  # fmt: skip
    assert directions == [("Director", "File daemon"), ("File daemon", "Director")]
    # The session after the handshake (status output, the job's data) is not drawn.
    assert not any("bytes" in a.label for a in steps.items if isinstance(a, Arrow))


async def _tls_capture(path: Path, *, acceptor_persona: Persona) -> None:
    spec = CONNECTIONS["3"]
    settings = AcceptorSettings(
        resolver=lambda hello: plan_for(spec, KEY, 0), own_tls=TlsSettings(),
        psk_lookup=lambda identity: KEY, persona=acceptor_persona, timeout=5, peek_timeout=5,
        failure_delay=0,
    )  # fmt: skip
    server = (await trio.open_tcp_listeners(0, host="127.0.0.1"))[0]
    front = (await trio.open_tcp_listeners(0, host="127.0.0.1"))[0]
    target = ("127.0.0.1", server.socket.getsockname()[1])
    writer = PcapWriter(path)

    async def serve() -> None:
        tcp = await server.accept()
        try:
            stream, _info = await accept(tcp, settings)
            await stream.aclose()
        except BareosError:
            pass

    cfg = ConnectorConfig(spec, "connector", "connector", KEY, 0, Persona.V26)
    psk = PskCredentials(psk_identity(spec.psk_type, "connector"), KEY)
    with trio.fail_after(10):
        async with trio.open_nursery() as nursery:
            nursery.start_soon(serve)
            nursery.start_soon(relay, front, target, writer)
            try:
                stream, _ = await connect("127.0.0.1", front.socket.getsockname()[1], cfg,
                                          tls_first=True, tls_settings=TlsSettings(), psk=psk,
                                          timeout=5)  # fmt: skip
                await stream.aclose()
            except BareosError:
                pass
    writer.finish()
    await server.aclose()
    await front.aclose()


async def test_a_tls_psk_capture_shows_the_identity_version_and_cipher(tmp_path: Path) -> None:
    pcap = tmp_path / "psk.pcap"
    await _tls_capture(pcap, acceptor_persona=Persona.V26)
    events = read_pcap(pcap)
    attempt = next(e for e in events if e.event == "tls.attempt")
    assert attempt.get("psk_identity") == "R_DIRECTOR\\x1econnector"
    ok = next(e for e in events if e.event == "tls.ok")
    assert ok.get("tls_version") == "TLSv1.3" and ok.get("psk_used") is True
    assert ok.get("cipher", "").startswith("TLS_")
    diagram = build(events)
    arrows = [a for a in diagram.items if isinstance(a, Arrow)]
    # The acceptor's port is not 9102 here: the row comes from the identity type (R_DIRECTOR:
    # 3, 5, 10 or 11; without a port to tell, the first).
    assert [(a.source, a.target, a.label, a.detail) for a in arrows] == [
        ("Director", "File daemon", "3 tls-psk 1.3", "PSK R_DIRECTOR connector")
    ]


async def test_a_capture_of_a_probe_against_a_17_2_fd_shows_the_failed_tls(
    tmp_path: Path,
) -> None:
    pcap = tmp_path / "probe.pcap"
    await _tls_capture(pcap, acceptor_persona=Persona.V17_2)
    diagram = build(read_pcap(pcap), detail="steps")
    arrows = [a for a in diagram.items if isinstance(a, Arrow)]
    assert [a.label for a in arrows] == ["3 TLS ClientHello"]
    assert "3 TLS failed: peer-closed" in [getattr(n, "text", "") for n in diagram.items]
    summary = mermaid(build(read_pcap(pcap)))
    assert "P0-xP1: 3 tls-first ✗" in summary
    out = tmp_path / "probe.txt"
    assert bareos_emu(["trace", str(pcap), "-o", str(out)]) == 0
    assert "3 tls-first ✗" in out.read_text()


def test_client_hello_parsing_survives_garbage() -> None:
    assert parse_client_hello(b"") is None
    assert parse_client_hello(b"\x03\x03" + b"\x00" * 40) is None
    start = time.monotonic()
    assert parse_client_hello(b"\xff" * 5000) is None
    assert time.monotonic() - start < 1
