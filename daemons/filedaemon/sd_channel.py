"""The File daemon's side of a job's data connection: commands out, replies in.

The FD always drives the data session, whether it connected to the Storage
daemon (connection 6) or the SD connected to it (connection 7, passive
client): ``append open session`` / ``read open session = ...``, the data
command, and the end/close commands, each answered by one ``3000 ...`` line
(:mod:`bareosnet.proto.jobcmds`).  Replies are read like Bareos's
``BgetMsg``: heartbeats skipped, ``BNET_EOD_POLL``/``BNET_POLL`` answered,
any other signal ends the wait.  Every wait has a timeout.
"""

from __future__ import annotations

import structlog

from bareosnet.errors import HandshakeTimeoutError, PeerClosedError, ProtocolError
from bareosnet.net.stream import BareosStream
from bareosnet.proto.framing import Packet, SignalFrame
from bareosnet.proto.signals import Signal

log = structlog.get_logger("bareos.fd.sd")


class ChannelError(Exception):
    """The data connection broke or answered nonsense; ``comm`` = a network error."""

    def __init__(self, message: str, *, comm: bool) -> None:
        super().__init__(message)
        self.comm = comm


class SdChannel:
    """Commands to and replies from the Storage daemon on one data connection."""

    def __init__(self, stream: BareosStream, *, timeout: float) -> None:
        self.stream = stream
        self.timeout = timeout

    async def send(self, payload: bytes | str) -> None:
        try:
            await self.stream.send(payload)
        except PeerClosedError as exc:
            raise ChannelError(str(exc), comm=True) from None
        except Exception as exc:  # trio.TooSlowError from a stuck peer
            raise ChannelError(f"send failed: {exc or type(exc).__name__}", comm=True) from None

    async def send_raw(self, data: bytes) -> None:
        try:
            await self.stream.send_raw(data)
        except PeerClosedError as exc:
            raise ChannelError(str(exc), comm=True) from None
        except Exception as exc:
            raise ChannelError(f"send failed: {exc or type(exc).__name__}", comm=True) from None

    async def signal(self, signal: Signal) -> None:
        try:
            await self.stream.send_signal(signal)
        except PeerClosedError as exc:
            raise ChannelError(str(exc), comm=True) from None
        except Exception as exc:
            raise ChannelError(f"send failed: {exc or type(exc).__name__}", comm=True) from None

    async def get(self, timeout: float | None = None) -> bytes | Signal:
        """Bareos ``BgetMsg``: the next packet, or the signal that ended the wait."""
        while True:
            try:
                frame = await self.stream.receive(
                    timeout=self.timeout if timeout is None else timeout
                )
            except HandshakeTimeoutError as exc:
                raise ChannelError(str(exc), comm=True) from None
            except PeerClosedError as exc:
                raise ChannelError(str(exc), comm=True) from None
            except ProtocolError as exc:
                raise ChannelError(str(exc), comm=True) from None
            if isinstance(frame, Packet):
                return frame.payload
            assert isinstance(frame, SignalFrame)
            if frame.signal in (Signal.EOD_POLL, Signal.POLL):
                await self.send("2000 OK\n")
                if frame.signal is Signal.POLL:
                    continue
            return frame.signal

    async def expect(self, wanted: bytes, what: str) -> None:
        """Bareos ``response()``: the next message must be exactly ``wanted``."""
        try:
            got = await self.get()
        except ChannelError as exc:
            raise ChannelError(
                f"Comm error with SD. bad response to {what}. ERR={exc}\n", comm=True
            ) from None
        if got == wanted:
            return
        shown = got.name if isinstance(got, Signal) else got.decode("utf-8", "replace")
        raise ChannelError(
            f"Bad response to {what} command. Wanted {wanted.decode().rstrip()}, "
            f"got {shown.rstrip()}\n",
            comm=False,
        )
