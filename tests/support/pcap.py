"""Write pcap files in tests: TCP segments of loopback connections, and a capturing relay.

No tcpdump or root: :class:`PcapWriter` builds Ethernet/IPv4/TCP records with
dpkt (SYN, data with running sequence numbers, FIN), and :func:`relay` is a
trio TCP forwarder that records what passes through it, so real emulator
traffic (TLS-PSK included) can be captured from inside a test.
"""

from __future__ import annotations

import socket
from pathlib import Path
from typing import BinaryIO

import dpkt
import trio

Endpoint = tuple[str, int]


class PcapWriter:
    def __init__(self, path: Path) -> None:
        self.file: BinaryIO = path.open("wb")
        self.pcap = dpkt.pcap.Writer(self.file, linktype=dpkt.pcap.DLT_EN10MB)
        self.seq: dict[tuple[Endpoint, Endpoint], int] = {}

    def _record(self, src: Endpoint, dst: Endpoint, flags: int, payload: bytes, when: float) -> None:
        seq = self.seq.setdefault((src, dst), 1000)
        tcp = dpkt.tcp.TCP(sport=src[1], dport=dst[1], seq=seq, flags=flags, data=payload)
        tcp.off = 5
        ip = dpkt.ip.IP(src=socket.inet_aton(src[0]), dst=socket.inet_aton(dst[0]),
                        p=dpkt.ip.IP_PROTO_TCP, data=tcp)  # fmt: skip
        ip.len = len(bytes(ip))
        eth = dpkt.ethernet.Ethernet(src=b"\x00" * 6, dst=b"\x00" * 6,
                                     type=dpkt.ethernet.ETH_TYPE_IP, data=ip)  # fmt: skip
        self.pcap.writepkt(bytes(eth), ts=when)
        grow = len(payload) + (1 if flags & (dpkt.tcp.TH_SYN | dpkt.tcp.TH_FIN) else 0)
        self.seq[(src, dst)] = seq + grow

    def connect(self, client: Endpoint, server: Endpoint, when: float) -> None:
        self._record(client, server, dpkt.tcp.TH_SYN, b"", when)
        self._record(server, client, dpkt.tcp.TH_SYN | dpkt.tcp.TH_ACK, b"", when)
        self._record(client, server, dpkt.tcp.TH_ACK, b"", when)

    def data(self, src: Endpoint, dst: Endpoint, payload: bytes, when: float) -> None:
        self._record(src, dst, dpkt.tcp.TH_ACK | dpkt.tcp.TH_PUSH, payload, when)

    def close(self, src: Endpoint, dst: Endpoint, when: float) -> None:
        self._record(src, dst, dpkt.tcp.TH_FIN | dpkt.tcp.TH_ACK, b"", when)

    def finish(self) -> None:
        self.file.close()


async def relay(listener: trio.SocketListener, target: Endpoint, writer: PcapWriter,
                connections: int = 1) -> None:  # fmt: skip
    """Forward ``connections`` accepted connections to ``target``, recording both directions.

    The records name the real endpoints (client's address, the target's port),
    so the capture looks as if taken on the wire between the two.
    """
    for _ in range(connections):
        down = await listener.accept()
        client: Endpoint = down.socket.getpeername()[:2]
        up = await trio.open_tcp_stream(*target)
        writer.connect(client, target, _now())

        async def pump(src: trio.SocketStream, dst: trio.SocketStream, a: Endpoint,
                       b: Endpoint) -> None:  # fmt: skip
            try:
                while data := await src.receive_some(65536):
                    writer.data(a, b, bytes(data), _now())
                    await dst.send_all(data)
            except (trio.BrokenResourceError, trio.ClosedResourceError):
                pass
            writer.close(a, b, _now())
            try:
                await dst.send_eof()
            except (trio.BrokenResourceError, trio.ClosedResourceError, OSError):
                pass

        with trio.fail_after(20):
            async with trio.open_nursery() as nursery:
                nursery.start_soon(pump, down, up, client, target)
                nursery.start_soon(pump, up, down, target, client)
        await down.aclose()
        await up.aclose()


def _now() -> float:
    import time

    return time.time()
