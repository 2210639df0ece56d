"""FileSet options end to end: Director, File daemon and Storage daemon emulators.

Each test adds FileSets and Jobs to the lab of ``test_e2e_jobs``, runs every
job's backup, restores it, compares the restored tree with the original, and
checks the catalog's digests (``File.MD5``) against hashlib / xxhash run by
the test itself on the original files.
"""

from __future__ import annotations

import base64
import hashlib
import os
import sqlite3
from pathlib import Path

import pytest
import xxhash

from tests.daemons.conftest import Bare, write_config
from tests.daemons.test_e2e_jobs import (
    Lab,
    build_lab,
    finish,
    queue,
    restored_root,
    snapshot,
)

pytestmark = pytest.mark.slow

HASHES = {
    "MD5": (3, hashlib.md5),
    "SHA1": (10, hashlib.sha1),
    "SHA256": (17, hashlib.sha256),
    "SHA512": (18, hashlib.sha512),
    "XXH128": (40, xxhash.xxh3_128),
}


def add_job(lab: Lab, name: str, options: str, *, include: str = "", exclude: str = "") -> None:
    """A FileSet ``name`` (one Include with ``options`` over the data tree) and a Job."""
    fs_dir = lab.root / "dir" / "bareos-dir.d" / "fileset"
    files = include or f'    File = "{lab.data}"\n'
    text = f"FileSet {{\n  Name = {name}\n  Include {{\n    Options {{\n{options}\n    }}\n{files}  }}\n"
    if exclude:
        text += f"  Exclude {{\n{exclude}\n  }}\n"
    (fs_dir / f"{name}.conf").write_text(text + "}\n")
    write_config(lab.root / "dir", "bareos-dir.d", [
        ("Job", {"Name": name, "Type": Bare("Backup"), "Level": Bare("Full"), "Client": "fd",
                 "FileSet": name, "Storage": "File0", "Pool": "Full", "Messages": "Standard"}),
    ])  # fmt: skip


def catalog_files(lab: Lab, job_id: int) -> dict[str, tuple[str, int]]:
    """path+name -> (MD5 column, DigestStream) of one job's files."""
    db = sqlite3.connect(lab.root / "dir" / "work" / "bareosnet-catalog.sqlite")
    try:
        rows = db.execute(
            "SELECT Path, Name, MD5, DigestStream FROM File WHERE JobId=?", (job_id,)
        ).fetchall()
    finally:
        db.close()
    return {p + n: (md5, stream) for p, n, md5, stream in rows}


def independent_digest(path: Path, algo: str) -> str:
    h = HASHES[algo][1]()
    h.update(path.read_bytes())
    return base64.b64encode(h.digest()).decode().rstrip("=")


def regular_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file() and not p.is_symlink())


def backup_and_restore(lab: Lab, job: str, where: Path) -> tuple[int, str, str]:
    c = lab.console()
    backup_id = queue(c, f"run job={job} yes")
    msgs = finish(c, backup_id)
    assert "  Termination:            Backup OK\n" in msgs, msgs
    restore_id = queue(c, f"restore client=fd jobid={backup_id} where={where} all done yes")
    rmsgs = finish(c, restore_id)
    assert "  Termination:            Restore OK\n" in rmsgs, rmsgs
    return backup_id, msgs, rmsgs


def test_every_signature_reaches_the_catalog_as_bareos_stores_it(tmp_path: Path) -> None:
    lab = build_lab(tmp_path)
    for algo in HASHES:
        add_job(lab, f"sig-{algo}", f"      Signature = {algo}")
    original = snapshot(lab.data)
    with lab.running():
        for algo, (stream, _) in HASHES.items():
            where = tmp_path / f"restored-{algo}"
            backup_id, _, _ = backup_and_restore(lab, f"sig-{algo}", where)
            assert snapshot(restored_root(where, lab.data)) == original, algo
            catalog = catalog_files(lab, backup_id)
            files = regular_files(lab.data)
            assert files
            for f in files:
                assert catalog[str(f)] == (independent_digest(f, algo), stream), (algo, f)
    warnings = lab.fd.events("backup.digest_unavailable")
    assert warnings == []
