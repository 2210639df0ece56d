"""The ``.bvfs_*`` console commands: the restore browser of bareos-webui and other GUIs.

Syntax and answers are the real Director's (``dird/ua_dotcmds.cc``):

``.bvfs_update [jobid=<n>[,<n>...]]``          build the cache (no output)
``.bvfs_get_jobids jobid=<n> | ujobid=<job> [all]``  the jobs a restore of that job needs
``.bvfs_lsdirs jobid=<ids> path=<path> | pathid=<n> [limit=] [offset=]``
``.bvfs_lsfiles jobid=<ids> path=<path> | pathid=<n> [limit=] [offset=] [pattern=]``
``.bvfs_versions jobid=0 client=<name> pathid=<n> fname=<name> [copies] [versions]``
``.bvfs_restore path=b2<n> jobid=<ids> [fileid=<ids>] [dirid=<ids>] [hardlink=<jobid,findex>...]``
``.bvfs_cleanup path=b2<n>``,  ``.bvfs_clear_cache yes``

In ``.api 2`` a listing is an array of objects (``directories``, ``files``,
``versions``) whose ids are numbers, ``Type``/``Name``/``lstat`` strings and
``stat`` the decoded LStat; in text modes each entry is one packet of
tab-separated ``PathId FileId JobId lstat Name`` (versions: ``... MD5
VolumeName VolumeInChanger``).  The JobIds a command is given are filtered by
the console's Job and Client ACLs first, as Bareos does.
"""

from __future__ import annotations

import grp
import pwd
import re
from functools import cache
from typing import TYPE_CHECKING, Any

from bareosnet.errors import ProtocolError
from bareosnet.proto.attributes import decode_stat
from daemons.director.catalog.bvfs import Bvfs, BvfsEntry, basename_dir
from daemons.director.console.args import Args
from daemons.director.console.registry import command

if TYPE_CHECKING:
    from daemons.director.console.interfaces import CommandSession

# At most 18 digits: every id fits SQLite's signed 64-bit integers (a longer one is no id).
_NUMBER = re.compile(r"\d{1,18}")
_NUMBER_LIST = re.compile(r"\d{1,18}(,\d{1,18})*,?")
_ENTRY_API = ('{"Type", "PathId", "FileId", "JobId", "lstat", "Name", "Fullpath" (dirs), '
              '"stat": {"dev", "ino", "mode", "nlink", "uid", "gid", "user", "group", "rdev", '
              '"size", "atime", "mtime", "ctime"}, "LinkFileIndex"}')  # fmt: skip
_NOT_ENOUGH = "Can't find jobid, pathid or path argument\n"
_UNAUTHORIZED = "Unauthorized command from this console.\n"


def bvfs_of(s: CommandSession) -> Bvfs:
    """The bvfs tables of the Director's catalog (one per catalog, made on first use)."""
    cat = s.rt.catalog
    fs = getattr(cat, "_bvfs", None)
    if fs is None:
        fs = Bvfs(cat)
        cat._bvfs = fs  # type: ignore[attr-defined]
    return fs


@cache
def _user(uid: int) -> str:
    try:
        return pwd.getpwuid(uid).pw_name
    except (KeyError, OverflowError):
        return str(uid)  # as Bareos's guid list: the number when the name is unknown


@cache
def _group(gid: int) -> str:
    try:
        return grp.getgrgid(gid).gr_name
    except (KeyError, OverflowError):
        return str(gid)


def _ids(text: str | None) -> list[int]:
    return [int(x) for x in (text or "").split(",") if x]


def stat_object(lstat: str) -> tuple[dict[str, Any], int]:
    """Bareos's ``stat`` object of an LStat, and its LinkFileIndex."""
    try:
        st = decode_stat(lstat)
    except (ProtocolError, ValueError):
        st = decode_stat("A A A A A A A A A A A A A A")
    obj = {"dev": st.dev, "ino": st.ino, "mode": st.mode, "nlink": st.nlink, "uid": st.uid,
           "gid": st.gid, "user": _user(st.uid), "group": _group(st.gid), "rdev": st.rdev,
           "size": st.size, "atime": st.atime, "mtime": st.mtime, "ctime": st.ctime}  # fmt: skip
    return obj, st.link_fi


def entry_json(e: BvfsEntry, *, shown_name: str) -> dict[str, Any]:
    stat, link_fi = stat_object(e.lstat)
    obj: dict[str, Any] = {"Type": e.type, "PathId": e.path_id, "FileId": e.file_id,
                           "JobId": e.job_id, "lstat": e.lstat}  # fmt: skip
    if e.type == "V":
        obj.update(MD5=e.md5, VolumeName=e.volume, VolumeInChanger=e.in_changer, stat=stat)
        return obj
    obj["Name"] = shown_name
    if e.type == "D":
        obj["Fullpath"] = e.name
    obj["stat"] = stat
    obj["LinkFileIndex"] = link_fi
    return obj


def entry_text(e: BvfsEntry, *, shown_name: str) -> str:
    head = f"{e.path_id}\t{e.file_id}\t{e.job_id}\t{e.lstat}\t"
    if e.type == "V":
        return head + f"{e.md5}\t{e.volume}\t{e.in_changer}\n"
    return head + f"{shown_name}\n"


async def _send_entries(s: CommandSession, group: str, entries: list[BvfsEntry]) -> None:
    items = []
    for e in entries:
        shown = basename_dir(e.name) if e.type == "D" else e.name
        await s.out.text(entry_text(e, shown_name=shown))
        items.append(entry_json(e, shown_name=shown))
    s.out.set(group, items)


def _job_allowed(s: CommandSession, job_id: int) -> bool:
    job = s.rt.catalog.job(job_id)
    if job is None or not s.allowed("job", job.name):
        return False
    return job.client is None or s.allowed("client", job.client)


def _filtered(s: CommandSession, job_ids: list[int]) -> list[int]:
    return [j for j in job_ids if _job_allowed(s, j)]


def _parse(args: Args) -> tuple[int, str | None, str | None, int, int]:
    """Bareos's BvfsParseArg: pathid, path, jobid list, limit, offset (bad numbers ignored)."""
    pathid, path, jobid, limit, offset = 0, None, None, 2000, 0
    for key, value in args.words[1:]:
        k = key.lower()
        if k == "pathid" and value and _NUMBER.fullmatch(value):
            pathid = int(value)
        elif k == "path" and value is not None:
            path = value
        elif k == "jobid" and value and _NUMBER_LIST.fullmatch(value):
            jobid = value
        elif k == "limit" and value and _NUMBER.fullmatch(value):
            limit = int(value)
        elif k == "offset" and value and _NUMBER.fullmatch(value):
            offset = int(value)
    return pathid, path, jobid, limit, offset


@command(".bvfs_update", help="update the bvfs cache of the jobs (all jobs not cached yet)",
         usage="[jobid=<jobid>[,<jobid>...]]", api="{}")  # fmt: skip
async def bvfs_update(s: CommandSession, args: Args) -> bool:
    text = args.value("jobid")
    fs = bvfs_of(s)
    if text and _NUMBER_LIST.fullmatch(text):
        fs.update(_ids(text))
    else:
        fs.update()
    return True


@command(".bvfs_clear_cache", help="clear the bvfs cache", usage="yes", api="{}")
async def bvfs_clear_cache(s: CommandSession, args: Args) -> bool:
    if not args.has("yes"):
        await s.out.error("Can't find 'yes' argument\n")
        return True
    bvfs_of(s).clear_cache()
    await s.out.info("OK\n")
    return True


@command(".bvfs_get_jobids", help="the JobIds a restore of the given job needs",
         usage="jobid=<jobid> | ujobid=<unique-job-name> [all]",
         api='{"jobids": [{"id": "<jobid>"}, ...]}')  # fmt: skip
async def bvfs_get_jobids(s: CommandSession, args: Args) -> bool:
    cat = s.rt.catalog
    unique, jobid = args.value("ujobid"), args.value("jobid")
    if unique:
        job = cat.job_by_name(unique)
        arg = unique
    elif jobid:
        job = cat.job(int(jobid)) if _NUMBER.fullmatch(jobid) else None
        arg = jobid
    else:
        await s.out.error("Can't find ujobid or jobid argument\n")
        return False
    if job is None:
        await s.out.error(f"Unable to get Job record for JobId={arg}: ERR=no such job\n")
        return False
    fs = bvfs_of(s)
    ids = fs.restore_job_ids(job.job_id, all_filesets=args.has("all"))
    if args.has("all"):  # Bareos skips the FileSets the console may not see
        ids = [j for j in ids if (r := cat.job(j)) is not None and
               (r.fileset is None or s.allowed("fileset", r.fileset))]  # fmt: skip
    ids = _filtered(s, ids)
    await s.out.text(",".join(map(str, ids)) + "\n")
    s.out.set("jobids", [{"id": str(j)} for j in ids])
    return True


async def _listing(s: CommandSession, args: Args, group: str) -> bool:
    pathid, path, jobid, limit, offset = _parse(args)
    if not ((pathid or path is not None) and jobid):
        await s.out.error(_NOT_ENOUGH)
        return group == "directories"  # Bareos's lsdirs says true here, lsfiles false
    job_ids = _filtered(s, _ids(jobid))
    if not job_ids:
        await s.out.error(_UNAUTHORIZED)
        return False
    fs = bvfs_of(s)
    fs.update(job_ids)
    if not pathid:
        pathid = fs.path_id(path or "")
        if not pathid and group == "directories":
            return False  # the path could not be found: Bareos gives up without a list
    if group == "directories":
        entries = fs.ls_dirs(pathid, job_ids, limit=limit, offset=offset)
    else:
        pattern = args.value("pattern")
        try:
            entries = fs.ls_files(pathid, job_ids, limit=limit, offset=offset, pattern=pattern)
        except re.error:
            await s.out.error(f"Invalid pattern: {pattern}\n")
            return False
    await _send_entries(s, group, entries)
    return True


@command(".bvfs_lsdirs", help="list the directories of a path in the given jobs",
         usage="jobid=<jobid>[,<jobid>...] (path=<path> | pathid=<pathid>) [limit=<n>] "
               "[offset=<n>]",
         api='{"directories": [' + _ENTRY_API + ", ...]}")  # fmt: skip
async def bvfs_lsdirs(s: CommandSession, args: Args) -> bool:
    return await _listing(s, args, "directories")


@command(".bvfs_lsfiles", help="list the files of a path in the given jobs",
         usage="jobid=<jobid>[,<jobid>...] (path=<path> | pathid=<pathid>) [limit=<n>] "
               "[offset=<n>] [pattern=<regex>]",
         api='{"files": [' + _ENTRY_API + ", ...]}")  # fmt: skip
async def bvfs_lsfiles(s: CommandSession, args: Args) -> bool:
    return await _listing(s, args, "files")


@command(".bvfs_versions", help="list every backed-up version of one file of a client",
         usage="jobid=0 client=<client-name> (pathid=<pathid> | path=<path>) "
               "fname=<file-name> [copies] [versions]",
         api='{"versions": [{"Type", "PathId", "FileId", "JobId", "lstat", "MD5", '
             '"VolumeName", "VolumeInChanger", "stat": {...}}, ...]}')  # fmt: skip
async def bvfs_versions(s: CommandSession, args: Args) -> bool:
    pathid, path, jobid, limit, offset = _parse(args)
    if not ((pathid or path is not None) and jobid):
        await s.out.error(_NOT_ENOUGH)
        return False
    client = args.value("client")
    fname = args.value("fname", "name", "filename")
    if client is None or fname is None:
        await s.out.error("Can't find client or fname argument\n")
        return False
    if not s.allowed("client", client):
        await s.out.error(_UNAUTHORIZED)
        return False
    fs = bvfs_of(s)
    if not pathid:
        pathid = fs.path_id(path or "")
    entries = fs.versions(pathid, fname, client, copies=args.has("copies"), limit=limit,
                          offset=offset)  # fmt: skip
    await _send_entries(s, "versions", entries)
    return True


@command(".bvfs_restore", help="make a restore list (path=b2<n>) for restore file=?b2<n>",
         usage="path=b2<n> jobid=<jobid>[,<jobid>...] [fileid=<ids>] [dirid=<ids>] "
               "[hardlink=<jobid>,<fileindex>,...]",
         api="{}")  # fmt: skip
async def bvfs_restore(s: CommandSession, args: Args) -> bool:
    pathid, path, jobid, _, _ = _parse(args)
    if not ((pathid or path is not None) and jobid):
        await s.out.error(_NOT_ENOUGH)
        return False
    job_ids = _filtered(s, _ids(jobid))
    if not job_ids:
        await s.out.error(_UNAUTHORIZED)
        return False
    lists = {}
    for key in ("fileid", "dirid", "hardlink"):
        text = args.value(key) or ""
        if text and not _NUMBER_LIST.fullmatch(text):
            await s.out.error("Can't create restore list\n")
            return True
        lists[key] = _ids(text)
    fs = bvfs_of(s)
    fs.update(job_ids)
    if fs.compute_restore_list(path or "", job_ids, file_ids=lists["fileid"],
                               dir_ids=lists["dirid"], hardlinks=lists["hardlink"]):  # fmt: skip
        await s.out.text("OK\n")
    else:
        await s.out.error("Can't create restore list\n")
    return True


@command(".bvfs_cleanup", help="drop a restore list made by .bvfs_restore", usage="path=b2<n>",
         api="{}")  # fmt: skip
async def bvfs_cleanup(s: CommandSession, args: Args) -> bool:
    name = args.value("path")
    if not name:
        await s.out.error("Can't find path argument\n")
        return False
    bvfs_of(s).drop_restore_list(name)
    return True
