"""The Director's outgoing connections: TCP connect with Bareos's retry loop, then the handshake.

Bareos retries a refused TCP connect every ``retry_interval`` seconds until
``max_retry_time`` has passed (``status client``: 1 s / 15 s, jobs: 10 s /
``FD Connect Timeout``; the Storage daemon: 10 s / ``SD Connect Timeout``).
The handshake itself is `daemons.common.auth.authenticate` (row 3 or 5 of the
connection table); TLS-first or cleartext-first is the caller's choice.
"""

from __future__ import annotations

import structlog
import trio

from bareosnet.errors import PeerClosedError

log = structlog.get_logger("bareosnet.director.connect")

HANDSHAKE_TIMEOUT = 60.0


async def tcp_connect(
    host: str, port: int, *, retry_interval: float, max_retry_time: float, what: str
) -> trio.SocketStream:
    """Connect, retrying like Bareos; raises PeerClosedError after ``max_retry_time``."""
    deadline = trio.current_time() + max_retry_time
    attempt = 0
    while True:
        attempt += 1
        remaining = max(deadline - trio.current_time(), 1.0)
        try:
            with trio.fail_after(remaining):
                return await trio.open_tcp_stream(host, port)
        except trio.TooSlowError:
            error = "timed out"
        except OSError as exc:
            error = exc.strerror or str(exc)
        if trio.current_time() + retry_interval > deadline:
            raise PeerClosedError(
                f"could not connect to {what} at {host}:{port} within {max_retry_time:g} s "
                f"({attempt} attempts): {error}"
            )
        log.info("connect.retry", peer=what, address=f"{host}:{port}", attempt=attempt,
                 error=error, retry_in=retry_interval)  # fmt: skip
        await trio.sleep(retry_interval)
