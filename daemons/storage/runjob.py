"""What ``run`` and ``listen`` do: the life of a job on the Director connection.

Native jobs (backup, restore, verify) -- ``stored/job.cc`` ``DoJobRun``::

    Status F   (waiting for the File daemon, up to Client Connect Wait)
    3010 Job <job> start / Status R / [queued messages] / Jmsg "Version: ..."
    ... the File daemon's session (daemons.storage.datasession) ...
    3099 Job <job> end JobStatus=<n> JobFiles=<n> JobBytes=<n> JobErrors=<n> + EOD

Copy/migration, reading side (``run`` after ``replicate``, ``stored/mac.cc``
``DoMacRun``): read the bootstrap's records and send them to the writing SD
(``start replicate``, ``replicate data <ticket>``, records, EOD EOD, ``end
replicate``), then ``Status`` and ``3099``.

Copy/migration, writing side (``listen``, ``stored/sd_cmds.cc``
``DoListenRun``): ``Status S``, wait for the reading SD's connection
(row 8), ``3010``/``Status R``, serve its commands like an append session,
``3099``.

A job that never gets its data connection, or is canceled while waiting,
still ends with a ``3099`` line (Bareos just hangs up there).  Whatever
happens, the data connection is closed and the job's session key revoked
when the job ends.
"""

from __future__ import annotations

import math
import time

import structlog
import trio

from bareosnet.errors import HandshakeTimeoutError, PeerClosedError, ProtocolError
from bareosnet.net.stream import BareosStream
from bareosnet.proto.framing import Packet, encode_message, encode_signal
from bareosnet.proto.jobcmds import SdJobEnd
from bareosnet.proto.signals import Signal
from bareosnet.proto.streams import DataHeader
from daemons.common import texts
from daemons.common.commands import with_suffix
from daemons.storage.append import AppendTarget
from daemons.storage.datasession import (
    FD_COMMANDS,
    SD_COMMANDS,
    DataAbort,
    DataContext,
    serve_commands,
)
from daemons.storage.dirlink import DirectorGone, DirectorLink
from daemons.storage.interfaces import SdDaemon
from daemons.storage.readback import ReadSource
from daemons.storage.sdjob import (
    JS_ERROR_TERMINATED,
    JS_RUNNING,
    JS_TERMINATED,
    JS_WAIT_FD,
    JS_WAIT_SD,
    SdJob,
)
from daemons.storage.volume import VolumeRecord

log = structlog.get_logger("bareos.sd.job")

END_LINE_TIMEOUT = 5.0


async def run_job(daemon: SdDaemon, job: SdJob, link: DirectorLink, *, listen: bool) -> None:
    """Run a job to its end on the Director connection behind ``link``."""
    job.ran = True
    log.info("job.run", job=job.job, job_id=job.job_id, type=job.job_type,
             mode="listen" if listen else ("copy" if job.no_client else "native"))  # fmt: skip
    async with trio.open_nursery() as nursery:
        nursery.start_soon(link.reader)
        try:
            if listen:
                await _listen_flow(daemon, job, link)
            elif job.no_client or job.store_stream is not None:
                await _mac_flow(daemon, job, link)
            else:
                await _native_flow(daemon, job, link)
        except DirectorGone:
            log.warning("job.director_gone_during_request", job=job.job)
        finally:
            # Even when cancelled (daemon stopping): close the data connection,
            # revoke the key, and try (briefly) to tell the Director.
            with trio.CancelScope(shield=True):
                await _close_connections(job)
                job.set_status(JS_TERMINATED)
                daemon.end_job(job)  # key revoked, listed as terminated: before the Director knows
                with trio.move_on_after(END_LINE_TIMEOUT):
                    await _end_line(job, link)
            nursery.cancel_scope.cancel()


async def _end_line(job: SdJob, link: DirectorLink) -> None:
    end = SdJobEnd(job.job, ord(job.status), job.files, job.bytes, job.errors)
    log.info("job.end", job=job.job, job_id=job.job_id, status=job.status, files=job.files,
             bytes=job.bytes, errors=job.errors)  # fmt: skip
    await link.send(end.encode())
    await link.signal(Signal.EOD)


async def _close_connections(job: SdJob) -> None:
    for stream in (job.data_stream, job.store_stream):
        if stream is not None:
            await stream.aclose()
    job.data_released.set()


async def _wait_for_connection(daemon: SdDaemon, job: SdJob, link: DirectorLink,
                               status: str) -> bool:  # fmt: skip
    await link.send_status(status)
    daemon.publish(job)
    wait = daemon.client_connect_wait()
    with trio.move_on_after(wait):
        await job.data_ready.wait()
    if job.data_stream is not None and not job.canceled:
        return True
    if not job.canceled:
        who = "Storage daemon" if status == JS_WAIT_SD else "File daemon"
        await link.fatal(f"{who} did not connect to this Storage daemon within {wait:g} seconds.\n")
    log.warning("job.no_data_connection", job=job.job, canceled=job.canceled, waited=wait)
    return False


async def _start_lines(daemon: SdDaemon, job: SdJob, link: DirectorLink) -> None:
    await link.send(f"3010 Job {job.job} start\n")
    job.started = time.time()
    await link.send_status(JS_RUNNING)
    await _flush_queued(job, link)
    daemon.publish(job)


async def _flush_queued(job: SdJob, link: DirectorLink) -> None:
    """Send the messages queued before the job ran (e.g. "Connected ... encryption: ...")."""
    queued, job.queued = job.queued, []
    for mtype, text in queued:
        await link.jmsg(mtype, text)  # type: ignore[arg-type]


async def _version_line(daemon: SdDaemon, link: DirectorLink) -> None:
    p = daemon.options.persona
    await link.info(f"Version: {texts.version(p)} ({texts.release_date(p)}) {texts.os_name()}\n")


async def _native_flow(daemon: SdDaemon, job: SdJob, link: DirectorLink) -> None:
    if not await _wait_for_connection(daemon, job, link, JS_WAIT_FD):
        return
    await _start_lines(daemon, job, link)
    await _version_line(daemon, link)
    assert job.data_stream is not None
    ctx = DataContext(daemon, job, link, job.data_stream, "FD")
    await serve_commands(ctx, FD_COMMANDS)


async def _listen_flow(daemon: SdDaemon, job: SdJob, link: DirectorLink) -> None:
    if not await _wait_for_connection(daemon, job, link, JS_WAIT_SD):
        return
    await _start_lines(daemon, job, link)
    assert job.data_stream is not None
    ctx = DataContext(daemon, job, link, job.data_stream, "SD")
    await serve_commands(ctx, SD_COMMANDS)


# ---------------------------------------------------------------- reading side of a copy


async def _expect(daemon: SdDaemon, job: SdJob, link: DirectorLink, stream: BareosStream,
                  wanted: bytes, command: str) -> bytes | None:  # fmt: skip
    """Bareos ``response()``: the writing SD's answer must start with ``wanted``."""
    timeout = daemon.options.idle_timeout
    try:
        frame = await stream.receive(timeout=math.inf if timeout <= 0 else timeout)
    except (PeerClosedError, ProtocolError, HandshakeTimeoutError) as exc:
        if not job.is_canceled:
            await link.fatal(f"Comm error with SD. bad response to {command}. ERR={exc}\n")
        return None
    got = frame.payload if isinstance(frame, Packet) else b""
    if got.startswith(wanted):
        return got
    if not job.is_canceled:
        shown = got.decode("utf-8", "replace") if got else f"signal {frame}"
        await link.fatal(
            f"Bad response to {command} command. Wanted {wanted.decode()}, got {shown}\n"
        )
    return None


async def _mac_flow(daemon: SdDaemon, job: SdJob, link: DirectorLink) -> None:
    stream = job.store_stream
    if stream is None:
        await _local_copy(daemon, job, link)
        return
    source = ReadSource.plan(daemon, job, link)
    if source is None:
        await link.fatal("No Volume names found for Copy.\n")
        return
    if not await source.mount(source.groups[0][0]):
        return
    ok = True
    await link.send_status(JS_RUNNING)
    await _flush_queued(job, link)
    job.started = time.time()
    daemon.publish(job)
    try:
        await stream.send(b"start replicate\n")
        answer = await _expect(daemon, job, link, stream, b"3000 OK start replicate ticket = ",
                               "start replicate")  # fmt: skip
        ok = answer is not None
        if ok:
            assert answer is not None
            ticket = answer.split(b"=")[-1].strip().decode()
            await stream.send(f"replicate data {ticket}\n")
            ok = await _expect(daemon, job, link, stream, b"3000 OK data\n", "replicate data") is not None
        if ok:
            last: tuple[int, int, int, int] | None = None

            async def deliver(rec: VolumeRecord) -> None:
                nonlocal last
                key = (rec.vol_session_id, rec.vol_session_time, rec.file_index, rec.stream)
                out = b""
                if key != last:
                    if last is not None:
                        out += encode_signal(Signal.EOD)
                    if last is None or rec.file_index != last[2]:
                        job.files += 1
                    out += encode_message(DataHeader(rec.file_index, rec.stream).encode())
                    last = key
                out += encode_message(rec.payload)
                try:
                    await stream.send_raw(out)
                except (PeerClosedError, trio.TooSlowError) as exc:
                    raise DataAbort(f"Network send error to SD. ERR={exc}\n") from None
                job.bytes += len(rec.payload)

            try:
                with job.cancellable() as scope:
                    ok = await source.read_all(deliver)
            except DataAbort as exc:
                ok = False
                if not job.is_canceled:
                    await link.fatal(str(exc))
            if scope.cancelled_caught:
                ok = False
        if ok:
            await stream.send_raw(encode_signal(Signal.EOD) + encode_signal(Signal.EOD))
            ok = await _expect(daemon, job, link, stream, b"3000 OK replicate data\n",
                               "replicate data") is not None  # fmt: skip
        if ok:
            await stream.send(b"end replicate\n")
            ok = await _expect(daemon, job, link, stream, b"3000 OK end replicate\n",
                               "end replicate") is not None  # fmt: skip
        if ok:
            await stream.send_signal(Signal.TERMINATE)
    except (PeerClosedError, trio.TooSlowError) as exc:
        ok = False
        if not job.is_canceled:
            await link.fatal(f"Network send error to SD. ERR={exc}\n")
    if not ok:
        job.set_status(JS_ERROR_TERMINATED)
    await source.unmount()
    await link.send_status()


async def _local_copy(daemon: SdDaemon, job: SdJob, link: DirectorLink) -> None:
    """Copy/migration inside this SD (``CloneRecordInternally``): read, renumber, write.

    FileIndex values are made sequential again (1, 2, ...) and the records get
    this job's VolSessionId/Time, as Bareos does for a local copy.
    """
    source = ReadSource.plan(daemon, job, link)
    if source is None:
        await link.fatal("No Volume names found for Copy.\n")
        return
    if job.append_request is None or not job.devices:
        await link.fatal("Read device not properly initialized.\n")
        return
    target = await AppendTarget.acquire(daemon, job, link, jit=False)
    if target is None:
        return
    ok = False
    run_time = time.time()
    try:
        if not await source.mount(source.groups[0][0]):
            return
        await link.send_status(JS_RUNNING)
        job.started = run_time
        last: tuple[int, int, int] | None = None

        async def deliver(rec: VolumeRecord) -> None:
            nonlocal last
            key = (rec.vol_session_id, rec.vol_session_time, rec.file_index)
            if key != last:
                job.files += 1
                last = key
            await target.add(job.files, rec.stream, rec.payload)

        with job.cancellable():
            ok = await source.read_all(deliver)
    finally:
        job.set_status(JS_TERMINATED if ok else JS_ERROR_TERMINATED)
        await target.finish(ok)
        await source.unmount()
    elapsed = max(1, int(time.time() - run_time))
    await link.info(
        f"Elapsed time={elapsed // 3600:02d}:{elapsed % 3600 // 60:02d}:{elapsed % 60:02d}, "
        f"Transfer rate={with_suffix(job.bytes // elapsed)} Bytes/second\n"
    )
    await link.send_status()
