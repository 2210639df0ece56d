"""The Director connection while a job runs: job messages, status, catalog requests.

Once ``run``/``listen`` starts a job, the SD owns the Director socket: it
sends ``Status Job=.. JobStatus=..``, ``Jmsg Job=..`` lines and catalog
requests (``CatReq``, ``UpdCat``) and reads the Director's answer to each
request.  A reader task takes every packet the Director sends into a queue,
so that a vanished Director is noticed at once (the job is canceled and its
data connection closed) instead of at the next request.  After the Director
is gone every send is silently dropped: the job only cleans up.

Catalog requests and the answers the SD expects (``stored/askdir.cc``):

=========================================  =====================================
request                                    answer
=========================================  =====================================
``CatReq Job= FindMedia=<n> ...``          ``1000 OK VolName=...`` or ``1901 No Media.``
``CatReq Job= GetVolInfo VolName= ...``    ``1000 OK VolName=...`` (else: not usable)
``CatReq Job= UpdateMedia VolName= ...``   ``1000 OK VolName=...``
``CatReq Job= CreateJobMedia ...``         ``1000 OK CreateJobMedia``
``CatReq Job= DeleteNullJobmediaRecords``  ``1000 ...``
``UpdCat Job= FileAttributes <binary>``    nothing
=========================================  =====================================
"""

from __future__ import annotations

import math
import time

import structlog
import trio

from bareosnet.errors import BareosError, HandshakeTimeoutError, PeerClosedError, ProtocolError
from bareosnet.net.stream import BareosStream
from bareosnet.proto.framing import Packet, SignalFrame
from bareosnet.proto.jobcmds import (
    CatReqCreateJobMedia,
    CatReqDeleteNullJobmediaRecords,
    CatReqFindMedia,
    CatReqGetVolInfo,
    CatReqUpdateMedia,
    Jmsg,
    JobStatusMessage,
    MediaInfo,
    MessageType,
    UpdCatFileAttributes,
    redact,
)
from bareosnet.proto.signals import Signal
from bareosnet.proto.streams import CatalogRecord
from daemons.storage.sdjob import JS_FATAL, SdJob

log = structlog.get_logger("bareos.sd.job")

DEFAULT_REPLY_TIMEOUT = 1800.0


class DirectorGone(BareosError):
    """The Director closed its connection while the job ran."""


class DirectorLink:
    """Owns the Director stream of a running job (see the module docstring)."""

    def __init__(
        self,
        stream: BareosStream,
        job: SdJob,
        sd_name: str,
        *,
        reply_timeout: float = DEFAULT_REPLY_TIMEOUT,
    ) -> None:
        self.stream = stream
        self.job = job
        self.sd_name = sd_name
        self.reply_timeout = reply_timeout
        self.gone = False
        self.last_status: str | None = None
        self._send, self._inbox = trio.open_memory_channel[bytes](64)

    # -- the reader task
    async def reader(self) -> None:
        """Run in the job's nursery; ends when the Director leaves (or is cancelled)."""
        try:
            while True:
                frame = await self.stream.receive(timeout=math.inf)
                if isinstance(frame, SignalFrame):
                    if frame.signal is Signal.TERMINATE:
                        break
                    continue  # an EOD or poll: nothing the job waits for
                assert isinstance(frame, Packet)
                await self._send.send(frame.payload)
        except (PeerClosedError, ProtocolError, HandshakeTimeoutError, trio.BrokenResourceError):
            pass
        self._director_gone()

    def _director_gone(self) -> None:
        if not self.gone:
            self.gone = True
            log.warning("job.director_gone", job=self.job.job, job_id=self.job.job_id)
            self.job.cancel()
        self._send.close()

    # -- sending
    async def send(self, payload: bytes | str) -> None:
        if self.gone:
            return
        try:
            await self.stream.send(payload)
        except (PeerClosedError, trio.TooSlowError):
            self._director_gone()

    async def signal(self, signal: Signal) -> None:
        if self.gone:
            return
        try:
            await self.stream.send_signal(signal)
        except (PeerClosedError, trio.TooSlowError):
            self._director_gone()

    async def jmsg(self, mtype: MessageType, text: str) -> None:
        """``Jmsg Job=<job> type=<t> level=<time> <sd> JobId <id>: [Fatal error: ]text``."""
        prefix = {
            MessageType.FATAL: "Fatal error: ",
            MessageType.ERROR: "Error: ",
            MessageType.WARNING: "Warning: ",
        }.get(mtype, "")
        job = self.job
        if mtype is MessageType.FATAL:
            job.set_status(JS_FATAL)
            job.errors = max(job.errors, 1)
        elif mtype is MessageType.ERROR:
            job.errors += 1
        body = f"{self.sd_name} JobId {job.job_id}: {prefix}{text}"
        log.info("job.message", job=job.job, type=int(mtype), text=redact(text.rstrip("\n")))
        await self.send(Jmsg(job.job, mtype, int(time.time()), body).encode())

    async def info(self, text: str) -> None:
        await self.jmsg(MessageType.INFO, text)

    async def fatal(self, text: str) -> None:
        await self.jmsg(MessageType.FATAL, text)

    async def send_status(self, new: str | None = None) -> None:
        """``Status Job=.. JobStatus=<n>``: with ``new``, only when the status changes
        (Bareos ``sendJobStatus(s)``); without, always (``sendJobStatus()``)."""
        job = self.job
        if new is not None:
            if job.status == new:
                return
            job.set_status(new)
        self.last_status = job.status
        await self.send(JobStatusMessage(job.job, ord(job.status)).encode())

    # -- requests
    async def reply(self) -> bytes:
        if self.gone:
            raise DirectorGone("the Director is gone")
        with trio.move_on_after(self.reply_timeout):
            try:
                return await self._inbox.receive()
            except trio.EndOfChannel:
                raise DirectorGone("the Director closed the connection") from None
        raise DirectorGone(f"no answer from the Director within {self.reply_timeout:g} s")

    async def ask(self, payload: bytes) -> bytes:
        await self.send(payload)
        return await self.reply()

    async def media_request(self, payload: bytes) -> MediaInfo | bytes:
        """Send a request answered by ``1000 OK VolName=...``; the raw reply otherwise."""
        answer = await self.ask(payload)
        try:
            return MediaInfo.parse(answer)
        except ProtocolError:
            return answer

    async def find_media(
        self, index: int, pool: str, media_type: str, unwanted: str
    ) -> MediaInfo | bytes:
        req = CatReqFindMedia(self.job.job, index, pool, media_type, unwanted)
        return await self.media_request(req.encode())

    async def get_vol_info(self, volume: str, *, write: bool) -> MediaInfo | bytes:
        return await self.media_request(
            CatReqGetVolInfo(self.job.job, volume, int(write)).encode()
        )

    async def update_media(self, vol: MediaInfo, *, relabel: bool = False) -> MediaInfo | bytes:
        req = CatReqUpdateMedia(
            job=self.job.job,
            volume=vol.volume,
            vol_jobs=vol.vol_jobs,
            vol_files=vol.vol_files,
            vol_blocks=vol.vol_blocks,
            vol_bytes=vol.vol_bytes,
            vol_mounts=vol.vol_mounts,
            vol_errors=vol.vol_errors,
            vol_writes=vol.vol_writes,
            max_vol_bytes=vol.max_vol_bytes,
            end_time=int(time.time()),
            vol_status=vol.vol_status,
            slot=vol.slot,
            relabel=int(relabel),
            in_changer=vol.in_changer,
            vol_read_time=vol.vol_read_time,
            vol_write_time=vol.vol_write_time,
            vol_first_written=0,
        )
        return await self.media_request(req.encode())

    async def create_job_media(
        self,
        first_index: int,
        last_index: int,
        start: int,
        end: int,
        media_id: int,
    ) -> bool:
        """``CreateJobMedia``; a volume address is split as Bareos does (file:block)."""
        req = CatReqCreateJobMedia(
            job=self.job.job,
            first_index=first_index,
            last_index=last_index,
            start_file=start >> 32,
            end_file=end >> 32,
            start_block=start & 0xFFFFFFFF,
            end_block=end & 0xFFFFFFFF,
            media_id=media_id,
        )
        answer = await self.ask(req.encode())
        return answer.split(b"\0", 1)[0] == b"1000 OK CreateJobMedia\n"

    async def delete_null_jobmedia(self) -> bool:
        req = CatReqDeleteNullJobmediaRecords(self.job.job, self.job.job_id)
        answer = await self.ask(req.encode())
        return answer.startswith(b"1000")

    async def file_attributes(self, record: CatalogRecord) -> None:
        await self.send(UpdCatFileAttributes(self.job.job, record).encode())


def reply_text(answer: bytes) -> str:
    return redact(answer.split(b"\0", 1)[0].decode("utf-8", "replace"))
