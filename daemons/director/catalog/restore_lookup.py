"""The catalog reads behind the ``restore`` menu (Bareos ``uar_*`` queries).

Each function answers one question the menu asks of the catalog: which backups make
the state of a client before a time, where a file name was saved, which version of
a file (or which entries of a directory) to restore.  Times are epoch seconds
(the catalog's StartTime), compared as Bareos compares its StartTime strings.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from bareosnet.proto.attributes import FileType
from daemons.director.catalog.records import FileRecord, JobRecord, split_path

if TYPE_CHECKING:
    from daemons.director.catalog.store import Catalog

_GOOD = "JobStatus IN ('T','W')"


def _file(row: sqlite3.Row) -> FileRecord:
    return FileRecord(row["JobId"], row["FileIndex"], row["Path"], row["Name"],
                      row["FileType"], row["LStat"], row["Link"], row["MD5"])  # fmt: skip


def client_filesets(catalog: Catalog, client: str) -> list[str]:
    """``uar_sel_fileset``: the FileSets the client's jobs used, by name."""
    rows = catalog.db.execute(
        "SELECT DISTINCT FileSetName FROM Job WHERE ClientName=? AND FileSetName IS NOT NULL "
        "ORDER BY FileSetName",
        (client,),
    ).fetchall()
    return [r[0] for r in rows]


def pool_used(catalog: Catalog, pool: str) -> bool:
    """Whether the catalog knows the pool (a job or a volume of it)."""
    sql = "SELECT 1 FROM Job WHERE PoolName=? UNION SELECT 1 FROM Media WHERE PoolName=? LIMIT 1"
    return catalog.db.execute(sql, (pool, pool)).fetchone() is not None


def backups_before(catalog: Catalog, client: str, fileset: str, before: float, *,
                   pool: str | None = None) -> list[JobRecord]:  # fmt: skip
    """``SelectBackupsBeforeDate``: the last Full started before ``before``, the last
    Differential after it, then every Incremental after those (all good backups; with
    ``pool``, only those written to it)."""
    in_pool = " AND PoolName=?" if pool is not None else ""

    def newest(level: str, after: int) -> list[sqlite3.Row]:
        return catalog.db.execute(
            f"SELECT * FROM Job WHERE ClientName=? AND FileSetName=? AND Type='B' AND {_GOOD} "
            f"AND Level=? AND JobId>? AND StartTime<?{in_pool} ORDER BY StartTime, JobId",
            (client, fileset, level, after, before, *([pool] if pool is not None else [])),
        ).fetchall()

    fulls = newest("F", 0)
    if not fulls:
        return []
    chain = [fulls[-1]]
    diffs = newest("D", chain[0]["JobId"])
    if diffs:
        chain.append(diffs[-1])
    chain += newest("I", chain[-1]["JobId"])
    return [JobRecord.from_row(r) for r in chain]


def where_saved(catalog: Catalog, client: str, name: str) -> list[dict[str, Any]]:
    """``uar_file``: the last 20 jobs of the client that saved a file of this name."""
    rows = catalog.db.execute(
        "SELECT Job.JobId, File.Path || File.Name AS Name, StartTime, Type, JobStatus, JobFiles, "
        "JobBytes FROM Job JOIN File ON Job.JobId=File.JobId WHERE Job.ClientName=? "
        "AND File.FileIndex>0 AND File.Name=? ORDER BY StartTime DESC LIMIT 20",
        (client, name),
    ).fetchall()
    return [{"jobid": r[0], "name": r[1], "starttime": r[2], "jobtype": r[3], "jobstatus": r[4],
             "jobfiles": r[5], "jobbytes": r[6]} for r in rows]  # fmt: skip


def file_version(catalog: Catalog, client: str, fname: str, before: float,
                 job_ids: Sequence[int] = ()) -> FileRecord | None:  # fmt: skip
    """``uar_jobid_fileindex`` / ``uar_jobids_fileindex``: the newest saved version of one
    path (a name ending in ``/`` is the directory entry itself), among ``job_ids`` if given."""
    path, name = split_path(fname)
    sql = (
        "SELECT File.* FROM Job JOIN File ON Job.JobId=File.JobId WHERE Job.ClientName=? "
        "AND Job.Type='B' AND Job.StartTime<=? AND File.Path=? AND File.Name=? "
        "AND File.FileType<>?"
    )
    args: list[Any] = [client, before, path, name, int(FileType.DELETED)]
    if job_ids:
        sql += f" AND Job.JobId IN ({','.join('?' * len(job_ids))})"
        args += list(job_ids)
    else:
        sql += f" AND {_GOOD}"
    row = catalog.db.execute(sql + " ORDER BY Job.StartTime DESC, Job.JobId DESC LIMIT 1",
                             args).fetchone()  # fmt: skip
    return _file(row) if row else None


def directory_entries(catalog: Catalog, client: str, directory: str,
                      job_ids: Sequence[int]) -> list[FileRecord]:  # fmt: skip
    """``uar_jobid_fileindex_from_dir``: every entry saved with exactly this Path (the
    directory and what is directly in it, not below) in ``job_ids``."""
    if not job_ids:
        return []
    rows = catalog.db.execute(
        "SELECT File.* FROM Job JOIN File ON Job.JobId=File.JobId WHERE Job.ClientName=? "
        f"AND File.Path=? AND File.FileType<>? AND Job.JobId IN ({','.join('?' * len(job_ids))}) "
        "ORDER BY File.JobId, File.FileIndex",
        (client, directory, int(FileType.DELETED), *job_ids),
    ).fetchall()
    return [_file(r) for r in rows]
