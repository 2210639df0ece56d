"""The Storage daemon's ``status`` and ``.status`` texts (pure functions).

Shapes follow the 26 lab transcript ``stream02-to-storage-daemon``: header
(note the blank before the newline of the first line), job inventory, jobs
waiting for a drive, terminated jobs, device status, used volumes and the
spooling block, each closed by its ``====`` rule.  ``status <devices>`` lists
only the devices (and autochangers) named in the comma-separated list,
matched case-insensitively, as Bareos does; a bare ``status`` lists none.
"""

from __future__ import annotations

import platform
from collections.abc import Sequence
from typing import Any

import attrs

from bareosnet.proto.hello import Persona
from daemons.common import texts
from daemons.common.commands import (
    DotStatus,
    JobResult,
    dot_status_current,
    dot_status_last,
    job_status_text,
    job_type_text,
    level_text,
    short_job_name,
    terminated_jobs_lines,
    with_commas,
)
from daemons.storage.jobs import RunningJob

RULE_LENGTH = 67  # the SD's "====" rule under the terminated jobs header


@attrs.frozen
class DeviceView:
    name: str
    archive_device: str
    autochanger: str | None = None  # name of the Autochanger resource it belongs to
    drive_index: int = 0
    count: int = 1
    # Open state (the volume code fills these in); None = not open.
    volume: str | None = None
    pool: str = ""
    media_type: str = ""

    @property
    def print_name(self) -> str:
        return f'"{self.name}" ({self.archive_device})'


@attrs.frozen
class AutochangerView:
    name: str
    devices: tuple[str, ...]


@attrs.frozen
class SdStatusView:
    name: str
    persona: Persona
    started: float
    jobs_run: int = 0
    bwlimit: int = 0  # bytes per second
    secure_erase: str | None = None
    devices: tuple[DeviceView, ...] = ()
    autochangers: tuple[AutochangerView, ...] = ()
    running: tuple[RunningJob, ...] = ()
    terminated: tuple[JobResult, ...] = ()
    volume_lines: tuple[str, ...] = ()  # "Used Volume status" entries (volume code)


def devices_from_config(cfg: Any) -> tuple[tuple[DeviceView, ...], tuple[AutochangerView, ...]]:
    changers = tuple(
        AutochangerView(r.name, tuple(r.get("Device") or ())) for r in cfg.all("Autochanger")
    )
    owner = {dev: ch.name for ch in changers for dev in ch.devices}
    devices = tuple(
        DeviceView(
            name=r.name,
            archive_device=str(r.get("ArchiveDevice") or ""),
            autochanger=owner.get(r.name),
            drive_index=int(r.get("DriveIndex") or 0),
            count=int(r.get("Count") or 1),
            media_type=str(r.get("MediaType") or ""),
        )
        for r in cfg.all("Device")
    )
    return devices, changers


def header_lines(v: SdStatusView) -> list[str]:
    p = v.persona
    version, date = texts.version(p), texts.release_date(p)
    started = texts.bareos_time(v.started)
    running = len(v.running)
    bw = with_commas(v.bwlimit // 1024)
    if p is Persona.V17_2:
        host = f"{platform.machine()}-unknown-linux-gnu"
        lines = [
            f"{v.name} Version: {version} ({date}) {host} {texts.os_id()} {texts.os_name()}\n",
            f"Daemon started {started}. Jobs: run={v.jobs_run}, running={running}.\n",
            " Heap: heap=0 smbytes=31,266 max_bytes=31,655 bufs=74 max_bufs=77\n",
            f" Sizes: boffset_t=8 size_t=8 int32_t=4 int64_t=8 mode=0 bwlimit={bw}kB/s\n",
        ]
    else:
        lines = [
            f"{v.name} Version: {version} ({date}) {texts.os_name()} \n",
            f"Daemon started {started}. Jobs: run={v.jobs_run}, running={running}, "
            f"{texts.BINARY_INFO} binary\n",
            f" Sizes: boffset_t=8 size_t=8 int32_t=4 int64_t=8 bwlimit={bw}kB/s\n",
        ]
    if v.secure_erase:
        lines.append(f" secure erase command='{v.secure_erase}'\n")
    return lines


def running_lines(v: SdStatusView, *, api: bool = False) -> list[str]:
    out = [] if api else ["\nJob inventory:\n\n"]
    found = False
    for j in v.running:
        if j.status == "F":
            out.append(f"{job_type_text(j.job_type)} Job {j.job} waiting for Client connection.\n")
        if j.device is None:
            continue
        found = True
        out.append(
            f"JobId={j.job_id} Level={level_text(j.level)} Type={job_type_text(j.job_type)} "
            f"Name={short_job_name(j.job)} Status={job_status_text(j.status)}\n"
        )
        what = "Reading" if j.reading else "Writing"
        out.append(f'{what}: Volume="{j.volume}"\n    pool="{j.pool}" device={j.device}\n')
        if not j.reading:
            out.append(
                f"    spooling={int(j.spooling)} despooling={int(j.despooling)} "
                f"despool_wait={int(j.despool_wait)}\n"
            )
        out.append(
            f"    Files={with_commas(j.files)} Bytes={with_commas(j.bytes)} "
            f"AveBytes/sec={with_commas(j.average_rate)} LastBytes/sec={with_commas(j.last_rate)}\n"
        )
        if j.fd_read_seqno is not None:
            out.append(
                f"    FDReadSeqNo={with_commas(j.fd_read_seqno)} in_msg={j.fd_in_msg} "
                f"out_msg={j.fd_out_msg} fd={j.fd_fd}\n\n"
            )
        else:
            out.append("    FDSocket closed\n\n")
    if not found and not api:
        out.append("No Jobs running.\n")
    if not api:
        out.append("====\n")
    return out


def reservation_lines(v: SdStatusView, *, api: bool = False) -> list[str]:
    out = [] if api else ["\nJobs waiting to reserve a drive:\n"]
    for j in v.running:
        for msg in j.reserve_messages:
            out += ["   ", msg]
    if not api:
        out.append("====\n")
    return out


def terminated_lines(v: SdStatusView, *, api: bool = False) -> list[str]:
    return terminated_jobs_lines(
        v.terminated, api=api, rule_length=RULE_LENGTH, warnings_text="OK -- with warnings"
    )


def _wanted(names: Sequence[str] | None, *candidates: str | None) -> bool:
    if names is None:
        return True
    lowered = {n.lower() for n in names}
    return any(c is not None and c.lower() in lowered for c in candidates)


def device_lines(v: SdStatusView, names: Sequence[str] | None, *, api: bool = False) -> list[str]:
    """``names`` None = every device (``.status devices``)."""
    out = [] if api else ["\nDevice status:\n"]
    for ch in v.autochangers:
        if not _wanted(names, ch.name):
            continue
        out.append(f'Autochanger "{ch.name}" with devices:\n')
        by_name = {d.name: d for d in v.devices}
        for dev_name in ch.devices:
            dev = by_name.get(dev_name)
            out.append(f"   {dev.print_name if dev else dev_name}\n")
    for dev in v.devices:
        if not _wanted(names, dev.name, dev.autochanger):
            continue
        if dev.count > 1:
            continue
        if dev.volume is not None:
            out.append(
                f"\nDevice {dev.print_name} is mounted with:\n"
                f"    Volume:      {dev.volume}\n"
                f"    Pool:        {dev.pool or '*unknown*'}\n"
                f"    Media type:  {dev.media_type}\n"
            )
        else:
            out.append(f"\nDevice {dev.print_name} is not open.\n")
        if dev.autochanger is not None:
            out.append(f"    Drive {dev.drive_index} is not loaded.\n")
        if not api:
            out.append("==\n")
    if not api:
        out.append("====\n\n")
    return out


def status_lines(v: SdStatusView, device_names: Sequence[str]) -> list[str]:
    """The packets of ``status <devices>`` after the leading ``\\n`` packet."""
    out = header_lines(v) + running_lines(v) + reservation_lines(v) + terminated_lines(v)
    out += device_lines(v, device_names)
    out.append("Used Volume status:\n")
    out += list(v.volume_lines)
    out.append("====\n\n")
    # Spooling statistics print nothing until a job spooled.
    out.append("====\n\n")
    return out


def parse_device_names(text: str) -> list[str]:
    """``status FileStorage,Other`` -> names (unbashed); a bare ``status`` -> []."""
    words = text[len("status") :].split()
    if not words:
        return []
    return [n for n in words[0].replace("\x01", " ").split(",")]


OK_DOT_STATUS = "3000 OK .status\n"


def dot_status(v: SdStatusView, text: str) -> DotStatus:
    words = text[len(".status") :].split()
    arg = words[0][:127].replace("\x01", " ") if words else ""
    match arg.lower():
        case "current":
            return dot_status_current(OK_DOT_STATUS, v.running)
        case "last":
            return dot_status_last(OK_DOT_STATUS, v.terminated)
        case "header":
            return DotStatus(True, header_lines(v), True)
        case "running":
            return DotStatus(True, running_lines(v, api=True), True)
        case "waitreservation":
            return DotStatus(True, reservation_lines(v, api=True), True)
        case "devices":
            return DotStatus(True, device_lines(v, None, api=True), True)
        case "volumes":
            return DotStatus(True, list(v.volume_lines), True)
        case "spooling":
            return DotStatus(True, [], True)
        case "terminated":
            return DotStatus(True, terminated_lines(v, api=True), True)
    return DotStatus(False, [f"3900 Unknown arg in .status command: {text}\n"], False)
