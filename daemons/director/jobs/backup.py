"""A backup job, in Bareos's order (``dird/backup.cc`` ``DoNativeBackup``; reference 6.1-6.3).

1. Storage daemon (connection 5): job command -> ``3000 OK Job ... Authorization=<key>``,
   ``getSecureEraseCmd``;
2. File daemon (connection 3, or a waiting connection 4) with probing:
   ``JobId=...[ ssl=]``, ``level = ...`` (incremental/differential: since time
   and BTIME answers), ``fileset`` + lines + EOD, ``getSecureEraseCmd``;
3. SD: ``use storage=... append=1`` + ``use device=`` + EODs;
4. data connection: active client -> FD ``storage address= port= ssl=``
   (the FD connects to the SD, connection 6); passive client -> SD
   ``passive client address= port= ssl=`` (the SD connects to the FD, 7);
5. SD ``run``; the SD message thread starts (catalog requests, attributes);
6. FD ``backup FileIndex=0`` -> ``2000 OK backup``; then ``2800 End Job`` and
   ``3099 Job ... end``.
"""

from __future__ import annotations

import time
from typing import Any

import structlog

from bareosnet.proto.jobcmds import FdJobCommand, JobLevel, JobType, SdJobCommand, StorageCommand
from daemons.director.jobs.accurate import (
    accurate_job_ids,
    accurate_list,
    checksum_needed,
    encode_entry,
)
from daemons.director.jobs.common import (
    active_storage_ssl,
    data_address,
    fileset_md5,
    fileset_of,
    fileset_packets,
    jobid_ssl,
    open_client,
    open_storage,
    passive_client_ssl,
    use_vss,
)
from daemons.director.jobs.control import JS_RUNNING, JobControl, JobFailed, JobKind
from daemons.director.jobs.data_phase import DataPhase, take_sd_results
from daemons.director.jobs.report import backup_report

log = structlog.get_logger("bareosnet.director.backup")

LEVEL_NAMES = {"F": "Full", "I": "Incremental", "D": "Differential", "B": "Base"}


async def send_accurate_files(job: JobControl, fd: Any, fileset_res: Any) -> None:
    """``SendAccurateCurrentFiles``: the files of the jobs this one builds on (see accurate.py)."""
    cat = job.rt.catalog
    job_ids = accurate_job_ids(cat, client=job.client_name or "", fileset=job.fileset_name,
                               level=job.level, job_id=job.job_id)  # fmt: skip
    if not job_ids:
        raise JobFailed("Cannot find previous jobids.\n")
    listing = accurate_list(cat, job_ids)
    flags = [o.flags for block in fileset_of(fileset_res).includes for o in block.options]
    with_digest = checksum_needed(flags, level=job.level)
    started = time.monotonic()
    job.message(f"Sending Accurate information (estimated {listing.estimated} files).\n")
    await fd.accurate(listing.estimated,
                      (encode_entry(e, with_digest=with_digest) for e in listing.entries))  # fmt: skip
    took = int(time.monotonic() - started)
    job.message(f"Sent Accurate information for {len(listing.entries)} files (skipping "
                f"{listing.discarded} deleted files) in "
                f"{took // 3600:02d}:{took % 3600 // 60:02d}:{took % 60:02d}.\n")  # fmt: skip


def prepare_level(job: JobControl) -> None:
    """Since time and previous job of an incremental/differential; no Full yet -> Full."""
    if job.level not in "ID":
        return
    cat = job.rt.catalog
    client = job.client_name or ""
    full = cat.last_backup(name=job.name, client=client, fileset=job.fileset_name, levels=("F",))
    if full is None:
        job.message("No prior Full backup Job record found.\n")
        job.message("No prior or suitable Full backup found in catalog. Doing FULL backup.\n")
        job.params["upgraded_from"] = LEVEL_NAMES[job.level]
        job.level = "F"
        cat.update_job(job.job_id, level="F")
        return
    levels = ("F", "D", "I") if job.level == "I" else ("F",)
    prev = cat.last_backup(name=job.name, client=client, fileset=job.fileset_name, levels=levels)
    assert prev is not None
    job.since_time = prev.start_time
    job.prev_job = prev.job


async def run_backup(job: JobControl) -> None:
    rt = job.rt
    client, store, pool, fileset = job.client_res, job.storage_res, job.pool_res, job.fileset_res
    if client is None or store is None or pool is None or fileset is None:
        raise JobFailed("A backup job needs a Client, a Storage, a Pool and a FileSet.\n")
    job_res = job.job_res
    prepare_level(job)
    md5 = fileset_md5(fileset)
    job.params["fileset_time"] = rt.catalog.fileset_time(fileset.name, md5)
    if "accurate" not in job.params:  # a Run line or the console may have set it
        job.params["accurate"] = bool(job_res is not None and job_res.get("Accurate"))
    job.message(f"Start Backup JobId {job.job_id}, Job={job.job}\n")

    sd = await open_storage(job, store, write_pool=pool)
    ok = await sd.start_job(
        SdJobCommand(
            job_id=job.job_id,
            job=job.job,
            job_name=job.name,
            client_name=client.name,
            job_type=JobType.BACKUP,
            level=JobLevel.from_char(job.level),
            fileset=fileset.name,
            no_attr=0 if pool.get("CatalogFiles") is not False else 1,
            spool_attr=int(bool(job_res.get("SpoolAttributes"))) if job_res else 0,
            fileset_md5=md5,
            spool_data=int(bool(job_res.get("SpoolData"))) if job_res else 0,
            prefer_mounted_vols=int(bool(job_res.get("PreferMountedVolumes"))) if job_res else 1,
            backup_format=str(job_res.get("BackupFormat") or "Native") if job_res else "Native",
        )
    )
    job.vol_session_id, job.vol_session_time = ok.vol_session_id, ok.vol_session_time
    await sd.secure_erase()

    fd = await open_client(job, client)
    await fd.job_command(
        FdJobCommand(
            job_id=job.job_id,
            job=job.job,
            vol_session_id=ok.vol_session_id,
            vol_session_time=ok.vol_session_time,
            authorization=ok.authorization,
            ssl=jobid_ssl(job, client, store),
        )
    )
    job.set_status(JS_RUNNING)
    await fd.level(
        job.level,
        since=int(job.since_time) if job.since_time is not None else None,
        prev_job=job.prev_job,
        accurate=bool(job.params["accurate"]),
    )
    await fd.fileset(fileset_packets(fileset), vss=use_vss(fileset))
    await fd.secure_erase()
    limit = int(job_res.get("MaximumBandwidth") or 0) if job_res is not None else 0
    if limit <= 0:
        limit = int(client.get("MaximumBandwidthPerJob") or 0)
    if limit > 0:
        await fd.set_bandwidth(limit)
    if job.params["accurate"] and job.level in "ID":
        await send_accurate_files(job, fd, fileset)
    await sd.reserve(pool_res=pool, append=True)

    if client.get("Passive"):
        ssl = passive_client_ssl(job, client)
        job.params["data_ssl"] = ssl
        await sd.passive_client(data_address(client), int(client.get("Port")), ssl)
    else:
        ssl = active_storage_ssl(job, client, store)
        job.params["data_ssl"] = ssl
        await fd.storage(StorageCommand(address=data_address(store), port=int(store.get("Port")),
                                        ssl=ssl))  # fmt: skip
    await sd.run()

    async def fd_steps() -> None:
        await fd.backup(0)
        await fd.wait_end()

    phase = DataPhase(job, [sd], fd)
    try:
        await phase.run(fd_steps)
    finally:
        take_sd_results(job, sd)
        await fd.close()
    if sd.attributes:
        job.message(f"Insert of attributes batch table with {sd.attributes} entries start\n")
        job.message("Insert of attributes batch table done\n")


BACKUP = JobKind(run=run_backup, report=backup_report)
