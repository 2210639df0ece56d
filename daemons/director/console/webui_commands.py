"""Resource dot commands and ``use`` as bareos-webui sends them (``dird/ua_dotcmds.cc``).

``.jobs [type=<c>] [enabled|disabled]``, ``.jobdefs``, ``.filesets``,
``.pools [type=<pool-type>]``, ``.schedule [enabled|disabled]`` list resource
names (``{"name"}`` objects, with ``"enabled"`` for jobs and schedules) the
console's ACLs let it see; ``.defaults job=<name>`` prints a Job's resolved
settings (``key=value`` lines, one packet each, as Bareos sends them for
BAT); ``use catalog=<name>`` selects the catalog (the emulator has one
SQLite catalog: every Catalog resource names it).  The webui sends
``use catalog=`` before every command when its ``directors.ini`` names one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from daemons.director.console.args import Args
from daemons.director.console.registry import command
from daemons.director.jobs.setup import job_type_of

if TYPE_CHECKING:
    from daemons.director.console.interfaces import CommandSession

# Bareos's job type characters (job_type_to_str's inverse, the JobType of a resource).
_TYPE_WORDS = {"B": "Backup", "R": "Restore", "V": "Verify", "A": "Admin", "c": "Copy",
               "g": "Migrate", "C": "Copy", "M": "Migrate", "D": "Admin", "S": "Scan",
               "U": "Console", "I": "Archive", "O": "Consolidate"}  # fmt: skip
_REPLACE_WORDS = {"always": "Always", "ifnewer": "IfNewer", "ifolder": "IfOlder",
                  "never": "Never"}  # fmt: skip


def _enabled(res: Any) -> bool:
    spec = getattr(res, "spec", None)
    if spec is not None and spec.item("Enabled") is None:
        return True
    value = res.get("Enabled")
    return True if value is None else bool(value)


def _flags(args: Args) -> tuple[bool, bool]:
    return args.find("enabled") > 0, args.find("disabled") > 0


async def _names(s: CommandSession, group: str, rows: list[tuple[str, bool | None]]) -> None:
    items: list[dict[str, Any]] = []
    for name, enabled in rows:
        await s.out.text(f"{name}\n")
        items.append({"name": name} if enabled is None else {"name": name, "enabled": enabled})
    s.out.set(group, items)


@command(".jobs", help="list the Job names", usage="[type=<jobtype>] [enabled | disabled]",
         api='{"jobs": [{"name", "enabled"}, ...]}')  # fmt: skip
async def dot_jobs(s: CommandSession, args: Args) -> bool:
    want = (args.value("type") or "")[:1]
    enabled_only, disabled_only = _flags(args)
    rows: list[tuple[str, bool | None]] = []
    for res in s.rt.cfg.all("job"):
        if want and job_type_of(res) != want:
            continue
        if not s.allowed("job", res.name):
            continue
        on = s.rt.is_enabled("job", res)  # "disable job=" until reload
        if (enabled_only and not on) or (disabled_only and on):
            continue
        rows.append((res.name, on))
    await _names(s, "jobs", rows)
    return True


@command(".jobdefs", help="list the JobDefs names", usage="", api='{"jobdefs": [{"name"}, ...]}')
async def dot_jobdefs(s: CommandSession, args: Args) -> bool:
    rows: list[tuple[str, bool | None]] = [
        (r.name, None) for r in s.rt.cfg.all("jobdefs") if s.allowed("job", r.name)
    ]
    await _names(s, "jobdefs", rows)
    return True


@command(".filesets", help="list the FileSet names", usage="",
         api='{"filesets": [{"name"}, ...]}')  # fmt: skip
async def dot_filesets(s: CommandSession, args: Args) -> bool:
    rows: list[tuple[str, bool | None]] = [
        (r.name, None) for r in s.rt.cfg.all("fileset") if s.allowed("fileset", r.name)
    ]
    await _names(s, "filesets", rows)
    return True


@command(".pools", help="list the Pool names", usage="[type=<pooltype>]",
         api='{"pools": [{"name"}, ...]}')  # fmt: skip
async def dot_pools(s: CommandSession, args: Args) -> bool:
    # Bareos compares the type= prefix case-insensitively ("back" matches "Backup").
    want = args.value("type")
    rows: list[tuple[str, bool | None]] = []
    for res in s.rt.cfg.all("pool"):
        if not s.allowed("pool", res.name):
            continue
        pool_type = str(res.get("PoolType") or "Backup")
        if want is not None and not pool_type.lower().startswith(want.lower()):
            continue
        rows.append((res.name, None))
    await _names(s, "pools", rows)
    return True


@command(".schedule", help="list the Schedule names", usage="[enabled | disabled]",
         api='{"schedules": [{"name", "enabled"}, ...]}')  # fmt: skip
async def dot_schedule(s: CommandSession, args: Args) -> bool:
    enabled_only, disabled_only = _flags(args)
    rows: list[tuple[str, bool | None]] = []
    for res in s.rt.cfg.all("schedule"):
        if not s.allowed("schedule", res.name):
            continue
        on = s.rt.is_enabled("schedule", res)  # "disable schedule=" until reload
        if (enabled_only and not on) or (disabled_only and on):
            continue
        rows.append((res.name, on))
    await _names(s, "schedules", rows)
    return True


def _name_of(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, list | tuple):
        return _name_of(value[0]) if value else None
    return str(getattr(value, "name", value))


def job_defaults(s: CommandSession, res: Any) -> list[tuple[str, Any]]:
    """The ``.defaults job=`` pairs in Bareos's order (Restore jobs add ``replace``)."""
    cfg = s.rt.cfg
    client_name = _name_of(res.get("Client"))
    client = cfg.get("client", client_name) if client_name else None
    catalog = _name_of(client.get("Catalog")) if client is not None else None
    if client is not None and catalog is None:
        cats = cfg.all("catalog")
        catalog = cats[0].name if cats else None
    jtype = job_type_of(res)
    pairs: list[tuple[str, Any]] = [
        ("job", res.name),
        ("pool", _name_of(res.get("Pool")) or ""),
        ("messages", _name_of(res.get("Messages")) or ""),
        ("client", client_name or "*None*"),
        ("storage", _name_of(res.get("Storage")) or "*None*"),
        ("where", str(res.get("Where") or "")),
    ]
    if jtype == "R":
        word = str(res.get("Replace") or "Always")
        pairs.append(("replace", _REPLACE_WORDS.get(word.lower(), word)))
    pairs += [
        ("level", str(res.get("Level") or ("Full" if jtype == "B" else " "))),
        ("type", _TYPE_WORDS.get(jtype, "Unknown")),
        ("fileset", _name_of(res.get("FileSet")) or "*None*"),
        ("enabled", 1 if _enabled(res) else 0),
        ("catalog", catalog or "*None*"),
    ]
    return pairs


@command(".defaults", help="print a Job's defaults", usage="job=<job-name>",
         api='{"defaults": {"job", "pool", "messages", "client", "storage", "where", '
             '"replace"?, "level", "type", "fileset", "enabled", "catalog"}}')  # fmt: skip
async def dot_defaults(s: CommandSession, args: Args) -> bool:
    name = args.value("job")
    if name is None:
        await s.out.text(".defaults command requires a parameter.\n")
        return False
    res = s.rt.cfg.get("job", name)
    obj: dict[str, Any] = {}
    if res is not None and s.allowed("job", name):
        for key, value in job_defaults(s, res):
            await s.out.text(f"{key}={value}\n")
            obj[key] = value
    s.out.set("defaults", obj)
    return True


@command("use", help="Use specific catalog", usage="catalog=<catalog>", api="{}")
async def use(s: CommandSession, args: Args) -> bool:
    cats = [c for c in s.rt.cfg.all("catalog") if s.allowed("catalog", c.name)]
    name = args.value("catalog")
    chosen = next((c for c in cats if c.name == name), None) if name else None
    if chosen is None and name is None and len(cats) == 1:
        chosen = cats[0]
    if chosen is None:
        await s.out.error(f'Catalog "{name or ""}" not found.\n')
        return True
    # use_cmd: CloseDb (both connections), then OpenDb says "Using Catalog" again.
    s.private_catalog_opened = False
    s.catalog_chosen = True
    if not s.out.api:
        await s.out.text(f'Using Catalog "{chosen.name}"\n')
    s.catalog_opened = True
    await s.out.text(f"Using Catalog name={chosen.name} DB={chosen.get('DbName') or ''}\n")
    return True


_LEVEL_WORDS = {"F": "Full", "I": "Incremental", "D": "Differential", "B": "Base",
                "V": "VirtualFull"}  # fmt: skip


def rerun_line(job: Any) -> str:
    """Bareos's reRunJob command line for a catalog job (without ``when=``, see below)."""
    line = f'run job="{job.name}"'
    if job.level and job.level.strip():
        line += f' level="{_LEVEL_WORDS.get(job.level, job.level)}"'
    if job.client:
        line += f' client="{job.client}"'
    if job.pool:
        line += f' pool="{job.pool}"'
    if job.fileset:
        line += f' fileset="{job.fileset}"'
    return line


@command("rerun", help="Rerun a job",
         usage="jobid=<jobid> | since_jobid=<jobid> [until_jobid=<jobid>] | days=<nr_days> | "
               "hours=<nr_hours> [yes]",
         api='{"run": {"jobid"}}')  # fmt: skip
async def rerun(s: CommandSession, args: Args) -> bool:
    """``rerun``: each selected Backup/Copy job again with its catalog settings.

    The real Director appends ``when="<now>"``; the emulator's ``run`` starts at once,
    which is the same thing, so the line it runs has no ``when=``.
    """
    from daemons.director.console.args import parse_args
    from daemons.director.console.job_commands import run

    def number(key: str) -> int:
        v = args.value(key)
        return int(v) if v and v.isdigit() and len(v) <= 18 else 0

    since, until, days, hours = (number(k) for k in ("since_jobid", "until_jobid", "days",
                                                      "hours"))  # fmt: skip
    jobid_text = args.value("jobid")
    if jobid_text is None and not (days or hours or since):
        await s.out.text("Please specify jobid, since_jobid, hours or days\n")
        return False
    ids: list[int] = []
    if jobid_text is not None:
        for part in jobid_text.split(","):
            if not part.isdigit() or len(part) > 18:
                await s.out.text(f'Specified jobid "{part}" is not valid\n')
                return False
            ids.append(int(part))
        if since:
            await s.out.text("Please specify either jobid or since_jobid (and optionally "
                             "until_jobid)\n")  # fmt: skip
            return False
        if days or hours:
            await s.out.text("Please specify either jobid or a timeframe\n")
            return False
    else:
        # The failed jobs (JobStatus 'f') of the range or time frame.
        cat = s.rt.catalog
        failed = [j for j in cat.jobs() if j.status == "f"]
        if since:
            ids = [
                j.job_id for j in failed if j.job_id >= since and (not until or j.job_id <= until)
            ]
        else:
            import time

            start = time.time() - days * 86400 - hours * 3600
            ids = [j.job_id for j in failed if (j.sched_time or 0) > start]
        if not ids:
            await s.out.text("No jobids with the specified options were found.\n")
            return True
        await s.out.text("The following ids were selected for rerun:\n")
        await s.out.text(",".join(map(str, ids)) + "\n")
        if not args.has("yes"):
            return True
    ok = True
    for job_id in ids:
        await s.out.text(f"rerunning jobid {job_id}\n")
        job = s.rt.catalog.job(job_id)
        if job is None:
            await s.out.warning("Error getting Job record for Job rerun: ERR=no such job\n")
            return False
        if job.type not in ("B", "c", "C", "g", "M"):
            continue  # as Bareos: only Backup, Copy and Migrate jobs are rerun
        line = rerun_line(job) + (" yes" if args.has("yes") else "")
        ok = await run(s, parse_args(line)) and ok
    return ok
