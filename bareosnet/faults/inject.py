"""Carry out the byte-layer faults of one connection, without doing any I/O.

Theory of operation: the acting side's outgoing bytes go through
:meth:`Injector.outgoing`, its incoming bytes through :meth:`Injector.incoming`;
both return the actions the I/O layer performs in order (write these bytes,
sleep, hang, close).  Faults that act on a packet cut the stream into units:
BSOCK packets when the direction starts in cleartext, TLS records when it
starts with a TLS record header (a man in the middle sees only records under
TLS, so that is all we act on).  A direction whose units stop making sense
(a post-CRAM TLS upgrade) falls back to opaque bytes.  Without unit faults the
bytes pass as they come.
"""

from __future__ import annotations

import math
import re
import struct

import attrs

from bareosnet.faults.active import ConnectionFaults
from bareosnet.faults.table import Fault
from bareosnet.proto.framing import MAX_PACKET_SIZE

_HEADER = struct.Struct("!i")
_TLS_RECORD_TYPES = frozenset({20, 21, 22, 23})
_CHALLENGE = re.compile(rb"^auth cram-md5c? <[^>]*> ssl=\d")
_SSL_REQUIRED = re.compile(rb"( ssl=)2\b")
# Success lines after which the handshake is over, as the proxy sees them in cleartext.
_HANDSHAKE_OK = (b"1000 OK:", b"1000\x1eOK:", b"2000 OK Hello", b"3000 OK Hello")
CORRUPT_LENGTH = 0x7FFFFFFF
CORRUPT_SIGNAL = -9999
UNIT_FAULTS = frozenset({"downgrade", "cram-replay", "stall-during", "drop-after-packet",
                         "corrupt-length", "corrupt-header"})  # fmt: skip


@attrs.frozen
class Write:
    data: bytes


@attrs.frozen
class Sleep:
    seconds: float  # math.inf: hang until the I/O layer's own limit


@attrs.frozen
class Close:
    abort: bool = False  # True: TCP reset, the peer sees "connection reset"
    reason: str = ""


Action = Write | Sleep | Close


class UnitSplitter:
    """Cut one direction of a connection into BSOCK packets or TLS records."""

    def __init__(self) -> None:
        self.mode: str | None = None  # "bsock", "tls", "opaque"
        self._buf = bytearray()

    def feed(self, data: bytes) -> list[bytes]:
        self._buf += data
        if self.mode is None and self._buf:
            first = self._buf[0]
            self.mode = "tls" if first in _TLS_RECORD_TYPES and self._buf[1:2] in (b"\x03", b"") \
                else "bsock"  # fmt: skip
        units: list[bytes] = []
        while self._buf:
            size = self._unit_size()
            if size is None or len(self._buf) < size:
                break
            units.append(bytes(self._buf[:size]))
            del self._buf[:size]
        return units

    def _unit_size(self) -> int | None:
        if self.mode == "opaque":
            return len(self._buf)
        if self.mode == "tls":
            if len(self._buf) < 5:
                return None
            if self._buf[0] not in _TLS_RECORD_TYPES:
                self.mode = "opaque"
                return len(self._buf)
            return 5 + int.from_bytes(self._buf[3:5])
        if len(self._buf) < 4:
            return None
        (length,) = _HEADER.unpack_from(self._buf)
        if length > MAX_PACKET_SIZE or length < -100:
            self.mode = "opaque"  # TLS after CRAM, or garbage: stop interpreting
            return len(self._buf)
        return 4 + max(length, 0)

    def pending(self) -> bytes:
        out = bytes(self._buf)
        self._buf.clear()
        return out


def _payload(unit: bytes, mode: str | None) -> bytes | None:
    if mode != "bsock" or len(unit) < 4:
        return None
    (length,) = _HEADER.unpack_from(unit)
    return unit[4:] if length > 0 else None


def _packet(payload: bytes) -> bytes:
    return _HEADER.pack(len(payload)) + payload


class Injector:
    """The byte-layer faults of one connection, from the acting side's point of view."""

    def __init__(self, faults: ConnectionFaults) -> None:
        self.faults = faults
        self._out = UnitSplitter()
        self._in = UnitSplitter()
        self.sent = 0  # bytes written on, after faults
        self.units_sent = 0
        self._after_handshake_sent: int | None = None  # bytes sent since the handshake
        self._stalled_before = False
        self._stalled_during = False
        self._stalled_after = False
        self._peer_challenge: bytes | None = None
        self.closed = False

    def _f(self, name: str) -> Fault | None:
        return self.faults.get(name)

    @property
    def needs_units(self) -> bool:
        return any(f.name in UNIT_FAULTS for f in self.faults.armed)

    # -- handshake end
    def handshake_done(self) -> None:
        if self._after_handshake_sent is None:
            self._after_handshake_sent = 0

    @property
    def after_handshake(self) -> bool:
        return self._after_handshake_sent is not None

    # -- outgoing
    def outgoing(self, data: bytes) -> list[Action]:
        if self.closed:
            return [Close(reason="closed by a fault")]
        actions: list[Action] = []
        if (f := self._f("stall-before")) and not self._stalled_before:
            self._stalled_before = True
            actions.append(Sleep(f.seconds()))
        if self.after_handshake and (f := self._f("stall-after")) and not self._stalled_after:
            self._stalled_after = True
            actions.append(Sleep(f.seconds()))
        if not self.needs_units:
            actions += self._bytes_out(data)
            return actions
        for unit in self._out.feed(data):
            actions += self._unit_out(unit)
            if self.closed:
                break
        return actions

    def _unit_out(self, unit: bytes) -> list[Action]:
        actions: list[Action] = []
        self.units_sent += 1
        k = self.units_sent
        mode = self._out.mode
        payload = _payload(unit, mode)
        if payload is not None:
            if self._f("downgrade") and _CHALLENGE.match(payload):
                unit = _packet(_SSL_REQUIRED.sub(rb"\g<1>0", payload))
            if self._f("cram-replay") and _CHALLENGE.match(payload) and self._peer_challenge:
                unit = _packet(self._peer_challenge)
        if (f := self._f("corrupt-length")) and k == int(f.values["K"]):
            unit = _corrupt(unit, mode, length=True)
        if (f := self._f("corrupt-header")) and k == int(f.values["K"]):
            unit = _corrupt(unit, mode, length=False)
        actions += self._bytes_out(unit)
        if (f := self._f("drop-after-packet")) and k >= int(f.values["K"]) and not self.closed:
            self.closed = True
            actions.append(Close(reason=f"drop-after-packet: closed after packet {k}"))
        if (f := self._f("stall-during")) and not self._stalled_during and not self.closed:
            self._stalled_during = True
            actions.append(Sleep(f.seconds()))
        return actions

    def _bytes_out(self, data: bytes) -> list[Action]:
        actions: list[Action] = []
        if f := self._f("drop-at-byte"):
            room = int(f.values["N"]) - self.sent
            if room <= len(data):
                data = data[: max(room, 0)]
                self.closed = True
        if self.after_handshake and (f := self._f("vanish")):
            assert self._after_handshake_sent is not None
            room = int(f.values["BYTES"]) - self._after_handshake_sent
            if room <= len(data):
                cut = data[: max(room, 0)]
                actions += self._paced(cut)
                self._count(cut)
                self.closed = True
                actions.append(Close(abort=True, reason="vanish: the acting side vanished"))
                return actions
        actions += self._paced(data)
        self._count(data)
        if self.closed:
            actions.append(Close(reason="drop-at-byte: closed after byte "
                                 f"{int(self._f('drop-at-byte').values['N'])}"))  # type: ignore[union-attr]
        return actions

    def _count(self, data: bytes) -> None:
        self.sent += len(data)
        if self._after_handshake_sent is not None:
            self._after_handshake_sent += len(data)

    def _paced(self, data: bytes) -> list[Action]:
        """Latency, bandwidth and slowloris: how the bytes are spread in time."""
        if not data:
            return []
        actions: list[Action] = []
        if f := self._f("latency"):
            actions.append(Sleep(float(f.values["MS"]) / 1000))
        if f := self._f("slowloris"):
            gap = float(f.values["MS"]) / 1000
            for i in range(len(data)):
                actions += [Write(data[i : i + 1]), Sleep(gap)]
            return actions
        actions.append(Write(data))
        if f := self._f("bandwidth"):
            rate = float(f.values["BYTES_PER_SECOND"])
            actions.append(Sleep(len(data) / rate if rate > 0 else math.inf))
        return actions

    # -- incoming
    def incoming(self, data: bytes) -> list[Action]:
        """What the acting side gets to read of ``data`` (man-in-the-middle faults)."""
        if not (self._f("downgrade") or self._f("cram-replay")):
            return [Write(data)] if data else []
        out: list[Action] = []
        for unit in self._in.feed(data):
            payload = _payload(unit, self._in.mode)
            if payload is not None and _CHALLENGE.match(payload):
                if self._peer_challenge is None:
                    self._peer_challenge = payload
                if self._f("downgrade"):
                    unit = _packet(_SSL_REQUIRED.sub(rb"\g<1>0", payload))
            out.append(Write(unit))
        return out

    # -- the proxy's view of the handshake's end
    def watch_acceptor(self, data: bytes, splitter: UnitSplitter) -> None:
        """The proxy shows us what the acceptor sent: its success line ends the handshake.

        Only in cleartext; under TLS the proxy cannot see it (it uses a time instead).
        """
        if self.after_handshake or splitter.mode == "opaque":
            return
        for unit in splitter.feed(data):
            payload = _payload(unit, splitter.mode)
            if payload is not None and payload.startswith(_HANDSHAKE_OK):
                self.handshake_done()


def _corrupt(unit: bytes, mode: str | None, *, length: bool) -> bytes:
    if mode == "tls":
        if length:
            return unit[:3] + b"\xff\xff" + unit[5:]
        return b"\x63" + unit[1:]
    if length:
        return _HEADER.pack(CORRUPT_LENGTH) + unit[4:]
    return _HEADER.pack(CORRUPT_SIGNAL) + unit[4:]
