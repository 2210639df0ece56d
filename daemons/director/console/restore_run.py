"""``restore``'s last step: the Restore job's parameters, ``OK to run?`` and ``mod``.

Bareos ``ua_run.cc``: ``DisplayJobParameters`` for a restore with a bootstrap,
the ``OK to run? (yes/mod/no):`` loop and ``ModifyJobParameters`` (the
"Parameters to modify" menu of a Restore job, and ``mod key=value ...``).
Emulated items: Storage, Job (Restore jobs only), FileSet, Restore Client, Backup
Format, When, Priority, Bootstrap, Where, File Relocation (the RegexWhere sub-menu),
Replace, Plugin Options; Level and JobId answer as Bareos does for a restore with a
bootstrap.  Plugin options are shown, not sent.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

from bareosnet.proto.bootstrap import Bootstrap
from bareosnet.proto.regexwhere import build_where, parse_regexwhere, rewrite
from bareosnet.proto.signals import Signal
from daemons.director.console import restore_dialog as dialog
from daemons.director.console.args import parse_args
from daemons.director.console.restore_select import parse_date
from daemons.director.jobs.restore import replace_code
from daemons.director.jobs.setup import job_type_of

if TYPE_CHECKING:
    from daemons.director.console.interfaces import CommandSession
    from daemons.director.jobs.control import JobControl

REPLACE_WORDS = {"a": "Always", "w": "IfNewer", "o": "IfOlder", "n": "Never"}

MOD_ITEMS = (
    "Level", "Storage", "Job", "FileSet", "Restore Client", "Backup Format", "When",
    "Priority", "Bootstrap", "Where", "File Relocation", "Replace", "JobId", "Plugin Options",
)  # fmt: skip


@attrs.define(eq=False)
class RestoreRun:
    """What the run prompt shows and ``mod`` changes (the rest lives on the job)."""

    job: JobControl
    backup_client: str
    bsr_path: str | None
    catalog: str
    priority: int
    backup_format: str = "Native"
    plugin_options: str | None = None


def _name(res: Any | None) -> str:
    return res.name if res is not None else "*None*"


async def show(s: CommandSession, run: RestoreRun) -> None:
    job = run.job
    replace = str(job.params.get("replace") or "a")
    head = "Run Restore job\n"
    if s.out.api:
        # API mode (bat, python-bareos .api 1): a signal and a typed title before the block.
        await s.send_signal(Signal.RUN_CMD)
        head = "Type: Restore\nTitle: Run Restore job\n"
    await s.out.text(
        f"{head}"
        f"JobName:         {job.name}\n"
        f"Bootstrap:       {run.bsr_path or '*None*'}\n"
        f"{_where_line(job)}"
        f"Replace:         {REPLACE_WORDS.get(replace, replace)}\n"
        f"FileSet:         {_name(job.fileset_res)}\n"
        f"Backup Client:   {run.backup_client}\n"
        f"Restore Client:  {_name(job.client_res)}\n"
        f"Format:          {run.backup_format}\n"
        f"Storage:         {_name(job.storage_res)}\n"
        f"When:            {time.strftime('%Y-%m-%d %H:%M:%S', time.localtime(job.sched_time))}\n"
        f"Catalog:         {run.catalog}\n"
        f"Priority:        {run.priority}\n"
        f"Plugin Options:  {run.plugin_options or '*None*'}\n"
    )


def _where_line(job: JobControl) -> str:
    """RegexWhere, when there is one, takes the place of Where (as in Bareos)."""
    if job.params.get("regexwhere"):
        return f"RegexWhere:      {job.params['regexwhere']}\n"
    return f"Where:           {job.params.get('where') or ''}\n"


async def ask_ok_to_run(s: CommandSession) -> str | None:
    """``OK to run? (yes/mod/no):`` until the answer is one Bareos takes (stripped); None
    when the console gave none."""
    while True:
        answer = await s.ask("OK to run? (yes/mod/no): ")
        if answer is None:
            return None
        answer = answer.strip()
        if valid_answer(answer):
            return answer
        await s.out.warning(f"Illegal response {answer}\n")


def valid_answer(answer: str) -> bool:
    """Bareos's check: empty, a prefix of yes/no, ``mod``/``.mod`` (with arguments)."""
    a = answer.lower()
    n = len(a)
    return (n == 0 or a == ".mod "[: min(n, 5)] or a == "mod "[: min(n, 4)]
            or "yes".startswith(a) or "no".startswith(a)
            or a.startswith(".mod ") or a.startswith("mod "))  # fmt: skip


async def confirm(s: CommandSession, run: RestoreRun) -> bool | None:
    """The job's parameters and ``OK to run?`` until yes (True) or no/cancel (False:
    the caller says "Job not run."); None when ``mod key=value`` failed (Bareos then
    ends the command with its message only)."""
    while True:
        await show(s, run)
        answer = await ask_ok_to_run(s)
        if answer is None:
            return False
        low = answer.lower()
        if low.startswith(".mod ") or (low.startswith("mod ") and len(answer) > 6):
            changed = await _mod_arguments(s, run, answer)
            if changed is not True:
                return changed
            continue
        if answer and "mod".startswith(low):
            if not await modify(s, run):
                return False
            continue
        return answer == "" or "yes".startswith(low)


async def _mod_arguments(s: CommandSession, run: RestoreRun, line: str) -> bool | None:
    """``mod key=value ...`` (``ScanCommandLineArguments`` then ``ResetRestoreContext``):
    True when applied; None for a bad keyword or a missing value (said, nothing more);
    False for a value the job cannot take (the caller adds "Job not run.")."""
    job, rt, out = run.job, s.rt, s.out
    words = parse_args(line).words[1:]
    for key, value in words:
        if key.lower() not in _MOD_KEYS:
            await out.text(f"Invalid keyword: {key}\n")
            return None
        if value is None:
            await out.text(f"Value missing for keyword {key}\n")
            return None
        if key.lower() in ("where", "regexwhere") and not s.allowed("where", value):
            await out.text(f'No authorization for "{key.lower()}" specification.\n')
            return None
    for key, value in words:
        k, v = key.lower(), value or ""
        if k == "where":
            job.params["where"] = "" if v == "/" else v
            job.params["regexwhere"] = None  # where and regexwhere exclude each other
        elif k == "regexwhere":
            job.params["regexwhere"] = v
        elif k == "priority":
            number = int(v) if v.isdigit() else 0
            if number <= 0:
                await out.text("Priority must be positive nonzero setting it to 10.\n")
                number = 10
            run.priority = number
        elif k == "pluginoptions":
            run.plugin_options = v
        elif k == "restoreclient":
            client = rt.client(v) if s.allowed("client", v) else None
            if client is None:
                await out.warning(f'Restore Client "{v}" not found.\n')
                client = await dialog.select_resource(s, "client")
                if client is None:
                    return None
                client = rt.client(client.name) or client
            job.client_res = client
    for key, value in words:  # ResetRestoreContext: checked when the job takes them
        k, v = key.lower(), value or ""
        if k == "when":
            when = parse_date(v)
            if when is None:
                await out.text('Invalid time specification in when; expected: '
                               '"YYYY-MM-DD HH:MM:SS"\n')  # fmt: skip
                return False
            job.sched_time = job.params["start_at"] = when
        elif k == "replace":
            try:
                job.params["replace"] = replace_code(v)
            except ValueError:
                await out.text(f"Invalid replace option: {v}\n")
                return False
    return True


_MOD_KEYS = {"where", "regexwhere", "replace", "when", "priority", "pluginoptions",
             "restoreclient"}  # fmt: skip


async def modify(s: CommandSession, run: RestoreRun) -> bool:
    """``ModifyJobParameters``: one change, then the parameters again (True);
    False when the menu or a question was cancelled (the job does not run)."""
    job, out = run.job, s.out
    choice = await dialog.do_prompt(s, "Parameters to modify:\n", list(MOD_ITEMS), "",
                                    "Select parameter to modify")  # fmt: skip
    if choice is None:
        return False
    item = MOD_ITEMS[choice]
    if item == "Level":
        await out.error("Level not appropriate for this Job. Cannot be changed.\n")
    elif item == "Storage":
        res = await dialog.select_resource(s, "storage")
        if res is None:
            return False
        job.storage_res = s.rt.storage(res.name) or res
    elif item == "Job":
        res = await dialog.select_resource(s, "job")
        if res is None:
            return False
        if job_type_of(res) != "R":
            await out.error(f'Job "{res.name}" is not a Restore job: this Director keeps '
                            f'"{job.name}".\n')  # fmt: skip
        else:
            job.name, job.job_res = res.name, res
    elif item == "FileSet":
        res = await dialog.select_resource(s, "fileset")
        if res is None:
            return False
        job.fileset_res = res
    elif item == "Restore Client":
        res = await dialog.select_resource(s, "client")
        if res is None:
            return False
        job.client_res = s.rt.client(res.name) or res
    elif item == "Backup Format":
        answer = await s.ask("Please enter Backup Format: ")
        if answer is None:
            return False
        run.backup_format = answer
    elif item == "When":
        when = await dialog.ask_start_time(s)
        if when is None:
            return False
        job.sched_time = job.params["start_at"] = when
    elif item == "Priority":
        number = await dialog.ask_priority(s)
        if number is None:
            return False
        if number:
            run.priority = number
    elif item == "Bootstrap":
        answer = await s.ask("Please enter the Bootstrap file name: ")
        if answer is None:
            return False
        if answer:
            await _use_bootstrap(s, run, answer)
    elif item == "Where":
        answer = await s.ask("Please enter the full path prefix for restore (/ for none): ")
        if answer is None:
            return False
        if not s.allowed("where", answer):
            await out.text('No authorization for "where" specification.\n')
        else:
            job.params["where"] = "" if answer == "/" else answer
            job.params["regexwhere"] = None  # where and regexwhere exclude each other
    elif item == "File Relocation":
        await _file_relocation(s, run)
    elif item == "Replace":
        words = list(REPLACE_WORDS.values())
        opt = await dialog.do_prompt(s, "Replace:\n", words, "", "Select replace option")
        if opt is not None:
            job.params["replace"] = replace_code(words[opt])
    elif item == "JobId":
        await out.text("You must set the bootstrap file to NULL to be able to specify a "
                       "JobId.\n")  # fmt: skip
    elif item == "Plugin Options":
        answer = await s.ask("Please enter Plugin Options string: ")
        if answer is None:
            return False
        if not s.allowed("pluginoptions", answer):
            await out.text('No authorization for "PluginOptions" specification.\n')
        else:
            run.plugin_options = answer
    return True


async def _use_bootstrap(s: CommandSession, run: RestoreRun, path: str) -> None:
    """A bootstrap file of the user's: the restore reads what it names."""
    try:
        text = Path(path).read_text()
    except OSError as exc:
        # Bareos then restores without a bootstrap (it asks for a JobId); this
        # Director keeps the bootstrap it built.
        await s.out.text(f"Warning cannot open {path}: ERR={exc.strerror}\n")
        return
    try:
        bsr = Bootstrap.parse(text)
    except Exception as exc:
        await s.out.error(f"Bootstrap file {path} is not usable: {exc}\n")
        return
    if not bsr.entries:
        await s.out.error(f"Bootstrap file {path} names no volume.\n")
        return
    run.job.params["bootstrap"] = bsr
    run.job.params["files_expected"] = sum(e.count or 0 for e in bsr.entries)
    run.bsr_path = path


RELOCATION_ITEMS = ("Strip prefix", "Add prefix", "Add file suffix", "Enter a regexp",
                    "Test filename manipulation", "Use this ?")  # fmt: skip


def _nprt(value: str | None) -> str:
    return "*None*" if value is None else value


async def _file_relocation(s: CommandSession, run: RestoreRun) -> None:
    """``SelectWhereRegexp``: build a RegexWhere from prefixes and a suffix (or type one),
    try it on names, then use it in place of Where; cancelling keeps what was there."""
    out, job = s.out, run.job
    strip: str | None = None
    add: str | None = None
    suffix: str | None = None
    typed: str | None = None
    while True:
        await out.text(f"strip_prefix={_nprt(strip)} add_prefix={_nprt(add)} "
                       f"add_suffix={_nprt(suffix)}\n")  # fmt: skip
        choice = await dialog.do_prompt(s, "This will replace your current Where value\n",
                                        list(RELOCATION_ITEMS), "",
                                        "Select parameter to modify")  # fmt: skip
        if choice is None:
            return
        if choice == 0:
            answer = await s.ask("Please enter the path prefix to strip: ")
            strip = answer if answer is not None else strip
        elif choice == 1:
            answer = await s.ask("Please enter the path prefix to add (/ for none): ")
            if answer is not None:
                add = "" if answer == "/" else answer
        elif choice == 2:
            answer = await s.ask("Please enter the file suffix to add: ")
            suffix = answer if answer is not None else suffix
        elif choice == 3:
            answer = await s.ask("Please enter a valid regexp (!from!to!): ")
            if answer is not None:
                if not s.allowed("where", answer):
                    await out.text('Denied by "WhereACL" configuration.\n')
                else:
                    typed = answer
        elif choice == 4:
            if typed:
                expr = typed
                await out.text(f"regexwhere={expr}\n")
            else:
                expr = build_where(strip, add, suffix)
                await out.text(f"strip_prefix={_nprt(strip)} add_prefix={_nprt(add)} "
                               f"add_suffix={_nprt(suffix)} result={expr}\n")  # fmt: skip
            try:
                rewrites = parse_regexwhere(expr)
            except ValueError:
                await out.text("Cannot use your regexp\n")
                continue
            await out.text("Enter a period (.) to stop this test\n")
            while (name := await s.ask("Please enter filename to test: ")) is not None:
                await out.text(f"{name} -> {rewrite(name, rewrites)}\n")
        else:  # Use this ?
            chosen = typed or (build_where(strip, add, suffix)
                               if (strip, add, suffix) != (None, None, None) else None)  # fmt: skip
            if chosen is not None and not typed and not s.allowed("where", chosen):
                await out.text(f'Regex ({chosen}) denied by "WhereACL" configuration.\n')
                continue
            job.params["where"] = ""
            job.params["regexwhere"] = None
            if chosen is not None:
                try:
                    parse_regexwhere(chosen)
                    job.params["regexwhere"] = chosen
                except ValueError:
                    await out.text("Cannot use your regexp.\n")
            return
