"""The catalog's rows as values: jobs, volumes, job-media ranges, files; and the status sets.

Every record is built from a ``sqlite3.Row`` of :mod:`daemons.director.catalog.store`
with Bareos's column names; nothing here touches the database.
"""

from __future__ import annotations

import base64
import sqlite3

import attrs

from bareosnet.proto.attributes import FileType, decode_stat
from bareosnet.proto.streams import DIGEST_LENGTHS, STREAM_MASK

# Job statuses that count as "ran to the end" for restores, incrementals, copies.
OK_STATUSES = ("T", "W")
RUNNING_STATUSES = (
    "C",
    "R",
    "F",
    "S",
    "m",
    "M",
    "s",
    "j",
    "c",
    "d",
    "t",
    "p",
    "B",
    "i",
    "a",
    "l",
    "L",
)


class CatalogError(Exception):
    """A catalog request that cannot be satisfied (the text goes to the job log)."""


@attrs.frozen
class JobRecord:
    job_id: int
    job: str
    name: str
    type: str
    level: str
    client: str | None
    fileset: str | None
    pool: str | None
    storage: str | None
    status: str
    sched_time: float | None
    start_time: float | None
    end_time: float | None
    files: int
    bytes: int
    read_bytes: int
    errors: int
    vol_session_id: int
    vol_session_time: int
    prior_job_id: int
    since_time: float | None
    prev_job: str | None
    client_uname: str | None
    error_text: str | None

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> JobRecord:
        return cls(
            job_id=row["JobId"], job=row["Job"], name=row["Name"], type=row["Type"],
            level=row["Level"], client=row["ClientName"], fileset=row["FileSetName"],
            pool=row["PoolName"], storage=row["StorageName"], status=row["JobStatus"],
            sched_time=row["SchedTime"], start_time=row["StartTime"], end_time=row["EndTime"],
            files=row["JobFiles"], bytes=row["JobBytes"], read_bytes=row["ReadBytes"],
            errors=row["JobErrors"], vol_session_id=row["VolSessionId"],
            vol_session_time=row["VolSessionTime"], prior_job_id=row["PriorJobId"],
            since_time=row["SinceTime"], prev_job=row["PrevJob"],
            client_uname=row["ClientUname"], error_text=row["ErrorText"],
        )  # fmt: skip


@attrs.frozen
class MediaRecord:
    media_id: int
    volume: str
    pool: str
    media_type: str
    storage: str | None
    vol_jobs: int
    vol_files: int
    vol_blocks: int
    vol_bytes: int
    vol_mounts: int
    vol_errors: int
    vol_writes: int
    max_vol_bytes: int
    vol_capacity_bytes: int
    vol_status: str
    slot: int
    in_changer: int
    vol_read_time: int
    vol_write_time: int
    label_type: int

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> MediaRecord:
        return cls(
            media_id=row["MediaId"], volume=row["VolumeName"], pool=row["PoolName"],
            media_type=row["MediaType"], storage=row["StorageName"], vol_jobs=row["VolJobs"],
            vol_files=row["VolFiles"], vol_blocks=row["VolBlocks"], vol_bytes=row["VolBytes"],
            vol_mounts=row["VolMounts"], vol_errors=row["VolErrors"], vol_writes=row["VolWrites"],
            max_vol_bytes=row["MaxVolBytes"], vol_capacity_bytes=row["VolCapacityBytes"],
            vol_status=row["VolStatus"], slot=row["Slot"], in_changer=row["InChanger"],
            vol_read_time=row["VolReadTime"], vol_write_time=row["VolWriteTime"],
            label_type=row["LabelType"],
        )  # fmt: skip

    @property
    def end_block(self) -> int:
        # A file volume's last byte address (what Bareos reports as EndBlock).
        return self.vol_bytes - 1 if self.vol_bytes > 0 else 0


@attrs.frozen
class JobMediaRecord:
    job_id: int
    media_id: int
    volume: str
    media_type: str
    storage: str | None
    first_index: int
    last_index: int
    start_file: int
    end_file: int
    start_block: int
    end_block: int


@attrs.frozen
class FileRecord:
    job_id: int
    file_index: int
    path: str
    name: str
    file_type: int
    lstat: str
    link: str
    digest: str

    @property
    def fname(self) -> str:
        return self.path + self.name

    @property
    def is_dir(self) -> bool:
        return self.file_type in (FileType.DIREND, FileType.DIRNOCHG)

    @property
    def mode(self) -> int:
        return decode_stat(self.lstat).mode

    @property
    def size(self) -> int:
        return decode_stat(self.lstat).size


def split_path(fname: str) -> tuple[str, str]:
    """Bareos's Path/Name split: a directory is all path (trailing slash), no name."""
    if fname.endswith("/"):
        return fname, ""
    head, sep, tail = fname.rpartition("/")
    return head + sep, tail


def digest_text(digest: bytes) -> str:
    """The digest as Bareos stores it: base64 without padding."""
    return base64.b64encode(digest).decode("ascii").rstrip("=")


def is_digest(stream: int) -> bool:
    return (stream & STREAM_MASK) in DIGEST_LENGTHS
