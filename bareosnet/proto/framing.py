"""The BSOCK packet layer: 4-byte big-endian signed length, then the payload.

A positive header is the payload length (at most 1,000,000 bytes), zero is an
empty message, a negative header is a :class:`Signal` with no payload.  The
encoder always returns header and payload as one buffer because acceptors
peek at the first packet to tell cleartext from TLS: a header sent alone can
make a real daemon drop the connection.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator

import attrs

from bareosnet.errors import OversizePacketError, ProtocolError
from bareosnet.proto.signals import Signal

HEADER = struct.Struct("!i")
HEADER_LENGTH = HEADER.size
# Largest payload a receiver accepts; a larger header is fatal ("Packet size too big").
MAX_PACKET_SIZE = 1_000_000
# Largest payload a sender puts in one packet; longer messages are cut.
MAX_MESSAGE_LENGTH = MAX_PACKET_SIZE - HEADER_LENGTH


class UnknownSignalError(ProtocolError):
    """A negative header that is not one of Bareos's signals."""


@attrs.frozen
class Packet:
    """A data packet (possibly empty)."""

    payload: bytes

    @property
    def text(self) -> str:
        """The payload as text, without a trailing NUL (Bareos C strings)."""
        return self.payload.rstrip(b"\x00").decode("utf-8", "replace")


@attrs.frozen
class SignalFrame:
    """A signal packet."""

    signal: Signal


Frame = Packet | SignalFrame


def encode_packet(payload: bytes) -> bytes:
    """Header + payload of one packet, as one buffer."""
    if len(payload) > MAX_MESSAGE_LENGTH:
        raise ValueError(
            f"payload of {len(payload)} bytes exceeds one packet ({MAX_MESSAGE_LENGTH}); "
            "use encode_message"
        )
    return HEADER.pack(len(payload)) + payload


def encode_message(payload: bytes) -> bytes:
    """A logical message of any size, cut into consecutive packets as Bareos does.

    The receiver does not reassemble them: each part arrives as its own packet.
    """
    if len(payload) <= MAX_MESSAGE_LENGTH:
        return encode_packet(payload)
    parts = [
        encode_packet(payload[i : i + MAX_MESSAGE_LENGTH])
        for i in range(0, len(payload), MAX_MESSAGE_LENGTH)
    ]
    return b"".join(parts)


def encode_signal(signal: Signal | int) -> bytes:
    """The 4 bytes of a signal."""
    return HEADER.pack(int(Signal(signal)))


def encode_frame(frame: Frame) -> bytes:
    if isinstance(frame, SignalFrame):
        return encode_signal(frame.signal)
    return encode_packet(frame.payload)


def decode_header(header: bytes, max_size: int = MAX_PACKET_SIZE) -> int:
    """Validate a 4-byte header; returns the payload length or the (negative) signal.

    Raises :class:`OversizePacketError` or :class:`UnknownSignalError`.
    """
    (value,) = HEADER.unpack(header)
    if value > max_size:
        raise OversizePacketError(value, max_size)
    if value < 0:
        try:
            Signal(value)
        except ValueError:
            raise UnknownSignalError(f"unknown signal {value} in packet header") from None
    return value


class FrameDecoder:
    """Incremental decoder: feed arbitrary chunks, take complete frames out.

    After an error the decoder stays broken (the stream position is lost),
    exactly as a Bareos socket is marked terminated.
    """

    def __init__(self, max_size: int = MAX_PACKET_SIZE) -> None:
        self._buffer = bytearray()
        self._max_size = max_size
        self._error: ProtocolError | None = None

    @property
    def buffered(self) -> int:
        """Bytes received but not yet returned as a frame."""
        return len(self._buffer)

    def take_buffered(self) -> bytes:
        """Hand over the undecoded bytes (the stream moves on without this decoder)."""
        data, self._buffer = bytes(self._buffer), bytearray()
        return data

    def feed(self, data: bytes) -> None:
        if self._error is not None:
            raise self._error
        self._buffer += data

    def next_frame(self) -> Frame | None:
        """The next complete frame, or None if more bytes are needed."""
        if self._error is not None:
            raise self._error
        if len(self._buffer) < HEADER_LENGTH:
            return None
        try:
            value = decode_header(bytes(self._buffer[:HEADER_LENGTH]), self._max_size)
        except ProtocolError as exc:
            self._error = exc
            raise
        if value < 0:
            del self._buffer[:HEADER_LENGTH]
            return SignalFrame(Signal(value))
        end = HEADER_LENGTH + value
        if len(self._buffer) < end:
            return None
        payload = bytes(self._buffer[HEADER_LENGTH:end])
        del self._buffer[:end]
        return Packet(payload)

    def frames(self) -> Iterator[Frame]:
        """Every complete frame currently buffered."""
        while (frame := self.next_frame()) is not None:
            yield frame

    def needed(self) -> int:
        """How many more bytes complete the current frame (at least 1)."""
        if len(self._buffer) < HEADER_LENGTH:
            return HEADER_LENGTH - len(self._buffer)
        (value,) = HEADER.unpack(bytes(self._buffer[:HEADER_LENGTH]))
        if value < 0:
            return 0
        return max(0, HEADER_LENGTH + value - len(self._buffer))
