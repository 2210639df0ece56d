"""``list`` and ``llist``: the catalog as the real Director lists it (ua_output.cc DoListCmd).

The rows come from :mod:`daemons.director.catalog.listings` (Bareos's columns, text values).
Under ``.api 2`` they are the JSON result as Bareos shapes it: ``{"jobs": [...]}``,
``llist volumes`` keyed by pool (``{"volumes": {"Full": [...]}}``), ``llist volume=X`` one
object (``{"volume": {...}}``), ``count`` gives ``[{"count": "N"}]``; in text mode a table
(``list``) or one ``key: value`` block per row (``llist``), numbers with thousands commas
except the jobid, as Bareos prints them.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from bareosnet.config.show import show_resource
from daemons.common.commands import with_commas
from daemons.director.catalog import listings as L
from daemons.director.console.args import Args
from daemons.director.console.catalog_notice import say_catalog_opened
from daemons.director.console.registry import command

if TYPE_CHECKING:
    from daemons.director.console.interfaces import CommandSession

LIST_USAGE = (
    "jobs [jobid=<jobid>] [ujobid=<unique-job-name>] [job=<job-name>] [client=<client-name>] "
    "[jobstatus=<status>] [joblevel=<level>] [jobtype=<type>] [volume=<volume>] [pool=<pool>] "
    "[days=<n>] [hours=<n>] [last] [count] [reverse] [limit=<n> [offset=<n>]] | jobtotals "
    "| files jobid=<jobid> | filesets | jobmedia [jobid=<jobid>] | joblog jobid=<jobid> [count] "
    "| clients | client=<client-name> | pools | pool=<pool-name> | storages "
    "| volumes [pool=<pool-name>] [count] | volume=<volume-name> | backups client=<client-name>"
)
_API = (
    '{"jobs": [...]} | {"jobs": [...], "jobtotals": {...}} | {"filenames": [...]} '
    '| {"clients": [...]} | {"pools": [...]} | {"volumes": {<pool>: [...]}} | {"volume": {...}} '
    '| {"joblog": [...]} | {"jobmedia": [...]} | {"filesets": [...]} | {"storages": [...]}'
)
_NOT_COMMA = {"jobid"}


def _ids(s: CommandSession) -> L.CatalogIds:
    cfg = s.rt.cfg
    return L.CatalogIds.numbered(
        (r.name for r in cfg.all("client")),
        (r.name for r in cfg.all("pool")),
        (r.name for r in cfg.all("storage")),
        (r.name for r in cfg.all("fileset")),
    )


def _int(text: str | None) -> int | None:
    if text is None:
        return None
    try:
        return int(text.strip())
    except ValueError:
        return None


def _numeric(key: str, value: str) -> bool:
    return key not in _NOT_COMMA and value.isdigit()


def _range(args: Args) -> tuple[int | None, int | None]:
    """Bareos SetQueryRange: ``limit=``, and ``offset=`` only with a limit."""
    limit = _int(args.value("limit"))
    offset = _int(args.value("offset")) if limit is not None else None
    return limit, offset


def _page(rows: list[L.Row], args: Args) -> list[L.Row]:
    """The LIMIT/OFFSET Bareos appends to a listing's SQL."""
    limit, offset = _range(args)
    if limit is None:
        return rows
    start = offset or 0
    return rows[start:start + limit]


def _restricted(s: CommandSession, kind: str) -> bool:
    """Bareos AclHasRestrictions: a named console whose list is not just ``*all*``."""
    acl = s.acl
    if acl is None:
        return False
    entries = [e.strip().lower() for e in acl.lists.get(kind, ())]
    return "*all*" not in entries or any(e.startswith("!") for e in entries)


def _meta(s: CommandSession, args: Args, filtered: int = 0, *, filters: bool = False) -> None:
    """``meta.range`` of a ``.api 2`` listing with filters (output_formatter.cc
    JsonFinalizeResult): ``limit``/``offset`` when given, ``filtered`` = rows the filters
    (ACL, current, enabled) suppressed.  bareos-webui pages until ``filtered`` is 0."""
    limit, offset = _range(args)
    if limit is None and not filters:
        return
    rng: dict[str, int] = {}
    if limit is not None:
        rng["limit"] = limit
    if offset is not None:
        rng["offset"] = offset
    rng["filtered"] = filtered
    s.out.set("meta", {"range": rng})


async def _print(s: CommandSession, rows: list[L.Row], *, long: bool) -> None:
    out = s.out
    if not rows:
        await out.text("No results to list.\n")
        return
    if long:
        width = max(len(k) for k in rows[0])
        for row in rows:
            for k, v in row.items():
                shown = with_commas(int(v)) if _numeric(k, v) else v
                await out.text(f" {k:>{width}}: {shown}\n")
            await out.text("\n")
        return
    cols = list(rows[0])

    def cell(k: str, v: str) -> str:
        return with_commas(int(v)) if _numeric(k, v) else v

    widths = [max([len(c)] + [len(cell(c, r[c])) for r in rows]) for c in cols]
    rule = "+" + "+".join("-" * (w + 2) for w in widths) + "+\n"
    await out.text(rule)
    await out.text("|" + "|".join(f" {c:<{w}} " for c, w in zip(cols, widths, strict=True)) + "|\n")
    await out.text(rule)
    for r in rows:
        cells = []
        for c, w in zip(cols, widths, strict=True):
            v = cell(c, r[c])
            cells.append(f" {v:>{w}} " if r[c].isdigit() else f" {v:<{w}} ")
        await out.text("|" + "|".join(cells) + "|\n")
    await out.text(rule)


# Other listings (status subscriptions) print their rows as list/llist do.
print_rows = _print


async def _rows(s: CommandSession, key: str, rows: list[L.Row], *, long: bool) -> bool:
    s.out.set(key, rows)
    if not s.out.json:
        await _print(s, rows, long=long)
    return True


def _job_selection(s: CommandSession, args: Args) -> L.JobSelection | str:
    """The filters of ``list jobs``, or the error text."""
    statuses = tuple(x.strip() for x in (args.value("jobstatus") or "").split(",") if x.strip())
    levels = tuple(x.strip() for x in (args.value("joblevel", "level") or "").split(",")
                   if x.strip())  # fmt: skip
    types = tuple(x.strip() for x in (args.value("jobtype") or "").split(",") if x.strip())
    if any(len(x) != 1 for x in statuses):
        return "invalid jobstatus parameter\n"
    if any(len(x) != 1 for x in levels):
        return "invalid joblevel parameter\n"
    since = None
    now = time.time()
    days, hours = _int(args.value("days")), _int(args.value("hours"))
    if days is not None:
        since = now - 86400 * days
    if hours is not None:
        since = now - 3600 * hours
    limit = _int(args.value("limit"))
    # As Bareos: offset only counts with a limit.
    offset = (_int(args.value("offset")) or 0) if limit is not None else 0
    return L.JobSelection(
        job_id=_int(args.value("jobid")),
        job=args.value("ujobid"),
        name=args.value("jobname", "job"),
        client=args.value("client"),
        statuses=statuses,
        levels=levels,
        types=types,
        volume=args.value("volume"),
        pool=args.value("pool"),
        since=since,
        last=args.has("last"),
        descending=args.has("reverse"),
        limit=limit,
        offset=offset,
    )


def _job_from_cmdline(s: CommandSession, args: Args) -> Any | None:
    """Bareos GetJobidFromCmdline: the job of ``jobid=``, ``ujobid=`` or ``job=`` the console
    may see (None: not given, unknown or hidden by the ACL)."""
    cat = s.rt.catalog
    rec = None
    jobid = _int(args.value("jobid"))
    if jobid is not None:
        rec = cat.job(jobid)
    elif (unique := args.value("ujobid", "job")) is not None:
        rec = cat.job_by_name(unique)
    if rec is None or not s.allowed("job", rec.name):
        return None
    if rec.client is not None and not s.allowed("client", rec.client):
        return None
    return rec


async def _list_jobs(s: CommandSession, args: Args, *, long: bool) -> bool:
    cat = s.rt.catalog
    sel = _job_selection(s, args)
    if isinstance(sel, str):
        await s.out.error(sel)
        return False
    if sel.job_id is not None or sel.job is not None:
        rec = cat.job(sel.job_id) if sel.job_id is not None else cat.job_by_name(sel.job or "")
        if rec is None or not s.allowed("job", rec.name):
            # An unknown JobId is not an error (ListJobs): an empty object.
            s.out.set("jobs", {})
            if not s.out.json:
                await s.out.text("No results to list.\n")
            return True
    selected = L.select_jobs(cat, sel)
    recs = [r for r in selected if s.allowed("job", r.name)
            and (r.client is None or s.allowed("client", r.client))]  # fmt: skip
    if args.has("count"):
        return await _rows(s, "jobs", L.count_row(len(recs)), long=False)
    ids = _ids(s)
    if long:
        rows = [L.long_job_row(r, ids, L.fileset_id_of(cat, r)) for r in recs]
    else:
        rows = [L.job_row(r) for r in recs]
    ok = await _rows(s, "jobs", rows, long=long)
    # ListJobs filters rows after the query: by ACL (a restricted console) and by the
    # configuration (current, enabled, disabled); those filters make a meta.range too.
    filters = (_restricted(s, "job") or _restricted(s, "client")
               or any(args.has(k) for k in ("current", "enabled", "disabled")))  # fmt: skip
    _meta(s, args, len(selected) - len(recs), filters=filters)
    return ok


async def _list_volumes(s: CommandSession, args: Args, *, long: bool) -> bool:
    cat = s.rt.catalog
    ids = _ids(s)
    count = args.has("count")

    def shaped(found: list[tuple[Any, Any]]) -> list[L.Row]:
        if count:
            return L.count_row(len(found))
        make = L.long_media_row if long else L.media_row
        return [make(m, ids, row) for m, row in found]

    jobid = _int(args.value("jobid"))
    if jobid is not None:
        names = cat.volumes_of(jobid)
        return await _rows(s, "volumes", [{"volumename": n} for n in names], long=long)
    volume = args.value("volume") if args.words[1][0].lower() == "volume" else None
    if volume:
        rows = shaped(L.media_rows(cat, volume=volume))
        s.out.set("volume", (rows[0] if rows else {}))
        if not s.out.json:
            await _print(s, rows, long=long)
        return True
    pool = args.value("pool")
    if pool is not None:
        if s.rt.cfg.get("pool", pool) is None:
            await s.out.error(f"Pool {pool} doesn't exist.\n")
            return True
        rows = shaped(L.media_rows(cat, pool=pool))
        return await _rows(s, "volumes", rows if count else _page(rows, args), long=long)
    if args.has("all"):
        rows = shaped(L.media_rows(cat))
        return await _rows(s, "volumes", rows if count else _page(rows, args), long=long)
    # Every pool, keyed by its name (ObjectStart("volumes") + ArrayStart(<pool>)).
    by_pool: dict[str, list[L.Row]] = {}
    for res in s.rt.cfg.all("pool"):
        if not s.allowed("pool", res.name):
            continue
        rows = shaped(L.media_rows(cat, pool=res.name))
        rows = rows if count else _page(rows, args)
        by_pool[res.name.lower()] = rows  # the output formatter lower-cases array names
        if not s.out.json:
            await s.out.text(f"Pool: {res.name}\n")
            await _print(s, rows, long=long)
    s.out.set("volumes", by_pool)
    return True


# The prune report Bareos 26 adds to a single pool's listing; this Director never prunes, so
# there is nothing to report (the report's empty form).
_NO_PRUNE_JSON: dict[str, Any] = {"reason": "", "status_breakdown": [], "volumes": [], "jobs": []}
_NO_PRUNE_TEXT = ("\nPrune details:\n  Reason: \n  Prunable volumes: 0\n  Prunable jobs: 0\n"
                  "  Prunable bytes: 0 \n  Affected statuses:\n    none\n  Prunable volumes:\n"
                  "    none\n  Prunable jobs:\n    none\n")  # fmt: skip


async def _list_pools(s: CommandSession, name: str | None, *, long: bool) -> bool:
    """``list``/``llist pool(s)`` as ua_output.cc: llist prints each pool's fields as bare
    ``key: value`` lines (EmitPoolFields); ``list pool=X`` adds the prune report, under
    ``.api 2`` with the long fields."""
    rt, cat, ids = s.rt, s.rt.catalog, _ids(s)
    names = [name] if name else [p.name for p in rt.cfg.all("pool")]
    found = [n for n in names if rt.cfg.get("pool", n) is not None and s.allowed("pool", n)]
    single = name is not None and not long
    rows = [L.pool_row(n, ids, rt.cfg.get("pool", n), cat, long=long or (single and s.out.json))
            for n in found]  # fmt: skip
    shown: list[dict[str, Any]] = [dict(row) for row in rows]
    if single and s.out.json:
        shown = [{**row, **_NO_PRUNE_JSON} for row in shown]
    s.out.set("pools", shown)
    if s.out.json:
        return True
    if long:
        for row in rows:
            for k, v in row.items():
                await s.out.text(f"{k}: {v}\n")
        return True
    await _print(s, rows, long=False)
    if single and rows:
        await s.out.text(_NO_PRUNE_TEXT)
    return True


def _fileset_texts(s: CommandSession) -> dict[str, str]:
    """FileSetText: Bareos stores the FileSet as ``show`` prints it with each record."""
    return {fs.name: show_resource(fs) for fs in s.rt.cfg.all("fileset")}


async def _list(s: CommandSession, args: Args, *, long: bool) -> bool:
    ok = await _list_what(s, args, long=long)
    if ok and len(args) >= 2 and args.words[1][0].lower() not in ("jobs", "job", "jobname",
                                                                   "jobid", "ujobid"):  # fmt: skip
        # DoListCmd's SetQueryRange (ListJobs sets its own); current/enabled/disabled are
        # resource filters, which give the range its "filtered" count.
        _meta(s, args, filters=any(args.has(k) for k in ("current", "enabled", "disabled")))
    return ok


async def _list_log(s: CommandSession, args: Args, *, long: bool) -> bool:
    """``list log [client=] [reverse] [limit= [offset=]]``: the newest lines of every job but
    copies (ListLogRecords), five without a limit; ``reverse``: newest first."""
    client = args.value("client")
    if client is not None and (s.rt.client(client) is None or not s.allowed("client", client)):
        await s.out.error(f"Client {client} not found in catalog.\n")
        return False
    limit, offset = _range(args)
    rows = L.log_rows(s.rt.catalog, client=client, limit=5 if limit is None else limit,
                      offset=offset or 0, reverse=args.has("reverse"))  # fmt: skip
    s.out.set("log", rows)
    if not s.out.json:
        if long:
            await _print(s, rows, long=True)
        else:
            for row in rows:  # raw text, as Bareos prints the log
                await s.out.text(row["logtext"])
    return True


async def _list_what(s: CommandSession, args: Args, *, long: bool) -> bool:
    rt = s.rt
    out = s.out
    if len(args) < 2:
        await out.error(f"{args.command} command requires a keyword\n")
        return False
    what, value = args.words[1][0].lower(), args.words[1][1]
    cat = rt.catalog
    if what in ("jobs", "job", "jobname", "jobid", "ujobid"):
        if what == "jobs" and value:
            await out.error("'list jobs' does not allow an jobs parameter\n")
            return False
        return await _list_jobs(s, args, long=long)
    if what == "jobtotals":
        per_job, total = L.job_totals(cat)
        out.set("jobs", per_job)
        out.set("jobtotals", total)
        if not out.json:
            await _print(s, per_job, long=False)
            await _print(s, [total], long=False)
        return True
    if what in ("files", "joblog", "jobmedia"):
        jobid = _int(args.value("jobid"))
        rec = cat.job(jobid) if jobid else None
        if what == "jobmedia" and jobid is None:
            return await _rows(s, "jobmedia", L.jobmedia_rows(cat, 0, long=long), long=long)
        if rec is None or not s.allowed("job", rec.name):
            await out.error("jobid not found in db, access to job or client denied by ACL, or "
                            "client not found in db\n")  # fmt: skip
            return False
        assert jobid is not None
        if what == "files":
            # ListFilesForJob lists without a frame (NF_LIST): " <path>" a line, in list
            # and llist alike.
            rows = L.file_rows(cat, jobid)
            s.out.set("filenames", rows)
            if not s.out.json:
                if not rows:
                    await s.out.text("No results to list.\n")
                for row in rows:
                    await s.out.text("".join(f" {v}" for v in row.values()) + "\n")
            return True
        if what == "jobmedia":
            return await _rows(s, "jobmedia", L.jobmedia_rows(cat, jobid, long=long), long=long)
        rows = L.joblog_rows(cat, jobid)
        if not args.has("count"):
            rows = _page(rows, args)
        if args.has("count"):
            return await _rows(s, "joblog", L.count_row(len(rows)), long=False)
        out.set("joblog", rows)
        if not out.json:
            # ListJoblogRecords: llist as a vertical list; list as RAW_LIST, " <value>"
            # per column and the text's own newline.
            width = len("logtext")
            for row in rows:
                if long:
                    await out.text(f" {'time':>{width}}: {row['time']}\n"
                                   f" {'logtext':>{width}}: {row['logtext']}\n\n")  # fmt: skip
                else:
                    await out.text(f" {row['time']} {row['logtext']}")
        return True
    if what == "copies":
        value = args.value("jobid")
        copied: list[int] | None = None
        if value is not None:
            parts = [x.strip() for x in value.split(",")]
            if not all(x.isdigit() and len(x) <= 18 for x in parts):
                await out.error(f"Unknown list keyword: {args.words[1][0]}\n")
                return False
            copied = [int(x) for x in parts]
        rows = L.copies_rows(cat, copied)
        if rows:  # Bareos says nothing at all when there is no copy
            await out.text("These JobIds have copies as follows:\n" if copied
                           else "The catalog contains copies as follows:\n")  # fmt: skip
            return await _rows(s, "copies", rows, long=long)
        return True
    if what == "log":
        return await _list_log(s, args, long=long)
    if what == "fileset":
        # GetJobidFromCmdline (jobid=, job=, ujobid=) or filesetid=: the FileSet rows of
        # that job or that id.
        filesetid = _int(args.value("filesetid")) or 0
        job_rec = _job_from_cmdline(s, args)
        if job_rec is None and filesetid <= 0:
            await out.error("jobid not found in db, access to job or client denied by ACL, or "
                            "client not found in db or missing filesetid\n")  # fmt: skip
            return False
        if job_rec is not None:
            fid = L.fileset_id_of(cat, job_rec)
            filesetid = fid if fid is not None else -1
        rows = [r for r in L.fileset_rows(cat, _fileset_texts(s)) if r["filesetid"] == str(filesetid)
                and s.allowed("fileset", r["fileset"])]  # fmt: skip
        return await _rows(s, "filesets", rows, long=long)
    if what in ("jobstatistics", "jobstats"):
        job_rec = _job_from_cmdline(s, args)
        if job_rec is None:
            await out.error("no jobid given\n")
            return False
        # Samples exist only for a Storage with "Collect Statistics = yes" (default no),
        # which the emulated Storage daemons never send: none, as Bareos shows then.
        return await _rows(s, "jobstats", [], long=long)
    if what == "filesets":
        rows = [r for r in L.fileset_rows(cat, _fileset_texts(s)) if s.allowed("fileset", r["fileset"])]
        return await _rows(s, "filesets", rows, long=long)
    if what in ("clients", "client"):
        ids = _ids(s)
        names = [value] if what == "client" and value else [c.name for c in rt.clients()]
        rows = [L.client_row(n, ids, rt.client(n), L.last_uname(cat, n), long=long)
                for n in names if rt.client(n) is not None and s.allowed("client", n)]  # fmt: skip
        return await _rows(s, "clients", rows, long=long)
    if what in ("pools", "pool"):
        return await _list_pools(s, value if what == "pool" else None, long=long)
    if what == "storages":
        ids = _ids(s)
        rows = [L.storage_row(st.name, ids, st) for st in rt.storages()
                if s.allowed("storage", st.name)]  # fmt: skip
        return await _rows(s, "storages", rows, long=long)
    if what in ("volumes", "volume", "media"):
        return await _list_volumes(s, args, long=long)
    if what in ("mediaid", "volumeid") and value:
        ids = _ids(s)
        found = L.media_rows(cat, media_id=_int(value))
        make = L.long_media_row if long else L.media_row
        rows = [make(m, ids, row) for m, row in found]
        out.set("volume", rows[0] if rows else {})
        if not out.json:
            await _print(s, rows, long=long)
        return True
    if what == "backups":
        client = args.value("client")
        if client is None:
            await out.error("missing parameter: client\n")
            return False
        sel = L.JobSelection(client=client, types=("B",), statuses=("T", "W"))
        recs = [r for r in L.select_jobs(cat, sel) if s.allowed("job", r.name)]
        ids = _ids(s)
        rows = ([L.long_job_row(r, ids, L.fileset_id_of(cat, r)) for r in recs] if long
                else [L.job_row(r) for r in recs])  # fmt: skip
        return await _rows(s, "backups", rows, long=long)
    await out.error(f"Unknown list keyword: {args.words[1][0]}\n")
    return False


@command("list", help="List objects from catalog", usage=LIST_USAGE, api=_API)
async def list_cmd(s: CommandSession, args: Args) -> bool:
    await say_catalog_opened(s, args, private=True)
    return await _list(s, args, long=False)


@command("llist", help="Full or long list like list command", usage=LIST_USAGE, api=_API)
async def llist_cmd(s: CommandSession, args: Args) -> bool:
    await say_catalog_opened(s, args, private=True)
    return await _list(s, args, long=True)
