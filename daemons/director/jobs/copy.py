"""A copy job between two Storage daemons (``dird/migrate.cc``, remote replication; reference 6.4).

Selection (``Selection Type`` of the Job, or ``jobid=`` on the ``run`` line):
``PoolUncopiedJobs``, ``SQLQuery`` (``Selection Pattern`` runs against the
SQLite catalog, first column = JobId), ``Job`` / ``Client`` / ``Volume``
(regular expressions).  Several selected jobs become one copy job each; the
selecting job only reports what it queued.

One prior job is copied like this (Bareos's order):

1. connection 5 to the reading SD and to the writing SD;
2. reading SD: job command (type 99), ``bootstrap`` of the whole prior job,
   ``getSecureEraseCmd``, ``use storage=... append=0``;
3. writing SD: job command of the *new* job (JobId of the copy, type 66),
   ``getSecureEraseCmd``, ``use storage=<next pool's storage> append=1``;
4. writing SD ``listen``; reading SD ``replicate JobId=<new> Job=<new>
   address=<writing SD> port= ssl=<0|4> Authorization=<writing SD's key>``
   (the reading SD connects, connection 8) -> ``3000 OK replicate``;
5. reading SD ``run``; both message threads until their ``3099``.

The writing SD's catalog requests feed the new job (Type ``C`` once done,
PriorJobId = the copied job), so it can be restored like any backup.
"""

from __future__ import annotations

import re
import time
from typing import Any

import structlog

from bareosnet.proto.jobcmds import JobLevel, JobType, Replicate, SdJobCommand
from daemons.director.catalog.records import CatalogError, JobRecord
from daemons.director.catalog.selection import build_bootstrap, select_files
from daemons.director.jobs.common import (
    data_address,
    fileset_md5,
    open_storage,
    replicate_ssl,
    storage_of,
)
from daemons.director.jobs.control import JS_RUNNING, JobControl, JobFailed, JobKind
from daemons.director.jobs.data_phase import DataPhase, take_sd_results
from daemons.director.jobs.report import copy_report
from daemons.director.jobs.sd_session import storage_devices
from daemons.director.jobs.setup import build_job

log = structlog.get_logger("bareosnet.director.copy")


def _select(job: JobControl, read_pool: Any) -> list[int]:
    cat = job.rt.catalog
    job_res = job.job_res
    stype = str(job_res.get("SelectionType") or "") if job_res is not None else ""
    pattern = str(job_res.get("SelectionPattern") or "") if job_res is not None else ""
    kind = stype.lower().replace(" ", "")
    if not kind:
        raise JobFailed("No Copy SelectionType specified.\n")
    backups = [
        r for r in cat.jobs(job_type="B") if r.status in ("T", "W") and r.pool == read_pool.name
    ]
    try:
        if kind == "pooluncopiedjobs":
            return cat.uncopied_jobs(read_pool.name)
        if kind == "sqlquery":
            if not pattern:
                raise JobFailed("No Copy SQL selection pattern specified.\n")
            return cat.query_job_ids(pattern)
        if kind == "job":
            return [r.job_id for r in backups if re.search(pattern, r.name)]
        if kind == "client":
            return [r.job_id for r in backups if r.client and re.search(pattern, r.client)]
        if kind == "volume":
            return [r.job_id for r in backups
                    if any(re.search(pattern, v) for v in cat.volumes_of(r.job_id))]  # fmt: skip
    except (CatalogError, re.error) as exc:
        raise JobFailed(f"Copy selection failed: {exc}\n") from None
    raise JobFailed(f"Selection Type {stype} is not supported by this emulator.\n")


def _next_pool(job: JobControl, read_pool: Any) -> Any:
    rt = job.rt
    name = (job.job_res.get("NextPool") if job.job_res is not None else None) or read_pool.get(
        "NextPool"
    )
    if not name:
        raise JobFailed(f'No Next Pool specification found in Pool "{read_pool.name}".\n')
    pool = rt.cfg.get("pool", str(name))
    if pool is None:
        raise JobFailed(f'Next Pool "{name}" not found.\n')
    return pool


def _read_storage(job: JobControl, prior: JobRecord) -> Any:
    rt = job.rt
    for jm in rt.catalog.jobmedia(prior.job_id):
        if jm.storage and rt.storage(jm.storage) is not None:
            return rt.storage(jm.storage)
    if prior.storage and rt.storage(prior.storage) is not None:
        return rt.storage(prior.storage)
    if job.storage_res is not None:
        return job.storage_res
    raise JobFailed(f"No read storage known for JobId {prior.job_id}.\n")


async def run_copy(job: JobControl) -> None:
    rt = job.rt
    read_pool = job.pool_res
    if read_pool is None:
        raise JobFailed("A copy job needs a Pool.\n")
    ids: list[int] | None = job.params.get("jobids")
    if ids is None:
        ids = _select(job, read_pool)
        if len(ids) > 1:
            job.message(f"The following {len(ids)} JobIds were chosen to be copied: "
                        f"{','.join(map(str, ids))}\n")  # fmt: skip
            for prior_id in ids:
                child = build_job(rt, job.job_res)
                child.pool_res = read_pool
                child.params["jobids"] = [prior_id]
                new_id = rt.jobs.submit(child, COPY)
                job.message(f"Copying using JobId={prior_id} Job={child.job}\n")
                job.message(f"Copy JobId {new_id} started.\n")
            job.params["queued"] = True
            job.sd_status, job.sd_ended = "T", True
            return
    if not ids:
        job.message("No JobIds found to copy.\n")
        job.sd_status, job.sd_ended = "T", True
        return

    prior = rt.catalog.job(ids[0])
    if prior is None:
        raise JobFailed(f"JobId {ids[0]} is not in the catalog.\n")
    if prior.type not in ("B", "C") or prior.status not in ("T", "W"):
        raise JobFailed(f"JobId {prior.job_id} is not a successful backup; it cannot be copied.\n")
    write_pool = _next_pool(job, read_pool)
    read_store = _read_storage(job, prior)
    write_store = storage_of(rt, write_pool.get("Storage")) or job.storage_res
    if write_store is None:
        raise JobFailed(f'No Storage for the Next Pool "{write_pool.name}".\n')
    if write_store.name == read_store.name:
        raise JobFailed(
            f"JobId {prior.job_id} cannot Copy using the same read and write storage.\n"
        )
    if (data_address(write_store), write_store.get("Port")) == (
        data_address(read_store), read_store.get("Port")):  # fmt: skip
        raise JobFailed("Copying inside one Storage daemon (local replication) is not "
                        "emulated; give the Next Pool a Storage on another daemon.\n")  # fmt: skip

    job.level = prior.level
    rt.catalog.update_job(job.job_id, level=prior.level, client=prior.client,
                          fileset=prior.fileset)  # fmt: skip
    selection = select_files(rt.catalog, [prior.job_id])
    devices = {read_store.name: (storage_devices(read_store) or [""])[0]}
    try:
        bsr = build_bootstrap(rt.catalog, selection, device_of=devices)
    except CatalogError as exc:
        raise JobFailed(f"{exc}\n") from None
    copy_name = rt.jobs.unique_name(prior.name)
    copy_id = rt.catalog.create_job(
        job=copy_name, name=prior.name, type="B", level=prior.level, client=prior.client,
        fileset=prior.fileset, pool=write_pool.name, storage=write_store.name,
        sched_time=time.time(), prior_job_id=prior.job_id,
    )  # fmt: skip
    rt.catalog.update_job(copy_id, status=JS_RUNNING, start_time=time.time())
    job.params.update(
        prior_job_id=prior.job_id, prior_job=prior.job, copy_job_id=copy_id, copy_job=copy_name,
        prior_client=prior.client or "", prior_fileset=prior.fileset or "",
        read_pool=read_pool.name, write_pool=write_pool.name, read_storage=read_store.name,
        write_storage=write_store.name,
    )  # fmt: skip
    job.message(f"Start Copying JobId {job.job_id}, Job={job.job}\n")
    fileset_res = rt.cfg.get("fileset", prior.fileset) if prior.fileset else None
    md5 = fileset_md5(fileset_res)
    level = JobLevel.from_char(prior.level)
    ok = False
    try:
        rsd = await open_storage(job, read_store, label="reading Storage daemon",
                                 write_pool=read_pool)  # fmt: skip
        wsd = await open_storage(job, write_store, label="writing Storage daemon",
                                 catalog_job_id=copy_id, write_pool=write_pool,
                                 sender="sd-write")  # fmt: skip
        await rsd.start_job(SdJobCommand(
            job_id=job.job_id, job=job.job, job_name=job.name,
            client_name=prior.client or "**None**", job_type=JobType.COPY, level=level,
            fileset=prior.fileset or "**None**", fileset_md5=md5,
        ))  # fmt: skip
        await rsd.bootstrap(bsr)
        await rsd.secure_erase()
        await rsd.reserve(pool_res=read_pool, append=False)
        wok = await wsd.start_job(SdJobCommand(
            job_id=copy_id, job=copy_name, job_name=prior.name,
            client_name=prior.client or "**None**", job_type=JobType.BACKUP, level=level,
            fileset=prior.fileset or "**None**", fileset_md5=md5,
        ))  # fmt: skip
        job.vol_session_id, job.vol_session_time = wok.vol_session_id, wok.vol_session_time
        await wsd.secure_erase()
        await wsd.reserve(pool_res=write_pool, append=True)
        job.set_status(JS_RUNNING)
        await wsd.listen()
        ssl = replicate_ssl(write_store)
        job.params["replicate_ssl"] = ssl
        await rsd.replicate(Replicate(
            job_id=copy_id, job=copy_name, address=data_address(write_store),
            port=int(write_store.get("Port")), ssl=ssl, authorization=wok.authorization,
        ))  # fmt: skip
        await rsd.run()
        try:
            await DataPhase(job, [rsd, wsd], None).run(None)
        finally:
            take_sd_results(job, wsd)
            read_status = rsd.sd_status if rsd.ended is None else chr(int(rsd.ended.status))
            if read_status not in ("T", "W"):
                job.sd_status = read_status if read_status != "?" else "E"
        ok = not job.failed and job.sd_status in ("T", "W")
    finally:
        rt.catalog.update_job(
            copy_id,
            type="C" if ok else "B",
            status="T" if ok else "E",
            end_time=time.time(),
            files=job.sd_files,
            bytes=job.sd_bytes,
            vol_session_id=job.vol_session_id,
            vol_session_time=job.vol_session_time,
        )


COPY = JobKind(run=run_copy, report=copy_report)
