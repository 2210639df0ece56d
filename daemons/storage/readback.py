"""Reading a job's records back from volumes, as a bootstrap selects them.

Used by restores (records go to the File daemon as ``rechdr`` header + one
data packet each, ``stored/read.cc``) and by replication (records go to the
writing SD as ``<FileIndex> <Stream> 0`` header, data packets, EOD per
stream, ``stored/mac.cc``).  The Director sees the same messages as from a
real SD: ``GetVolInfo ... write=0``, "Ready to read from volume", "Forward
spacing Volume ... to file:block", "End of Volume at file ...", "End of all
volumes.", "Releasing device" and a final ``UpdateMedia`` with the read time.

Nothing unchecked reaches the peer: every record passed its CRC in the
volume reader, and a session whose EOS label is missing or reports a failed
job stops the read with a fatal job message (its records are incomplete).
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from itertools import groupby
from pathlib import Path
from typing import Any

import attrs
import structlog
import trio

from bareosnet.errors import BareosError
from bareosnet.proto.bootstrap import BootstrapEntry
from bareosnet.proto.jobcmds import MediaInfo
from daemons.storage.devices import (
    DeviceUse,
    SessionLabel,
    archive_dir,
    print_name,
    read_batches,
    session_endings,
)
from daemons.storage.dirlink import DirectorLink, reply_text
from daemons.storage.interfaces import SdDaemon
from daemons.storage.sdjob import SdJob
from daemons.storage.volume import VolumeRecord, read_label

log = structlog.get_logger("bareos.sd.job")

READ_BATCH_BYTES = 4 * 1024 * 1024
GOOD_SESSION_STATUSES = frozenset("TW")

type Deliver = Callable[[VolumeRecord], Awaitable[None]]


@attrs.define(eq=False)
class ReadSource:
    """The volumes of a job's bootstrap on its read device."""

    daemon: SdDaemon
    job: SdJob
    link: DirectorLink
    device: Any
    groups: list[tuple[str, list[BootstrapEntry]]]
    vol: MediaInfo | None = None
    catalog: bool = False
    read_micros: int = 0
    current: str = ""

    @classmethod
    def plan(cls, daemon: SdDaemon, job: SdJob, link: DirectorLink) -> ReadSource | None:
        bsr = job.bootstrap
        if bsr is None or not bsr.entries or not job.read_devices:
            return None
        groups = [(name, list(entries)) for name, entries in groupby(bsr.entries,
                                                                      key=lambda e: e.volume)]  # fmt: skip
        return cls(daemon, job, link, job.read_devices[0], groups)

    def path(self, volume: str) -> Path:
        return archive_dir(self.device) / volume

    async def mount(self, volume: str) -> bool:
        """``GetVolInfo write=0``, open the file, "Ready to read from volume"."""
        link = self.link
        answer = await link.get_vol_info(volume, write=False)
        self.catalog = isinstance(answer, MediaInfo)
        self.vol = answer if isinstance(answer, MediaInfo) else None
        if not self.catalog:
            log.info("job.volume_not_in_catalog", job=self.job.job, volume=volume,
                     answer=reply_text(answer) if isinstance(answer, bytes) else "")  # fmt: skip
        try:
            await trio.to_thread.run_sync(read_label, self.path(volume))
        except (OSError, BareosError) as exc:
            await link.fatal(
                f'Cannot read Volume "{volume}" on device {print_name(self.device)}: {exc}\n'
            )
            return False
        self.current = volume
        use = DeviceUse(self.device.name, str(self.device.get("ArchiveDevice") or ""), volume,
                        "", str(self.device.get("MediaType") or ""), reading=True)  # fmt: skip
        self.job.device_use = use
        self.job.reading = True
        self.daemon.device_in_use(use, True)
        await link.info(
            f'Ready to read from volume "{volume}" on device {print_name(self.device)}.\n'
        )
        return True

    async def unmount(self) -> None:
        """Release the device; send the read statistics (``UpdateMedia``)."""
        if self.job.device_use is not None:
            self.daemon.device_in_use(self.job.device_use, False)
            self.job.device_use = None
        if self.link.gone or not self.current:
            return
        await self.link.info(f"Releasing device {print_name(self.device)}.\n")
        if self.catalog and self.vol is not None:
            vol = attrs.evolve(self.vol, vol_read_time=self.vol.vol_read_time + self.read_micros)
            answer = await self.link.update_media(vol)
            if not isinstance(answer, MediaInfo):
                await self.link.fatal(f"Error updating Volume info: {reply_text(answer)}")
        self.read_micros = 0
        self.current = ""

    async def read_all(self, deliver: Deliver) -> bool:
        """Deliver every selected record of every volume; False after a fatal error."""
        for number, (volume, entries) in enumerate(self.groups):
            if number > 0:
                await self.unmount()
                if not await self.mount(volume):
                    return False
            if not await self._read_volume(volume, entries, deliver):
                return False
        await self.link.info("End of all volumes.\n")
        return True

    async def _read_volume(self, volume: str, entries: list[BootstrapEntry],
                           deliver: Deliver) -> bool:  # fmt: skip
        link, path = self.link, self.path(volume)
        ranges = [r for e in entries for r in e.vol_addr]
        bounded = all(e.vol_addr for e in entries) and ranges
        start = min(r.first for r in ranges) if bounded else None
        end = max(r.last for r in ranges) if bounded else None
        if start:
            await link.info(
                f'Forward spacing Volume "{volume}" to file:block '
                f"{start >> 32}:{start & 0xFFFFFFFF}.\n"
            )

        def select(sid: int, stime: int, findex: int) -> bool:
            return findex >= 0 and any(e.matches(sid, stime, findex) for e in entries)

        began = time.perf_counter()
        try:
            endings = await trio.to_thread.run_sync(session_endings, path)
        except (OSError, BareosError) as exc:
            await link.fatal(f'Error reading Volume "{volume}": {exc}\n')
            return False
        batches = read_batches(path, start=start, end=end, select=select,
                               max_bytes=READ_BATCH_BYTES)  # fmt: skip
        checked: set[tuple[int, int]] = set()
        try:
            while True:
                try:
                    batch = await trio.to_thread.run_sync(next, batches, None)
                except (OSError, BareosError) as exc:
                    await link.fatal(f'Error reading Volume "{volume}": {exc}\n')
                    return False
                if batch is None:
                    break
                for rec in batch:
                    session = (rec.vol_session_id, rec.vol_session_time)
                    if session not in checked:
                        if not await self._check_session(volume, session, endings.get(session)):
                            return False
                        checked.add(session)
                    await deliver(rec)
        finally:
            await trio.to_thread.run_sync(batches.close)
            self.read_micros += max(1, int((time.perf_counter() - began) * 1_000_000))
        size = path.stat().st_size
        await link.info(
            f"End of Volume at file {size >> 32} on device {print_name(self.device)}, "
            f'Volume "{volume}"\n'
        )
        return True

    async def _check_session(
        self, volume: str, session: tuple[int, int], label: SessionLabel | None
    ) -> bool:
        if label is not None and label.status in GOOD_SESSION_STATUSES:
            return True
        sid, stime = session
        why = ("it has no end-of-session label (the job never finished writing)" if label is None
               else f"JobId {label.job_id} ended with JobStatus={label.status}")  # fmt: skip
        await self.link.fatal(
            f'Volume "{volume}" session {sid}/{stime} is incomplete: {why}; '
            "its records are not sent.\n"
        )
        log.warning("job.incomplete_session", job=self.job.job, volume=volume, session=sid,
                    session_time=stime, status=label.status if label else None)  # fmt: skip
        return False
