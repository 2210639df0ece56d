"""Where the handshake runner reports to the trace (see :mod:`bareosnet.trace.events`).

:func:`connection` binds the ``link`` of a TCP connection (the same string at
both ends) for everything logged during its handshake, including the usual
``handshake.ok``/``handshake.failed`` lines, so the daemons' logs pair up even
without ``--trace``.  The per-step events (TCP, TLS attempt/result, each
handshake packet) are logged only while :func:`bareosnet.trace.switch.enabled`
says a trace is recorded; they cost nothing otherwise.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import structlog
import trio

from bareosnet.proto.framing import Frame, FrameDecoder, Packet, SignalFrame
from bareosnet.tls.checks import TlsInfo
from bareosnet.trace import switch
from bareosnet.trace.steps import classify

log = structlog.get_logger("bareosnet.trace")


def _address(pair: object) -> str | None:
    if isinstance(pair, tuple) and len(pair) >= 2:
        return f"{pair[0]}:{pair[1]}"
    return None


def endpoints(transport: trio.abc.Stream) -> tuple[str | None, str | None]:
    """(local, remote) "ip:port" of a socket stream; (None, None) for anything else."""
    sock = getattr(transport, "socket", None)
    if sock is None:
        return None, None
    try:
        return _address(sock.getsockname()), _address(sock.getpeername())
    except OSError:
        return None, None


@contextlib.contextmanager
def connection(side: str, transport: trio.abc.Stream, row: str | None) -> Iterator[None]:
    """Bind ``link`` and ``side`` for one handshake; log tcp.connect / tcp.accept."""
    local, remote = endpoints(transport)
    if local is None or remote is None:
        yield
        return
    link = f"{local}>{remote}" if side == "connector" else f"{remote}>{local}"
    with structlog.contextvars.bound_contextvars(link=link, side=side):
        if switch.enabled():
            if side == "connector":
                log.info("tcp.connect", side=side, connection=row, local=local, remote=remote)
            else:
                log.info("tcp.accept", side=side, local=local, remote=remote)
        yield


def sent(data: bytes) -> None:
    """The packets one ``Send`` wrote (a Send may hold several)."""
    if not switch.enabled():
        return
    decoder = FrameDecoder()
    try:
        decoder.feed(data)
        while (frame := decoder.next_frame()) is not None:
            _step("sent", frame)
    except Exception:  # a trace must never break a handshake
        return


def received(frame: Frame) -> None:
    if switch.enabled():
        _step("received", frame)


def _step(direction: str, frame: Frame) -> None:
    if isinstance(frame, SignalFrame):
        log.info("handshake.step", direction=direction, step="signal", detail=frame.signal.name)
    elif isinstance(frame, Packet):
        log.info("handshake.step", direction=direction, **classify(frame.payload).fields())


def first_bytes(data: bytes) -> None:
    """The acceptor's peek: a TLS record here is the connector's ClientHello."""
    if switch.enabled() and data[:1] == b"\x16":
        log.info("handshake.step", direction="received", step="tls-client-hello",
                 detail="TLS ClientHello")  # fmt: skip


def tls_attempt(stage: str, psk_identity: str | None) -> None:
    if switch.enabled():
        log.info("tls.attempt", stage=stage, psk_identity=_printable(psk_identity))


def tls_failed(error: BaseException) -> None:
    if switch.enabled():
        log.info("tls.failed", error=str(error) or type(error).__name__,
                 cause=getattr(error, "cause", type(error).__name__))  # fmt: skip


def tls_ok(info: TlsInfo | None) -> None:
    if switch.enabled() and info is not None:
        log.info("tls.ok", tls_version=info.version, cipher=info.cipher,
                 psk_identity=_printable(info.psk_identity), psk_used=info.psk_used,
                 peer_cn=info.peer_cn)  # fmt: skip


def _printable(identity: str | None) -> str | None:
    return identity.replace("\x1e", "\\x1e") if identity else None


__all__ = ["connection", "endpoints", "first_bytes", "received", "sent", "tls_attempt",
           "tls_failed", "tls_ok"]  # fmt: skip
