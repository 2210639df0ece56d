"""Reaching a File daemon: pooled client-initiated connection or outbound connect with probing.

This is the Director's ``ConnectToFileDaemon`` (reference section 5), used by
``status client`` and (later) by jobs:

* The handshake mode stored for the Client decides what is tried.  Undefined
  or failed -> *probe*: TLS first if the Client resource has ``TLS Enable``,
  else cleartext; the console hears "Probing client protocol...".
* Up to three attempts.  Each takes a waiting client-initiated connection if
  there is one (no handshake: it is authenticated already), else connects
  (retrying TCP like Bareos) and authenticates in the mode being tried.
* A failed TLS-first attempt falls back to cleartext only when the Client's
  ``TLS Require`` is ``no``; otherwise, and after a failed cleartext attempt,
  the mode becomes ``failed`` and the next contact probes again.
* The mode that worked is stored (and persisted, see :mod:`handshake_modes`).

The caller owns the returned stream: send ``BNET_TERMINATE`` and ``aclose()``
it when done (a pooled connection is then handed back and closed).
"""

from __future__ import annotations

from typing import Any

import structlog

from bareosnet.errors import BareosError
from bareosnet.net.handshake import ConnectionInfo
from bareosnet.net.stream import BareosStream
from bareosnet.proto.policy import HandshakeMode
from daemons.common.auth import authenticate
from daemons.director.interfaces import Director, MessageSink
from daemons.director.probing.client_pool import LeasedStream
from daemons.director.probing.handshake_modes import client_fingerprint
from daemons.director.probing.outbound import tcp_connect

log = structlog.get_logger("bareosnet.director.clients")

PROBING_MESSAGE = "Probing client protocol... (result will be saved until config reload)"
# Bareos's timings: (retry interval, max retry time) of ConnectToFileDaemon callers.
STATUS_RETRY = (1.0, 15.0)
JOB_RETRY_INTERVAL = 10.0
MAX_ATTEMPTS = 3
PURPOSES = ("status", "job")


class ClientConnectError(BareosError):
    """The File daemon of a Client could not be reached or authenticated."""

    def __init__(self, client: str, reason: str) -> None:
        super().__init__(f"cannot connect to client {client!r}: {reason}")
        self.client = client
        self.reason = reason


def _mode_text(mode: HandshakeMode) -> str:
    if mode is HandshakeMode.TLS_FIRST:
        return " Handshake: Immediate TLS,"
    if mode is HandshakeMode.CLEARTEXT_FIRST:
        return " Handshake: Cleartext,"
    return " Handshake: Unknown mode"


class FileDaemonConnector:
    """Connects to File daemons on behalf of one :class:`Director`."""

    def __init__(self, runtime: Director) -> None:
        self.runtime = runtime

    def retry_policy(self, purpose: str) -> tuple[float, float]:
        if purpose not in PURPOSES:
            raise ValueError(f"purpose must be one of {PURPOSES}, not {purpose!r}")
        if purpose == "job":
            return JOB_RETRY_INTERVAL, float(self.runtime.settings.fd_connect_timeout)
        return STATUS_RETRY

    async def connect_to_file_daemon(
        self,
        client_res: Any,
        *,
        purpose: str = "status",
        console: MessageSink | None = None,
        job_log: MessageSink | None = None,
    ) -> tuple[BareosStream, ConnectionInfo]:
        """Connect and authenticate to ``client_res``'s File daemon; raises ClientConnectError.

        ``purpose`` is ``"status"`` (status-type commands: retry 1 s for 15 s)
        or ``"job"`` (retry 10 s for ``FD Connect Timeout``).  ``console``
        receives the packets Bareos sends a console (probing note, handshake
        and encryption lines); ``job_log`` the job-log forms of the same.
        """
        rt = self.runtime
        interval, max_time = self.retry_policy(purpose)
        name = client_res.name
        to_client = bool(client_res.get("ConnectionFromDirectorToClient"))
        from_client = bool(client_res.get("ConnectionFromClientToDirector"))
        if not to_client and not from_client:
            raise ClientConnectError(name, "neither direction of connection is allowed")
        tls = client_res.tls
        stored = rt.modes.get(name)
        probing = stored in (HandshakeMode.UNDEFINED, HandshakeMode.FAILED)
        if probing:
            trying = (
                HandshakeMode.TLS_FIRST
                if tls.enable and rt.persona.has_tls_psk
                else HandshakeMode.CLEARTEXT_FIRST
            )
            log.info("probe.start", client=name, first=trying.value, stored=stored.value)
            if console is not None:
                await console(PROBING_MESSAGE)
            if job_log is not None:
                await job_log(PROBING_MESSAGE + "\n")
        else:
            trying = stored
        host, port = str(client_res.get("Address")), int(client_res.get("Port"))
        reasons: list[str] = []
        auth_failed = False
        for _attempt in range(MAX_ATTEMPTS):
            pooled = await rt.pool.take(name) if from_client else None
            tcp = None
            if pooled is None and to_client:
                try:
                    tcp = await tcp_connect(host, port, retry_interval=interval,
                                            max_retry_time=max_time, what=f"Client {name}")  # fmt: skip
                except BareosError as exc:
                    reasons.append(str(exc))
            if pooled is None and tcp is None and from_client:
                # Dialing is not allowed or failed: wait for the client to call in.
                pooled = await rt.pool.take(name, timeout=max_time)
                if pooled is None:
                    reasons.append(f"no client-initiated connection within {max_time:g} s")
            if pooled is not None:
                return await self._succeeded(name, client_res, stored, trying,
                                             LeasedStream(pooled), pooled.info, console, job_log)  # fmt: skip
            if tcp is None:
                break  # TCP failed: the File daemon is down, its protocol did not change
            try:
                stream, info = await authenticate(
                    tcp,
                    row="3",
                    host=host,
                    port=port,
                    hello_name=rt.settings.name,
                    own_name=rt.settings.name,
                    key=client_res.password.key,
                    tls=tls,
                    tls_first=trying is HandshakeMode.TLS_FIRST,
                    policy=tls.policy,
                    persona=rt.persona,
                )
            except BareosError as exc:
                auth_failed = True
                reasons.append(f"{trying.value} handshake failed: {exc}")
                previous = trying
                if trying is HandshakeMode.TLS_FIRST and not tls.require:
                    trying = HandshakeMode.CLEARTEXT_FIRST
                else:
                    trying = HandshakeMode.FAILED
                    if previous is HandshakeMode.TLS_FIRST:
                        reasons.append(
                            "no cleartext attempt: the Client resource has TLS Require = yes"
                        )
                log.info("probe.fallback", client=name, failed=previous.value, next=trying.value,
                         error=str(exc), cause=getattr(exc, "cause", type(exc).__name__))  # fmt: skip
                if trying is HandshakeMode.FAILED:
                    break
                continue
            return await self._succeeded(name, client_res, stored, trying, stream, info,
                                         console, job_log)  # fmt: skip
        reason = "; ".join(reasons) or "unknown error"
        if auth_failed:
            # Every handshake failed: the next contact probes again.
            rt.modes.set(name, HandshakeMode.FAILED, _fingerprint(client_res))
            log.warning("probe.result", client=name, mode=HandshakeMode.FAILED.value, reason=reason)
        else:
            log.warning("client.unreachable", client=name, reason=reason)
        raise ClientConnectError(name, reason)

    async def _succeeded(
        self,
        name: str,
        client_res: Any,
        stored: HandshakeMode,
        trying: HandshakeMode,
        stream: BareosStream,
        info: ConnectionInfo,
        console: MessageSink | None,
        job_log: MessageSink | None,
    ) -> tuple[BareosStream, ConnectionInfo]:
        rt = self.runtime
        line = ("\r\x0b" if stored is HandshakeMode.UNDEFINED else "") + _mode_text(trying)
        encryption = f" Encryption: {info.encryption_text}\n"
        rt.modes.set(name, trying, _fingerprint(client_res))
        log.info("probe.result" if stored != trying else "client.connected", client=name,
                 mode=trying.value, pooled=info.connection == "4",
                 encryption=info.encryption_text)  # fmt: skip
        try:
            if console is not None:
                await console(line)
                await console(encryption)
            if job_log is not None:
                await job_log(line.replace("\r", " ").replace("\x0b", " ").replace(",", " ") + "\n")
                await job_log(encryption)
        except BaseException:
            await stream.aclose()
            raise
        return stream, info


def _fingerprint(client_res: Any) -> Any:
    return client_fingerprint(client_res)


async def connect_to_file_daemon(
    runtime: Director,
    client_res: Any,
    *,
    purpose: str = "status",
    console: MessageSink | None = None,
    job_log: MessageSink | None = None,
) -> tuple[BareosStream, ConnectionInfo]:
    """Module-level form of :meth:`FileDaemonConnector.connect_to_file_daemon`."""
    return await runtime.file_daemons.connect_to_file_daemon(
        client_res, purpose=purpose, console=console, job_log=job_log
    )
