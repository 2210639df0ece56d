"""Console commands for jobs: run, restore, wait, cancel (list/llist: :mod:`.list_commands`).

Syntax (``run`` never prompts, ``yes`` confirms; under ``.api json`` the console is in
batch mode, as in Bareos, and ``run``/``restore`` start without ``yes``; otherwise
``restore`` asks what its command line leaves open, as Bareos does: the JobIds or files in
restore_select.py, the file tree in restore_dialog.py, the run prompt in restore_run.py):

``run job=<name> [level=Full|Incremental|Differential] [client=<name>] [storage=<name>]
[pool=<name>] [fileset=<name>] [jobid=<n>] yes``
    queue a Backup or Copy job (``jobid=`` picks the job a Copy copies);
    without ``yes`` the job's settings are shown and nothing runs.
``restore [client=<name>] [jobid=<n>[,<n>...]] [current | before=<time>] [fileset=<name>]
[restoreclient=<name>] [restorejob=<name>] [where=<path>] [replace=always|ifnewer|ifolder|never]
[pluginoptions=<text>] [file=<path>]... [directory=<path>/]... [select] [all] [done] yes``
    ``select``: the backup set of the client before the time (last Full + Differential +
    Incrementals), or with ``jobid=`` what those jobs build on; ``jobid=``: those jobs;
    ``file=``/``directory=``: those paths, no tree; none of them: the menu.  ``all``
    marks every file, ``done`` skips the file tree, ``yes`` the "OK to run?" question.
``wait [jobid=<n> | job=<name>]``  until no job (or that job) runs.
``cancel jobid=<n> | job=<name>``
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import structlog

from bareosnet.proto.regexwhere import build_where
from daemons.common.commands import job_status_text
from daemons.director.catalog.bvfs import Bvfs, restore_list_selection
from daemons.director.catalog.selection import RestoreSelection, build_bootstrap
from daemons.director.console import restore_dialog as dialog
from daemons.director.console import restore_run, run_confirm
from daemons.director.console.args import Args
from daemons.director.console.catalog_notice import say_catalog_opened
from daemons.director.console.job_select import select_jobs
from daemons.director.console.registry import command
from daemons.director.console.restore_run import RestoreRun
from daemons.director.console.restore_select import pick
from daemons.director.console.restore_tree import RestoreTree
from daemons.director.jobs.common import cancel_on_client, cancel_on_storage
from daemons.director.jobs.control import JobControl
from daemons.director.jobs.kinds import kind_of
from daemons.director.jobs.restore import REPLACE_CODES, replace_code
from daemons.director.jobs.sd_session import storage_devices
from daemons.director.jobs.setup import (
    Overrides,
    SetupError,
    build_job,
    job_type_of,
    level_code,
)

if TYPE_CHECKING:
    from daemons.director.console.interfaces import CommandSession

log = structlog.get_logger("bareosnet.director.console")

RUN_USAGE = ("job=<job-name> [level=Full|Incremental|Differential] [client=<client-name>] "
             "[storage=<storage-name>] [pool=<pool-name>] [fileset=<fileset-name>] "
             "[jobid=<jobid>] yes")  # fmt: skip
RESTORE_USAGE = ("[client=<client-name>] [jobid=<jobid>[,<jobid>...]] "
                 '[current | before="YYYY-MM-DD HH:MM:SS"] [fileset=<fileset-name>] '
                 "[restoreclient=<client-name>] [restorejob=<job-name>] [where=<path>] "
                 "[replace=always|ifnewer|ifolder|never] [pluginoptions=<text>] "
                 "[file=<path>]... [directory=<path>/]... select all done yes")  # fmt: skip
WAIT_USAGE = "[jobid=<jobid> | job=<job-name>]"
CANCEL_USAGE = "jobid=<jobid> | job=<job-name>"

_RUN_KEYS = {"job", "jobname", "level", "client", "fd", "storage", "sd", "pool", "fileset",
             "jobid", "yes"}  # fmt: skip
_RESTORE_KEYS = {"client", "backupclient", "restoreclient", "jobid", "where", "replace", "file",
                 "directory", "select", "all", "done", "yes", "restorejob", "current", "before",
                 "fileset", "pluginoptions", "regexwhere", "strip_prefix", "add_prefix",
                 "add_suffix", "pool", "storage"}  # fmt: skip


async def _using_catalog(s: CommandSession, args: Args | None = None, *,
                         private: bool = False) -> None:  # fmt: skip
    await say_catalog_opened(s, args, private=private)


# ---------------------------------------------------------------------- run


@command("run", help="run a Backup or Copy job", usage=RUN_USAGE, api='{"run": {"jobid"}}')
async def run(s: CommandSession, args: Args) -> bool:
    rt = s.rt
    for key, _ in args.words[1:]:
        if key.lower() not in _RUN_KEYS:
            await s.out.error(f"Invalid keyword: {key}\n")
            return False
    name = args.value("job", "jobname")
    if name is None:
        plain = [k for k, v in args.words[1:] if v is None and k.lower() != "yes"]
        name = plain[0] if plain else None
    if name is None:
        await s.out.error("run: a job is needed: run job=<job-name> ... yes\n")
        return False
    job_res = rt.cfg.get("job", name)
    if job_res is None or not s.allowed("job", name):
        await s.out.error(f'Job "{name}" not found\n')
        return False
    ov = Overrides(
        level=args.value("level"),
        client=args.value("client", "fd"),
        storage=args.value("storage", "sd"),
        pool=args.value("pool"),
        fileset=args.value("fileset"),
    )
    for acl, value in (("client", ov.client), ("storage", ov.storage), ("pool", ov.pool),
                       ("fileset", ov.fileset)):  # fmt: skip
        if value is not None and not s.allowed(acl, value):
            await s.out.error(f'{acl.capitalize()} "{value}" not found.\n')
            return False
    try:
        if ov.level is not None and job_type_of(job_res) == "B":
            level_code(ov.level)
        job = build_job(rt, job_res, ov)
        kind = kind_of(job.job_type)
    except SetupError as exc:
        await s.out.error(f"{exc}\n")
        await s.out.text("Job not run.\n")
        return False
    if job.job_type == "R":
        await s.out.error("Use the restore command to run a Restore job.\n")
        return False
    jobid = args.value("jobid")
    if jobid is not None:
        try:
            job.params["jobids"] = [int(x) for x in jobid.split(",") if x.strip()]
        except ValueError:
            await s.out.error(f"Invalid jobid: {jobid}\n")
            return False
    if job.job_type == "B" and (job.client_res is None or job.fileset_res is None):
        await s.out.error(f"Job {name} has no Client or FileSet.\n")
        return False
    if job.storage_res is None or job.pool_res is None:
        await s.out.error(f"Job {name} has no Storage or Pool.\n")
        return False
    await _using_catalog(s, args)  # RunCmd opens the shared connection first thing
    if not (args.has("yes") or s.batch):
        if job.job_type not in ("B", "c"):
            await _run_summary(s, job)
            return True
        try:
            job = await run_confirm.confirm(s, job)
        except run_confirm.NotRun as not_run:
            if not (s.quit or not_run.silent):
                await s.out.text("Job not run.\n")
            return True
    job_id = rt.jobs.submit(job, kind)
    await s.out.text(f"Job queued. JobId={job_id}\n")
    s.out.set("run", {"jobid": str(job_id)})
    return True


async def _run_summary(s: CommandSession, job: JobControl) -> None:
    """Verify and other jobs: the parameters; their run prompt is not emulated."""
    lines = run_confirm.summary_lines(job)
    lines.append('Add "yes" to the command to run the job (this emulator does not prompt '
                 "for this job type).\n")  # fmt: skip
    for line in lines:
        await s.out.text(line)


# ---------------------------------------------------------------------- restore


def _restore_job_res(s: CommandSession, name: str | None) -> Any | None:
    if name is not None:
        res = s.rt.cfg.get("job", name)
        return res if res is not None and job_type_of(res) == "R" else None
    for res in s.rt.cfg.all("job"):
        if job_type_of(res) == "R" and s.allowed("job", res.name):
            return res
    return None


@command(
    "restore",
    help="restore files (the menu, the file tree and the run prompt as Bareos)",
    usage=RESTORE_USAGE,
    api='{"run": {"jobid"}}',
)
async def restore(s: CommandSession, args: Args) -> bool:
    """``RestoreCmd``: what the command line leaves open is asked (restore_dialog.py)."""
    rt = s.rt
    out = s.out
    for key, _ in args.words[1:]:
        if key.lower() not in _RESTORE_KEYS:
            await out.error(f"Unknown keyword: {key}\n")
            return False
    client_name = args.value("client", "backupclient")
    client = None
    if client_name is not None:
        client = rt.client(client_name)
        if client is None or not s.allowed("client", client_name):
            await out.error(f'Client "{client_name}" not found.\n')
            return False
    if args.value("restoreclient") is not None:
        rc = rt.client(args.value("restoreclient") or "")
        if rc is None or not s.allowed("client", rc.name):
            await out.error(f'Client "{args.value("restoreclient")}" not found.\n')
            return False
    try:
        replace = replace_code(args.value("replace") or None) if args.value("replace") else None
    except ValueError:
        await out.error(f"Invalid replace option: {args.value('replace')} "
                        f"(one of {', '.join(REPLACE_CODES)})\n")  # fmt: skip
        return False
    regexwhere = args.value("regexwhere")
    prefixes = [args.value(k) for k in ("strip_prefix", "add_prefix", "add_suffix")]
    if any(p is not None for p in prefixes):
        regexwhere = build_where(*prefixes)  # they replace regexwhere=, as in Bareos
    if regexwhere is not None and not s.allowed("where", regexwhere):
        await out.error('"RegexWhere" specification not authorized.\n')
        return False
    where = args.value("where")
    if where is not None and not s.allowed("where", where):
        await out.error('"where" specification not authorized.\n')
        return False
    job_res = _restore_job_res(s, args.value("restorejob"))
    await _using_catalog(s, args, private=True)
    cat = rt.catalog
    # file=?b2<n>: a restore list made by .bvfs_restore (bareos-webui's restore browser).
    lists = [v[1:] for k, v in args.words[1:] if k.lower() == "file" and v and v[0] == "?"]
    listed = restore_list_selection(cat, lists) if lists else None

    async def need_client() -> Any | None:
        nonlocal client
        if client is None:
            name = await dialog.select_client(s)
            client = rt.client(name) if name else None
            if name and client is None:
                await out.error(f'Client "{name}" not found.\n')
        return client

    selection: RestoreSelection
    if listed is not None:
        if await need_client() is None:
            return False
        for name in lists:
            if not Bvfs(cat).restore_list(name):
                await out.error(f"No table found: {name}\n")  # InsertTableIntoFindexList
        selection = listed
        job_ids = list(listed.job_ids)
    else:
        picked, client = await pick(s, args, client)
        if picked is None:
            return False
        job_ids = picked.job_ids
        if picked.by_name:
            selection = RestoreSelection(tuple(picked.files), tuple(job_ids))
        else:
            checked = await _checked_job_ids(s, job_ids)
            if checked is None:
                return False
            job_ids = checked
            ids_text = ",".join(map(str, job_ids))
            await out.info(f"\nBuilding directory tree for JobId(s) {ids_text} ...  ")
            tree = RestoreTree.build((f for j in job_ids for f in cat.files(j)),
                                     mark_all=args.has("all"))  # fmt: skip
            if args.has("all"):
                await out.info(f"\n{tree.file_count:,} files inserted into the tree and marked "
                               "for extraction.\n")  # fmt: skip
            else:
                await out.info(f"\n{tree.rows:,} files inserted into the tree.\n")
            if not args.has("done") and not await dialog.select_in_tree(s, tree):
                if not s.quit:
                    await out.text("Restore not done.\n")
                return False
            marked = sorted(tree.marked(), key=lambda f: (f.job_id, f.file_index))
            selection = RestoreSelection(tuple(marked), tuple(sorted({f.job_id for f in marked})))
    if not selection.files:
        await out.warning("No files selected to be restored.\n")
        return False
    devices = {st.name: (storage_devices(st) or [""])[0] for st in rt.storages()}
    try:
        bsr = build_bootstrap(cat, selection, device_of=devices)
    except Exception as exc:
        await out.error(f"Unable to construct a valid BootStrapRecord. Cannot continue. "
                        f"({exc})\n")  # fmt: skip
        return False
    first = bsr.entries[0]
    store = rt.storage(first.storage or "") if first.storage else None
    backup = cat.job(selection.job_ids[-1])
    if store is None and backup is not None and backup.storage:
        store = rt.storage(backup.storage)
    given = args.value("storage")
    if given is not None and s.allowed("storage", given):
        # FindStorageResource: a storage= that exists wins (an unknown one is ignored).
        override = rt.storage(given)
        if override is not None and (store is None or override.name != store.name):
            await out.info(f'Warning default storage overridden by "{override.name}" on '
                           "command line.\n")  # fmt: skip
            store = override
    if store is None:
        await out.error("The storage of the selected backups is not configured.\n")
        return False
    bsr_path = _write_bootstrap(s, bsr.to_text())
    if bsr_path is not None:
        await out.text(f"Bootstrap records written to {bsr_path}\n")
    await out.text("\n")
    await out.text(
        "The job will require the following\n"
        "   Volume(s)                 Storage(s)                SD Device(s)\n"
        + "=" * 75 + "\n"
    )  # fmt: skip
    await out.text("   \n")
    seen: set[str] = set()
    for entry in bsr.entries:
        if entry.volume in seen:
            continue
        seen.add(entry.volume)
        await out.text(
            f"    {entry.volume:<25} {entry.storage or '':<25} {entry.device or '':<25}\n"
        )
    await out.text('\nVolumes marked with "*" are online.\n')
    await out.text("\n")
    n = selection.count
    await out.info(f"\n{'1 file' if n == 1 else f'{n:,} files'} selected to be restored.\n\n")
    if client is None:
        # JobIds given without client=: the client of the (newest) backup, as Bareos asks.
        if backup is not None and backup.client and rt.client(backup.client) is not None:
            client = rt.client(backup.client)
        elif await need_client() is None:
            return False
    if client is None:
        return False
    restore_client = client
    if args.value("restoreclient") is not None:
        restore_client = rt.client(args.value("restoreclient") or "")
    # The job: the Restore Job resource (or a built-in "RestoreFiles" one).
    if job_res is not None:
        job = build_job(rt, job_res)
    else:
        job = JobControl(rt=rt, name="RestoreFiles", job_type="R", level=" ")
    job.client_res = restore_client
    job.storage_res = store
    if job.pool_res is None and backup is not None and backup.pool:
        job.pool_res = rt.cfg.get("pool", backup.pool)
    if job.pool_res is None:
        await out.error("No Pool for the restore (give the Restore Job a Pool).\n")
        return False
    if job.fileset_res is None and backup is not None and backup.fileset:
        job.fileset_res = rt.cfg.get("fileset", backup.fileset)
    job_where = job_res.get("Where") if job_res is not None else None
    if regexwhere is None and where is None and job_res is not None:
        regexwhere = job_res.get("RegexWhere")  # the Job's RegexWhere, unless where= says else
    replace = replace or replace_code(job_res.get("Replace") if job_res is not None else None)
    job.params.update(
        bootstrap=bsr,
        files_expected=selection.count,
        where=where if where is not None else (job_where or ""),
        regexwhere=regexwhere or None,
        replace=replace,
        jobids=job_ids,
    )
    # The run part of restore (Bareos DoRunCmd) opens the shared connection.
    await _using_catalog(s, args)
    if not (args.has("yes") or s.batch):
        cats = rt.cfg.all("catalog")
        run_state = RestoreRun(
            job=job, backup_client=client.name, bsr_path=bsr_path,
            catalog=cats[0].name if cats else "MyCatalog",
            priority=int(job.job_res.get("Priority") or 10) if job.job_res else 10,
            plugin_options=args.value("pluginoptions"),
        )  # fmt: skip
        confirmed = await restore_run.confirm(s, run_state)
        if not confirmed:
            if confirmed is False and not s.quit:
                await out.text("Job not run.\n")
            return False
    job_id = rt.jobs.submit(job, kind_of("R"))
    await out.text(f"Job queued. JobId={job_id}\n")
    out.set("run", {"jobid": str(job_id)})
    return True


async def _checked_job_ids(s: CommandSession, job_ids: list[int]) -> list[int] | None:
    """The end of ``UserSelectJobidsOrFiles``: every JobId a backup the console may see."""
    out = s.out
    kept: list[int] = []
    for job_id in job_ids:
        if kept and kept[-1] == job_id:
            continue  # Bareos skips a JobId repeated next to itself
        rec = s.rt.catalog.job(job_id)
        if rec is None or rec.type not in "BC":
            await out.error(f"Unable to get Job record for JobId={job_id}: ERR=not a backup in "
                            "the catalog\n")  # fmt: skip
            return None
        if not s.allowed("job", rec.name):
            await out.error(f'Access to JobId={job_id} (Job "{rec.name}") not authorized. '
                            "Not selected.\n")  # fmt: skip
            continue
        kept.append(job_id)
    if not kept:
        await out.warning("No Jobs selected.\n")
        return None
    ids_text = ",".join(map(str, kept))
    await out.info(f"You have selected the following JobId{'s' if len(kept) > 1 else ''}: "
                   f"{ids_text}\n")  # fmt: skip
    return kept


def _write_bootstrap(s: CommandSession, text: str) -> str | None:
    workdir = Path(s.rt.settings.working_directory)
    if not workdir.is_dir():
        return None
    n = getattr(s.rt, "_bsr_counter", 0) + 1
    s.rt._bsr_counter = n  # type: ignore[attr-defined]
    path = workdir / f"{s.rt.settings.name}.restore.{n}.bsr"
    try:
        path.write_text(text)
    except OSError:
        return None
    return str(path)


# ---------------------------------------------------------------------- wait


@command(
    "wait",
    help="wait until no job (or the given job) runs",
    usage=WAIT_USAGE,
    api='{"Job": {"JobId", "JobStatusLong", ...}} with jobid=/job=, else {}',
)
async def wait(s: CommandSession, args: Args) -> bool:
    rt = s.rt
    if len(args) == 1:
        await rt.jobs.wait_all()
        return True
    job_id: int | None = None
    value = args.value("jobid")
    if value is not None:
        try:
            job_id = int(value)
        except ValueError:
            job_id = None
    name = args.value("job", "jobname", "ujobid")
    if name is not None:
        for job in rt.jobs.running.values():
            if job.job == name or job.job.startswith(name):
                job_id = job.job_id
                break
    if job_id is None or (rt.jobs.get(job_id) is None and rt.catalog.job(job_id) is None):
        await s.out.error("ERR: Job was not found\n")
        return True
    await rt.jobs.wait_job(job_id)
    rec = rt.catalog.job(job_id)
    status = rec.status if rec is not None else "?"
    exit_status = 0 if status in ("T", "W") else 1 if status == "e" else 2 if status in "fEA" else 3
    await s.out.text(f"JobId={job_id}\n")
    await s.out.text(f"JobStatus={job_status_text(status)} ({status})\n")
    s.out.set("Job", {"JobId": job_id, "JobStatusLong": job_status_text(status),
                      "JobStatus": status, "ExitStatus": exit_status})  # fmt: skip
    return True


# ---------------------------------------------------------------------- cancel


@command(
    "cancel", help="cancel a running job", usage=CANCEL_USAGE, api='{"cancel": {"jobid", "job"}}'
)
async def cancel(s: CommandSession, args: Args) -> bool:
    # Bareos CancelJobs: select_jobs, then CancelJob for each selected job.
    selected = await select_jobs(s, args, "cancel")
    for job in selected or ():
        await _cancel_one(s, job)
    return True


async def _cancel_one(s: CommandSession, job: JobControl) -> None:
    rt = s.rt
    log.info("job.cancel_requested", jobid=job.job_id, console=s.name)
    job.canceled = True
    if job.start_time is not None:
        # CancelJob of a running job: the File daemon's answer, then the Storage
        # daemons' (each on a new connection), relayed as they come; nothing else.
        replies: list[str] = []
        if job.client_res is not None:
            replies += await cancel_on_client(rt, job.client_res, job.job)
        for store in (st for st in (job.storage_res, job.read_storage_res) if st is not None):
            replies += await cancel_on_storage(rt, store, job.job)
        for line in replies:
            await s.out.text(line if line.endswith("\n") else line + "\n")
        rt.jobs.cancel(job.job_id)
    else:
        rt.jobs.cancel(job.job_id)
        await s.out.info(f"JobId {job.job_id}, Job {job.job} marked to be canceled.\n")
    s.out.set("cancel", {"jobid": job.job_id, "job": job.job})
