"""A restore job, in Bareos's order (``dird/restore.cc`` ``DoNativeRestoreBootstrap``; reference 6.4).

The console's ``restore`` command selected the files from the catalog and
built the bootstrap (``job.params["bootstrap"]``); the job then:

1. Storage daemon (connection 5): job command (type 82, level 32),
   ``getSecureEraseCmd``, ``use storage=... append=0`` (read reservation);
2. File daemon: ``JobId=...`` (the session key kept), ``getSecureEraseCmd``;
3. SD: ``bootstrap`` + the bootstrap lines + EOD -> ``3000 OK bootstrap``;
4. active client: SD ``run``, FD ``storage address= port= ssl= Authorization=<key>``;
   passive client: FD ``setauthorization Authorization=<key>``, SD
   ``passive client ...``, SD ``run``;
5. FD ``restore replace=<c> prelinks=<n> where=<path>`` -> ``2000 OK restore``,
   ``2000 OK storage end``; the SD's end; FD ``endrestore``; ``2800 End Job``.
"""

from __future__ import annotations

from typing import Any

import structlog

from bareosnet.proto.bootstrap import Bootstrap
from bareosnet.proto.jobcmds import (
    FdJobCommand,
    JobLevel,
    JobType,
    RestoreCommand,
    SdJobCommand,
    StorageCommand,
)
from daemons.director.jobs.common import (
    active_storage_ssl,
    data_address,
    fileset_md5,
    jobid_ssl,
    open_client,
    open_storage,
    passive_client_ssl,
)
from daemons.director.jobs.control import JS_RUNNING, JobControl, JobFailed, JobKind
from daemons.director.jobs.data_phase import DataPhase, take_sd_results
from daemons.director.jobs.report import restore_report

log = structlog.get_logger("bareosnet.director.restore")

# Job "Replace" values and the console's replace= words -> the one-letter code.
REPLACE_CODES = {"always": "a", "ifnewer": "w", "ifolder": "o", "never": "n"}


def replace_code(value: Any) -> str:
    word = str(value or "always").lower()
    if word not in REPLACE_CODES:
        raise ValueError(f"replace must be one of {', '.join(REPLACE_CODES)}, not {value!r}")
    return REPLACE_CODES[word]


async def run_restore(job: JobControl) -> None:
    client, store, pool = job.client_res, job.storage_res, job.pool_res
    bsr: Bootstrap | None = job.params.get("bootstrap")
    if client is None or store is None or pool is None or bsr is None:
        raise JobFailed("A restore job needs a Client, a Storage, a Pool and a bootstrap.\n")
    # DoNativeRestore: the catalog record says Full ("F") although the job
    # itself (and the SD's job command) has no level.
    job.rt.catalog.update_job(job.job_id, level="F")
    job.message(f"Start Restore Job {job.job}\n")
    fileset = job.fileset_res

    sd = await open_storage(job, store, write_pool=pool)
    ok = await sd.start_job(
        SdJobCommand(
            job_id=job.job_id,
            job=job.job,
            job_name=job.name,
            client_name=client.name,
            job_type=JobType.RESTORE,
            level=JobLevel.NONE,
            fileset=fileset.name if fileset is not None else "**None**",
            fileset_md5=fileset_md5(fileset),
        )
    )
    job.vol_session_id, job.vol_session_time = ok.vol_session_id, ok.vol_session_time
    key = ok.authorization
    await sd.secure_erase()
    await sd.reserve(pool_res=pool, append=False)

    fd = await open_client(job, client)
    await fd.job_command(
        FdJobCommand(
            job_id=job.job_id,
            job=job.job,
            vol_session_id=ok.vol_session_id,
            vol_session_time=ok.vol_session_time,
            authorization=key,
            ssl=jobid_ssl(job, client, store),
        )
    )
    await fd.secure_erase()
    job.set_status(JS_RUNNING)
    await sd.bootstrap(bsr)

    passive = bool(client.get("Passive"))
    if passive:
        await fd.set_authorization(key)
        ssl = passive_client_ssl(job, client)
        job.params["data_ssl"] = ssl
        await sd.passive_client(data_address(client), int(client.get("Port")), ssl)
        await sd.run()
    else:
        ssl = active_storage_ssl(job, client, store)
        job.params["data_ssl"] = ssl
        await sd.run()

    cmd = RestoreCommand(
        replace=job.params.get("replace", "a"),
        prelinks=int(bool(job.job_res.get("PrefixLinks"))) if job.job_res is not None else 0,
        where=str(job.params.get("where") or ""),
        regexwhere=job.params.get("regexwhere") or None,  # when set, the FD ignores where
    )
    phase = DataPhase(job, [sd], fd)

    async def fd_steps() -> None:
        if not passive:
            await fd.storage(StorageCommand(address=data_address(store),
                                            port=int(store.get("Port")), ssl=ssl,
                                            authorization=key))  # fmt: skip
        await fd.restore(cmd)
        await fd.wait_storage_end()
        await phase.wait_storage()
        await fd.end_restore()
        await fd.wait_end()

    try:
        await phase.run(fd_steps)
    finally:
        take_sd_results(job, sd)
        await fd.close()


RESTORE = JobKind(run=run_restore, report=restore_report)
