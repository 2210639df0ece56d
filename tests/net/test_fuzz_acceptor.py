"""Random and truncated bytes at an acceptor: each bad connection is dropped with a
logged reason, and the acceptor keeps serving good clients."""

from __future__ import annotations

import random

import structlog
import trio

from bareosnet.errors import BareosError
from bareosnet.net.handshake import AcceptorSettings, accept, connect
from bareosnet.proto.connections import spec
from bareosnet.proto.framing import encode_packet
from bareosnet.proto.handshake import AcceptPlan, ConnectorConfig
from bareosnet.tls.settings import TlsSettings

KEY = b"5ebe2294ecd0e0f08eab7690d2a6ee69"
CLEAR = TlsSettings(enable=False, require=False)


def garbage_inputs() -> list[bytes]:
    rng = random.Random(20261127)
    hello = encode_packet(b"Hello Director bareos-dir calling\n")
    inputs = [rng.randbytes(rng.randint(1, 400)) for _ in range(25)]
    inputs += [hello[:n] for n in (1, 3, 9, 12, 20)]  # truncated Hello
    inputs += [b"\x16\x03\x01\x02\x00" + rng.randbytes(60)]  # broken TLS ClientHello
    inputs += [b"\x7f\xff\xff\xff" + b"Hello " + b"x" * 10]  # oversize cleartext
    inputs += [encode_packet(b"Hello Nobody") + rng.randbytes(30)]
    inputs += [b"\x00\x00\x00\x05Hello"]  # stalls after 9 bytes
    return inputs


async def test_acceptor_survives_garbage_and_keeps_serving():
    settings = AcceptorSettings(
        resolver=lambda hello: AcceptPlan(spec("3"), KEY, 0, "emu-fd"),
        own_tls=TlsSettings(),  # PSK server for TLS-looking input
        psk_lookup=lambda ident: KEY,
        timeout=2,
        peek_timeout=0.5,
        failure_delay=0,
    )
    listeners = await trio.open_tcp_listeners(0, host="127.0.0.1")
    port = listeners[0].socket.getsockname()[1]
    outcomes: list[str] = []

    async def serve(task_status=trio.TASK_STATUS_IGNORED):
        async with trio.open_nursery() as nursery:
            task_status.started()
            while True:
                tcp = await listeners[0].accept()

                async def handle(tcp=tcp):
                    try:
                        stream, info = await accept(tcp, settings)
                        outcomes.append("ok")
                        await stream.aclose()
                    except BareosError as exc:
                        outcomes.append(type(exc).__name__)

                nursery.start_soon(handle)

    inputs = garbage_inputs()
    with structlog.testing.capture_logs() as logs:
        async with trio.open_nursery() as nursery:
            await nursery.start(serve)

            async def send_garbage(data: bytes) -> None:
                s = await trio.open_tcp_stream("127.0.0.1", port)
                try:
                    await s.send_all(data)
                    with trio.move_on_after(3):
                        while await s.receive_some(1000):
                            pass
                except trio.BrokenResourceError:
                    pass
                await s.aclose()

            async with trio.open_nursery() as clients:
                for data in inputs:
                    clients.start_soon(send_garbage, data)
            # a good client still gets through
            cfg = ConnectorConfig(spec("3"), "bareos-dir", "bareos-dir", KEY, 0)
            stream, info = await connect("127.0.0.1", port, cfg, tls_first=False,
                                         tls_settings=CLEAR, psk=None, timeout=5)  # fmt: skip
            assert info.peer_name == "R_CLIENT::emu-fd"
            await stream.aclose()
            with trio.fail_after(5):
                while len(outcomes) < len(inputs) + 1:
                    await trio.sleep(0.01)
            nursery.cancel_scope.cancel()
    assert outcomes.count("ok") == 1
    failures = [e for e in logs if e["event"] == "handshake.failed" and e["side"] == "acceptor"]
    assert len(failures) == len(inputs)
    assert all(e["error"] for e in failures)  # every drop has a readable reason
