"""The append session: what the File daemon sends the Storage daemon during a backup.

Order and strings as Bareos's ``BackupCmd``/``BlastDataToStorageDaemon``/
``SaveFile`` (reference 6.3, transcripts stream06/stream09)::

    append open session            -> 3000 OK open ticket = <n>
    append data <n>                -> 3000 OK data
    per file, FileIndex 1, 2, ...:
        "<FI> 1 0"  attribute record            EOD
        "<FI> 2 0"  data packets (<= buffer)    EOD   (regular files with data)
        "<FI> 3 0"  digest                      EOD   (signature option, files)
    EOD                            -> 3000 OK append data
    append end session <n>         -> 3000 OK end
    append close session <n>       -> 3000 OK close Status = <c>, EOD

Data packets are at most the Client's ``Maximum Network Buffer Size``
(default 256 KiB, Bareos's ``DEFAULT_NETWORK_BUFFER_SIZE``: the lab
transcript carries a 200000-byte file in one packet).  Hard links are saved
once unless the options say ``H``; later names get ``FT_LNKSAVED`` with the
first name as link and its FileIndex as LinkFI.  ``s`` (sparse) sends
``SPARSE_DATA`` blocks with an 8-byte offset and skips all-zero blocks.
"""

from __future__ import annotations

import os
import struct
import time
from collections.abc import Callable, Iterable
from typing import Any

import attrs
import structlog
import trio

from bareosnet.errors import ProtocolError
from bareosnet.proto.attributes import AttributeRecord, FileType, Stat, decode_stat
from bareosnet.proto.compression import Compression
from bareosnet.proto.compression import data_stream as select_data_stream
from bareosnet.proto.digests import DIGEST_CONSTRUCTORS
from bareosnet.proto.jobcmds import (
    AppendCloseSession,
    AppendData,
    AppendEndSession,
    AppendOpenSession,
    CloseOk,
    MessageType,
    OpenTicketOk,
)
from bareosnet.proto.signals import Signal
from bareosnet.proto.streams import DataHeader, Stream
from daemons.common import texts
from daemons.filedaemon.accurate import accurate_changed
from daemons.filedaemon.fileselect import (
    DEFAULT_ACCURATE,
    ChangeCheck,
    FileFlags,
    Found,
    Notice,
    Walker,
    since_check,
)
from daemons.filedaemon.job_state import (
    ERROR_TERMINATED,
    RUNNING,
    TERMINATED,
    FdJob,
    Messenger,
)
from daemons.filedaemon.sd_channel import ChannelError, SdChannel

log = structlog.get_logger("bareos.fd.backup")

DEFAULT_BUFFER_SIZE = 256 * 1024
OFFSET_SIZE = 8  # sparse blocks start with their file offset (uint64, big endian)
_OK_DATA = b"3000 OK data\n"
_OK_APPEND = b"3000 OK append data\n"
_OK_END = b"3000 OK end\n"


def digest_factory(stream: int | None) -> Callable[[], Any] | None:
    """A hashlib-like constructor for a digest stream, or None for other streams."""
    if stream is None:
        return None
    return DIGEST_CONSTRUCTORS.get(stream)


@attrs.define
class _HardLink:
    fname: str
    file_index: int
    digest_stream: int | None = None
    digest: bytes | None = None


@attrs.frozen
class BackupSettings:
    buf_size: int = DEFAULT_BUFFER_SIZE
    timeout: float = 60.0  # every wait for a Storage daemon reply
    version_line: str = ""  # "Version: ..." job message text


class BackupRun:
    """One append session over ``channel`` for ``job``; errors become job messages."""

    def __init__(
        self, job: FdJob, msgs: Messenger, channel: SdChannel, settings: BackupSettings
    ) -> None:
        self.job = job
        self.msgs = msgs
        self.sd = channel
        self.settings = settings
        self.ticket = 0
        self._links: dict[tuple[int, int], _HardLink] = {}
        self._seen: set[str] = set()
        self._warnings: list[str] = []  # from the accurate check, sent before the entry
        self._bw_start = 0.0
        self._bw_bytes = 0

    # -- the whole command
    async def run(self) -> None:
        """``append open`` .. ``append close``; the outcome is in the job's status."""
        job, msgs = self.job, self.msgs
        try:
            if not await self._open():
                return
        except ChannelError as exc:
            await msgs.fatal(str(exc) if str(exc).endswith("\n") else f"{exc}\n")
            return
        ok = await self._blast()
        if not ok:
            job.set_status(ERROR_TERMINATED)
            return
        job.set_status(TERMINATED)
        if job.status != TERMINATED:
            return  # canceled or a fatal error: no end/close dialogue
        try:
            await self.sd.expect(_OK_APPEND, "Append Data")
            await self.sd.send(AppendEndSession(self.ticket).encode())
            await self.sd.expect(_OK_END, "Append End")
            await self.sd.send(AppendCloseSession(self.ticket).encode())
            sd_status = await self._close_status()
        except ChannelError as exc:
            await msgs.fatal(str(exc) if str(exc).endswith("\n") else f"{exc}\n")
            job.set_status(ERROR_TERMINATED)
            return
        if sd_status is None:
            await msgs.fatal("Append Close with SD failed.\n")
        elif sd_status not in (ord("T"), ord("W")):
            await msgs.fatal(f"Bad status {sd_status} returned from Storage Daemon.\n")

    async def _open(self) -> bool:
        await self.sd.send(AppendOpenSession().encode())
        reply = await self.sd.get()
        if isinstance(reply, Signal):
            await self.msgs.fatal("Bad response from stored to open command\n")
            return False
        try:
            self.ticket = OpenTicketOk.parse(reply).ticket
        except ProtocolError:
            await self.msgs.fatal(
                f"Bad response to append open: {reply.decode('utf-8', 'replace')}"
                + ("" if reply.endswith(b"\n") else "\n")
            )
            return False
        await self.sd.send(AppendData(self.ticket).encode())
        await self.sd.expect(_OK_DATA, "Append Data")
        return True

    async def _close_status(self) -> int | None:
        """Read until a signal; the ``3000 OK close Status = n`` among the replies."""
        status: int | None = None
        while True:
            reply = await self.sd.get()
            if isinstance(reply, Signal):
                return status
            try:
                status = int(CloseOk.parse(reply).status)
            except ProtocolError:
                continue

    # -- sending files
    async def _blast(self) -> bool:
        job, msgs = self.job, self.msgs
        job.set_status(RUNNING)
        await msgs.info(self.settings.version_line)
        assert job.fileset is not None
        changed = self._change_check()
        self._bw_start = time.monotonic()
        try:
            for item in Walker(job.fileset, changed):
                if job.canceled:
                    return False
                if isinstance(item, Notice):
                    # A skipped or unreadable entry was examined too (Bareos counts
                    # every SaveFile call); info notices precede a saved entry.
                    if item.error or item.type == MessageType.SKIPPED:
                        job.files_examined += 1
                    if item.error:
                        job.errors += 1
                    await msgs.jmsg(item.type, item.text)
                    continue
                for text in self._warnings:
                    await msgs.jmsg(MessageType.WARNING, text)
                self._warnings.clear()
                job.files_examined += 1
                await self._save(item)
            if job.accurate and job.accurate_files is not None and job.level in ("I", "D"):
                await self._send_deleted()
            await self.sd.signal(Signal.EOD)
        except ChannelError as exc:
            if not job.canceled:
                await msgs.fatal(f"Network send error to SD. ERR={exc}\n")
            return False
        return True

    def _change_check(self) -> ChangeCheck:
        job = self.job
        if job.accurate and job.accurate_files is not None and job.level in ("I", "D"):
            listed = job.accurate_files
            digests = job.accurate_digests
            seen = self._seen
            warnings = self._warnings

            def changed(fname: str, st: os.stat_result, flags: FileFlags) -> bool:
                enc = listed.get(fname)
                if enc is None:
                    return True
                seen.add(fname)
                return accurate_changed(
                    enc, st, flags.accurate or DEFAULT_ACCURATE, path=fname,
                    signature=flags.signature, listed_digest=digests.get(fname, ""),
                    warnings=warnings,
                )  # fmt: skip

            return changed
        return since_check(job.since)

    async def _send_deleted(self) -> None:
        job = self.job
        assert job.accurate_files is not None
        for fname, enc in job.accurate_files.items():
            if fname in self._seen:
                continue
            try:
                old = decode_stat(enc)
            except ProtocolError:
                old = Stat()
            st = Stat(mtime=old.mtime, ctime=old.ctime, data_stream=Stream.FILE_DATA)
            fi = self._next_index()
            record = AttributeRecord(fi, FileType.DELETED, fname, st)
            await self._record(fi, Stream.UNIX_ATTRIBUTES, [record.encode()])

    def _next_index(self) -> int:
        self.job.files += 1
        return self.job.files

    async def _record(self, fi: int, stream: int, payloads: Iterable[bytes]) -> None:
        await self.sd.send(DataHeader(fi, stream).encode())
        for payload in payloads:
            await self.sd.send(payload)
        await self.sd.signal(Signal.EOD)

    async def _save(self, item: Found) -> None:
        job = self.job
        st = item.stat
        ftype = item.file_type
        link = item.link
        link_fi = 0
        hard: _HardLink | None = None
        key = (st.st_dev, st.st_ino)
        if (
            item.flags.hardlinks
            and ftype in (FileType.REG, FileType.REGE, FileType.SPEC, FileType.LNK)
            and st.st_nlink > 1
        ):
            hard = self._links.get(key)
            if hard is not None:
                ftype, link, link_fi = FileType.LNKSAVED, hard.fname, hard.file_index
        sparse = item.flags.sparse and ftype == FileType.REG
        compression = Compression.from_keyword(item.flags.compression)
        # Bareos encodes the options' data stream into every entry's attributes
        # (SelectDataStream runs for directories and links too).
        data_stream = select_data_stream(sparse=item.flags.sparse, compression=compression)
        stat = Stat.from_os_stat(st, link_fi=link_fi, data_stream=data_stream)
        fi = self._next_index()
        job.last_file = item.path
        fname = item.fname
        record = AttributeRecord(fi, ftype, fname, stat, link=link)
        await self._record(fi, Stream.UNIX_ATTRIBUTES, [record.encode()])
        if ftype == FileType.LNKSAVED:
            assert hard is not None
            if hard.digest is not None and hard.digest_stream is not None:
                await self._record(fi, hard.digest_stream, [hard.digest])
            return
        has_data = ftype in (FileType.REG, FileType.REGE)
        if not has_data:
            return
        make_digest = digest_factory(item.flags.signature)
        if item.flags.signature is not None and make_digest is None:
            log.warning("backup.digest_unavailable", stream=item.flags.signature)
        digest = make_digest() if make_digest is not None else None
        if st.st_size > 0 and stat.is_reg:
            if not await self._send_data(fi, item, digest, sparse, compression):
                return  # not opened: no digest either (Bareos "goto good_rtn")
        if digest is not None and item.flags.signature is not None:
            value = digest.digest()
            await self._record(fi, item.flags.signature, [value])
        else:
            value = None
        if item.flags.hardlinks and st.st_nlink > 1:
            self._links[key] = _HardLink(fname, fi, item.flags.signature, value)

    async def _send_data(
        self, fi: int, item: Found, digest: Any, sparse: bool, compression: Compression | None
    ) -> bool:
        job = self.job
        try:
            fd = _open_for_read(item.path, "K" in item.flags.letters)
        except OSError as exc:
            await self.msgs.jmsg(
                MessageType.NOTSAVED,
                f'     Cannot open "{item.path}": ERR={os.strerror(exc.errno or 0)}.\n',
            )
            job.errors += 1
            return False
        data_stream = select_data_stream(sparse=sparse, compression=compression)
        size = self.settings.buf_size - (OFFSET_SIZE if sparse else 0)
        try:
            await self.sd.send(DataHeader(fi, data_stream).encode())
            offset = 0
            while True:
                try:
                    block = os.read(fd, size)
                except OSError as exc:
                    await self.msgs.error(
                        f"     Read error on file {item.path}. ERR={os.strerror(exc.errno or 0)}\n"
                    )
                    break
                if not block:
                    break
                job.read_bytes += len(block)
                if sparse:
                    # Bareos tests only full blocks that end before the file's size,
                    # and a skipped block is not hashed either.
                    inner = len(block) == size and offset + len(block) < item.stat.st_size
                    if inner and block.count(0) == len(block):
                        offset += len(block)
                        continue
                    prefix = struct.pack(">Q", offset)
                else:
                    prefix = b""
                # Each block is compressed alone, after the sparse offset (Bareos SendDataToSd).
                if compression is not None:
                    # Off the event loop: the pure-Python LZO/FastLZ encoders take a while.
                    block_out = await trio.to_thread.run_sync(compression.compress, block)
                else:
                    block_out = block
                payload = prefix + block_out
                if digest is not None:
                    digest.update(block)
                offset += len(block)
                await self.sd.send(payload)
                # JobBytes counts what was sent, the sparse offset included (as Bareos).
                job.job_bytes += len(payload)
                await self._throttle(len(payload))
                if job.canceled:
                    break
            await self.sd.signal(Signal.EOD)
        finally:
            os.close(fd)
        return True

    async def _throttle(self, sent: int) -> None:
        """Stay under the job's bandwidth limit (bytes per second)."""
        limit = self.job.bwlimit
        self._bw_bytes += sent
        if limit <= 0:
            return
        due = self._bw_start + self._bw_bytes / limit
        delay = due - time.monotonic()
        if delay > 0:
            await trio.sleep(delay)


def _open_for_read(path: str, noatime: bool) -> int:
    flags = os.O_RDONLY | getattr(os, "O_BINARY", 0)
    if noatime and hasattr(os, "O_NOATIME"):
        try:
            return os.open(path, flags | os.O_NOATIME)
        except PermissionError:
            pass  # O_NOATIME needs the file's owner; read normally
    return os.open(path, flags)


def version_line(persona: Any) -> str:
    """``Version: <full> (<date>) <os>`` as the FD logs at the start of a data phase."""
    return f"Version: {texts.version(persona)} ({texts.release_date(persona)}) {texts.os_name()}\n"
