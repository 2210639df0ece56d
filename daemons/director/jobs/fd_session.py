"""The Director's side of a File daemon job connection (connection 3 or 4, reference 6.2, 6.4).

Every reply is read like Bareos's ``BgetDirmsg``: ``Jmsg`` lines go into the
job log, ``BNET_BTIME`` is answered with ``btime <microseconds>``, polls with
``1000 OK``; the first other line is the reply, compared with what the
command wants (``response()``: "Bad response to X command: wanted ..., got
...").  :meth:`wait_end` is ``WaitForJobTermination``: job messages until the
FD's ``2800 End Job ...`` and its ``BNET_TERMINATE``.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

import structlog
import trio

from bareosnet.errors import BareosError, ProtocolError
from bareosnet.proto.framing import Packet, SignalFrame
from bareosnet.proto.jobcmds import (
    DIRECTOR_FROM_FD,
    AccurateCommand,
    AuthorizationOk,
    BackupCommand,
    BackupOk,
    BandwidthOk,
    Btime,
    EndRestore,
    FdEndJob,
    FdJobCommand,
    FdJobOk,
    FdSecureEraseReply,
    FilesetCommand,
    GetSecureEraseCmd,
    IncludeOk,
    Jmsg,
    LevelCommand,
    LevelOk,
    RestoreCommand,
    RestoreOk,
    SetAuthorization,
    SetBandwidth,
    StorageCommand,
    StorageEndOk,
    StorageOk,
    parse_first,
    redact,
)
from bareosnet.proto.signals import Signal
from daemons.director.jobs.control import JobControl, JobFailed

if TYPE_CHECKING:
    from bareosnet.net.handshake import ConnectionInfo
    from bareosnet.net.stream import BareosStream

log = structlog.get_logger("bareosnet.director.fd")

REPLY_TIMEOUT = 300.0


def _text(payload: bytes) -> str:
    return redact(payload.split(b"\0", 1)[0].decode("utf-8", "replace")).rstrip("\n")


def btime_now() -> int:
    return time.time_ns() // 1000


class FdSession:
    """One File daemon connection of one job."""

    def __init__(self, job: JobControl, stream: BareosStream, info: ConnectionInfo) -> None:
        self.job = job
        self.stream = stream
        self.info = info
        self.terminated = False  # the FD sent BNET_TERMINATE: nothing more may be sent
        self.end: FdEndJob | None = None

    # ------------------------------------------------------------------ plumbing

    async def send(self, payload: bytes) -> None:
        try:
            await self.stream.send(payload)
        except (BareosError, trio.TooSlowError) as exc:
            raise JobFailed(f"File daemon connection lost: {exc}\n") from None

    async def _signal(self, signal: Signal) -> None:
        try:
            await self.stream.send_signal(signal)
        except (BareosError, trio.TooSlowError) as exc:
            raise JobFailed(f"File daemon connection lost: {exc}\n") from None

    async def _next(self, what: str, timeout: float) -> Packet | SignalFrame:
        """The next frame that is not a job message or a clock poll."""
        while True:
            try:
                frame = await self.stream.receive(timeout=timeout)
            except (BareosError, trio.TooSlowError) as exc:
                raise JobFailed(f"Socket error on {what} command: ERR={exc}\n") from None
            if isinstance(frame, SignalFrame):
                if frame.signal is Signal.BTIME:
                    await self.send(Btime(btime_now()).encode())
                    continue
                if frame.signal in (Signal.POLL, Signal.EOD_POLL):
                    await self.send(b"1000 OK\n")
                    if frame.signal is Signal.POLL:
                        continue
                elif frame.signal is Signal.STATUS:
                    await self.send(b"Status OK\n")
                    await self._signal(Signal.EOD)
                    continue
                elif frame.signal is Signal.TERMINATE:
                    self.terminated = True
                return frame
            assert isinstance(frame, Packet)
            if frame.payload.startswith(b"Jmsg"):
                try:
                    self.job.daemon_message(Jmsg.parse(frame.payload), "fd")
                except ProtocolError as exc:
                    log.warning("fd.bad_jmsg", jobid=self.job.job_id, error=str(exc))
                continue
            return frame

    async def _reply(self, expected: tuple[type, ...], what: str, wanted: str,
                     timeout: float = REPLY_TIMEOUT) -> Any:  # fmt: skip
        frame = await self._next(what, timeout)
        if isinstance(frame, SignalFrame):
            raise JobFailed(
                f"Socket error on {what} command: ERR=File daemon sent {frame.signal.name}\n"
            )
        try:
            msg = parse_first(frame.payload, DIRECTOR_FROM_FD)
        except ProtocolError:
            msg = None
        if msg is not None and isinstance(msg, expected):
            return msg
        raise JobFailed(
            f"Bad response to {what} command: wanted {wanted}, got {_text(frame.payload)}\n"
        )

    # ------------------------------------------------------------------ job setup

    async def job_command(self, cmd: FdJobCommand) -> FdJobOk:
        await self.send(cmd.encode())
        frame = await self._next("JobId", REPLY_TIMEOUT)
        if isinstance(frame, SignalFrame):
            raise JobFailed(f"FD gave bad response to JobId command: {frame.signal.name}\n")
        try:
            ok = FdJobOk.parse(frame.payload)
        except ProtocolError:
            raise JobFailed(
                f'File daemon "{self.job.client_name}" rejected Job command: '
                f"{_text(frame.payload)}\n"
            ) from None
        self.job.client_uname = ok.uname
        return ok

    async def level(self, level: str, *, since: int | None = None, prev_job: str = "",
                    accurate: bool = False) -> None:  # fmt: skip
        """``level = full ...``; for incremental/differential also the since time and BTIME polls."""
        word = {"F": "full", "B": "base", "I": "incremental", "D": "differential"}[level]
        await self.send(LevelCommand(word, accurate=accurate and level in "ID").encode())
        if level in "ID":
            assert since is not None
            await self.send(
                LevelCommand("since_utime", since_utime=since, prev_job=prev_job).encode()
            )
            # The FD polls our clock (BTIME) and ends with EOD (Bareos SendSinceTime).
            while True:
                frame = await self._next("Level", REPLY_TIMEOUT)
                if isinstance(frame, SignalFrame):
                    if frame.signal is Signal.EOD:
                        break
                    raise JobFailed(
                        f"Socket error on Level command: ERR=File daemon sent {frame.signal.name}\n"
                    )
                self.job.message(f"{_text(frame.payload)}\n")
        await self._reply((LevelOk,), "Level", "2000 OK level")

    async def fileset(self, packets: Sequence[bytes], *, vss: bool = True) -> None:
        await self.send(FilesetCommand(vss=vss).encode())
        for packet in packets:
            await self.send(packet)
        await self._signal(Signal.EOD)
        await self._reply((IncludeOk,), "Include", "2000 OK include")

    async def accurate(self, estimated: int, entries: Iterable[bytes]) -> None:
        """``accurate files=<n>``, one packet per file, EOD; the FD answers nothing."""
        await self.send(AccurateCommand(files=estimated).encode())
        for entry in entries:
            await self.send(entry)
        await self._signal(Signal.EOD)

    async def secure_erase(self) -> None:
        await self.send(GetSecureEraseCmd().encode())
        try:
            await self._reply(
                (FdSecureEraseReply,), "getSecureEraseCmd", "2000 OK FDSecureEraseCmd"
            )
        except JobFailed as exc:
            log.info("fd.secure_erase_unexpected", jobid=self.job.job_id, reply=str(exc).strip())

    async def set_bandwidth(self, limit: int) -> None:
        """``setbandwidth=<bytes/s> Job=<job>`` (Job Maximum Bandwidth / Client's per job)."""
        await self.send(SetBandwidth(bandwidth=limit, job=self.job.job).encode())
        try:
            await self._reply((BandwidthOk,), "Bandwidth", "2000 OK Bandwidth")
        except JobFailed as exc:
            # Old clients do not know the command; Bareos goes on without a limit.
            self.job.warning(f"Failed to set bandwidth limit on Client: {str(exc).strip()}\n")

    async def storage(self, cmd: StorageCommand) -> None:
        await self.send(cmd.encode())
        await self._reply((StorageOk,), "Storage", "2000 OK storage")

    async def set_authorization(self, key: str) -> None:
        await self.send(SetAuthorization(authorization=key).encode())
        await self._reply((AuthorizationOk,), "Setauthorization", "2000 OK Authorization")

    async def backup(self, file_index: int = 0) -> None:
        await self.send(BackupCommand(file_index).encode())
        await self._reply((BackupOk,), "Backup", "2000 OK backup", timeout=math.inf)

    async def restore(self, cmd: RestoreCommand) -> None:
        await self.send(cmd.encode())
        await self._reply((RestoreOk,), "Restore", "2000 OK restore", timeout=math.inf)

    async def wait_storage_end(self) -> None:
        await self._reply((StorageEndOk,), "Store end", "2000 OK storage end", timeout=math.inf)

    async def end_restore(self) -> None:
        await self.send(EndRestore().encode())

    # ------------------------------------------------------------------ end of job

    async def wait_end(self) -> FdEndJob | None:
        """Messages until ``2800 End Job`` and the FD's terminate; ``None`` when it never came."""
        job = self.job
        while True:
            try:
                frame = await self._next("End Job", math.inf)
            except JobFailed as exc:
                if self.end is None:
                    job.fatal(f"Network error with FD during {_type_word(job)}: "
                              f"ERR={str(exc).split('ERR=', 1)[-1].strip()}\n")  # fmt: skip
                break
            if isinstance(frame, SignalFrame):
                break  # TERMINATE (or EOD): the FD is done
            try:
                msg = parse_first(frame.payload, DIRECTOR_FROM_FD)
            except ProtocolError:
                msg = None
            if self.end is None and isinstance(msg, FdEndJob):
                self.end = msg
                job.fd_ok = True
                job.fd_status = chr(int(msg.term_code))
                job.fd_files = msg.job_files
                job.fd_read_bytes = msg.read_bytes
                job.fd_bytes = msg.job_bytes
                job.fd_errors = msg.errors
                job.fd_vss = msg.vss
                job.fd_encrypt = msg.encrypt
                log.info("fd.job_end", jobid=job.job_id, status=job.fd_status,
                         files=msg.job_files, bytes=msg.job_bytes)  # fmt: skip
                continue
            job.warning(f"Unexpected Client Job message: {_text(frame.payload)}\n")
        if self.end is None:
            job.fd_status = "E"
            job.fatal("No Job status returned from FD.\n")
        return self.end

    async def close(self) -> None:
        """Close; say BNET_TERMINATE unless the FD already ended the session."""
        await self.stream.aclose(terminate=not self.terminated)


def _type_word(job: JobControl) -> str:
    return {"B": "Backup", "R": "Restore", "c": "Copy"}.get(job.job_type, "Job")
