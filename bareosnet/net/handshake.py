"""Run the sans-IO handshake machines over real trio streams.

Connector: TCP connect, TLS first when asked (PSK or certificates), then the
Hello/CRAM machine; a post-CRAM TLS upgrade when the policies ask for it.
Acceptor: read the first bytes (the "peek": they are replayed, not lost),
decide cleartext vs TLS like Bareos, run the TLS server handshake with a PSK
lookup when needed, then the machine.  Either side returns the open
:class:`BareosStream` and a :class:`ConnectionInfo` value describing what was
negotiated; failures raise typed errors and are logged as one line.
"""

from __future__ import annotations

import contextvars
import ssl
from collections.abc import Callable
from typing import Any

import attrs
import structlog
import trio

from bareosnet.errors import (
    BareosError,
    HandshakeTimeoutError,
    OversizePacketError,
    PeerClosedError,
    ProtocolError,
)
from bareosnet.net import faulty, trace_points
from bareosnet.net.stream import BareosStream, PrefixedStream
from bareosnet.proto.framing import HEADER_LENGTH, decode_header
from bareosnet.proto.handshake import (
    AcceptorHandshake,
    ConnectorConfig,
    ConnectorHandshake,
    Done,
    Event,
    Failed,
    HandshakeResult,
    Resolver,
    Send,
    StartTls,
)
from bareosnet.proto.hello import Persona
from bareosnet.proto.policy import PEEK_MINIMUM, HandshakeMode, PeekResult, classify_first_bytes
from bareosnet.tls.checks import TlsInfo, check_after_handshake, classify_ssl_error
from bareosnet.tls.contexts import client_context, server_context, shared_psk_client_context
from bareosnet.tls.psk import PskCredentials
from bareosnet.tls.settings import TlsSettings

log = structlog.get_logger("bareosnet.handshake")

DEFAULT_HANDSHAKE_TIMEOUT = 60.0
# Bareos sleeps this long after a failed authentication before closing.
DEFAULT_AUTH_FAILURE_DELAY = 5.0


@attrs.frozen
class ConnectionInfo:
    """Everything a person debugging a connection wants to know, as one value."""

    connection: str  # row number of the reference table
    title: str
    side: str  # "connector" / "acceptor"
    peer_name: str | None
    peer_address: str | None
    mode: HandshakeMode
    tls_version: str | None = None
    cipher: str | None = None
    psk_identity: str | None = None
    psk_used: bool = False
    peer_cn: str | None = None
    peer_version: str | None = None
    persona: str = "26"
    result: HandshakeResult | None = attrs.field(default=None, repr=False, eq=False)

    @property
    def encrypted(self) -> bool:
        return self.tls_version is not None

    @property
    def encryption_text(self) -> str:
        """What Bareos prints: ``TLS_CHACHA20_POLY1305_SHA256 TLSv1.3`` or ``None``."""
        if self.cipher and self.tls_version:
            return f"{self.cipher} {self.tls_version}"
        return "None"

    @property
    def mode_text(self) -> str:
        return "Immediate TLS" if self.mode is HandshakeMode.TLS_FIRST else "Cleartext"

    def log_fields(self) -> dict[str, object]:
        return {
            "connection": self.connection,
            "side": self.side,
            "peer": self.peer_name,
            "address": self.peer_address,
            "mode": self.mode.value,
            "tls_version": self.tls_version,
            "cipher": self.cipher,
            "psk_identity": (self.psk_identity or "").replace("\x1e", "\\x1e") or None,
            "psk_used": self.psk_used,
            "peer_cn": self.peer_cn,
            "peer_version": self.peer_version,
            "persona": self.persona,
        }


def _encryption_line(info: TlsInfo | None) -> str:
    if info is None:
        return " Encryption: None"
    return f" Encryption: {info.cipher} {info.version}"


async def _tls_wrap(
    transport: trio.abc.Stream,
    context: ssl.SSLContext,
    *,
    server_side: bool,
    timeout: float,
    psk_identity: str | None = None,
    stage: str = "first",
) -> trio.SSLStream[trio.abc.Stream]:
    tls = trio.SSLStream(transport, context, server_side=server_side, https_compatible=True)
    trace_points.tls_attempt(stage, psk_identity)
    try:
        with trio.fail_after(timeout):
            await tls.do_handshake()
            if server_side:
                await _send_session_tickets_now(tls, transport)
    except trio.TooSlowError:
        await trio.aclose_forcefully(tls)
        error: BareosError = HandshakeTimeoutError(
            f"TLS handshake did not finish within {timeout:g} s"
        )
        trace_points.tls_failed(error)
        raise error from None
    except trio.BrokenResourceError as exc:
        await _flush_alert(tls, transport)
        await trio.aclose_forcefully(tls)
        cause = exc.__cause__ if exc.__cause__ is not None else exc
        error = classify_ssl_error(cause, server_side=server_side, psk_identity=psk_identity)
        trace_points.tls_failed(error)
        raise error from None
    return tls


async def _send_session_tickets_now(
    tls: trio.SSLStream[trio.abc.Stream], transport: trio.abc.Stream
) -> None:
    """Send the TLS 1.3 session tickets with the handshake, as OpenSSL servers do.

    trio holds a TLS 1.3 server's tickets back until the first application
    write (python-trio/trio#819).  A Bareos server speaks second, so that
    leaves the client's Finished unanswered: the client's Hello then waits in
    its Nagle buffer for our delayed ACK, about 40 ms per login for every peer
    without TCP_NODELAY (real Directors, consoles, python-bareos).  Real
    daemons send the tickets at once, their segment carries the ACK, and the
    Hello follows at once; so do we.  The held bytes live in a private trio
    attribute, read defensively: without it we are merely slower, not wrong.
    """
    pending = getattr(tls, "_delayed_outgoing", None)
    if not pending:
        return
    tls._delayed_outgoing = None  # type: ignore[attr-defined]
    await transport.send_all(pending)


async def _flush_alert(tls: trio.SSLStream[trio.abc.Stream], transport: trio.abc.Stream) -> None:
    """Send the TLS alert OpenSSL queued for a failed handshake.

    trio drops it when the handshake raises; without it the peer only sees an
    EOF and cannot tell a wrong key from a vanished peer.
    """
    outgoing = getattr(tls, "_outgoing", None)  # trio's MemoryBIO; no public accessor
    data = outgoing.read() if outgoing is not None else b""
    if data:
        with trio.move_on_after(1):
            try:
                await transport.send_all(data)
            except (trio.BrokenResourceError, trio.ClosedResourceError, OSError):
                pass


def _ssl_object(tls: trio.SSLStream[trio.abc.Stream]) -> ssl.SSLObject:
    return tls._ssl_object  # noqa: SLF001 - trio exposes no public accessor for it


# ---------------------------------------------------------------- connector

# What the shared PSK client context offers: set by the connecting task around its
# handshake, read by the context's callback, which OpenSSL calls inside it.
_PSK_OFFER: contextvars.ContextVar[PskCredentials | None] = contextvars.ContextVar(
    "psk_offer", default=None
)
_SHARED_CLIENT_CONTEXTS: dict[TlsSettings, ssl.SSLContext] = {}


def _connector_context(tls: TlsSettings, psk: PskCredentials | None) -> ssl.SSLContext:
    """The TLS-first client context: shared per TLS settings for PSK without files.

    Building one costs ~0.6 ms of CPU (most of it cutting the cipher list down to
    the PSK suites), as much as the rest of a login; a Director probing a
    thousand Clients at once pays it a thousand times.  Nothing on the wire
    changes: the context keeps no sessions (the client side never resumes).
    """
    if psk is None or not _reads_no_files(tls):
        return client_context(tls, psk)
    ctx = _SHARED_CLIENT_CONTEXTS.get(tls)
    if ctx is None:
        if len(_SHARED_CLIENT_CONTEXTS) >= _SHARED_CONTEXTS_MAX:
            _SHARED_CLIENT_CONTEXTS.clear()
        ctx = _SHARED_CLIENT_CONTEXTS[tls] = shared_psk_client_context(tls, _PSK_OFFER.get)
    return ctx



async def open_tcp(
    host: str, port: int, *, connect_timeout: float = 15.0, heartbeat_interval: int = 0
) -> trio.SocketStream:
    """TCP connect with a timeout; errors become PeerClosedError / HandshakeTimeoutError.

    ``heartbeat_interval`` (Bareos's Heartbeat Interval, 0 = off) becomes TCP
    keep-alive on the socket, as Bareos does for outgoing connections.
    """
    try:
        with trio.fail_after(connect_timeout):
            tcp = await trio.open_tcp_stream(host, port)
    except trio.TooSlowError:
        raise HandshakeTimeoutError(f"connect to {host}:{port} timed out") from None
    except OSError as exc:
        raise PeerClosedError(f"cannot connect to {host}:{port}: {exc.strerror or exc}") from None
    if heartbeat_interval > 0:
        _set_keepalive(tcp, heartbeat_interval)
    return tcp


async def connect(
    host: str,
    port: int,
    config: ConnectorConfig,
    *,
    tls_first: bool,
    tls_settings: TlsSettings,
    psk: PskCredentials | None,
    timeout: float = DEFAULT_HANDSHAKE_TIMEOUT,
    connect_timeout: float = 15.0,
    failure_delay: float = 0.0,
    require_psk: bool = False,
    heartbeat_interval: int = 0,
) -> tuple[BareosStream, ConnectionInfo]:
    """Open a connection of row ``config.spec`` and authenticate; raises on failure."""
    tcp = await open_tcp(
        host, port, connect_timeout=connect_timeout, heartbeat_interval=heartbeat_interval
    )
    return await handshake_as_connector(
        tcp,
        config,
        peer_address=f"{host}:{port}",
        peer_host=host,
        tls_first=tls_first,
        tls_settings=tls_settings,
        psk=psk,
        timeout=timeout,
        failure_delay=failure_delay,
        require_psk=require_psk,
    )


def _set_keepalive(tcp: trio.SocketStream, interval: int) -> None:
    import socket

    tcp.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
    for opt in ("TCP_KEEPIDLE", "TCP_KEEPINTVL"):
        if hasattr(socket, opt):
            tcp.setsockopt(socket.IPPROTO_TCP, getattr(socket, opt), interval)


async def handshake_as_connector(
    transport: trio.abc.Stream, config: ConnectorConfig, **kwargs: Any
) -> tuple[BareosStream, ConnectionInfo]:
    """Authenticate an open connection of row ``config.spec``; raises on failure."""
    with trace_points.connection("connector", transport, config.spec.number):
        return await _connector_handshake(transport, config, **kwargs)


async def _connector_handshake(
    transport: trio.abc.Stream,
    config: ConnectorConfig,
    *,
    peer_address: str | None,
    peer_host: str | None,
    tls_first: bool,
    tls_settings: TlsSettings,
    psk: PskCredentials | None,
    timeout: float = DEFAULT_HANDSHAKE_TIMEOUT,
    failure_delay: float = 0.0,
    require_psk: bool = False,
) -> tuple[BareosStream, ConnectionInfo]:
    tls_info: TlsInfo | None = None
    fp = faulty.connector_faults(transport, config, peer_address=peer_address,
                                 tls_first=tls_first, tls_settings=tls_settings, psk=psk)  # fmt: skip
    transport, config, tls_first, tls_settings, psk = (
        fp.transport, fp.config, fp.tls_first, fp.tls_settings, fp.psk)  # fmt: skip
    stream = BareosStream(transport, timeout=timeout)
    try:
        if tls_first:
            ctx = _connector_context(tls_settings, psk)
            token = _PSK_OFFER.set(psk)
            try:
                tls = await _tls_wrap(
                    transport, ctx, server_side=False, timeout=timeout,
                    psk_identity=psk.identity if psk else None,
                )  # fmt: skip
            finally:
                _PSK_OFFER.reset(token)
            tls_info = check_after_handshake(
                _ssl_object(tls),
                tls_settings,
                server_side=False,
                psk_meant=psk is not None,
                peer_host=peer_host,
                psk_identity=psk.identity if psk else None,
                require_psk=require_psk,
            )
            trace_points.tls_ok(tls_info)
            stream = BareosStream(tls, timeout=timeout)
        machine = ConnectorHandshake(config, tls_active=tls_first)
        followups: list[Event] = []

        async def on_start_tls(server_side: bool) -> None:
            nonlocal tls_info
            # Post-CRAM TLS is certificate TLS only, as in Bareos.
            ctx = client_context(tls_settings, None)
            inner = PrefixedStream(stream.stream, stream.leftover())
            tls = await _tls_wrap(inner, ctx, server_side=False, timeout=timeout,
                                  stage="after-cram")  # fmt: skip
            tls_info = check_after_handshake(
                _ssl_object(tls), tls_settings, server_side=False, psk_meant=False,
                peer_host=peer_host, psk_identity=None,
            )  # fmt: skip
            trace_points.tls_ok(tls_info)
            stream.replace_stream(tls)
            followups.extend(machine.tls_established())

        result = await _drive_with_followups(
            machine, stream, machine.initiate(), followups, on_start_tls, failure_delay
        )
    except BaseException as exc:
        await stream.aclose()
        if isinstance(exc, BareosError):
            _log_failure("connector", config.spec.number, peer_address, exc)
        raise
    info = _info(result, peer_address, tls_info, psk.identity if (psk and tls_first) else None,
                 config.persona)  # fmt: skip
    fp.done(result.peer_name)
    log.info("handshake.ok", **info.log_fields())
    return stream, info


async def _drive_with_followups(
    machine: ConnectorHandshake | AcceptorHandshake,
    stream: BareosStream,
    initial: list[Event],
    followups: list[Event],
    on_start_tls: Callable[[bool], object],
    failure_delay: float,
) -> HandshakeResult:
    """Like _drive, but events produced by a TLS upgrade are processed in order."""
    events = list(initial)
    while True:
        while events:
            event = events.pop(0)
            if isinstance(event, Send):
                trace_points.sent(event.data)  # before: the peer's answer must log later
                try:
                    await stream.send_raw(event.data)
                except trio.TooSlowError:
                    # A peer that reads nothing (or a stalled send of our own) is a
                    # handshake timeout, not a crash of the accepting daemon.
                    raise HandshakeTimeoutError(
                        f"could not send within {stream.timeout:g} s") from None
            elif isinstance(event, StartTls):
                await on_start_tls(event.server_side)  # type: ignore[misc]
                events = followups[:] + events
                followups.clear()
            elif isinstance(event, Failed):
                if event.delay and failure_delay > 0:
                    await trio.sleep(failure_delay)
                raise event.error
            elif isinstance(event, Done):
                return event.result
        try:
            frame = await stream.receive_frame()
        except PeerClosedError:
            events = machine.connection_closed()
            continue
        trace_points.received(frame)
        events = machine.receive(frame)


def _info(
    result: HandshakeResult,
    peer_address: str | None,
    tls: TlsInfo | None,
    psk_identity: str | None,
    persona: Persona,
) -> ConnectionInfo:
    peer_version = None
    if result.hello is not None:
        peer_version = result.hello.bareos_version or result.hello.version_text
    return ConnectionInfo(
        connection=result.spec.number,
        title=result.spec.title,
        side=result.side,
        peer_name=result.peer_name,
        peer_address=peer_address,
        mode=result.mode,
        tls_version=tls.version if tls else None,
        cipher=tls.cipher if tls else None,
        psk_identity=(tls.psk_identity if tls and tls.psk_identity else psk_identity),
        psk_used=tls.psk_used if tls else False,
        peer_cn=tls.peer_cn if tls else None,
        peer_version=peer_version,
        persona=persona.value,
        result=result,
    )


def _log_failure(
    side: str, connection: str | None, address: str | None, exc: BaseException
) -> None:
    log.warning(
        "handshake.failed",
        side=side,
        connection=connection,
        address=address,
        error=str(exc),
        cause=getattr(exc, "cause", type(exc).__name__),
    )


# ---------------------------------------------------------------- acceptor


@attrs.frozen
class AcceptorSettings:
    """What an accepting daemon brings to every handshake."""

    resolver: Resolver
    own_tls: TlsSettings  # the daemon's own resource: certificates, ciphers ...
    psk_lookup: Callable[[str], bytes | None]  # identity -> key, None if unknown
    persona: Persona = Persona.V26
    timeout: float = DEFAULT_HANDSHAKE_TIMEOUT
    peek_timeout: float = 10.0
    failure_delay: float = DEFAULT_AUTH_FAILURE_DELAY
    # A pre-18.2 daemon whose first receive fails (a TLS ClientHello read as an
    # oversize packet) sleeps 5 s, not its authentication delay (17.2
    # socket_server.c); None = failure_delay.
    request_failure_delay: float | None = None


# The PSK callback of a shared context cannot close over per-connection state,
# but OpenSSL calls it inside do_handshake(), i.e. in the accepting task, so a
# ContextVar hands it this connection's lookup and the list of offered identities.
_PSK_CALL: contextvars.ContextVar[tuple[Callable[[str], bytes | None], list[str]] | None] = (
    contextvars.ContextVar("psk_call", default=None)
)


def _current_lookup(identity: str) -> bytes | None:
    current = _PSK_CALL.get()
    if current is None:  # not inside one of our accepts: refuse
        return None
    lookup, seen = current
    seen.append(identity)
    return lookup(identity)


def _reads_no_files(tls: TlsSettings) -> bool:
    """True when building the context reads nothing from disk.

    Only such contexts are shared between connections: one with certificates,
    CAs, a CRL or DH parameters is rebuilt per connection, as Bareos does, so a
    renewed file on disk is picked up by the next connection.
    """
    return not (
        tls.certificate or tls.key or tls.ca_certificate_file or tls.ca_certificate_dir
        or tls.certificate_revocation_list or tls.dh_file
    )  # fmt: skip


_SHARED_CONTEXTS: dict[TlsSettings, ssl.SSLContext] = {}
_SHARED_CONTEXTS_MAX = 64  # distinct TLS settings seen (a few per config load)


def _tls_first_context(settings: AcceptorSettings) -> ssl.SSLContext:
    """The acceptor's TLS-first context.  Shared by all connections with equal
    TLS settings when it reads no files: building one costs ~0.1 ms of CPU,
    a tenth of a whole login."""
    tls = settings.own_tls
    if not _reads_no_files(tls):
        return server_context(tls, _current_lookup)
    ctx = _SHARED_CONTEXTS.get(tls)
    if ctx is None:
        if len(_SHARED_CONTEXTS) >= _SHARED_CONTEXTS_MAX:
            _SHARED_CONTEXTS.clear()
        ctx = _SHARED_CONTEXTS[tls] = server_context(tls, _current_lookup)
    return ctx


async def _read_at_least(transport: trio.abc.Stream, n: int, timeout: float) -> bytes:
    """Read until ``n`` bytes arrived, the peer closed, or the timeout ran out."""
    data = b""
    with trio.move_on_after(timeout):
        while len(data) < n:
            chunk = await transport.receive_some(4096)
            if not chunk:
                break
            data += chunk
    return data


async def accept(
    transport: trio.abc.Stream, settings: AcceptorSettings, *, peer_address: str | None = None
) -> tuple[BareosStream, ConnectionInfo]:
    """Authenticate an accepted connection; raises a BareosError on failure.

    On failure the connection is closed here (after Bareos's delay where
    Bareos delays), so the caller only logs and moves on.
    """
    with trace_points.connection("acceptor", transport, None):
        return await _accept(transport, settings, peer_address)


async def _accept(
    transport: trio.abc.Stream, settings: AcceptorSettings, peer_address: str | None
) -> tuple[BareosStream, ConnectionInfo]:
    persona = settings.persona
    af = faulty.acceptor_faults(transport)
    if af.faults is not None:
        transport = af.transport
        settings = attrs.evolve(settings, resolver=af.resolver(settings.resolver),
                                psk_lookup=af.psk_lookup(settings.psk_lookup),
                                own_tls=af.own_tls(settings.own_tls))  # fmt: skip
    stream = BareosStream(transport, timeout=settings.timeout)
    tls_info: TlsInfo | None = None
    seen_identity: list[str] = []
    machine: AcceptorHandshake | None = None
    try:
        try:
            first = await _read_at_least(transport, PEEK_MINIMUM, settings.peek_timeout)
        except (trio.BrokenResourceError, trio.ClosedResourceError) as exc:
            raise PeerClosedError(f"connection lost before the Hello: {exc}") from None
        trace_points.first_bytes(first)
        if not persona.has_tls_psk:
            # Pre-18.2 daemons do not peek: a TLS ClientHello reads as a huge length.
            if len(first) >= HEADER_LENGTH:
                try:
                    decode_header(first[:HEADER_LENGTH])
                except OversizePacketError as exc:
                    delay = settings.request_failure_delay
                    if delay is None:
                        delay = settings.failure_delay
                    if delay > 0:
                        await trio.sleep(delay)
                    raise ProtocolError(f"{exc}; terminating connection") from None
            peek = PeekResult.CLEARTEXT if len(first) >= HEADER_LENGTH else PeekResult.TOO_SHORT
        else:
            peek = classify_first_bytes(first)
        if peek is PeekResult.TOO_SHORT:
            raise ProtocolError(
                f"peer sent {len(first)} bytes and then stalled or closed "
                f"(at least {PEEK_MINIMUM} needed to tell TLS from cleartext)"
            )
        if peek is PeekResult.TLS and af.refuses_tls:
            raise ProtocolError("a TLS ClientHello arrived but this acceptor does not offer TLS "
                                "(fault no-tls); closing")  # fmt: skip
        replay = PrefixedStream(transport, first)
        if peek is PeekResult.TLS:
            token = _PSK_CALL.set((settings.psk_lookup, seen_identity))
            try:
                ctx = _tls_first_context(settings)
                tls = await _tls_wrap(replay, ctx, server_side=True, timeout=settings.timeout)
            finally:
                _PSK_CALL.reset(token)
            if not replay.has_prefix:
                # The handshake read the replayed bytes: drop the wrapper, one layer less
                # on every read and write of the session (and less memory per connection).
                tls.transport_stream = transport
            identity = seen_identity[-1] if seen_identity else None
            tls_info = check_after_handshake(
                _ssl_object(tls), settings.own_tls, server_side=True,
                psk_meant=identity is not None, peer_host=None, psk_identity=identity,
            )  # fmt: skip
            trace_points.tls_ok(tls_info)
            stream = BareosStream(tls, timeout=settings.timeout)
        else:
            stream = BareosStream(replay, timeout=settings.timeout)
        machine = AcceptorHandshake(
            settings.resolver,
            tls_active=peek is PeekResult.TLS,
            psk_identity=tls_info.psk_identity if tls_info else None,
            persona=persona,
            encryption=_encryption_line(tls_info),
        )
        followups: list[Event] = []

        async def on_start_tls(server_side: bool) -> None:
            nonlocal tls_info
            ctx = server_context(settings.own_tls, None)
            inner = PrefixedStream(stream.stream, stream.leftover())
            tls = await _tls_wrap(inner, ctx, server_side=True, timeout=settings.timeout,
                                  stage="after-cram")  # fmt: skip
            tls_info = check_after_handshake(
                _ssl_object(tls), settings.own_tls, server_side=True, psk_meant=False,
                peer_host=None, psk_identity=None,
            )  # fmt: skip
            trace_points.tls_ok(tls_info)
            stream.replace_stream(tls)
            followups.extend(machine.tls_established(_encryption_line(tls_info)))

        result = await _drive_with_followups(
            machine, stream, [], followups, on_start_tls, settings.failure_delay
        )
    except BaseException as exc:
        if isinstance(exc, BareosError):
            number = machine.connection if machine is not None else None
            _log_failure("acceptor", number, peer_address, exc)
        await stream.aclose()
        raise
    info = _info(result, peer_address, tls_info, None, persona)
    af.done()
    log.info("handshake.ok", **info.log_fields())
    return stream, info


__all__ = ["AcceptorSettings", "ConnectionInfo", "accept", "connect", "handshake_as_connector"]
