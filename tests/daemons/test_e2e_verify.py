"""Verify jobs end to end: Director and File daemon emulators (the disk levels need no SD).

A backup, then ``Level=DiskToCatalog`` against it; ``InitCatalog`` then
``Catalog``.  The assertions are on the job log the console shows: the
report's ``Termination:`` and the per-file difference lines in the wording of
Bareos's ``dird/verify.cc``.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
from pathlib import Path

import pytest

from tests.daemons.conftest import Bare, write_config
from tests.daemons.test_e2e_jobs import Lab, build_lab, finish, jobs_table, queue

pytestmark = pytest.mark.slow


def add_verify_jobs(lab: Lab) -> None:
    fs_dir = lab.root / "dir" / "bareos-dir.d" / "fileset"
    (fs_dir / "VerifySet.conf").write_text(
        "FileSet {\n  Name = VerifySet\n  Include {\n    Options {\n      Signature = MD5\n"
        f'      Verify = pins5\n    }}\n    File = "{lab.data}"\n  }}\n}}\n'
    )
    common = {"Type": Bare("Verify"), "Client": "fd", "FileSet": "VerifySet", "Pool": "Full",
              "Messages": "Standard"}  # fmt: skip
    write_config(lab.root / "dir", "bareos-dir.d", [
        ("Job", {"Name": "verify-disk", "Level": Bare("DiskToCatalog"), "Verify Job": "backup",
                 **common}),
        ("Job", {"Name": "verify-cat", "Level": Bare("Catalog"), **common}),
    ])  # fmt: skip


def md5_text(path: Path) -> str:
    return base64.b64encode(hashlib.md5(path.read_bytes()).digest()).decode().rstrip("=")


def job_lines(messages: str, job_id: int) -> list[str]:
    """The text after ``JobId <n>: `` of each of the job's log lines."""
    return [m.group(1) for m in re.finditer(rf"JobId {job_id}: (.*)", messages)]


def test_disk_to_catalog_ok_then_differences(tmp_path: Path) -> None:
    lab = build_lab(tmp_path)
    add_verify_jobs(lab)
    with lab.running():
        c = lab.console()
        backup_id = queue(c, "run job=backup yes")
        assert "Backup OK" in finish(c, backup_id)

        ok_id = queue(c, "run job=verify-disk yes")
        msgs = finish(c, ok_id)
        lines = job_lines(msgs, ok_id)
        assert any(line.startswith(f"Verifying against JobId={backup_id} Job=backup.")
                   for line in lines), msgs  # fmt: skip
        assert f"Start Verify JobId={ok_id} Level=DiskToCatalog Job=verify-disk." in msgs
        assert "  Verify Level:           DiskToCatalog\n" in msgs
        assert "  Verify Job:             backup\n" in msgs
        assert "  FD termination status:  OK\n" in msgs
        assert "  Termination:            Verify OK\n" in msgs, msgs
        entries = sum(1 for _ in lab.data.rglob("*")) + 1  # and the top directory
        assert f"  Files Examined:         {entries}\n" in msgs

        top = lab.data / "top.txt"
        before = top.stat().st_size
        cat_md5 = md5_text(top)
        top.write_text("top level, changed after the backup\n")
        (lab.data / "empty.txt").unlink()
        (lab.data / "new.txt").write_text("new\n")
        diff_id = queue(c, "run job=verify-disk yes")
        msgs = finish(c, diff_id)
        lines = job_lines(msgs, diff_id)
        i = lines.index(f"File: {top}")
        assert lines[i + 1] == f"      st_size  differ. Cat: {before} File: {top.stat().st_size}"
        assert lines[i + 2] == f"      MD5 digest differs. File={md5_text(top)} Cat={cat_md5}"
        assert f"New file: {lab.data / 'new.txt'}" in lines
        # (Bareos prefixes a warning with "Warning: "; the emulator's job log has no prefixes.)
        j = [
            k
            for k, line in enumerate(lines)
            if line.endswith("The following files are in the Catalog but not on disk:")
        ][0]
        assert lines[j + 1] == f"      {lab.data / 'empty.txt'}"
        assert "  Termination:            Verify Differences\n" in msgs, msgs
        assert jobs_table(c)[diff_id] == "D"
        assert jobs_table(c)[ok_id] == "T"


def test_init_catalog_then_catalog(tmp_path: Path) -> None:
    lab = build_lab(tmp_path)
    add_verify_jobs(lab)
    with lab.running():
        c = lab.console()
        none_id = queue(c, "run job=verify-cat yes")
        msgs = finish(c, none_id)
        assert "Unable to find JobId of previous InitCatalog Job." in msgs
        assert "  Termination:            *** Verify Error ***\n" in msgs

        init_id = queue(c, "run job=verify-cat level=InitCatalog yes")
        msgs = finish(c, init_id)
        assert "  Verify Level:           InitCatalog\n" in msgs
        assert "  Termination:            Verify OK\n" in msgs, msgs

        ok_id = queue(c, "run job=verify-cat yes")
        msgs = finish(c, ok_id)
        assert f"Verifying against JobId={init_id} Job=verify-cat." in msgs
        assert "  Termination:            Verify OK\n" in msgs, msgs

        script = lab.data / "run.sh"
        script.chmod(0o700)
        diff_id = queue(c, "run job=verify-cat yes")
        msgs = finish(c, diff_id)
        lines = job_lines(msgs, diff_id)
        i = lines.index(f"File: {script}")
        assert lines[i + 1] == "      st_mode  differ. Cat: 81ed File: 81c0"
        assert "  Termination:            Verify Differences\n" in msgs
        assert os.stat(script).st_mode == 0o100700


# ---------------------------------------------------------------- VolumeToCatalog


def add_volume_jobs(lab: Lab) -> None:
    write_config(lab.root / "dir", "bareos-dir.d", [
        ("Job", {"Name": f"verify-vol{sfx}", "Type": Bare("Verify"),
                 "Level": Bare("VolumeToCatalog"), "Verify Job": f"backup{sfx}",
                 "Client": client, "FileSet": "Data", "Storage": "File0", "Pool": "Full",
                 "Messages": "Standard"})
        for sfx, client in (("", "fd"), ("-passive", "fd-passive"))
    ])  # fmt: skip


def _runs_of(words: list[str], marker: str) -> list[list[str]]:
    """The command sequences (from a job's ``JobId=`` on) that contain ``marker``."""
    runs: list[list[str]] = []
    for w in words:
        if w == "JobId":
            runs.append([])
        if runs:
            runs[-1].append(w)
    return [r[: r.index("run") + 1] if "run" in r else r for r in runs if marker in r]


def test_volume_to_catalog_reads_the_volume_back(tmp_path: Path) -> None:
    import sqlite3

    lab = build_lab(tmp_path)
    add_volume_jobs(lab)
    entries = sum(1 for _ in lab.data.rglob("*")) + 1
    with lab.running():
        c = lab.console()
        for sfx in ("", "-passive"):
            backup_id = queue(c, f"run job=backup{sfx} yes")
            assert "Backup OK" in finish(c, backup_id)
            vol_id = queue(c, f"run job=verify-vol{sfx} yes")
            msgs = finish(c, vol_id)
            assert f"Verifying against JobId={backup_id} Job=backup{sfx}." in msgs, msgs
            assert f"Start Verify JobId={vol_id} Level=VolumeToCatalog Job=verify-vol" in msgs
            assert f'JobId {vol_id}: Using Device "FileStorage" to read.' in msgs, msgs
            assert "  Verify Level:           VolumeToCatalog\n" in msgs
            assert f"  Files Expected:         {entries}\n" in msgs, msgs
            assert f"  Files Examined:         {entries}\n" in msgs, msgs
            assert "  SD termination status:  OK\n" in msgs, msgs
            assert "  Termination:            Verify OK\n" in msgs, msgs
            assert jobs_table(c)[vol_id] == "T"
        # The commands in Bareos's order (DoVerify), as the SD and the FD saw them.
        sd_words = [e["command"] for e in lab.sd().events("command.received")]
        fd_words = [e["command"] for e in lab.fd.events("command.received")]
        active_sd = ["JobId", "bootstrap", "getSecureEraseCmd", "use storage", "run"]
        passive_sd = ["JobId", "bootstrap", "getSecureEraseCmd", "use storage", "passive", "run"]
        assert _runs_of(sd_words, "bootstrap") == [active_sd, passive_sd], sd_words
        assert _runs_of(fd_words, "verify")[-2:] == [
            ["JobId", "fileset", "storage", "verify"],
            ["JobId", "fileset", "verify"],
        ], fd_words

        # The volume still holds the old digest of top.txt: change the catalog's copy.
        db = sqlite3.connect(tmp_path / "dir" / "work" / "bareosnet-catalog.sqlite")
        with db:
            db.execute("UPDATE File SET MD5='AAAAAAAAAAAAAAAAAAAAAA' WHERE JobId=? AND Name=?",
                       (backup_id, "top.txt"))  # fmt: skip
        db.close()
        diff_id = queue(c, "run job=verify-vol-passive yes")
        msgs = finish(c, diff_id)
        lines = job_lines(msgs, diff_id)
        top = lab.data / "top.txt"
        i = lines.index(f"File: {top}")
        assert lines[i + 1] == (f"      MD5 digest differs. File={md5_text(top)} "
                                "Cat=AAAAAAAAAAAAAAAAAAAAAA")  # fmt: skip
        assert "  Termination:            Verify Differences\n" in msgs, msgs
