"""The catalog as the real Director's ``list``/``llist`` show it: Bareos's columns, text values.

Bareos lists the rows of an SQL query (``cats/sql_list.cc``, ``cats/dml/*list*``): the
column names are its SQL names in lower case, every value is the text the database
returned (``"1"``, ``"2026-12-04 21:00:00"``, ``""`` for NULL), in the order of the query.
Each function here builds those rows from this catalog; nothing is printed here.

This catalog keeps names where Bareos keeps ids (ClientId, PoolId, StorageId):
:class:`CatalogIds` numbers the configured resources in their configuration order, as
the real Director creates their rows when it starts.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import attrs

from daemons.director.catalog.records import JobRecord, MediaRecord

if TYPE_CHECKING:
    from daemons.director.catalog.store import Catalog

Row = dict[str, str]


def sql_time(ts: float | None) -> str:
    """A timestamp as PostgreSQL prints it for Bareos (local time, seconds)."""
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(ts)) if ts else ""


def sql_interval(seconds: float) -> str:
    secs = max(int(seconds), 0)
    return f"{secs // 3600:02d}:{secs % 3600 // 60:02d}:{secs % 60:02d}"


def _s(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)


@attrs.frozen
class CatalogIds:
    """Ids of the configured Clients, Pools, Storages and FileSets (1, 2, ... in config order)."""

    clients: dict[str, int] = attrs.Factory(dict)
    pools: dict[str, int] = attrs.Factory(dict)
    storages: dict[str, int] = attrs.Factory(dict)
    filesets: dict[str, int] = attrs.Factory(dict)

    @classmethod
    def numbered(
        cls,
        clients: Iterable[str],
        pools: Iterable[str],
        storages: Iterable[str],
        filesets: Iterable[str] = (),
    ) -> CatalogIds:
        def ids(names: Iterable[str]) -> dict[str, int]:
            return {n: i for i, n in enumerate(names, 1)}

        return cls(ids(clients), ids(pools), ids(storages), ids(filesets))

    def client(self, name: str | None) -> str:
        return _s(self.clients.get(name or "", "")) if name else ""

    def pool(self, name: str | None) -> str:
        return _s(self.pools.get(name or "", "")) if name else ""

    def storage(self, name: str | None) -> str:
        return _s(self.storages.get(name or "", "")) if name else ""


# ---------------------------------------------------------------------- jobs


@attrs.frozen
class JobSelection:
    """The filters of ``list jobs`` (ua_output.cc ListJobs -> ListJobRecords)."""

    job_id: int | None = None
    job: str | None = None  # the unique Job name (ujobid=)
    name: str | None = None
    client: str | None = None
    statuses: tuple[str, ...] = ()
    levels: tuple[str, ...] = ()
    types: tuple[str, ...] = ()
    volume: str | None = None
    pool: str | None = None
    since: float | None = None  # SchedTime after this
    last: bool = False  # only the newest job of each name (list jobs last)
    descending: bool = False
    limit: int | None = None
    offset: int = 0


def select_jobs(cat: Catalog, sel: JobSelection) -> list[JobRecord]:
    """The jobs of the selection ordered by StartTime, then LIMIT/OFFSET."""
    recs = cat.jobs(client=sel.client, name=sel.name)
    if sel.job_id is not None:
        recs = [r for r in recs if r.job_id == sel.job_id]
    if sel.job is not None:
        recs = [r for r in recs if r.job == sel.job]
    if sel.statuses:
        recs = [r for r in recs if r.status in sel.statuses]
    if sel.levels:
        recs = [r for r in recs if r.level in sel.levels]
    if sel.types:
        recs = [r for r in recs if r.type in sel.types]
    if sel.volume is not None:
        recs = [r for r in recs if sel.volume in cat.volumes_of(r.job_id)]
    if sel.pool is not None:
        recs = [r for r in recs if r.pool == sel.pool]
    if sel.since is not None:
        recs = [r for r in recs if (r.sched_time or 0) > sel.since]
    if sel.last:
        newest: dict[str, JobRecord] = {}
        for r in recs:
            if r.name not in newest or (r.start_time or 0) >= (newest[r.name].start_time or 0):
                newest[r.name] = r
        recs = list(newest.values())
    # PostgreSQL sorts NULL StartTimes (jobs not started) last in ascending order.
    recs.sort(key=lambda r: (r.start_time is None, r.start_time or 0, r.job_id),
              reverse=sel.descending)  # fmt: skip
    if sel.offset:
        recs = recs[sel.offset :]
    if sel.limit is not None:
        recs = recs[: sel.limit]
    return recs


def _duration(rec: JobRecord, now: float | None = None) -> str:
    if rec.start_time is None:
        return ""
    end = rec.end_time if rec.end_time is not None else (now or time.time())
    return sql_interval(end - rec.start_time)


def job_row(rec: JobRecord) -> Row:
    """One row of ``list jobs`` (dml/0006_list_jobs)."""
    return {
        "jobid": _s(rec.job_id),
        "name": rec.name,
        "client": _s(rec.client),
        "starttime": sql_time(rec.start_time),
        "duration": _duration(rec),
        "type": rec.type,
        "level": rec.level,
        "jobfiles": _s(rec.files),
        "jobbytes": _s(rec.bytes),
        "jobstatus": rec.status,
    }


def long_job_row(rec: JobRecord, ids: CatalogIds, fileset_id: int | None) -> Row:
    """One row of ``llist jobs`` (dml/0007_list_jobs_long)."""
    return {
        "jobid": _s(rec.job_id),
        "job": rec.job,
        "name": rec.name,
        "purgedfiles": "0",
        "type": rec.type,
        "level": rec.level,
        "clientid": ids.client(rec.client),
        "client": _s(rec.client),
        "jobstatus": rec.status,
        "schedtime": sql_time(rec.sched_time),
        "starttime": sql_time(rec.start_time),
        "endtime": sql_time(rec.end_time),
        "realendtime": sql_time(rec.end_time),
        "duration": _duration(rec),
        "jobtdate": _s(int(rec.start_time)) if rec.start_time else "0",
        "volsessionid": _s(rec.vol_session_id),
        "volsessiontime": _s(rec.vol_session_time),
        "jobfiles": _s(rec.files),
        "jobbytes": _s(rec.bytes),
        "joberrors": _s(rec.errors),
        "jobmissingfiles": "0",
        "poolid": ids.pool(rec.pool),
        "poolname": _s(rec.pool),
        "priorjobid": _s(rec.prior_job_id),
        "filesetid": _s(fileset_id) if fileset_id else "",
        "fileset": _s(rec.fileset),
    }


def fileset_id_of(cat: Catalog, rec: JobRecord) -> int | None:
    """The FileSet row the job used (the newest of its name created before the job)."""
    if not rec.fileset:
        return None
    row = cat.db.execute(
        "SELECT FileSetId FROM FileSet WHERE FileSet=? AND CreateTime<=? "
        "ORDER BY FileSetId DESC LIMIT 1",
        (rec.fileset, (rec.start_time or time.time()) + 1),
    ).fetchone()
    if row is None:
        row = cat.db.execute(
            "SELECT FileSetId FROM FileSet WHERE FileSet=? ORDER BY FileSetId DESC LIMIT 1",
            (rec.fileset,),
        ).fetchone()
    return int(row[0]) if row else None


def job_totals(cat: Catalog) -> tuple[list[Row], Row]:
    """``list jobtotals``: per job name, then the grand total (Backup, Archive, Copy jobs)."""
    types = ("B", "A", "a", "C")
    marks = ",".join("?" * len(types))
    per_name = cat.db.execute(
        f"SELECT COUNT(*) AS jobs, SUM(JobFiles) AS files, SUM(JobBytes) AS bytes, Name AS job "
        f"FROM Job WHERE Type IN ({marks}) GROUP BY Name ORDER BY Name",
        types,
    ).fetchall()
    total = cat.db.execute(
        f"SELECT COUNT(*) AS jobs, SUM(JobFiles) AS files, SUM(JobBytes) AS bytes "
        f"FROM Job WHERE Type IN ({marks})",
        types,
    ).fetchone()
    rows = [{k: _s(r[k]) for k in ("jobs", "files", "bytes", "job")} for r in per_name]
    return rows, {k: _s(total[k]) for k in ("jobs", "files", "bytes")}


def joblog_rows(cat: Catalog, job_id: int) -> list[Row]:
    """``list joblog jobid=`` (dml/0070_list_joblog_2): time and text of each log line."""
    rows = cat.db.execute(
        "SELECT Time, LogText FROM Log WHERE JobId=? ORDER BY LogId", (job_id,)
    ).fetchall()
    return [{"time": sql_time(r["Time"]), "logtext": r["LogText"]} for r in rows]


def log_rows(cat: Catalog, *, client: str | None, limit: int, offset: int,
             reverse: bool) -> list[Row]:  # fmt: skip
    """``list log`` (ListLogRecords): the newest ``limit`` lines of non-copy jobs, oldest
    first unless ``reverse``; columns logid, jobname, clientname, time, logtext."""
    where, params = ("AND Job.ClientName=? ", (client,)) if client else ("", ())
    rows = cat.db.execute(
        "SELECT Log.LogId, Job.Name AS JobName, Job.ClientName, Log.Time, Log.LogText "
        f"FROM Log JOIN Job ON Job.JobId = Log.JobId WHERE Job.Type != 'C' {where}"
        "ORDER BY Log.LogId DESC LIMIT ? OFFSET ?",
        (*params, limit, offset),
    ).fetchall()
    out = [{"logid": str(r["LogId"]), "jobname": r["JobName"], "clientname": r["ClientName"] or "",
            "time": sql_time(r["Time"]), "logtext": r["LogText"]} for r in rows]  # fmt: skip
    return out if reverse else out[::-1]


def copies_rows(cat: Catalog, job_ids: list[int] | None) -> list[Row]:
    """``list copies [jobid=]`` (ListCopiesRecords): each copy job with the job it copied and
    the media type it wrote, newest original first."""
    where = ""
    params: tuple[int, ...] = ()
    if job_ids:
        marks = ",".join("?" * len(job_ids))
        where = f"AND (Job.PriorJobId IN ({marks}) OR Job.JobId IN ({marks}))"
        params = (*job_ids, *job_ids)
    rows = cat.db.execute(
        "SELECT DISTINCT Job.PriorJobId AS JobId, Job.Job, Job.JobId AS CopyJobId, "
        "Media.MediaType FROM Job JOIN JobMedia ON JobMedia.JobId = Job.JobId "
        f"JOIN Media ON Media.MediaId = JobMedia.MediaId WHERE Job.Type = 'C' {where} "
        "ORDER BY Job.PriorJobId DESC",
        params,
    ).fetchall()
    return [{"jobid": _s(r["JobId"]), "job": r["Job"], "copyjobid": _s(r["CopyJobId"]),
             "mediatype": r["MediaType"]} for r in rows]  # fmt: skip


def file_rows(cat: Catalog, job_id: int) -> list[Row]:
    """``list files jobid=``: Path||Name, directories ending in "/"."""
    return [{"filename": f.fname} for f in cat.files(job_id)]


def jobmedia_rows(cat: Catalog, job_id: int, *, long: bool) -> list[Row]:
    where, args = ("WHERE JobMedia.JobId=?", (job_id,)) if job_id else ("", ())
    rows = cat.db.execute(
        "SELECT JobMediaId, JobId, JobMedia.MediaId AS MediaId, VolumeName, FirstIndex, "
        "LastIndex, StartFile, EndFile, StartBlock, EndBlock FROM JobMedia "
        f"JOIN Media ON Media.MediaId=JobMedia.MediaId {where} ORDER BY JobMediaId",
        args,
    ).fetchall()
    keys: tuple[str, ...]
    if long:
        keys = ("jobmediaid", "jobid", "mediaid", "volumename", "firstindex", "lastindex",
                "startfile", "endfile", "startblock", "endblock")  # fmt: skip
    else:
        keys = ("jobid", "volumename", "firstindex", "lastindex")
    return [{k: _s(r[k]) for k in keys} for r in rows]


def fileset_rows(cat: Catalog, texts: dict[str, str]) -> list[Row]:
    """``list filesets``: FileSetId, FileSet, MD5, CreateTime, FileSetText."""
    rows = cat.db.execute("SELECT * FROM FileSet ORDER BY FileSetId").fetchall()
    return [{"filesetid": _s(r["FileSetId"]), "fileset": r["FileSet"], "md5": r["MD5"],
             "createtime": sql_time(r["CreateTime"]), "filesettext": texts.get(r["FileSet"], "")}
            for r in rows]  # fmt: skip


# ---------------------------------------------------------------------- volumes


def media_row(m: MediaRecord, ids: CatalogIds, media: Any = None) -> Row:
    """One row of ``list volumes`` (dml/0076_list_volumes_select_0)."""
    extra = _media_extra(m, media)
    return {
        "mediaid": _s(m.media_id),
        "volumename": m.volume,
        "volstatus": m.vol_status,
        "enabled": extra["enabled"],
        "volbytes": _s(m.vol_bytes),
        "volfiles": _s(m.vol_files),
        "volretention": extra["volretention"],
        "recycle": extra["recycle"],
        "slot": _s(m.slot),
        "inchanger": _s(m.in_changer),
        "mediatype": m.media_type,
        "lastwritten": extra["lastwritten"],
        "storage": _s(m.storage),
        "hasencryptionkey": "0",
    }


def long_media_row(m: MediaRecord, ids: CatalogIds, media: Any = None) -> Row:
    """One row of ``llist volumes`` (dml/0077_list_volumes_select_long_0)."""
    extra = _media_extra(m, media)
    return {
        "mediaid": _s(m.media_id),
        "volumename": m.volume,
        "slot": _s(m.slot),
        "poolid": ids.pool(m.pool),
        "pool": m.pool,
        "mediatype": m.media_type,
        "firstwritten": extra["firstwritten"],
        "lastwritten": extra["lastwritten"],
        "labeldate": extra["labeldate"],
        "voljobs": _s(m.vol_jobs),
        "volfiles": _s(m.vol_files),
        "volblocks": _s(m.vol_blocks),
        "volmounts": _s(m.vol_mounts),
        "volbytes": _s(m.vol_bytes),
        "volerrors": _s(m.vol_errors),
        "volwrites": _s(m.vol_writes),
        "volcapacitybytes": _s(m.vol_capacity_bytes),
        "volstatus": m.vol_status,
        "enabled": extra["enabled"],
        "recycle": extra["recycle"],
        "volretention": extra["volretention"],
        "voluseduration": extra["voluseduration"],
        "maxvoljobs": extra["maxvoljobs"],
        "maxvolfiles": extra["maxvolfiles"],
        "maxvolbytes": _s(m.max_vol_bytes),
        "inchanger": _s(m.in_changer),
        "endfile": extra["endfile"],
        "endblock": extra["endblock"],
        "labeltype": _s(m.label_type),
        "storageid": ids.storage(m.storage),
        "deviceid": "0",
        "locationid": "0",
        "recyclecount": "0",
        "initialwrite": "",
        "scratchpoolid": "0",
        "scratchpool": "",
        "recyclepoolid": "0",
        "recyclepool": "",
        "hasencryptionkey": "0",
        "comment": "",
        "storage": _s(m.storage),
    }


def _media_extra(m: MediaRecord, row: Any) -> dict[str, str]:
    """Media columns this catalog keeps in its own row only (see ``media_columns``)."""
    get = lambda k, d="": _s(row[k]) if row is not None and k in row.keys() else d  # noqa: E731
    return {
        "enabled": get("Enabled", "1"),
        "recycle": get("Recycle", "1"),
        "volretention": get("VolRetention", "31536000"),
        "voluseduration": get("VolUseDuration", "0"),
        "maxvoljobs": get("MaxVolJobs", "0"),
        "maxvolfiles": get("MaxVolFiles", "0"),
        "firstwritten": sql_time(row["FirstWritten"]) if row is not None else "",
        "lastwritten": sql_time(row["LastWritten"]) if row is not None else "",
        "labeldate": sql_time(row["CreateTime"]) if row is not None else "",
        "endfile": _s(m.vol_files),
        "endblock": _s(m.end_block),
    }


def media_rows(cat: Catalog, *, pool: str | None = None, volume: str | None = None,
               media_id: int | None = None) -> list[tuple[MediaRecord, Any]]:  # fmt: skip
    """Media records with their raw rows, ordered by MediaId."""
    where: list[str] = []
    args: list[Any] = []
    if pool is not None:
        where.append("PoolName=?")
        args.append(pool)
    if volume is not None:
        where.append("VolumeName=?")
        args.append(volume)
    if media_id is not None:
        where.append("MediaId=?")
        args.append(media_id)
    clause = ("WHERE " + " AND ".join(where)) if where else ""
    rows = cat.db.execute(f"SELECT * FROM Media {clause} ORDER BY MediaId", args).fetchall()
    return [(MediaRecord.from_row(r), r) for r in rows]


# ---------------------------------------------------------------------- clients, pools


def client_row(name: str, ids: CatalogIds, res: Any, uname: str, *, long: bool) -> Row:
    """``list clients`` / ``llist clients`` (ListClientRecords) for one configured Client."""
    row = {"clientid": ids.client(name), "name": name}
    # Bareos creates the Client row at start-up with zeros and copies AutoPrune and the
    # retentions from the resource only once a job's File daemon answered (with its uname).
    known = res is not None and bool(uname)
    if long:
        row["uname"] = uname
        row["autoprune"] = _s(bool(res.get("AutoPrune")) if known else False)
    row["fileretention"] = _s(res.get("FileRetention") if known else 0)
    row["jobretention"] = _s(res.get("JobRetention") if known else 0)
    return row


def last_uname(cat: Catalog, client: str) -> str:
    row = cat.db.execute(
        "SELECT ClientUname FROM Job WHERE ClientName=? AND ClientUname IS NOT NULL "
        "AND ClientUname != '' ORDER BY JobId DESC LIMIT 1",
        (client,),
    ).fetchone()
    return row[0] if row else ""


_POOL_SHORT = ("poolid", "name", "numvols", "maxvols", "pooltype", "labelformat")


def pool_row(name: str, ids: CatalogIds, res: Any, cat: Catalog, *, long: bool) -> Row:
    """``list pools`` (ListPoolRecords) / ``llist pools`` (EmitPoolFields, with the prune
    summary: nothing is prunable here, this emulator does not prune)."""
    numvols = cat.db.execute("SELECT COUNT(*) FROM Media WHERE PoolName=?", (name,)).fetchone()[0]

    def get(key: str, default: Any = 0) -> Any:
        return res.get(key, default) if res is not None else default

    scratch = get("ScratchPool", None)
    recycle_pool = get("RecyclePool", None)
    full = {
        "poolid": ids.pool(name),
        "name": name,
        "numvols": _s(numvols),
        "maxvols": _s(get("MaximumVolumes")),
        "useonce": "0",
        "usecatalog": _s(bool(get("UseCatalog", True))),
        "acceptanyvolume": "0",
        "volretention": _s(get("VolumeRetention", 31536000)),
        "voluseduration": _s(get("VolumeUseDuration")),
        "maxvoljobs": _s(get("MaximumVolumeJobs")),
        "maxvolbytes": _s(get("MaximumVolumeBytes")),
        "autoprune": _s(bool(get("AutoPrune", True))),
        "recycle": _s(bool(get("Recycle", True))),
        "pooltype": _s(get("PoolType", "Backup")),
        "labelformat": _s(get("LabelFormat", None)) or "*",
        "enabled": "1",
        "scratchpoolid": ids.pool(scratch) or "0",
        "recyclepoolid": ids.pool(recycle_pool) or "0",
        "labeltype": "0",
        "prunablevolumes": "0",
        "prunablejobs": "0",
        "prunablebytes": "0",
    }
    return full if long else {k: full[k] for k in _POOL_SHORT}


def storage_row(name: str, ids: CatalogIds, res: Any) -> Row:
    """``list storages`` (SELECT * FROM Storage)."""
    changer = bool(res.get("AutoChanger", False)) if res is not None else False
    return {"storageid": ids.storage(name), "name": name, "autochanger": _s(changer)}


def count_row(n: int) -> list[Row]:
    return [{"count": _s(n)}]
