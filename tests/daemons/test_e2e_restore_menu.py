"""The rest of the ``restore`` menu over the three emulators, as bconsole shows it.

Items 2 (where a file is saved), 6 and 8 (before a time), 7 (files by name), 9
(find the JobIds) then 11 (directories of the found JobIds); the command-line forms
``file=``, ``directory=``, ``before=``, ``jobid=... select``; and ``mod`` at the run
prompt (ua_run.cc's parameter menu of a Restore job).  python-bareos's ``call``
returns at each prompt, the next ``call`` answers it, as a bconsole user types.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from tests.daemons.test_e2e_console_jobs import CLIENTS_PROMPT
from tests.daemons.test_e2e_jobs import build_lab, finish, queue, restored_root, snapshot

pytestmark = pytest.mark.slow

MENU_END = "12: Select full restore to a specified Job date\n13: Cancel\nSelect item:  (1-13): "

MOD_MENU = (
    "Parameters to modify:\n 1: Level\n 2: Storage\n 3: Job\n 4: FileSet\n 5: Restore Client\n"
    " 6: Backup Format\n 7: When\n 8: Priority\n 9: Bootstrap\n10: Where\n11: File Relocation\n"
    "12: Replace\n13: JobId\n14: Plugin Options\nSelect parameter to modify (1-14): "
)


def run_block(out: str) -> dict[str, str]:
    """The ``Run Restore job`` parameters of the last block in ``out``."""
    block = out[out.rindex("Run Restore job\n") :]
    return dict(re.findall(r"^([A-Za-z ]+):\s+(.*)$", block, re.M))


def queued(out: str) -> int:
    m = re.search(r"Job queued\. JobId=(\d+)", out)
    assert m, out
    return int(m.group(1))


def test_restore_menu_items_and_run_prompt_mod(tmp_path: Path) -> None:
    lab = build_lab(tmp_path)
    data = lab.data
    time.sleep(1.1)  # the Full starts a second after the files were made (mtime resolution)
    with lab.running():
        c = lab.console()
        full = queue(c, "run job=backup level=Full yes")
        assert "Backup OK" in finish(c, full)
        time.sleep(1.1)  # mtimes have one-second resolution
        (data / "top.txt").write_text("changed after the full\n")
        incr = queue(c, "run job=backup level=Incremental yes")
        assert "Backup OK" in finish(c, incr)

        # Item 2: where a given file is saved (client first, then the name), then the menu.
        out = c.call("restore").decode()
        assert out.endswith(MENU_END), out
        assert c.call("2").decode() == CLIENTS_PROMPT  # every Client of the catalog
        out = c.call("1").decode()
        assert out == "Enter Filename (no path):", out
        out = c.call("top.txt").decode()
        rows = re.findall(rf"^\| (\d+)\s+\| {re.escape(str(data))}/top\.txt \| \S+ \S+ \| B\s+"
                          r"\| T\s+\|", out, re.M)  # fmt: skip
        assert rows == [str(incr), str(full)], out  # newest first
        assert out.endswith(MENU_END), out

        # Item 9 finds the JobIds and shows the menu again; item 11 then asks for directories
        # of those JobIds (a trailing slash added; only what the directory itself holds).
        out = c.call("9").decode()
        assert "Automatically selected FileSet: Data\n" in out, out
        assert re.search(rf"^\|\s+{full} \| F\s+\|.*\n\|\s+{incr} \| I\s+\|", out, re.M), out
        assert out.endswith(MENU_END), out
        out = c.call("11").decode()
        assert out == (f"You have already selected the following JobIds: {full},{incr}\n"
                       "Enter full directory names or start the name\n"
                       "with a < to indicate it is a filename containing a list\n"
                       "of directories and Terminate them with a blank line.\n"
                       "Enter directory name: "), out  # fmt: skip
        assert c.call(str(data)).decode() == "Enter directory name: "
        out = c.call("").decode()
        # Every version the JobIds saved with that path (Bareos adds them all to the bootstrap).
        assert int(re.search(r"\n(\d+) files selected to be restored\.\n", out).group(1)) >= 4  # type: ignore[union-attr]
        assert run_block(out)["Where"] == str(tmp_path / "restore-default"), out
        assert out.endswith("OK to run? (yes/mod/no): "), out

        # mod: the Restore job's parameter menu; each change shows the parameters again.
        assert c.call("mod").decode() == MOD_MENU
        out = c.call("1").decode()
        assert out.startswith("Level not appropriate for this Job. Cannot be changed.\n"
                              "Run Restore job\n"), out  # fmt: skip
        assert c.call("m").decode() == MOD_MENU
        assert c.call("10").decode() == ("Please enter the full path prefix for restore "
                                         "(/ for none): ")  # fmt: skip
        by_dir = tmp_path / "by-dir"
        params = run_block(c.call(str(by_dir)).decode())
        assert params["Where"] == str(by_dir), params
        c.call("mod")
        assert c.call("12").decode() == ("Replace:\n1: Always\n2: IfNewer\n3: IfOlder\n4: Never\n"
                                         "Select replace option (1-4): ")  # fmt: skip
        assert run_block(c.call("4").decode())["Replace"] == "Never"
        c.call("mod")
        c.call("12")
        assert run_block(c.call("1").decode())["Replace"] == "Always"
        c.call("mod")
        assert c.call("8").decode() == "Enter new Priority: "
        out = c.call("0").decode()
        assert out.startswith("Priority must be a positive integer.\nRun Restore job\n"), out
        c.call("mod")
        c.call("8")
        assert run_block(c.call("7").decode())["Priority"] == "7"
        c.call("mod")
        assert c.call("14").decode() == "Please enter Plugin Options string: "
        assert run_block(c.call("python:x=1").decode())["Plugin Options"] == "python:x=1"
        c.call("mod")
        assert c.call("5").decode() == ("The defined Client resources are:\n1: fd\n"
                                        "2: fd-passive\n"
                                        "Select Client (File daemon) resource (1-2): ")  # fmt: skip
        assert run_block(c.call("2").decode())["Restore Client"] == "fd-passive"
        c.call("mod")
        c.call("5")
        assert run_block(c.call("1").decode())["Restore Client"] == "fd"
        c.call("mod")
        out = c.call("13").decode()
        assert out.startswith("You must set the bootstrap file to NULL to be able to specify a "
                              "JobId.\n"), out  # fmt: skip
        c.call("mod")
        assert c.call("7").decode() == ("Please enter desired start time as YYYY-MM-DD HH:MM:SS "
                                        "(return for now): ")  # fmt: skip
        assert c.call("soon").decode().startswith("Invalid time specification.\nPlease enter")
        assert run_block(c.call("2030-01-02 03:04:05").decode())["When"] == "2030-01-02 03:04:05"
        c.call("mod")
        assert c.call("9").decode() == "Please enter the Bootstrap file name: "
        out = c.call(str(tmp_path / "nosuch.bsr")).decode()
        assert out.startswith(f"Warning cannot open {tmp_path / 'nosuch.bsr'}: ERR=No such file "
                              "or directory\n"), out  # fmt: skip
        c.call("mod")
        assert c.call(".").decode() == "Selection aborted, nothing done.\nJob not run.\n"
        assert c.call("list jobs").decode().count("| R ") == 0

        # The same selection again (item 11 asks for the JobIds first), this time run.
        c.call("restore")
        assert c.call("11").decode() == "Enter JobId(s), comma separated, to restore: "
        assert c.call(f"{full},{incr}").decode() == CLIENTS_PROMPT
        out = c.call("1").decode()
        assert out.startswith("Enter full directory names"), out
        assert c.call(str(data) + "/").decode() == "Enter directory name: "
        out = c.call("").decode()
        assert out.endswith("OK to run? (yes/mod/no): "), out
        c.call("mod")
        c.call("10")
        assert run_block(c.call(str(by_dir)).decode())["Where"] == str(by_dir)
        rid = queued(c.call("yes").decode())
        assert "Restore OK" in finish(c, rid)

        # mod with arguments: the run command's keywords.
        out = c.call(f"restore client=fd file={data / 'top.txt'}").decode()
        assert "\n1 file selected to be restored.\n" in out, out
        by_file = tmp_path / "by-file"
        out = c.call(f"mod where={by_file} replace=ifnewer priority=5").decode()
        params = run_block(out)
        assert (params["Where"], params["Replace"], params["Priority"]) == (
            str(by_file), "IfNewer", "5"), params  # fmt: skip
        assert c.call("maybe").decode() == "Illegal response maybe\nOK to run? (yes/mod/no): "
        rid = queued(c.call("yes").decode())
        assert "Restore OK" in finish(c, rid)

    restored = restored_root(by_dir, data)
    top_level = {p.name: p.read_bytes() for p in data.iterdir() if not p.is_dir()}
    assert {p.name: p.read_bytes() for p in restored.iterdir()} == top_level
    restored = restored_root(by_file, data)
    assert [p.name for p in restored.iterdir()] == ["top.txt"]
    assert (restored / "top.txt").read_text() == "changed after the full\n"


def test_restore_before_a_time_files_by_name_and_command_line_forms(tmp_path: Path) -> None:
    lab = build_lab(tmp_path)
    data = lab.data
    top = data / "top.txt"
    time.sleep(1.1)
    with lab.running():
        c = lab.console()
        full = queue(c, "run job=backup level=Full yes")
        assert "Backup OK" in finish(c, full)
        time.sleep(1.1)
        cut = time.strftime("%Y-%m-%d %H:%M:%S")  # after the Full started, before the Incremental
        time.sleep(1.1)
        top.write_text("changed after the full\n")
        incr = queue(c, "run job=backup level=Incremental yes")
        assert "Backup OK" in finish(c, incr)

        # Item 6: the backup set before a time (a short date is completed).
        c.call("restore")
        out = c.call("6").decode()
        assert out == ("The restored files will the most current backup\n"
                       "BEFORE the date you specify below.\n\n"
                       "Enter date as YYYY-MM-DD HH:MM:SS :"), out  # fmt: skip
        assert c.call("yesterday").decode() == ("Improper date format.\n"
                                                "Enter date as YYYY-MM-DD HH:MM:SS :")  # fmt: skip
        assert c.call("2020").decode() == CLIENTS_PROMPT
        out = c.call("1").decode()
        assert "No Full backup before 2020-01-01 00:00:00 found.\n" in out, out
        c.call("restore")
        c.call("6")
        assert c.call(cut).decode() == CLIENTS_PROMPT
        out = c.call("1").decode()
        assert f"You have selected the following JobId: {full}\n" in out, out
        assert out.endswith("$ "), out
        assert c.call("quit").decode() == "Restore not done.\n"

        # Item 8: files by name before a time (the Full's version); item 7: the newest.
        c.call("restore")
        c.call("8")
        assert c.call(cut).decode() == CLIENTS_PROMPT
        out = c.call("1").decode()
        assert out == ("Enter file names with paths, or < to enter a filename\n"
                       "containing a list of file names with paths, and Terminate\n"
                       "them with a blank line.\n"
                       "Enter full filename: "), out  # fmt: skip
        assert c.call(str(top)).decode() == "Enter full filename: "
        assert c.call("/no/such/file").decode() == ("No database record found for: "
                                                    "/no/such/file\nEnter full filename: ")  # fmt: skip
        out = c.call("").decode()
        assert "\n1 file selected to be restored.\n" in out, out
        old = tmp_path / "old"
        c.call("mod")
        c.call("10")
        c.call(str(old))
        rid = queued(c.call("yes").decode())
        assert "Restore OK" in finish(c, rid)
        assert (restored_root(old, data) / "top.txt").read_text() == "top level\n"

        # Item 7, as Bareos does it: a found file adds its JobId to the selection, and the
        # next names are looked up in the selected JobIds only.
        c.call("restore")
        c.call("7")
        c.call("1")  # the client
        assert c.call(str(top)).decode() == "Enter full filename: "  # the Incremental's
        out = c.call(str(data / "run.sh")).decode()
        assert out == f"No database record found for: {data / 'run.sh'}\nEnter full filename: "
        out = c.call("").decode()
        assert "\n1 file selected to be restored.\n" in out, out
        assert c.call("no").decode() == "Job not run.\n"
        c.call("restore")
        c.call("7")
        c.call("1")  # the client
        c.call(str(data / "run.sh"))  # the Full's: top.txt is then the Full's version too
        c.call(str(top))
        out = c.call("").decode()
        assert "\n2 files selected to be restored.\n" in out, out
        assert c.call("no").decode() == "Job not run.\n"

        # The command-line forms.
        new = tmp_path / "new"
        out = c.call(f"restore client=fd file={top} where={new} yes").decode()
        assert "\n1 file selected to be restored.\n" in out and "Building" not in out, out
        assert "Restore OK" in finish(c, queued(out))
        assert (restored_root(new, data) / "top.txt").read_text() == "changed after the full\n"
        out = c.call(f'restore client=fd file={top} before="{cut}" done').decode()
        assert "\n1 file selected to be restored.\n" in out, out
        assert c.call("no").decode() == "Job not run.\n"
        out = c.call(f"restore client=fd file=/nope directory={data}/ yes").decode()
        assert ("No database record found for: /nope\nNo JobId specified cannot continue.\n"
                "No files selected to be restored.\n") in out, out  # fmt: skip
        out = c.call(f"restore client=fd jobid={full} directory={data} yes").decode()
        assert f"No database record found for: {data}\n" in out, out  # no slash added here
        whole = tmp_path / "whole"
        out = c.call(f"restore jobid={incr} select all done where={whole} yes").decode()
        assert re.search(r"^Selecting jobs to build the Full state at \d{4}-\d\d-\d\d ", out,
                         re.M), out  # fmt: skip
        assert f"You have selected the following JobIds: {full},{incr}\n" in out, out
        assert "Restore OK" in finish(c, queued(out))
        out = c.call("restore client=fd select pool=Nope all done").decode()
        assert out.endswith('Error: Pool resource "Nope" does not exist.\n'), out
        out = c.call("restore client=fd select pool=Full storage=File0 all done").decode()
        assert f"You have selected the following JobIds: {full},{incr}\n" in out, out
        assert "Warning default storage overridden" not in out, out  # the same storage
        assert c.call("no").decode() == "Job not run.\n"
        out = c.call("restore client=fd select before=2020 all done").decode()
        assert "No Full backup before 2020-01-01 00:00:00 found.\n" in out, out
        out = c.call(f'restore jobid={full} before="{cut}"').decode()
        assert out.endswith(f"A job was already explicitly chosen via 'jobid={full}' which is "
                            f"incompatible with choosing a job by date 'before={cut}'\n"), out  # fmt: skip
        out = c.call("restore before=tomorrow").decode()
        assert out.endswith("Improper date format: tomorrow\n"), out
        out = c.call("restore current before=2020").decode()
        assert out.endswith("A date was already chosen via 'current'. Cannot choose another "
                            "one via 'before=2020'\n"), out  # fmt: skip
        out = c.call("restore client=fd file=?b21234 yes").decode()
        assert out.endswith("No table found: b21234\nNo files selected to be restored.\n"), out
        assert c.call("restore directory").decode().endswith("Missing value for keyword: "
                                                             "directory\n")  # fmt: skip

    assert snapshot(restored_root(whole, data)) == snapshot(data)


RELOCATION = ("This will replace your current Where value\n1: Strip prefix\n2: Add prefix\n"
              "3: Add file suffix\n4: Enter a regexp\n5: Test filename manipulation\n"
              "6: Use this ?\nSelect parameter to modify (1-6): ")  # fmt: skip


def test_restore_file_relocation(tmp_path: Path) -> None:
    """RegexWhere: the mod menu's File Relocation and strip_prefix=/add_prefix=/add_suffix=."""
    lab = build_lab(tmp_path)
    data = lab.data
    top = data / "top.txt"
    moved = tmp_path / "moved"
    with lab.running():
        c = lab.console()
        full = queue(c, "run job=backup level=Full yes")
        assert "Backup OK" in finish(c, full)
        out = c.call(f"restore client=fd file={top} file={data / 'run.sh'}").decode()
        assert out.endswith("OK to run? (yes/mod/no): "), out
        c.call("mod")
        out = c.call("11").decode()
        assert out == "strip_prefix=*None* add_prefix=*None* add_suffix=*None*\n" + RELOCATION
        assert c.call("1").decode() == "Please enter the path prefix to strip: "
        c.call(f"{data}/")
        assert c.call("2").decode() == "Please enter the path prefix to add (/ for none): "
        c.call(f"{moved}/")
        assert c.call("3").decode() == "Please enter the file suffix to add: "
        out = c.call(".old").decode()
        assert out == (f"strip_prefix={data}/ add_prefix={moved}/ add_suffix=.old\n"
                       + RELOCATION)  # fmt: skip
        expr = f"!{data}/!!i,!([^/])$!$1.old!,!^!{moved}/!"
        out = c.call("5").decode()
        assert out == (f"strip_prefix={data}/ add_prefix={moved}/ add_suffix=.old result={expr}\n"
                       "Enter a period (.) to stop this test\n"
                       "Please enter filename to test: "), out  # fmt: skip
        out = c.call(f"{data}/sub/x.txt").decode()
        assert out == f"{data}/sub/x.txt -> {moved}/sub/x.txt.old\nPlease enter filename to test: "
        assert c.call(".").decode().startswith("strip_prefix=")
        params = run_block(c.call("6").decode())
        assert params["RegexWhere"] == expr and "Where" not in params, params
        assert "Restore OK" in finish(c, queued(c.call("yes").decode()))

        # mod key=value as ScanCommandLineArguments: a bad keyword ends it with that alone.
        c.call(f"restore client=fd file={top}")
        assert c.call("mod foo=1").decode() == "Invalid keyword: foo\n"
        c.call(f"restore client=fd file={top}")
        assert c.call("mod priority=0 when=soon").decode() == (
            "Priority must be positive nonzero setting it to 10.\n"
            'Invalid time specification in when; expected: "YYYY-MM-DD HH:MM:SS"\n'
            "Job not run.\n")  # fmt: skip

        # When: the job waits for its start time.
        c.call(f"restore client=fd file={top} where={tmp_path / 'later'}")
        start = time.time()
        when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(start + 2))
        assert run_block(c.call(f'mod when="{when}"').decode())["When"] == when
        rid = queued(c.call("yes").decode())
        assert re.search(rf"^\|\s+{rid} \|.*\| C\s+\|$", c.call("list jobs").decode(), re.M)
        assert "Restore OK" in finish(c, rid)
        assert time.time() - start >= 1

        # The same from the command line (they make the same expression).
        again = tmp_path / "again"
        out = c.call(f"restore client=fd file={top} strip_prefix={data}/ add_prefix={again}/ "
                     "add_suffix=.bak yes").decode()  # fmt: skip
        assert "Restore OK" in finish(c, queued(out))

    assert sorted(p.name for p in moved.iterdir()) == ["run.sh.old", "top.txt.old"]
    assert (moved / "top.txt.old").read_bytes() == top.read_bytes()
    assert (moved / "run.sh.old").stat().st_mode & 0o777 == 0o755
    assert [p.name for p in again.iterdir()] == ["top.txt.bak"]
