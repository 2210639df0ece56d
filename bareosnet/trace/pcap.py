"""Trace events from a packet capture of Bareos traffic (pcap or pcapng, read with dpkt).

Each TCP connection becomes a ``link``; its connector is the side that sent
the SYN (or, without one, the side whose port is not a Bareos port).  The
bytes of each direction are put back in order and read as Bareos speaks
them:

* cleartext: BSOCK packets, each handshake packet a ``handshake.step``
  (classified by :mod:`bareosnet.trace.steps`, so a CRAM answer stays
  "an answer"), then ``handshake.ok`` after the acceptor's greeting, or
  ``handshake.failed`` when a side refuses or closes first;
* TLS: the ClientHello (``tls.attempt``, with the PSK identity of its
  ``pre_shared_key`` extension) and the ServerHello (``tls.ok``: version,
  cipher, PSK accepted or not); what follows is encrypted, so only the
  handshake and the direction are shown.  A ClientHello answered by a close
  is ``tls.failed``: a probed pre-18.2 File daemon.

The connection row comes from the Hello kind or PSK identity type and, where
those are ambiguous (``Hello Director`` opens rows 3 and 5), from the
acceptor's well-known port (9101 Director, 9102 File daemon, 9103 Storage
daemon) or the acceptor's CRAM name.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import attrs
import dpkt

from bareosnet.errors import BareosError
from bareosnet.proto.framing import FrameDecoder, Packet
from bareosnet.trace.events import TraceEvent
from bareosnet.trace.steps import HELLO_ROWS, classify

BAREOS_PORTS = {9101: "director", 9102: "file-daemon", 9103: "storage-daemon"}
# The rows a PSK identity type opens, and the rows for each acceptor kind.
_PSK_ROWS = {"R_CONSOLE": ("1", "2", "9"), "R_DIRECTOR": ("3", "5", "10", "11"),
             "R_CLIENT": ("4",), "R_JOB": ("6", "7", "8"), "R_STORAGE": ("5",)}  # fmt: skip
_ACCEPTOR_ROWS = {"director": {"1", "2", "4", "9"}, "file-daemon": {"3", "7", "10"},
                  "storage-daemon": {"5", "6", "8", "11"}}  # fmt: skip
_CRAM_ACCEPTOR = {"R_CLIENT": "file-daemon", "R_STORAGE": "storage-daemon",
                  "R_DIRECTOR": "director", "File daemon": "file-daemon"}  # fmt: skip
_TLS_VERSIONS = {0x0304: "TLSv1.3", 0x0303: "TLSv1.2", 0x0302: "TLSv1.1", 0x0301: "TLSv1"}
_CIPHERS = {0x1301: "TLS_AES_128_GCM_SHA256", 0x1302: "TLS_AES_256_GCM_SHA384",
            0x1303: "TLS_CHACHA20_POLY1305_SHA256"}  # fmt: skip
_END_STEPS = {"hello-ok", "refused", "cram-failed"}


@attrs.define
class _Direction:
    chunks: list[tuple[float, int, bytes]] = attrs.Factory(list)  # (time, seq, payload)
    fin: float | None = None

    def ordered(self) -> list[tuple[float, bytes]]:
        """Payload in sequence order, retransmissions dropped."""
        out: list[tuple[float, bytes]] = []
        if not self.chunks:
            return out
        chunks = sorted(self.chunks, key=lambda c: (c[1], c[0]))
        expected = chunks[0][1]
        for when, seq, data in chunks:
            if seq + len(data) <= expected:
                continue  # a retransmission of bytes we have
            if seq < expected:
                data = data[expected - seq:]
            out.append((when, data))
            expected = max(expected, seq) + len(data)
        return out


@attrs.define
class _Tcp:
    client: tuple[str, int]
    server: tuple[str, int]
    start: float
    up: _Direction = attrs.Factory(_Direction)  # client -> server
    down: _Direction = attrs.Factory(_Direction)

    @property
    def link(self) -> str:
        return f"{self.client[0]}:{self.client[1]}>{self.server[0]}:{self.server[1]}"


def _ip_text(raw: bytes) -> str:
    import socket

    family = socket.AF_INET6 if len(raw) == 16 else socket.AF_INET
    return socket.inet_ntop(family, raw)


def _packets(path: Path) -> Iterable[tuple[float, Any]]:
    """(time, IP packet) of every captured frame, whatever the link type."""
    with path.open("rb") as f:
        magic = f.read(4)
        f.seek(0)
        reader: Any = dpkt.pcapng.Reader(f) if magic == b"\x0a\x0d\x0d\x0a" else dpkt.pcap.Reader(f)
        link = reader.datalink()
        for when, buf in reader:
            try:
                if link == dpkt.pcap.DLT_EN10MB:
                    ip = dpkt.ethernet.Ethernet(buf).data
                elif link == dpkt.pcap.DLT_LINUX_SLL:
                    ip = dpkt.sll.SLL(buf).data
                elif link in (dpkt.pcap.DLT_NULL, dpkt.pcap.DLT_LOOP):
                    ip = dpkt.loopback.Loopback(buf).data
                else:  # raw IP (DLT_RAW and friends)
                    ip = dpkt.ip6.IP6(buf) if buf[:1] and buf[0] >> 4 == 6 else dpkt.ip.IP(buf)
            except (dpkt.UnpackError, IndexError, struct.error):
                continue
            if isinstance(ip, (dpkt.ip.IP, dpkt.ip6.IP6)) and isinstance(ip.data, dpkt.tcp.TCP):
                yield float(when), ip


def _connections(path: Path, ports: set[int]) -> list[_Tcp]:
    conns: dict[frozenset[tuple[str, int]], _Tcp] = {}
    for when, ip in _packets(path):
        tcp = ip.data
        src = (_ip_text(ip.src), int(tcp.sport))
        dst = (_ip_text(ip.dst), int(tcp.dport))
        key = frozenset((src, dst))
        conn = conns.get(key)
        syn = tcp.flags & dpkt.tcp.TH_SYN and not tcp.flags & dpkt.tcp.TH_ACK
        if conn is None or (syn and conn.client != src):
            client, server = (src, dst) if syn or dst[1] in ports or src[1] not in ports else (dst, src)
            conn = conns[key] = _Tcp(client, server, when)
        direction = conn.up if src == conn.client else conn.down
        if tcp.data:
            direction.chunks.append((when, int(tcp.seq), bytes(tcp.data)))
        if tcp.flags & (dpkt.tcp.TH_FIN | dpkt.tcp.TH_RST) and direction.fin is None:
            direction.fin = when
    return sorted(conns.values(), key=lambda c: c.start)


# ---------------------------------------------------------------- TLS records


def _tls_handshakes(data: bytes) -> list[tuple[int, bytes]]:
    """(type, body) of the handshake messages in the leading TLS records."""
    out: list[tuple[int, bytes]] = []
    pos = 0
    buffer = b""
    while pos + 5 <= len(data) and data[pos] in (20, 21, 22, 23):
        rtype, length = data[pos], struct.unpack("!H", data[pos + 3:pos + 5])[0]
        body = data[pos + 5:pos + 5 + length]
        pos += 5 + length
        if rtype == 22:
            buffer += body
        elif rtype == 23:
            break  # encrypted from here on
    while len(buffer) >= 4:
        htype, hlen = buffer[0], int.from_bytes(buffer[1:4], "big")
        out.append((htype, buffer[4:4 + hlen]))
        buffer = buffer[4 + hlen:]
    return out


def _extensions(data: bytes) -> dict[int, bytes]:
    out: dict[int, bytes] = {}
    pos = 0
    while pos + 4 <= len(data):
        etype, elen = struct.unpack("!HH", data[pos:pos + 4])
        out[etype] = data[pos + 4:pos + 4 + elen]
        pos += 4 + elen
    return out


def parse_client_hello(body: bytes) -> str | None:
    """The first PSK identity of a ClientHello's pre_shared_key extension, if any."""
    try:
        pos = 2 + 32
        pos += 1 + body[pos]  # session id
        pos += 2 + struct.unpack("!H", body[pos:pos + 2])[0]  # cipher suites
        pos += 1 + body[pos]  # compression
        ext_len = struct.unpack("!H", body[pos:pos + 2])[0]
        psk = _extensions(body[pos + 2:pos + 2 + ext_len]).get(41)
        if psk is None:
            return None
        ident_len = struct.unpack("!H", psk[2:4])[0]
        return psk[4:4 + ident_len].decode("utf-8", "replace")
    except (IndexError, struct.error):
        return None


def parse_server_hello(body: bytes) -> tuple[str, str, bool] | None:
    """(version, cipher, PSK accepted) of a ServerHello."""
    try:
        version = struct.unpack("!H", body[:2])[0]
        pos = 2 + 32
        pos += 1 + body[pos]
        cipher = struct.unpack("!H", body[pos:pos + 2])[0]
        pos += 3
        ext_len = struct.unpack("!H", body[pos:pos + 2])[0] if pos + 2 <= len(body) else 0
        ext = _extensions(body[pos + 2:pos + 2 + ext_len])
        if 43 in ext and len(ext[43]) >= 2:
            version = struct.unpack("!H", ext[43][:2])[0]
        name = _CIPHERS.get(cipher, f"0x{cipher:04X}")
        return _TLS_VERSIONS.get(version, f"0x{version:04X}"), name, 41 in ext
    except (IndexError, struct.error):
        return None


# ---------------------------------------------------------------- rows


def guess_row(conn: _Tcp, hello_kind: str | None, psk_identity: str | None,
              acceptor_cram: str | None, ports: dict[int, str]) -> str | None:  # fmt: skip
    candidates: tuple[str, ...] = ()
    if hello_kind is not None:
        candidates = next((rows for kind, rows in HELLO_ROWS.items() if kind.value == hello_kind), ())
    elif psk_identity:
        candidates = _PSK_ROWS.get(psk_identity.split("\x1e", 1)[0], ())
    acceptor = ports.get(conn.server[1])
    if acceptor is None and acceptor_cram:
        acceptor = next((v for k, v in _CRAM_ACCEPTOR.items() if acceptor_cram.startswith(k)), None)
    if acceptor is not None:
        narrowed = tuple(r for r in candidates if r in _ACCEPTOR_ROWS[acceptor])
        candidates = narrowed or candidates
    if len(candidates) > 1 and candidates[0] == "1" and psk_identity:
        candidates = ("1",) if psk_identity.endswith("*UserAgent*") else ("2",)
    return candidates[0] if candidates else None


# ---------------------------------------------------------------- events


def _events(conn: _Tcp, ports: dict[int, str]) -> list[TraceEvent]:
    link = conn.link
    out: list[TraceEvent] = []

    def emit(when: float, event: str, side: str, /, **fields: Any) -> None:
        out.append(TraceEvent(when, "pcap", event, {"link": link, "side": side, **fields}))

    up, down = conn.up.ordered(), conn.down.ordered()
    first = up[0][1] if up else b""
    emit(conn.start, "tcp.connect", "connector", local=link.split(">")[0],
         remote=link.split(">")[1])  # fmt: skip
    if first[:1] == b"\x16":
        _tls_events(conn, up, down, emit, ports, out)
    else:
        _cleartext_events(conn, up, down, emit, ports, out)
    row = next((e.get("connection") for e in out if e.get("connection")), None)
    if row is not None:
        out = [attrs.evolve(e, fields={**e.fields, "connection": row}) for e in out]
    return out


def _tls_events(conn: _Tcp, up: list[tuple[float, bytes]], down: list[tuple[float, bytes]],
                emit: Any, ports: dict[int, str], out: list[TraceEvent]) -> None:  # fmt: skip
    up_bytes = b"".join(d for _, d in up)
    identity = next((parse_client_hello(b) for t, b in _tls_handshakes(up_bytes) if t == 1), None)
    row = guess_row(conn, None, identity, None, ports)
    shown = identity.replace("\x1e", "\\x1e") if identity else None
    emit(up[0][0], "tls.attempt", "connector", stage="first", psk_identity=shown, connection=row)
    server = None
    if down:
        down_bytes = b"".join(d for _, d in down)
        server = next((parse_server_hello(b) for t, b in _tls_handshakes(down_bytes) if t == 2),
                      None)  # fmt: skip
    if server is None:
        when = conn.down.fin or conn.up.fin or up[-1][0]
        emit(when, "tls.failed", "connector", error="peer closed without a ServerHello",
             cause="peer-closed")  # fmt: skip
        emit(when, "handshake.failed", "connector", error="peer closed without a ServerHello",
             cause="peer-closed", connection=row)  # fmt: skip
        return
    version, cipher, psk_used = server
    emit(down[0][0], "tls.ok", "connector", tls_version=version, cipher=cipher,
         psk_identity=shown if psk_used else None, psk_used=psk_used, peer_cn=None)  # fmt: skip
    # The rest is encrypted: the connection is up once the peers exchange application data.
    emit(down[0][0], "handshake.ok", "connector", mode="tls-first", tls_version=version,
         cipher=cipher, psk_identity=shown if psk_used else None, psk_used=psk_used,
         connection=row)  # fmt: skip


def _frames(chunks: list[tuple[float, bytes]]) -> list[tuple[float, Packet | None]]:
    decoder = FrameDecoder()
    out: list[tuple[float, Packet | None]] = []
    try:
        for when, data in chunks:
            decoder.feed(data)
            while (frame := decoder.next_frame()) is not None:
                out.append((when, frame if isinstance(frame, Packet) else None))
    except BareosError:
        pass  # not Bareos framing (or TLS after a STARTTLS): stop reading this direction
    return out


def _cleartext_events(conn: _Tcp, up: list[tuple[float, bytes]], down: list[tuple[float, bytes]],
                      emit: Any, ports: dict[int, str], out: list[TraceEvent]) -> None:  # fmt: skip
    merged = sorted([(t, "connector", f) for t, f in _frames(up)]
                    + [(t, "acceptor", f) for t, f in _frames(down)],
                    key=lambda x: x[0])  # fmt: skip
    hello_kind = acceptor_cram = None
    policies: list[int] = []
    ended = None
    for when, side, frame in merged:
        if frame is None:
            continue
        step = classify(frame.payload)
        if step.step == "other" and ended:
            break  # the session after the handshake is not part of the trace
        emit(when, "handshake.step", side, direction="sent", **step.fields())
        if step.step == "hello" and hello_kind is None:
            hello_kind = step.hello_kind
        if step.step == "cram-challenge":
            if side == "acceptor" and acceptor_cram is None:
                acceptor_cram = step.name
            if step.ssl is not None:
                policies.append(step.ssl)
        if step.step in _END_STEPS:
            ended = (when, step.step)
            break
        if step.step == "cram-ok" and side == "connector":
            # Job data connections (6, 7, 8) end after the second CRAM verdict.
            if guess_row(conn, hello_kind, None, acceptor_cram, ports) in ("6", "7", "8"):
                ended = (when, "hello-ok")
                break
    row = guess_row(conn, hello_kind, None, acceptor_cram, ports)
    if ended is not None and ended[1] == "hello-ok":
        emit(ended[0], "handshake.ok", "connector", mode="cleartext-first", tls_version=None,
             cipher=None, psk_used=False, connection=row)  # fmt: skip
    else:
        when = ended[0] if ended else (conn.down.fin or conn.up.fin or conn.start)
        cause = ended[1] if ended else "peer-closed"
        emit(when, "handshake.failed", "connector", error=cause, cause=cause, connection=row)


def read_pcap(path: Path | str, *, extra_ports: Iterable[int] = ()) -> list[TraceEvent]:
    """The trace events of every TCP connection in a capture."""
    ports = dict(BAREOS_PORTS)
    names = set(ports) | set(extra_ports)
    events: list[TraceEvent] = []
    for conn in _connections(Path(path), names):
        if conn.up.chunks:
            events += _events(conn, ports)
    events.sort(key=lambda e: e.time)
    return events
