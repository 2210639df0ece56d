"""Faults in real jobs: the three emulators as subprocesses, faults from ``--fault`` and
from the Director's ``fault`` command.  Each test shows the job status and the peer's
words, and that the next job runs and the volume stays readable."""

from __future__ import annotations

import socket
import subprocess
import time
from pathlib import Path

import pytest

from tests.daemons.test_e2e_jobs import (
    build_lab,
    finish,
    jobs_table,
    queue,
    restored_root,
    snapshot,
)
from tests.support.daemons import BIN, REPO, free_port

pytestmark = pytest.mark.slow


def test_fd_vanishing_mid_backup_fails_the_job_and_the_next_one_runs(tmp_path: Path) -> None:
    lab = build_lab(tmp_path, big=True)
    lab.fd_args += ["--fault", "vanish:200000@conn=6,count=1"]
    with lab.running():
        c = lab.console()
        failed_id = queue(c, "run job=backup yes")
        msgs = finish(c, failed_id, timeout=40)
        # What Bareos's FD and SD say when the data connection breaks under them.
        assert "bareos-fd JobId 1: Fatal error: Network send error to SD. ERR=" in msgs, msgs
        assert "bareos-sd0 JobId 1: Fatal error: Network error reading from FD." in msgs, msgs
        assert "  Termination:            *** Backup Error ***\n" in msgs, msgs
        assert jobs_table(c)[failed_id] in ("f", "E")
        assert lab.fd.wait_for("fault.closed", lambda e: e.get("abort") is True, timeout=5)
        ok_id = queue(c, "run job=backup yes")
        assert "  Termination:            Backup OK\n" in finish(c, ok_id), "next backup"
        where = tmp_path / "restored"
        rid = queue(c, f"restore client=fd jobid={ok_id} where={where} select all done yes")
        assert "  Termination:            Restore OK\n" in finish(c, rid)
    assert snapshot(restored_root(where, lab.data)) == snapshot(lab.data)


def test_sd_vanishing_mid_restore_fails_the_restore_and_the_next_job_runs(tmp_path: Path) -> None:
    lab = build_lab(tmp_path, big=True)
    # The SD sends almost nothing to the FD during a backup, megabytes during a restore.
    lab.sd_args += ["--fault", "vanish:100000@conn=6,side=acceptor"]
    with lab.running():
        c = lab.console()
        backup_id = queue(c, "run job=backup yes")
        assert "  Termination:            Backup OK\n" in finish(c, backup_id)
        rid = queue(c, f"restore client=fd where={tmp_path / 'r'} select all done yes")
        msgs = finish(c, rid, timeout=40)
        assert f"bareos-sd0 JobId {rid}: Fatal error: Error sending to File daemon." in msgs, msgs
        assert f"bareos-fd JobId {rid}: Fatal error: Data record error." in msgs, msgs
        assert "  Termination:            *** Restore Error ***\n" in msgs, msgs
        assert jobs_table(c)[rid] in ("f", "E")
        again = queue(c, "run job=backup yes")
        assert "  Termination:            Backup OK\n" in finish(c, again)


def test_fault_command_makes_the_next_job_fail_its_handshake(tmp_path: Path) -> None:
    lab = build_lab(tmp_path)
    with lab.running():
        c = lab.console()
        out = c.call("fault set wrong-password@conn=3,count=1").decode()
        assert "Fault set: wrong-password@conn=3,count=1" in out, out
        assert "wrong-password@conn=3,count=1 (1 connection(s) left)" in c.call("fault list").decode()
        bad = queue(c, "run job=backup yes")
        msgs = finish(c, bad, timeout=30)
        assert "  Termination:            *** Backup Error ***\n" in msgs, msgs
        assert 'Failed to connect to File daemon "fd": ' in msgs, msgs
        assert jobs_table(c)[bad] == "f"
        # The FD logged the refused login; the fault was spent on that one connection.
        fd_fail = lab.fd.wait_for("handshake.failed", timeout=5)
        assert fd_fail["cause"] in ("psk-mismatch", "wrong-password"), fd_fail
        assert "No faults set." in c.call("fault list").decode()
        good = queue(c, "run job=backup yes")
        assert "  Termination:            Backup OK\n" in finish(c, good)
        assert "fault: unknown fault 'nope'" in c.call("fault set nope").decode()
        assert "0 fault(s) cleared." in c.call("fault clear").decode()


def test_session_key_replayed_by_the_fd_is_refused_by_the_sd(tmp_path: Path) -> None:
    lab = build_lab(tmp_path)
    lab.fd_args += ["--fault", "session-key-replay@count=1"]
    with lab.running():
        c = lab.console()
        first = queue(c, "run job=backup yes")  # nothing to replay yet: runs clean
        assert "  Termination:            Backup OK\n" in finish(c, first)
        replayed = queue(c, "run job=backup yes")
        msgs = finish(c, replayed, timeout=40)
        assert f"bareos-fd JobId {replayed}: Fatal error: Failed to authenticate Storage daemon." in msgs, msgs
        assert "  Termination:            *** Backup Error ***\n" in msgs, msgs
        sd_fail = lab.sd().wait_for("handshake.failed", timeout=5)
        assert sd_fail["cause"] in ("psk-mismatch", "unknown-identity", "unknown-name", "handshake"), sd_fail
        third = queue(c, "run job=backup yes")
        assert "  Termination:            Backup OK\n" in finish(c, third)


def _wait_listening(port: int, proc: subprocess.Popen[str], timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.communicate()[1]
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"proxy not listening on {port}")


def test_proxy_between_the_director_and_the_fd(tmp_path: Path) -> None:
    """Director -> bareos-emu proxy -> File daemon: a corrupted TLS record fails one job."""
    lab = build_lab(tmp_path)
    behind = free_port()
    for conf in (tmp_path / "fd").rglob("*.conf"):  # the FD moves; the proxy takes its port
        conf.write_text(conf.read_text().replace(f"FD Port = {lab.fp}", f"FD Port = {behind}"))
    proxy = subprocess.Popen(
        [str(BIN / "bareos-emu"), "proxy", "--listen", f"127.0.0.1:{lab.fp}",
         "--to", f"127.0.0.1:{behind}", "--conn", "3",
         "--fault", "corrupt-header:1@side=acceptor,count=1"],
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        cwd=REPO,
    )  # fmt: skip
    try:
        _wait_listening(lab.fp, proxy)
        with lab.running():
            c = lab.console()
            bad = queue(c, "run job=backup yes")
            msgs = finish(c, bad, timeout=30)
            assert "  Termination:            *** Backup Error ***\n" in msgs, msgs
            assert 'Failed to connect to File daemon "fd": ' in msgs, msgs
            good = queue(c, "run job=backup yes")
            msgs = finish(c, good)
            assert "  Termination:            Backup OK\n" in msgs, msgs
            assert "  Director -> File daemon (3):  Handshake: Immediate TLS, " in msgs, msgs
            # The FD saw a broken TLS handshake from the Director's side of the proxy.
            assert lab.fd.wait_for("handshake.failed", timeout=5)
    finally:
        proxy.terminate()
        try:
            _, err = proxy.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            proxy.kill()
            _, err = proxy.communicate()
    assert proxy.returncode == 0, err
    assert "proxy.fault_armed" in err or "corrupt-header:1@side=acceptor,count=1" in err, err


@pytest.mark.parametrize("script", ["bareos-dir-emu", "bareos-sd-emu", "bareos-fd-emu"])
def test_a_bad_fault_flag_is_one_line_and_exit_1(script: str) -> None:
    conf = {"bareos-dir-emu": "dir", "bareos-sd-emu": "sd", "bareos-fd-emu": "fd"}[script]
    done = subprocess.run([str(BIN / script), "-c", str(REPO / "configs" / conf), "-t",
                           "--fault", "stall-before:soon"],
                          capture_output=True, text=True, timeout=30, cwd=REPO)  # fmt: skip
    assert done.returncode == 1, done
    assert done.stderr.strip() == (
        "error: --fault: stall-before: SECONDS='soon' is not a valid seconds"), done.stderr
    ok = subprocess.run([str(BIN / script), "-c", str(REPO / "configs" / conf), "-t",
                         "--fault", "vanish:10@conn=6,count=1"],
                        capture_output=True, text=True, timeout=30, cwd=REPO)  # fmt: skip
    assert ok.returncode == 0, ok
