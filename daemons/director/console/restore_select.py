"""``restore``'s first step: which JobIds (or which files) to restore.

Bareos ``ua_restore.cc`` ``UserSelectJobidsOrFiles``: the command-line keywords
(``jobid=``, ``current``, ``before=``, ``file=``, ``directory=``, ``select``,
``fileset=``) and, when they leave it open, the 13-item menu with Bareos's prompts.
The outcome is either JobIds (the caller builds the file tree from them) or, for
``file=``/``directory=`` and items 7, 8 and 11, the files themselves (no tree).
``<file`` (a list read from a file on the Director) is not offered: names only.
"""

from __future__ import annotations

import re
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import attrs

from daemons.director.catalog import restore_lookup as lookup
from daemons.director.catalog.records import FileRecord
from daemons.director.console import restore_dialog as dialog
from daemons.director.console.args import Args
from daemons.director.console.restore_dialog import parse_date

if TYPE_CHECKING:
    from daemons.director.console.interfaces import CommandSession

FILES_HELP = ("Enter file names with paths, or < to enter a filename\n"
              "containing a list of file names with paths, and Terminate\n"
              "them with a blank line.\n")  # fmt: skip
DIRS_HELP = ("Enter full directory names or start the name\n"
             "with a < to indicate it is a filename containing a list\n"
             "of directories and Terminate them with a blank line.\n")  # fmt: skip
DATE_HELP = ("The restored files will the most current backup\n"
             "BEFORE the date you specify below.\n\n")  # fmt: skip

_SHORT_DATE = re.compile(r"(\d+)(?:-(\d+)(?:-(\d+)(?: (\d+)(?::(\d+)(?::(\d+))?)?)?)?)?")


def compensate_short_date(text: str) -> str:
    """``CompensateShortDate``: ``2026``, ``2026-12``, ``2026-12-08 10`` ... completed to
    ``YYYY-MM-DD HH:MM:SS`` (missing month/day are 1, missing times 0); else unchanged."""
    m = _SHORT_DATE.fullmatch(text.strip())
    if m is None:
        return text
    year, month, day, hour, minute, sec = (int(g) if g else 0 for g in m.groups())
    if year < 1900:
        return text
    try:
        t = time.struct_time((year, max(month, 1), max(day, 1), hour, minute, sec, 0, 1, -1))
        return time.strftime("%Y-%m-%d %H:%M:%S", t)
    except (ValueError, OverflowError):
        return text



def date_text(ts: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(ts))


@attrs.define
class Picked:
    """What the first step chose: JobIds for the tree, or files by name (``by_name``)."""

    job_ids: list[int]
    files: list[FileRecord] = attrs.Factory(list)
    by_name: bool = False


@attrs.define(eq=False)
class Selector:
    """One restore's selection state (Bareos ``RestoreContext``: JobIds, client, date)."""

    s: CommandSession
    args: Args
    client: Any | None
    job_ids: list[int] = attrs.Factory(list)
    files: dict[tuple[int, int], FileRecord] = attrs.Factory(dict)
    pool: str | None = None  # pool=: only backups written to that pool

    @property
    def client_name(self) -> str:
        if self.client is None:  # every caller asked need_client() first
            raise RuntimeError("restore: no client chosen")
        return str(self.client.name)

    # ------------------------------------------------------------ client, date, backups

    async def need_client(self) -> Any | None:
        """``GetClientName``: ``client=`` (checked by the caller) or the Defined Clients menu."""
        if self.client is None:
            name = await dialog.select_client(self.s)
            self.client = self.s.rt.client(name) if name else None
            if name and self.client is None:
                await self.s.out.error(f'Client "{name}" not found.\n')
        return self.client

    async def ask_date(self) -> float | None:
        """``get_date``: asked until it parses; None when cancelled."""
        await self.s.out.text(DATE_HELP)
        while True:
            answer = await self.s.ask("Enter date as YYYY-MM-DD HH:MM:SS :")
            if answer is None:
                return None
            when = parse_date(compensate_short_date(answer))
            if when is not None:
                return when
            await self.s.out.error("Improper date format.\n")

    async def backups_before(self, before: float) -> bool:
        """``SelectBackupsBeforeDate``: client, FileSet, then the backup set before ``before``
        shown as a table; False (nothing chosen) when something is missing."""
        s = self.s
        if await self.need_client() is None:
            return False
        client = self.client_name
        fileset = self.args.value("fileset")
        if fileset is None or fileset not in lookup.client_filesets(s.rt.catalog, client):
            if fileset is not None:
                await s.out.error(f'Error getting FileSet "{fileset}": ERR=not in the catalog\n')
            names = lookup.client_filesets(s.rt.catalog, client)
            choice = await dialog.do_prompt(s, "The defined FileSet resources are:\n", names,
                                            "FileSet", "Select FileSet resource")  # fmt: skip
            if choice is None:
                await s.out.error(f'No FileSet found for client "{client}".\n')
                return False
            fileset = names[choice]
        pool = self.pool
        if pool is not None and not lookup.pool_used(s.rt.catalog, pool):
            await s.out.warning(f'Pool "{pool}" not found, using any pool.\n')
            pool = None
        chain = lookup.backups_before(s.rt.catalog, client, fileset, before, pool=pool)
        if not chain:
            await s.out.error(f"No Full backup before {date_text(before)} found.\n")
            return False
        self.job_ids = [r.job_id for r in chain]
        columns = ["jobid", "level", "jobfiles", "jobbytes", "starttime", "volumename"]
        for line in dialog.table(dialog.job_table_rows(s, self.job_ids), columns):
            await s.out.text(line)
        return True

    async def dependencies(self, job_ids: list[int]) -> bool:
        """``FindJobDependencies``: each JobId with the Full (Differential, Incrementals) it needs."""
        found: list[int] = []
        for job_id in job_ids:
            if job_id == 0:
                await self.s.out.error("0 is not a valid jobid\n")
                return False
            rec = self.s.rt.catalog.job(job_id)
            chain = dialog.job_dependencies(self.s, job_id)
            if rec is None or chain is None:
                await self.s.out.error(f"Unable to get Job record for JobId={job_id}: "
                                       "ERR=not a backup in the catalog\n")  # fmt: skip
                return False
            await self.s.out.text("Selecting jobs to build the Full state at "
                                  f"{dialog.when_text(rec.start_time)}\n")  # fmt: skip
            found += [j for j in chain if j not in found]
        self.job_ids = found
        return True

    # ------------------------------------------------------------ files and directories

    async def insert_file(self, fname: str, before: float) -> None:
        """``InsertFileIntoFindexList``: the newest version of one path (in the chosen
        JobIds, if any)."""
        s = self.s
        rec = lookup.file_version(s.rt.catalog, self.client_name, fname, before, self.job_ids)
        if rec is None:
            await s.out.error(f"No database record found for: {fname}\n")
            return
        self._add(rec)

    async def insert_dir(self, directory: str) -> None:
        """``InsertDirIntoFindexList``: what the chosen JobIds saved with exactly this path."""
        s = self.s
        if not self.job_ids:
            await s.out.error("No JobId specified cannot continue.\n")
            return
        recs = lookup.directory_entries(s.rt.catalog, self.client_name, directory, self.job_ids)
        if not recs:
            await s.out.error(f"No database record found for: {directory}\n")
        for rec in recs:
            self._add(rec)

    def _add(self, rec: FileRecord) -> None:
        self.files[(rec.job_id, rec.file_index)] = rec
        if rec.job_id not in self.job_ids:
            self.job_ids.append(rec.job_id)

    def by_name(self) -> Picked:
        files = sorted(self.files.values(), key=lambda f: (f.job_id, f.file_index))
        return Picked(sorted({f.job_id for f in files}), files, by_name=True)

    async def read_names(self, prompt: str, help_text: str,
                         each: Callable[[str], Awaitable[None]]) -> bool:  # fmt: skip
        """Names until a blank line, each looked up as it comes; False when cancelled."""
        await self.s.out.text(help_text)
        while True:
            answer = await self.s.ask(prompt)
            if answer is None:
                return False
            if not answer:
                return True
            if answer.startswith("<"):
                await self.s.out.error(f"Cannot open file {answer[1:]}: ERR=reading a list "
                                       "from a file is not emulated\n")  # fmt: skip
                continue
            await each(answer)


async def pick(s: CommandSession, args: Args, client: Any | None) -> tuple[Picked | None, Any]:
    """``UserSelectJobidsOrFiles``: the choice, or None (a message already said why);
    with the client the dialog settled on (or the one given)."""
    sel = Selector(s, args, client)
    picked = await _pick(sel)
    return picked, sel.client


async def _pick(sel: Selector) -> Picked | None:
    s, args, out = sel.s, sel.args, sel.s.out
    now = time.time() + 1  # Bareos adds a second: a job that ended this second counts
    date = now
    date_word: str | None = None
    job_word: str | None = None
    job_text = ""
    files: list[str] = []
    dirs: list[str] = []
    for key, value in args.words[1:]:
        k = key.lower()
        word = key if value is None else f"{key}={value}"
        if k in ("jobid", "before", "file", "directory", "fileset", "pool") and value is None:
            await out.error(f"Missing value for keyword: {key}\n")
            return None
        if k == "jobid":
            if date_word is not None:
                await out.error(f"A date was already chosen via '{date_word}' which is "
                                f"incompatible with choosing a job explicitly via '{word}'\n")  # fmt: skip
                return None
            job_word = job_word or word
            job_text += ("," if job_text else "") + (value or "")
        elif k in ("current", "before"):
            if job_word is not None:
                await out.error(f"A job was already explicitly chosen via '{job_word}' which is "
                                f"incompatible with choosing a job by date '{word}'\n")  # fmt: skip
                return None
            if date_word is not None:
                await out.error(f"A date was already chosen via '{date_word}'. Cannot choose "
                                f"another one via '{word}'\n")  # fmt: skip
                return None
            date_word = word
            if k == "before":
                text = compensate_short_date(value or "")
                when = parse_date(text)
                if when is None:
                    await out.error(f"Improper date format: {text}\n")
                    return None
                date = when
        elif k == "file" and value is not None and not value.startswith("?"):
            files.append(value)
        elif k == "directory":
            dirs.append(value or "")
        elif k == "pool":
            if s.rt.cfg.get("pool", value or "") is None or not s.allowed("pool", value or ""):
                await out.error(f'Error: Pool resource "{value}" does not exist.\n')
                return None
            sel.pool = value
    if job_text:
        ids = _id_list(job_text)
        if ids is None:
            await out.error("Invalid JobId in list.\n")
            return None
        sel.job_ids = ids

    if files or dirs:
        if await sel.need_client() is None:
            return None
        for name in files:
            await sel.insert_file(name, date)
        for name in dirs:
            await sel.insert_dir(name)
        return sel.by_name()

    if args.has("select"):
        if job_text:
            return Picked(sel.job_ids) if await sel.dependencies(sel.job_ids) else None
        return Picked(sel.job_ids) if await sel.backups_before(date) else None
    if job_text:
        return Picked(sel.job_ids)

    await out.text(dialog.INTRO)
    while True:
        choice = await dialog.do_prompt(s, "To select the JobIds, you have the following choices:\n",
                                        list(dialog.MENU), "", "Select item: ")  # fmt: skip
        if choice is None or choice == 12:
            return None
        if choice == 0:  # List last 20 Jobs run
            columns = ["jobid", "client", "starttime", "joblevel", "jobfiles", "jobbytes"]
            for line in dialog.table(dialog.last_jobs_rows(s), columns, gui=True):
                await out.text(line)
        elif choice == 1:  # List Jobs where a given File is saved
            if await sel.need_client() is None:
                return None
            answer = await s.ask("Enter Filename (no path):")
            if answer is None:
                return None
            rows = lookup.where_saved(s.rt.catalog, sel.client_name, answer)
            for row in rows:
                row["starttime"] = dialog.when_text(row["starttime"])
            columns = ["jobid", "name", "starttime", "jobtype", "jobstatus", "jobfiles",
                       "jobbytes"]  # fmt: skip
            for line in dialog.table(rows, columns, gui=True):
                await out.text(line)
        elif choice == 2:  # Enter list of comma separated JobIds
            answer = await s.ask("Enter JobId(s), comma separated, to restore: ")
            if answer is None:
                return None
            ids = _id_list(answer)
            if ids is None:
                await out.error("Invalid JobId in list.\n")
                return None
            return Picked(ids)
        elif choice == 3:  # Enter SQL list command: this catalog is not Bareos's SQL schema
            await out.warning(f"Item 4 ({dialog.MENU[3]}) is not emulated by this Director.\n")
        elif choice in (4, 5):  # the most recent backup / the backup before a time
            when = now if choice == 4 else await sel.ask_date()
            if when is None or not await sel.backups_before(when):
                return None
            return Picked(sel.job_ids)
        elif choice in (6, 7):  # files (before a time)
            when = now if choice == 6 else await sel.ask_date()
            if when is None or await sel.need_client() is None:
                return None

            async def one_file(name: str, when: float = when) -> None:
                await sel.insert_file(name, when)

            if not await sel.read_names("Enter full filename: ", FILES_HELP, one_file):
                return None
            return sel.by_name()
        elif choice in (8, 9):  # find the JobIds (before a time), then the menu again
            when = now if choice == 8 else await sel.ask_date()
            if when is None or not await sel.backups_before(when):
                return None
        elif choice == 10:  # directories of the found (or typed) JobIds
            if sel.job_ids:
                await out.text("You have already selected the following JobIds: "
                               f"{','.join(map(str, sel.job_ids))}\n")  # fmt: skip
            else:
                answer = await s.ask("Enter JobId(s), comma separated, to restore: ")
                ids = _id_list(answer or "")
                if not ids:
                    if answer:
                        await out.error("Invalid JobId in list.\n")
                    return None
                sel.job_ids = ids
            if await sel.need_client() is None:
                return None

            async def one_dir(name: str) -> None:
                # Bareos adds the trailing slash here (not for directory= on the command line).
                await sel.insert_dir(name if name.endswith("/") else name + "/")

            if not await sel.read_names("Enter directory name: ", DIRS_HELP, one_dir):
                return None
            return sel.by_name()
        elif choice == 11:  # the state of one backup
            answer = await s.ask("Enter JobId to get the state to restore: ")
            if answer is None or not answer.strip().isdigit():
                return None
            if not await sel.dependencies([int(answer)]):
                return None
            return Picked(sel.job_ids)


def _id_list(text: str) -> list[int] | None:
    try:
        return [int(x) for x in text.split(",") if x.strip()]
    except ValueError:
        return None
