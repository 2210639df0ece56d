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
import re
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


# ---------------------------------------------------------------- compression and sparse

BLOCK = 256 * 1024  # the FD's default Maximum Network Buffer Size
SPARSE_BLOCK = BLOCK - 8  # a sparse read leaves room for the 8-byte offset


def add_compressible_and_sparse_files(data: Path) -> Path:
    """A text file of three network blocks and a sparse file with holes of several blocks."""
    words = b"".join(b"line %d of a file that compresses well\n" % i for i in range(20000))
    (data / "text.log").write_bytes(words)
    sparse = data / "sparse.img"
    with sparse.open("wb") as f:
        f.write(b"head" * 1000)
        f.seek(5 * BLOCK)
        f.write(os.urandom(5000))
        f.truncate(10 * BLOCK + 123)  # ends in a hole: the last block still travels
    return sparse


def sparse_digest(path: Path) -> str:
    """MD5 of what a sparse backup sends: full all-zero blocks before the end are skipped."""
    h = hashlib.md5()
    raw = path.read_bytes()
    for start in range(0, len(raw), SPARSE_BLOCK):
        block = raw[start : start + SPARSE_BLOCK]
        inner = len(block) == SPARSE_BLOCK and start + len(block) < len(raw)
        if inner and block.count(0) == len(block):
            continue
        h.update(block)
    return base64.b64encode(h.digest()).decode().rstrip("=")


COMPRESSIONS = ["GZIP", "GZIP1", "GZIP9", "LZO", "LZFAST", "LZ4", "LZ4HC"]


def test_every_compression_and_sparse_restore_the_tree(tmp_path: Path) -> None:
    lab = build_lab(tmp_path)
    sparse = add_compressible_and_sparse_files(lab.data)
    jobs: dict[str, tuple[str | None, bool]] = {}
    for comp in COMPRESSIONS:
        jobs[f"comp-{comp}"] = (comp, False)
    jobs["sparse"] = (None, True)
    jobs["sparse-GZIP"] = ("GZIP", True)
    jobs["sparse-LZ4"] = ("LZ4", True)
    for name, (comp, is_sparse) in jobs.items():
        opts = "      Signature = MD5\n"
        if comp:
            opts += f"      Compression = {comp}\n"
        if is_sparse:
            opts += "      Sparse = yes\n"
        add_job(lab, name, opts)
    original = snapshot(lab.data)
    total = sum(p.stat().st_size for p in regular_files(lab.data))
    with lab.running():
        for name, (comp, is_sparse) in jobs.items():
            where = tmp_path / f"restored-{name}"
            backup_id, msgs, _ = backup_and_restore(lab, name, where)
            restored = restored_root(where, lab.data)
            assert snapshot(restored) == original, name
            catalog = catalog_files(lab, backup_id)
            for f in regular_files(lab.data):
                want = sparse_digest(f) if is_sparse else independent_digest(f, "MD5")
                assert catalog[str(f)] == (want, 3), (name, f)
            fd_bytes = int(re.search(r"  FD Bytes Written:\s+([\d,]+)", msgs)[1].replace(",", ""))  # type: ignore[index]
            if comp:
                assert fd_bytes < total / 2, (name, fd_bytes, total)  # the text compresses
                report = rf"  Software Compression:   \d+\.\d % \({comp.lower()}\)\n"
                assert re.search(report, msgs), msgs
            else:
                assert "  Software Compression:   None\n" in msgs, msgs
            if is_sparse:
                # holes were skipped on the wire and stay holes on disk
                assert fd_bytes < total - 6 * BLOCK, (name, fd_bytes)
                assert (restored / sparse.name).stat().st_blocks * 512 < 4 * BLOCK


# ---------------------------------------------------------------- selection: wild, regex, exclude


def test_wild_regex_exclude_and_client_program_items(tmp_path: Path) -> None:
    lab = build_lab(tmp_path)
    (lab.data / "cache.tmp").write_text("temporary\n")
    (lab.data / "deep" / "a" / "build").mkdir()
    (lab.data / "deep" / "a" / "build" / "out.o").write_bytes(b"\x7fELF")
    (lab.data / "notes.bak").write_text("old\n")
    # One Include: the data tree comes from a program run on the client ("\\|" in the config).
    program = f"      File = \"\\\\|sh -c 'echo {lab.data}'\"\n"
    add_job(
        lab,
        "select",
        '      Signature = MD5\n      WildFile = "*.tmp"\n      RegexDir = "/build$"\n'
        "      Exclude = yes\n    }\n    Options {\n      Signature = MD5\n",
        include=program,
        exclude=f'    File = "*.bak"\n    File = "{lab.data}/empty dir"',
    )
    expected = {
        k: v
        for k, v in snapshot(lab.data).items()
        if not (k.endswith((".tmp", ".bak")) or k.startswith(("deep/a/build", "empty dir")))
    }
    with lab.running():
        where = tmp_path / "restored"
        backup_id, msgs, _ = backup_and_restore(lab, "select", where)
        catalog = catalog_files(lab, backup_id)
    assert snapshot(restored_root(where, lab.data)) == expected
    assert not any(name.endswith((".tmp", ".bak", ".o")) for name in catalog)
    for f in regular_files(lab.data):
        rel = str(f.relative_to(lab.data))
        if rel in expected:
            assert catalog[str(f)] == (independent_digest(f, "MD5"), 3), rel
    fd_programs = lab.fd.events("fileset.program")
    assert [e["items"] for e in fd_programs] == [1], fd_programs


# ---------------------------------------------------------------- accurate


def test_accurate_incremental_by_the_filesets_accurate_letters(tmp_path: Path) -> None:
    lab = build_lab(tmp_path)
    add_job(lab, "acc", '      Signature = MD5\n      Accurate = "s5"')
    job_file = lab.root / "dir" / "bareos-dir.d" / "job" / "acc.conf"
    job_file.write_text(job_file.read_text().replace("}", "  Accurate = yes\n}", 1))
    with lab.running():
        c = lab.console()
        full = queue(c, "run job=acc level=Full yes")
        assert "Backup OK" in finish(c, full)
        # Same size and times, other bytes: only the digest ("5") sees it.
        top = lab.data / "top.txt"
        st = top.stat()
        top.write_text("TOP LEVEL\n")
        os.utime(top, ns=(st.st_atime_ns, st.st_mtime_ns))
        # Other times, same size and bytes: "s5" does not look at times.
        os.utime(lab.data / "run.sh", (1_000_000_000, 1_000_000_000))
        (lab.data / "empty.txt").unlink()
        incr = queue(c, "run job=acc level=Incremental yes")
        msgs = finish(c, incr)
        assert "  Termination:            Backup OK\n" in msgs, msgs
        catalog = catalog_files(lab, incr)
        saved = {name for name in catalog if not name.endswith("/")}
        assert saved == {str(top), str(lab.data / "empty.txt")}, catalog
        assert catalog[str(top)] == (independent_digest(top, "MD5"), 3)
        where = tmp_path / "restored"
        out = c.call(f"restore client=fd where={where} select all done yes").decode()
        rid = int(re.search(r"Job queued\. JobId=(\d+)", out)[1])  # type: ignore[index]
        assert "  Termination:            Restore OK\n" in finish(c, rid)
    restored = snapshot(restored_root(where, lab.data))
    assert restored == snapshot(lab.data)
