"""Fault injection at the one place every connection passes: the handshake runner.

:func:`install` sets the process's :class:`~bareosnet.faults.active.FaultSet`
(a ContextVar, so trio tasks inherit it and an in-process test sees only its
own).  For each connection the runner asks :func:`connector_faults` /
:func:`acceptor_faults` which faults apply, lets the handshake-layer ones
change what the daemon says (key, PSK identity, TLS offer, certificate), and
wraps the transport in a :class:`FaultyStream` that performs the byte-layer
ones the sans-IO :class:`~bareosnet.faults.inject.Injector` decides.  With no
fault set nothing is wrapped and nothing changes.
"""

from __future__ import annotations

import contextvars
import hashlib
import math
import socket
import struct

import attrs
import structlog
import trio

from bareosnet.faults.active import ConnectionFaults, FaultSet
from bareosnet.faults.inject import Action, Close, Injector, Sleep, Write
from bareosnet.proto.handshake import AcceptPlan, ConnectorConfig, Resolver
from bareosnet.proto.names import parse_psk_identity, psk_identity
from bareosnet.tls.psk import PskCredentials
from bareosnet.tls.settings import TlsSettings

log = structlog.get_logger("bareosnet.faults")

# "forever" is bounded all the same: the peer's timeout normally ends it long before.
FOREVER_CAP = 24 * 3600.0

_ACTIVE: contextvars.ContextVar[FaultSet | None] = contextvars.ContextVar("faults", default=None)
# The last job connection per row (job name, session key), for the session-key faults.
_LAST_JOB: dict[str, tuple[str, bytes]] = {}


def install(faults: FaultSet | None) -> None:
    """Make ``faults`` the active set of this context (and of tasks started from it).

    The memory of earlier job keys starts afresh with it.
    """
    _LAST_JOB.clear()
    _ACTIVE.set(faults)


def active() -> FaultSet | None:
    return _ACTIVE.get()


def wrong_key(key: bytes) -> bytes:
    """A key of the same shape as ``key`` that surely differs (md5 hex of it)."""
    return hashlib.md5(b"fault:" + key).hexdigest().encode()  # noqa: S324 - not security


def _announce(cf: ConnectionFaults, faults: list) -> None:  # type: ignore[type-arg]
    for fault in faults:
        log.warning("fault.armed", fault=fault.spec.text(), side=cf.side, connection=cf.conn,
                    peer=cf.peer)  # fmt: skip


def _cert_fault(cf: ConnectionFaults):  # type: ignore[no-untyped-def]
    return next((f for f in cf.armed if f.name.startswith("cert-")), None)


# ---------------------------------------------------------------- stream wrapper


class FaultyStream(trio.abc.Stream):
    """A transport whose writes and reads go through an :class:`Injector`."""

    def __init__(self, inner: trio.abc.Stream, injector: Injector) -> None:
        self.inner = inner
        self.injector = injector
        self._readable = b""
        self._eof = False

    async def send_all(self, data: bytes | bytearray | memoryview) -> None:
        for action in self.injector.outgoing(bytes(data)):
            await self._perform(action)

    async def _perform(self, action: Action) -> None:
        if isinstance(action, Write):
            if action.data:
                await self.inner.send_all(action.data)
        elif isinstance(action, Sleep):
            await trio.sleep(min(action.seconds, FOREVER_CAP) if not math.isinf(action.seconds)
                             else FOREVER_CAP)  # fmt: skip
        elif isinstance(action, Close):
            log.warning("fault.closed", reason=action.reason, abort=action.abort)
            if action.abort:
                _reset_on_close(self.inner)
            await trio.aclose_forcefully(self.inner)
            raise trio.BrokenResourceError(action.reason)

    async def wait_send_all_might_not_block(self) -> None:
        await self.inner.wait_send_all_might_not_block()

    async def receive_some(self, max_bytes: int | None = None) -> bytes | bytearray:
        while not self._readable and not self._eof:
            if self.injector.closed:
                raise trio.ClosedResourceError("closed by a fault")
            data = await self.inner.receive_some(max_bytes)
            if not data:
                self._eof = True
                break
            self._readable = b"".join(a.data for a in self.injector.incoming(bytes(data))
                                      if isinstance(a, Write))  # fmt: skip
        n = len(self._readable) if max_bytes is None else max_bytes
        out, self._readable = self._readable[:n], self._readable[n:]
        return out

    async def aclose(self) -> None:
        await self.inner.aclose()

    @property
    def socket(self):  # type: ignore[no-untyped-def]
        return getattr(self.inner, "socket", None)


def _reset_on_close(stream: trio.abc.Stream) -> None:
    """SO_LINGER 0: closing sends a TCP reset, as when a host or process vanishes."""
    sock = getattr(stream, "socket", None)
    if sock is None:
        return
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    except OSError:
        pass


# ---------------------------------------------------------------- connector


@attrs.define
class ConnectorPlan:
    """What the connector uses after its faults had their say."""

    transport: trio.abc.Stream
    config: ConnectorConfig
    tls_first: bool
    tls_settings: TlsSettings
    psk: PskCredentials | None
    faults: ConnectionFaults | None = None
    injector: Injector | None = None

    def done(self, peer_name: str | None) -> None:
        """The handshake succeeded: arm peer-scoped faults, start the after-handshake ones."""
        if self.faults is None:
            return
        bare = (peer_name or "").rsplit("::", 1)[-1] or None
        _announce(self.faults, self.faults.identify(peer=bare))
        if self.injector is not None:
            self.injector.handshake_done()


def connector_faults(
    transport: trio.abc.Stream,
    config: ConnectorConfig,
    *,
    peer_address: str | None,
    tls_first: bool,
    tls_settings: TlsSettings,
    psk: PskCredentials | None,
) -> ConnectorPlan:
    row = config.spec.number
    plan = ConnectorPlan(transport, config, tls_first, tls_settings, psk)
    faults = active()
    if faults is None:
        return plan
    previous = None
    if config.spec.is_job_connection:  # remembered only while faults are installed
        previous = _LAST_JOB.get(row)
        _LAST_JOB[row] = (config.hello_name, config.key)
    if not faults:
        return plan
    peer = config.hello_name if config.spec.is_job_connection else peer_address
    # A session-key fault has nothing to replay before a first job: it waits for one.
    exclude = frozenset({"session-key-replay", "session-key-other-job"}) if previous is None \
        else frozenset()  # fmt: skip
    cf = faults.for_connection("connector", conn=row, peer=peer, exclude=exclude)
    if not cf:
        return plan
    plan.faults = cf
    _announce(cf, cf.armed)
    if cf.has("wrong-password"):
        plan.config = attrs.evolve(plan.config, key=wrong_key(config.key))
        if psk is not None:
            plan.psk = PskCredentials(psk.identity, wrong_key(psk.key))
    if cf.has("wrong-psk-identity") and psk is not None:
        rtype, name = parse_psk_identity(psk.identity)
        plan.psk = PskCredentials(psk_identity(rtype, name + "-unknown"), psk.key)
    if cf.has("no-tls"):
        plan.tls_first, plan.psk = False, None
        plan.config = attrs.evolve(plan.config, policy=0)
    if cf.has("require-tls"):
        plan.tls_first = True
        plan.config = attrs.evolve(plan.config, policy=2)
        if plan.psk is None:
            plan.psk = PskCredentials(psk_identity(config.spec.psk_type, config.hello_name),
                                      plan.config.key)  # fmt: skip
    if (cert := _cert_fault(cf)) is not None:
        plan.tls_settings = attrs.evolve(tls_settings, certificate=str(cert.values["CERT"]),
                                         key=str(cert.values["KEY"]))  # fmt: skip
    if previous is not None and (cf.has("session-key-replay") or cf.has("session-key-other-job")):
        name = previous[0] if cf.has("session-key-replay") else config.hello_name
        plan.config = attrs.evolve(plan.config, hello_name=name, key=previous[1])
        if plan.psk is not None:
            plan.psk = PskCredentials(psk_identity(config.spec.psk_type, name), previous[1])
    if cf:  # byte faults armed now, or that may arm once the peer is known
        plan.injector = Injector(cf)
        plan.transport = FaultyStream(transport, plan.injector)
    return plan


# ---------------------------------------------------------------- acceptor


@attrs.define
class AcceptorFaults:
    """An acceptor's faults: its wrapped transport and the hooks into its settings."""

    transport: trio.abc.Stream
    faults: ConnectionFaults | None = None
    injector: Injector | None = None

    @property
    def refuses_tls(self) -> bool:
        return self.faults is not None and self.faults.has("no-tls")

    def own_tls(self, tls: TlsSettings) -> TlsSettings:
        cert = _cert_fault(self.faults) if self.faults is not None else None
        if cert is None:
            return tls
        return attrs.evolve(tls, certificate=str(cert.values["CERT"]), key=str(cert.values["KEY"]))

    def psk_lookup(self, lookup):  # type: ignore[no-untyped-def]
        cf = self.faults
        if cf is None:
            return lookup

        def faulty_lookup(identity: str) -> bytes | None:
            try:
                _, name = parse_psk_identity(identity)
            except Exception:  # noqa: BLE001 - an odd identity is the lookup's business
                name = None
            _announce(cf, cf.identify(peer=name))
            key = lookup(identity)
            if key is not None and cf.has("wrong-password"):
                return wrong_key(key)
            return key

        return faulty_lookup

    def resolver(self, resolver: Resolver) -> Resolver:
        cf = self.faults
        if cf is None:
            return resolver

        def faulty_resolver(hello):  # type: ignore[no-untyped-def]
            plan = resolver(hello)
            if not isinstance(plan, AcceptPlan):
                return plan
            _announce(cf, cf.identify(conn=plan.spec.number, peer=hello.name))
            if cf.has("wrong-password"):
                plan = attrs.evolve(plan, key=wrong_key(plan.key))
            if cf.has("no-tls"):
                plan = attrs.evolve(plan, policy=0)
            if cf.has("require-tls"):
                plan = attrs.evolve(plan, policy=2, cleartext_policy=2)
            return plan

        return faulty_resolver

    def done(self) -> None:
        if self.injector is not None:
            self.injector.handshake_done()


def acceptor_faults(transport: trio.abc.Stream) -> AcceptorFaults:
    out = AcceptorFaults(transport)
    faults = active()
    if not faults:
        return out
    cf = faults.for_connection("acceptor")
    if not cf:
        return out
    out.faults = cf
    _announce(cf, cf.armed)
    out.injector = Injector(cf)
    out.transport = FaultyStream(transport, out.injector)
    return out
