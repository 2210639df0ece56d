"""The questions ``restore`` asks when the command line does not answer them.

Bareos ``ua_restore.cc`` (``UserSelectJobidsOrFiles``), ``ua_select.cc``
(``DoPrompt``, ``SelectClientDbr``), ``ua_tree.cc`` (``UserSelectFilesFromTree``)
and ``ua_run.cc`` (``OK to run?``): the same menu texts, prompts and answers.
The menu itself is walked in :mod:`.restore_select`, the run prompt in :mod:`.restore_run`;
here are the pieces they share.  Every question goes through :meth:`CommandSession.ask`;
``.`` cancels.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from bareosnet.proto.signals import Signal
from daemons.common.commands import with_commas
from daemons.director.console.args import parse_args
from daemons.director.console.restore_tree import RestoreTree
from daemons.director.jobs.accurate import accurate_job_ids

if TYPE_CHECKING:
    from daemons.director.console.interfaces import CommandSession

MENU = (
    "List last 20 Jobs run",
    "List Jobs where a given File is saved",
    "Enter list of comma separated JobIds to select",
    "Enter SQL list command",
    "Select the most recent backup for a client",
    "Select backup for a client before a specified time",
    "Enter a list of files to restore",
    "Enter a list of files to restore before a specified time",
    "Find the JobIds of the most recent backup for a client",
    "Find the JobIds for a backup for a client before a specified time",
    "Enter a list of directories to restore for found JobIds",
    "Select full restore to a specified Job date",
    "Cancel",
)

INTRO = (
    "\nFirst you select one or more JobIds that contain files\n"
    "to be restored. You will be presented several methods\n"
    "of specifying the JobIds. Then you will be allowed to\n"
    "select which files from those JobIds are to be restored.\n\n"
)

TREE_INTRO = (
    "\nYou are now entering file selection mode where you add (mark) and\n"
    "remove (unmark) files to be restored. No files are initially added, unless\n"
    'you used the "all" keyword on the command line.\n'
    'Enter "done" to leave this mode.\n\n'
)


def format_prompts(items: list[str]) -> str:
    """``FormatPrompts`` for up to 20 items: ``%*zu: %s`` one per line."""
    width = len(str(len(items)))
    return "".join(f"{i:>{width}}: {item}\n" for i, item in enumerate(items, 1))


async def do_prompt(s: CommandSession, header: str, items: list[str], automsg: str,
                    msg: str) -> int | None:  # fmt: skip
    """``DoPrompt``: the 0-based choice, or None (cancelled, nothing chosen)."""
    if not items:
        await s.out.error(f'Selection list for "{automsg}" is empty!\n')
        return None
    if len(items) == 1:
        if not s.out.api:
            await s.out.text(f"Automatically selected {automsg}: {items[0]}\n")
        return 0
    if s.out.api:
        await s.send_signal(Signal.START_SELECT)
    await s.out.text(header)
    if s.out.api:
        for item in items:
            await s.out.text(item)
        await s.send_signal(Signal.END_SELECT)
    else:
        await s.out.text(format_prompts(items))
    while True:
        if s.out.api:
            await s.send_signal(Signal.SELECT_INPUT)
        answer = await get_pint(s, f"{msg} (1-{len(items)}): ")
        if answer is None:
            await s.out.info("Selection aborted, nothing done.\n")
            return None
        if 1 <= answer <= len(items):
            return answer - 1
        await s.out.warning(f"Please enter a number between 1 and {len(items)}\n")


async def get_pint(s: CommandSession, prompt: str) -> int | None:
    """``GetPint``: ask until the answer is a non-negative number."""
    while True:
        answer = await s.ask(prompt)
        if answer is None:
            return None
        text = answer.strip()
        if text.isdigit():
            return int(text)
        await s.out.warning(f"Expected a positive integer, got: {text}\n")


def parse_date(text: str) -> float | None:
    """``StrToUtime`` of a ``YYYY-MM-DD HH:MM:SS`` local time: epoch seconds, or None."""
    try:
        return time.mktime(time.strptime(text.strip(), "%Y-%m-%d %H:%M:%S"))
    except (ValueError, OverflowError):
        return None


async def ask_start_time(s: CommandSession) -> float | None:
    """The ``When`` item of ``mod``: a time, empty for now; None when cancelled."""
    while True:
        answer = await s.ask("Please enter desired start time as YYYY-MM-DD HH:MM:SS "
                             "(return for now): ")  # fmt: skip
        if answer is None:
            return None
        when = time.time() if not answer.strip() else parse_date(answer)
        if when is not None:
            return when
        await s.out.text("Invalid time specification.\n")


async def ask_priority(s: CommandSession) -> int | None:
    """The ``Priority`` item of ``mod``: the new priority, 0 to keep it (said why), None
    when cancelled."""
    number = await get_pint(s, "Enter new Priority: ")
    if number == 0:
        await s.out.text("Priority must be a positive integer.\n")
    return number


# ``select_<kind>_resource`` (ua_select.cc): header, the automatic-choice word, the question.
_RESOURCE_PROMPTS = {
    "storage": ("The defined Storage resources are:\n", "Storage", "Select Storage resource"),
    "fileset": ("The defined FileSet resources are:\n", "FileSet", "Select FileSet resource"),
    "client": ("The defined Client resources are:\n", "Client",
               "Select Client (File daemon) resource"),
    "pool": ("The defined Pool resources are:\n", "Pool", "Select Pool resource"),
    "job": ("The defined Job resources are:\n", "Job", "Select Job resource"),
}  # fmt: skip


async def select_resource(s: CommandSession, kind: str) -> Any | None:
    """Ask for one configured resource of ``kind`` the console may use (names sorted
    without case, as Bareos's SortCaseInsensitive); None when cancelled or none exists."""
    header, automsg, msg = _RESOURCE_PROMPTS[kind]
    names = sorted((r.name for r in s.rt.cfg.all(kind) if s.allowed(kind, r.name)),
                   key=str.lower)  # fmt: skip
    choice = await do_prompt(s, header, names, automsg, msg)
    return None if choice is None else s.rt.cfg.get(kind, names[choice])


async def get_yesno(s: CommandSession, prompt: str) -> bool | None:
    """``GetYesno``: True/False for yes/no (``parse_user_bool``: those two words only, in any
    case), None when the console gave no answer; it asks again after anything else (a
    console that keeps answering nonsense gives up after ten tries)."""
    for _ in range(10):
        if s.out.api:
            await s.send_signal(Signal.YESNO)
        answer = await s.ask(prompt)
        if answer is None:
            return None
        flag = {"yes": True, "no": False}.get(answer.strip().lower())
        if flag is not None:
            return flag
        await s.out.warning("Invalid response. You must answer YES or NO.\n")
    return None


async def select_client(s: CommandSession) -> str | None:
    """``SelectClientDbr``: the clients the catalog knows (as the console may see), by name.

    Bareos's Client table holds every configured Client from start-up on, and the
    clients of older jobs; a client without a job is offered too.
    """
    names = {c.name for c in s.rt.clients()} | {r.client for r in s.rt.catalog.jobs() if r.client}
    seen = sorted(n for n in names if s.allowed("client", n))
    if not seen:
        await s.out.error("No clients defined. You must run a job before using this command.\n")
        return None
    choice = await do_prompt(s, "Defined Clients:\n", seen, "Client", "Select the Client")
    return None if choice is None else seen[choice]


def job_table_rows(s: CommandSession, job_ids: list[int]) -> list[dict[str, Any]]:
    """``uar_list_jobs_by_idlist``: one row per job and volume, oldest first."""
    rows = []
    records = [r for r in (s.rt.catalog.job(j) for j in job_ids) if r is not None]
    for r in sorted(records, key=lambda r: (r.start_time or 0, r.job_id)):
        for volume in s.rt.catalog.volumes_of(r.job_id) or [""]:
            rows.append({"jobid": r.job_id, "level": r.level, "jobfiles": r.files,
                         "jobbytes": r.bytes, "starttime": when_text(r.start_time),
                         "volumename": volume})  # fmt: skip
    return rows


def last_jobs_rows(s: CommandSession) -> list[dict[str, Any]]:
    """``uar_list_jobs``: the last 20 good backups, newest first."""
    good = [r for r in s.rt.catalog.jobs(job_type="B") if r.status in ("T", "W")]
    good.sort(key=lambda r: (r.start_time or 0, r.job_id), reverse=True)
    return [{"jobid": r.job_id, "client": r.client or "", "starttime": when_text(r.start_time),
             "joblevel": r.level, "jobfiles": r.files, "jobbytes": r.bytes}
            for r in good[:20]]  # fmt: skip


def when_text(ts: float | None) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(ts)) if ts else ""


def job_dependencies(s: CommandSession, job_id: int) -> list[int] | None:
    """``FindJobDependencies``: the Full (and Differential, Incrementals) a backup builds on."""
    rec = s.rt.catalog.job(job_id)
    if rec is None or rec.type not in "BC":
        return None
    if rec.level == "F":
        return [job_id]
    before = accurate_job_ids(s.rt.catalog, client=rec.client or "", fileset=rec.fileset,
                              level=rec.level, job_id=job_id)  # fmt: skip
    return [*before, job_id]


async def select_in_tree(s: CommandSession, tree: RestoreTree) -> bool:
    """``UserSelectFilesFromTree``: False when the user quit (restore nothing)."""
    await s.out.text(TREE_INTRO)
    await s.send_signal(Signal.START_RTREE)
    tree.cwd = tree.root
    await s.out.text(f"cwd is: {tree.path(tree.cwd)}\n")
    quit_ = False
    while True:
        line = await s.ask("$ ", subprompt=True)
        if line is None:
            quit_ = s.quit  # "." leaves the tree like done; a lost console restores nothing
            break
        if s.out.api:
            await s.send_signal(Signal.CMD_BEGIN)
        words = [k if v is None else f"{k}={v}" for k, v in parse_args(line).words]
        result = tree.run(words)
        for text in result.lines:
            if result.warning:
                await s.out.warning(text)
            else:
                await s.out.text(text)
        if s.out.api:
            await s.send_signal(Signal.CMD_FAILED if result.warning else Signal.CMD_OK)
        if result.done or result.quit:
            quit_ = result.quit
            break
    if not s.quit:
        await s.send_signal(Signal.END_RTREE)
    return not quit_


def table(rows: list[dict[str, Any]], columns: list[str], *, gui: bool = False) -> list[str]:
    """``ListSqlQuery`` in ``HORZ_LIST``: a boxed table, numbers right-aligned with commas
    (but not the jobid); with ``gui`` (set by the menu's items 1 and 2) every cell is
    left-aligned text."""
    if not rows:
        return ["No results to list.\n"]

    def cell(value: Any, column: str = "") -> str:
        if isinstance(value, int) and not gui and column != "jobid":
            return with_commas(value)
        return str(value)

    widths = [max([len(c)] + [len(cell(r[c], c)) for r in rows]) for c in columns]
    rule = "+" + "+".join("-" * (w + 2) for w in widths) + "+\n"
    head = "|" + "|".join(f" {c:<{w}} " for c, w in zip(columns, widths, strict=True)) + "|\n"
    out = [rule, head, rule]
    for r in rows:
        cells = []
        for c, w in zip(columns, widths, strict=True):
            v = r[c]
            right = isinstance(v, int) and not gui
            cells.append(f" {cell(v, c):>{w}} " if right else f" {cell(v, c):<{w}} ")
        out.append("|" + "|".join(cells) + "|\n")
    out.append(rule)
    return out
