"""``bareos-emu proxy``: a TCP proxy that puts the fault table between two real daemons.

    bareos-emu proxy --listen 127.0.0.1:9112 --to 127.0.0.1:9102 --conn 3 \\
        --fault downgrade --fault stall-after:5@side=acceptor,count=1

Every accepted connection gets its own upstream connection and two pumps.
Bytes from the connector (the side that connected to us) go through the
connector-side faults (``side=connector``, the default here), bytes from the
acceptor through the ``side=acceptor`` ones; each direction is also the other
side's "incoming", so a man-in-the-middle rewrite (``downgrade``) sees both
challenges.  In cleartext the proxy reads BSOCK packets (and the Hello's name
for ``peer=``); under TLS it acts on TLS records.  Only byte-layer faults: a
handshake-layer one (wrong password, certificates ...) needs the daemon itself.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence

import structlog
import trio

from bareosnet.errors import ProtocolError
from bareosnet.faults.active import ConnectionFaults, FaultSet
from bareosnet.faults.inject import Action, Close, Injector, Sleep, UnitSplitter, Write
from bareosnet.faults.spec import FaultSpecError
from bareosnet.faults.table import BYTES, Fault, parse
from bareosnet.net.faulty import FOREVER_CAP, _reset_on_close
from bareosnet.proto.hello import parse_hello

log = structlog.get_logger("bareosnet.proxy")
_ids = itertools.count(1)
CONNECT_TIMEOUT = 10.0
# Under TLS the proxy cannot see where the Bareos handshake ends (it is encrypted): it
# takes it as over this long after the connection opened (loopback logins take ms).
TLS_HANDSHAKE_GRACE = 0.5
_READ = 65536


def proxy_faults(texts: Sequence[str]) -> FaultSet:
    """The proxy's fault set; refuses handshake-layer faults with the reason."""
    faults: list[Fault] = []
    for text in texts:
        fault = parse(text)
        if fault.row.layer != BYTES:
            raise FaultSpecError(f"{fault.name} changes what a daemon says in its handshake: "
                                 "use the daemon's --fault, the proxy only acts on bytes")  # fmt: skip
        faults.append(fault)
    return FaultSet(faults)


def split_address(text: str) -> tuple[str, int]:
    host, sep, port = text.rpartition(":")
    if not sep or not port.isdigit():
        raise ValueError(f"{text!r} is not HOST:PORT")
    return host or "127.0.0.1", int(port)


class _Pair:
    """One proxied connection: the two streams, the two injectors, the byte counts."""

    def __init__(self, conn_id: int, client: trio.SocketStream, upstream: trio.SocketStream,
                 faults: FaultSet, conn: str | None) -> None:  # fmt: skip
        self.id = conn_id
        self.client, self.upstream = client, upstream
        self.cf_c = faults.for_connection("connector", conn=conn)
        self.cf_a = faults.for_connection("acceptor", conn=conn, explicit_side=True)
        self.inj_c, self.inj_a = Injector(self.cf_c), Injector(self.cf_a)
        self._acceptor_view = UnitSplitter()
        self._hello_seen = False
        self.counts = {"connector": 0, "acceptor": 0}
        self.reason = "closed"
        self.opened = trio.current_time()

    def armed(self) -> list[str]:
        return [f.spec.text() for f in self.cf_c.armed + self.cf_a.armed]

    def _identify(self, data: bytes) -> None:
        """The first cleartext packet from the connector is its Hello: arm peer= faults."""
        if self._hello_seen:
            return
        self._hello_seen = True
        if len(data) < 10 or data[4:10] != b"Hello ":
            return
        try:
            name = parse_hello(data[4 : 4 + int.from_bytes(data[:4])]).name
        except (ProtocolError, ValueError):
            return
        for cf in (self.cf_c, self.cf_a):
            newly = cf.identify(peer=name)
            if newly:
                log.warning("proxy.fault_armed", conn=self.id, peer=name,
                            faults=[f.spec.text() for f in newly])  # fmt: skip

    async def pump(self, src: trio.SocketStream, dst: trio.SocketStream, side: str) -> None:
        """Copy ``side``'s bytes to the other end through both sides' faults."""
        acting, other = (self.inj_c, self.inj_a) if side == "connector" else (self.inj_a, self.inj_c)
        while True:
            try:
                data = await src.receive_some(_READ)
            except (trio.BrokenResourceError, trio.ClosedResourceError, OSError):
                data = b""
            if not data:
                self.reason = f"{side} closed"
                return
            self.counts[side] += len(data)
            if side == "connector":
                self._identify(data)
            else:
                self.inj_a.watch_acceptor(data, self._acceptor_view)
            if self._acceptor_view.mode == "tls" and \
                    trio.current_time() - self.opened >= TLS_HANDSHAKE_GRACE:  # fmt: skip
                self.inj_a.handshake_done()
            if self.inj_a.after_handshake:
                self.inj_c.handshake_done()
            for out in acting.outgoing(data):
                for action in _through(other, out):
                    await self._perform(action, dst)

    async def _perform(self, action: Action, dst: trio.SocketStream) -> None:
        if isinstance(action, Write):
            await dst.send_all(action.data)
        elif isinstance(action, Sleep):
            await trio.sleep(FOREVER_CAP if math.isinf(action.seconds) else action.seconds)
        elif isinstance(action, Close):
            self.reason = action.reason
            log.warning("proxy.fault_closed", conn=self.id, reason=action.reason,
                        abort=action.abort)  # fmt: skip
            for stream in (self.client, self.upstream):
                if action.abort:
                    _reset_on_close(stream)
                await trio.aclose_forcefully(stream)
            raise trio.ClosedResourceError(action.reason)


def _through(other: Injector, action: Action) -> list[Action]:
    """An acting side's write, as the other side's incoming faults let it arrive."""
    if isinstance(action, Write):
        return other.incoming(action.data)
    return [action]


async def _serve_one(client: trio.SocketStream, to: tuple[str, int], faults: FaultSet,
                     conn: str | None) -> None:  # fmt: skip
    conn_id = next(_ids)
    try:
        with trio.fail_after(CONNECT_TIMEOUT):
            upstream = await trio.open_tcp_stream(*to)
    except (OSError, trio.TooSlowError) as exc:
        log.warning("proxy.upstream_failed", conn=conn_id, to=f"{to[0]}:{to[1]}", error=str(exc))
        await trio.aclose_forcefully(client)
        return
    pair = _Pair(conn_id, client, upstream, faults, conn)
    log.info("proxy.connection", conn=conn_id, to=f"{to[0]}:{to[1]}", faults=pair.armed())
    try:
        async with trio.open_nursery() as nursery:

            async def run(src: trio.SocketStream, dst: trio.SocketStream, side: str) -> None:
                try:
                    await pair.pump(src, dst, side)
                except (trio.BrokenResourceError, trio.ClosedResourceError, OSError):
                    pass
                nursery.cancel_scope.cancel()  # one end gone: the pair is over

            nursery.start_soon(run, client, upstream, "connector")
            nursery.start_soon(run, upstream, client, "acceptor")
    finally:
        await trio.aclose_forcefully(client)
        await trio.aclose_forcefully(upstream)
        log.info("proxy.closed", conn=conn_id, reason=pair.reason,
                 from_connector=pair.counts["connector"], from_acceptor=pair.counts["acceptor"])  # fmt: skip


async def serve_proxy(listen: tuple[str, int], to: tuple[str, int], faults: FaultSet, *,
                      conn: str | None = None,
                      task_status: trio.TaskStatus[int] = trio.TASK_STATUS_IGNORED) -> None:  # fmt: skip
    """Proxy every connection to ``listen`` to ``to`` until cancelled; reports the port."""
    listeners = await trio.open_tcp_listeners(listen[1], host=listen[0])
    port = listeners[0].socket.getsockname()[1]
    log.info("proxy.listening", address=f"{listen[0]}:{port}", to=f"{to[0]}:{to[1]}",
             faults=[f.spec.text() for f, _ in faults.listing()])  # fmt: skip
    task_status.started(port)
    async with trio.open_nursery() as nursery:
        for listener in listeners:
            nursery.start_soon(_accept_loop, listener, to, faults, conn, nursery)


async def _accept_loop(listener: trio.SocketListener, to: tuple[str, int], faults: FaultSet,
                       conn: str | None, nursery: trio.Nursery) -> None:  # fmt: skip
    async with listener:
        while True:
            try:
                client = await listener.accept()
            except OSError as exc:  # EMFILE and friends: back off, keep serving
                log.warning("proxy.accept_failed", error=str(exc))
                await trio.sleep(0.1)
                continue
            nursery.start_soon(_serve_one, client, to, faults, conn)


def main_proxy(args: object) -> int:
    import signal
    import sys

    try:
        listen = split_address(args.listen)  # type: ignore[attr-defined]
        to = split_address(args.to)  # type: ignore[attr-defined]
        faults = proxy_faults(args.faults)  # type: ignore[attr-defined]
    except (ValueError, FaultSpecError) as exc:
        print(f"bareos-emu proxy: {exc}", file=sys.stderr)
        return 2

    async def run() -> None:
        with trio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
            async with trio.open_nursery() as nursery:
                nursery.start_soon(lambda: serve_proxy(listen, to, faults, conn=args.conn))  # type: ignore[attr-defined]
                async for _ in signals:
                    nursery.cancel_scope.cancel()
                    return

    try:
        trio.run(run)
    except OSError as exc:
        print(f"bareos-emu proxy: {exc}", file=sys.stderr)
        return 3
    return 0


__all__ = ["ConnectionFaults", "main_proxy", "proxy_faults", "serve_proxy"]
