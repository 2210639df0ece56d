"""``bareos-fd-emu --fleet``: every member is a full File daemon, end to end.

One fleet of 20 members with mixed personas (one loopback address each), the
Client resources it writes loaded by ``bareos-dir-emu``, and what each member
logged as acceptor: its own name, its persona, the mode the Director used.
"""

from __future__ import annotations

import json
import socket
import subprocess
import time
from pathlib import Path

import bareos.bsock
import pytest

from bareosnet.testing.login import director_to_fd, login
from tests.daemons.test_director_lab import CONSOLE_SECRET, FD, FD_SECRET, console
from tests.daemons.test_e2e_jobs import build_lab, finish, queue, restored_root, snapshot
from tests.support.daemons import BIN, DaemonProcess, free_port

pytestmark = pytest.mark.slow

PROBING = "Probing client protocol... (result will be saved until config reload)"
MIX = "26=50,18.2=25,17.2=25"
COUNT = 20


def fleet_args(first_address: str, director_config: Path | None = None) -> list[str]:
    args = ["--fleet", str(COUNT), "--fleet-addresses", first_address, "--fleet-personas", MIX]
    if director_config is not None:
        args += ["--fleet-director-config", str(director_config)]
    return args


def member(i: int) -> str:
    return f"bareos-fd-{i:05d}"


def persona_of(i: int) -> str:
    # The interleaved mix 26=50,18.2=25,17.2=25 (smooth weighted round robin): 26, 18.2, 17.2, 26, ...
    return ["26", "18.2", "17.2", "26"][(i - 1) % 4]


def logged(proc: DaemonProcess, event: str, since: int, n: int, timeout: float = 10) -> list[dict]:
    """The ``event`` lines after ``since``, once there are ``n`` (the log is read by a thread)."""
    deadline = time.monotonic() + timeout
    while True:
        got = [e for e in proc.lines[since:] if e.get("event") == event]
        if len(got) >= n or time.monotonic() > deadline:
            return got
        time.sleep(0.02)


def test_fleet_members_are_full_file_daemons(tmp_path: Path) -> None:
    lab = build_lab(tmp_path)
    first = "127.0.3.1"
    # -t with --fleet-director-config writes the Director's side and exits.
    done = subprocess.run([str(BIN / FD), "-c", str(lab.root / "fd"), *fleet_args(first, lab.root / "dir"), "-t"],
                          capture_output=True, text=True, timeout=30)  # fmt: skip
    assert done.returncode == 0, done.stderr
    written = sorted(
        p.name for p in (lab.root / "dir" / "bareos-dir.d" / "client").glob("bareos-fd-*")
    )
    assert written == [f"{member(i)}.conf" for i in range(1, COUNT + 1)]
    job = lab.root / "dir" / "bareos-dir.d" / "job" / "backup-member.conf"
    job.write_text('Job {\n  Name = "backup-member"\n  Type = Backup\n  Level = Full\n'
                   f'  Client = "{member(5)}"\n  FileSet = "Data"\n  Storage = "File0"\n'
                   '  Pool = "Full"\n  Messages = "Standard"\n}\n')  # fmt: skip
    lab.fd_args = fleet_args(first)
    original = snapshot(lab.data)
    with lab.running():
        fd = lab.fd
        listening = fd.events("daemon.listening")[0]
        assert listening["daemons"] == COUNT and listening["addresses"][0] == f"{first}:{lab.fp}"
        since = fd.mark()
        # Every member answers a Director login, as itself, with its own persona.
        for i in range(1, COUNT + 1):
            host = f"127.0.3.{i}"
            result = login(director_to_fd(host, lab.fp, "bareos-dir", FD_SECRET,
                                          tls=persona_of(i) != "17.2"))  # fmt: skip
            assert result.ok and result.final_line.startswith("2000 OK Hello"), (i, result)
        oks = logged(fd, "handshake.ok", since, COUNT)
        assert [(e["resource"], e["persona"]) for e in oks] == [
            (member(i), persona_of(i)) for i in range(1, COUNT + 1)]  # fmt: skip

        # The Director loads the written Client resources and reaches every member.
        c = lab.console()
        for i in range(1, COUNT + 1):
            out = c.call(f"status client={member(i)}").decode()
            assert PROBING in out, (i, out)
            assert f"{member(i)} Version: " in out, (i, out)
            mode = "Cleartext" if persona_of(i) == "17.2" else "Immediate TLS"
            assert f" Handshake: {mode}," in out, (i, out)
        j = bareos.bsock.DirectorConsoleJson(
            address="127.0.0.1", port=lab.dp, password=CONSOLE_SECRET
        )
        modes = {x["name"]: x.get("handshake_mode") for x in j.call(".clients")["clients"]}
        assert {k: v for k, v in modes.items() if k.startswith("bareos-fd-")} == {
            member(i): "cleartext-first" if persona_of(i) == "17.2" else "tls-first"
            for i in range(1, COUNT + 1)}  # fmt: skip

        # A backup and a restore through member 5.
        backup_id = queue(c, "run job=backup-member yes")
        msgs = finish(c, backup_id)
        assert "  Termination:            Backup OK\n" in msgs, msgs
        where = tmp_path / "restored"
        restore_id = queue(c, f"restore client={member(5)} where={where} select all done yes")
        assert "  Termination:            Restore OK\n" in finish(c, restore_id)
        jobs = [e for e in fd.lines if e.get("event") == "handshake.ok" and e.get("connection") == "3"
                and e.get("resource") == member(5)]  # fmt: skip
        assert len(jobs) >= 3  # login, status, backup, restore all reached member 5 itself
    assert snapshot(restored_root(where, lab.data)) == original


def test_the_per_peer_cap_counts_per_member(tmp_path: Path) -> None:
    """100 connections from one address to member 1 do not stop that address reaching member 2."""
    from tests.daemons.test_director_lab import fd_tree

    port = free_port()
    fd_tree(tmp_path / "fd", "fd", port)
    proc = DaemonProcess(FD, tmp_path / "fd", "--fleet", "2", "--fleet-addresses", "127.0.4.1",
                         "--peek-timeout", "20")  # fmt: skip
    held: list[socket.socket] = []
    try:
        proc.start()
        for _ in range(100):
            held.append(socket.create_connection(("127.0.4.1", port), timeout=5))
        assert len(logged(proc, "connection.accepted", 0, 100)) == 100
        extra = socket.create_connection(("127.0.4.1", port), timeout=5)
        held.append(extra)
        extra.settimeout(5)
        assert extra.recv(1) == b""  # refused: member 1's cap of 100 per peer
        refused = proc.wait_for("connection.refused")
        assert refused["resource"] == "fd-00001" and "limit 100" in refused["reason"]
        result = login(director_to_fd("127.0.4.2", port, "bareos-dir", FD_SECRET))
        assert result.ok and result.tls_version == "TLSv1.3"
        assert logged(proc, "handshake.ok", 0, 1)[-1]["resource"] == "fd-00002"
    finally:
        for s in held:
            s.close()
        assert proc.stop() == 0


def test_fleet_sighup_reloads_every_member_and_sigterm_exits_zero(tmp_path: Path) -> None:
    import signal

    from tests.daemons.test_director_lab import fd_tree

    port = free_port()
    root = fd_tree(tmp_path / "fd", "fd", port)
    proc = DaemonProcess(FD, root, "--fleet", "3", "--fleet-addresses", "127.0.5.1")
    try:
        proc.start()
        ready = proc.wait_for("fleet.ready")
        assert ready["members"] == 3 and ready["rss_kib"] > 0
        (root / "bareos-fd.d" / "director" / "other.conf").write_text(
            'Director {\n  Name = "other-dir"\n  Password = "x"\n}\n'
        )
        since = proc.mark()
        proc.signal(signal.SIGHUP)
        oks = logged(proc, "reload.ok", since, 3)
        assert sorted(e["resource"] for e in oks) == ["fd-00001", "fd-00002", "fd-00003"]
        assert all("other-dir" in e["directors"] for e in oks)
        result = login(director_to_fd("127.0.5.3", port, "other-dir", "x"))
        assert result.ok
    finally:
        assert proc.stop() == 0


def test_status_all_probes_the_fleet_concurrently_then_never_again(tmp_path: Path) -> None:
    """Half the fleet is 17.2 (drops a TLS attempt after its delay): probed at once, not in turn."""
    from tests.daemons.test_director_lab import DIR, dir_tree, fd_tree, start_all, stop_all

    dp, port = free_port(), free_port()
    fd_root = fd_tree(tmp_path / "fd", "fd", port)
    dir_root = dir_tree(tmp_path / "dir", dp)
    flags = ["--fleet", "8", "--fleet-addresses", "127.0.6.1", "--fleet-personas", "26=50,17.2=50"]
    done = subprocess.run([str(BIN / FD), "-c", str(fd_root), *flags, "--fleet-director-config",
                           str(dir_root), "-t"], capture_output=True, text=True, timeout=30)  # fmt: skip
    assert done.returncode == 0, done.stderr
    fd = DaemonProcess(FD, fd_root, *flags, "--auth-failure-delay", "1.0")
    d = DaemonProcess(DIR, dir_root)
    names = [f"fd-{i:05d}" for i in range(1, 9)]
    try:
        start_all([d, fd])
        c = console(dp)
        t = time.monotonic()
        first = c.call("status all").decode()
        first_seconds = time.monotonic() - t
        # In configuration order (Bareos reads client/*.conf in reverse sorted order), each
        # member's own status, the old ones reached in cleartext.
        starts = [first.index(f"Connecting to Client {n} at 127.0.6.{i}:{port}\n")
                  for i, n in enumerate(names, 1)]  # fmt: skip
        assert starts == sorted(starts, reverse=True), first
        assert first.count(PROBING) == 8, first
        for i, n in enumerate(names, 1):
            own = first[starts[i - 1] : starts[i - 2] if i > 1 else None]
            assert f"{n} Version: " in own and own.count(" Version: ") == 1, own
            assert (" Handshake: Cleartext," if i % 2 == 0 else " Handshake: Immediate TLS,") in own
        # Four 1-second TLS drops overlap: about one delay, not four.
        assert 1.0 <= first_seconds < 3.5, first_seconds
        failed_before = len(fd.events("handshake.failed"))
        assert failed_before == 4
        second = c.call("status all").decode()
        assert second.count(PROBING) == 0 and second.count(" Version: ") == 9  # + the Director
        assert len(fd.events("handshake.failed")) == failed_before  # no TLS attempt on old ones
        j = bareos.bsock.DirectorConsoleJson(address="127.0.0.1", port=dp, password=CONSOLE_SECRET)
        modes = {x["name"]: x.get("handshake_mode") for x in j.call(".clients")["clients"]}
        want = {n: "cleartext-first" if i % 2 == 0 else "tls-first" for i, n in enumerate(names, 1)}
        assert modes == want
        saved = json.loads((dir_root / "work" / "bareosnet-handshake-modes.json").read_text())
        assert {k: v["mode"] for k, v in saved["clients"].items()} == want
    finally:
        assert stop_all([d, fd]) == [0, 0]
