"""Console-side job features over the three emulators: estimate, Accurate incrementals,
the interactive restore (menu, file tree, run prompt) and list jobs of a restore.

One lab, driven with python-bareos as a console user would: ``call`` returns at
each of the Director's prompts (``BNET_SUB_PROMPT``), the next ``call`` answers it.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from tests.daemons.test_e2e_jobs import build_lab, finish, job_name, queue, restored_root, snapshot

CLIENTS_PROMPT = "Defined Clients:\n1: fd\n2: fd-passive\nSelect the Client (1-2): "

pytestmark = pytest.mark.slow

ACCURATE_JOB = """Job {
  Name = "backup-accurate"
  Type = Backup
  Level = Full
  Accurate = yes
  Client = "fd"
  FileSet = "Data"
  Storage = "File0"
  Pool = "Full"
  Messages = "Standard"
}
"""


def tree_sizes(root: Path) -> tuple[int, int]:
    """(entries an estimate counts, bytes of regular files) of a tree, top directory included."""
    entries, size = 1, 0
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            st = (Path(dirpath) / name).lstat()
            entries += 1
            if name in filenames and os.path.isfile(Path(dirpath) / name):
                size += st.st_size
    return entries, size


def test_estimate_accurate_incremental_and_interactive_restore(tmp_path: Path) -> None:
    lab = build_lab(tmp_path)
    (tmp_path / "dir" / "bareos-dir.d" / "job" / "backup-accurate.conf").write_text(ACCURATE_JOB)
    with lab.running():
        # estimate listing: one ls line per file, then the FD's count (its own console:
        # python-bareos stops reading at the "2000 OK" line, before the EOD).
        est = lab.console()
        out = est.call("estimate job=backup-accurate listing").decode()
        est.close()
        entries, size = tree_sizes(lab.data)
        assert out.startswith('Using Catalog "MyCatalog"\nConnecting to Client fd at 127.0.0.1:')
        assert f"2000 OK estimate files={entries:,} bytes={size:,}\n" in out, out
        listed = [ln for ln in out.splitlines() if re.match(r"^[-dl][-rwxsStT]{9}  ", ln)]
        assert len(listed) == entries
        assert any(ln.endswith(f"  {lab.data / 'top.txt'}") for ln in listed), listed

        c = lab.console()
        full = queue(c, "run job=backup-accurate yes")
        fmsgs = finish(c, full)
        assert "  Termination:            Backup OK\n" in fmsgs, fmsgs
        assert "  Accurate:               yes\n" in fmsgs

        (lab.data / "top.txt").write_text("changed, and longer than before\n")
        (lab.data / "empty.txt").unlink()
        incr = queue(c, "run job=backup-accurate level=Incremental yes")
        msgs = finish(c, incr)
        assert "  Termination:            Backup OK\n" in msgs, msgs
        assert f"Sending Accurate information (estimated {entries} files).\n" in msgs, msgs
        assert re.search(rf"Sent Accurate information for {entries} files \(skipping 0 deleted "
                         r"files\) in 00:00:\d\d\.\n", msgs), msgs  # fmt: skip
        files = c.call(f"list files jobid={incr}").decode()
        assert "top.txt" in files and "empty.txt" in files  # changed + recorded as deleted
        assert "run.sh" not in files

        # The interactive restore: menu item 5, the tree, mark, estimate, done, yes.
        where = tmp_path / "restored"
        out = c.call(f"restore where={where}").decode()
        assert "First you select one or more JobIds that contain files\n" in out, out
        assert " 5: Select the most recent backup for a client\n" in out, out
        assert "\n12: Select full restore to a specified Job date\n13: Cancel\n" in out, out
        assert out.endswith("Select item:  (1-13): "), out
        # Bareos offers every Client of the catalog (fd-passive too, it ran no job).
        assert c.call("5").decode().endswith(CLIENTS_PROMPT)
        out = c.call("1").decode()
        assert f"You have selected the following JobIds: {full},{incr}\n" in out, out
        assert f"\nBuilding directory tree for JobId(s) {full},{incr} ...  " in out
        assert "You are now entering file selection mode" in out and out.endswith("cwd is: /\n$ ")
        out = c.call(f'cd "{lab.data}"').decode()
        assert out == f"cwd is: {lab.data}/\n$ ", out
        ls = c.call("ls").decode()
        assert "top.txt\n" in ls and "empty.txt" not in ls and "dir with spaces/\n" in ls, ls
        out = c.call("mark *").decode()
        marked = int(re.match(r"([\d,]+) files newly marked\.\n", out).group(1).replace(",", ""))  # type: ignore[union-attr]
        assert marked == entries - 2  # all but the top directory and the deleted file
        out = c.call("unmark run.sh").decode()
        assert out == "1 file newly unmarked.\n$ "
        assert c.call("ls run.sh").decode() == "run.sh\n$ "
        assert c.call("ls top.txt").decode() == "*top.txt\n$ "
        out = c.call("done").decode()
        assert f"\n{marked - 1} files selected to be restored.\n" in out, out
        assert "Run Restore job\nJobName:         RestoreFiles\n" in out, out
        assert f"Where:           {where}\n" in out and "Backup Client:   fd\n" in out
        assert out.endswith("OK to run? (yes/mod/no): "), out
        assert c.call("maybe").decode().startswith("Illegal response maybe\n")
        rid = queue(c, "yes")
        rmsgs = finish(c, rid)
        assert "  Termination:            Restore OK\n" in rmsgs, rmsgs
        assert job_name(rmsgs, rid).startswith("RestoreFiles.")
        # list jobs: the restore's level is F, as the real Director records it.
        table = c.call("list jobs").decode()
        row = next(ln for ln in table.splitlines() if re.match(rf"^\|\s+{rid} \|", ln))
        assert re.search(r"\| R\s+\| F\s+\|", row), table
        # Item 12: the state of one backup (the incremental needs its Full).
        c.call("restore")
        assert c.call("12").decode() == "Enter JobId to get the state to restore: "
        out = c.call(str(incr)).decode()
        assert f"You have selected the following JobIds: {full},{incr}\n" in out, out
        assert c.call("quit").decode() == "Restore not done.\n"

    expected = snapshot(lab.data)
    del expected["run.sh"]
    assert snapshot(restored_root(where, lab.data)) == expected


def test_restore_tree_quit_and_cancel_restore_nothing(tmp_path: Path) -> None:
    lab = build_lab(tmp_path)
    with lab.running():
        c = lab.console()
        full = queue(c, "run job=backup yes")
        assert "Backup OK" in finish(c, full)
        out = c.call(f"restore jobid={full}").decode()
        assert f"You have selected the following JobId: {full}\n" in out and out.endswith("$ ")
        assert c.call("mark nosuch").decode() == "No files newly marked.\n$ "
        assert c.call("quit").decode() == "Restore not done.\n"
        out = c.call("restore").decode()
        assert c.call("13").decode() == ""  # Cancel: nothing more said
        # Item 3: the JobIds typed at the prompt; item 1 lists the last jobs first.
        c.call("restore")
        listing = c.call("1").decode()
        # Bareos lists with jcr->gui set here: numbers left-aligned, no thousands commas.
        assert re.search(rf"^\| {full}\s+\| fd\s+\| \d{{4}}-", listing, re.M), listing
        assert listing.endswith("Select item:  (1-13): "), listing
        assert c.call("3").decode() == "Enter JobId(s), comma separated, to restore: "
        out = c.call(str(full)).decode()
        assert f"You have selected the following JobId: {full}\n" in out and out.endswith("$ ")
        assert c.call("abort").decode() == "Restore not done.\n"
        out = c.call(f"restore jobid={full} all done").decode()
        assert "files inserted into the tree and marked for extraction.\n" in out
        assert out.endswith("OK to run? (yes/mod/no): ")
        assert c.call("no").decode() == "Job not run.\n"
        assert [j for j in c.call("list jobs").decode().splitlines() if "| R " in j] == []


VERIFY_CONF = {
    "fileset/DataV.conf": """FileSet {
  Name = DataV
  Include {
    Options {
      Signature = MD5
      Verify = pins5
    }
    File = "%s"
  }
}
""",
    "job/verify.conf": """Job {
  Name = verify
  Type = Verify
  Level = InitCatalog
  Client = fd
  FileSet = DataV
  Storage = File0
  Pool = Full
  Messages = Standard
}
""",
    "job/verify-vol.conf": """Job {
  Name = verify-vol
  Type = Verify
  Level = VolumeToCatalog
  Verify Job = backup
  Client = fd
  FileSet = DataV
  Storage = File0
  Pool = Full
  Messages = Standard
}
""",
    "job/verify-disk.conf": """Job {
  Name = verify-disk
  Type = Verify
  Level = DiskToCatalog
  Verify Job = backup
  Client = fd
  FileSet = DataV
  Storage = File0
  Pool = Full
  Messages = Standard
}
""",
}


def test_verify_init_catalog_and_disk_to_catalog(tmp_path: Path) -> None:
    import base64
    import hashlib
    import sqlite3

    lab = build_lab(tmp_path)
    for rel, text in VERIFY_CONF.items():
        (tmp_path / "dir" / "bareos-dir.d" / rel).write_text(text.replace("%s", str(lab.data)))
    entries, _ = tree_sizes(lab.data)
    with lab.running():
        c = lab.console()
        full = queue(c, "run job=backup yes")
        assert "Backup OK" in finish(c, full)
        init = queue(c, "run job=verify yes")
        msgs = finish(c, init)
        assert f"Start Verify JobId={init} Level=InitCatalog Job=verify." in msgs, msgs
        assert "  Verify Level:           InitCatalog\n" in msgs, msgs
        assert "  Verify JobId:           0\n" in msgs, msgs
        assert f"  Files Examined:         {entries}\n" in msgs, msgs
        assert "  Termination:            Verify OK\n" in msgs, msgs
        same = queue(c, "run job=verify level=Catalog yes")
        msgs = finish(c, same)
        assert f"Verifying against JobId={init} Job=verify." in msgs, msgs
        assert "  Termination:            Verify OK\n" in msgs, msgs

        top = lab.data / "top.txt"
        old_size = top.stat().st_size
        top.write_text("changed after the InitCatalog, longer\n")
        (lab.data / "empty.txt").unlink()
        (lab.data / "new.txt").write_text("new\n")
        diff = queue(c, "run job=verify level=Catalog yes")
        msgs = finish(c, diff)
        assert "  Termination:            Verify Differences\n" in msgs, msgs
        assert f"JobId {diff}: File: {top}\n" in msgs, msgs
        assert (f"      st_size  differ. Cat: {old_size} File: {top.stat().st_size}\n"
                in msgs), msgs  # fmt: skip
        assert re.search(r"      MD5 digest differs\. File=\S+ Cat=\S+\n", msgs), msgs
        assert f"New file: {lab.data / 'new.txt'}\n" in msgs, msgs
        assert "The following files are in the Catalog but not on disk:\n" in msgs, msgs
        assert f"      {lab.data / 'empty.txt'}\n" in msgs, msgs
        disk = queue(c, "run job=verify-disk yes")
        msgs = finish(c, disk)
        assert f"Verifying against JobId={full} Job=backup." in msgs, msgs
        assert "  Verify Level:           DiskToCatalog\n" in msgs, msgs
        assert "  Termination:            Verify Differences\n" in msgs, msgs
        assert f"New file: {lab.data / 'new.txt'}\n" in msgs, msgs
        # VolumeToCatalog reads the backup back through the SD: the volume equals the catalog.
        vol = queue(c, "run job=verify-vol yes")
        msgs = finish(c, vol)
        assert f"Verifying against JobId={full} Job=backup." in msgs, msgs
        assert f"  Files Expected:         {entries}\n" in msgs, msgs
        assert f"  Files Examined:         {entries}\n" in msgs, msgs
        assert "  SD termination status:  OK\n" in msgs, msgs
        assert "  Termination:            Verify OK\n" in msgs, msgs
        status = {j: s for j, s in
                  re.findall(r"^\|\s+(\d+) \|.*\| (\w)\s+\|$", c.call("list jobs").decode(), re.M)}  # fmt: skip
        assert (status[str(init)], status[str(diff)]) == ("T", "D"), status

    # The InitCatalog digests are the files' MD5 (computed here independently).
    db = sqlite3.connect(tmp_path / "dir" / "work" / "bareosnet-catalog.sqlite")
    rows = dict(db.execute("SELECT Name, MD5 FROM File WHERE JobId=? AND Name != ''", (init,)))
    run_sh = (lab.data / "run.sh").read_bytes()
    assert rows["run.sh"] == base64.b64encode(hashlib.md5(run_sh).digest()).decode().rstrip("=")
