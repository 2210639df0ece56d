"""The Bareos virtual file system (bvfs): path ids, the directory tree of jobs, restore lists.

What the ``.bvfs_*`` console commands read.  Bareos keeps a ``Path`` table
(one id per directory path, with the trailing slash), ``PathHierarchy``
(each path's parent) and ``PathVisibility`` (which job has something at or
below a path); ``.bvfs_update`` fills the last two for jobs not yet cached.
The emulator keeps the same three tables beside the catalog's ``File``
table (which already splits Path/Name as Bareos does: a directory is a row
with ``Name=''``), joined on the path text.  Where Bareos would answer from
an empty cache (a browse before ``.bvfs_update``), the emulator updates the
cache of the jobs asked for first: the answers then equal the real
Director's after an update, which is what every client (the webui) does.

A restore list (``.bvfs_restore path=b2<n>``) is the newest version of each
selected file among the given jobs, as ``(JobId, FileIndex, FileId)`` rows;
Bareos creates a table named ``b2<n>``, the emulator keeps the rows in one
``BvfsRestoreList`` table keyed by that name (no SQL built from names).

Newest means the highest JobId here (Bareos compares JobTDate, the start
time; the emulator's JobIds grow with it).  Nothing here touches the network.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

import attrs

from daemons.director.catalog.records import OK_STATUSES, FileRecord
from daemons.director.catalog.selection import RestoreSelection

if TYPE_CHECKING:
    from daemons.director.catalog.store import Catalog

_SCHEMA = """
CREATE TABLE IF NOT EXISTS Path (
    PathId INTEGER PRIMARY KEY AUTOINCREMENT,
    Path TEXT NOT NULL UNIQUE
);
CREATE TABLE IF NOT EXISTS PathHierarchy (
    PathId INTEGER PRIMARY KEY,
    PPathId INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS PathHierarchyPPathIdIndex ON PathHierarchy (PPathId);
CREATE TABLE IF NOT EXISTS PathVisibility (
    PathId INTEGER NOT NULL,
    JobId INTEGER NOT NULL,
    PRIMARY KEY (JobId, PathId)
);
CREATE TABLE IF NOT EXISTS BvfsCachedJob (
    JobId INTEGER PRIMARY KEY
);
CREATE TABLE IF NOT EXISTS BvfsRestoreList (
    Name TEXT NOT NULL,
    JobId INTEGER NOT NULL,
    FileIndex INTEGER NOT NULL,
    FileId INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS FilePathNameIndex ON File (Path, Name);
"""

# Bareos prints this LStat (and JobId/FileId 0) for a directory no job has an entry for.
EMPTY_LSTAT = "A A A A A A A A A A A A A A"
# The jobs whose tree the cache holds (Bareos's BvfsUpdateCache: backups that ended).
_CACHED_TYPES = ("B", "C", "A")
_CACHED_STATUSES = ("T", "W", "E", "f", "A")
RESTORE_LIST_NAME = re.compile(r"b2\d+")


@attrs.frozen
class BvfsEntry:
    """One row of a bvfs answer: a directory (``D``), a file (``F``) or a version (``V``)."""

    type: str
    path_id: int
    name: str  # the full path for a directory, the file name otherwise
    job_id: int
    lstat: str
    file_id: int
    md5: str = ""
    volume: str = ""
    in_changer: int = 0


def parent_dir(path: str) -> str:
    """Bareos's bvfs parent: ``/tmp/a/`` -> ``/tmp/``, ``/`` -> ``""``, ``c:/`` -> ``""``."""
    if len(path) == 3 and path[0].isalpha() and path[1:] == ":/":
        return ""
    stripped = path[:-1] if path.endswith("/") else path
    if not stripped:
        return ""
    head, sep, _ = stripped.rpartition("/")
    return head + sep


def basename_dir(path: str) -> str:
    """Bareos's bvfs directory name: ``/tmp/a/`` -> ``a/``, ``/`` -> ``/``; ``.``, ``..`` as is."""
    if len(path) <= 1:
        return path
    body = path[:-1] if path.endswith("/") else path
    i = body.rfind("/")
    return path[i + 1 :] if i >= 0 else path


def ancestors(path: str) -> list[str]:
    """The path and every parent up to the root ``""``, the path first."""
    out = [path]
    while out[-1] != "":
        out.append(parent_dir(out[-1]))
    return out


def _marks(n: int) -> str:
    return ",".join("?" * n)


class Bvfs:
    """The bvfs tables of one catalog (created on first use)."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self.db: sqlite3.Connection = catalog.db
        self.db.executescript(_SCHEMA)

    # ------------------------------------------------------------------ cache

    def path_id(self, path: str, *, create: bool = False) -> int:
        """The PathId of ``path`` (0 when unknown and not created)."""
        row = self.db.execute("SELECT PathId FROM Path WHERE Path=?", (path,)).fetchone()
        if row is not None:
            return int(row[0])
        if not create:
            return 0
        cur = self.db.execute("INSERT INTO Path (Path) VALUES (?)", (path,))
        assert cur.lastrowid is not None
        return int(cur.lastrowid)

    def path_of(self, path_id: int) -> str | None:
        row = self.db.execute("SELECT Path FROM Path WHERE PathId=?", (path_id,)).fetchone()
        return None if row is None else str(row[0])

    def cacheable_jobs(self) -> list[int]:
        rows = self.db.execute(
            f"SELECT JobId FROM Job WHERE Type IN ({_marks(len(_CACHED_TYPES))}) "
            f"AND JobStatus IN ({_marks(len(_CACHED_STATUSES))}) "
            "AND JobId NOT IN (SELECT JobId FROM BvfsCachedJob) ORDER BY JobId",
            (*_CACHED_TYPES, *_CACHED_STATUSES),
        ).fetchall()
        return [int(r[0]) for r in rows]

    def update(self, job_ids: Iterable[int] | None = None) -> list[int]:
        """Build the hierarchy and visibility of the jobs not cached yet; the ones updated."""
        wanted = self.cacheable_jobs() if job_ids is None else list(job_ids)
        done: list[int] = []
        for job_id in wanted:
            if self.db.execute("SELECT 1 FROM BvfsCachedJob WHERE JobId=?", (job_id,)).fetchone():
                continue
            if self.catalog.job(job_id) is None:
                continue
            paths = {r[0] for r in self.db.execute(
                "SELECT DISTINCT Path FROM File WHERE JobId=?", (job_id,))}  # fmt: skip
            visible: set[int] = set()
            for path in sorted(paths):
                chain = ancestors(path)
                ids = [self.path_id(p, create=True) for p in chain]
                for child, parent in zip(ids, ids[1:], strict=False):
                    self.db.execute(
                        "INSERT OR IGNORE INTO PathHierarchy (PathId, PPathId) VALUES (?,?)",
                        (child, parent),
                    )
                visible.update(ids)
            self.db.executemany(
                "INSERT OR IGNORE INTO PathVisibility (PathId, JobId) VALUES (?,?)",
                [(p, job_id) for p in sorted(visible)],
            )
            self.db.execute("INSERT OR IGNORE INTO BvfsCachedJob (JobId) VALUES (?)", (job_id,))
            done.append(job_id)
        return done

    def clear_cache(self) -> None:
        """Bareos's ``.bvfs_clear_cache yes``: hierarchy and visibility go, PathIds stay."""
        self.db.execute("DELETE FROM PathHierarchy")
        self.db.execute("DELETE FROM PathVisibility")
        self.db.execute("DELETE FROM BvfsCachedJob")

    # ------------------------------------------------------------------ browsing

    def _dir_attributes(self, path: str, job_ids: Sequence[int]) -> tuple[int, str, int]:
        """(JobId, LStat, FileId) of the directory's own entry in the newest job having one."""
        row = self.db.execute(
            f"SELECT JobId, LStat, FileId FROM File WHERE Path=? AND Name='' "
            f"AND JobId IN ({_marks(len(job_ids))}) ORDER BY JobId DESC LIMIT 1",
            (path, *job_ids),
        ).fetchone()
        if row is None:
            return 0, EMPTY_LSTAT, 0
        return int(row[0]), str(row[1]), int(row[2])

    def ls_dirs(
        self, path_id: int, job_ids: Sequence[int], *, limit: int = 2000, offset: int = 0
    ) -> list[BvfsEntry]:
        """``.`` (the directory), ``..`` (its parent, not for the root), then the subdirectories."""
        self.update(job_ids)
        here = self.path_of(path_id)
        if here is None or not job_ids:
            return []
        rows: list[tuple[int, str, str]] = [(path_id, ".", here)]
        parent = self.db.execute(
            "SELECT PPathId FROM PathHierarchy WHERE PathId=?", (path_id,)
        ).fetchone()
        if parent is not None:
            rows.append((int(parent[0]), "..", self.path_of(int(parent[0])) or ""))
        subs = self.db.execute(
            "SELECT DISTINCT Path.PathId, Path.Path FROM PathHierarchy "
            "JOIN Path ON (Path.PathId = PathHierarchy.PathId) "
            "JOIN PathVisibility ON (PathVisibility.PathId = PathHierarchy.PathId) "
            f"WHERE PathHierarchy.PPathId=? AND PathVisibility.JobId IN ({_marks(len(job_ids))}) ",
            (path_id, *job_ids),
        ).fetchall()
        rows += [(int(r[0]), str(r[1]), str(r[1])) for r in subs]
        # Bareos sorts by the Path column: "." and ".." before any absolute path.
        rows.sort(key=lambda r: r[1].encode("utf-8", "surrogateescape"))
        out = []
        for pid, shown, real in rows[offset : offset + limit]:
            job_id, lstat, file_id = self._dir_attributes(real, job_ids)
            out.append(BvfsEntry("D", pid, shown, job_id, lstat, file_id))
        return out

    def ls_files(
        self,
        path_id: int,
        job_ids: Sequence[int],
        *,
        limit: int = 2000,
        offset: int = 0,
        pattern: str | None = None,
    ) -> list[BvfsEntry]:
        """The files of one directory: per name the newest version among ``job_ids``."""
        self.update(job_ids)
        here = self.path_of(path_id)
        if here is None or not job_ids:
            return []
        rows = self.db.execute(
            "SELECT Name, JobId, LStat, FileId FROM File "
            f"WHERE Path=? AND Name<>'' AND FileIndex>0 AND JobId IN ({_marks(len(job_ids))}) "
            "ORDER BY Name, JobId DESC",
            (here, *job_ids),
        ).fetchall()
        newest: dict[str, sqlite3.Row] = {}
        for r in rows:
            newest.setdefault(r["Name"], r)
        names = sorted(newest, key=lambda n: n.encode("utf-8", "surrogateescape"))
        if pattern:
            rx = re.compile(pattern)
            names = [n for n in names if rx.search(n)]
        return [
            BvfsEntry(
                "F",
                path_id,
                n,
                int(newest[n]["JobId"]),
                str(newest[n]["LStat"]),
                int(newest[n]["FileId"]),
            )  # fmt: skip
            for n in names[offset : offset + limit]
        ]

    def versions(
        self,
        path_id: int,
        name: str,
        client: str,
        *,
        copies: bool = False,
        limit: int = 2000,
        offset: int = 0,
    ) -> list[BvfsEntry]:
        """Every backed-up version of one file of a client, with the volume that holds it."""
        path = self.path_of(path_id)
        if path is None:
            return []
        types = ("C", "B", "A", "a") if copies else ("B", "A", "a")
        rows = self.db.execute(
            "SELECT File.JobId, File.LStat, File.FileId, File.MD5, Media.VolumeName, "
            "Media.InChanger FROM File JOIN Job ON (Job.JobId = File.JobId) "
            "JOIN JobMedia ON (JobMedia.JobId = File.JobId AND File.FileIndex >= "
            "JobMedia.FirstIndex AND File.FileIndex <= JobMedia.LastIndex) "
            "JOIN Media ON (Media.MediaId = JobMedia.MediaId) "
            f"WHERE File.Path=? AND File.Name=? AND Job.ClientName=? AND Job.Type IN "
            f"({_marks(len(types))}) ORDER BY File.FileId LIMIT ? OFFSET ?",
            (path, name, client, *types, limit, offset),
        ).fetchall()
        return [
            BvfsEntry(
                "V", path_id, name, int(r[0]), str(r[1]), int(r[2]), str(r[3]), str(r[4]), int(r[5])
            )  # fmt: skip
            for r in rows
        ]

    # ------------------------------------------------------------------ restore lists

    def compute_restore_list(
        self,
        name: str,
        job_ids: Sequence[int],
        *,
        file_ids: Sequence[int] = (),
        dir_ids: Sequence[int] = (),
        hardlinks: Sequence[int] = (),
    ) -> bool:
        """Fill the restore list ``name`` (``b2<n>``); False as Bareos refuses (nothing selected)."""
        if not RESTORE_LIST_NAME.fullmatch(name) or len(hardlinks) % 2:
            return False
        if not (file_ids or dir_ids or hardlinks):
            return False
        picked: dict[int, sqlite3.Row] = {}  # FileId -> row (JobId, FileIndex, Path, Name)
        cols = "SELECT FileId, JobId, FileIndex, Path, Name FROM File"
        if file_ids:
            for r in self.db.execute(f"{cols} WHERE FileId IN ({_marks(len(file_ids))})",
                                     tuple(file_ids)):  # fmt: skip
                picked[int(r[0])] = r
        for dir_id in dir_ids:
            path = self.path_of(dir_id)
            if path is None:
                break  # as Bareos: an unknown directory ends the directory list
            for r in self.db.execute(
                f"{cols} WHERE substr(Path, 1, ?)=? AND JobId IN ({_marks(len(job_ids))})",
                (len(path), path, *job_ids),
            ):
                picked[int(r[0])] = r
        for job_id, index in zip(hardlinks[::2], hardlinks[1::2], strict=True):
            for r in self.db.execute(f"{cols} WHERE JobId=? AND FileIndex=?", (job_id, index)):
                picked[int(r[0])] = r
        # Per (path, name) the newest job's version among those picked, FileIndex > 0.
        newest: dict[tuple[str, str], int] = {}
        for r in picked.values():
            key = (str(r["Path"]), str(r["Name"]))
            newest[key] = max(newest.get(key, 0), int(r["JobId"]))
        jobs = sorted({int(r["JobId"]) for r in picked.values()})
        rows: list[tuple[str, int, int, int]] = []
        if jobs:
            for (path, fname), job_id in newest.items():
                for r in self.db.execute(
                    "SELECT JobId, FileIndex, FileId FROM File WHERE Path=? AND Name=? "
                    "AND JobId=? AND FileIndex>0",
                    (path, fname, job_id),
                ):
                    rows.append((name, int(r[0]), int(r[1]), int(r[2])))
        rows.sort(key=lambda t: (t[1], t[2]))
        self.drop_restore_list(name)
        self.db.executemany(
            "INSERT INTO BvfsRestoreList (Name, JobId, FileIndex, FileId) VALUES (?,?,?,?)", rows
        )
        return True

    def restore_list(self, name: str) -> list[tuple[int, int]]:
        """(JobId, FileIndex) of the restore list ``name`` (empty when there is none)."""
        rows = self.db.execute(
            "SELECT JobId, FileIndex FROM BvfsRestoreList WHERE Name=? ORDER BY JobId, FileIndex",
            (name,),
        ).fetchall()
        return [(int(r[0]), int(r[1])) for r in rows]

    def drop_restore_list(self, name: str) -> bool:
        if not RESTORE_LIST_NAME.fullmatch(name):
            return False
        self.db.execute("DELETE FROM BvfsRestoreList WHERE Name=?", (name,))
        return True

    # ------------------------------------------------------------------ job ids

    def restore_job_ids(self, job_id: int, *, all_filesets: bool = False) -> list[int]:
        """The jobs a restore of ``job_id`` needs: its Full, then Differential and Incrementals.

        As Bareos's AccurateGetJobids for the job's client and FileSet (every FileSet
        of the client with ``all_filesets``), up to that job; a Base job is alone.
        """
        job = self.catalog.job(job_id)
        if job is None:
            return []
        if job.level == "B":
            return [job_id]
        if all_filesets:
            filesets = [r[0] for r in self.db.execute(
                "SELECT DISTINCT FileSetName FROM Job WHERE ClientName IS ? AND Type='B' "
                "ORDER BY FileSetName", (job.client,))]  # fmt: skip
        else:
            filesets = [job.fileset]
        out: list[int] = []
        for fileset in filesets:
            out += self._chain(job.client, fileset, job_id)
        return sorted(set(out))

    def _chain(self, client: str | None, fileset: str | None, upto: int) -> list[int]:
        def newest(levels: str, after: int) -> list[int]:
            rows = self.db.execute(
                "SELECT JobId FROM Job WHERE ClientName IS ? AND FileSetName IS ? AND Type='B' "
                f"AND JobStatus IN ({_marks(len(OK_STATUSES))}) AND JobId>? AND JobId<=? "
                f"AND Level IN ({_marks(len(levels))}) ORDER BY JobId",
                (client, fileset, *OK_STATUSES, after, upto, *levels),
            ).fetchall()
            return [int(r[0]) for r in rows]

        fulls = newest("F", 0)
        if not fulls:
            return []
        chain = [fulls[-1]]
        diffs = newest("D", chain[0])
        if diffs:
            chain.append(diffs[-1])
        chain += newest("I", chain[-1])
        return chain


def restore_list_selection(catalog: Catalog, names: Sequence[str]) -> RestoreSelection:
    """What ``restore file=?b2<n>`` restores: the rows of those restore lists."""
    fs = Bvfs(catalog)
    wanted = {pair for name in names for pair in fs.restore_list(name)}
    files: list[FileRecord] = []
    for job_id in sorted({j for j, _ in wanted}):
        files += [f for f in catalog.files(job_id) if (job_id, f.file_index) in wanted]
    files.sort(key=lambda f: (f.job_id, f.file_index))
    return RestoreSelection(tuple(files), tuple(sorted({f.job_id for f in files})))
