"""A Bareos packet stream over any trio byte stream (TCP or TLS).

Every packet goes out as one ``send_all`` (header + payload in one buffer),
every receive has a timeout, heartbeats are skipped where callers ask for it,
and a peer that closes without TLS close_notify counts as a plain EOF, since
python-bareos and Bareos itself often just close the socket.
"""

from __future__ import annotations

import math

import trio

from bareosnet.errors import HandshakeTimeoutError, PeerClosedError, ProtocolError
from bareosnet.proto.framing import (
    MAX_PACKET_SIZE,
    Frame,
    FrameDecoder,
    Packet,
    SignalFrame,
    encode_message,
    encode_signal,
)
from bareosnet.proto.signals import KEEPALIVE_SIGNALS, Signal

DEFAULT_TIMEOUT = 60.0
_READ_SIZE = 65536


class PrefixedStream(trio.abc.Stream):
    """Replays bytes already read (the acceptor's peek, leftovers before a TLS upgrade)."""

    def __init__(self, inner: trio.abc.Stream, prefix: bytes) -> None:
        self.inner = inner
        self._prefix = prefix

    async def send_all(self, data: bytes | bytearray | memoryview) -> None:
        await self.inner.send_all(data)

    async def wait_send_all_might_not_block(self) -> None:
        await self.inner.wait_send_all_might_not_block()

    async def receive_some(self, max_bytes: int | None = None) -> bytes | bytearray:
        if self._prefix:
            n = len(self._prefix) if max_bytes is None else max_bytes
            out, self._prefix = self._prefix[:n], self._prefix[n:]
            return out
        return await self.inner.receive_some(max_bytes)

    async def aclose(self) -> None:
        await self.inner.aclose()

    @property
    def has_prefix(self) -> bool:
        return bool(self._prefix)

    @property
    def socket(self):  # type: ignore[no-untyped-def]
        return getattr(self.inner, "socket", None)


class BareosStream:
    """Send and receive Bareos frames with a size cap and per-operation timeouts."""

    def __init__(
        self,
        stream: trio.abc.Stream,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        max_size: int = MAX_PACKET_SIZE,
    ) -> None:
        self.stream = stream
        self.timeout = timeout
        self._decoder = FrameDecoder(max_size)
        self._closed = False
        self.bytes_sent = 0
        self.bytes_received = 0

    # -- sending
    async def send_raw(self, data: bytes) -> None:
        """Already-encoded packets, written in one call."""
        if not data:
            return
        with trio.fail_after(self.timeout):
            try:
                await self.stream.send_all(data)
            except (trio.BrokenResourceError, trio.ClosedResourceError) as exc:
                raise PeerClosedError(f"connection lost while sending: {exc}") from None
        self.bytes_sent += len(data)

    async def send(self, payload: bytes | str) -> None:
        if isinstance(payload, str):
            payload = payload.encode("utf-8")
        await self.send_raw(encode_message(payload))

    async def send_signal(self, signal: Signal) -> None:
        await self.send_raw(encode_signal(signal))

    def take_buffered(self) -> bytes:
        """Bytes received but not yet returned as frames (for a relay taking the transport)."""
        return self._decoder.take_buffered()

    # -- receiving
    async def receive_frame(self, timeout: float | None = None) -> Frame:
        """The next frame; raises PeerClosedError, HandshakeTimeoutError, ProtocolError."""
        limit = self.timeout if timeout is None else timeout
        deadline = trio.current_time() + (limit if limit is not None else math.inf)
        while True:
            frame = self._decoder.next_frame()
            if frame is not None:
                return frame
            if self._closed:
                raise PeerClosedError("peer closed the connection")
            with trio.move_on_at(deadline) as scope:
                data = await self._receive_some()
            if scope.cancelled_caught:
                raise HandshakeTimeoutError(f"no data from peer within {limit:g} s")
            if not data:
                self._closed = True
                if self._decoder.buffered:
                    raise PeerClosedError("peer closed the connection in the middle of a packet")
                raise PeerClosedError("peer closed the connection")
            self.bytes_received += len(data)
            self._decoder.feed(data)

    async def wait_readable(self, deadline: float) -> bool:
        """Wait until a receive would find something (data or EOF); False at ``deadline``.

        For an idle session: the wait sits on the socket itself, one frame deep,
        instead of the dozen frames, locks and cancel scopes of a receive through
        a TLS stream (about 5 KiB per held connection in a fleet).  When a frame
        or TLS bytes are already buffered, or the transport is one we cannot see
        through, it returns at once and the receive that follows does the work.
        """
        sock = self._idle_socket()
        if sock is None:
            return True
        with trio.move_on_at(deadline):
            try:
                await trio.lowlevel.wait_readable(sock)
            except (trio.ClosedResourceError, OSError):
                pass  # closed under us: the receive that follows says so
            return True
        return False

    def idle_fileno(self) -> int | None:
        """The socket's descriptor when nothing is buffered above it (else None):
        then, and only then, readability of the socket means a receive has work."""
        sock = self._idle_socket()
        return None if sock is None else sock.fileno()

    def _idle_socket(self) -> trio.socket.SocketType | None:
        """The socket to wait on when nothing is buffered above it, else None."""
        if self._closed or self._decoder.buffered:
            return None
        inner: object = self.stream
        if isinstance(inner, trio.SSLStream):
            # Decrypted bytes in the SSL object, or records in trio's incoming
            # buffer, would never make the socket readable again.
            ssl_object = getattr(inner, "_ssl_object", None)
            incoming = getattr(inner, "_incoming", None)
            if ssl_object is None or incoming is None or ssl_object.pending() or incoming.pending:
                return None
            inner = inner.transport_stream
        if isinstance(inner, PrefixedStream):
            if inner.has_prefix:
                return None
            inner = inner.inner
        if isinstance(inner, trio.SocketStream):
            return inner.socket
        return None

    async def _receive_some(self) -> bytes:
        try:
            return bytes(await self.stream.receive_some(_READ_SIZE))
        except trio.BrokenResourceError as exc:
            # A TLS peer that closes without close_notify, or a reset: treat as EOF.
            cause = exc.__cause__
            if cause is not None and not _is_eof_like(cause):
                raise PeerClosedError(f"connection broken: {cause}") from None
            return b""
        except trio.ClosedResourceError:
            return b""

    async def receive(self, timeout: float | None = None) -> Frame:
        """The next frame that is not a keep-alive signal."""
        while True:
            frame = await self.receive_frame(timeout)
            if isinstance(frame, SignalFrame) and frame.signal in KEEPALIVE_SIGNALS:
                continue
            return frame

    async def receive_packet(self, timeout: float | None = None) -> bytes:
        """The next data packet; any signal is a protocol error here."""
        frame = await self.receive(timeout)
        if isinstance(frame, SignalFrame):
            raise ProtocolError(f"expected a packet, got signal {frame.signal.name}")
        return frame.payload

    async def receive_text(self, timeout: float | None = None) -> str:
        return Packet(await self.receive_packet(timeout)).text

    def leftover(self) -> bytes:
        """Bytes received but not yet decoded (handed on at a TLS upgrade)."""
        data = bytes(self._decoder._buffer)  # noqa: SLF001 - same package, deliberate
        self._decoder._buffer.clear()  # noqa: SLF001
        return data

    def replace_stream(self, stream: trio.abc.Stream) -> None:
        """Continue over a new underlying stream (after a TLS upgrade)."""
        self.stream = stream

    async def aclose(self, *, terminate: bool = False) -> None:
        """Close; optionally say BNET_TERMINATE first. Never raises."""
        if terminate and not self._closed:
            with trio.move_on_after(2):
                try:
                    await self.stream.send_all(encode_signal(Signal.TERMINATE))
                except (trio.BrokenResourceError, trio.ClosedResourceError, OSError):
                    pass
        with trio.move_on_after(2) as scope:
            try:
                await self.stream.aclose()
            except (trio.BrokenResourceError, trio.ClosedResourceError, OSError):
                pass
        if scope.cancelled_caught:
            await trio.aclose_forcefully(self.stream)
        self._closed = True


def _is_eof_like(exc: BaseException) -> bool:
    import ssl

    if isinstance(exc, ssl.SSLEOFError | ConnectionResetError | BrokenPipeError):
        return True
    if isinstance(exc, ssl.SSLError) and "UNEXPECTED_EOF" in str(exc):
        return True
    return False
