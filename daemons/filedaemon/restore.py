"""The read session: records from the Storage daemon written back to disk.

The FD drives it in both modes (set2-stream09 active, set2-stream13 passive)::

    read open session = DummyVolume <SDid> <SDtime> 0 0 0 0   -> 3000 OK open ticket = <n>
    read data <n>                                             -> 3000 OK data
    <- "rechdr <sid> <stime> <FI> <stream> <len>" + one data packet, ..., EOD
    read close session <n>                                    -> 3000 OK close Status = <c>
    BNET_TERMINATE

Records of one file arrive as attributes, then data, then a digest.  The
output name is ``where`` + the backed-up name (or the ``regexwhere``
rewrite); ``replace`` decides about existing files as Bareos's
``CreateFile`` does (``a`` always, ``w`` if newer, ``o`` if older, ``n``
never).  Mode, owner (when we are root) and times are set when the file is
complete; a digest record is checked against the data written and a
mismatch is a job error.  A file cut short by a lost connection is removed
and not counted.
"""

from __future__ import annotations

import os
import stat as stat_module
import struct
from collections.abc import Callable

import attrs
import structlog

from bareosnet.errors import ProtocolError
from bareosnet.proto.attributes import AttributeRecord, FileType
from bareosnet.proto.compression import (
    COMPRESSED_STREAMS,
    OFFSET_SIZE,
    OLD_GZIP_STREAMS,
    SPARSE_STREAMS,
    decompress_record,
)
from bareosnet.proto.jobcmds import (
    MessageType,
    OpenTicketOk,
    ReadCloseSession,
    ReadData,
    ReadOpenSession,
    Replace,
)
from bareosnet.proto.regexwhere import Rewrite
from bareosnet.proto.regexwhere import parse_regexwhere as parse_regexwhere  # re-exported
from bareosnet.proto.signals import Signal
from bareosnet.proto.streams import DIGEST_LENGTHS, STREAM_MASK, RestoreRecordHeader, Stream
from daemons.filedaemon.backup import digest_factory
from daemons.filedaemon.job_state import (
    ERROR_TERMINATED,
    RUNNING,
    TERMINATED,
    WARNINGS,
    FdJob,
    Messenger,
)
from daemons.filedaemon.sd_channel import ChannelError, SdChannel

log = structlog.get_logger("bareos.fd.restore")

_OK_DATA = b"3000 OK data\n"
DATA_STREAMS = frozenset(
    {Stream.FILE_DATA, Stream.SPARSE_DATA} | COMPRESSED_STREAMS | OLD_GZIP_STREAMS
) - {Stream.WIN32_COMPRESSED_DATA, Stream.WIN32_GZIP_DATA}  # Win32 BackupRead data: unsupported
_IGNORED_STREAMS = frozenset(
    {
        Stream.UNIX_ACCESS_ACL,
        Stream.UNIX_DEFAULT_ACL,
        Stream.ACL_LINUX_DEFAULT_ACL,
        Stream.ACL_LINUX_ACCESS_ACL,
        Stream.XATTR_LINUX,
        Stream.SIGNED_DIGEST,
        Stream.PROGRAM_NAMES,
        Stream.PROGRAM_DATA,
    }
)


# ---------------------------------------------------------------- where / regexwhere


@attrs.frozen
class RestoreOptions:
    where: str = ""
    regexwhere: tuple[Rewrite, ...] | None = None
    replace: str = Replace.ALWAYS.char
    prelinks: bool = False

    def output_names(self, rec: AttributeRecord) -> tuple[str, str]:
        """Bareos ``BuildAttrOutputFnames``: (output name, output link)."""
        link_types = (FileType.LNKSAVED, FileType.LNK)
        prefix_link = rec.file_type == FileType.LNKSAVED or self.prelinks
        if self.regexwhere is not None:
            ofname = _apply_all(self.regexwhere, rec.fname)
            olname = rec.link
            if rec.file_type in link_types and prefix_link:
                olname = _apply_all(self.regexwhere, rec.link)
            return ofname, olname
        where = self.where
        if not where:
            return rec.fname, rec.link
        joiner = "" if where.endswith("/") or rec.fname.startswith("/") else "/"
        ofname = where + joiner + rec.fname
        olname = rec.link
        if rec.file_type in link_types and rec.link.startswith("/") and prefix_link:
            olname = where + rec.link
        return ofname, olname


def _apply_all(rewrites: tuple[Rewrite, ...], text: str) -> str:
    for r in rewrites:
        text = r.apply(text)
    return text


# ---------------------------------------------------------------- writing files


@attrs.frozen
class Message:
    type: MessageType
    text: str
    queued: bool = False  # Bareos Qmsg (sent before the next direct message)


@attrs.define
class _Current:
    record: AttributeRecord
    ofname: str
    fd: int | None = None  # open output file while data may come
    extract: bool = False
    written: int = 0
    failed: bool = False
    sparse: bool = False  # sparse records came: the backup digest skipped the holes


class FileWriter:
    """Applies restore records to the file system (synchronous; messages collected)."""

    def __init__(self, options: RestoreOptions) -> None:
        self.options = options
        self.messages: list[Message] = []
        self.current: _Current | None = None
        self.created_dirs: set[str] = set()
        self.is_root = hasattr(os, "geteuid") and os.geteuid() == 0
        self.files = 0
        self.bytes = 0
        self._warned_streams: set[int] = set()

    def note(self, type_: MessageType, text: str, *, queued: bool = False) -> None:
        self.messages.append(Message(type_, text, queued))

    def take_messages(self) -> list[Message]:
        out, self.messages = self.messages, []
        return out

    # -- attributes: create the file
    def begin(self, rec: AttributeRecord) -> None:
        self.finish()
        if rec.file_type == FileType.DELETED:
            return
        ofname, olname = self.options.output_names(rec)
        cur = _Current(rec, ofname)
        self.current = cur
        st = rec.stat
        replace = self.options.replace
        try:
            existing = os.lstat(ofname)
        except OSError:
            existing = None
        if existing is not None:
            skip = None
            if replace == Replace.IF_NEWER.char and st.mtime <= int(existing.st_mtime):
                skip = "Not newer"
            elif replace == Replace.IF_OLDER.char and st.mtime >= int(existing.st_mtime):
                skip = "Not older"
            elif replace == Replace.NEVER.char and not (
                rec.file_type == FileType.DIREND and ofname.rstrip("/") in self.created_dirs
            ):
                skip = "Already exists"
            if skip is not None:
                self.note(MessageType.INFO, f"File skipped. {skip}: {ofname}\n", queued=True)
                self.files += 1
                self.current = None
                return
        ftype = rec.file_type
        if ftype == FileType.DIREND:
            self._make_dirs(ofname.rstrip("/") or "/")
            self.files += 1
            cur.extract = False
            self._set_attributes(cur)
            self.current = None
            return
        if existing is not None and not stat_module.S_ISDIR(existing.st_mode):
            try:
                os.unlink(ofname)
            except OSError as exc:
                self.note(MessageType.ERROR, f"File {ofname} already exists and could not be "
                          f"replaced. ERR={os.strerror(exc.errno or 0)}.\n", queued=True)  # fmt: skip
        parent = os.path.dirname(ofname.rstrip("/"))
        if parent:
            self._make_dirs(parent)
        try:
            if ftype in (FileType.REG, FileType.REGE):
                cur.fd = os.open(ofname, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW,
                                 0o600)  # fmt: skip
                cur.extract = ftype == FileType.REG
            elif ftype == FileType.LNK:
                os.symlink(olname, ofname)
            elif ftype == FileType.LNKSAVED:
                os.link(olname, ofname)
            elif ftype in (FileType.SPEC, FileType.FIFO):
                mode = st.mode
                if stat_module.S_ISFIFO(mode):
                    os.mkfifo(ofname, stat_module.S_IMODE(mode))
                else:
                    os.mknod(ofname, mode, st.rdev)
            else:
                self.note(MessageType.ERROR, f"Unknown file type {int(ftype)}; not restored: "
                          f"{ofname}\n")  # fmt: skip
                self.current = None
                return
        except OSError as exc:
            what = "hard link" if ftype == FileType.LNKSAVED else "create"
            target = f" -> {olname}" if ftype in (FileType.LNK, FileType.LNKSAVED) else ""
            self.note(MessageType.ERROR, f"Could not {what} {ofname}{target}: "
                      f"ERR={os.strerror(exc.errno or 0)}\n")  # fmt: skip
            self.current = None
            return
        self.files += 1
        if ftype in (FileType.REG, FileType.REGE):
            return  # attributes once the data is in (digest may follow)
        if ftype != FileType.LNKSAVED:
            self._set_attributes(cur)
        self.current = None

    def _make_dirs(self, path: str) -> None:
        missing: list[str] = []
        p = path
        while p and p != "/" and not os.path.isdir(p):
            missing.append(p)
            p = os.path.dirname(p)
        for d in reversed(missing):
            try:
                os.mkdir(d, 0o700)
                self.created_dirs.add(d)
            except FileExistsError:
                pass
            except OSError as exc:
                self.note(MessageType.ERROR,
                          f"Cannot make directory {d}: ERR={os.strerror(exc.errno or 0)}\n")  # fmt: skip
                return

    # -- data and digests
    def data(self, stream: int, payload: bytes) -> int:
        """Write one data record (plain, sparse, compressed); returns the bytes written.

        As Bareos ``ExtractData``: the sparse offset first, then the
        decompression of the rest; a record that does not decompress is a job
        error and the file gets no more data.
        """
        cur = self.current
        if cur is None or cur.fd is None or cur.failed:
            return 0
        block = payload
        if stream in SPARSE_STREAMS:
            if len(payload) < OFFSET_SIZE:
                self.note(MessageType.ERROR, f"Short sparse record for {cur.ofname}\n")
                cur.failed = True
                return 0
            (offset,) = struct.unpack(">Q", payload[:OFFSET_SIZE])
            cur.sparse = True
            block = payload[OFFSET_SIZE:]
            try:
                os.lseek(cur.fd, offset, os.SEEK_SET)
            except OSError as exc:
                self.note(MessageType.ERROR, f"Seek to {offset} error on {cur.ofname}: "
                          f"ERR={os.strerror(exc.errno or 0)}\n")  # fmt: skip
                cur.failed = True
                return 0
            cur.written = offset
        if stream in COMPRESSED_STREAMS or stream in OLD_GZIP_STREAMS:
            try:
                block = decompress_record(stream, block)
            except ProtocolError as exc:
                self.note(MessageType.ERROR,
                          f"Uncompression error on file {cur.ofname}. ERR={exc}\n",
                          queued=True)  # fmt: skip
                cur.failed = True
                return 0
        try:
            os.write(cur.fd, block)
        except OSError as exc:
            self.note(MessageType.ERROR, f"Write error on {cur.ofname}: "
                      f"ERR={os.strerror(exc.errno or 0)}\n")  # fmt: skip
            cur.failed = True
            return 0
        cur.written += len(block)
        self.bytes += len(block)
        return len(block)

    def digest(self, stream: int, payload: bytes) -> None:
        cur = self.current
        if cur is None or cur.failed:
            return
        make = digest_factory(stream)
        if make is None or cur.sparse:
            # The real FD checks no digest on restore; we check what we can recompute
            # from the file on disk: not a sparse file's (its holes were not hashed).
            return
        if len(payload) != DIGEST_LENGTHS.get(stream, len(payload)):
            self.note(MessageType.ERROR, f"Bad digest record for {cur.ofname}\n")
            return
        h = make()
        # The data is complete when the digest arrives: hash what is on disk
        # (holes of a sparse file read back as zeros, as they were hashed).
        try:
            fd = os.open(cur.ofname, os.O_RDONLY | os.O_NOFOLLOW)
        except OSError as exc:
            self.note(MessageType.ERROR, f"Cannot verify {cur.ofname}: "
                      f"ERR={os.strerror(exc.errno or 0)}\n")  # fmt: skip
            return
        try:
            while block := os.read(fd, 1 << 20):
                h.update(block)
        finally:
            os.close(fd)
        if h.digest() != payload:
            self.note(MessageType.ERROR, f"Digest mismatch for {cur.ofname}: backup "
                      f"{payload.hex()}, restored {h.hexdigest()}\n")  # fmt: skip

    def unsupported(self, stream: int) -> None:
        if stream in self._warned_streams:
            return
        self._warned_streams.add(stream)
        try:
            name = Stream(stream).name
        except ValueError:
            name = f"stream {stream}"
        self.note(MessageType.WARNING, f"{name} stream not supported on this Client.\n")
        if self.current is not None:
            self.current.failed = True

    # -- closing
    def finish(self) -> None:
        """Close the current file and set its attributes (Bareos ClosePreviousStream)."""
        cur, self.current = self.current, None
        if cur is None:
            return
        if cur.fd is not None:
            os.close(cur.fd)
            cur.fd = None
        self._set_attributes(cur)

    def abort(self, reason: str) -> str | None:
        """Remove a half-written file (connection lost); returns its name."""
        cur, self.current = self.current, None
        if cur is None or cur.fd is None:
            return None
        os.close(cur.fd)
        try:
            os.unlink(cur.ofname)
        except OSError:
            pass
        self.files -= 1
        log.warning("restore.partial_removed", file=cur.ofname, reason=reason)
        return cur.ofname

    def _set_attributes(self, cur: _Current) -> None:
        st = cur.record.stat
        path = cur.ofname.rstrip("/") or "/"
        is_link = cur.record.file_type == FileType.LNK
        try:
            if self.is_root:
                os.chown(path, st.uid, st.gid, follow_symlinks=False)
        except OSError as exc:
            self.note(MessageType.ERROR, f"Unable to set file owner {path}: "
                      f"ERR={os.strerror(exc.errno or 0)}\n")  # fmt: skip
        try:
            if not is_link:
                os.chmod(path, stat_module.S_IMODE(st.mode))
            if not is_link or os.utime in os.supports_follow_symlinks:
                os.utime(path, (st.atime, st.mtime), follow_symlinks=not is_link)
        except OSError as exc:
            self.note(MessageType.ERROR, f"Unable to set file modes/times {path}: "
                      f"ERR={os.strerror(exc.errno or 0)}\n")  # fmt: skip


# ---------------------------------------------------------------- the session


@attrs.frozen
class RestoreSettings:
    timeout: float = 60.0
    version_line: str = ""


class RestoreRun:
    """One read session over ``channel``; errors become job messages."""

    def __init__(
        self,
        job: FdJob,
        msgs: Messenger,
        channel: SdChannel,
        options: RestoreOptions,
        settings: RestoreSettings,
        *,
        on_record: Callable[[], None] | None = None,
    ) -> None:
        self.job = job
        self.msgs = msgs
        self.sd = channel
        self.writer = FileWriter(options)
        self.settings = settings
        self.ticket = 0
        self._on_record = on_record

    async def run(self) -> None:
        job = self.job
        try:
            if not await self._open():
                job.set_status(ERROR_TERMINATED)
                return
        except ChannelError as exc:
            await self.msgs.fatal(str(exc) if str(exc).endswith("\n") else f"{exc}\n")
            job.set_status(ERROR_TERMINATED)
            return
        job.set_status(RUNNING)
        if self.settings.version_line:  # a volume verify reads without saying it
            await self.msgs.info(self.settings.version_line)
        completed = await self._records()
        await self._flush_writer()
        job.set_status(WARNINGS if job.warnings else TERMINATED)
        if completed:
            try:
                await self.sd.send(ReadCloseSession(self.ticket).encode())
                await self.sd.get()  # "3000 OK close Status = n"
                await self.sd.signal(Signal.TERMINATE)
            except ChannelError as exc:
                log.warning("restore.close_failed", job=job.job, error=str(exc))
        if job.errors:
            job.set_status(ERROR_TERMINATED)

    async def _open(self) -> bool:
        job = self.job
        cmd = ReadOpenSession("DummyVolume", job.vol_session_id, job.vol_session_time)
        await self.sd.send(cmd.encode())
        reply = await self.sd.get()
        if isinstance(reply, Signal):
            await self.msgs.fatal("Bad response from stored to read open command\n")
            return False
        try:
            self.ticket = OpenTicketOk.parse(reply).ticket
        except ProtocolError:
            text = reply.decode("utf-8", "replace")
            await self.msgs.fatal(f"Bad response to SD read open: {text}"
                                  + ("" if text.endswith("\n") else "\n"))  # fmt: skip
            return False
        await self.sd.send(ReadData(self.ticket).encode())
        await self.sd.expect(_OK_DATA, "Read Data")
        return True

    async def _flush_writer(self) -> None:
        w, job = self.writer, self.job
        for m in w.take_messages():
            if m.queued:
                self.msgs.queue(m.type, m.text)
            else:
                await self.msgs.jmsg(m.type, m.text)
        job.files = w.files

    async def _records(self) -> bool:
        """Read records until EOD; False when the session broke off."""
        job, w = self.job, self.writer
        prev_fi: int | None = None
        try:
            while not job.canceled:
                head = await self.sd.get()
                if isinstance(head, Signal):
                    break
                try:
                    hdr = RestoreRecordHeader.parse(head)
                except ProtocolError:
                    await self.msgs.fatal(
                        f"Record header scan error: {head.decode('utf-8', 'replace')}\n"
                    )
                    return False
                data = await self.sd.get()
                if isinstance(data, Signal):
                    await self.msgs.fatal(f"Data record error. ERR=unexpected {data.name}\n")
                    self._abort("record without data")
                    return False
                if len(data) != hdr.data_len:
                    await self.msgs.fatal(f"Actual data size {len(data)} not same as header "
                                          f"{hdr.data_len}\n")  # fmt: skip
                    self._abort("bad record length")
                    return False
                stream = hdr.stream & STREAM_MASK
                starts = stream in (Stream.UNIX_ATTRIBUTES, Stream.UNIX_ATTRIBUTES_EX,
                                    Stream.PLUGIN_NAME)  # fmt: skip
                if not starts and prev_fi != hdr.file_index:
                    await self.msgs.fatal(
                        f"Expected to write data to stream {stream} of file {hdr.file_index}, "
                        f"but this file was never created. Current file is: {prev_fi or 0}.\n"
                    )
                    self._abort("record out of order")
                    return False
                prev_fi = hdr.file_index
                self._apply(stream, data)
                job.files = w.files
                if w.messages:
                    await self._flush_writer()
                if self._on_record is not None:
                    self._on_record()
        except ChannelError as exc:
            if not job.canceled:
                await self.msgs.fatal(f"Data record error. ERR={exc}\n")
            self._abort(str(exc))
            return False
        if job.canceled:
            self._abort("job canceled")
            return False
        w.finish()
        return True

    def _abort(self, reason: str) -> None:
        removed = self.writer.abort(reason)
        if removed is not None:
            self.writer.note(MessageType.ERROR, f"Partially restored file removed: {removed}\n")
        self.job.files = self.writer.files

    def _apply(self, stream: int, data: bytes) -> None:
        w, job = self.writer, self.job
        if stream in (Stream.UNIX_ATTRIBUTES, Stream.UNIX_ATTRIBUTES_EX):
            try:
                rec = AttributeRecord.parse(data)
            except ProtocolError as exc:
                w.finish()
                w.note(MessageType.ERROR, f"Bad attribute record: {exc}\n")
                return
            job.files_examined += 1
            job.last_file = rec.fname
            w.begin(rec)
        elif stream in DATA_STREAMS:
            job.read_bytes += len(data)
            job.job_bytes += w.data(stream, data)
        elif stream in DIGEST_LENGTHS:
            w.digest(stream, data)
        elif stream in _IGNORED_STREAMS:
            return
        else:
            w.unsupported(stream)
