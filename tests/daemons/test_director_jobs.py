"""Units of the Director's job sessions: catalog, bootstrap, FileSet, ssl= values, messages, report.

The sessions with real and replayed daemons are in ``test_director_jobs_golden.py`` and
``test_e2e_jobs.py``; here each piece is checked on its own, with in-memory streams
where a session is needed.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
import trio
import trio.testing

from bareosnet.config import parse_string
from bareosnet.net.stream import BareosStream
from bareosnet.proto.attributes import AttributeRecord, FileType, Stat
from bareosnet.proto.framing import Packet, SignalFrame
from bareosnet.proto.hello import Persona
from bareosnet.proto.jobcmds import Jmsg, MessageType, UpdCatFileAttributes
from bareosnet.proto.policy import HandshakeMode
from bareosnet.proto.signals import Signal
from bareosnet.proto.streams import CatalogRecord
from daemons.director.catalog.records import CatalogError
from daemons.director.catalog.restore_lookup import backups_before
from daemons.director.catalog.selection import build_bootstrap, select_files
from daemons.director.catalog.store import Catalog
from daemons.director.console.args import parse_args
from daemons.director.console.commands import lookup
from daemons.director.jobs.common import (
    active_storage_ssl,
    fileset_packets,
    jobid_ssl,
    passive_client_ssl,
    replicate_ssl,
)
from daemons.director.jobs.control import JobControl, JobFailed
from daemons.director.jobs.fd_session import FdSession
from daemons.director.jobs.messages import MessageRouter, type_set
from daemons.director.jobs.report import (
    elapsed_text,
    rate,
    run_time,
    settle_status,
    size_text,
    termination,
)
from daemons.director.jobs.restore import replace_code
from daemons.director.jobs.sd_session import SdSession
from daemons.director.jobs.setup import Overrides, SetupError, build_job
from daemons.director.runtime import DirectorRuntime

CONFIG = """
Director { Name = bareos-dir; DirPort = 9101; Password = "secret"; Maximum Concurrent Jobs = 3 }
Catalog { Name = MyCatalog; DbName = bareos; DbUser = bareos }
Messages { Name = Standard; Console = all, !skipped; Catalog = all }
Client { Name = fd; Address = 127.0.0.1; Port = 19102; Password = "fd"; Catalog = MyCatalog }
Client { Name = fd-clear; Address = 127.0.0.1; Port = 19102; Password = "fd"
         TLS Enable = no; TLS Require = no }
Client { Name = fd-relaxed; Address = 127.0.0.1; Port = 19102; Password = "fd"; TLS Require = no }
Storage { Name = File; Address = 127.0.0.1; Port = 19103; Password = "sd"; Device = FileStorage
          Media Type = File }
Storage { Name = Clear; Address = 127.0.0.1; Port = 19105; Password = "sd"; Device = FileStorage
          Media Type = File; TLS Enable = no; TLS Require = no }
Storage { Name = Relaxed; Address = 127.0.0.1; Port = 19106; Password = "sd"
          Device = FileStorage; Media Type = File; TLS Require = no }
Pool { Name = Full; Pool Type = Backup; Label Format = "Full-"
       Maximum Volume Bytes = 1073741824
}
FileSet { Name = LabData
  Include { Options { Signature = MD5 }
            File = /srv/bareos-lab/data }
}
FileSet { Name = Two
  Include { Options { Signature = XXH128; Compression = GZIP }
            Options { Wild = "*.tmp"; Exclude = yes }
            File = /a
            File = "/b c" }
  Exclude { File = /a/cache }
}
Job { Name = backup-lab; Type = Backup; Level = Full; Client = fd; FileSet = LabData
      Storage = File; Pool = Full; Messages = Standard }
JobDefs { Name = Defaults; Type = Backup; Level = Incremental; Client = fd; FileSet = LabData
          Storage = File; Pool = Full; Messages = Standard }
Job { Name = from-defs; JobDefs = Defaults; Client = fd-clear }
"""


def runtime(tmp: Path | None = None) -> DirectorRuntime:
    text = CONFIG
    if tmp is not None:
        text = text.replace(
            'Password = "secret";', f'Password = "secret"; Working Directory = "{tmp}";'
        )
    cfg = parse_string(text, daemon="dir")
    return DirectorRuntime(cfg, load=lambda: parse_string(text, daemon="dir"),
                           persona=Persona.V26, failure_delay=0.0, handshake_state=False)  # fmt: skip


def attrs_record(index: int, fname: str, mode: int = 0o100644, size: int = 5) -> AttributeRecord:
    ftype = FileType.DIREND if fname.endswith("/") else FileType.REG
    return AttributeRecord(index, ftype, fname, Stat(mode=mode, size=size, mtime=1795741810))


# ---------------------------------------------------------------- catalog


def test_jobids_grow_across_restarts(tmp_path: Path) -> None:
    path = tmp_path / "cat.sqlite"
    cat = Catalog(path)
    ids = [cat.create_job(job=f"j.{i}", name="j", type="B", level="F", client="fd",
                          fileset="LabData", pool="Full", storage="File",
                          sched_time=time.time()) for i in range(3)]  # fmt: skip
    cat.db.execute("DELETE FROM Job")  # even deleted jobs keep their numbers used
    cat.close()
    again = Catalog(path)
    assert ids == [1, 2, 3] and again.next_job_id() == 4
    assert again.create_job(job="j.4", name="j", type="B", level="F", client=None, fileset=None,
                            pool=None, storage=None, sched_time=0) == 4  # fmt: skip


def test_running_jobs_of_a_stopped_director_are_marked_failed(tmp_path: Path) -> None:
    cat = Catalog(tmp_path / "c.sqlite")
    jid = cat.create_job(job="x.1", name="x", type="B", level="F", client=None, fileset=None,
                         pool=None, storage=None, sched_time=0)  # fmt: skip
    cat.update_job(jid, status="R")
    cat.close()
    rec = Catalog(tmp_path / "c.sqlite").job(jid)
    assert rec is not None and rec.status == "E" and "stopped" in (rec.error_text or "")


def test_find_media_labels_reuses_skips_and_fills() -> None:
    cat = Catalog(None)
    kw: dict[str, Any] = dict(pool="Full", media_type="File", storage="File",
                              label_format="Full-", max_vol_bytes=1000)  # fmt: skip
    first = cat.find_media(**kw)
    assert (first.volume, first.media_id, first.vol_status, first.vol_bytes) == (
        "Full-0001",
        1,
        "Append",
        0,
    )
    assert cat.find_media(**kw).volume == "Full-0001"
    assert cat.find_media(**kw, unwanted=["Full-0001"]).volume == "Full-0002"
    cat.update_media("Full-0001", vol_bytes=1000, vol_blocks=2, vol_writes=1)
    assert cat.find_media(**kw).volume == "Full-0002"  # Full-0001 reached its maximum
    assert cat.media("Full-0001").vol_status == "Full"  # type: ignore[union-attr]
    with pytest.raises(CatalogError, match="Maximum Volumes"):
        cat.find_media(**{**kw, "max_volumes": 2}, unwanted=["Full-0002"])


def test_update_media_never_goes_backwards() -> None:
    cat = Catalog(None)
    cat.find_media(pool="Full", media_type="File", storage="File")
    rec = cat.update_media("Full-0001", vol_bytes=500, vol_blocks=3, vol_jobs=1, vol_mounts=2)
    assert rec is not None and (rec.vol_bytes, rec.end_block, rec.vol_mounts) == (500, 499, 2)
    rec = cat.update_media("Full-0001", vol_bytes=100, vol_blocks=1, vol_jobs=2)
    assert rec is not None and (rec.vol_bytes, rec.vol_blocks, rec.vol_jobs) == (500, 3, 2)
    assert cat.update_media("nope") is None


def _backup(cat: Catalog, name: str, level: str, files: list[str], *, session: int,
            start: float, media_id: int = 1, block: int = 0) -> int:  # fmt: skip
    jid = cat.create_job(job=f"{name}.{session}", name=name, type="B", level=level, client="fd",
                         fileset="LabData", pool="Full", storage="File", sched_time=start)  # fmt: skip
    cat.update_job(jid, status="T", start_time=start, end_time=start + 1, vol_session_id=session,
                   vol_session_time=1795741908)  # fmt: skip
    for i, fname in enumerate(files, start=1):
        cat.add_attributes(jid, attrs_record(i, fname))
    cat.create_jobmedia(jid, media_id=media_id, first_index=0, last_index=0)
    cat.create_jobmedia(jid, media_id=media_id, first_index=1, last_index=len(files),
                        start_block=block, end_block=block + 669)  # fmt: skip
    assert cat.delete_null_jobmedia(jid) == 1
    return jid


def test_bootstrap_of_a_restore_is_bareos_text() -> None:
    cat = Catalog(None)
    cat.find_media(pool="Full", media_type="File", storage="File")
    cat.find_media(pool="Full", media_type="File", storage="File", unwanted=["Full-0001"])
    jid = _backup(cat, "backup-lab", "I", ["/srv/bareos-lab/data/new.txt", "/srv/bareos-lab/data/"],
                  session=1, start=1795741920, media_id=2, block=1538464)  # fmt: skip
    sel = select_files(cat, [jid])
    bsr = build_bootstrap(cat, sel, device_of={"File": "FileStorage"})
    # set2-stream07: what the real Director sent after "bootstrap\n".
    assert bsr.packets() == [
        b'Storage="File"\n', b'Volume="Full-0002"\n', b'MediaType="File"\n',
        b'Device="FileStorage"\n', b"VolSessionId=1\n", b"VolSessionTime=1795741908\n",
        b"VolAddr=1538464-1539133\n", b"FileIndex=1-2\n", b"Count=2\n",
    ]  # fmt: skip


def test_restore_chain_and_selection() -> None:
    cat = Catalog(None)
    cat.find_media(pool="Full", media_type="File", storage="File")
    full = _backup(cat, "b", "F", ["/d/a", "/d/b", "/d/sub/c", "/d/sub/", "/d/"], session=1,
                   start=100)  # fmt: skip
    _backup(cat, "b", "F", ["/d/a"], session=2, start=150)  # another Full
    cat.update_job(2, status="f")  # ... that failed: not part of any set
    diff = _backup(cat, "b", "D", ["/d/b", "/d/"], session=3, start=200)
    incr = _backup(cat, "b", "I", ["/d/a", "/d/"], session=4, start=300)
    chain = backups_before(cat, "fd", "LabData", time.time())
    assert [r.job_id for r in chain] == [full, diff, incr]
    sel = select_files(cat, [full, diff, incr])
    newest = {f.fname: f.job_id for f in sel.files}
    assert newest == {"/d/a": incr, "/d/b": diff, "/d/sub/c": full, "/d/sub/": full, "/d/": incr}
    only_sub = select_files(cat, [full, diff, incr], ["/d/sub"])
    assert sorted(f.fname for f in only_sub.files) == ["/d/sub/", "/d/sub/c"]
    bsr = build_bootstrap(cat, sel)
    assert [(e.vol_session_id[0].first, [str(r) for r in e.file_index], e.count)
            for e in bsr.entries] == [(1, ["3-4"], 2), (3, ["1"], 1), (4, ["1-2"], 2)]  # fmt: skip


def test_last_backup_for_since_times() -> None:
    cat = Catalog(None)
    cat.find_media(pool="Full", media_type="File", storage="File")
    _backup(cat, "b", "F", ["/x"], session=1, start=100)
    _backup(cat, "b", "I", ["/x"], session=2, start=200)
    full = cat.last_backup(name="b", client="fd", fileset="LabData", levels=("F",))
    last = cat.last_backup(name="b", client="fd", fileset="LabData", levels=("F", "D", "I"))
    assert full is not None and full.start_time == 100
    assert last is not None and last.start_time == 200 and last.job == "b.2"
    assert cat.last_backup(name="other", client="fd", fileset=None, levels=("F",)) is None


def test_copy_selection_queries() -> None:
    cat = Catalog(None)
    cat.find_media(pool="Full", media_type="File", storage="File")
    a = _backup(cat, "b", "F", ["/x"], session=1, start=100)
    b = _backup(cat, "b", "F", ["/x"], session=2, start=200)
    assert cat.uncopied_jobs("Full") == [a, b]
    copy = cat.create_job(job="b.copy", name="b", type="C", level="F", client="fd",
                          fileset="LabData", pool="Copy", storage="File2", sched_time=0,
                          prior_job_id=a)  # fmt: skip
    cat.update_job(copy, status="T")
    assert cat.uncopied_jobs("Full") == [b]
    assert cat.query_job_ids("SELECT JobId FROM Job WHERE Level='F' AND Type='B'") == [a, b]
    with pytest.raises(CatalogError, match="SELECT"):
        cat.query_job_ids("DELETE FROM Job")
    with pytest.raises(CatalogError, match="failed"):
        cat.query_job_ids("SELECT nope FROM nowhere")


# ---------------------------------------------------------------- FileSet, ssl=, setup


def test_fileset_packets_are_the_directors() -> None:
    rt = runtime()
    # stream05: the real Director's packets for "Signature = MD5; File = /srv/bareos-lab/data".
    assert fileset_packets(rt.cfg.get("fileset", "LabData")) == [
        b"I\n", b"O MHAX\n", b"N\n", b"F /srv/bareos-lab/data", b"N\n", b"N\n"]  # fmt: skip
    assert fileset_packets(rt.cfg.get("fileset", "Two")) == [
        b"I\n", b"O S4Z6HAX\n", b"N\n", b"O eHAX\n", b"W *.tmp\n", b"N\n", b"F /a", b"F /b c",
        b"N\n", b"N\n", b"E\n", b"O HAX\n", b"N\n", b"F /a/cache", b"N\n", b"N\n",
    ]  # fmt: skip


def test_ssl_values_follow_the_handshake_mode() -> None:
    rt = runtime()
    job = JobControl(rt=rt, name="x", job_type="B", level="F")
    fd, clear_fd, relaxed_fd = (rt.client(n) for n in ("fd", "fd-clear", "fd-relaxed"))
    tls_sd, clear_sd, relaxed_sd = (rt.storage(n) for n in ("File", "Clear", "Relaxed"))
    rt.modes.set("fd", HandshakeMode.TLS_FIRST, None)
    assert jobid_ssl(job, fd, tls_sd) == 4 and jobid_ssl(job, fd, clear_sd) == 0
    assert active_storage_ssl(job, fd, tls_sd) == 4 and active_storage_ssl(job, fd, clear_sd) == 0
    assert passive_client_ssl(job, fd) == 4
    rt.modes.set("fd-relaxed", HandshakeMode.CLEARTEXT_FIRST, None)
    assert jobid_ssl(job, relaxed_fd, tls_sd) is None  # the old 5-field JobId command
    assert active_storage_ssl(job, relaxed_fd, tls_sd) == 2  # the storage's policy
    assert active_storage_ssl(job, relaxed_fd, relaxed_sd) == 1
    assert passive_client_ssl(job, relaxed_fd) == 1  # the client's policy
    rt.modes.set("fd-clear", HandshakeMode.CLEARTEXT_FIRST, None)
    assert passive_client_ssl(job, clear_fd) == 0
    assert replicate_ssl(tls_sd) == 4 and replicate_ssl(clear_sd) == 0


def test_build_job_takes_overrides_and_jobdefs() -> None:
    rt = runtime()
    job = build_job(rt, rt.cfg.get("job", "from-defs"))
    assert (job.level, job.client_name, job.fileset_name, job.pool_res.name) == (
        "I", "fd-clear", "LabData", "Full")  # fmt: skip
    assert job.storage_res.name == "File" and job.sources["pool"] == "Job resource"
    job = build_job(rt, rt.cfg.get("job", "backup-lab"),
                    Overrides(level="Differential", client="fd-relaxed", storage="Clear"))  # fmt: skip
    assert (job.level, job.client_name, job.storage_res.name) == ("D", "fd-relaxed", "Clear")
    assert job.sources["client"] == "command line"
    with pytest.raises(SetupError, match="not valid"):
        build_job(rt, rt.cfg.get("job", "backup-lab"), Overrides(level="Sometimes"))
    with pytest.raises(SetupError, match="not found"):
        build_job(rt, rt.cfg.get("job", "backup-lab"), Overrides(client="nobody"))


def test_replace_codes() -> None:
    assert [replace_code(w) for w in ("always", "IfNewer", "ifolder", "never", None)] == [
        "a", "w", "o", "n", "a"]  # fmt: skip
    with pytest.raises(ValueError):
        replace_code("sometimes")


def test_job_commands_are_in_the_table_with_usage() -> None:
    for word, key in (("run", "run"), ("resto", "restore"), ("wa", "wait"), ("li", "list"),
                      ("ll", "llist"), ("can", "cancel")):  # fmt: skip
        cmd = lookup(word)
        assert cmd is not None and cmd.key == key and cmd.emulated and cmd.usage
    assert parse_args("restore client=fd file=/a file=/b yes").words[2:4] == (
        ("file", "/a"),
        ("file", "/b"),
    )


# ---------------------------------------------------------------- messages and report


def test_message_types() -> None:
    assert type_set(["all", "!skipped", "!saved"]) == frozenset(
        {1, 3, 4, 5, 6, 8, 10, 11, 12, 13, 14, 15, 16, 18})  # fmt: skip
    assert type_set(["fatal", "error"]) == {MessageType.FATAL, MessageType.ERROR}


def test_job_messages_are_routed_and_redacted(tmp_path: Path) -> None:
    rt = runtime()
    job = JobControl(rt=rt, name="x", job_type="B", level="F", job_id=7,
                     messages_res=rt.cfg.get("messages", "Standard"))  # fmt: skip
    job.message("Start Backup JobId 7, Job=x.1\n")
    job.daemon_message(
        Jmsg("x.1", MessageType.SKIPPED, 1795741810, "bareos-fd JobId 7: skipped\n"), "fd"
    )
    job.daemon_message(Jmsg("x.1", MessageType.INFO, 1795741810,
                            "bareos-fd JobId 7: got Authorization=ABCD-EFGH\n"), "fd")  # fmt: skip
    lines = rt.messages.drain()
    assert len(lines) == 2 and lines[0].endswith(
        " bareos-dir JobId 7: Start Backup JobId 7, Job=x.1\n"
    )
    assert "ABCD" not in lines[1] and "Authorization=<hidden>" in lines[1]
    assert len(rt.catalog.logs(7)) == 3  # the catalog takes everything, skipped too
    router = MessageRouter(rt, None)  # no Messages resource: everything to the console
    router.deliver(7, MessageType.SKIPPED, "x")
    assert rt.messages.drain() == ["x\n"]


def test_daemon_messages_mark_failures_and_data_connections() -> None:
    rt = runtime()
    job = JobControl(rt=rt, name="x", job_type="B", level="F", job_id=3)
    job.params["data_ssl"] = 4
    job.daemon_message(Jmsg("x.1", MessageType.INFO, 0, "bareos-fd JobId 3: Connected Storage "
                            "daemon at 127.0.0.1:9103, encryption: TLS_AES_128_GCM_SHA256 TLSv1.3\n"),
                       "fd")  # fmt: skip
    job.daemon_message(Jmsg("x.1", MessageType.INFO, 0, "bareos-sd JobId 3: Connected File Daemon "
                            "at 127.0.0.1:9102, encryption: None\n"), "sd")  # fmt: skip
    assert [c.line() for c in job.connections] == [
        "  File daemon -> Storage daemon (6):  Handshake: Immediate TLS, Encryption: "
        "TLS_AES_128_GCM_SHA256 TLSv1.3\n",
        "  Storage daemon -> File daemon (7):  Handshake: Immediate TLS, Encryption: None\n",
    ]
    assert job.status == "C" and not job.failed
    job.daemon_message(Jmsg("x.1", MessageType.FATAL, 0, "bareos-sd JobId 3: Fatal error: disk full\n"),
                       "sd")  # fmt: skip
    assert job.failed and job.fatal_messages == ["Fatal error: disk full"]
    job.set_status("T")  # a later OK never hides the failure
    assert job.status == "f"


def test_final_status_and_termination_words() -> None:
    rt = runtime()

    def ended(**kw: Any) -> JobControl:
        job = JobControl(rt=rt, name="x", job_type="B", level="F", status="R")
        for k, v in kw.items():
            setattr(job, k, v)
        settle_status(job)
        return job

    assert termination(ended(fd_ok=True, fd_status="T", sd_status="T"), "Backup") == "Backup OK"
    assert termination(ended(fd_ok=False, sd_status="T"), "Backup") == "*** Backup Error ***"
    assert (
        termination(ended(fd_ok=True, fd_status="T", sd_status="E"), "Backup")
        == "*** Backup Error ***"
    )
    assert termination(ended(fd_ok=True, fd_status="T", sd_status="T", fd_errors=1), "Backup") == (
        "Backup OK -- with warnings")  # fmt: skip
    assert termination(ended(status="A"), "Restore") == "Restore Canceled"
    assert [elapsed_text(s) for s in (0, 1, 3, 65, 3600 * 25 + 1, 120, 86400 * 40, 86400 * 366)] == [
        "0 secs", "1 sec", "3 secs", "1 min 5 secs", "1 day 1 hour 1 sec", "2 mins ",
        "1 month 10 days ", "1 year 1 day "]  # fmt: skip
    assert size_text(200154) == "200,154 (200.1 KB)" and size_text(37) == "37 (37 B)"
    # Whole seconds of the printed Start/End times; no second passed: rate 0 (as Bareos).
    quick = ended(start_time=1000.2, end_time=1000.9)
    assert (run_time(quick), rate(quick, 5000)) == (0, 0.0)
    crossing = ended(start_time=1000.9, end_time=1001.1)
    assert (run_time(crossing), rate(crossing, 5000)) == (1, 5.0)


# ---------------------------------------------------------------- sessions over memory streams


async def _pair() -> tuple[BareosStream, BareosStream]:
    a, b = trio.testing.memory_stream_pair()
    return BareosStream(a, timeout=5), BareosStream(b, timeout=5)


async def test_fd_session_answers_btime_and_reports_bad_replies() -> None:
    rt = runtime()
    job = JobControl(rt=rt, name="x", job_type="B", level="I", job_id=5, job="x.1")
    director, fd = await _pair()
    session = FdSession(job, director, None)  # type: ignore[arg-type]

    async def fake_fd() -> None:
        assert (await fd.receive_packet()) == b"level = incremental  mtime_only=0 \n"
        assert (await fd.receive_packet()) == (b"level = since_utime 1795741810 mtime_only=0 "
                                               b"prev_job=x.0\n")  # fmt: skip
        for _ in range(3):
            await fd.send_signal(Signal.BTIME)
            assert (await fd.receive_packet()).startswith(b"btime 17")
        await fd.send(b"Jmsg Job=x.1 type=6 level=1795741810 bareos-fd JobId 5: hello\n")
        await fd.send_signal(Signal.EOD)
        await fd.send(b"2000 OK level\n")
        assert (await fd.receive_packet()) == b"storage address=h port=1 ssl=4\n"
        await fd.send(b"2902 Bad storage\n")

    async with trio.open_nursery() as nursery:
        nursery.start_soon(fake_fd)
        await session.level("I", since=1795741810, prev_job="x.0")
        from bareosnet.proto.jobcmds import StorageCommand

        with pytest.raises(JobFailed, match="Bad response to Storage command: wanted 2000 OK "
                                            "storage, got 2902 Bad storage"):  # fmt: skip
            await session.storage(StorageCommand(address="h", port=1, ssl=4))
    assert any("hello" in m for m in rt.messages.drain())


async def test_sd_session_answers_catalog_requests(tmp_path: Path) -> None:
    rt = runtime()
    job = JobControl(rt=rt, name="x", job_type="B", level="F", job="x.1",
                     pool_res=rt.cfg.get("pool", "Full"), storage_res=rt.storage("File"))  # fmt: skip
    job.job_id = rt.catalog.create_job(job="x.1", name="x", type="B", level="F", client="fd",
                                       fileset="LabData", pool="Full", storage="File",
                                       sched_time=0)  # fmt: skip
    director, sd = await _pair()
    session = SdSession(job, director, None, rt.storage("File"))  # type: ignore[arg-type]
    record = attrs_record(1, "/srv/a b.txt").encode()
    updcat = UpdCatFileAttributes("x.1", CatalogRecord(1, 1795741802, 1, 1, record)).encode()
    digest = UpdCatFileAttributes("x.1", CatalogRecord(1, 1795741802, 1, 3, b"\x01" * 16)).encode()
    got: list[bytes] = []

    async def fake_sd() -> None:
        await sd.send(b"Status Job=x.1 JobStatus=82\n")
        await sd.send(
            b"CatReq Job=x.1 FindMedia=1 pool_name=Full media_type=File unwanted_volumes=\n"
        )
        got.append(await sd.receive_packet())
        await sd.send(b"CatReq Job=x.1 GetVolInfo VolName=Nope write=0\n")
        got.append(await sd.receive_packet())
        await sd.send(updcat)
        await sd.send(digest)
        await sd.send(b"CatReq Job=x.1 CreateJobMedia FirstIndex=1 LastIndex=1 StartFile=0 "
                      b"EndFile=0 StartBlock=0 EndBlock=99 Copy=0 Strip=0 MediaId=1\n")  # fmt: skip
        got.append(await sd.receive_packet())
        await sd.send(b"CatReq Job=x.1 Frobnicate\n")
        got.append(await sd.receive_packet())
        await sd.send(b"3099 Job x.1 end JobStatus=84 JobFiles=1 JobBytes=100 JobErrors=0\n")
        await sd.send_signal(Signal.EOD)
        await sd.send_signal(Signal.TERMINATE)

    async with trio.open_nursery() as nursery:
        nursery.start_soon(fake_sd)
        await session.follow()
    assert got[0] == (b"1000 OK VolName=Full-0001 VolJobs=0 VolFiles=0 VolBlocks=0 VolBytes=0 "
                      b"VolMounts=0 VolErrors=0 VolWrites=0 MaxVolBytes=1073741824 "
                      b"VolCapacityBytes=0 VolStatus=Append Slot=0 MaxVolJobs=0 MaxVolFiles=0 "
                      b"InChanger=0 VolReadTime=0 VolWriteTime=0 EndFile=0 EndBlock=0 "
                      b"LabelType=0 MediaId=1 EncryptionKey= MinBlocksize=0 MaxBlocksize=0\n")  # fmt: skip
    assert got[1] == b'1997 Volume "Nope" not in catalog.\n'
    assert got[2] == b"1000 OK CreateJobMedia\n"
    assert got[3] == b"1990 Invalid Catalog Request: CatReq Job=x.1 Frobnicate"
    assert session.ended is not None and session.sd_status == "T" and session.terminated
    assert session.volumes == ["Full-0001"] and session.attributes == 1
    (f,) = rt.catalog.files(job.job_id)
    assert (f.path, f.name, f.file_index, f.digest) == (
        "/srv/",
        "a b.txt",
        1,
        "AQEBAQEBAQEBAQEBAQEBAQ",
    )
    assert job.failed  # the invalid request is fatal, as in Bareos


async def test_sd_session_lost_connection_is_fatal() -> None:
    rt = runtime()
    job = JobControl(rt=rt, name="x", job_type="B", level="F", job="x.1", job_id=1)
    director, sd = await _pair()
    session = SdSession(job, director, None, rt.storage("File"))  # type: ignore[arg-type]
    await sd.send(b"Status Job=x.1 JobStatus=82\n")
    await sd.aclose()
    await session.follow()
    assert session.ended is None and session.sd_status == "E"
    assert job.fatal_messages == ["Director's comm line to SD dropped."]


def test_frames_are_typed() -> None:
    # The session code relies on these two frame kinds only.
    assert Packet(b"x").payload == b"x" and SignalFrame(Signal.EOD).signal is Signal.EOD


def test_incremental_since_time_and_upgrade_to_full() -> None:
    from daemons.director.jobs.backup import prepare_level

    rt = runtime()

    def queued() -> JobControl:
        job = build_job(rt, rt.cfg.get("job", "from-defs"))
        job.job_id = rt.catalog.create_job(job=f"from-defs.{time.time()}", name="from-defs",
                                           type="B", level=job.level, client="fd-clear",
                                           fileset="LabData", pool="Full", storage="File",
                                           sched_time=0)  # fmt: skip
        return job

    first = queued()
    prepare_level(first)
    assert first.level == "F" and first.params["upgraded_from"] == "Incremental"
    assert rt.catalog.job(first.job_id).level == "F"  # type: ignore[union-attr]
    said = "".join(rt.messages.drain())
    assert "No prior or suitable Full backup found in catalog. Doing FULL backup." in said
    rt.catalog.update_job(first.job_id, status="T", start_time=1795741810)
    second = queued()
    prepare_level(second)
    assert (second.level, second.since_time) == ("I", 1795741810)
    assert second.prev_job == rt.catalog.job(first.job_id).job  # type: ignore[union-attr]
