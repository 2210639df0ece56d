"""The Director's side of a Storage daemon job connection (connection 5, reference 6.1, 6.4).

Setup is request/reply (job command, bootstrap, ``getSecureEraseCmd``,
``use storage``, ``passive client``, ``replicate``): while waiting for a
reply, the SD's ``Jmsg`` and ``Status Job=`` lines are taken into the job
(Bareos's ``BgetDirmsg``).  After ``run`` (or ``listen``) :meth:`follow` is
the message thread: it answers the catalog requests from the catalog, stores
the forwarded attributes, and returns at ``3099 Job ... end``.

Replies to catalog requests are exactly what Bareos's ``catreq.cc`` sends:
``1000 OK VolName=...`` (FindMedia, GetVolInfo, UpdateMedia), ``1901 No
Media.``, ``1997 Volume "x" not in catalog.``, ``1000 OK CreateJobMedia``,
``1000 OK DeleteNullJobmediaRecords``, ``1990 Invalid Catalog Request: ...``.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import structlog
import trio

from bareosnet.errors import BareosError, PeerClosedError, ProtocolError
from bareosnet.proto.attributes import AttributeRecord
from bareosnet.proto.bootstrap import Bootstrap
from bareosnet.proto.framing import Packet, SignalFrame
from bareosnet.proto.jobcmds import (
    DIRECTOR_FROM_SD,
    BootstrapCommand,
    CatReqCreateJobMedia,
    CatReqDeleteNullJobmediaRecords,
    CatReqFindMedia,
    CatReqGetVolInfo,
    CatReqUpdateFileList,
    CatReqUpdateJobRecord,
    CatReqUpdateMedia,
    GetSecureEraseCmd,
    Jmsg,
    JobStart,
    JobStatusMessage,
    MediaInfo,
    PassiveClient,
    PassiveClientOk,
    Replicate,
    ReplicateOk,
    Run,
    SdBootstrapOk,
    SdJobCommand,
    SdJobEnd,
    SdJobOk,
    SdSecureEraseReply,
    UpdCatFileAttributes,
    UseDevice,
    UseDeviceOk,
    UseStorage,
    parse_first,
    redact,
)
from bareosnet.proto.names import unbash_spaces
from bareosnet.proto.signals import Signal
from bareosnet.proto.streams import STREAM_MASK, Stream
from daemons.director.catalog.records import CatalogError, MediaRecord, is_digest
from daemons.director.jobs.control import JobControl, JobFailed

if TYPE_CHECKING:
    from bareosnet.net.handshake import ConnectionInfo
    from bareosnet.net.stream import BareosStream

log = structlog.get_logger("bareosnet.director.sd")

REPLY_TIMEOUT = 300.0
DRAIN_TIMEOUT = 2.0
_ATTRIBUTE_STREAMS = (Stream.UNIX_ATTRIBUTES, Stream.UNIX_ATTRIBUTES_EX)


def media_info(rec: MediaRecord) -> MediaInfo:
    return MediaInfo(
        volume=rec.volume,
        vol_jobs=rec.vol_jobs,
        vol_files=rec.vol_files,
        vol_blocks=rec.vol_blocks,
        vol_bytes=rec.vol_bytes,
        vol_mounts=rec.vol_mounts,
        vol_errors=rec.vol_errors,
        vol_writes=rec.vol_writes,
        max_vol_bytes=rec.max_vol_bytes,
        vol_capacity_bytes=rec.vol_capacity_bytes,
        vol_status=rec.vol_status,
        slot=rec.slot,
        in_changer=rec.in_changer,
        vol_read_time=rec.vol_read_time,
        vol_write_time=rec.vol_write_time,
        end_block=rec.end_block,
        label_type=rec.label_type,
        media_id=rec.media_id,
    )


def _text(payload: bytes) -> str:
    return redact(payload.split(b"\0", 1)[0].decode("utf-8", "replace")).rstrip("\n")


class SdSession:
    """One Storage daemon connection of one job.

    ``catalog_job_id`` is the job whose catalog records the SD's requests
    feed (for a copy's writing SD: the new copy job); ``write_pool`` the Pool
    resource volumes are taken from; ``sender`` tags its job messages.
    """

    def __init__(
        self,
        job: JobControl,
        stream: BareosStream,
        info: ConnectionInfo,
        store_res: Any,
        *,
        catalog_job_id: int | None = None,
        write_pool: Any | None = None,
        sender: str = "sd",
    ) -> None:
        self.job = job
        self.stream = stream
        self.info = info
        self.store_res = store_res
        self.catalog_job_id = catalog_job_id if catalog_job_id is not None else job.job_id
        self.write_pool = write_pool
        self.sender = sender
        self.session_key: str | None = None
        self.vol_session_id = 0
        self.vol_session_time = 0
        self.device: str | None = None
        self.attributes = 0
        self.volumes: list[str] = []
        self.ended: SdJobEnd | None = None
        self.terminated = False
        self.sd_status = "?"

    # ------------------------------------------------------------------ plumbing

    async def send(self, payload: bytes) -> None:
        try:
            await self.stream.send(payload)
        except (BareosError, trio.TooSlowError) as exc:
            raise JobFailed(f"Storage daemon connection lost: {exc}\n") from None

    async def _reply(self, expected: tuple[type, ...], what: str, wanted: str) -> Any:
        """The next reply that is not a job message (Bareos ``BgetDirmsg`` + ``response``)."""
        while True:
            try:
                frame = await self.stream.receive(timeout=REPLY_TIMEOUT)
            except (BareosError, trio.TooSlowError) as exc:
                raise JobFailed(f"Socket error on {what} command: ERR={exc}\n") from None
            if isinstance(frame, SignalFrame):
                if frame.signal is Signal.TERMINATE:
                    self.terminated = True
                    raise JobFailed(
                        f"Socket error on {what} command: ERR=Storage daemon ended the session\n"
                    )
                await self._answer_signal(frame.signal)
                continue
            assert isinstance(frame, Packet)
            msg = await self._dispatch_unsolicited(frame.payload)
            if msg is None:
                continue
            if isinstance(msg, expected):
                return msg
            raise JobFailed(
                f"Bad response to {what} command: wanted {wanted}, got {_text(frame.payload)}\n"
            )

    async def _answer_signal(self, signal: Signal) -> None:
        if signal in (Signal.POLL, Signal.EOD_POLL):
            await self.send(b"1000 OK\n")
        elif signal is Signal.STATUS:
            await self.send(b"Status OK\n")
            await self.stream.send_signal(Signal.EOD)

    async def _dispatch_unsolicited(self, payload: bytes) -> Any:
        """Job messages and status lines are consumed here (``None``); anything else is returned."""
        if payload.startswith(b"Jmsg"):
            try:
                self.job.daemon_message(Jmsg.parse(payload), self.sender)
            except ProtocolError as exc:
                log.warning("sd.bad_jmsg", jobid=self.job.job_id, error=str(exc))
            return None
        if payload.startswith(b"Status Job="):
            try:
                st = JobStatusMessage.parse(payload)
                self.sd_status = chr(int(st.status))
            except (ProtocolError, ValueError):
                pass
            return None
        try:
            return parse_first(payload, DIRECTOR_FROM_SD)
        except ProtocolError:
            return _Unknown(payload)

    # ------------------------------------------------------------------ setup

    async def start_job(self, cmd: SdJobCommand) -> SdJobOk:
        await self.send(cmd.encode())
        try:
            ok = await self._reply((SdJobOk,), "Job", "3000 OK Job")
        except JobFailed as exc:
            raise JobFailed(f"Storage daemon rejected Job command: {str(exc).strip()}\n") from None
        self.session_key = ok.authorization
        self.vol_session_id = ok.vol_session_id
        self.vol_session_time = ok.vol_session_time
        log.info("sd.job_started", jobid=self.job.job_id, storage=self.store_res.name,
                 vol_session_id=ok.vol_session_id)  # fmt: skip
        return ok

    async def secure_erase(self) -> None:
        await self.send(GetSecureEraseCmd().encode())
        try:
            await self._reply(
                (SdSecureEraseReply,), "getSecureEraseCmd", "2000 OK SDSecureEraseCmd"
            )
        except JobFailed as exc:
            # Bareos only notes an unexpected answer; the job goes on.
            log.info("sd.secure_erase_unexpected", jobid=self.job.job_id, reply=str(exc).strip())

    async def bootstrap(self, bsr: Bootstrap) -> None:
        await self.send(BootstrapCommand().encode())
        for packet in bsr.packets():
            await self.send(packet)
        await self._signal(Signal.EOD)
        await self._reply((SdBootstrapOk,), "Bootstrap", "3000 OK bootstrap")

    async def reserve(self, *, pool_res: Any, append: bool) -> str:
        """``use storage=... append=<0|1>`` + ``use device=`` lines; returns the device the SD took."""
        store = self.store_res
        await self.send(
            UseStorage(
                storage=store.name,
                media_type=str(store.get("MediaType")),
                pool_name=pool_res.name,
                pool_type=str(pool_res.get("PoolType") or "Backup"),
                append=1 if append else 0,
            ).encode()
        )
        devices = _device_names(store)
        for device in devices:
            await self.send(UseDevice(device=device).encode())
        await self._signal(Signal.EOD)  # end of this storage's devices
        await self._signal(Signal.EOD)  # end of the storages
        try:
            ok = await self._reply((UseDeviceOk,), "use device", "3000 OK use device")
        except JobFailed as exc:
            raise JobFailed(
                f'\n     Storage daemon didn\'t accept Device "{",".join(devices)}" because:\n'
                f"     {str(exc).strip()}\n"
            ) from None
        self.device = unbash_spaces(ok.device)
        self.job.message(f'Using Device "{self.device}" to {"write" if append else "read"}.\n')
        return self.device

    async def passive_client(self, address: str, port: int, ssl: int) -> None:
        await self.send(PassiveClient(address=address, port=port, ssl=ssl).encode())
        await self._reply((PassiveClientOk,), "Passive client", "2000 OK passive client")

    async def replicate(self, cmd: Replicate) -> None:
        await self.send(cmd.encode())
        await self._reply((ReplicateOk,), "replicate", "3000 OK replicate")

    async def run(self) -> None:
        await self.send(Run().encode())

    async def listen(self) -> None:
        await self.send(b"listen")

    async def _signal(self, signal: Signal) -> None:
        try:
            await self.stream.send_signal(signal)
        except (BareosError, trio.TooSlowError) as exc:
            raise JobFailed(f"Storage daemon connection lost: {exc}\n") from None

    # ------------------------------------------------------------------ message thread

    async def follow(self) -> None:
        """Serve the SD until ``3099 Job ... end``; a lost connection is fatal for the job."""
        job = self.job
        try:
            while True:
                frame = await self.stream.receive(timeout=math.inf)
                if isinstance(frame, SignalFrame):
                    if frame.signal is Signal.TERMINATE:
                        self.terminated = True
                        raise PeerClosedError("Storage daemon ended the session")
                    await self._answer_signal(frame.signal)
                    continue
                assert isinstance(frame, Packet)
                msg = await self._dispatch_unsolicited(frame.payload)
                if msg is None or isinstance(msg, JobStart):
                    continue
                if isinstance(msg, SdJobEnd):
                    self.ended = msg
                    self.sd_status = chr(int(msg.status))
                    log.info("sd.job_end", jobid=job.job_id, storage=self.store_res.name,
                             status=self.sd_status, files=msg.job_files, bytes=msg.job_bytes)  # fmt: skip
                    await self._drain()
                    return
                await self._catalog_request(msg, frame.payload)
        except (BareosError, trio.TooSlowError) as exc:
            self.sd_status = "E"
            log.warning("sd.lost", jobid=job.job_id, storage=self.store_res.name, reason=str(exc))
            job.fatal("Director's comm line to SD dropped.\n")

    async def _drain(self) -> None:
        """After ``3099`` the SD says EOD and ends its session; let it, briefly, then close."""
        with trio.move_on_after(DRAIN_TIMEOUT):
            try:
                while True:
                    frame = await self.stream.receive(timeout=DRAIN_TIMEOUT)
                    if isinstance(frame, SignalFrame) and frame.signal is Signal.TERMINATE:
                        self.terminated = True
                        return
            except (BareosError, trio.TooSlowError):
                return

    async def _catalog_request(self, msg: Any, payload: bytes) -> None:
        cat = self.job.rt.catalog
        reply: bytes | None
        try:
            if isinstance(msg, CatReqFindMedia):
                reply = self._find_media(msg)
            elif isinstance(msg, CatReqGetVolInfo):
                reply = self._get_vol_info(msg)
            elif isinstance(msg, CatReqUpdateMedia):
                reply = self._update_media(msg)
            elif isinstance(msg, CatReqCreateJobMedia):
                cat.create_jobmedia(
                    self.catalog_job_id, media_id=msg.media_id, first_index=msg.first_index,
                    last_index=msg.last_index, start_file=msg.start_file, end_file=msg.end_file,
                    start_block=msg.start_block, end_block=msg.end_block, copy=msg.copy,
                    stripe=msg.stripe,
                )  # fmt: skip
                media = cat.media_by_id(msg.media_id)
                if media is not None and msg.last_index > 0 and media.volume not in self.volumes:
                    self.volumes.append(media.volume)
                reply = b"1000 OK CreateJobMedia\n"
            elif isinstance(msg, CatReqDeleteNullJobmediaRecords):
                cat.delete_null_jobmedia(self.catalog_job_id)
                reply = b"1000 OK DeleteNullJobmediaRecords\n"
            elif isinstance(msg, UpdCatFileAttributes):
                self._attributes(msg)
                reply = None
            elif isinstance(msg, CatReqUpdateJobRecord):
                cat.update_job(self.catalog_job_id, files=msg.job_files, bytes=msg.job_bytes)
                reply = None
            elif isinstance(msg, CatReqUpdateFileList):
                reply = None
            else:
                text = _text(payload)
                log.warning("sd.unexpected", jobid=self.job.job_id, message=text[:200])
                if payload.startswith((b"CatReq", b"Catreq")):
                    reply = f"1990 Invalid Catalog Request: {text}".encode()
                    self.job.fatal(f"Invalid Catalog request: {text}\n")
                else:
                    reply = None
        except CatalogError as exc:
            self.job.warning(f"{exc}\n")
            reply = (
                b"1901 No Media.\n" if isinstance(msg, CatReqFindMedia) else b"1992 Catalog error\n"
            )
        if reply is not None:
            await self.send(reply)

    def _pool_res(self, name: str) -> Any | None:
        if self.write_pool is not None and self.write_pool.name == name:
            return self.write_pool
        return self.job.rt.cfg.get("pool", name)

    def _find_media(self, msg: CatReqFindMedia) -> bytes:
        pool = self._pool_res(msg.pool_name)
        if pool is None:
            log.warning("sd.unknown_pool", pool=msg.pool_name)
            return b"1901 No Media.\n"
        unwanted = [v for v in msg.unwanted_volumes.replace(",", "|").split("|") if v]
        rec = self.job.rt.catalog.find_media(
            pool=pool.name,
            media_type=msg.media_type,
            storage=self.store_res.name,
            unwanted=unwanted,
            label_format=pool.get("LabelFormat"),
            max_vol_bytes=int(pool.get("MaximumVolumeBytes") or 0),
            max_volumes=int(pool.get("MaximumVolumes") or 0),
        )
        return media_info(rec).encode()

    def _get_vol_info(self, msg: CatReqGetVolInfo) -> bytes:
        rec = self.job.rt.catalog.media(msg.volume)
        if rec is None:
            return f'1997 Volume "{msg.volume}" not in catalog.\n'.encode()
        if msg.write:
            pool = self.write_pool or self.job.pool_res
            reason = None
            if pool is not None and rec.pool != pool.name:
                reason = "not in Pool"
            elif rec.media_type != str(self.store_res.get("MediaType")):
                reason = "not correct MediaType"
            elif rec.vol_status not in ("Append", "Recycle", "Purged"):
                reason = "not Append, Purged or Recycle"
            if reason is not None:
                return (f'1998 Volume "{rec.volume}" catalog status is {rec.vol_status}, '
                        f"{reason}.\n").encode()  # fmt: skip
        return media_info(rec).encode()

    def _update_media(self, msg: CatReqUpdateMedia) -> bytes:
        cat = self.job.rt.catalog
        before = cat.media(msg.volume)
        if before is None:
            return f"1991 Catalog Request for vol={msg.volume} failed: not in catalog".encode()
        rec = cat.update_media(
            msg.volume,
            vol_jobs=msg.vol_jobs, vol_files=msg.vol_files, vol_blocks=msg.vol_blocks,
            vol_bytes=msg.vol_bytes, vol_mounts=msg.vol_mounts, vol_errors=msg.vol_errors,
            vol_writes=msg.vol_writes, vol_status=msg.vol_status, slot=msg.slot,
            in_changer=msg.in_changer, vol_read_time=msg.vol_read_time,
            vol_write_time=msg.vol_write_time, last_written=msg.end_time or None,
            first_written=msg.vol_first_written or None,
            storage=self.store_res.name if msg.vol_writes > before.vol_writes else None,
        )  # fmt: skip
        assert rec is not None
        return media_info(rec).encode()

    def _attributes(self, msg: UpdCatFileAttributes) -> None:
        record = msg.record
        stream = record.stream & STREAM_MASK
        cat = self.job.rt.catalog
        if stream in _ATTRIBUTE_STREAMS:
            try:
                attrs_rec = AttributeRecord.parse(record.data)
            except ProtocolError as exc:
                self.job.warning(f"Error decoding file attributes: {exc}\n")
                return
            cat.add_attributes(self.catalog_job_id, attrs_rec)
            self.attributes += 1
        elif is_digest(stream):
            cat.add_digest(self.catalog_job_id, record.file_index, stream, record.data)


class _Unknown:
    """A line no message class accepts (kept so an error can quote it)."""

    def __init__(self, payload: bytes) -> None:
        self.payload = payload


def _device_names(store: Any) -> list[str]:
    value = store.get("Device") or ()
    if isinstance(value, str):
        return [value]
    return [getattr(item, "name", None) or str(item) for item in value]


def storage_devices(store: Any) -> list[str]:
    return _device_names(store)
