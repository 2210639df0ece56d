"""The Director's job commands on the Storage daemon (``stored/dir_cmd.cc``, ``job.cc``,
``reserve.cc``).

=====================================  ==============================================
command                                reply
=====================================  ==============================================
``JobId=.. job=.. (19 fields)``        ``3000 OK Job SDid=<n> SDtime=<t> Authorization=<key>``
                                       / ``3915 Bad Job command. stat=<n> CMD: <cmd>``
``use storage=.. append=<0|1> ...``    ``3000 OK use device device=<dev>`` (``JustInTime``
  + ``use device=..`` lines, EODs      ``Device`` for appends) / ``3924 Device "<dev>" not
                                       in SD Device resources or no matching Media Type.``
                                       / ``3913 Bad use command: ..``
``bootstrap`` + lines + EOD            ``3000 OK bootstrap`` / ``3904 Error bootstrap``
``pluginoptions <opts>``               ``2000 OK plugin options``
``passive client address= port= ssl=`` (connect to the FD, row 7) ``2000 OK passive client``
                                       / ``3991 Bad passive client command: ..``
``replicate JobId= Job= address= ..``  (connect to the writing SD, row 8) ``3000 OK replicate``
                                       / ``3991 Bad replicate command: ..``
``run`` / ``listen``                   the job (:mod:`daemons.storage.runjob`), then the
                                       session ends
=====================================  ==============================================

A failed command ends the Director session, as in Bareos (the handler
returns False).  Echoed commands keep their own newline, as Bareos's
``%s`` of the received message does.
"""

from __future__ import annotations

import re
from typing import Any

import structlog
import trio

from bareosnet.errors import BareosError, PeerClosedError, ProtocolError
from bareosnet.net.handshake import ConnectionInfo
from bareosnet.net.stream import BareosStream
from bareosnet.proto.bootstrap import Bootstrap
from bareosnet.proto.framing import Packet, SignalFrame
from bareosnet.proto.jobcmds import (
    MessageType,
    PassiveClient,
    PluginOptions,
    Replicate,
    SdJobCommand,
    SdJobOk,
    TlsPolicy,
    UseDevice,
    UseStorage,
    redact,
)
from bareosnet.proto.names import bash_spaces, unbash_spaces
from bareosnet.proto.session_key import make_session_key
from bareosnet.proto.signals import Signal
from daemons.common.auth import open_connection
from daemons.common.commands import send_lines
from daemons.storage.devices import matching_devices
from daemons.storage.dirlink import DirectorLink
from daemons.storage.interfaces import DirectorSession, sd_command
from daemons.storage.jobs import JobAuthorization
from daemons.storage.runjob import run_job
from daemons.storage.sdjob import SdJob, StorageRequest

log = structlog.get_logger("bareos.sd")

JIT_DEVICE = "JustInTime Device"
CONNECT_RETRY_INTERVAL = 10.0


# ---------------------------------------------------------------- JobId=

# The 19 conversions of Bareos's job command, for the ``stat=`` count of a bad one.
_JOBCMD_FIELDS = (
    ("JobId", "d"), ("job", "s"), ("job_name", "s"), ("client_name", "s"), ("type", "d"),
    ("level", "d"), ("FileSet", "s"), ("NoAttr", "d"), ("SpoolAttr", "d"), ("FileSetMD5", "s"),
    ("SpoolData", "d"), ("PreferMountedVols", "d"), ("SpoolSize", "s"), ("rerunning", "d"),
    ("VolSessionId", "d"), ("VolSessionTime", "d"), ("Quota", "d"), ("Protocol", "d"),
    ("BackupFormat", "s"),
)  # fmt: skip


def scan_count(text: str) -> int:
    """How many fields bsscanf would convert before the job command stops matching."""
    pos, count = 0, 0
    for key, kind in _JOBCMD_FIELDS:
        while count and pos < len(text) and text[pos] in " \t\n\r\v\f":
            pos += 1
        if not text.startswith(key + "=", pos):
            return count
        pos += len(key) + 1
        m = re.compile(r"-?\d*" if kind == "d" else r"[^ \t\n\r\v\f]{0,127}").match(text, pos)
        assert m is not None
        pos = m.end()
        count += 1
    return count


@sd_command("JobId=")
async def job_cmd(s: DirectorSession, text: str) -> bool:
    daemon = s.daemon
    try:
        cmd = SdJobCommand.parse(text.encode("utf-8", "surrogateescape"))
    except ProtocolError:
        stat = scan_count(text)
        log.warning("job.bad_command", director=s.director, stat=stat)
        await send_lines(s.stream, [f"3915 Bad Job command. stat={stat} CMD: {redact(text)}\n"])
        return False
    if s.job is not None and not s.job.ran:
        await _drop(s, s.job)
    if cmd.rerunning:
        sid, stime = cmd.vol_session_id, cmd.vol_session_time
    else:
        sid, stime = daemon.new_vol_session_id(), daemon.vol_session_time
    key = make_session_key()
    job = SdJob(cmd, sid, stime, key, director=s.director)
    old = daemon.active_jobs.get(job.job)
    if old is not None and not old.ran:
        await _drop(s, old)  # a rescheduled job replaces its unauthenticated twin
    daemon.add_job(job, JobAuthorization(job.job, key.encode(), daemon.own.tls.policy, job.job_id))
    s.job = job
    s.link = DirectorLink(s.stream, job, daemon.name, reply_timeout=daemon.catalog_timeout)
    log.info("job.created", director=s.director, job=job.job, job_id=job.job_id,
             type=job.job_type, level=job.level, vol_session_id=sid)  # fmt: skip
    await s.stream.send(SdJobOk(sid, stime, key).encode())
    log.info("session_key.issued", job=job.job, job_id=job.job_id, to=s.director)
    return True


# ---------------------------------------------------------------- use storage=


async def _bad_use(s: DirectorSession, shown: str) -> bool:
    # ``shown`` keeps the command's own newline; Bareos's formats add one more.
    if s.link is not None:
        await s.link.fatal(f"Failed command: {shown}\n")
    await send_lines(s.stream, [f"3913 Bad use command: {shown}\n"])
    return False


@sd_command("use storage=")
async def use_cmd(s: DirectorSession, text: str) -> bool:
    """``use storage=`` blocks, each with ``use device=`` lines and an EOD; a final EOD."""
    requests: list[StorageRequest] = []
    current = text
    last_device = ""
    while True:
        try:
            use = UseStorage.parse(current.encode("utf-8", "surrogateescape"))
        except ProtocolError:
            return await _bad_use(s, unbash_spaces(current))
        names: list[str] = []
        while True:
            frame = await s.stream.receive()
            if isinstance(frame, SignalFrame):
                break
            assert isinstance(frame, Packet)
            try:
                names.append(UseDevice.parse(frame.payload).device)
            except ProtocolError:
                return await _bad_use(s, unbash_spaces(frame.text))
            last_device = names[-1]
        requests.append(StorageRequest(use.storage, use.media_type, use.pool_name, use.pool_type,
                                       bool(use.append), use.copy, use.stripe, tuple(names)))  # fmt: skip
        frame = await s.stream.receive()
        if isinstance(frame, SignalFrame):
            break
        assert isinstance(frame, Packet)
        current = frame.text
    job = s.job
    cfg = s.daemon.config
    write_devices: list[Any] = []
    read_devices: list[Any] = []
    for req in requests:
        found = write_devices if req.append else read_devices
        found += [d for d in matching_devices(cfg, req.devices, req.media_type) if d not in found]
    append = any(r.append for r in requests)
    devices = write_devices if append else read_devices
    if job is not None:
        job.requests, job.devices, job.read_devices = requests, write_devices, read_devices
    if not devices or (append and any(not r.append for r in requests) and not read_devices):
        if job is not None and s.link is not None:
            await s.link.fatal(
                f"Device reservation failed for JobId={job.job_id}: no Device resource named "
                f"{', '.join(n for r in requests for n in r.devices) or '(none)'} with a matching "
                "Media Type\n"
            )
        await send_lines(s.stream, [f'3924 Device "{last_device}" not in SD Device resources or '
                                    "no matching Media Type.\n"])  # fmt: skip
        log.warning("job.no_device", job=job.job if job else None, wanted=last_device)
        return False
    jit = bool(append and s.daemon.own.get("JustInTimeReservation", True)
               and (job is None or job.command.protocol == 0))  # fmt: skip
    if jit and job is not None and s.link is not None:
        job.jit = True
        await s.link.info(f"Using just in time reservation for job {job.job_id}\n")
    name = JIT_DEVICE if jit else devices[0].name
    await send_lines(s.stream, [f"3000 OK use device device={bash_spaces(name)}\n"])
    return True


# ---------------------------------------------------------------- bootstrap, plugin options


@sd_command("bootstrap")
async def bootstrap_cmd(s: DirectorSession, text: str) -> bool:
    packets: list[bytes] = []
    while True:
        frame = await s.stream.receive()
        if isinstance(frame, SignalFrame):
            break
        assert isinstance(frame, Packet)
        packets.append(frame.payload)
    try:
        bsr = Bootstrap.parse_packets(packets)
    except (ProtocolError, ValueError) as exc:
        log.warning("job.bad_bootstrap", reason=str(exc))
        if s.link is not None:
            await s.link.fatal("Error parsing bootstrap file.\n")
        await s.stream.send(b"3904 Error bootstrap\n")
        return False
    if s.job is not None:
        s.job.bootstrap = bsr
    log.info("job.bootstrap", job=s.job.job if s.job else None, entries=len(bsr.entries))
    await s.stream.send(b"3000 OK bootstrap\n")
    return True


@sd_command("pluginoptions")
async def pluginoptions_cmd(s: DirectorSession, text: str) -> bool:
    try:
        opts = PluginOptions.parse(text.encode("utf-8", "surrogateescape"))
    except ProtocolError:
        if s.link is not None:
            await s.link.fatal(f"Bad pluginoptionscmd command: {text}")
        await send_lines(s.stream, [f"3991 Bad plugin options command: {text}\n"])
        return False
    if s.job is not None:
        s.job.plugin_options.append(opts.options)
    await s.stream.send(b"2000 OK plugin options\n")
    return True


# ---------------------------------------------------------------- passive client, replicate


async def _connect_retrying(s: DirectorSession, row: str, *, host: str, port: int,
                            hello_name: str, key: bytes, ssl: int,
                            timeout: float) -> tuple[BareosStream, ConnectionInfo]:  # fmt: skip
    """Bareos's ``connect(retry 10 s, up to <timeout>)``, then the row's handshake."""
    daemon = s.daemon
    deadline = trio.current_time() + max(1.0, timeout)
    while True:
        left = deadline - trio.current_time()
        try:
            return await open_connection(
                row, host=host, port=port, hello_name=hello_name, own_name=daemon.name,
                key=key, tls=daemon.own.tls, persona=daemon.options.persona,
                tls_first=ssl == TlsPolicy.AUTO,
                timeout=daemon.options.handshake_timeout, connect_timeout=max(0.1, left),
                heartbeat_interval=int(daemon.own.get("HeartbeatInterval") or 0),
            )  # fmt: skip
        except PeerClosedError as exc:
            # Only a refused/unreachable connect is retried, never a failed handshake.
            if not str(exc).startswith("cannot connect") or left <= CONNECT_RETRY_INTERVAL:
                raise
            log.info("job.connect_retry", row=row, address=f"{host}:{port}", reason=str(exc))
            await trio.sleep(CONNECT_RETRY_INTERVAL)


# Per row: who is at the other end (for job messages), its config timeout, the log event.
_JOB_PEERS = {
    "7": ("File daemon", "FdConnectTimeout", "job.passive_failed"),
    "8": ("Storage daemon", "SdConnectTimeout", "job.replicate_failed"),
}


async def _connect_job_peer(s: DirectorSession, job: SdJob, link: DirectorLink, row: str,
                            cmd: PassiveClient | Replicate, *, hello_name: str, key: bytes,
                            bad: str) -> tuple[BareosStream, ConnectionInfo] | None:  # fmt: skip
    """Connect for the job (row 7: passive client, row 8: writing SD); None: failed, reported."""
    peer, timeout_key, event = _JOB_PEERS[row]
    address = f"{cmd.address}:{cmd.port}"
    timeout = float(s.daemon.own.get(timeout_key) or 1800)
    try:
        return await _connect_retrying(
            s, row, host=cmd.address, port=cmd.port, hello_name=hello_name, key=key,
            ssl=int(cmd.ssl), timeout=timeout,
        )  # fmt: skip
    except BareosError as exc:
        log.warning(event, job=job.job, address=address, reason=str(exc))
        if "cannot connect" in str(exc) or "timed out" in str(exc):
            await link.fatal(f"Failed to connect to {peer}: {address}\n")
        else:
            await link.fatal(f"Failed to authenticate {peer}.\n")
        await send_lines(s.stream, [bad])
        return None


@sd_command("passive")
async def passive_cmd(s: DirectorSession, text: str) -> bool:
    job, link, daemon = s.job, s.link, s.daemon
    bad = f"3991 Bad passive client command: {text}\n"
    try:
        cmd = PassiveClient.parse(text.encode("utf-8", "surrogateescape"))
    except ProtocolError:
        if link is not None:
            await link.fatal(f"Bad passiveclientcmd command: {text}")
        await send_lines(s.stream, [bad])
        return False
    if job is None or link is None:
        await send_lines(s.stream, [bad])
        return False
    connected = await _connect_job_peer(s, job, link, "7", cmd, hello_name=job.job,
                                        key=job.key.encode(), bad=bad)  # fmt: skip
    if connected is None:
        return False
    stream, info = connected
    job.passive = True
    daemon.jobs.mark_authenticated(job.job)  # a Hello Start Job for it is refused from now on
    job.attach(stream, info, "FD")
    job.queued.append((MessageType.INFO, f"Connected File Daemon at {cmd.address}:{cmd.port}, "
                                         f"encryption: {info.encryption_text}\n"))  # fmt: skip
    log.info("job.passive_connected", job=job.job, address=f"{cmd.address}:{cmd.port}",
             encryption=info.encryption_text)  # fmt: skip
    await s.stream.send(b"2000 OK passive client\n")
    return True


@sd_command("replicate")
async def replicate_cmd(s: DirectorSession, text: str) -> bool:
    job, link = s.job, s.link
    bad = f"3991 Bad replicate command: {redact(text)}\n"
    try:
        cmd = Replicate.parse(text.encode("utf-8", "surrogateescape"))
    except ProtocolError:
        await send_lines(s.stream, [bad])
        return False
    if job is None or link is None:
        await send_lines(s.stream, [bad])
        return False
    connected = await _connect_job_peer(s, job, link, "8", cmd, hello_name=cmd.job,
                                        key=cmd.authorization.encode(), bad=bad)  # fmt: skip
    if connected is None:
        return False
    stream, info = connected
    job.store_stream, job.store_info = stream, info
    job.queued.append((MessageType.INFO, f"Connected Storage daemon at {cmd.address}:{cmd.port}, "
                                         f"encryption: {info.encryption_text}\n"))  # fmt: skip
    log.info("job.replicate_connected", job=job.job, remote_job=cmd.job,
             address=f"{cmd.address}:{cmd.port}", encryption=info.encryption_text)  # fmt: skip
    await s.stream.send(b"3000 OK replicate\n")
    return True


# ---------------------------------------------------------------- run, listen


async def _run(s: DirectorSession, text: str, *, listen: bool) -> bool:
    job, link = s.job, s.link
    if job is None or link is None or job.ran:
        log.warning("job.run_without_job", director=s.director, command=text.strip()[:20])
        return False
    await run_job(s.daemon, job, link, listen=listen)
    # Bareos: the command loop ends (BNET_TERMINATE), then the job record is
    # freed (EOD, BNET_TERMINATE); serve_session sends the last TERMINATE.
    try:
        if not link.gone:
            await s.stream.send_signal(Signal.TERMINATE)
            await s.stream.send_signal(Signal.EOD)
    except (PeerClosedError, trio.TooSlowError):
        pass
    return False


@sd_command("run")
async def run_cmd(s: DirectorSession, text: str) -> bool:
    return await _run(s, text, listen=False)


@sd_command("listen")
async def listen_cmd(s: DirectorSession, text: str) -> bool:
    return await _run(s, text, listen=True)


async def session_ended(s: DirectorSession) -> None:
    """The Director session is over: a job that never ran is dropped (key revoked).

    Connections the job opened itself (passive client, replication) are
    closed here; an FD's connection is closed by its own task once released.
    """
    if s.job is not None and not s.job.ran:
        await _drop(s, s.job)


async def _drop(s: DirectorSession, job: SdJob) -> None:
    s.daemon.drop_job(job)
    with trio.CancelScope(shield=True):
        if job.passive and job.data_stream is not None:
            await job.data_stream.aclose(terminate=True)
        if job.store_stream is not None:
            await job.store_stream.aclose(terminate=True)

