"""The job report: the block Bareos logs when a job ends, plus the job's connections.

Layout and wording follow the real Director's backup/restore/copy summaries
(see the golden transcripts stream03 and set2-stream06).  The emulator adds
one line per connection of the job before ``Termination:``::

      Director -> File daemon (3):  Handshake: Immediate TLS, Encryption: TLS_CHACHA20_POLY1305_SHA256 TLSv1.3
      File daemon -> Storage daemon (6):  Handshake: Immediate TLS, Encryption: ...
"""

from __future__ import annotations

import time

from bareosnet.proto.compression import software_compression_text
from daemons.common import texts
from daemons.common.commands import job_status_text, level_text, with_commas, with_suffix
from daemons.director.jobs.common import fileset_of
from daemons.director.jobs.control import (
    JS_CANCELED,
    JS_ERROR,
    JS_ERROR_TERMINATED,
    JS_FATAL,
    JS_TERMINATED,
    JS_WARNINGS,
    JobControl,
)


def long_time(ts: float | None) -> str:
    """``27-Nov-2026 01:10:08``."""
    if ts is None:
        return ""
    return time.strftime("%d-%b-%Y %H:%M:%S", time.localtime(ts))


def iso_time(ts: float | None) -> str:
    if ts is None:
        return ""
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(ts))


def elapsed_text(seconds: int) -> str:
    """Bareos ``edit_utime``: ``1 sec``, ``3 secs``, ``1 min 5 secs``, ``2 mins `` ...

    Years (365 days) and months (30 days) as Bareos counts them; a whole number
    of minutes keeps the unit's trailing space, and nothing at all is ``0 secs``.
    """
    out = ""
    for unit, size in (("year", 31536000), ("month", 2592000), ("day", 86400),
                       ("hour", 3600), ("min", 60)):  # fmt: skip
        n, seconds = divmod(seconds, size)
        if n > 0:
            out += f"{n} {unit}{'s' if n > 1 else ''} "
    if seconds == 0 and not out:
        return "0 secs"
    if seconds:
        out += f"{seconds} sec{'s' if seconds > 1 else ''}"
    return out


def size_text(value: int) -> str:
    """``200,154 (200.1 KB)``."""
    return f"{with_commas(value)} ({with_suffix(value)}B)"


def run_time(job: JobControl) -> int:
    """``EndTime - StartTime`` of the catalog record: whole seconds, as printed."""
    end = job.end_time if job.end_time is not None else time.time()
    start = job.start_time if job.start_time is not None else end
    return max(int(end) - int(start), 0)


def rate(job: JobControl, nbytes: int) -> float:
    """KB/s over :func:`run_time`; 0 when no whole second passed (Bareos: RunTime <= 0)."""
    elapsed = run_time(job)
    return nbytes / 1000.0 / elapsed if elapsed > 0 else 0.0


def _line(label: str, value: object) -> str:
    return f"  {label + ':':<24}{value}\n"


def _header(job: JobControl) -> list[str]:
    rt = job.rt
    p = rt.persona
    return [
        f"{rt.settings.name} JobId {job.job_id}: Bareos {rt.settings.name} "
        f"{texts.version(p)} ({texts.short_date(p)}):\n",
        _line("OS Information", texts.os_name()),
        _line("JobId", job.job_id),
        _line("Job", job.job),
    ]


def _tail(job: JobControl, termination: str) -> list[str]:
    lines = [line.line() for line in job.connections]
    lines += [
        _line("Bareos binary info", texts.BINARY_INFO),
        _line("Job triggered by", "User"),
        _line("Termination", termination),
        "\n",
    ]
    return lines


def _catalog_line(job: JobControl) -> str:
    client = job.client_res
    name = client.get("Catalog") if client is not None else None
    source = "Client resource"
    if not name:
        cats = job.rt.cfg.all("catalog")
        name = cats[0].name if cats else "bareosnet"
        source = "Default catalog"
    return _line("Catalog", f'"{name}" (From {source})')


def _with_time_prefix(job: JobControl, lines: list[str]) -> list[str]:
    from daemons.director.jobs.messages import message_time

    return [f"{message_time(job.end_time)} {lines[0]}", *lines[1:]]


def termination(job: JobControl, word: str) -> str:
    """``Backup OK`` / ``*** Backup Error ***`` / ``Backup Canceled`` ..."""
    status = job.status
    if status == JS_TERMINATED:
        return f"{word} OK"
    if status in (JS_WARNINGS, JS_ERROR):
        return f"{word} OK -- with warnings"
    if status == JS_CANCELED:
        return f"{word} Canceled"
    if status in (JS_FATAL, JS_ERROR_TERMINATED):
        return f"*** {word} Error ***"
    return f"Inappropriate term code: {status}"


def settle_status(job: JobControl, *, needs_fd: bool = True) -> None:
    """The job's final status from the FD's and SD's (Bareos: the first error wins)."""
    if job.failed:
        return
    if needs_fd and (not job.fd_ok or job.fd_status != JS_TERMINATED):
        job.set_status(JS_ERROR_TERMINATED if job.fd_status != JS_CANCELED else JS_CANCELED)
        return
    if job.sd_status not in (JS_TERMINATED, JS_WARNINGS):
        job.set_status(JS_ERROR_TERMINATED if job.sd_status != JS_CANCELED else JS_CANCELED)
        return
    if job.fd_errors or job.sd_errors or job.errors:
        job.set_status(JS_WARNINGS)
    else:
        job.set_status(JS_TERMINATED)


def _status_word(code: str) -> str:
    return (
        "OK" if code == JS_TERMINATED else job_status_text(code) if code != "?" else "Waiting on FD"
    )


def _software_compression(job: JobControl) -> str:
    if job.fileset_res is None:
        return "None"
    flags = [o.flags for block in fileset_of(job.fileset_res).includes for o in block.options]
    return software_compression_text(job.fd_read_bytes, job.fd_bytes, flags)


def backup_report(job: JobControl) -> list[str]:
    settle_status(job)
    level = level_text(job.level)
    if job.level in "ID" and job.since_time:
        level += f", since={iso_time(job.since_time)}"
    if job.params.get("upgraded_from"):
        level += f" (upgraded from {job.params['upgraded_from']})"
    uname = f" {job.client_uname}" if job.client_uname else ""
    fs_time = job.params.get("fileset_time")
    volumes = "|".join(job.volumes)
    last_vol = job.rt.catalog.media(job.volumes[-1]) if job.volumes else None
    elapsed = run_time(job)
    lines = _header(job) + [
        _line("Backup Level", level),
        _line("Client", f'"{job.client_name}"{uname}'),
        _line("FileSet", f'"{job.fileset_name}" {iso_time(fs_time)}'.rstrip()),
        _line("Pool", f'"{job.pool_res.name if job.pool_res else ""}" (From {job.sources.get("pool", "Job resource")})'),
        _catalog_line(job),
        _line("Storage", f'"{job.storage_res.name if job.storage_res else ""}" (From {job.sources.get("storage", "Job resource")})'),
        _line("Scheduled time", long_time(job.sched_time)),
        _line("Start time", long_time(job.start_time)),
        _line("End time", long_time(job.end_time)),
        _line("Elapsed time", elapsed_text(elapsed)),
        _line("Priority", job.priority),
        _line("Allow Mixed Priority", "no"),
        _line("FD Files Written", with_commas(job.fd_files)),
        _line("SD Files Written", with_commas(job.sd_files)),
        _line("FD Bytes Read", size_text(job.fd_read_bytes)),
        _line("FD Bytes Written", size_text(job.fd_bytes)),
        _line("SD Bytes Written", size_text(job.sd_bytes)),
        _line("Rate", f"{rate(job, job.fd_bytes):.1f} KB/s"),
        _line("Software Compression", _software_compression(job)),
        _line("VSS", "yes" if job.fd_vss else "no"),
        _line("Encryption", "yes" if job.fd_encrypt else "no"),
        _line("Accurate", "yes" if job.params.get("accurate") else "no"),
        _line("Volume name(s)", volumes),
        _line("Volume Session Id", job.vol_session_id),
        _line("Volume Session Time", job.vol_session_time),
        _line("Last Volume Bytes", size_text(last_vol.vol_bytes if last_vol else 0)),
        _line("Non-fatal FD errors", job.fd_errors),
        _line("SD Errors", job.sd_errors),
        _line("FD termination status", _status_word(job.fd_status) if job.fd_ok else "Error"),
        _line("SD termination status", _status_word(job.sd_status) if job.sd_ended else "Error"),
    ]  # fmt: skip
    if job.fatal_messages:
        lines.append(_line("Error", job.fatal_messages[0]))
    return _with_time_prefix(job, lines + _tail(job, termination(job, "Backup")))


def restore_report(job: JobControl) -> list[str]:
    settle_status(job)
    expected = int(job.params.get("files_expected", 0))
    term = termination(job, "Restore")
    if job.status == JS_TERMINATED and expected != job.fd_files:
        term = "Restore OK -- warning file count mismatch"
    uname = f" {job.client_uname}" if job.client_uname else ""
    elapsed = run_time(job)
    lines = _header(job) + [
        _line("Restore Client", f'"{job.client_name}"{uname}'),
        _line("Start time", long_time(job.start_time)),
        _line("End time", long_time(job.end_time)),
        _line("Elapsed time", elapsed_text(elapsed)),
        _line("Files Expected", with_commas(expected)),
        _line("Files Restored", with_commas(job.fd_files)),
        _line("Bytes Restored", with_commas(job.fd_bytes)),
        _line("Rate", f"{rate(job, job.fd_bytes):.1f} KB/s"),
        _line("FD Errors", job.fd_errors),
        _line("FD termination status", _status_word(job.fd_status) if job.fd_ok else "Error"),
        _line("SD termination status", _status_word(job.sd_status) if job.sd_ended else "Error"),
    ]
    if job.fatal_messages:
        lines.append(_line("Error", job.fatal_messages[0]))
    return _with_time_prefix(job, lines + _tail(job, term))


def copy_report(job: JobControl) -> list[str]:
    settle_status(job, needs_fd=False)
    p = job.params
    elapsed = run_time(job)
    if not p.get("prior_job_id"):
        lines = _header(job)[:2] + [
            _line("Current JobId", job.job_id),
            _line("Current Job", job.job),
            _catalog_line(job),
            _line("Start time", long_time(job.start_time)),
            _line("End time", long_time(job.end_time)),
            _line("Elapsed time", elapsed_text(elapsed)),
            _line("Priority", job.priority),
        ]
        word = "Copy"
        term = termination(job, word)
        if job.status == JS_TERMINATED and not p.get("queued"):
            term = "Copy -- no files to copy"
        return _with_time_prefix(job, lines + _tail(job, term))
    last_vol = job.rt.catalog.media(job.volumes[-1]) if job.volumes else None
    lines = _header(job)[:2] + [
        _line("Prev Backup JobId", p.get("prior_job_id")),
        _line("Prev Backup Job", p.get("prior_job", "")),
        _line("New Backup JobId", p.get("copy_job_id", 0)),
        _line("Current JobId", job.job_id),
        _line("Current Job", job.job),
        _line("Backup Level", level_text(job.level)),
        _line("Client", p.get("prior_client", "")),
        _line("FileSet", f'"{p.get("prior_fileset", "")}"'),
        _line("Read Pool", f'"{p.get("read_pool", "")}" (From Job resource)'),
        _line("Read Storage", f'"{p.get("read_storage", "")}" (From Job resource)'),
        _line("Write Pool", f'"{p.get("write_pool", "")}" (From Job Pool\'s NextPool resource)'),
        _line("Write Storage", f'"{p.get("write_storage", "")}" (From Storage from Pool\'s NextPool resource)'),
        _line("Next Pool", f'"{p.get("write_pool", "")}" (From Job Pool\'s NextPool resource)'),
        _catalog_line(job),
        _line("Start time", long_time(job.start_time)),
        _line("End time", long_time(job.end_time)),
        _line("Elapsed time", elapsed_text(elapsed)),
        _line("Priority", job.priority),
        _line("SD Files Written", with_commas(job.sd_files)),
        _line("SD Bytes Written", size_text(job.sd_bytes)),
        _line("Rate", f"{rate(job, job.sd_bytes):.1f} KB/s"),
        _line("Volume name(s)", "|".join(job.volumes)),
        _line("Volume Session Id", job.vol_session_id),
        _line("Volume Session Time", job.vol_session_time),
        _line("Last Volume Bytes", size_text(last_vol.vol_bytes if last_vol else 0)),
        _line("SD Errors", job.sd_errors),
        _line("SD termination status", _status_word(job.sd_status) if job.sd_ended else "Error"),
    ]  # fmt: skip
    if job.fatal_messages:
        lines.append(_line("Error", job.fatal_messages[0]))
    return _with_time_prefix(job, lines + _tail(job, termination(job, "Copy")))
