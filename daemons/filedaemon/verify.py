"""``verify level=<init|catalog|disk_to_catalog>`` (Bareos ``filed/verify.cc``).

After ``JobId=`` and ``fileset`` the Director asks for a verify; the FD says
``2000 OK verify``, walks the FileSet and sends, on the Director connection
(not to a Storage daemon), one attribute line per file::

    <FileIndex> 1 <VerifyOpts> <fname> NUL <encoded stat> NUL [<link>] NUL

(directories as ``<path>/``, links with their target), then for a regular
file with a ``signature`` option its digest::

    <FileIndex> <digest stream> <base64 digest> *<MD5|SHA1|...>-<FileIndex>*

and EOD; then the command loop ends (``2800 End Job``).  ``VerifyOpts`` is
``V`` plus the FileSet's ``Verify = ...`` letters.

``volume`` (``verify_vol.cc``): after a ``storage`` command the FD reads the
backup back from the Storage daemon (a restore's read session) and sends the
same lines from the volume's records -- options ``pinsug5``, the digest saved
on the volume, FileIndex 0 for a deleted entry -- instead of walking the disk.
"""

from __future__ import annotations

import base64
import re
from typing import Any

import structlog
import trio

from bareosnet.errors import ProtocolError
from bareosnet.proto.attributes import AttributeRecord, FileType, Stat, encode_stat
from bareosnet.proto.signals import Signal
from bareosnet.proto.streams import Stream
from daemons.filedaemon.backup import digest_factory
from daemons.filedaemon.fileselect import Found, Notice, Walker
from daemons.filedaemon.interfaces import DirectorSession, fd_command
from daemons.filedaemon.job_state import FATAL_ERROR, RUNNING, TERMINATED, FdJob
from daemons.filedaemon.restore import RestoreOptions, RestoreRun, RestoreSettings
from daemons.filedaemon.sd_channel import SdChannel

log = structlog.get_logger("bareos.fd.verify")

_VERIFY = re.compile(r"verify level=(\S{1,30})")
_LEVELS = {"init": "V", "catalog": "C", "disk_to_catalog": "d", "volume": "O"}
# Keyed by int: the streams arrive as plain numbers from the wire and the SD.
_DIGEST_NAMES: dict[int, str] = {
    Stream.MD5_DIGEST: "MD5",
    Stream.SHA1_DIGEST: "SHA1",
    Stream.SHA256_DIGEST: "SHA256",
    Stream.SHA512_DIGEST: "SHA512",
    Stream.XXH128_DIGEST: "XXH128",
}


def verify_opts(letters: str) -> str:
    """Bareos ``ff->VerifyOpts``: ``V``, then the options' ``V...`` option *with* its ``V``.

    The FD copies an options block's verify letters from the ``V`` on (``fo->VerifyOpts``
    is ``Vpins5`` for ``Verify = pins5``) and appends them to its own ``V``: ``VVpins5``.
    """
    m = re.search(r"V([^:]*):", letters)
    return "V" + (f"V{m.group(1)}" if m else "")


def attribute_line(fi: int, item: Found) -> bytes:
    st = Stat.from_os_stat(item.stat)
    name = item.fname if item.file_type == FileType.DIREND else item.path
    link = item.link if item.file_type == FileType.LNK else ""
    text = f"{fi} {int(Stream.UNIX_ATTRIBUTES)} {verify_opts(item.flags.letters)} {name}\0"
    return (text + f"{encode_stat(st)}\0{link}\0").encode("utf-8", "surrogateescape")


@fd_command("verify")
async def verify_cmd(s: DirectorSession, text: str) -> bool:
    job = s.job
    m = _VERIFY.match(text)
    if job is None or job.fileset is None or m is None:
        # Bareos prints dir->msg, newline included, before its own "\n".
        await s.msgs.send(f"2994 Bad verify command: {text}\n")
        return False
    level = _LEVELS.get(m.group(1).lower())
    if level is None:
        await s.msgs.send(f"2994 Bad verify level: {text}\n")
        return False
    job.job_type, job.level = "V", level
    await s.msgs.send("2000 OK verify\n")
    if level == "O":
        if await _verify_volume(s, job):
            await s.msgs.signal(Signal.EOD)
        return False
    job.set_status(RUNNING)
    fi = 0
    for item in Walker(job.fileset):
        if job.canceled:
            break
        if isinstance(item, Notice):
            if item.error:
                job.errors += 1
            await s.msgs.jmsg(item.type, item.text)
            continue
        fi += 1
        job.files = fi
        job.files_examined += 1
        job.last_file = item.path
        await s.msgs.send(attribute_line(fi, item))
        stream = item.flags.signature
        make = digest_factory(stream)
        if item.file_type in (FileType.REG, FileType.REGE) and make is not None and stream:
            digest = make()
            try:
                with open(item.path, "rb") as fh:  # noqa: ASYNC230 - a checkpoint per block
                    while block := fh.read(65536):
                        digest.update(block)
                        await trio.lowlevel.checkpoint()
            except OSError as exc:
                job.errors += 1
                await s.msgs.error(f"     Cannot open {item.path}: ERR={exc.strerror}.\n")
                continue
            b64 = base64.b64encode(digest.digest()).decode("ascii").rstrip("=")
            await s.msgs.send(f"{fi} {int(stream)} {b64} *{_DIGEST_NAMES.get(stream, '?')}-{fi}*")
        await trio.lowlevel.checkpoint()
    await s.msgs.signal(Signal.EOD)
    job.set_status(TERMINATED)
    log.info("verify.done", job=job.job, level=level, files=fi)
    return False  # Bareos: return and terminate the command loop


class VolumeVerifyRun(RestoreRun):
    """A read session whose records become verify lines for the Director (no files written)."""

    def __init__(self, *args: Any, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.lines: list[bytes] = []
        self.count = 0

    def _apply(self, stream: int, data: bytes) -> None:
        if stream in (Stream.UNIX_ATTRIBUTES, Stream.UNIX_ATTRIBUTES_EX):
            try:
                rec = AttributeRecord.parse(data)
            except ProtocolError:
                self.job.errors += 1
                return
            self.count += 1
            fi = 0 if rec.file_type == FileType.DELETED else self.count
            link = rec.link if rec.file_type in (FileType.LNK, FileType.LNKSAVED) else ""
            text = f"{fi} {int(Stream.UNIX_ATTRIBUTES)} pinsug5 {rec.fname}\0"
            self.lines.append((text + f"{encode_stat(rec.stat)}\0{link}\0").encode(
                "utf-8", "surrogateescape"))  # fmt: skip
        elif stream in _DIGEST_NAMES:
            b64 = base64.b64encode(data).decode("ascii").rstrip("=")
            self.lines.append(
                f"{self.count} {stream} {b64} *{_DIGEST_NAMES[stream]}-{self.count}*".encode()
            )

    async def _flush_writer(self) -> None:
        lines, self.lines = self.lines, []
        for line in lines:
            await self.msgs.send(line)
        self.job.files = self.count
        self.job.files_examined = self.count


async def _verify_volume(s: DirectorSession, job: FdJob) -> bool:
    """False when no read session opened: Bareos's ``VerifyCmd`` then returns at once
    (``OpenSdReadSession`` failed), without the EOD that ends the verify lines."""
    from daemons.filedaemon.job_commands import _storage_stream, data_phase

    stream = await _storage_stream(s, job)
    if stream is None:
        await s.msgs.fatal("Improper calling sequence.\n")  # OpenSdReadSession, no SD
        job.set_status(FATAL_ERROR)
        return False
    options = s.daemon.options
    # DoVerifyVolume logs no "Version:" line (DoRestore does).
    settings = RestoreSettings(timeout=options.sd_reply_timeout, version_line="")
    run = VolumeVerifyRun(job, s.msgs, SdChannel(stream, timeout=settings.timeout),
                          RestoreOptions(), settings)  # fmt: skip
    await data_phase(s, job, run.run)
    log.info("verify.volume_done", job=job.job, status=job.status, files=run.count)
    return run.ticket != 0
