"""The Director's job commands on the File daemon (Bareos ``filed/dir_cmd.cc``).

A job session goes::

    JobId=<id> Job=<job> SDid=<n> SDtime=<n> Authorization=<key>[ ssl=<p>]
                                  -> 2000 OK Job <version> (<short date>) <os>,<distribution>
    level = full ...              -> 2000 OK level
      (incremental/differential: no answer; then "level = since_utime ..." ->
       10 x BNET_BTIME answered "btime <usec>", BNET_EOD, 2000 OK level)
    fileset + lines + EOD         -> 2000 OK include
    storage address=.. port=.. ssl=..[ Authorization=..]   (active: connect to the SD)
                                  -> Jmsg " Encryption: ...", 2000 OK storage
    setauthorization Authorization=..  (passive restore) -> 2000 OK Authorization
    backup FileIndex=<n>          -> Jmsg..., 2000 OK backup, append session, end of session
    restore replace=.. prelinks=.. where=..   -> 2000 OK restore, read session,
                                                 [2000 OK storage end, then endrestore]

and ends with ``2800 End Job TermCode=<c> JobFiles=<n> ReadBytes=<n>
JobBytes=<n> Errors=<n> VSS=0 Encrypt=0`` and ``BNET_TERMINATE`` when the
command loop stops (:func:`end_of_session`).  In passive mode the Storage
daemon's connection (row 7) is handed over by the acceptor through the job
registry; the FD drives the data session on it all the same.

While data moves the Director socket is watched (a vanished Director
cancels the job) and, with ``Heartbeat Interval`` set, heartbeats go to the
Director.  Run scripts are accepted and answered but never executed.
"""

from __future__ import annotations

import functools
import grp
import math
import pwd
import re
import time
from collections.abc import Awaitable, Callable
from typing import Any

import structlog
import trio

from bareosnet.errors import BareosError, HandshakeTimeoutError, PeerClosedError, ProtocolError
from bareosnet.proto.fileset import FilesetParser
from bareosnet.proto.framing import Packet, SignalFrame
from bareosnet.proto.jobcmds import (
    AccurateCommand,
    BackupCommand,
    Btime,
    FdEndJob,
    FdJobCommand,
    FdJobOk,
    LevelCommand,
    MessageType,
    PluginOptions,
    RestoreCommand,
    RunScript,
    SetAuthorization,
    SetBandwidth,
    StorageCommand,
    redact,
)
from bareosnet.proto.lsline import ls_line
from bareosnet.proto.signals import Signal
from daemons.common import texts
from daemons.common.auth import open_connection
from daemons.common.commands import with_commas
from daemons.filedaemon.backup import DEFAULT_BUFFER_SIZE, BackupRun, BackupSettings, version_line
from daemons.filedaemon.fileselect import FileFlags, Found, Walker, since_check
from daemons.filedaemon.fileset_items import expand_items
from daemons.filedaemon.interfaces import DirectorSession, fd_command
from daemons.filedaemon.job_state import (
    BLOCKED,
    CANCELED,
    ERROR_TERMINATED,
    FdJob,
)
from daemons.filedaemon.jobs import JobAuthorization, KeyRefusedError
from daemons.filedaemon.restore import (
    RestoreOptions,
    RestoreRun,
    RestoreSettings,
    parse_regexwhere,
)
from daemons.filedaemon.sd_channel import SdChannel

log = structlog.get_logger("bareos.fd.jobcmd")

BTIME_SAMPLES = 10  # Bareos polls the Director's clock ten times, ignores the first two


def _payload(text: str) -> bytes:
    return text.encode("utf-8", "surrogateescape")


async def _reply(s: DirectorSession, line: str | bytes) -> None:
    await s.msgs.send(line)


async def _need_job(s: DirectorSession, word: str) -> FdJob | None:
    if s.job is None:
        log.warning("job.command_without_job", command=word)
        await _reply(s, f"2902 Bad {word}\n")
    return s.job


async def _bad_command(s: DirectorSession, what: str, text: str, reply: str) -> bool:
    """A command that does not scan: a fatal job message (in a job), the reply, hang up."""
    if s.job is not None:
        await s.msgs.fatal(f"Bad {what} command: {redact(text.rstrip())}\n")
    await _reply(s, reply)
    return False


async def _receive_list(s: DirectorSession) -> list[bytes]:
    """The packets of a list the Director closes with a signal (EOD).

    Each receive waits at most the handshake timeout; a failed one raises.
    """
    timeout = s.daemon.options.handshake_timeout
    payloads: list[bytes] = []
    while True:
        frame = await s.stream.receive(timeout=timeout)
        if isinstance(frame, SignalFrame):
            return payloads
        payloads.append(frame.payload)


# ---------------------------------------------------------------- JobId=


@fd_command("JobId=")
async def job_cmd(s: DirectorSession, text: str) -> bool:
    daemon = s.daemon
    try:
        cmd = FdJobCommand.parse(_payload(text))
    except ProtocolError:
        log.warning("job.bad_command", command=redact(text.rstrip()))
        await _reply(s, "2901 Bad Job\n")
        return False
    policy = 0 if cmd.ssl is None else int(cmd.ssl)  # old form: cleartext data connection
    key = cmd.authorization
    if s.job is not None and s.job.job != cmd.job:
        daemon.jobs.finish(s.job.job)  # a second job on one session replaces the first
    try:
        daemon.jobs.authorize(JobAuthorization(cmd.job, key.encode(), policy, cmd.job_id))
    except KeyRefusedError as exc:
        log.warning("job.key_refused", job=cmd.job, job_id=cmd.job_id, reason=str(exc))
        await _reply(s, "2901 Bad Job\n")
        return False
    await daemon.jobs_settled()  # --workers: the SD may reach another worker with this key
    job = FdJob(
        job_id=cmd.job_id,
        job=cmd.job,
        vol_session_id=cmd.vol_session_id,
        vol_session_time=cmd.vol_session_time,
        key=key,
        tls_policy=policy,
        bwlimit=daemon.bandwidth_limit(s.director),
    )
    s.job = job
    s.msgs.job = job
    daemon.jobs.start_live(job.job, job.snapshot)
    daemon.jobs.on_cancel(job.job, lambda: job.cancel("cancel command from the Director"))
    daemon.job_objects[job.job] = job
    log.info("job.started", job=job.job, job_id=job.job_id, ssl=policy, director=s.director)
    persona = daemon.options.persona
    ok = FdJobOk(texts.version(persona), texts.short_date(persona), texts.os_name(),
                 texts.os_id())  # fmt: skip
    await _reply(s, ok.encode())  # no newline: everything after "2000 OK Job " is the uname
    return True


# ---------------------------------------------------------------- level = ...


_LEVEL_LETTERS = {"full": "F", "base": "B", "differential": "D", "incremental": "I"}


@fd_command("level = ")
async def level_cmd(s: DirectorSession, text: str) -> bool:
    job = await _need_job(s, "level")
    if job is None:
        return False
    try:
        cmd = LevelCommand.parse(_payload(text))
    except ProtocolError:
        return await _bad_level(s, text)
    job.accurate = job.accurate or cmd.accurate or "accurate" in text
    job.rerunning = job.rerunning or cmd.rerunning
    if cmd.level in ("differential", "incremental"):
        job.level = _LEVEL_LETTERS[cmd.level]
        return True  # no answer: "level = since_utime ..." follows
    if cmd.level != "since_utime":
        job.level = _LEVEL_LETTERS[cmd.level]
        await _reply(s, "2000 OK level\n")
        return True
    if job.level == " ":
        job.level = "S"
    job.prev_job = cmd.prev_job
    adj = await _sync_clocks(s)
    if adj is None:
        return await _bad_level(s, text)
    if adj > 3 or adj < -3:
        type_ = MessageType.WARNING if abs(adj) > 600 else MessageType.INFO
        await s.msgs.jmsg(type_, f"DIR and FD clocks differ by {adj} seconds, "
                          "FD automatically compensating.\n")  # fmt: skip
    assert cmd.since_utime is not None
    job.since = cmd.since_utime + adj
    await s.msgs.signal(Signal.EOD)
    await _reply(s, "2000 OK level\n")
    log.info("job.level", job=job.job, level=job.level, since=job.since, clock_adjust=adj)
    return True


async def _bad_level(s: DirectorSession, text: str) -> bool:
    """A level command that does not scan, or clocks that could not be compared: hang up."""
    await s.msgs.fatal(f"Bad level command: {redact(text)}" + ("" if text.endswith("\n") else "\n"))
    return False


async def _sync_clocks(s: DirectorSession) -> int | None:
    """Poll the Director's clock (BNET_BTIME) and return our offset in whole seconds."""
    total = 0
    timeout = s.daemon.options.handshake_timeout
    for i in range(BTIME_SAMPLES):
        start = time.time_ns() // 1000
        if not await s.msgs.signal(Signal.BTIME):
            return None
        try:
            frame = await s.stream.receive(timeout=timeout)
        except BareosError:
            return None
        if not isinstance(frame, Packet):
            return None
        try:
            his = Btime.parse(frame.payload).usec
        except ProtocolError:
            return None
        if i < 2:
            continue  # the first two samples warm up the path
        rt = time.time_ns() // 1000 - start
        total += start - his - rt // 2
    return int(total / (BTIME_SAMPLES - 2) / 1_000_000)


# ---------------------------------------------------------------- fileset


@fd_command("fileset")
async def fileset_cmd(s: DirectorSession, text: str) -> bool:
    job = await _need_job(s, "fileset")
    if job is None:
        return False
    try:
        payloads = await _receive_list(s)
    except (HandshakeTimeoutError, PeerClosedError, ProtocolError) as exc:
        log.warning("job.fileset_incomplete", job=job.job, error=str(exc))
        return False
    parser = FilesetParser()
    error: str | None = None
    for payload in payloads:
        try:
            parser.feed(payload)
        except ProtocolError as exc:
            error = error or str(exc)
    if error is not None:
        await s.msgs.fatal(f"Invalid FileSet command: {error}\n")
        return False
    # "|program" and "<file" items are expanded here, as the real FD does; their
    # failures are fatal job errors, and the fileset is still acknowledged.
    expanded = await expand_items(
        parser.result(), job_id=job.job_id, job=job.job, client=s.msgs.client_name
    )
    for error in expanded.errors:
        await s.msgs.fatal(error)
    job.fileset = expanded.fileset
    await _reply(s, "2000 OK include\n")
    return True


# ---------------------------------------------------------------- small commands


@fd_command("pluginoptions")
async def pluginoptions_cmd(s: DirectorSession, text: str) -> bool:
    try:
        PluginOptions.parse(_payload(text if text.endswith("\n") else text + "\n"))
    except ProtocolError:
        return await _bad_command(s, "Plugin Options", text, "2905 Bad PluginOptions command.\n")
    await _reply(s, "2000 OK PluginOptions\n")
    return True


@fd_command("Run")
async def runscript_cmd(s: DirectorSession, text: str) -> bool:
    try:
        cmd = RunScript.parse(_payload(text))
    except ProtocolError:
        return await _bad_command(s, "RunScript", text, "2905 Failed RunScript\n")
    if s.job is not None:
        s.job.run_scripts.append(cmd.command)
    # Accepted as Bareos does, never executed by the emulator.
    log.info("job.runscript_ignored", when=cmd.when, on_success=cmd.on_success,
             on_failure=cmd.on_failure)  # fmt: skip
    await _reply(s, "2000 OK RunScript\n")
    return True


@fd_command("RunBeforeNow")
async def runbeforenow_cmd(s: DirectorSession, text: str) -> bool:
    if s.job is not None and s.job.canceled:
        await _reply(s, "2905 Failed RunScript\n")
        return False
    await _reply(s, "2000 OK RunBeforeNow\n")
    return True


@fd_command("setbandwidth=")
async def setbandwidth_cmd(s: DirectorSession, text: str) -> bool:
    try:
        cmd = SetBandwidth.parse(_payload(text))
    except ProtocolError:
        cmd = None
    if cmd is None or cmd.bandwidth < 0:
        await _reply(s, f"2991 Bad setbandwidth command: {redact(text.rstrip())}\n")
        return False
    if not await s.daemon.set_job_bandwidth(cmd.job, cmd.bandwidth):
        await _reply(s, f"2901 Job {cmd.job} not found.\n")  # Bareos then says OK anyway
    await _reply(s, "2000 OK Bandwidth\n")
    return True


@fd_command("setauthorization")
async def setauthorization_cmd(s: DirectorSession, text: str) -> bool:
    job = s.job
    try:
        cmd = SetAuthorization.parse(_payload(text))
    except ProtocolError:
        cmd = None
    if job is None or cmd is None:
        await _reply(s, "2902 Bad setauthorization\n")
        return False
    if not await _rebind_key(s, job, cmd.authorization, job.tls_policy):
        await _reply(s, "2902 Bad setauthorization\n")
        return False
    await _reply(s, "2000 OK Authorization\n")
    return True


async def _rebind_key(s: DirectorSession, job: FdJob, key: str, policy: int) -> bool:
    """A new session key for this job (restore parts); the old one is retired."""
    if not key:
        return True
    if key != job.key:
        await close_storage(s, job)  # the previous part's data connection is finished
    try:
        s.daemon.jobs.authorize(JobAuthorization(job.job, key.encode(), policy, job.job_id))
    except KeyRefusedError as exc:
        log.warning("job.key_refused", job=job.job, job_id=job.job_id, reason=str(exc))
        await s.msgs.fatal("Session key refused: it belongs to another or an ended job.\n")
        return False
    await s.daemon.jobs_settled()
    if job.key:
        job.multi_restore = True  # Bareos: a second key means a multi-part restore
    job.key, job.tls_policy = key, policy
    return True


@fd_command("accurate")
async def accurate_cmd(s: DirectorSession, text: str) -> bool:
    job = await _need_job(s, "accurate")
    if job is None:
        return False
    try:
        AccurateCommand.parse(_payload(text))
    except ProtocolError:
        await _reply(s, "2991 Bad accurate command\n")
        return False
    try:
        payloads = await _receive_list(s)
    except BareosError:
        return False
    files: dict[str, str] = {}
    digests: dict[str, str] = {}
    # <name>\0<LStat>[\0<digest>\0<delta seq>]
    for payload in payloads:
        parts = payload.split(b"\0")
        if len(parts) >= 2 and parts[0]:
            name = parts[0].decode("utf-8", "surrogateescape")
            files[name] = parts[1].decode("ascii", "replace")
            if len(parts) >= 3 and parts[2]:
                digests[name] = parts[2].decode("ascii", "replace")
    job.accurate = True
    job.accurate_files = files
    job.accurate_digests = digests
    return True  # Bareos sends no answer


@fd_command("bootstrap")
async def bootstrap_cmd(s: DirectorSession, text: str) -> bool:
    """Deprecated (the Director sends the bootstrap to the SD): read it, say OK."""
    try:
        await _receive_list(s)
    except BareosError:
        return False
    await _reply(s, "2000 OK bootstrap\n")
    return True


@fd_command("restoreobject")
async def restoreobject_cmd(s: DirectorSession, text: str) -> bool:
    if text.startswith("restoreobject end"):
        await _reply(s, "2000 OK ObjectRestored\n")
        return True
    timeout = s.daemon.options.handshake_timeout
    for _ in range(2):  # object name, then the object
        try:
            await s.stream.receive(timeout=timeout)
        except BareosError:
            return False
    return True


@fd_command("estimate")
async def estimate_cmd(s: DirectorSession, text: str) -> bool:
    """``estimate listing=<0|1>``: count what a backup of this level would save.

    With listing, one ``ls -l`` line per counted file goes first: as Bareos's
    ``PrintLsOutput`` Jmsg, which for a console job (JobId 0) is sent raw.
    """
    job = await _need_job(s, "estimate")
    if job is None:
        return False
    m = _ESTIMATE.match(text)
    if job.fileset is None or m is None:
        if m is None:
            await s.msgs.fatal(f"Bad estimate command: {redact(text.rstrip())}\n")
        await _reply(s, "2992 Bad estimate command.\n")
        return False
    listing = int(m.group(1)) != 0
    changed = since_check(job.since) if job.level in ("I", "D") else None
    files = size = 0
    for item in Walker(job.fileset, changed):
        if isinstance(item, Found):
            files += 1
            if item.stat.st_mode & 0o170000 == 0o100000:
                size += item.stat.st_size
            if listing:
                await _reply(s, _ls_line(item))
        await trio.lowlevel.checkpoint()
    job.files_examined = files
    await _reply(s, f"2000 OK estimate files={with_commas(files)} bytes={with_commas(size)}\n")
    await s.msgs.signal(Signal.EOD)
    return True


_ESTIMATE = re.compile(r"estimate listing=(\d+)")


def _ls_line(item: Found) -> str:
    st = item.stat
    return ls_line(mode=st.st_mode, nlink=st.st_nlink, user=_user(st.st_uid),
                   group=_group(st.st_gid), size=st.st_size, ctime=int(st.st_ctime),
                   name=item.path, link=item.link)  # fmt: skip


@functools.cache
def _user(uid: int) -> str:
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)


@functools.cache
def _group(gid: int) -> str:
    try:
        return grp.getgrgid(gid).gr_name
    except KeyError:
        return str(gid)


@fd_command("endrestore")
async def endrestore_cmd(s: DirectorSession, text: str) -> bool:
    return False  # the end of a multi-part restore: stop the command loop


# ---------------------------------------------------------------- storage


@fd_command("storage ")
async def storage_cmd(s: DirectorSession, text: str) -> bool:
    job = await _need_job(s, "storage")
    if job is None:
        return False
    daemon = s.daemon
    try:
        cmd = StorageCommand.parse(_payload(text))
    except ProtocolError:
        await s.msgs.fatal(f"Bad storage command: {redact(text.rstrip())}\n")
        await _reply(s, "2902 Bad storage\n")
        return False
    ssl = int(cmd.ssl)
    if cmd.authorization is not None and not await _rebind_key(s, job, cmd.authorization, ssl):
        await _reply(s, "2902 Bad storage\n")
        return False
    await close_storage(s, job)
    own = daemon.config.own()
    tls_first = ssl == 4
    deadline = trio.current_time() + max(1, int(own.get("SdConnectTimeout") or 1800))
    where = f"{cmd.address}:{cmd.port}"
    while True:
        try:
            stream, info = await open_connection(
                "6",
                host=cmd.address,
                port=cmd.port,
                hello_name=job.job,
                own_name=daemon.name,
                key=job.key.encode(),
                tls=own.tls,
                persona=daemon.options.persona,
                tls_first=tls_first,
                timeout=daemon.options.handshake_timeout,
                connect_timeout=min(15.0, max(1.0, deadline - trio.current_time())),
                heartbeat_interval=int(own.get("HeartbeatInterval") or 0),
            )
            break
        except PeerClosedError as exc:
            # Only the TCP connect is retried (every 10 s up to SD Connect Timeout).
            if str(exc).startswith("cannot connect") and trio.current_time() + 10 < deadline:
                log.info("job.sd_connect_retry", job=job.job, address=where, error=str(exc))
                await trio.sleep(10)
                continue
            failure = "connect" if str(exc).startswith("cannot connect") else "auth"
            reason = str(exc)
        except HandshakeTimeoutError as exc:
            failure, reason = "connect", str(exc)
        except BareosError as exc:
            failure, reason = "auth", str(exc)
        log.warning("job.sd_connect_failed", job=job.job, address=where, error=reason)
        if failure == "connect":
            await s.msgs.fatal(f"Failed to connect to Storage daemon: {where}\n")
        else:
            await s.msgs.fatal("Failed to authenticate Storage daemon.\n")
        await _reply(s, "2902 Bad storage\n")
        return False
    job.sd, job.sd_info, job.sd_active = stream, info, True
    log.info("job.sd_connected", job=job.job, address=where, mode=info.mode_text,
             encryption=info.encryption_text)  # fmt: skip
    if job.job_id != 0:
        await s.msgs.info(f" Encryption: {info.encryption_text}\n")
    # Bareos queues this one in the authentication code: it goes out before the next message.
    s.msgs.queue(MessageType.INFO,
                 f"Connected Storage daemon at {where}, encryption: {info.encryption_text}\n")  # fmt: skip
    await _reply(s, "2000 OK storage\n")
    return True


async def close_storage(s: DirectorSession, job: FdJob) -> None:
    """End the data connection: BNET_TERMINATE and close (and hand a passive one back)."""
    stream, job.sd = job.sd, None
    if stream is not None:
        await stream.aclose(terminate=True)
    link = s.daemon.jobs.link(job.job)
    if link is not None and link.is_attached and not job.sd_active:
        link.release()


async def _storage_stream(s: DirectorSession, job: FdJob) -> Any:
    """The job's data connection: ours (active) or the one the SD opened (passive)."""
    if job.sd is not None:
        return job.sd
    link = s.daemon.jobs.link(job.job)
    if link is None:
        return None
    got = await link.wait(s.daemon.options.sd_wait_timeout)
    if got is None:
        return None
    job.sd, job.sd_info = got
    job.sd_active = False
    return job.sd


# ---------------------------------------------------------------- backup


def _flag_in_fileset(job: FdJob, letter: str) -> bool:
    """Bareos ``LogFlagStatus``: is the flag set in any options block of any include?"""
    assert job.fileset is not None
    flags = [FileFlags.parse(o.flags) for b in job.fileset.includes for o in b.options]
    return any(f.xattr if letter == "X" else f.acl for f in flags)


@fd_command("backup")
async def backup_cmd(s: DirectorSession, text: str) -> bool:
    job = await _need_job(s, "backup")
    if job is None:
        return False
    daemon = s.daemon
    try:
        job.files = BackupCommand.parse(_payload(text)).file_index
    except ProtocolError:
        pass  # Bareos keeps JobFiles when the number does not scan
    job.job_type = "B"
    if job.level == " ":
        job.level = "F"
    if job.fileset is None:
        await s.msgs.fatal("No FileSet was sent for this backup.\n")
        await _reply(s, "2902 Bad backup\n")
        return False
    for letter, name in (("X", "Extended attribute support "), ("A", "ACL support ")):
        state = "is enabled\n" if _flag_in_fileset(job, letter) else "is disabled\n"
        await s.msgs.info(name + state)
    job.set_status(BLOCKED)
    stream = await _storage_stream(s, job)
    if stream is None:
        await s.msgs.fatal("Cannot contact Storage daemon\n")
        await _reply(s, "2902 Bad backup\n")
        return False
    await _reply(s, "2000 OK backup\n")
    own = daemon.config.own()
    settings = BackupSettings(
        buf_size=int(own.get("MaximumNetworkBufferSize") or 0) or DEFAULT_BUFFER_SIZE,
        timeout=daemon.options.sd_reply_timeout,
        version_line=version_line(daemon.options.persona),
    )
    run = BackupRun(job, s.msgs, SdChannel(stream, timeout=settings.timeout), settings)
    await data_phase(s, job, run.run)
    log.info("job.backup_done", job=job.job, status=job.status, files=job.files,
             bytes=job.job_bytes, errors=job.errors)  # fmt: skip
    return False  # the session ends with the End Job line


# ---------------------------------------------------------------- restore


@fd_command("restore ")
async def restore_cmd(s: DirectorSession, text: str) -> bool:
    job = await _need_job(s, "restore")
    if job is None:
        return False
    daemon = s.daemon
    cmd: RestoreCommand | None
    try:
        cmd = RestoreCommand.parse(_payload(text))
    except ProtocolError:
        cmd = _restore_empty_where(text)
    if cmd is None:
        await s.msgs.fatal(f"Bad replace command. CMD={redact(text.rstrip())}\n")
        return False
    job.job_type = "R"
    job.level = " "
    rewrites = None
    where = cmd.where
    if cmd.regexwhere is not None:
        try:
            rewrites = parse_regexwhere(cmd.regexwhere)
        except ValueError:
            await s.msgs.fatal(f"Bad where regexp. where={cmd.regexwhere}\n")
            return False
    if where == "/":
        where = ""
    options = RestoreOptions(where=where, regexwhere=rewrites, replace=cmd.replace,
                             prelinks=bool(cmd.prelinks))  # fmt: skip
    await _reply(s, "2000 OK restore\n")
    job.set_status(BLOCKED)
    stream = await _storage_stream(s, job)
    if stream is None:
        await s.msgs.fatal("Improper calling sequence.\n")
        job.set_status(ERROR_TERMINATED)
    else:
        settings = RestoreSettings(timeout=daemon.options.sd_reply_timeout,
                                   version_line=version_line(daemon.options.persona))  # fmt: skip
        run = RestoreRun(job, s.msgs, SdChannel(stream, timeout=settings.timeout), options,
                         settings)  # fmt: skip
        await data_phase(s, job, run.run)
    log.info("job.restore_done", job=job.job, status=job.status, files=job.files,
             bytes=job.job_bytes, errors=job.errors)  # fmt: skip
    if job.canceled or job.director_gone:
        return False
    if not job.multi_restore:
        return False
    await _reply(s, "2000 OK storage end\n")
    return await s.dispatch_pending()


def _restore_empty_where(text: str) -> RestoreCommand | None:
    """``restore replace=%c prelinks=%d where=`` (restore in place) has an empty word."""
    m = re.match(r"restore replace=(.) prelinks=(\d+) where=\s*$", text)
    if m is None:
        return None
    return RestoreCommand(replace=m.group(1), prelinks=int(m.group(2)), where="")


# ---------------------------------------------------------------- the data phase


async def data_phase(s: DirectorSession, job: FdJob, body: Callable[[], Awaitable[None]]) -> None:
    """Run ``body`` (the SD session) while watching the Director; cancel on loss."""
    interval = int(s.daemon.config.own().get("HeartbeatInterval") or 0)
    with trio.CancelScope() as scope:
        job.cancel_scope = scope
        if job.canceled:
            scope.cancel()
        async with trio.open_nursery() as nursery:
            nursery.start_soon(_watch_director, s, job)
            if interval > 0:
                nursery.start_soon(_heartbeats, s, interval)
            await body()
            nursery.cancel_scope.cancel()
    job.cancel_scope = None
    if scope.cancelled_caught:
        job.set_status(CANCELED)


async def _watch_director(s: DirectorSession, job: FdJob) -> None:
    """The Director says nothing while data moves: EOF or a signal means it is gone."""
    try:
        frame = await s.stream.receive(timeout=math.inf)
    except BareosError as exc:
        reason = str(exc)
    else:
        if isinstance(frame, Packet):
            s.pending = frame  # an early command: handled after the data phase
            return
        reason = f"Director sent {frame.signal.name}"
    job.director_gone = True
    log.warning("job.director_gone", job=job.job, job_id=job.job_id, reason=reason)
    job.cancel("the Director connection was lost")


async def _heartbeats(s: DirectorSession, interval: int) -> None:
    while True:
        await trio.sleep(interval)
        if not await s.msgs.signal(Signal.HEARTBEAT):
            return


# ---------------------------------------------------------------- end of session


async def end_of_session(s: DirectorSession) -> None:
    """What Bareos does after the command loop of a job session, before BNET_TERMINATE."""
    job = s.job
    if job is None:
        return
    daemon = s.daemon
    try:
        await close_storage(s, job)  # "Inform Storage daemon that we are done"
        if job.canceled or job.director_gone:
            job.set_status(CANCELED)
        if job.job_id == 0:
            return  # Bareos sends End Job only for a real job
        end = FdEndJob(term_code=job.term_code, job_files=job.files, read_bytes=job.read_bytes,
                       job_bytes=job.job_bytes, errors=job.errors)  # fmt: skip
        await s.msgs.send(end.encode())
        await s.msgs.flush()
    finally:
        job.finished = True
        daemon.jobs.finish(job.job)
        daemon.job_objects.pop(job.job, None)
        if job.job_id:
            daemon.recent.add(job.result())
        log.info("job.ended", job=job.job, job_id=job.job_id, status=job.status,
                 files=job.files, read_bytes=job.read_bytes, job_bytes=job.job_bytes,
                 errors=job.errors, director_gone=job.director_gone)  # fmt: skip


__all__ = ["end_of_session"]
