"""Reaching a Storage daemon (connection 5): no probing, TLS-first when the Storage has TLS Enable."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import structlog

from bareosnet.errors import BareosError
from bareosnet.net.handshake import ConnectionInfo
from bareosnet.net.stream import BareosStream
from daemons.common.auth import authenticate
from daemons.director.probing.outbound import tcp_connect

if TYPE_CHECKING:
    from daemons.director.interfaces import Director

log = structlog.get_logger("bareosnet.director.storages")

RETRY_INTERVAL = 10.0


class StorageConnectError(BareosError):
    def __init__(self, storage: str, reason: str) -> None:
        super().__init__(f"cannot connect to storage {storage!r}: {reason}")
        self.storage = storage
        self.reason = reason


async def connect_to_storage_daemon(
    runtime: Director, store_res: Any, *, max_retry_time: float | None = None
) -> tuple[BareosStream, ConnectionInfo]:
    """Connect and authenticate as the Director (retry 10 s up to ``SD Connect Timeout``)."""
    host, port = str(store_res.get("Address")), int(store_res.get("Port"))
    tls = store_res.tls
    limit = float(runtime.settings.sd_connect_timeout if max_retry_time is None else max_retry_time)
    try:
        tcp = await tcp_connect(host, port, retry_interval=RETRY_INTERVAL, max_retry_time=limit,
                                what=f"Storage daemon {store_res.name}")  # fmt: skip
        stream, info = await authenticate(
            tcp,
            row="5",
            host=host,
            port=port,
            hello_name=runtime.settings.name,
            own_name=runtime.settings.name,
            key=store_res.password.key,
            tls=tls,
            tls_first=tls.enable and runtime.persona.has_tls_psk,
            policy=tls.policy,
            persona=runtime.persona,
        )
    except BareosError as exc:
        log.warning("storage.unreachable", storage=store_res.name, reason=str(exc))
        raise StorageConnectError(store_res.name, str(exc)) from None
    log.info("storage.connected", storage=store_res.name, encryption=info.encryption_text)
    return stream, info
