"""The Director emulator as a :class:`daemons.common.server.Daemon`.

Every accepted connection is authenticated by the transport's acceptor with
the Director's resolver (:mod:`daemons.director.access`); a console then gets
a :class:`ConsoleSession`, a client-initiated File daemon is parked in the
connection pool until a command or job takes it.
"""

from __future__ import annotations

from collections.abc import Sequence

import structlog
import trio

from bareosnet.errors import BareosError
from bareosnet.net.handshake import accept
from bareosnet.proto.hello import HelloKind
from bareosnet.proto.names import USER_AGENT
from daemons.common.auth import acceptor_settings
from daemons.director.access import AcceptContext, key_table, make_resolver
from daemons.director.console.session import ConsoleSession
from daemons.director.jobs.scheduler import Scheduler, start_scheduled
from daemons.director.runtime import DirectorRuntime

log = structlog.get_logger("bareosnet.director")


class DirectorDaemon:
    daemon_name = "bareos-dir-emu"

    def __init__(self, runtime: DirectorRuntime) -> None:
        self.rt = runtime

    def listen_addresses(self) -> Sequence[tuple[str, int]]:
        return [(host or "0.0.0.0", port) for host, port in self.rt.settings.listen]

    def reload(self) -> None:
        self.rt.reload()

    async def run_background(self, nursery: trio.Nursery) -> None:
        # Jobs run as tasks of the daemon's nursery: a stop cancels them.
        self.rt.jobs.attach(nursery)
        scheduler = Scheduler(self.rt, lambda sr, when: start_scheduled(self.rt, sr, when))
        nursery.start_soon(scheduler.run, name="scheduler")

    async def shutdown(self) -> None:
        self.rt.catalog.close()

    async def handle_connection(self, stream: trio.SocketStream, peer: str) -> None:
        rt = self.rt
        ctx = AcceptContext(peer)
        settings = acceptor_settings(
            make_resolver(rt, ctx),
            rt.settings.tls,
            key_table(rt),
            persona=rt.persona,
            failure_delay=rt.failure_delay,
        )
        try:
            try:
                bstream, info = await accept(stream, settings, peer_address=peer)
            except BareosError:
                return  # logged as handshake.failed by the acceptor
            hello = info.result.hello if info.result is not None else None
            if hello is not None and hello.kind is HelloKind.CLIENT:
                await rt.pool.park(hello.name, bstream, info, hello.fd_protocol_version or 0)
                return
            name = hello.name if hello is not None else USER_AGENT
            session = ConsoleSession(rt, bstream, info, name=name, console_res=ctx.console_res,
                                     lease=ctx.lease)  # fmt: skip
            await session.run()
        finally:
            if ctx.lease is not None:
                rt.consoles.release(ctx.lease)
