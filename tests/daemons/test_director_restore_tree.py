"""The restore tree commands, as ua_tree.cc prints them."""

from __future__ import annotations

import stat

from bareosnet.proto.attributes import FileType, Stat, encode_stat
from daemons.director.catalog.records import FileRecord, split_path
from daemons.director.console.restore_tree import RestoreTree


def rec(job: int, fi: int, fname: str, size: int = 0, ftype: FileType | None = None) -> FileRecord:
    is_dir = fname.endswith("/")
    mode = (stat.S_IFDIR | 0o755) if is_dir else (stat.S_IFREG | 0o644)
    path, name = split_path(fname)
    kind = ftype or (FileType.DIREND if is_dir else FileType.REG)
    st = Stat(mode=mode, nlink=1, size=size, mtime=1_800_000_000, ctime=1_800_000_000)
    return FileRecord(job, fi, path, name, int(kind), encode_stat(st), "", "")


def tree(**kw: bool) -> RestoreTree:
    return RestoreTree.build([
        rec(1, 1, "/srv/data/a.txt", 10), rec(1, 2, "/srv/data/b.log", 20),
        rec(1, 3, "/srv/data/sub/c.txt", 30), rec(1, 4, "/srv/data/sub/"),
        rec(1, 5, "/srv/data/empty/"), rec(1, 6, "/srv/data/"),
        rec(2, 1, "/srv/data/a.txt", 11), rec(2, 2, "/srv/data/b.log", 0, FileType.DELETED),
    ], **kw)  # fmt: skip


def out(t: RestoreTree, line: str) -> str:
    return "".join(t.run(line.split()).lines)


def test_navigation_and_listing() -> None:
    t = tree()
    assert out(t, "pwd") == "cwd is: /\n"
    assert out(t, "ls") == "srv/\n"
    assert out(t, "cd /srv/data") == "cwd is: /srv/data/\n"
    assert out(t, "ls") == "a.txt\nempty\nsub/\n"  # b.log deleted; empty dir shows no "/"
    assert out(t, "cd ..") == "cwd is: /srv/\n"
    assert out(t, "cd data/sub") == "cwd is: /srv/data/sub/\n"
    r = t.run(["cd", "nowhere"])
    assert r.warning and "".join(r.lines) == "Invalid path given.\ncwd is: /srv/data/sub/\n"
    assert out(t, "cd /srv/data/a.txt").startswith("Invalid path given.\n")  # a file


def test_mark_unmark_count_estimate_find() -> None:
    t = tree()
    out(t, "cd /srv/data")
    assert out(t, "mark *.txt") == "1 file newly marked.\n"
    assert out(t, "mark a.txt") == "No files newly marked.\n"
    assert out(t, "m sub") == "2 files newly marked.\n"  # "m" is mark; sub and c.txt
    assert out(t, "ls") == "*a.txt\nempty\n*sub/\n"
    assert out(t, "cd /") == "cwd is: /\n"
    assert out(t, "ls") == "+srv/\n"
    # NewDir nodes (srv) are not counted: data, a.txt, sub, c.txt, empty.
    assert out(t, "count") == "5 total files/dirs. 3 marked to be restored.\n"
    # estimate also counts directories with marked files below them (data).
    assert out(t, "estimate") == "5 total files; 4 marked to be restored; 41 bytes.\n"
    assert out(t, "find c*") == "*/srv/data/sub/c.txt\n"
    assert out(t, "unmark srv/data/sub/*") == "1 file newly unmarked.\n"
    assert out(t, "d srv/data/a.txt") == "1 file newly unmarked.\n"  # "d" is delete
    assert [r.fname for r in t.marked()] == ["/srv/data/sub/"]
    assert out(t, "mark /srv/**/c.txt") == "1 file newly marked.\n"
    assert out(t, "mark") == "No files marked.\n"


def test_all_marks_everything_and_newest_version_wins() -> None:
    t = tree(mark_all=True)
    marked = {(r.fname, r.job_id) for r in t.marked()}
    assert ("/srv/data/a.txt", 2) in marked and ("/srv/data/a.txt", 1) not in marked
    assert not any(name.endswith("b.log") for name, _ in marked)
    assert t.file_count == 4  # a.txt, b.log (later deleted), c.txt, empty/: new nodes only


def test_dir_help_done_quit_and_bad_words() -> None:
    t = tree()
    out(t, "cd /srv/data")
    line = out(t, "dir a.txt")
    assert line.startswith("-rw-r--r--   1 0 (root) 0 (root)            11  2027-01-15 ")
    assert line.endswith("   /srv/data/a.txt\n")
    assert out(t, "help").startswith("  Command    Description\n  =======    ===========\n  abort ")
    r = t.run(["bogus"])
    assert r.warning and r.lines == ['Invalid command "bogus". Enter "done" to exit.\n']
    assert t.run([".messages"]).lines == []
    assert t.run(["done"]).done and t.run(["exit"]).done
    assert t.run(["quit"]).quit and t.run(["ab"]).quit
