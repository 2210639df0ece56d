"""Handshakes per second over loopback, per transport mode (prints numbers)."""

from __future__ import annotations

import time

import trio

from bareosnet.errors import BareosError
from bareosnet.net.handshake import AcceptorSettings, accept, connect
from bareosnet.proto.connections import spec
from bareosnet.proto.cram import password_key
from bareosnet.proto.handshake import AcceptPlan, ConnectorConfig
from bareosnet.proto.names import psk_identity
from bareosnet.tls.psk import PskCredentials
from bareosnet.tls.settings import TlsSettings

KEY = password_key("secret")


async def measure(label: str, tls: TlsSettings, count: int) -> None:
    settings = AcceptorSettings(
        resolver=lambda h: AcceptPlan(spec("3"), KEY, tls.policy, "bench-fd"),
        own_tls=tls, psk_lookup=lambda ident: KEY, timeout=10, failure_delay=0,
    )  # fmt: skip
    listeners = await trio.open_tcp_listeners(0, host="127.0.0.1")
    port = listeners[0].socket.getsockname()[1]

    async def serve(task_status=trio.TASK_STATUS_IGNORED):
        task_status.started()
        async with trio.open_nursery() as nursery:
            while True:
                tcp = await listeners[0].accept()

                async def one(tcp=tcp):
                    try:
                        s, _ = await accept(tcp, settings)
                        await s.aclose()
                    except BareosError:
                        pass

                nursery.start_soon(one)

    cfg = ConnectorConfig(spec("3"), "bench-dir", "bench-dir", KEY, tls.policy)
    psk = PskCredentials(psk_identity("R_DIRECTOR", "bench-dir"), KEY) if tls.enable else None
    async with trio.open_nursery() as nursery:
        await nursery.start(serve)
        t0 = time.perf_counter()
        for _ in range(count):
            s, _ = await connect("127.0.0.1", port, cfg, tls_first=tls.enable, tls_settings=tls, psk=psk)
            await s.aclose()
        dt = time.perf_counter() - t0
        nursery.cancel_scope.cancel()
    print(f"{label:<28} {count / dt:8.1f} handshakes/s  ({dt / count * 1000:6.2f} ms each)")


async def main() -> None:
    import logging

    import structlog

    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    await measure("cleartext (Hello+CRAM)", TlsSettings(enable=False, require=False), 300)
    await measure("TLS-PSK 1.3 + CRAM", TlsSettings(), 300)
    await measure("TLS-PSK 1.2 + CRAM", TlsSettings(protocol="-ALL,TLSv1.2"), 300)


if __name__ == "__main__":
    trio.run(main)
