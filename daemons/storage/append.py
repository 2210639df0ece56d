"""Writing a job's records to a volume, and the catalog traffic around it.

:class:`AppendTarget` is one job's write position on one volume.  It is
acquired like Bareos acquires a device for appending (``stored/append.cc``
``SetupDCR``, ``stored/mount.cc``), with the same Director conversation as
the lab transcripts show for a just-in-time reservation:

1. ``Jmsg`` "JustInTime Reservation: Finding drive to reserve.", ``Status S``;
2. ``CatReq FindMedia=1`` -> the volume to use (``1901 No Media.``: we label
   ``<Pool>-0001`` ourselves and go on without catalog updates if the
   Director does not know it);
3. ``Jmsg`` "Using Device ... to write.", ``CatReq GetVolInfo ... write=1`` twice;
4. an existing volume file: "Moving to end of data ..." and "Ready to append
   to end of Volume ... size=N" (or the "sizes do not match ... Correcting
   Catalog" warning, followed by an ``UpdateMedia``); a missing one is
   labelled ("Labeled new Volume ...", ``UpdateMedia ... relabel=1``);
5. ``UpdateMedia`` with VolMounts+1, then with VolJobs+1; ``Status R``;
6. ``CatReq CreateJobMedia`` with all zeros (Bareos's placeholder record).

Records are collected into blocks of the Device's ``Maximum Block Size``;
each block is one write + fsync and counts as one VolBlock/VolWrite.  When a
block is written, the attribute and digest records of the files it
completed go to the Director (``UpdCat``), as Bareos does at block changes.
:meth:`AppendTarget.finish` writes the EOS label, the last block, the
remaining attributes, then "Releasing device", ``CreateJobMedia`` and the
final ``UpdateMedia``.
"""

from __future__ import annotations

import time
from typing import Any

import attrs
import structlog
import trio

from bareosnet.errors import BareosError
from bareosnet.proto.jobcmds import MediaInfo, MessageType
from bareosnet.proto.streams import STREAM_MASK, CatalogRecord, Stream, is_digest_stream
from daemons.storage.devices import (
    EOS_LABEL,
    SOS_LABEL,
    DeviceUse,
    PendingRecord,
    SessionLabel,
    SharedVolume,
    archive_dir,
    block_size,
    print_name,
)
from daemons.storage.dirlink import DirectorLink, reply_text
from daemons.storage.interfaces import SdDaemon
from daemons.storage.sdjob import JS_RUNNING, JS_WAIT_SD, SdJob, StorageRequest

log = structlog.get_logger("bareos.sd.job")

# Record header overhead in our volume format, for block accounting.
_RECORD_OVERHEAD = 32
_ATTRIBUTE_STREAMS = frozenset({Stream.UNIX_ATTRIBUTES, Stream.UNIX_ATTRIBUTES_EX,
                                Stream.RESTORE_OBJECT})  # fmt: skip


def is_catalog_stream(stream: int) -> bool:
    """Bareos ``IsAttribute``: attributes, restore objects and digests go to the catalog."""
    return (stream & STREAM_MASK) in _ATTRIBUTE_STREAMS or is_digest_stream(stream)


def fallback_volume_name(pool: str) -> str:
    return f"{pool or 'Default'}-0001"


@attrs.define(eq=False)
class AppendTarget:
    daemon: SdDaemon
    job: SdJob
    link: DirectorLink
    device: Any  # Device resource
    request: StorageRequest
    volume: SharedVolume
    vol: MediaInfo  # what the catalog says (kept up to date from the Director's answers)
    catalog: bool  # the Director knows the volume
    pending: list[PendingRecord] = attrs.field(factory=list)
    pending_bytes: int = 0
    first_address: int | None = None
    end_address: int = 0
    first_index: int = 0
    last_index: int = 0
    blocks: int = 0
    write_micros: int = 0
    # catalog records of files not yet sent (FileIndex, record)
    attributes: list[CatalogRecord] = attrs.field(factory=list)
    block_limit: int = 0

    @property
    def volume_name(self) -> str:
        return self.vol.volume

    # ------------------------------------------------------------ acquire

    @classmethod
    async def acquire(
        cls, daemon: SdDaemon, job: SdJob, link: DirectorLink, *, jit: bool
    ) -> AppendTarget | None:
        request = job.append_request
        if request is None or not job.devices:
            await link.fatal("Could not reserve any device for this job.\n")
            return None
        if jit:
            await link.info("JustInTime Reservation: Finding drive to reserve.\n")
            await link.send_status(JS_WAIT_SD)
        device = job.devices[0]
        n_devices = max(1, len(daemon.config.all("Device")))
        ask_limit = n_devices + (n_devices >> 3)
        vol: MediaInfo | None = None
        for index in range(1, ask_limit + 1):
            answer = await link.find_media(index, request.pool_name, request.media_type, "")
            if isinstance(answer, MediaInfo):
                vol = answer
            else:
                log.info("job.no_media", job=job.job, answer=reply_text(answer))
            break
        name = vol.volume if vol is not None else fallback_volume_name(request.pool_name)
        if jit:
            await link.info(f"Using Device {print_name(device)} to write.\n")
        refused: bytes | None = None
        for _ in range(2):
            answer = await link.get_vol_info(name, write=True)
            if isinstance(answer, MediaInfo):
                vol = answer
            else:
                refused = answer
        catalog = refused is None
        if refused is not None:
            await link.jmsg(
                MessageType.WARNING,
                f'Volume "{name}" is not in the catalog ({reply_text(refused).strip()}); '
                "writing without catalog updates.\n",
            )
        path = archive_dir(device) / name
        try:
            volume, labelled = await daemon.volumes.open_append(
                path, name, request.media_type or str(device.get("MediaType") or "")
            )
        except (OSError, BareosError) as exc:
            await link.fatal(f'Cannot open Volume "{name}" on device {print_name(device)}: {exc}\n')
            return None
        size = volume.writer.position
        try:
            if vol is None or not catalog:
                vol = MediaInfo(volume=name, vol_bytes=size if not labelled else 0, vol_status="Append")
            target = cls(daemon, job, link, device, request, volume, vol, catalog,
                         block_limit=block_size(device))  # fmt: skip
            if labelled:
                target.vol = attrs.evolve(target.vol, vol_bytes=size, vol_status="Append")
                await target._update_media(relabel=True)
                await link.info(f'Labeled new Volume "{name}" on device {print_name(device)}.\n')
            else:
                await link.info(f'Moving to end of data on volume "{name}"\n')
                if size == target.vol.vol_bytes:
                    await link.info(f'Ready to append to end of Volume "{name}" size={size}\n')
                else:
                    await link.jmsg(
                        MessageType.WARNING,
                        f'For Volume "{name}":\nThe sizes do not match! Volume={size} '
                        f"Catalog={target.vol.vol_bytes}\nCorrecting Catalog\n",
                    )
                    target.vol = attrs.evolve(target.vol, vol_bytes=size, vol_files=size >> 32)
                    await target._update_media()
            target.vol = attrs.evolve(target.vol, vol_mounts=target.vol.vol_mounts + 1)
            await target._update_media()
            target.vol = attrs.evolve(target.vol, vol_jobs=target.vol.vol_jobs + 1)
            await target._update_media()
            job.device_use = DeviceUse(device.name, str(device.get("ArchiveDevice") or ""), name,
                                       request.pool_name, request.media_type)  # fmt: skip
            daemon.device_in_use(job.device_use, True)
            await link.send_status(JS_RUNNING)
            if catalog and not await link.create_job_media(0, 0, 0, 0, target.vol.media_id):
                await link.fatal("Error creating JobMedia record: placeholder refused\n")
            target._add(SOS_LABEL, job.job_id, target._label("SOS"))
            log.info("job.volume_acquired", job=job.job, volume=name, device=device.name,
                     labelled=labelled, size=size)  # fmt: skip
            return target
        except BaseException:
            with trio.CancelScope(shield=True):
                await daemon.volumes.release(volume)
                if job.device_use is not None:
                    daemon.device_in_use(job.device_use, False)
                    job.device_use = None
            raise

    async def _update_media(self, *, relabel: bool = False) -> None:
        if not self.catalog:
            return
        answer = await self.link.update_media(self.vol, relabel=relabel)
        if isinstance(answer, MediaInfo):
            self.vol = answer
        else:
            await self.link.fatal(f"Error updating Volume info: {reply_text(answer)}")

    # ------------------------------------------------------------ records

    def _label(self, kind: str) -> bytes:
        job = self.job
        return SessionLabel(kind, job.job, job.job_id, job.status, job.files, job.bytes,
                            int(time.time())).encode()  # fmt: skip

    def _add(self, file_index: int, stream: int, data: bytes) -> None:
        job = self.job
        self.pending.append((job.vol_session_id, job.vol_session_time, file_index, stream, data))
        self.pending_bytes += len(data) + _RECORD_OVERHEAD

    async def add(self, file_index: int, stream: int, data: bytes) -> None:
        """One data packet of the session = one record."""
        if self.first_index == 0:
            self.first_index = file_index
        self.last_index = file_index
        self._add(file_index, stream, data)
        self.job.bytes += len(data)
        if is_catalog_stream(stream):
            job = self.job
            self.attributes.append(
                CatalogRecord(job.vol_session_id, job.vol_session_time, file_index, stream, data)
            )
        if self.pending_bytes >= self.block_limit:
            await self.flush(current_index=file_index)

    async def flush(self, *, current_index: int | None = None) -> None:
        """Write the pending block; send the catalog records of completed files."""
        if self.pending:
            done = await self.daemon.volumes.write(self.volume, self.pending)
            if self.first_address is None:
                self.first_address = done.first
            self.end_address = done.end
            self.blocks += 1
            self.write_micros += done.micros
            self.pending, self.pending_bytes = [], 0
            self.daemon.publish(self.job)
        if current_index is not None:
            await self.send_attributes(before=current_index)

    async def send_attributes(self, *, before: int | None = None) -> None:
        if self.job.command.no_attr:
            self.attributes.clear()
            return
        keep: list[CatalogRecord] = []
        for rec in self.attributes:
            if before is not None and rec.file_index >= before:
                keep.append(rec)
            else:
                await self.link.file_attributes(rec)
        self.attributes = keep

    # ------------------------------------------------------------ end

    async def finish(self, ok: bool) -> None:
        """EOS label, last block, attributes, "Releasing device", JobMedia, UpdateMedia."""
        job, link = self.job, self.link
        # The local part always completes (even when the job is being cancelled):
        # the session's end is on the volume and the file is closed.
        with trio.CancelScope(shield=True):
            try:
                self._add(EOS_LABEL, job.job_id, self._label("EOS"))
                await self.flush()
            finally:
                await self.daemon.volumes.release(self.volume)
                if job.device_use is not None:
                    self.daemon.device_in_use(job.device_use, False)
                    job.device_use = None
        if link.gone:
            return
        if ok and not job.is_canceled:
            await self.send_attributes()
        await link.info(f"Releasing device {print_name(self.device)}.\n")
        if not self.catalog:
            return
        start = self.first_address or 0
        end = max(start, self.end_address - 1)
        if not (self.first_index == 0 and start != 0):
            if not await link.create_job_media(self.first_index, self.last_index, start, end,
                                               self.vol.media_id):  # fmt: skip
                await link.fatal("Error creating JobMedia record: refused by the Director\n")
        self.vol = attrs.evolve(
            self.vol,
            vol_blocks=self.vol.vol_blocks + self.blocks,
            vol_bytes=self.end_address,
            vol_files=self.end_address >> 32,
            vol_writes=self.vol.vol_writes + self.blocks,
            vol_write_time=self.vol.vol_write_time + self.write_micros,
        )
        await self._update_media()
        log.info("job.volume_released", job=job.job, volume=self.volume_name,
                 first=start, end=self.end_address, blocks=self.blocks)  # fmt: skip
