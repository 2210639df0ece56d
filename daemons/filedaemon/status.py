"""The File daemon's ``status`` and ``.status`` texts, per persona (pure functions).

Each returned string is one status packet (usually one line; a few Bareos
packets hold two lines).  The shapes follow what real File daemons send: the
26 lab transcript (``stream01-to-file-daemon``) and the 17.2 one
(``legacy-17.2-fd-status``); 18.2 (22.x) puts two blanks between the date and
the OS, 17.2 adds its build host words and a ``Heap:`` line.
"""

from __future__ import annotations

import platform
import time

import attrs

from bareosnet.proto.hello import Persona
from daemons.common import texts
from daemons.common.commands import (
    DotStatus,
    JobResult,
    dot_status_current,
    dot_status_last,
    job_type_text,
    level_text,
    terminated_jobs_lines,
    with_commas,
)
from daemons.filedaemon.jobs import RunningJob

RULE_LENGTH = 70  # the FD's "====" rule under the terminated jobs header


@attrs.frozen
class DirectorConnection:
    """A Director (or tray monitor) session, listed as ``<name> (director) connected at``."""

    name: str
    since: float


@attrs.frozen
class FdStatusView:
    """Everything the status texts need, captured at one moment."""

    name: str
    persona: Persona
    started: float
    debug: int = 0
    trace: int = 0
    bwlimit: int = 0  # bytes per second (Maximum Bandwidth Per Job)
    jobs_run: int = 0
    secure_erase: str | None = None
    connections: tuple[DirectorConnection, ...] = ()
    running: tuple[RunningJob, ...] = ()
    terminated: tuple[JobResult, ...] = ()


def bstrutime(ts: float) -> str:
    """Bareos ``bstrutime``: ``2026-11-27 01:10:00``."""
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(ts))


def header_lines(v: FdStatusView) -> list[str]:
    p = v.persona
    version, date = texts.version(p), texts.release_date(p)
    started = texts.bareos_time(v.started)
    running = len(v.running)
    lines: list[str] = []
    if p is Persona.V17_2:
        host = f"{platform.machine()}-unknown-linux-gnu"
        lines.append(
            f"{v.name} Version: {version} ({date})  {host} {texts.os_id()} {texts.os_name()}\n"
        )
        lines.append(f"Daemon started {started}. Jobs: run={v.jobs_run} running={running}.\n")
        # 17.2 reported its smartalloc counters; fixed plausible numbers stand in.
        lines.append(" Heap: heap=0 smbytes=27,496 max_bytes=27,885 bufs=63 max_bufs=66\n")
    else:
        gap = "  " if p is Persona.V18_2 else " "  # 18.2..22 print an empty VSS field
        lines.append(f"{v.name} Version: {version} ({date}){gap}{texts.os_name()}\n")
        lines.append(
            f"Daemon started {started}. Jobs: run={v.jobs_run} running={running}, "
            f"{texts.BINARY_INFO} binary\n"
        )
    lines.append(
        f" Sizeof: boffset_t=8 size_t=8 debug={v.debug} trace={v.trace} "
        f"bwlimit={with_commas(v.bwlimit // 1024)}kB/s\n"
    )
    if v.secure_erase:
        lines.append(f" secure erase command='{v.secure_erase}'\n")
    return lines


def _job_lines_plain(job: RunningJob) -> list[str]:
    started = texts.bareos_time(job.started)
    secs = max(1, int(time.time() - job.started))
    out = [
        f"JobId {job.job_id} Job {job.job} is running.\n",
        f"    {level_text(job.level)} {job_type_text(job.job_type)} Job started: {started}\n",
        f"    Files={with_commas(job.files)} Bytes={with_commas(job.bytes)} "
        f"Bytes/sec={with_commas(job.bytes // secs)} Errors={job.errors}\n"
        f"    Bwlimit={with_commas(job.bwlimit)}\n",
        f"    Files Examined={with_commas(job.files_examined)}\n",
    ]
    if job.files > 0:
        out.append(f"    Processing file: {job.last_file}\n")
    if job.sd_read_seqno is not None:
        out.append(f"    SDReadSeqNo={job.sd_read_seqno} fd={job.sd_fd}\n")
    else:
        out.append("    SDSocket closed.\n")
    return out


def _job_lines_api(job: RunningJob) -> list[str]:
    secs = max(1, int(time.time() - job.started))
    out = [
        f"JobId={job.job_id}\n Job={job.job}\n",
        f" VSS=0\n Level={job.level}\n JobType={job.job_type}\n JobStarted={bstrutime(job.started)}\n",
        f" Files={job.files}\n Bytes={job.bytes}\n Bytes/sec={job.bytes // secs}\n"
        f" Errors={job.errors}\n Bwlimit={job.bwlimit}\n",
        f" Files Examined={job.files_examined}\n",
    ]
    if job.files > 0:
        out.append(f" Processing file={job.last_file}\n")
    if job.sd_read_seqno is not None:
        out.append(f" SDReadSeqNo={job.sd_read_seqno}\n fd={job.sd_fd}\n")
    else:
        out.append(" SDSocket=closed\n")
    return out


def running_lines(v: FdStatusView, *, api: bool = False) -> list[str]:
    """Director sessions first (in the order they came), then jobs."""
    if api:
        out = [f"DirectorConnected={bstrutime(c.since)}\n" for c in v.connections]
        for job in v.running:
            out += _job_lines_api(job)
        return out
    out = ["\nRunning Jobs:\n"]
    out += [
        f"{c.name} (director) connected at: {texts.bareos_time(c.since)}\n" for c in v.connections
    ]
    for job in v.running:
        out += _job_lines_plain(job)
    if not v.running:
        out.append("No Jobs running.\n")
    out.append("====\n")
    return out


def terminated_lines(v: FdStatusView, *, api: bool = False) -> list[str]:
    return terminated_jobs_lines(v.terminated, api=api, rule_length=RULE_LENGTH)


def status_lines(v: FdStatusView) -> list[str]:
    """The packets of ``status`` after the leading ``\\n`` packet."""
    return header_lines(v) + running_lines(v) + terminated_lines(v)


BAD_MISSING = "2900 Bad .status command, missing argument.\n"
BAD_WRONG = "2900 Bad .status command, wrong argument.\n"
OK_DOT_STATUS = "2000 OK .status\n"


def dot_status(v: FdStatusView, text: str) -> DotStatus:
    """``.status <what>``: ``current`` and ``last`` compare case-sensitively, like Bareos."""
    rest = text[len(".status") :]
    words = rest.split()
    arg = words[0].replace("\x01", " ") if words else ""
    if arg == "current":
        return dot_status_current(OK_DOT_STATUS, v.running)
    if arg == "last":
        return dot_status_last(OK_DOT_STATUS, v.terminated)
    match arg.lower():
        case "header":
            return DotStatus(True, header_lines(v), True)
        case "running":
            return DotStatus(True, running_lines(v, api=True), True)
        case "terminated":
            return DotStatus(True, terminated_lines(v, api=True), True)
    return DotStatus(False, [BAD_WRONG], False)
