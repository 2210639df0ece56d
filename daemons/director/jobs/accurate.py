"""The ``accurate`` file list the Director sends an Accurate job's File daemon.

Bareos ``SendAccurateCurrentFiles`` (``dird/backup.cc``): for an
incremental or differential job of a Job with ``Accurate = yes`` the
Director finds the backups the job builds on (``AccurateGetJobids``: the
last good Full of this client and FileSet, for an incremental also the last
Differential after it and the Incrementals after that), and sends::

    accurate files=<sum of their JobFiles>
    <path><name> NUL <lstat> NUL [<digest>] NUL <delta seq>     (one packet per file)
    EOD

with the newest version of every file; a file whose newest entry is a
deletion (FileIndex 0 in Bareos's catalog, FileType 23 here) is not sent.
The digest goes only when a FileSet ``Accurate`` option compares it (letter
``5``), as Bareos's ``IsChecksumNeededByFileset``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import attrs

from bareosnet.proto.attributes import FileType
from daemons.director.catalog.records import FileRecord
from daemons.director.catalog.store import Catalog

__all__ = ["AccurateList", "accurate_job_ids", "accurate_list", "encode_entry"]


@attrs.frozen
class AccurateList:
    job_ids: tuple[int, ...]
    estimated: int  # sum(JobFiles) of those jobs: the "accurate files=" count
    entries: tuple[FileRecord, ...]
    discarded: int  # newest entry was a deletion


def accurate_job_ids(
    catalog: Catalog, *, client: str, fileset: str | None, level: str, job_id: int
) -> list[int]:
    """``AccurateGetJobids`` for this job (older jobs only, oldest first)."""
    jobs = [
        j
        for j in catalog.jobs(client=client, job_type="B")
        if j.job_id < job_id and j.status in ("T", "W") and j.fileset == fileset
    ]
    fulls = [j for j in jobs if j.level == "F"]
    if not fulls:
        return []
    chain = [fulls[-1]]
    if level == "I":
        end = chain[0].end_time or 0
        diffs = [j for j in jobs if j.level == "D" and (j.start_time or 0) > end and j.files > 0]
        if diffs:
            chain.append(diffs[-1])
        end = chain[-1].end_time or 0
        chain += [j for j in jobs if j.level == "I" and (j.start_time or 0) > end]
    return [j.job_id for j in chain]


def accurate_list(catalog: Catalog, job_ids: Sequence[int]) -> AccurateList:
    newest: dict[str, FileRecord] = {}
    estimated = 0
    for jid in job_ids:
        rec = catalog.job(jid)
        estimated += rec.files if rec is not None else 0
        for f in catalog.files(jid):
            newest[f.fname] = f
    entries = [f for f in newest.values() if f.file_type != FileType.DELETED]
    return AccurateList(tuple(job_ids), estimated, tuple(entries), len(newest) - len(entries))


def checksum_needed(option_flags: Iterable[str], *, level: str) -> bool:
    """``IsChecksumNeededByFileset``: a ``5`` inside an ``Accurate`` (``C...:``) option.

    Only for incremental/differential levels (a Full compares nothing).
    """
    if level == "F":
        return False
    for flags in option_flags:
        in_block = False
        for c in flags:
            if c == "C":
                in_block = True
            elif c == ":":
                in_block = False
            elif c == "5" and in_block:
                return True
    return False


def encode_entry(f: FileRecord, *, with_digest: bool) -> bytes:
    digest = f.digest if with_digest and f.digest and f.digest != "0" else ""
    delta = "0"
    text = f"{f.fname}\0{f.lstat}\0{digest}\0{delta}"
    return text.encode("utf-8", "surrogateescape")
