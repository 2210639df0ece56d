"""configs/ runs out of the box, and no secret reaches any log line, even at -d 100.

The lab trees are copied with their ports and /tmp paths rewritten so the test
can run next to a live `make run`; everything else is used as shipped.
"""

from __future__ import annotations

import hashlib
import re
import shutil
from pathlib import Path

import bareos.bsock
import pytest

from tests.support.daemons import REPO, DaemonProcess, free_port

SECRETS = ["lab-director-password", "lab-admin-password", "lab-fd-password", "lab-sd-password"]
SESSION_KEY = re.compile(r"[A-P]{4}(?:-[A-P]{4}){7}")


@pytest.fixture
def lab(tmp_path: Path):
    ports = {"9101": str(free_port()), "9102": str(free_port()), "9103": str(free_port())}
    root = tmp_path / "configs"
    shutil.copytree(REPO / "configs", root)
    work = tmp_path / "lab"
    for f in root.rglob("*.conf"):
        text = f.read_text().replace("/tmp/bareosnet-lab", str(work))
        for old, new in ports.items():
            text = text.replace(f"Port = {old}", f"Port = {new}")
        f.write_text(text)
    for sub in ("dir", "sd", "fd", "storage", "data", "restore"):
        (work / sub).mkdir(parents=True, exist_ok=True)
    (work / "data" / "hello.txt").write_text("hello\n")
    procs = [
        DaemonProcess("bareos-sd-emu", root / "sd").start(),
        DaemonProcess("bareos-fd-emu", root / "fd").start(),
        DaemonProcess("bareos-dir-emu", root / "dir").start(),
    ]
    yield ports, procs
    for p in procs:
        p.stop()


def test_lab_status_and_no_secrets_in_logs(lab):
    ports, procs = lab
    con = bareos.bsock.DirectorConsole(address="127.0.0.1", port=int(ports["9101"]),
                                       password="lab-director-password")  # fmt: skip
    assert "bareos-dir Version:" in con.call("status director").decode()
    client = con.call("status client=bareos-fd").decode()
    assert "Handshake: Immediate TLS" in client and "bareos-fd Version:" in client
    storage = con.call("status storage=bareos-sd").decode()
    assert 'Device "FileStorage"' in storage
    con.close()
    sd, fd, dir_ = procs
    for proc in procs:
        proc.stop()
    # every connection of the run was TLS-PSK 1.3
    oks = [e for p in procs for e in p.events("handshake.ok")]
    assert {e["connection"] for e in oks} >= {"1", "3", "5"}
    assert all(e["tls_version"] == "TLSv1.3" and e["psk_used"] for e in oks)
    # no password, key or session key anywhere in the logs (debug level 100)
    text = "\n".join(line for p in procs for line in p.raw)
    for secret in SECRETS:
        assert secret not in text
        assert hashlib.md5(secret.encode()).hexdigest() not in text
    assert not SESSION_KEY.search(text)


@pytest.mark.parametrize("gap", [0.0, 0.01, 0.05])
def test_repeated_sigterm_still_exits_cleanly(lab, gap):
    # An init system or an impatient admin may signal twice; the second one must not
    # kill the daemon in the middle of its shutdown (exit code 0, not -15).
    import signal
    import time

    _, procs = lab
    for p in procs:
        p.signal(signal.SIGTERM)
        time.sleep(gap)
        if p.proc.poll() is None:
            p.signal(signal.SIGTERM)
    assert [p.proc.wait(10) for p in procs] == [0, 0, 0]
