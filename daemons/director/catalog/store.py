"""The Director's catalog: an SQLite file in the Working Directory (in memory when there is none).

Bareos keeps its catalog in PostgreSQL; the emulator keeps the part the job
sessions need in SQLite, with Bareos's table and column names where Bareos
has them, so ``Selection Type = SQLQuery`` patterns read naturally:

* ``Job``      one row per job (JobId grows across restarts: AUTOINCREMENT);
* ``Media``    volumes (created on demand when the SD asks ``FindMedia``);
* ``JobMedia`` which FileIndex range of a job sits where on which volume;
* ``File``     one row per attribute record the SD forwarded (``UpdCat``):
  path, name, FileIndex, the encoded stat (``LStat``) and the digest;
* ``FileSet``  the first time each FileSet (name + MD5) was used;
* ``Log``      the job messages (Messages resource ``catalog = ...``).

Everything is synchronous and quick (one local file, WAL journal); the
callers run in the Director's trio thread.
"""

from __future__ import annotations

import re
import sqlite3
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import structlog

from bareosnet.proto.attributes import AttributeRecord, encode_stat
from bareosnet.proto.streams import STREAM_MASK
from daemons.director.catalog.records import (
    RUNNING_STATUSES,
    CatalogError,
    FileRecord,
    JobMediaRecord,
    JobRecord,
    MediaRecord,
    digest_text,
    split_path,
)

log = structlog.get_logger("bareosnet.director.catalog")

CATALOG_FILE_NAME = "bareosnet-catalog.sqlite"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS Job (
    JobId INTEGER PRIMARY KEY AUTOINCREMENT,
    Job TEXT NOT NULL UNIQUE,
    Name TEXT NOT NULL,
    Type TEXT NOT NULL,
    Level TEXT NOT NULL,
    ClientName TEXT,
    FileSetName TEXT,
    PoolName TEXT,
    StorageName TEXT,
    JobStatus TEXT NOT NULL DEFAULT 'C',
    SchedTime REAL,
    StartTime REAL,
    EndTime REAL,
    JobFiles INTEGER NOT NULL DEFAULT 0,
    JobBytes INTEGER NOT NULL DEFAULT 0,
    ReadBytes INTEGER NOT NULL DEFAULT 0,
    JobErrors INTEGER NOT NULL DEFAULT 0,
    VolSessionId INTEGER NOT NULL DEFAULT 0,
    VolSessionTime INTEGER NOT NULL DEFAULT 0,
    PriorJobId INTEGER NOT NULL DEFAULT 0,
    SinceTime REAL,
    PrevJob TEXT,
    ClientUname TEXT,
    ErrorText TEXT
);
CREATE TABLE IF NOT EXISTS Media (
    MediaId INTEGER PRIMARY KEY AUTOINCREMENT,
    VolumeName TEXT NOT NULL UNIQUE,
    PoolName TEXT NOT NULL,
    MediaType TEXT NOT NULL,
    StorageName TEXT,
    VolJobs INTEGER NOT NULL DEFAULT 0,
    VolFiles INTEGER NOT NULL DEFAULT 0,
    VolBlocks INTEGER NOT NULL DEFAULT 0,
    VolBytes INTEGER NOT NULL DEFAULT 0,
    VolMounts INTEGER NOT NULL DEFAULT 0,
    VolErrors INTEGER NOT NULL DEFAULT 0,
    VolWrites INTEGER NOT NULL DEFAULT 0,
    MaxVolBytes INTEGER NOT NULL DEFAULT 0,
    VolCapacityBytes INTEGER NOT NULL DEFAULT 0,
    VolStatus TEXT NOT NULL DEFAULT 'Append',
    Slot INTEGER NOT NULL DEFAULT 0,
    InChanger INTEGER NOT NULL DEFAULT 0,
    VolReadTime INTEGER NOT NULL DEFAULT 0,
    VolWriteTime INTEGER NOT NULL DEFAULT 0,
    LabelType INTEGER NOT NULL DEFAULT 0,
    FirstWritten REAL,
    LastWritten REAL,
    CreateTime REAL
);
CREATE TABLE IF NOT EXISTS JobMedia (
    JobMediaId INTEGER PRIMARY KEY AUTOINCREMENT,
    JobId INTEGER NOT NULL,
    MediaId INTEGER NOT NULL,
    FirstIndex INTEGER NOT NULL,
    LastIndex INTEGER NOT NULL,
    StartFile INTEGER NOT NULL DEFAULT 0,
    EndFile INTEGER NOT NULL DEFAULT 0,
    StartBlock INTEGER NOT NULL DEFAULT 0,
    EndBlock INTEGER NOT NULL DEFAULT 0,
    Copy INTEGER NOT NULL DEFAULT 0,
    Stripe INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS File (
    FileId INTEGER PRIMARY KEY AUTOINCREMENT,
    JobId INTEGER NOT NULL,
    FileIndex INTEGER NOT NULL,
    Path TEXT NOT NULL,
    Name TEXT NOT NULL,
    FileType INTEGER NOT NULL,
    LStat TEXT NOT NULL,
    Link TEXT NOT NULL DEFAULT '',
    DeltaSeq INTEGER NOT NULL DEFAULT 0,
    MD5 TEXT NOT NULL DEFAULT '',
    DigestStream INTEGER NOT NULL DEFAULT 0,
    UNIQUE (JobId, FileIndex)
);
CREATE TABLE IF NOT EXISTS FileSet (
    FileSetId INTEGER PRIMARY KEY AUTOINCREMENT,
    FileSet TEXT NOT NULL,
    MD5 TEXT NOT NULL,
    CreateTime REAL NOT NULL,
    UNIQUE (FileSet, MD5)
);
CREATE TABLE IF NOT EXISTS Log (
    LogId INTEGER PRIMARY KEY AUTOINCREMENT,
    JobId INTEGER NOT NULL,
    Time REAL NOT NULL,
    LogText TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS FileJobIdIndex ON File (JobId);
CREATE INDEX IF NOT EXISTS JobMediaJobIdIndex ON JobMedia (JobId);
"""


class Catalog:
    """The SQLite catalog of one Director process."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        target = str(path) if path is not None else ":memory:"
        self.db = sqlite3.connect(target, isolation_level=None, check_same_thread=False)
        self.db.row_factory = sqlite3.Row
        if path is not None:
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.executescript(_SCHEMA)
        self._add_media_columns()
        # Jobs a previous process left running did not finish: they failed.
        stale = self.db.execute(
            "UPDATE Job SET JobStatus='E', ErrorText='Director stopped while the job ran' "
            f"WHERE JobStatus IN ({','.join('?' * len(RUNNING_STATUSES))})",
            RUNNING_STATUSES,
        ).rowcount
        log.info("catalog.opened", path=target, stale_jobs=stale, next_jobid=self.next_job_id())

    # Media columns that the console's update/label commands set and "llist volumes" shows;
    # added to a catalog file an older emulator created.
    _MEDIA_EXTRA = (
        ("Enabled", "INTEGER NOT NULL DEFAULT 1"),
        ("Recycle", "INTEGER NOT NULL DEFAULT 1"),
        ("VolRetention", "INTEGER NOT NULL DEFAULT 31536000"),
        ("VolUseDuration", "INTEGER NOT NULL DEFAULT 0"),
        ("MaxVolJobs", "INTEGER NOT NULL DEFAULT 0"),
        ("MaxVolFiles", "INTEGER NOT NULL DEFAULT 0"),
    )

    def _add_media_columns(self) -> None:
        have = {r[1] for r in self.db.execute("PRAGMA table_info(Media)")}
        for name, decl in self._MEDIA_EXTRA:
            if name not in have:
                self.db.execute(f"ALTER TABLE Media ADD COLUMN {name} {decl}")

    @classmethod
    def in_working_directory(cls, workdir: str | None) -> Catalog:
        if workdir and Path(workdir).is_dir():
            return cls(Path(workdir) / CATALOG_FILE_NAME)
        log.warning("catalog.in_memory", working_directory=workdir,
                    hint="jobs are forgotten when the Director stops")  # fmt: skip
        return cls(None)

    def close(self) -> None:
        self.db.close()

    # ------------------------------------------------------------------ jobs

    def next_job_id(self) -> int:
        row = self.db.execute("SELECT seq FROM sqlite_sequence WHERE name='Job'").fetchone()
        return (row[0] if row else 0) + 1

    def create_job(
        self,
        *,
        job: str,
        name: str,
        type: str,
        level: str,
        client: str | None,
        fileset: str | None,
        pool: str | None,
        storage: str | None,
        sched_time: float,
        prior_job_id: int = 0,
    ) -> int:
        cur = self.db.execute(
            "INSERT INTO Job (Job, Name, Type, Level, ClientName, FileSetName, PoolName, "
            "StorageName, JobStatus, SchedTime, PriorJobId) VALUES (?,?,?,?,?,?,?,?,'C',?,?)",
            (job, name, type, level, client, fileset, pool, storage, sched_time, prior_job_id),
        )
        assert cur.lastrowid is not None
        return int(cur.lastrowid)

    _JOB_COLUMNS = {
        "job": "Job", "name": "Name", "type": "Type", "level": "Level", "client": "ClientName",
        "fileset": "FileSetName", "pool": "PoolName", "storage": "StorageName",
        "status": "JobStatus", "start_time": "StartTime", "end_time": "EndTime",
        "files": "JobFiles", "bytes": "JobBytes", "read_bytes": "ReadBytes",
        "errors": "JobErrors", "vol_session_id": "VolSessionId",
        "vol_session_time": "VolSessionTime", "prior_job_id": "PriorJobId",
        "since_time": "SinceTime", "prev_job": "PrevJob", "client_uname": "ClientUname",
        "error_text": "ErrorText",
    }  # fmt: skip

    def update_job(self, job_id: int, **values: Any) -> None:
        if not values:
            return
        cols = [self._JOB_COLUMNS[k] for k in values]
        sets = ", ".join(f"{c}=?" for c in cols)
        self.db.execute(f"UPDATE Job SET {sets} WHERE JobId=?", (*values.values(), job_id))

    def job(self, job_id: int) -> JobRecord | None:
        row = self.db.execute("SELECT * FROM Job WHERE JobId=?", (job_id,)).fetchone()
        return JobRecord.from_row(row) if row else None

    def job_by_name(self, job: str) -> JobRecord | None:
        row = self.db.execute("SELECT * FROM Job WHERE Job=?", (job,)).fetchone()
        return JobRecord.from_row(row) if row else None

    def jobs(
        self,
        *,
        client: str | None = None,
        name: str | None = None,
        job_type: str | None = None,
        limit: int | None = None,
    ) -> list[JobRecord]:
        where, args = ["1=1"], []
        if client is not None:
            where.append("ClientName=?")
            args.append(client)
        if name is not None:
            where.append("Name=?")
            args.append(name)
        if job_type is not None:
            where.append("Type=?")
            args.append(job_type)
        sql = f"SELECT * FROM Job WHERE {' AND '.join(where)} ORDER BY JobId"
        rows = self.db.execute(sql, args).fetchall()
        records = [JobRecord.from_row(r) for r in rows]
        return records[-limit:] if limit else records

    def last_backup(
        self,
        *,
        name: str,
        client: str,
        fileset: str | None,
        levels: Sequence[str],
        types: Sequence[str] = ("B",),
    ) -> JobRecord | None:
        """The newest successful backup with one of ``levels`` (for since times, restores)."""
        sql = (
            f"SELECT * FROM Job WHERE Name=? AND ClientName=? "
            f"AND Level IN ({','.join('?' * len(levels))}) "
            f"AND Type IN ({','.join('?' * len(types))}) "
            f"AND JobStatus IN ('T','W')"
        )
        args: list[Any] = [name, client, *levels, *types]
        if fileset is not None:
            sql += " AND FileSetName=?"
            args.append(fileset)
        row = self.db.execute(sql + " ORDER BY StartTime DESC, JobId DESC LIMIT 1", args).fetchone()
        return JobRecord.from_row(row) if row else None

    # ------------------------------------------------------------------ filesets

    def fileset_time(self, name: str, md5: str) -> float:
        """When this FileSet (name + content) was first used."""
        row = self.db.execute(
            "SELECT CreateTime FROM FileSet WHERE FileSet=? AND MD5=?", (name, md5)
        ).fetchone()
        if row:
            return float(row[0])
        now = time.time()
        self.db.execute(
            "INSERT INTO FileSet (FileSet, MD5, CreateTime) VALUES (?,?,?)", (name, md5, now)
        )
        return now

    # ------------------------------------------------------------------ media

    def media(self, volume: str) -> MediaRecord | None:
        row = self.db.execute("SELECT * FROM Media WHERE VolumeName=?", (volume,)).fetchone()
        return MediaRecord.from_row(row) if row else None

    def media_by_id(self, media_id: int) -> MediaRecord | None:
        row = self.db.execute("SELECT * FROM Media WHERE MediaId=?", (media_id,)).fetchone()
        return MediaRecord.from_row(row) if row else None

    def all_media(self, pool: str | None = None) -> list[MediaRecord]:
        if pool is None:
            rows = self.db.execute("SELECT * FROM Media ORDER BY MediaId").fetchall()
        else:
            rows = self.db.execute(
                "SELECT * FROM Media WHERE PoolName=? ORDER BY MediaId", (pool,)
            ).fetchall()
        return [MediaRecord.from_row(r) for r in rows]

    def find_media(
        self,
        *,
        pool: str,
        media_type: str,
        storage: str | None,
        unwanted: Iterable[str] = (),
        label_format: str | None = None,
        max_vol_bytes: int = 0,
        max_volumes: int = 0,
    ) -> MediaRecord:
        """An appendable volume of the pool, creating (auto-labelling) one when none is left."""
        skip = {u for u in unwanted if u}
        rows = self.db.execute(
            "SELECT * FROM Media WHERE PoolName=? AND MediaType=? AND VolStatus IN "
            "('Append','Recycle','Purged') ORDER BY MediaId",
            (pool, media_type),
        ).fetchall()
        for row in rows:
            rec = MediaRecord.from_row(row)
            if rec.volume in skip:
                continue
            if rec.max_vol_bytes and rec.vol_bytes >= rec.max_vol_bytes:
                self.db.execute(
                    "UPDATE Media SET VolStatus='Full' WHERE MediaId=?", (rec.media_id,)
                )
                continue
            return rec
        count = self.db.execute("SELECT COUNT(*) FROM Media WHERE PoolName=?", (pool,)).fetchone()[
            0
        ]
        if max_volumes and count >= max_volumes:
            raise CatalogError(
                f'Pool "{pool}" has {count} volumes, its Maximum Volumes; no appendable volume left'
            )
        prefix = label_format if label_format else f"{pool}-"
        number = count + 1
        while True:
            name = _volume_name(prefix, number)
            if self.media(name) is None and name not in skip:
                break
            number += 1
        self.db.execute(
            "INSERT INTO Media (VolumeName, PoolName, MediaType, StorageName, MaxVolBytes, "
            "VolStatus, CreateTime) VALUES (?,?,?,?,?,'Append',?)",
            (name, pool, media_type, storage, max_vol_bytes, time.time()),
        )
        log.info("catalog.volume_created", volume=name, pool=pool, media_type=media_type)
        media = self.media(name)
        assert media is not None
        return media

    def update_media(self, volume: str, **values: Any) -> MediaRecord | None:
        """Take the SD's counters (UpdateMedia); VolBytes/VolBlocks never go backwards."""
        rec = self.media(volume)
        if rec is None:
            return None
        vol_bytes = max(int(values.get("vol_bytes", rec.vol_bytes)), rec.vol_bytes)
        vol_blocks = int(values.get("vol_blocks", rec.vol_blocks))
        if int(values.get("vol_files", rec.vol_files)) == rec.vol_files:
            vol_blocks = max(vol_blocks, rec.vol_blocks)
        first_written = values.get("first_written") or None
        self.db.execute(
            "UPDATE Media SET VolJobs=?, VolFiles=?, VolBlocks=?, VolBytes=?, VolMounts=?, "
            "VolErrors=?, VolWrites=?, VolStatus=?, Slot=?, InChanger=?, VolReadTime=?, "
            "VolWriteTime=?, LastWritten=?, StorageName=COALESCE(?, StorageName), "
            "FirstWritten=COALESCE(FirstWritten, ?) WHERE MediaId=?",
            (
                values.get("vol_jobs", rec.vol_jobs),
                max(int(values.get("vol_files", rec.vol_files)), rec.vol_files),
                vol_blocks,
                vol_bytes,
                values.get("vol_mounts", rec.vol_mounts),
                values.get("vol_errors", rec.vol_errors),
                values.get("vol_writes", rec.vol_writes),
                values.get("vol_status", rec.vol_status),
                values.get("slot", rec.slot),
                values.get("in_changer", rec.in_changer),
                values.get("vol_read_time", rec.vol_read_time),
                values.get("vol_write_time", rec.vol_write_time),
                values.get("last_written") or time.time(),
                values.get("storage"),
                first_written or time.time(),
                rec.media_id,
            ),
        )
        return self.media(volume)

    # The Media columns the console's update/label commands may set (Bareos's names).
    _SETTABLE_MEDIA = frozenset({
        "VolStatus", "VolRetention", "VolUseDuration", "MaxVolJobs", "MaxVolFiles",
        "MaxVolBytes", "Recycle", "InChanger", "Slot", "PoolName", "Enabled", "StorageName",
        "VolumeName", "MediaType", "LabelType", "VolBytes",
    })  # fmt: skip

    def set_media(self, media_id: int, **columns: Any) -> MediaRecord | None:
        """Set catalog columns of one volume as an operator does (``update volume=``)."""
        unknown = set(columns) - self._SETTABLE_MEDIA
        if unknown:
            raise CatalogError(f"Media has no settable column {sorted(unknown)}")
        if columns:
            names = ", ".join(f"{k}=?" for k in columns)
            self.db.execute(f"UPDATE Media SET {names} WHERE MediaId=?",
                            (*columns.values(), media_id))  # fmt: skip
        return self.media_by_id(media_id)

    def create_labelled_media(
        self, *, volume: str, pool: str, media_type: str, storage: str | None, slot: int = 0,
        in_changer: int = 0, max_vol_bytes: int = 0, vol_bytes: int = 0,
    ) -> MediaRecord:
        """The record ``label`` creates once the SD wrote the label (VolStatus Append)."""
        self.db.execute(
            "INSERT INTO Media (VolumeName, PoolName, MediaType, StorageName, Slot, InChanger, "
            "MaxVolBytes, VolBytes, VolStatus, CreateTime) VALUES (?,?,?,?,?,?,?,?,'Append',?)",
            (volume, pool, media_type, storage, slot, in_changer, max_vol_bytes, vol_bytes,
             time.time()),
        )  # fmt: skip
        log.info("catalog.volume_labelled", volume=volume, pool=pool, media_type=media_type)
        media = self.media(volume)
        assert media is not None
        return media

    def volume_job_ids(self, media_id: int) -> list[int]:
        """The jobs with data on a volume (Bareos GetVolumeJobids), in JobId order."""
        rows = self.db.execute(
            "SELECT DISTINCT JobId FROM JobMedia WHERE MediaId=? ORDER BY JobId", (media_id,)
        ).fetchall()
        return [int(r[0]) for r in rows]

    def delete_media(self, media_id: int) -> None:
        self.db.execute("DELETE FROM JobMedia WHERE MediaId=?", (media_id,))
        self.db.execute("DELETE FROM Media WHERE MediaId=?", (media_id,))

    def delete_jobs(self, job_ids: Sequence[int]) -> None:
        """Bareos PurgeJobsFromCatalog: the jobs and every row that names them."""
        if not job_ids:
            return
        have = {r[0] for r in self.db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        marks = ",".join("?" * len(job_ids))
        for table in ("File", "JobMedia", "Log", "PathVisibility", "BvfsCachedJob",
                      "BvfsRestoreList", "Job"):  # fmt: skip
            if table in have:
                self.db.execute(f"DELETE FROM {table} WHERE JobId IN ({marks})", tuple(job_ids))
        log.info("catalog.jobs_deleted", job_ids=list(job_ids))

    def create_jobmedia(self, job_id: int, **values: int) -> None:
        self.db.execute(
            "INSERT INTO JobMedia (JobId, MediaId, FirstIndex, LastIndex, StartFile, EndFile, "
            "StartBlock, EndBlock, Copy, Stripe) VALUES (?,?,?,?,?,?,?,?,?,?)",
            (
                job_id, values["media_id"], values["first_index"], values["last_index"],
                values.get("start_file", 0), values.get("end_file", 0),
                values.get("start_block", 0), values.get("end_block", 0),
                values.get("copy", 0), values.get("stripe", 0),
            ),
        )  # fmt: skip

    def delete_null_jobmedia(self, job_id: int) -> int:
        return self.db.execute(
            "DELETE FROM JobMedia WHERE JobId=? AND FirstIndex=0 AND LastIndex=0", (job_id,)
        ).rowcount

    def jobmedia(self, job_id: int) -> list[JobMediaRecord]:
        rows = self.db.execute(
            "SELECT JobMedia.*, Media.VolumeName, Media.MediaType, Media.StorageName "
            "FROM JobMedia JOIN Media ON Media.MediaId = JobMedia.MediaId "
            "WHERE JobId=? ORDER BY JobMediaId",
            (job_id,),
        ).fetchall()
        return [
            JobMediaRecord(
                job_id=r["JobId"],
                media_id=r["MediaId"],
                volume=r["VolumeName"],
                media_type=r["MediaType"],
                storage=r["StorageName"],
                first_index=r["FirstIndex"],
                last_index=r["LastIndex"],
                start_file=r["StartFile"],
                end_file=r["EndFile"],
                start_block=r["StartBlock"],
                end_block=r["EndBlock"],
            )  # fmt: skip
            for r in rows
        ]

    def volumes_of(self, job_id: int) -> list[str]:
        seen: list[str] = []
        for jm in self.jobmedia(job_id):
            if jm.volume not in seen:
                seen.append(jm.volume)
        return seen

    # ------------------------------------------------------------------ files

    def add_attributes(self, job_id: int, record: AttributeRecord) -> None:
        path, name = split_path(record.fname)
        self.db.execute(
            "INSERT OR REPLACE INTO File (JobId, FileIndex, Path, Name, FileType, LStat, Link, "
            "DeltaSeq) VALUES (?,?,?,?,?,?,?,?)",
            (job_id, record.file_index, path, name, int(record.file_type),
             encode_stat(record.stat), record.link, record.delta_seq),
        )  # fmt: skip

    def add_digest(self, job_id: int, file_index: int, stream: int, digest: bytes) -> None:
        self.db.execute(
            "UPDATE File SET MD5=?, DigestStream=? WHERE JobId=? AND FileIndex=?",
            (digest_text(digest), stream & STREAM_MASK, job_id, file_index),
        )

    def files(self, job_id: int) -> list[FileRecord]:
        rows = self.db.execute(
            "SELECT * FROM File WHERE JobId=? ORDER BY FileIndex", (job_id,)
        ).fetchall()
        return [
            FileRecord(
                r["JobId"],
                r["FileIndex"],
                r["Path"],
                r["Name"],
                r["FileType"],
                r["LStat"],
                r["Link"],
                r["MD5"],
            )  # fmt: skip
            for r in rows
        ]

    def file_count(self, job_id: int) -> int:
        return int(
            self.db.execute("SELECT COUNT(*) FROM File WHERE JobId=?", (job_id,)).fetchone()[0]
        )

    # ------------------------------------------------------------------ logs

    def add_log(self, job_id: int, text: str) -> None:
        self.db.execute(
            "INSERT INTO Log (JobId, Time, LogText) VALUES (?,?,?)", (job_id, time.time(), text)
        )

    def logs(self, job_id: int) -> list[str]:
        rows = self.db.execute("SELECT LogText FROM Log WHERE JobId=? ORDER BY LogId", (job_id,))
        return [r[0] for r in rows]

    # ------------------------------------------------------------------ queries

    def query_job_ids(self, sql: str) -> list[int]:
        """Run a ``Selection Pattern`` query; the first column of each row is a JobId."""
        if not re.match(r"\s*(select|with)\b", sql, re.IGNORECASE):
            raise CatalogError("a selection query must be a SELECT statement")
        try:
            rows = self.db.execute(sql).fetchall()
        except sqlite3.Error as exc:
            raise CatalogError(f"selection query failed: {exc}") from None
        out: list[int] = []
        for row in rows:
            try:
                value = int(row[0])
            except (TypeError, ValueError):
                continue
            if value not in out:
                out.append(value)
        return out

    def uncopied_jobs(self, pool: str) -> list[int]:
        """Successful backups in ``pool`` of which no copy exists yet (PoolUncopiedJobs)."""
        rows = self.db.execute(
            "SELECT JobId FROM Job WHERE PoolName=? AND Type='B' AND JobStatus IN ('T','W') "
            "AND JobId NOT IN (SELECT PriorJobId FROM Job WHERE Type IN ('C','B') "
            "AND PriorJobId<>0 AND JobStatus IN ('T','W')) ORDER BY JobId",
            (pool,),
        ).fetchall()
        return [int(r[0]) for r in rows]


def _volume_name(prefix: str, number: int) -> str:
    return f"{prefix}{number:04d}"
