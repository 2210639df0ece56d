"""What a restore reads: the selected file versions and the bootstrap that finds them.

Both work on :class:`~daemons.director.catalog.store.Catalog` reads only.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

import attrs

from bareosnet.proto.attributes import FileType
from bareosnet.proto.bootstrap import Bootstrap, BootstrapEntry, IndexRange
from daemons.director.catalog.records import CatalogError, FileRecord

if TYPE_CHECKING:
    from daemons.director.catalog.store import Catalog


def _ranges(numbers: Iterable[int]) -> list[IndexRange]:
    out: list[IndexRange] = []
    for n in sorted(set(numbers)):
        if out and out[-1].last + 1 == n:
            out[-1] = IndexRange(out[-1].first, n)
        else:
            out.append(IndexRange(n, n))
    return out


@attrs.frozen
class RestoreSelection:
    """What a restore reads: the newest version of every selected file, per job."""

    files: tuple[FileRecord, ...]
    job_ids: tuple[int, ...]

    @property
    def count(self) -> int:
        return len(self.files)


def select_files(
    catalog: Catalog, job_ids: Sequence[int], wanted: Sequence[str] = ()
) -> RestoreSelection:
    """Merge the jobs' trees (a later job's version wins) and keep ``wanted`` (all if empty).

    A wanted path that is a directory selects everything below it.
    """
    tree: dict[str, FileRecord] = {}
    for job_id in job_ids:
        for f in catalog.files(job_id):
            if f.file_type == FileType.DELETED:
                # An Accurate job saw it gone: an older job's version is not restored.
                tree.pop(f.fname, None)
                continue
            if f.file_type in (FileType.NOCHG, FileType.DIRNOCHG):
                continue
            tree[f.fname] = f
    if wanted:
        keep: dict[str, FileRecord] = {}
        for want in wanted:
            base = want.rstrip("/")
            for fname, rec in tree.items():
                plain = fname.rstrip("/")
                if plain == base or plain.startswith(base + "/"):
                    keep[fname] = rec
        tree = keep
    files = tuple(sorted(tree.values(), key=lambda f: (f.job_id, f.file_index)))
    return RestoreSelection(files, tuple(sorted({f.job_id for f in files})))


def build_bootstrap(
    catalog: Catalog, selection: RestoreSelection, *, device_of: dict[str, str] | None = None
) -> Bootstrap:
    """Bootstrap entries, one per (job, volume), with the FileIndex ranges of the selection."""
    entries: list[BootstrapEntry] = []
    by_job: dict[int, list[int]] = {}
    for f in selection.files:
        by_job.setdefault(f.job_id, []).append(f.file_index)
    for job_id, indexes in sorted(by_job.items()):
        job = catalog.job(job_id)
        if job is None:
            raise CatalogError(f"JobId {job_id} is not in the catalog")
        media = [jm for jm in catalog.jobmedia(job_id) if jm.last_index > 0]
        if not media:
            raise CatalogError(f"no volume information (JobMedia) for JobId {job_id}")
        for jm in media:
            here = [i for i in indexes if jm.first_index <= i <= jm.last_index]
            if not here:
                continue
            start = (jm.start_file << 32) | jm.start_block
            end = (jm.end_file << 32) | jm.end_block
            entries.append(
                BootstrapEntry(
                    volume=jm.volume,
                    media_type=jm.media_type,
                    storage=jm.storage,
                    device=(device_of or {}).get(jm.storage or ""),
                    vol_session_id=[job.vol_session_id],
                    vol_session_time=job.vol_session_time,
                    vol_addr=[IndexRange(start, max(start, end))],
                    file_index=_ranges(here),
                    count=len(here),
                )
            )
    return Bootstrap(entries)
