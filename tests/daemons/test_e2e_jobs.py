"""Backups, restores and copies between the three emulators, over real sockets.

Every test starts ``bareos-dir-emu``, ``bareos-fd-emu`` and one or two
``bareos-sd-emu`` as subprocesses on generated configuration trees, drives
the Director with python-bareos, and checks three things: what the job
report says, what arrived on disk (every restored file equal in content and
mode to the original), and what the File/Storage daemons logged for the data
connections 6/7/8 (``handshake.ok``: mode, PSK identity ``R_JOB\\x1e<job>``,
TLS version).
"""

from __future__ import annotations

import os
import re
import signal
import stat
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import attrs
import bareos.bsock
import pytest

from tests.daemons.conftest import Bare, write_config
from tests.daemons.test_director_lab import (
    CONSOLE_SECRET,
    DIR,
    FD,
    FD_SECRET,
    SD,
    SD_SECRET,
    stop_all,
)
from tests.support.daemons import DaemonProcess, free_port
from tests.tls.pki import make_pki

pytestmark = pytest.mark.slow

BIG = 5 * 1024 * 1024


# ---------------------------------------------------------------- the data


def make_tree(root: Path, *, big: bool) -> Path:
    """Nested directories, an empty file, odd names, modes; a 5 MB file when ``big``."""
    data = root / "data"
    (data / "dir with spaces" / "sub dir").mkdir(parents=True)
    (data / "ünïcödé" / "ñ").mkdir(parents=True)
    (data / "deep" / "a" / "b" / "c").mkdir(parents=True)
    (data / "empty dir").mkdir()
    (data / "top.txt").write_text("top level\n")
    (data / "empty.txt").write_bytes(b"")
    (data / "dir with spaces" / "file with spaces.txt").write_text("spaces\n")
    (data / "dir with spaces" / "sub dir" / "x.bin").write_bytes(os.urandom(3000))
    (data / "ünïcödé" / "grüße.txt").write_text("UTF-8 name\n")
    (data / "ünïcödé" / "ñ" / "日本語.txt").write_text("more UTF-8\n")
    leaf = data / "deep" / "a" / "b" / "c" / "leaf.txt"
    leaf.write_text("deep\n")
    leaf.chmod(0o600)
    script = data / "run.sh"
    script.write_text("#!/bin/sh\necho hi\n")
    script.chmod(0o755)
    if big:
        (data / "big.bin").write_bytes(os.urandom(BIG))
    return data


def snapshot(root: Path) -> dict[str, tuple[str, int, bytes | None]]:
    """relative path -> (kind, permission bits, content for files)."""
    out: dict[str, tuple[str, int, bytes | None]] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            p = Path(dirpath) / name
            st = p.lstat()
            rel = str(p.relative_to(root))
            if stat.S_ISDIR(st.st_mode):
                out[rel] = ("dir", stat.S_IMODE(st.st_mode), None)
            elif stat.S_ISREG(st.st_mode):
                out[rel] = ("file", stat.S_IMODE(st.st_mode), p.read_bytes())
            else:
                out[rel] = ("other", stat.S_IMODE(st.st_mode), None)
    return out


def restored_root(where: Path, data: Path) -> Path:
    # Bareos puts the original absolute path below ``where``.
    return where / str(data).lstrip("/")


# ---------------------------------------------------------------- the lab


@attrs.define
class Lab:
    root: Path
    data: Path
    dp: int
    fp: int
    sps: list[int]
    fd_args: list[str] = attrs.Factory(list)
    dir_args: list[str] = attrs.Factory(list)
    sd_args: list[str] = attrs.Factory(list)
    procs: dict[str, DaemonProcess] = attrs.Factory(dict)

    def console(self) -> bareos.bsock.DirectorConsole:
        return bareos.bsock.DirectorConsole(address="127.0.0.1", port=self.dp,
                                            password=CONSOLE_SECRET)  # fmt: skip

    @property
    def dir(self) -> DaemonProcess:
        return self.procs["dir"]

    @property
    def fd(self) -> DaemonProcess:
        return self.procs["fd"]

    def sd(self, i: int = 0) -> DaemonProcess:
        return self.procs[f"sd{i}"]

    @contextmanager
    def running(self) -> Iterator[Lab]:
        procs = [DaemonProcess(DIR, self.root / "dir", "--auth-failure-delay", "0", *self.dir_args)]
        procs.append(DaemonProcess(FD, self.root / "fd", "--auth-failure-delay", "0.2",
                                   *self.fd_args))  # fmt: skip
        procs += [DaemonProcess(SD, self.root / f"sd{i}", *self.sd_args)
                  for i in range(len(self.sps))]  # fmt: skip
        names = ["dir", "fd", *[f"sd{i}" for i in range(len(self.sps))]]
        from tests.daemons.test_director_lab import start_all

        start_all(procs)
        self.procs = dict(zip(names, procs, strict=True))
        try:
            yield self
        finally:
            stop_all(procs)


def _tls(mode: str, leaf: Any | None, ca: str | None) -> dict[str, Any]:
    if mode == "cert" and leaf is not None:
        return {"TLS Certificate": leaf.cert, "TLS Key": leaf.key, "TLS CA Certificate File": ca}
    return {}


def build_lab(tmp: Path, *, mode: str = "psk", persona: str = "26", big: bool = False,
              copy: bool = False, fd_bandwidth: int = 0, bad_password: bool = False,
              passive: bool = False) -> Lab:  # fmt: skip
    """Config trees for one Director, one FD (``persona``) and one (two for ``copy``) SDs.

    ``mode``: ``psk`` (Bareos defaults: TLS-PSK everywhere), ``cert`` (the FD and SD have
    certificates: as in Bareos, every connection whose acceptor has one -- the Director's
    connection 3 to the FD, and the data connection 6 or 7 -- becomes a certificate session
    although the connector offers the PSK; CRAM keyed by the session key still
    authenticates the job) or ``clear-fd`` (used
    with persona 17.2: the FD has no TLS; the Director's Client and Storage resources say
    ``TLS Require = no`` so it probes and falls back, and passes the policy as ``ssl=``).
    """
    dp, fp = free_port(), free_port()
    sps = [free_port() for _ in range(2 if copy else 1)]
    data = make_tree(tmp, big=big)
    if mode == "cert":
        (tmp / "pki").mkdir()
    pki = make_pki(tmp / "pki") if mode == "cert" else None
    fd_leaf = pki.leaf("bareos-fd") if pki else None
    sd_leaves = [pki.leaf(f"bareos-sd{i}") for i in range(len(sps))] if pki else [None] * len(sps)
    ca = pki.ca_file if pki else None
    relaxed = {"TLS Require": False} if mode == "clear-fd" else {}
    client_tls = relaxed
    work = tmp / "dir" / "work"
    work.mkdir(parents=True)

    storages = [(f"File{i}", sp) for i, sp in enumerate(sps)]
    resources: list[tuple[str, dict[str, Any]]] = [
        ("Director", {"Name": "bareos-dir", "DirAddress": Bare("127.0.0.1"), "DirPort": dp,
                      "Password": CONSOLE_SECRET, "Working Directory": str(work),
                      "Maximum Concurrent Jobs": 5, "FD Connect Timeout": Bare("5")}),
        ("Catalog", {"Name": "MyCatalog", "DbName": "bareos", "DbUser": "bareos"}),
        ("Messages", {"Name": "Standard", "Console": Bare("all, !skipped, !saved"),
                      "Append": Bare(f'"{work / "bareos.log"}" = all')}),
        ("Client", {"Name": "fd", "Address": Bare("127.0.0.1"), "Port": fp,
                    "Password": "wrong-password" if bad_password else FD_SECRET,
                    "Catalog": "MyCatalog", **client_tls}),
        ("Client", {"Name": "fd-passive", "Address": Bare("127.0.0.1"), "Port": fp,
                    "Password": FD_SECRET, "Catalog": "MyCatalog", "Passive": True,
                    **client_tls}),
        ("Pool", {"Name": "Full", "Pool Type": Bare("Backup"), "Label Format": "Full-",
                  "Storage": "File0", **({"Next Pool": "Copy"} if copy else {})}),
        ("Job", {"Name": "backup", "Type": Bare("Backup"), "Level": Bare("Full"), "Client": "fd",
                 "FileSet": "Data", "Storage": "File0", "Pool": "Full", "Messages": "Standard"}),
        ("Job", {"Name": "backup-passive", "Type": Bare("Backup"), "Level": Bare("Full"),
                 "Client": "fd-passive", "FileSet": "Data", "Storage": "File0", "Pool": "Full",
                 "Messages": "Standard"}),
        ("Job", {"Name": "RestoreFiles", "Type": Bare("Restore"), "Client": "fd",
                 "FileSet": "Data", "Storage": "File0", "Pool": "Full", "Messages": "Standard",
                 "Where": str(tmp / "restore-default")}),
    ]  # fmt: skip
    resources += [("Storage", {"Name": name, "Address": Bare("127.0.0.1"), "Port": sp,
                               "Password": SD_SECRET, "Device": "FileStorage",
                               "Media Type": "File", **relaxed})
                  for name, sp in storages]  # fmt: skip
    if copy:
        resources += [
            ("Pool", {"Name": "Copy", "Pool Type": Bare("Backup"), "Label Format": "Copy-",
                      "Storage": "File1"}),
            ("Job", {"Name": "copy", "Type": Bare("Copy"), "Client": "fd", "FileSet": "Data",
                     "Storage": "File0", "Pool": "Full", "Messages": "Standard",
                     "Selection Type": Bare("PoolUncopiedJobs")}),
        ]  # fmt: skip
    write_config(tmp / "dir", "bareos-dir.d", resources)
    fs_dir = tmp / "dir" / "bareos-dir.d" / "fileset"
    fs_dir.mkdir(parents=True, exist_ok=True)
    (fs_dir / "Data.conf").write_text(
        "FileSet {\n  Name = Data\n  Include {\n    Options {\n      Signature = MD5\n    }\n"
        f'    File = "{data}"\n  }}\n}}\n'
    )

    fd_own: dict[str, Any] = {"Name": "bareos-fd", "FD Port": fp, "FD Address": Bare("127.0.0.1"),
                              "Working Directory": str(tmp / "fdwork"),
                              **_tls(mode, fd_leaf, ca)}  # fmt: skip
    (tmp / "fdwork").mkdir()
    if fd_bandwidth:
        fd_own["Maximum Bandwidth Per Job"] = fd_bandwidth
    fd_director: dict[str, Any] = {"Name": "bareos-dir", "Password": FD_SECRET}
    if mode == "clear-fd":
        fd_own.update({"TLS Enable": False, "TLS Require": False})
        fd_director.update({"TLS Enable": False, "TLS Require": False})
    write_config(tmp / "fd", "bareos-fd.d", [
        ("Client", fd_own), ("Director", fd_director),
        ("Messages", {"Name": "Standard", "Director": Bare("bareos-dir = all, !skipped, !restored")}),
    ])  # fmt: skip
    # A job's cleartext Hello passes the SD's gate (the job's policy is None), but the SD's
    # challenge carries its own Storage resource's policy, as in Bareos: ssl=2 against a
    # 17.2 FD's ssl=0 would be a deny, so an SD serving a 17.2 FD does not require TLS.
    sd_own_tls = {"TLS Enable": False, "TLS Require": False} if mode == "clear-fd" else {}
    for i, sp in enumerate(sps):
        volumes = tmp / f"volumes{i}"
        volumes.mkdir()
        (tmp / f"sdwork{i}").mkdir()
        write_config(tmp / f"sd{i}", "bareos-sd.d", [
            ("Storage", {"Name": f"bareos-sd{i}", "SD Port": sp, "SD Address": Bare("127.0.0.1"),
                         "Working Directory": str(tmp / f"sdwork{i}"), **sd_own_tls,
                         **_tls(mode, sd_leaves[i], ca)}),
            ("Director", {"Name": "bareos-dir", "Password": SD_SECRET}),
            ("Device", {"Name": "FileStorage", "Media Type": "File",
                        "Archive Device": str(volumes), "Label Media": True,
                        "Random Access": True, "Automatic Mount": True}),
            ("Messages", {"Name": "Standard", "Director": Bare("bareos-dir = all")}),
        ])  # fmt: skip
    fd_args = ["--persona", persona] if persona != "26" else []
    return Lab(tmp, data, dp, fp, sps, fd_args)


# ---------------------------------------------------------------- helpers


def queue(c: bareos.bsock.DirectorConsole, command: str) -> int:
    out = c.call(command).decode()
    m = re.search(r"Job queued\. JobId=(\d+)", out)
    assert m, out
    return int(m.group(1))


def finish(c: bareos.bsock.DirectorConsole, job_id: int, timeout: float = 60) -> str:
    """Wait for the job (with a deadline) and return the console messages."""
    t = time.monotonic()
    out = c.call(f"wait jobid={job_id}").decode()
    assert time.monotonic() - t < timeout
    assert f"JobId={job_id}\n" in out, out
    return c.call("messages").decode()


def job_name(messages: str, job_id: int) -> str:
    m = re.search(rf"JobId {job_id}: Start \w+ (?:JobId {job_id}, )?Job[= ](\S+)", messages)
    assert m, messages
    return m.group(1)


def jobs_table(c: bareos.bsock.DirectorConsole) -> dict[int, str]:
    """JobId -> JobStatus from ``list jobs``."""
    out = c.call("list jobs").decode()
    return {int(m.group(1)): m.group(2)
            for m in re.finditer(r"^\|\s+(\d+) \|.*\| (\w)\s+\|$", out, re.MULTILINE)}  # fmt: skip


# ---------------------------------------------------------------- backup and restore

CASES = [
    # (id, tls mode, FD persona, passive client, 5 MB file)
    ("psk-active-big", "psk", "26", False, True),
    ("psk-passive", "psk", "26", True, False),
    ("cert-active", "cert", "26", False, False),
    ("cert-passive", "cert", "26", True, False),
    ("fd172-active", "clear-fd", "17.2", False, False),
    ("fd172-passive", "clear-fd", "17.2", True, False),
]


@pytest.mark.parametrize(("mode", "persona", "passive", "big"), [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])  # fmt: skip
def test_backup_and_restore(tmp_path: Path, mode: str, persona: str, passive: bool,
                            big: bool) -> None:  # fmt: skip
    lab = build_lab(tmp_path, mode=mode, persona=persona, big=big, passive=passive)
    original = snapshot(lab.data)
    job = "backup-passive" if passive else "backup"
    client = "fd-passive" if passive else "fd"
    with lab.running():
        c = lab.console()
        backup_id = queue(c, f"run job={job} yes")
        msgs = finish(c, backup_id)
        assert "  Termination:            Backup OK\n" in msgs, msgs
        n_entries = len(original) + 1  # + the top directory itself
        assert f"  FD Files Written:       {n_entries}\n" in msgs, msgs
        assert f"  SD Files Written:       {n_entries}\n" in msgs, msgs
        backup_job = job_name(msgs, backup_id)
        assert "Authorization=" not in msgs  # session keys never reach a console

        where = tmp_path / "restored"
        restore_id = queue(c, f"restore client={client} where={where} select all done yes")
        rmsgs = finish(c, restore_id)
        assert "  Termination:            Restore OK\n" in rmsgs, rmsgs
        assert f"  Files Restored:         {n_entries}\n" in rmsgs, rmsgs
        restore_job = job_name(rmsgs, restore_id)
        assert jobs_table(c) == {backup_id: "T", restore_id: "T"}
        files = c.call(f"list files jobid={backup_id}").decode()
        assert "file with spaces.txt" in files and "日本語.txt" in files
        # As Bareos 26's ListFilesForJob: no table, " <path>" a line.
        assert f" {lab.data}/top.txt\n" in files and "|" not in files, files

    assert snapshot(restored_root(where, lab.data)) == original

    # The data connections, as the File and Storage daemons logged them (backup, then restore).
    row = "7" if passive else "6"
    fd_events = [e for e in lab.fd.events("handshake.ok") if e.get("connection") == row]
    sd_events = [e for e in lab.sd().events("handshake.ok") if e.get("connection") == row]
    assert len(fd_events) == 2 and len(sd_events) == 2, (fd_events, sd_events)
    for run_job, fd_e, sd_e in zip((backup_job, restore_job), fd_events, sd_events, strict=True):
        acceptor, connector = (fd_e, sd_e) if passive else (sd_e, fd_e)
        assert acceptor["side"] == "acceptor" and acceptor["peer"] == run_job, acceptor
        assert connector["side"] == "connector", connector
        for e in (acceptor, connector):
            if persona == "17.2":
                assert e["mode"] == "cleartext-first" and e["tls_version"] is None, e
            else:
                assert e["mode"] == "tls-first" and e["tls_version"] == "TLSv1.3", e
                # PSK = the job's session key; with certificates the acceptor's wins.
                assert e["psk_used"] is (mode != "cert"), e
        if mode == "cert":
            assert connector["peer_cn"] == ("bareos-fd" if passive else "bareos-sd0"), connector
        elif persona != "17.2":
            for e in (acceptor, connector):
                assert e["psk_identity"] == "R_JOB\\x1e" + run_job, e
    if mode == "cert" and not passive:
        # The Director's connection to the FD is a certificate session (no PSK).
        to_fd = [e for e in lab.dir.events("handshake.ok") if e.get("connection") == "3"]
        assert to_fd and all(e["psk_used"] is False and e["peer_cn"] == "bareos-fd" for e in to_fd)
        assert (
            "  Director -> File daemon (3):  Handshake: Immediate TLS, Encryption: "
            "TLS_AES_256_GCM_SHA384 TLSv1.3\n" in msgs
        ), msgs
    # What the Director told the report about them.
    label = "Storage daemon -> File daemon (7)" if passive else "File daemon -> Storage daemon (6)"
    handshake = "Cleartext" if persona == "17.2" else "Immediate TLS"
    assert f"  {label}:  Handshake: {handshake}, Encryption: " in msgs, msgs
    assert "  Director -> Storage daemon (5):  Handshake: Immediate TLS, Encryption: TLS" in msgs
    if persona == "17.2":
        assert "  Director -> File daemon (3):  Handshake: Cleartext, Encryption: None\n" in msgs
        assert "Probing client protocol..." in msgs


def test_incremental_then_restore_of_the_chain(tmp_path: Path) -> None:
    lab = build_lab(tmp_path)
    time.sleep(1.1)  # the Full must start a second after the files were made (mtime resolution)
    with lab.running():
        c = lab.console()
        full = queue(c, "run job=backup level=Full yes")
        assert "Backup OK" in finish(c, full)
        time.sleep(1.1)  # mtimes have one-second resolution
        (lab.data / "new file.txt").write_text("added after the full\n")
        (lab.data / "top.txt").write_text("changed after the full\n")
        incr = queue(c, "run job=backup level=Incremental yes")
        msgs = finish(c, incr)
        assert "  Termination:            Backup OK\n" in msgs, msgs
        assert re.search(r"  Backup Level:           Incremental, since=\d{4}-", msgs), msgs
        files = c.call(f"list files jobid={incr}").decode()
        assert "new file.txt" in files and "top.txt" in files and "empty.txt" not in files
        where = tmp_path / "restored"
        out = c.call(f"restore client=fd where={where} select all done yes").decode()
        assert f"You have selected the following JobIds: {full},{incr}\n" in out, out
        rid = int(re.search(r"Job queued\. JobId=(\d+)", out).group(1))  # type: ignore[union-attr]
        rmsgs = finish(c, rid)
        assert "  Termination:            Restore OK\n" in rmsgs, rmsgs
    assert snapshot(restored_root(where, lab.data)) == snapshot(lab.data)


def test_copy_to_a_second_storage_daemon_and_restore_the_copy(tmp_path: Path) -> None:
    lab = build_lab(tmp_path, copy=True)
    original = snapshot(lab.data)
    with lab.running():
        c = lab.console()
        backup_id = queue(c, "run job=backup yes")
        assert "Backup OK" in finish(c, backup_id)
        copy_id = queue(c, "run job=copy yes")
        msgs = finish(c, copy_id)
        assert "  Termination:            Copy OK\n" in msgs, msgs
        m = re.search(r"  New Backup JobId:       (\d+)\n", msgs)
        assert m, msgs
        new_id = int(m.group(1))
        assert f"  Prev Backup JobId:      {backup_id}\n" in msgs
        assert "  Volume name(s):         Copy-0001\n" in msgs, msgs
        assert "  Director -> writing Storage daemon (5):  Handshake: Immediate TLS, " in msgs
        assert "  Storage daemon -> Storage daemon (8):  Handshake: Immediate TLS, Encryption: " in msgs, msgs
        llist = c.call(f"llist jobid={new_id}").decode()
        assert re.search(r"type: C\n", llist) and f"priorjobid: {backup_id}\n" in llist, llist
        # ListCopiesRecords: the original's JobId, the copy's Job and JobId, its media type.
        copies = c.call(f"list copies jobid={backup_id}").decode()
        assert copies.startswith("These JobIds have copies as follows:\n"), copies
        assert re.search(rf"^\|\s+{backup_id} \| backup\.\S+ \|\s+{new_id} \| File\s+\|$",
                         copies, re.M), copies  # fmt: skip
        assert c.call(f"list copies jobid={new_id + 99}").decode() == ""  # none: nothing said
        # Nothing left to copy: a second run selects nothing.
        again = queue(c, "run job=copy yes")
        assert "No JobIds found to copy." in finish(c, again)
        # The copy restores from the second Storage daemon.
        where = tmp_path / "from-copy"
        rid = queue(c, f"restore client=fd jobid={new_id} where={where} all done yes")
        rmsgs = finish(c, rid)
        assert "  Termination:            Restore OK\n" in rmsgs, rmsgs
        copy_job = re.search(r"  Current Job:            (\S+)\n", msgs)
        assert copy_job
    assert snapshot(restored_root(where, lab.data)) == original
    # Connection 8: the reading SD (sd0) dialled the writing SD (sd1) with the new job's key.
    new_job_events = [e for e in lab.sd(1).events("handshake.ok") if e.get("connection") == "8"]
    assert len(new_job_events) == 1, lab.sd(1).events("handshake.ok")
    acceptor = new_job_events[0]
    assert acceptor["side"] == "acceptor" and acceptor["mode"] == "tls-first"
    assert acceptor["psk_identity"].startswith("R_JOB\\x1ebackup.")
    reader = [e for e in lab.sd(0).events("handshake.ok") if e.get("connection") == "8"]
    assert len(reader) == 1 and reader[0]["psk_identity"] == acceptor["psk_identity"]
    assert reader[0]["side"] == "connector" and reader[0]["psk_used"] is True


# ---------------------------------------------------------------- failures


@pytest.mark.parametrize("victim", ["fd", "sd0"])
def test_a_daemon_killed_mid_backup_fails_the_job(tmp_path: Path, victim: str) -> None:
    lab = build_lab(tmp_path, big=True, fd_bandwidth=1_000_000)  # ~5 s for the big file
    with lab.running():
        c = lab.console()
        backup_id = queue(c, "run job=backup yes")
        lab.sd().wait_for("handshake.ok", lambda e: e.get("connection") == "6", timeout=20)
        time.sleep(1.0)
        lab.procs[victim].proc.send_signal(signal.SIGKILL)  # type: ignore[union-attr]
        t = time.monotonic()
        msgs = finish(c, backup_id, timeout=45)
        elapsed = time.monotonic() - t
        assert "  Termination:            *** Backup Error ***\n" in msgs, msgs
        assert "Backup OK" not in msgs
        if victim == "fd":
            assert "Network error with FD during Backup" in msgs, msgs
        else:
            assert "Director's comm line to SD dropped." in msgs, msgs
        assert jobs_table(c)[backup_id] in ("f", "E")
        assert elapsed < 45
        # The Director goes on serving.
        assert b"bareos-dir Version:" in c.call("version")


def test_a_client_whose_probe_fails_fails_the_job_with_the_reason(tmp_path: Path) -> None:
    lab = build_lab(tmp_path, bad_password=True)
    with lab.running():
        c = lab.console()
        job_id = queue(c, "run job=backup yes")
        msgs = finish(c, job_id, timeout=30)
        assert "  Termination:            *** Backup Error ***\n" in msgs, msgs
        assert 'Failed to connect to File daemon "fd": ' in msgs and "handshake failed" in msgs
        assert "Probing client protocol..." in msgs
        assert jobs_table(c)[job_id] == "f"


def test_cancel_a_running_backup_and_the_api_views(tmp_path: Path) -> None:
    lab = build_lab(tmp_path, big=True, fd_bandwidth=1_000_000)
    with lab.running():
        c = lab.console()
        api = bareos.bsock.DirectorConsoleJson(address="127.0.0.1", port=lab.dp,
                                               password=CONSOLE_SECRET)  # fmt: skip
        job_id = int(api.call("run job=backup yes")["run"]["jobid"])
        lab.sd().wait_for("handshake.ok", lambda e: e.get("connection") == "6", timeout=20)
        status = c.call("status director").decode()
        assert re.search(rf"^\s+{job_id} Full\s+backup\.\S+ is running$", status, re.M), status
        running = api.call("status director")["running"]
        assert [(r["jobid"], r["status"]) for r in running] == [(job_id, "is running")]
        out = c.call(f"cancel jobid={job_id}").decode()
        # As Bareos's CancelJob: the File daemon's answer, then the Storage daemon's. The
        # FD's cancel closes connection 6, so the SD may have ended and freed the job before
        # the Director's cancel reaches it (Bareos's SD frees it as soon as the job's command
        # loop ends): then it answers "not found", as the real SD would in that window.
        assert re.search(r"^2001 Job backup\.\S+ marked to be canceled\.\n"
                         rf"(3000 JobId={job_id} Job=\"backup\.\S+\" marked to be canceled\."
                         r"|3904 Job backup\.\S+ not found\.)\n",
                         out, re.M), out  # fmt: skip
        msgs = finish(c, job_id, timeout=30)
        assert "  Termination:            Backup Canceled\n" in msgs, msgs
        assert jobs_table(c)[job_id] == "A"
        status = c.call("status director").decode()
        assert re.search(rf"^\s+{job_id}  Full .* Cancel \s+\S+ \S+ backup$", status, re.M), status
        listed = api.call("list jobs")["jobs"]
        # Catalog values are text, as the real Director's SQL rows.
        assert [(j["jobid"], j["jobstatus"]) for j in listed] == [(str(job_id), "A")]
        assert "is not running" in c.call(f"cancel jobid={job_id}").decode()
