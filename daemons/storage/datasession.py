"""The data connection of a job: the File daemon's (or a replicating SD's) commands.

Whoever opened the TCP connection, the File daemon sends the commands and
the SD answers (``stored/fd_cmds.cc``); for replication the reading SD sends
``start replicate`` / ``replicate data`` / ``end replicate``
(``stored/sd_cmds.cc``).  Commands are matched by prefix, one per packet;
signals between commands are ignored, ``BNET_TERMINATE`` or a lost
connection ends the loop; an unknown command is answered ``3900 Invalid
command`` and ends it; a failed command ("hanging up") ends it too.  When
the loop ends for any reason but the peer's ``BNET_TERMINATE``, the SD says
``BNET_TERMINATE`` itself.

Append sessions (FD -> SD)::

    append open session          -> 3000 OK open ticket = <VolSessionId>
    append data <ticket>         -> 3000 OK data, then records, final EOD
                                 -> 3000 OK append data   (3999 Failed append)
    append end session <ticket>  -> 3000 OK end
    append close session <ticket>-> 3000 OK close Status = <JobStatus>, EOD

Read sessions (restore)::

    read open session = <vol> <6 numbers>  -> 3000 OK open ticket = <VolSessionId>
    read data <ticket>    -> 3000 OK data, then per record "rechdr ..." + data, EOD
    read close session <t>-> 3000 OK close Status = <JobStatus>, EOD

Errors: ``3901 Error session already open``, ``3902 Error session not
opened``, ``3903 Error append data``, ``3900 Invalid command``.
"""

from __future__ import annotations

import math
import time
from collections.abc import Awaitable, Callable

import attrs
import structlog
import trio

from bareosnet.errors import HandshakeTimeoutError, PeerClosedError, ProtocolError
from bareosnet.net.stream import BareosStream
from bareosnet.proto.framing import Packet, SignalFrame, encode_message
from bareosnet.proto.jobcmds import MessageType
from bareosnet.proto.signals import Signal
from bareosnet.proto.streams import DataHeader, RestoreRecordHeader
from daemons.common.command_registry import CommandRegistry
from daemons.common.commands import CommandTable, with_suffix
from daemons.storage.append import AppendTarget
from daemons.storage.dirlink import DirectorGone, DirectorLink
from daemons.storage.interfaces import SdDaemon
from daemons.storage.readback import ReadSource
from daemons.storage.sdjob import JS_ERROR_TERMINATED, JS_RUNNING, JS_TERMINATED, SdJob
from daemons.storage.volume import VolumeRecord

log = structlog.get_logger("bareos.sd.job")

NO_OPEN = b"3901 Error session already open\n"
NOT_OPENED = b"3902 Error session not opened\n"
ERROR_APPEND = b"3903 Error append data\n"
INVALID = b"3900 Invalid command\n"
OK_DATA = b"3000 OK data\n"
OK_END = b"3000 OK end\n"
OK_APPEND = b"3000 OK append data\n"
FAILED_APPEND = b"3999 Failed append\n"
FD_ERROR = b"3000 error\n"
NO_OPEN_REPLICATE = b"3901 Error replicate session already open\n"
NOT_OPENED_REPLICATE = b"3902 Error replicate session not opened\n"
ERROR_REPLICATE = b"3903 Error replicate data\n"
OK_REPLICATE_DATA = b"3000 OK replicate data\n"
OK_END_REPLICATE = b"3000 OK end replicate\n"
# Why a command hung up, for the job message.
ALREADY_OPEN = "Attempt to open already open session.\n"
CLOSE_NOT_OPEN = "Attempt to close non-open session.\n"


class DataAbort(Exception):
    """Internal: the data stream failed; the text is the job message."""


@attrs.define(eq=False)
class DataContext:
    daemon: SdDaemon
    job: SdJob
    link: DirectorLink
    stream: BareosStream
    what: str  # "FD" or "SD": who sends the commands (for messages)
    session_opened: bool = False
    peer_terminated: bool = False
    errmsg: str = ""
    target: AppendTarget | None = None

    @property
    def data_timeout(self) -> float:
        t = self.daemon.options.idle_timeout
        return math.inf if t <= 0 else t

    # The senders say whether it went out: False when the peer left or stopped reading.
    async def send(self, payload: bytes) -> bool:
        return await _sent(self.stream.send(payload))

    async def send_raw(self, data: bytes) -> bool:
        return await _sent(self.stream.send_raw(data))

    async def signal(self, signal: Signal) -> bool:
        return await _sent(self.stream.send_signal(signal))


async def _sent(sending: Awaitable[None]) -> bool:
    try:
        await sending
        return True
    except (PeerClosedError, trio.TooSlowError):
        return False


# The File daemon's commands on its data connection (stored/fd_cmds.cc) and the reading
# SD's on a replication connection (stored/sd_cmds.cc): each handler below registers itself.
FD_DATA_COMMANDS: CommandRegistry[DataContext] = CommandRegistry("Storage daemon (FD data)")
SD_DATA_COMMANDS: CommandRegistry[DataContext] = CommandRegistry("Storage daemon (SD data)")
fd_data_command = FD_DATA_COMMANDS.command
sd_data_command = SD_DATA_COMMANDS.command


async def serve_commands(ctx: DataContext, table: CommandTable[DataContext]) -> None:
    """Bareos ``DoFdCommands`` / ``DoSdCommands``: read and run commands until the end."""
    while not ctx.peer_terminated:  # a nested loop (after "append data") may have seen it
        try:
            frame = await ctx.stream.receive(timeout=ctx.data_timeout)
        except (PeerClosedError, ProtocolError, HandshakeTimeoutError) as exc:
            log.info("data.closed", job=ctx.job.job, peer=ctx.what, reason=str(exc))
            break
        if isinstance(frame, SignalFrame):
            if frame.signal is Signal.TERMINATE:
                ctx.peer_terminated = True
                break
            continue
        assert isinstance(frame, Packet)
        text = frame.text
        entry = table.find(text)
        if entry is None:
            if not ctx.job.is_canceled:
                await ctx.link.fatal(f"{ctx.what} command not found: {text}")
            await ctx.send(INVALID)
            break
        ctx.errmsg = ""
        if not await entry.handler(ctx, text):
            if not ctx.job.is_canceled:
                detail = f" {ctx.errmsg}" if ctx.errmsg else "\n"
                await ctx.link.fatal(f"Command error with {ctx.what}, hanging up.{detail}")
                ctx.job.set_status(JS_ERROR_TERMINATED)
            break
    if not ctx.peer_terminated:
        await ctx.signal(Signal.TERMINATE)


# ---------------------------------------------------------------- session commands
# The state checks of the append, read and replicate dialogs (``stored/fd_cmds.cc``).


async def _refuse(ctx: DataContext, errmsg: str, reply: bytes) -> bool:
    """A command that fails: the reason for the job message, the reply, then hang up."""
    ctx.errmsg = errmsg
    await ctx.send(reply)
    return False


async def _open_session(ctx: DataContext, ticket: str, errmsg: str, refusal: bytes) -> bool:
    """``append open``, ``read open``, ``start replicate``: one session at a time."""
    if ctx.session_opened:
        return await _refuse(ctx, errmsg, refusal)
    ctx.session_opened = True
    return await ctx.send(f"3000 OK {ticket} = {ctx.job.vol_session_id}\n".encode())


async def _session_data(ctx: DataContext, verb: str, not_opened: bytes, failed: bytes) -> bool:
    """``append data`` / ``replicate data``: receive and store the records."""
    if not ctx.session_opened:
        return await _refuse(ctx, f"Attempt to {verb} on non-open session.\n", not_opened)
    if await do_append_data(ctx):
        return True
    return await _refuse(ctx, f"{verb.capitalize()} data error.\n", failed)


async def _end_session(ctx: DataContext, not_opened: bytes, ended: bytes) -> bool:
    """``append end`` / ``end replicate``."""
    if not ctx.session_opened:
        return await _refuse(ctx, CLOSE_NOT_OPEN, not_opened)
    return await ctx.send(ended)


# ---------------------------------------------------------------- append (FD)


@fd_data_command("append open")
async def append_open(ctx: DataContext, text: str) -> bool:
    return await _open_session(ctx, "open ticket", ALREADY_OPEN, NO_OPEN)


@fd_data_command("append data")
async def append_data(ctx: DataContext, text: str) -> bool:
    return await _session_data(ctx, "append", NOT_OPENED, ERROR_APPEND)


@fd_data_command("append end")
async def append_end(ctx: DataContext, text: str) -> bool:
    return await _end_session(ctx, NOT_OPENED, OK_END)


@fd_data_command("append close")
@fd_data_command("read close")
async def session_close(ctx: DataContext, text: str) -> bool:
    """``append close session`` and ``read close session``: the status, then EOD."""
    if not ctx.session_opened:
        return await _refuse(ctx, CLOSE_NOT_OPEN, NOT_OPENED)
    ok = await ctx.send(f"3000 OK close Status = {ord(ctx.job.status)}\n".encode())
    ok = await ctx.signal(Signal.EOD) and ok
    ctx.session_opened = False
    return ok


@attrs.frozen
class _Transfer:
    """How one append or read transfer ended."""

    ok: bool
    abort: str | None = None  # the DataAbort text (already sent as the job's fatal message)
    canceled: bool = False  # stopped by ``cancel``


async def _cancellable(ctx: DataContext, transfer: Callable[[], Awaitable[bool]]) -> _Transfer:
    """Run one transfer so that ``cancel`` stops it.

    A DataAbort becomes the job's fatal message, unless the job was canceled
    (that is why it failed); a Director that left fails the transfer too.
    """
    ok = False
    try:
        with ctx.job.cancellable() as scope:
            ok = await transfer()
    except DataAbort as exc:
        if not ctx.job.is_canceled:
            await ctx.link.fatal(str(exc))
        return _Transfer(False, abort=str(exc))
    except DirectorGone:
        return _Transfer(False)
    if scope.cancelled_caught:
        return _Transfer(False, canceled=True)
    return _Transfer(ok)


async def _receive_data(ctx: DataContext) -> SignalFrame | Packet:
    try:
        frame = await ctx.stream.receive(timeout=ctx.data_timeout)
    except (PeerClosedError, ProtocolError, HandshakeTimeoutError) as exc:
        raise DataAbort(f"Network error reading from {ctx.what}. ERR={exc}\n") from None
    if isinstance(frame, SignalFrame):
        return frame
    assert isinstance(frame, Packet)
    return frame


async def _receive_records(ctx: DataContext, jit: bool) -> None:
    """Headers, data packets and EODs until the final EOD (``DoAppendData``'s loop)."""
    job, what = ctx.job, ctx.what
    last_index = 0
    while True:
        frame = await _receive_data(ctx)
        if isinstance(frame, SignalFrame):
            if frame.signal is not Signal.EOD:
                raise DataAbort(f"Unexpected signal from {what}: {int(frame.signal)}\n")
            return
        try:
            header = DataHeader.parse(frame.payload)
        except ProtocolError:
            shown = frame.payload[:100].decode("utf-8", "replace")
            raise DataAbort(f"Malformed data header from {what}: {shown}\n") from None
        file_index, stream = header.file_index, header.stream
        rerun_start = job.command.rerunning and file_index > 0 and last_index == 0
        sequential = file_index > 0 and file_index in (last_index, last_index + 1)
        if not rerun_start and not sequential:
            raise DataAbort(
                f"FileIndex={file_index} from {what} not positive or sequential={last_index}\n"
            )
        last_index = file_index
        while True:
            data = await _receive_data(ctx)
            if isinstance(data, SignalFrame):
                if data.signal is Signal.EOD:
                    break
                raise DataAbort(f"Unexpected signal from {what}: {int(data.signal)}\n")
            if ctx.target is None:
                ctx.target = await AppendTarget.acquire(ctx.daemon, job, ctx.link, jit=jit)
                if ctx.target is None:
                    raise DataAbort("Unable to setup device for this job.\n")
            await ctx.target.add(file_index, stream, data.payload)
            job.files = last_index


async def do_append_data(ctx: DataContext) -> bool:
    """Receive and store one append session (Bareos ``DoAppendData``)."""
    job, link = ctx.job, ctx.link
    if job.append_request is None:
        await link.fatal("No device was reserved for writing (no \"use storage\" with append=1).\n")
        return False
    if not job.jit and ctx.target is None:
        ctx.target = await AppendTarget.acquire(ctx.daemon, job, link, jit=False)
        if ctx.target is None:
            await link.fatal("Unable to setup pre reserved dcr for this job.\n")
            return False
    ok = await ctx.send(OK_DATA)
    if not ok:
        await link.fatal(f"Network send error to {ctx.what}.\n")
    run_time = time.time()
    if ok:

        async def receive() -> bool:
            await _receive_records(ctx, job.jit)
            return True

        transfer = await _cancellable(ctx, receive)
        ok = transfer.ok
        if transfer.abort is not None:
            log.warning("job.append_failed", job=job.job, peer=ctx.what,
                        reason=transfer.abort.strip())  # fmt: skip
        if transfer.canceled:
            log.info("job.append_canceled", job=job.job)
    job.set_status(JS_TERMINATED if ok else JS_ERROR_TERMINATED)
    if ok and ctx.what == "FD":
        await ctx.send(OK_APPEND)
        await serve_commands(ctx, FD_COMMANDS)  # finish the dialog with the FD
    elif ctx.what == "SD":
        await ctx.send(OK_REPLICATE_DATA)
    else:
        await ctx.send(FAILED_APPEND)
    target, ctx.target = ctx.target, None
    if target is not None:
        job.files = max(target.last_index, 0)
        await target.finish(ok)
    elif ok:
        await link.info(
            "Because no backup data was received, no device was reserved. As such no Session "
            "Labels were written for this job.\n"
        )
    if not link.gone:
        if not await link.delete_null_jobmedia():
            await link.jmsg(MessageType.WARNING, "Could not delete placeholder media records.\n")
        elapsed = max(1, int(time.time() - run_time))
        await link.info(
            f"Elapsed time={elapsed // 3600:02d}:{elapsed % 3600 // 60:02d}:{elapsed % 60:02d}, "
            f"Transfer rate={with_suffix(job.bytes // elapsed)} Bytes/second\n"
        )
        await link.send_status()
    log.info("job.append_done", job=job.job, ok=ok, files=job.files, bytes=job.bytes,
             status=job.status)  # fmt: skip
    return ok


# ---------------------------------------------------------------- read (restore)


@fd_data_command("read open")
async def read_open(ctx: DataContext, text: str) -> bool:
    # The volume and session numbers are ignored, as in Bareos: the bootstrap decides.
    return await _open_session(
        ctx, "open ticket", "Attempt to open read on non-open session.\n", NO_OPEN
    )


@fd_data_command("read data")
async def read_data(ctx: DataContext, text: str) -> bool:
    if not ctx.session_opened:
        return await _refuse(ctx, "Attempt to read on non-open session.\n", NOT_OPENED)
    return await do_read_data(ctx)


async def do_read_data(ctx: DataContext) -> bool:
    """Bareos ``DoReadData``: records selected by the bootstrap, ``rechdr`` + data each."""
    job, link = ctx.job, ctx.link
    source = ReadSource.plan(ctx.daemon, job, link)
    if source is None:
        await link.fatal("No Volume names found for restore.\n")
        await ctx.send(FD_ERROR)
        return False
    if not await source.mount(source.groups[0][0]):
        await ctx.send(FD_ERROR)
        return False

    async def deliver(rec: VolumeRecord) -> None:
        header = RestoreRecordHeader(rec.vol_session_id, rec.vol_session_time, rec.file_index,
                                     rec.stream, len(rec.payload)).encode()  # fmt: skip
        if not await ctx.send_raw(encode_message(header) + encode_message(rec.payload)):
            raise DataAbort("Error sending to File daemon.\n")

    ok = await ctx.send(OK_DATA)
    await link.send_status(JS_RUNNING)
    if ok:
        ok = (await _cancellable(ctx, lambda: source.read_all(deliver))).ok
    await ctx.signal(Signal.EOD)
    await source.unmount()
    job.reading = False
    log.info("job.read_done", job=job.job, ok=ok)
    return ok


# ---------------------------------------------------------------- replication (SD -> SD)


@sd_data_command("start replicate")
async def start_replicate(ctx: DataContext, text: str) -> bool:
    return await _open_session(ctx, "start replicate ticket", ALREADY_OPEN, NO_OPEN_REPLICATE)


@sd_data_command("replicate data")
async def replicate_data(ctx: DataContext, text: str) -> bool:
    return await _session_data(ctx, "replicate", NOT_OPENED_REPLICATE, ERROR_REPLICATE)


@sd_data_command("end replicate")
async def end_replicate(ctx: DataContext, text: str) -> bool:
    return await _end_session(ctx, NOT_OPENED_REPLICATE, OK_END_REPLICATE)


# The tables, once every handler above has registered.
FD_COMMANDS: CommandTable[DataContext] = FD_DATA_COMMANDS.table()
SD_COMMANDS: CommandTable[DataContext] = SD_DATA_COMMANDS.table()
