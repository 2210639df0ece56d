"""Verify jobs: InitCatalog, Catalog, DiskToCatalog (Bareos ``dird/verify.cc``).

1. Catalog / DiskToCatalog: the job verified against -- the last InitCatalog
   of this Job (Catalog), the last good backup of the ``Verify Job`` or of the
   client (DiskToCatalog): ``Verifying against JobId=<n> Job=<job>``;
2. ``Start Verify JobId=<n> Level=<level> Job=<job>``;
3. File daemon: ``JobId=`` (``ssl=254`` in TLS-first mode: no Storage daemon),
   ``fileset``, ``verify level=init|catalog|disk_to_catalog`` -> ``2000 OK verify``;
4. the FD's attribute and digest lines until EOD (see filedaemon/verify.py):
   InitCatalog stores them as this job's files; the others compare each with
   the catalog entry by the ``Verify = ...`` letters (``i p n u g s a m c d 5 1``)
   and report ``New file:``, ``File: <name>`` + ``      st_size  differ. Cat: ..``,
   and the files ``in the Catalog but not on disk``; any difference ends the
   job ``Verify Differences`` (status D);
5. ``2800 End Job`` and the report (``VerifyCleanup``).

VolumeToCatalog: the last backup's bootstrap goes to the SD (a restore's read
session, ``type=86 level=79``), the FD gets ``storage address=...`` (or the
SD connects to a passive client) and ``verify level=volume``, and sends the
lines of what it read; the comparison is the same, the report adds
``Files Expected`` and the SD's status, and a count mismatch is an error.
VerifyData is not emulated ("Unimplemented Verify level").
"""

from __future__ import annotations

import base64
import stat as stat_module
from typing import Any

import structlog

from bareosnet.errors import ProtocolError
from bareosnet.proto.attributes import AttributeRecord, FileType, decode_stat
from bareosnet.proto.framing import Packet, SignalFrame
from bareosnet.proto.jobcmds import FdJobCommand, JobLevel, JobType, SdJobCommand, StorageCommand
from bareosnet.proto.streams import Stream, is_digest_stream
from daemons.common import texts
from daemons.common.commands import job_status_text, with_commas
from daemons.director.catalog.records import CatalogError
from daemons.director.catalog.selection import build_bootstrap, select_files
from daemons.director.jobs.common import (
    active_storage_ssl,
    client_mode,
    data_address,
    fileset_md5,
    fileset_packets,
    jobid_ssl,
    open_client,
    open_storage,
    passive_client_ssl,
    use_vss,
)
from daemons.director.jobs.control import (
    JS_CANCELED,
    JS_ERROR_TERMINATED,
    JS_FATAL,
    JS_RUNNING,
    JS_TERMINATED,
    JobControl,
    JobFailed,
    JobKind,
)
from daemons.director.jobs.data_phase import DataPhase, take_sd_results
from daemons.director.jobs.report import _header, _line, _with_time_prefix, long_time
from daemons.director.jobs.sd_session import storage_devices

log = structlog.get_logger("bareosnet.director.verify")

JS_DIFFERENCES = "D"
LEVEL_WORDS = {"V": "init", "C": "catalog", "d": "disk_to_catalog", "O": "volume", "A": "data"}
# The Director's JobLevelToString (dird_conf.cc joblevels): the Level words of the config,
# not lib/util.cc's job_level_to_str ("Verify Disk to Catalog") the daemons' status uses.
LEVEL_NAMES = {"V": "InitCatalog", "C": "Catalog", "d": "DiskToCatalog", "O": "VolumeToCatalog",
               "A": "Data"}  # fmt: skip
_STREAM_NAMES: dict[int, str] = {Stream.MD5_DIGEST: "MD5 digest", Stream.SHA1_DIGEST: "SHA1 digest",
                 Stream.SHA256_DIGEST: "SHA256 digest", Stream.SHA512_DIGEST: "SHA512 digest",
                 Stream.XXH128_DIGEST: "XXH128 digest"}  # fmt: skip


def _previous(job: JobControl) -> int | None:
    cat = job.rt.catalog
    client = job.client_name
    given = job.params.get("jobids") or []
    if given:  # run ... jobid=<n>: verify against that job
        prev_rec = cat.job(int(given[0]))
        if prev_rec is None:
            job.fatal(
                f"Could not get job record for previous Job. ERR=JobId {given[0]} not found\n"
            )
            return None
        runs = [prev_rec]
    elif job.level == "C":
        runs = [j for j in cat.jobs(name=job.name, client=client, job_type="V")
                if j.level == "V" and j.job_id != job.job_id]  # fmt: skip
        if not runs:
            job.fatal("Unable to find JobId of previous InitCatalog Job.\n"
                      "Please run a Verify with Level=InitCatalog before\n"
                      "running the current Job.\n")  # fmt: skip
            return None
    else:
        vj = job.job_res.get("VerifyJob") if job.job_res is not None else None
        runs = [j for j in cat.jobs(name=str(vj) if vj else None, client=client, job_type="B")
                if j.status in ("T", "W")]  # fmt: skip
        if not runs:
            job.fatal("Unable to find JobId of previous Job for this client.\n")
            return None
    prev = max(runs, key=lambda j: (j.start_time or 0, j.job_id))
    if prev.status not in ("T", "W"):
        job.fatal(f"Last Job {prev.job_id} did not Terminate normally. JobStatus={prev.status}\n")
        return None
    job.message(f"Verifying against JobId={prev.job_id} Job={prev.job}\n")
    job.params["verify_jobid"] = prev.job_id
    return prev.job_id


async def run_verify(job: JobControl) -> None:
    client, fileset = job.client_res, job.fileset_res
    if client is None or fileset is None:
        raise JobFailed("A verify job needs a Client and a FileSet.\n")
    if job.level not in ("V", "C", "d", "O"):
        raise JobFailed(f"Unimplemented Verify level {ord(job.level[0])}({job.level})\n")
    prev_id = _previous(job) if job.level in ("C", "d", "O") else None
    if job.level in ("C", "d", "O") and prev_id is None:
        return
    if job.level == "O":
        assert prev_id is not None
        await _volume_to_catalog(job, prev_id)
        return
    job.message(f"Start Verify JobId={job.job_id} Level={LEVEL_NAMES[job.level]} Job={job.job}\n")
    fd = await open_client(job, client)
    try:
        tls_first = client_mode(job, client).name == "TLS_FIRST"
        await fd.job_command(FdJobCommand(job_id=job.job_id, job=job.job, vol_session_id=0,
                                          vol_session_time=0, authorization="dummy",
                                          ssl=254 if tls_first else None))  # fmt: skip
        job.set_status(JS_RUNNING)
        await fd.fileset(fileset_packets(fileset), vss=use_vss(fileset))
        await _verify_lines(fd, LEVEL_WORDS[job.level], _Comparer(job, prev_id))
        await fd.wait_end()
    finally:
        await fd.close()
    job.fd_files = job.params.get("examined", 0)


async def _volume_to_catalog(job: JobControl, prev_id: int) -> None:
    """The backup's volumes read back by the SD into the FD, which reports what it read."""
    rt = job.rt
    client, pool = job.client_res, job.pool_res
    # DoVerify: with a Verify Job, its FileSet is the one sent to the FD (and the SD).
    vj = job.job_res.get("VerifyJob") if job.job_res is not None else None
    vj_res = rt.cfg.get("job", str(vj)) if vj else None
    if vj_res is not None and vj_res.get("FileSet"):
        job.fileset_res = rt.cfg.get("fileset", str(vj_res.get("FileSet"))) or job.fileset_res
    fileset = job.fileset_res
    assert client is not None and fileset is not None
    selection = select_files(rt.catalog, [prev_id])
    job.params["expected"] = selection.count
    devices = {st.name: (storage_devices(st) or [""])[0] for st in rt.storages()}
    try:
        bsr = build_bootstrap(rt.catalog, selection, device_of=devices)
    except CatalogError as exc:
        raise JobFailed(f"Unable to construct a valid BootStrapRecord: {exc}\n") from None
    first = bsr.entries[0] if bsr.entries else None
    store = rt.storage(first.storage) if first is not None and first.storage else job.storage_res
    if store is None or pool is None:
        raise JobFailed("A VolumeToCatalog verify needs a Storage and a Pool.\n")
    job.storage_res = store
    job.message(f"Start Verify JobId={job.job_id} Level={LEVEL_NAMES['O']} Job={job.job}\n")
    sd = await open_storage(job, store, write_pool=pool)
    ok = await sd.start_job(SdJobCommand(
        job_id=job.job_id, job=job.job, job_name=job.name, client_name=client.name,
        job_type=JobType.VERIFY, level=JobLevel.VERIFY_VOLUME_TO_CATALOG,
        fileset=fileset.name, fileset_md5=fileset_md5(fileset)))  # fmt: skip
    job.vol_session_id, job.vol_session_time = ok.vol_session_id, ok.vol_session_time
    key = ok.authorization
    # Bareos's order (DoVerify): StartStorageDaemonJob(send_bsr=true) sends the bootstrap
    # right after the job command, then getSecureEraseCmd; the read reservation; an active
    # client's SD gets "run" before the FD is even connected.  The FD: JobId=, fileset, then
    # "storage address=" (active) -- a passive client's SD gets "passive client" and "run"
    # only now, and the FD no "setauthorization" (that is the restore's way).
    await sd.bootstrap(bsr)
    await sd.secure_erase()
    await sd.reserve(pool_res=pool, append=False)
    passive = bool(client.get("Passive"))
    if not passive:
        await sd.run()
    fd = await open_client(job, client)
    try:
        await fd.job_command(FdJobCommand(job_id=job.job_id, job=job.job,
                                          vol_session_id=ok.vol_session_id,
                                          vol_session_time=ok.vol_session_time,
                                          authorization=key,
                                          ssl=jobid_ssl(job, client, store)))  # fmt: skip
        job.set_status(JS_RUNNING)
        await fd.fileset(fileset_packets(fileset), vss=use_vss(fileset))
        if passive:
            ssl = passive_client_ssl(job, client)
            job.params["data_ssl"] = ssl
            await sd.passive_client(data_address(client), int(client.get("Port")), ssl)
            await sd.run()
        else:
            ssl = active_storage_ssl(job, client, store)
            job.params["data_ssl"] = ssl
        phase = DataPhase(job, [sd], fd)
        comparer = _Comparer(job, prev_id)

        async def fd_steps() -> None:
            if not passive:
                await fd.storage(StorageCommand(address=data_address(store),
                                                port=int(store.get("Port")), ssl=ssl,
                                                authorization=key))  # fmt: skip
            await _verify_lines(fd, "volume", comparer)
            await fd.wait_end()
            await phase.wait_storage()

        await phase.run(fd_steps)
    finally:
        take_sd_results(job, sd)
        await fd.close()
    if job.params.get("examined", 0) != selection.count:
        job.set_status(JS_ERROR_TERMINATED)  # VerifyCleanup: expected != examined


async def _verify_lines(fd: Any, level: str, comparer: _Comparer) -> None:
    await fd.send(f"verify level={level}\n".encode())
    frame = await fd._next("Verify", 60.0)
    if not isinstance(frame, Packet) or not frame.payload.startswith(b"2000 OK verify"):
        shown = frame.payload.decode("utf-8", "replace") if isinstance(frame, Packet) else ""
        raise JobFailed(f"Bad response to Verify command: wanted 2000 OK verify\n, got {shown}\n")
    while True:
        frame = await fd._next("Verify", 3600.0)
        if isinstance(frame, SignalFrame):
            break
        comparer.feed(frame.payload)
    comparer.finish()


class _Comparer:
    """``GetAttributesAndPutInCatalog`` / ``GetAttributesAndCompareToCatalog``."""

    def __init__(self, job: JobControl, prev_id: int | None) -> None:
        self.job = job
        self.cat = job.rt.catalog
        self.catalog = {f.fname: f for f in self.cat.files(prev_id)} if prev_id else {}
        self.seen: set[str] = set()
        self.fname = ""
        self.printed = False
        self.opts = ""
        self.file_index = 0
        self.examined = 0

    def _differs(self, text: str) -> None:
        if not self.printed:
            self.job.message(f"File: {self.fname}\n")
            self.printed = True
        self.job.message(text)
        self.job.set_status(JS_DIFFERENCES)

    def feed(self, payload: bytes) -> None:
        head, _, rest = payload.partition(b"\0")
        parts = head.decode("utf-8", "surrogateescape").split(" ", 3)
        if len(parts) < 3:
            raise JobFailed(f"dird<filed: bad attributes, expected 3 fields got {len(parts)}\n")
        try:
            fi, stream = int(parts[0]), int(parts[1])
        except ValueError:
            raise JobFailed("dird<filed: bad attributes from filed\n") from None
        if stream == Stream.UNIX_ATTRIBUTES and len(parts) == 4:
            fields = rest.split(b"\0")
            self._attributes(fi, parts[2], parts[3], fields[0].decode("ascii", "replace"),
                             fields[1].decode("utf-8", "surrogateescape") if len(fields) > 1
                             else "")  # fmt: skip
        elif is_digest_stream(stream):
            self._digest(fi, stream, parts[2])

    def _attributes(self, fi: int, opts: str, fname: str, lstat: str, link: str) -> None:
        job = self.job
        self.examined += 1
        self.file_index, self.opts, self.fname, self.printed = fi, opts, fname, False
        try:
            st = decode_stat(lstat)
        except ProtocolError:
            raise JobFailed(f"dird<filed: bad attributes for {fname}\n") from None
        if job.level == "V":
            ftype = (FileType.DIREND if fname.endswith("/") else FileType.LNK
                     if stat_module.S_ISLNK(st.mode) else FileType.REG)  # fmt: skip
            self.cat.add_attributes(job.job_id, AttributeRecord(fi, ftype, fname, st, link=link))
            return
        rec = self.catalog.get(fname)
        if rec is None:
            job.message(f"New file: {fname}\n")
            job.set_status(JS_DIFFERENCES)
            self.opts = ""
            return
        self.seen.add(fname)
        try:
            c = decode_stat(rec.lstat)
        except ProtocolError:
            return
        for letter in opts:
            if letter == "i" and c.ino != st.ino:
                self._differs(f"      st_ino   differ. Cat: {c.ino} File: {st.ino}\n")
            elif letter == "p" and c.mode != st.mode:
                self._differs(f"      st_mode  differ. Cat: {c.mode:x} File: {st.mode:x}\n")
            elif letter == "n" and c.nlink != st.nlink:
                self._differs(f"      st_nlink differ. Cat: {c.nlink} File: {st.nlink}\n")
            elif letter == "u" and c.uid != st.uid:
                self._differs(f"      st_uid   differ. Cat: {c.uid} File: {st.uid}\n")
            elif letter == "g" and c.gid != st.gid:
                self._differs(f"      st_gid   differ. Cat: {c.gid} File: {st.gid}\n")
            elif letter == "s" and c.size != st.size:
                self._differs(f"      st_size  differ. Cat: {c.size} File: {st.size}\n")
            elif letter == "a" and c.atime != st.atime:
                self._differs("      st_atime differs\n")
            elif letter == "m" and c.mtime != st.mtime:
                self._differs("      st_mtime differs\n")
            elif letter == "c" and c.ctime != st.ctime:
                self._differs("      st_ctime differs\n")
            elif letter == "d" and c.size > st.size:
                self._differs(f"      st_size  decrease. Cat: {c.size} File: {st.size}\n")

    def _digest(self, fi: int, stream: int, b64: str) -> None:
        job = self.job
        if fi != self.file_index:
            raise JobFailed(f"MD5/SHA1 index {fi} not same as attributes {self.file_index}\n")
        if job.level == "V":
            raw = base64.b64decode(b64 + "=" * (-len(b64) % 4))
            self.cat.add_digest(job.job_id, fi, stream, raw)
            return
        # Bareos compares only when the Verify letters ask for it (5 or 1).
        if not any(c in self.opts for c in "51"):
            return
        rec = self.catalog.get(self.fname)
        if rec is not None and b64 != rec.digest:
            name = _STREAM_NAMES.get(stream, f"stream {stream}")
            self._differs(f"      {name} differs. File={b64} Cat={rec.digest}\n")

    def finish(self) -> None:
        job = self.job
        job.params["examined"] = self.examined
        if job.level == "V":
            return
        missing = [f for f in self.catalog.values()
                   if f.fname not in self.seen and f.file_index > 0
                   and f.file_type != FileType.DELETED]  # fmt: skip
        if missing:
            job.warning("The following files are in the Catalog but not on disk:\n")
            for f in missing:
                job.message(f"      {f.fname}\n")
            job.set_status(JS_DIFFERENCES)


def verify_report(job: JobControl) -> list[str]:
    volume = job.level == "O"
    if job.status == JS_RUNNING or (job.status not in (JS_DIFFERENCES,) and not job.failed):
        sd_ok = not volume or job.sd_status == JS_TERMINATED
        if job.fd_ok and job.fd_status == JS_TERMINATED and sd_ok:
            job.set_status(JS_TERMINATED)
        elif job.fd_status == JS_CANCELED or job.canceled:
            job.set_status(JS_CANCELED)
        else:
            job.set_status(JS_ERROR_TERMINATED)
    term = {JS_TERMINATED: "Verify OK", JS_DIFFERENCES: "Verify Differences",
            JS_CANCELED: "Verify Canceled", "e": "Verify warnings"}.get(job.status)  # fmt: skip
    if term is None:
        term = ("*** Verify Error ***" if job.status in (JS_FATAL, JS_ERROR_TERMINATED)
                else f"Inappropriate term code: {job.status}")  # fmt: skip
    vj = job.job_res.get("VerifyJob") if job.job_res is not None else None
    fd_word = "OK" if job.fd_status == JS_TERMINATED else job_status_text(job.fd_status)
    header = _header(job)
    first = _line("OS Information" if volume else "Build", texts.os_name())
    lines = [header[0], first, *header[2:]] + [
        _line("FileSet", job.fileset_name),
        _line("Verify Level", LEVEL_NAMES.get(job.level, job.level)),
        _line("Client", job.client_name),
        # VerifyCleanup prints previous_jr's JobId; only backups, copies and consolidations
        # fill previous_jr in, so a Verify job shows 0 (the job it used is in its log).
        _line("Verify JobId", 0),
        _line("Verify Job", str(vj) if vj else ""),
        _line("Start time", long_time(job.start_time)),
        _line("End time", long_time(job.end_time)),
        *(
            [_line("Files Expected", with_commas(int(job.params.get("expected", 0))))]
            if volume
            else []
        ),
        _line("Files Examined", with_commas(int(job.params.get("examined", 0)))),
        _line("Non-fatal FD errors", job.fd_errors),
        _line("FD termination status", fd_word if job.fd_ok else "Error"),
        *(
            [
                _line(
                    "SD termination status",
                    "OK"
                    if job.sd_status == JS_TERMINATED
                    else job_status_text(job.sd_status)
                    if job.sd_ended
                    else "Error",
                )
            ]
            if volume
            else []
        ),
        _line("Bareos binary info", texts.BINARY_INFO),
        _line("Job triggered by", "User"),
        _line("Termination", term),
        "\n",
    ]
    return _with_time_prefix(job, lines)


VERIFY = JobKind(run=run_verify, report=verify_report)
