"""The bvfs cache and commands without daemons: path rules, newest versions, restore lists, text mode."""

from __future__ import annotations

import stat

import trio
from hypothesis import given
from hypothesis import strategies as st

from bareosnet.proto.attributes import AttributeRecord, FileType, Stat
from daemons.director.catalog.bvfs import (
    EMPTY_LSTAT,
    Bvfs,
    ancestors,
    basename_dir,
    parent_dir,
    restore_list_selection,
)
from daemons.director.catalog.store import Catalog
from tests.daemons.test_director_units import EOD, PROMPT, _session, runtime


def test_parent_and_basename_follow_bareos() -> None:
    # The cases of cats/bvfs.cc's comments (Unix, Windows, plugins).
    assert [parent_dir(p) for p in ("/tmp/toto/", "/tmp/", "/", "")] == ["/tmp/", "/", "", ""]
    assert [parent_dir(p) for p in ("c:/Programs/Bareos/", "c:/Programs/", "c:/")] == [
        "c:/Programs/", "c:/", ""]  # fmt: skip
    assert [parent_dir(p) for p in ("@bpipe@/data.dat", "@bpipe@/")] == ["@bpipe@/", ""]
    assert [basename_dir(p) for p in ("/tmp/a/", "/tmp/", "/", ".", "..", "c:/")] == [
        "a/", "tmp/", "/", ".", "..", "c:/"]  # fmt: skip


@given(st.lists(st.text(st.characters(blacklist_characters="/\x00"), min_size=1), max_size=6))
def test_ancestors_climb_to_the_root(parts: list[str]) -> None:
    path = "/" + "".join(p + "/" for p in parts)
    chain = ancestors(path)
    assert chain[0] == path and chain[-1] == "" and chain[-2] == "/"
    assert len(chain) == len(parts) + 2
    for child, parent in zip(chain, chain[1:], strict=False):
        assert child.startswith(parent) and len(parent) < len(child)
        assert parent_dir(child) == parent


def _stat(mode: int, size: int = 0, mtime: int = 1000) -> Stat:
    return Stat(mode=mode, size=size, mtime=mtime, nlink=1, uid=0, gid=0)


def _job(cat: Catalog, level: str, files: dict[str, int]) -> int:
    """A finished backup of client bareos-fd holding ``files`` (path -> size; dirs end in /)."""
    job_id = cat.create_job(job=f"backup.{level}.{cat.next_job_id()}", name="backup", type="B",
                            level=level, client="bareos-fd", fileset="Data", pool="Full",
                            storage="File", sched_time=0.0)  # fmt: skip
    for i, (fname, size) in enumerate(files.items(), start=1):
        is_dir = fname.endswith("/")
        rec = AttributeRecord(i, FileType.DIREND if is_dir else FileType.REG, fname,
                              _stat((stat.S_IFDIR | 0o755) if is_dir else (stat.S_IFREG | 0o644),
                                    size))  # fmt: skip
        cat.add_attributes(job_id, rec)
    cat.update_job(job_id, status="T", files=len(files))
    return job_id


def _two_jobs(cat: Catalog) -> tuple[int, int]:
    full = _job(cat, "F", {"/d/": 0, "/d/a.txt": 1, "/d/sub/": 0, "/d/sub/b.txt": 2,
                           "/e/c.txt": 3})  # fmt: skip
    incr = _job(cat, "I", {"/d/": 0, "/d/a.txt": 10})
    return full, incr


def test_newest_version_wins_and_directories_come_from_the_hierarchy() -> None:
    cat = Catalog(None)
    full, incr = _two_jobs(cat)
    fs = Bvfs(cat)
    assert fs.restore_job_ids(incr) == [full, incr]
    assert fs.restore_job_ids(full) == [full]
    assert fs.update() == [full, incr] and fs.update() == []
    ids = [full, incr]
    root = fs.ls_dirs(fs.path_id(""), ids)
    assert [(e.name, e.job_id, e.lstat) for e in root] == [(".", 0, EMPTY_LSTAT), ("/", 0, EMPTY_LSTAT)]
    d = fs.path_id("/d/")
    listed = fs.ls_dirs(d, ids)
    assert [e.name for e in listed] == [".", "..", "/d/sub/"]
    assert listed[0].job_id == incr  # the newest job's entry of the directory itself
    assert listed[1].path_id == fs.path_id("/")
    (a,) = fs.ls_files(d, ids)
    assert (a.name, a.job_id) == ("a.txt", incr)
    assert [e.name for e in fs.ls_files(d, [full])] == ["a.txt"]
    assert fs.ls_files(d, ids, offset=1) == [] and fs.ls_files(d, ids, pattern="^b") == []
    # Only the Full has /e/: visibility is per job.
    assert [e.name for e in fs.ls_dirs(fs.path_id("/"), [incr])] == [".", "..", "/d/"]
    assert [e.name for e in fs.ls_dirs(fs.path_id("/"), ids)] == [".", "..", "/d/", "/e/"]


def test_restore_list_takes_the_newest_version_below_a_directory() -> None:
    cat = Catalog(None)
    full, incr = _two_jobs(cat)
    fs = Bvfs(cat)
    fs.update()
    ids = [full, incr]
    assert not fs.compute_restore_list("b2000", ids)  # nothing selected
    assert not fs.compute_restore_list("nob2", ids, dir_ids=[fs.path_id("/d/")])
    assert fs.compute_restore_list("b2000", ids, dir_ids=[fs.path_id("/d/")])
    sel = restore_list_selection(cat, ["b2000"])
    assert sorted((f.fname, f.job_id) for f in sel.files) == [
        ("/d/", incr), ("/d/a.txt", incr), ("/d/sub/", full), ("/d/sub/b.txt", full)]  # fmt: skip
    assert sel.job_ids == (full, incr)
    (c_txt,) = [f for f in cat.files(full) if f.name == "c.txt"]
    file_id = cat.db.execute("SELECT FileId FROM File WHERE JobId=? AND Name='c.txt'",
                             (full,)).fetchone()[0]  # fmt: skip
    assert fs.compute_restore_list("b2001", ids, file_ids=[file_id], hardlinks=[incr, 2])
    assert sorted(f.fname for f in restore_list_selection(cat, ["b2001"]).files) == [
        "/d/a.txt", c_txt.fname]  # fmt: skip
    fs.drop_restore_list("b2000")
    assert restore_list_selection(cat, ["b2000"]).files == ()
    fs.clear_cache()
    assert fs.update() == [full, incr]  # the cache is rebuilt; PathIds stayed
    assert fs.path_id("/d/") != 0


async def test_text_mode_lines_and_acl_filter() -> None:
    rt = runtime()
    full, incr = _two_jobs(rt.catalog)
    admin = rt.console_resource("admin")  # every command, every client, but no Job ACL
    async with trio.open_nursery() as nursery:
        c = await _session(rt, nursery)
        await c.cmd(f".bvfs_get_jobids jobid={incr}")
        assert await c.frames({EOD}) == [f"{full},{incr}\n".encode(), EOD]
        await c.cmd(f".bvfs_update jobid={full},{incr}")
        assert await c.frames({EOD}) == [EOD]
        await c.cmd(f".bvfs_lsfiles jobid={full},{incr} path=/d/")
        got = await c.frames({EOD})
        (a,) = [f for f in rt.catalog.files(incr) if f.name == "a.txt"]
        fs = Bvfs(rt.catalog)
        file_id = fs.ls_files(fs.path_id("/d/"), [full, incr])[0].file_id
        assert got == [f"{fs.path_id('/d/')}\t{file_id}\t{incr}\t{a.lstat}\ta.txt\n".encode(), EOD]
        await c.cmd(f".bvfs_lsdirs jobid={full} path=/d/")
        got = await c.frames({EOD})
        assert [p.split(b"\t")[-1] for p in got[:-1]] == [b".\n", b"..\n", b"sub/\n"]  # type: ignore[union-attr]
        await c.cmd(".bvfs_lsdirs jobid=1")
        assert (await c.frames({EOD}))[0] == b"Can't find jobid, pathid or path argument\n"
        await c.cmd(".bvfs_clear_cache")
        assert (await c.frames({EOD}))[0] == b"Can't find 'yes' argument\n"
        # A console whose Job ACL does not list the jobs sees none of them.
        v = await _session(rt, nursery, console="admin", res=admin)
        await v.cmd(f".bvfs_lsfiles jobid={full},{incr} path=/d/")
        assert (await v.frames({EOD}))[0] == b"Unauthorized command from this console.\n"
        await v.cmd(f".bvfs_get_jobids jobid={incr}")
        assert await v.frames({EOD}) == [b"\n", EOD]
        nursery.cancel_scope.cancel()


def test_backslash_takes_the_next_character_as_bareos_next_arg() -> None:
    from daemons.director.console.args import parse_args

    # bareos-webui sends fname="<addslashes(name)>" to .bvfs_versions.
    a = parse_args(r'.bvfs_versions jobid=0 client=fd pathid=3 fname="it\'s \"q\" \\ x.txt"')
    assert a.value("fname") == 'it\'s "q" \\ x.txt'
    assert parse_args(r"cmd a\ b").words == (("cmd", None), ("a b", None))


BAD_LINES = [
    ".bvfs_lsdirs jobid=abc path=/", ".bvfs_lsdirs jobid=1 pathid=-1", ".bvfs_lsdirs jobid=999 path=",
    ".bvfs_lsfiles jobid=1 path=/d/ limit=99999999999999999999 offset=-5",
    ".bvfs_lsfiles jobid=1,2 path=/d/ pattern=(", ".bvfs_lsfiles jobid=, path=",
    ".bvfs_versions jobid=0 client=nosuch pathid=77777 fname=x", ".bvfs_versions jobid=0 path=/",
    ".bvfs_restore path=b2x jobid=1 fileid=1", ".bvfs_restore path=b21 jobid=1 fileid=1,,2",
    ".bvfs_restore path=b21 jobid=1 hardlink=1", ".bvfs_restore path=b21 jobid=1 dirid=999999",
    ".bvfs_restore path=b21 jobid=1 fileid=99999999999999999999999",
    ".bvfs_get_jobids jobid=x", ".bvfs_get_jobids ujobid=", ".bvfs_get_jobids jobid=99999999999999999999",
    ".bvfs_update jobid=1,x", ".bvfs_cleanup path=;drop table File", ".bvfs_cleanup",
    "restore file=?b2999 client=bareos-fd yes", "restore file=? client=bareos-fd yes",
    ".defaults", ".defaults job=nosuch", ".pools type=", "use catalog=nosuch", "rerun",
    "rerun jobid=x", "rerun jobid=999 yes", "rerun since_jobid=1 until_jobid=0", ".help item=nosuch",
    ".help full=1",
]  # fmt: skip


async def test_bad_arguments_get_an_answer_and_the_console_lives_on() -> None:
    rt = runtime()
    _two_jobs(rt.catalog)
    async with trio.open_nursery() as nursery:
        c = await _session(rt, nursery)
        for line in BAD_LINES:
            await c.cmd(line)
            assert (await c.frames({EOD}))[-1] == EOD, line
        for line in BAD_LINES:  # and in .api 2: one JSON answer each
            await c.cmd(".api 2")
            await c.frames({PROMPT})
            await c.cmd(line)
            got = await c.frames({PROMPT})
            assert isinstance(got[-2], bytes) and got[-2].startswith(b"{"), (line, got)
            await c.cmd(".api 0")
            await c.frames({EOD})
        await c.cmd("version")
        assert (await c.frames({EOD}))[0].startswith(b"bareos-dir Version: ")  # type: ignore[union-attr]
        assert rt.catalog.file_count(1) == 5  # the File table is still there
        nursery.cancel_scope.cancel()
