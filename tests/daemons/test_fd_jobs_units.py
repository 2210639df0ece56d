"""File daemon job parts in isolation: file selection, restore names, small commands."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
import trio
from hypothesis import given
from hypothesis import strategies as st

from bareosnet.proto.attributes import AttributeRecord, FileType, Stat, encode_stat
from bareosnet.proto.fileset import FileOptions, FileSet, IncludeExclude
from bareosnet.proto.jobcmds import MessageType
from bareosnet.proto.signals import Signal
from bareosnet.proto.streams import Stream
from daemons.filedaemon.fileselect import FileFlags, Found, Notice, Walker, since_check
from daemons.filedaemon.restore import RestoreOptions, parse_regexwhere
from tests.daemons.test_fd_jobs_support import Director, MemorySD, running_fd

KEY = "OJFA-AMKE-FKLC-BOAH-FGCN-AOMI-EJEI-BFLB"
JOB = "backup-lab.2026-11-27_01.11.58_04"


def names(fileset: FileSet, root: Path, **kw) -> list[str]:  # type: ignore[no-untyped-def]
    out = []
    for item in Walker(fileset, **kw):
        if isinstance(item, Found):
            out.append(item.fname.replace(str(root), "", 1) or "/")
    return out


def tree(root: Path) -> Path:
    (root / "a" / "b").mkdir(parents=True)
    (root / "a" / "keep.txt").write_text("k")
    (root / "a" / "skip.tmp").write_text("t")
    (root / "a" / "b" / "deep.txt").write_text("d")
    (root / "c").mkdir()
    (root / "c" / ".nobackup").write_text("")
    (root / "c" / "hidden.txt").write_text("h")
    return root


def test_walk_order_dirs_after_contents_and_options(tmp_path: Path) -> None:
    root = tree(tmp_path / "t")
    plain = FileSet([IncludeExclude(files=[str(root)], options=[FileOptions("MHAX")])])
    got = names(plain, root)
    assert got[-1] == "/" and got.index("/a/b/deep.txt") < got.index("/a/b/")
    assert got.index("/a/b/") < got.index("/a/")
    assert "/c/hidden.txt" in got
    # "Exclude Dir Containing" (Z), a wildfile exclude options block, an Exclude block.
    fs = FileSet(
        [
            IncludeExclude(
                files=[str(root)],
                options=[FileOptions("e", wildfile=["*.tmp"]), FileOptions("MHAX")],
                ignore_dirs=[".nobackup"],
            )
        ],
        excludes=[IncludeExclude(files=[str(root / "a" / "b")])],
    )
    got = names(fs, root)
    assert sorted(got) == ["/", "/a/", "/a/keep.txt"]
    # No recursion (h): sub-directories are saved as entries only, with a notice.
    items = list(Walker(FileSet([IncludeExclude(files=[str(root)], options=[FileOptions("h")])])))
    notices = [i.text for i in items if isinstance(i, Notice)]
    assert any("Recursion turned off. Will not descend from" in t for t in notices)
    assert sorted(i.fname.replace(str(root), "") for i in items if isinstance(i, Found)) == [
        "/", "/a/", "/c/",
    ]  # fmt: skip


def test_incremental_selection_and_file_types(tmp_path: Path) -> None:
    root = tmp_path / "t"
    root.mkdir()
    (root / "old").write_text("x")
    (root / "old-empty").write_text("")
    os.chmod(root / "old-empty", 0o644)
    (root / "private-empty").write_text("")
    os.chmod(root / "private-empty", 0o600)
    (root / "ln").symlink_to("old")
    fs = FileSet([IncludeExclude(files=[str(root), str(root / "missing")])])
    items = list(Walker(fs))
    types = {i.fname.replace(str(root), ""): i.file_type for i in items if isinstance(i, Found)}
    assert types["/old-empty"] == FileType.REGE and types["/private-empty"] == FileType.REG
    assert types["/ln"] == FileType.LNK and types["/"] == FileType.DIREND
    errors = [i for i in items if isinstance(i, Notice) and i.error]
    assert errors and errors[0].type == MessageType.NOTSAVED and "Could not stat" in errors[0].text
    future = int(time.time()) + 100
    assert names(fs, root, changed=since_check(future)) == []  # all unchanged
    assert len(names(fs, root, changed=since_check(0))) == 5


def test_file_flags() -> None:
    f = FileFlags.parse("MHAX")
    assert f.signature == Stream.MD5_DIGEST and not f.hardlinks and f.acl and f.xattr
    assert FileFlags.parse("S2hf").signature == Stream.SHA256_DIGEST
    assert not FileFlags.parse("hf").recurse and not FileFlags.parse("hf").onefs
    assert FileFlags.parse("Q?M").signature == Stream.MD5_DIGEST  # unknown letters skipped


def test_restore_output_names() -> None:
    rec = AttributeRecord(1, FileType.LNK, "/srv/data/ln", Stat(), link="/srv/data/target")
    assert RestoreOptions(where="/tmp/r").output_names(rec) == ("/tmp/r/srv/data/ln",
                                                                "/srv/data/target")  # fmt: skip
    assert RestoreOptions(where="/tmp/r", prelinks=True).output_names(rec)[1] == (
        "/tmp/r/srv/data/target"
    )
    hard = AttributeRecord(2, FileType.LNKSAVED, "/srv/b", Stat(), link="/srv/a")
    assert RestoreOptions(where="/tmp/r").output_names(hard) == ("/tmp/r/srv/b", "/tmp/r/srv/a")
    assert RestoreOptions().output_names(hard) == ("/srv/b", "/srv/a")
    rw = RestoreOptions(regexwhere=parse_regexwhere(r"!/srv!/restored!,!\.txt$!.bak!"))
    plain = AttributeRecord(3, FileType.REG, "/srv/x.txt", Stat())
    assert rw.output_names(plain)[0] == "/restored/x.bak"
    with pytest.raises(ValueError):
        parse_regexwhere("!unterminated")


@given(st.text(alphabet="abc/.", min_size=1, max_size=20))
def test_regexwhere_identity_rewrite(path: str) -> None:
    assert parse_regexwhere("!^!!")[0].apply(path) == path


# ---------------------------------------------------------------- small commands


async def test_small_commands_and_estimate(tmp_path: Path) -> None:
    (tmp_path / "f").write_bytes(b"x" * 1234)
    async with running_fd() as (daemon, port):
        d = await Director.connect(port)
        assert (await d.job(JOB, "dummy")).startswith(b"2000 OK Job 26.0.0 (21Aug26) ")
        await d.send("pluginoptions python:module_name=x\n")
        assert await d.reply() == b"2000 OK PluginOptions\n"
        await d.send("Run OnSuccess=1 OnFailure=0 AbortOnError=1 When=1 Command=/bin/false\n")
        assert await d.reply() == b"2000 OK RunScript\n"
        await d.send("RunBeforeNow\n")
        assert await d.reply() == b"2000 OK RunBeforeNow\n"
        await d.send(f"setbandwidth=1000 Job={JOB}\n")
        assert await d.reply() == b"2000 OK Bandwidth\n"
        assert daemon.job_objects[JOB].bwlimit == 1000
        await d.send("setbandwidth=1000 Job=nosuch\n")
        assert await d.reply() == b"2901 Job nosuch not found.\n"
        assert await d.reply() == b"2000 OK Bandwidth\n"
        await d.send("getSecureEraseCmd\n")
        assert await d.reply() == b"2000 OK FDSecureEraseCmd *None*\n"
        await d.send("level = full  mtime_only=0 \n")
        assert await d.reply() == b"2000 OK level\n"
        assert await d.fileset([str(tmp_path)]) == b"2000 OK include\n"
        await d.send("estimate listing=0\n")
        assert await d.reply() == b"2000 OK estimate files=2 bytes=1,234\n"
        assert await d.recv() == Signal.EOD
        await d.send("restoreobject end\n")
        assert await d.reply() == b"2000 OK ObjectRestored\n"
        await d.send("endrestore")
        tail = await d.until_terminate()
        assert tail[0] == (
            b"2800 End Job TermCode=67 JobFiles=0 ReadBytes=0 JobBytes=0 Errors=0 VSS=0 Encrypt=0\n"
        )
        # A bad level line is a fatal job error; the session ends.
        d = await Director.connect(port)
        await d.job("x.2026-11-27_01.11.58_05", "dummy", job_id=8)
        await d.send("level = sometimes\n")
        tail = await d.until_terminate()
        assert isinstance(tail[0], bytes) and isinstance(tail[1], bytes)
        assert b"Fatal error: Bad level command: level = sometimes" in tail[0]
        assert tail[1].startswith(b"2800 End Job TermCode=102 ")


async def test_accurate_incremental_sends_deleted_entries(tmp_path: Path) -> None:
    root = tmp_path / "data"
    root.mkdir()
    (root / "same").write_text("unchanged\n")
    (root / "new").write_text("new\n")
    st_same = os.stat(root / "same")
    enc_same = encode_stat(Stat(size=st_same.st_size, mtime=int(st_same.st_mtime),
                                ctime=int(st_same.st_ctime)))  # fmt: skip
    enc = encode_stat(Stat(size=5, mtime=1_700_000_000, ctime=1_700_000_000))
    sd = MemorySD(KEY.encode(), JOB)
    async with running_fd() as (_, port), trio.open_nursery() as nursery:
        sd_port = await sd.listen(nursery)
        d = await Director.connect(port)
        await d.job(JOB, KEY)
        await d.send("level = accurate_incremental  mtime_only=0 \n")
        await d.send(f"level = since_utime 0 mtime_only=0 prev_job={JOB}\n")
        for _ in range(10):
            assert await d.recv() == Signal.BTIME
            await d.send(f"btime {time.time_ns() // 1000}\n")
        assert await d.recv() == Signal.EOD
        assert await d.reply() == b"2000 OK level\n"
        await d.send("accurate files=2\n")
        await d.send(f"{root}/same\0{enc_same}\0\0" + "0")
        await d.send(f"{root}/gone\0{enc}\0\0" + "0")
        await d.signal(Signal.EOD)
        await d.fileset([str(root)])
        await d.send(f"storage address=127.0.0.1 port={sd_port} ssl=0\n")
        await d.reply()
        await d.send("backup FileIndex=0\n")
        await d.reply()
        tail = await d.until_terminate()
        nursery.cancel_scope.cancel()
    recs = [AttributeRecord.parse(r.data) for r in sd.records if r.stream == 1]
    got = {r.fname.replace(str(root), ""): r.file_type for r in recs}
    assert got == {"/new": FileType.REG, "/": FileType.DIREND, "/gone": FileType.DELETED}
    assert b"TermCode=84 JobFiles=3 " in tail[-2]  # type: ignore[operator]


async def test_estimate_listing_lines_as_print_ls_output(tmp_path: Path) -> None:
    """``estimate listing=1`` of a console job (JobId 0): one raw ls line per file."""
    import grp
    import pwd

    (tmp_path / "f").write_bytes(b"y" * 70)
    (tmp_path / "ln").symlink_to("f")
    async with running_fd() as (_daemon, port):
        d = await Director.connect(port)
        await d.job("*System*.2026-12-04_21.30.00_01", "dummy", job_id=0)
        await d.send("level = full  mtime_only=0 \n")
        assert await d.reply() == b"2000 OK level\n"
        assert await d.fileset([str(tmp_path)]) == b"2000 OK include\n"
        await d.send("estimate listing=1\n")
        lines = [await d.reply() for _ in range(4)]
        assert await d.recv() == Signal.EOD

    def expected(path: Path, target: str = "") -> bytes:
        st_ = os.lstat(path)
        when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(int(st_.st_ctime)))
        mode = {0o040000: "d", 0o120000: "l"}.get(st_.st_mode & 0o170000, "-")
        perms = "".join(c if st_.st_mode & (1 << (8 - i)) else "-" for i, c in enumerate("rwx" * 3))
        user, group = pwd.getpwuid(st_.st_uid).pw_name, grp.getgrgid(st_.st_gid).gr_name
        tail = f" -> {target}" if target else ""
        return (f"{mode}{perms}  {st_.st_nlink:2d} {user:<8.8} {group:<8.8}{st_.st_size:>12} "
                f"{when}  {path}{tail}\n").encode()  # fmt: skip

    assert sorted(lines[:3]) == sorted(
        [expected(tmp_path / "f"), expected(tmp_path / "ln", "f"), expected(tmp_path)]
    )
    assert lines[2] == expected(tmp_path)  # a directory comes after its contents
    assert lines[3] == b"2000 OK estimate files=3 bytes=70\n"
