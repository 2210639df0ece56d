"""Config trees for Director end-to-end tests, and the Director's command-line behaviour.

The helpers here (``dir_tree``, ``fd_tree``, ``sd_tree``, ``start_all``) are
imported by the other ``test_director_*`` modules.
"""

from __future__ import annotations

import signal
import subprocess
import time
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import bareos.bsock
import bareos.exceptions
import pytest

from tests.daemons.conftest import Bare, write_config
from tests.support.daemons import BIN, DaemonProcess, free_port

DIR, FD, SD = "bareos-dir-emu", "bareos-fd-emu", "bareos-sd-emu"
CONSOLE_SECRET = "lab-console-secret"
FD_SECRET = "lab-fd-secret"
SD_SECRET = "lab-sd-secret"
ADMIN_SECRET = "lab-admin-secret"
CLEAR = {"TLS Enable": False, "TLS Require": False}


def dir_tree(
    root: Path,
    port: int,
    *,
    director: dict[str, Any] | None = None,
    clients: Iterable[dict[str, Any]] = (),
    storages: Iterable[dict[str, Any]] = (),
    consoles: Iterable[dict[str, Any]] = (),
    extra: Iterable[tuple[str, dict[str, Any]]] = (),
) -> Path:
    """A ``bareos-dir.d`` tree; the Working Directory is ``root/work``."""
    work = root / "work"
    work.mkdir(parents=True, exist_ok=True)
    me = {"Name": "bareos-dir", "DirAddress": Bare("127.0.0.1"), "DirPort": port,
          "Password": CONSOLE_SECRET, "Working Directory": str(work), **(director or {})}  # fmt: skip
    resources: list[tuple[str, dict[str, Any]]] = [("Director", me)]
    resources += [("Client", c) for c in clients]
    resources += [("Storage", s) for s in storages]
    resources += [("Console", c) for c in consoles]
    resources += list(extra)
    return write_config(root, "bareos-dir.d", resources)


def client(name: str, port: int, **extra: Any) -> dict[str, Any]:
    return {"Name": name, "Address": "127.0.0.1", "Port": port, "Password": FD_SECRET, **extra}


def storage(
    name: str, port: int, devices: Iterable[str] = ("FileStorage",), **extra: Any
) -> dict[str, Any]:
    return {"Name": name, "Address": "127.0.0.1", "Port": port, "Password": SD_SECRET,
            "Device": list(devices), "Media Type": "File", **extra}  # fmt: skip


def fd_tree(root: Path, name: str, port: int, **director: Any) -> Path:
    """A File daemon whose Director resource ``bareos-dir`` has the lab password."""
    return write_config(root, "bareos-fd.d", [
        ("Client", {"Name": name, "FD Port": port, "FD Address": Bare("127.0.0.1")}),
        ("Director", {"Name": "bareos-dir", "Password": FD_SECRET, **director}),
    ])  # fmt: skip


def sd_tree(root: Path, name: str, port: int, devices: Iterable[str] = ("FileStorage",),
            **director: Any) -> Path:  # fmt: skip
    archive = root / "volumes"
    archive.mkdir(parents=True, exist_ok=True)
    resources: list[tuple[str, dict[str, Any]]] = [
        ("Storage", {"Name": name, "SD Port": port, "SD Address": Bare("127.0.0.1")}),
        ("Director", {"Name": "bareos-dir", "Password": SD_SECRET, **director}),
    ]
    resources += [("Device", {"Name": d, "Media Type": "File", "Archive Device": str(archive)})
                  for d in devices]  # fmt: skip
    return write_config(root, "bareos-sd.d", resources)


def start_all(procs: list[DaemonProcess], timeout: float = 60.0) -> list[DaemonProcess]:
    """Start emulators concurrently (each start waits for ``daemon.listening``).

    The generous timeout is for loaded machines: twenty interpreters starting
    at once on two cores take several seconds.
    """
    try:
        with ThreadPoolExecutor(max_workers=max(1, len(procs))) as pool:
            list(pool.map(lambda p: p.start(timeout=timeout), procs))
    except BaseException:
        stop_all(procs)  # never leave emulators behind when one did not come up
        raise
    return procs


def stop_all(procs: Iterable[DaemonProcess], timeout: float = 10.0) -> list[int]:
    """SIGTERM to all at once (one signal each: a second one would kill), then the exit codes."""
    procs = [p for p in procs if p.proc is not None]
    for p in procs:
        if p.proc is not None and p.proc.poll() is None:
            p.proc.send_signal(signal.SIGTERM)
    codes = []
    for p in procs:
        assert p.proc is not None
        try:
            codes.append(p.proc.wait(timeout))
        except subprocess.TimeoutExpired:
            p.proc.kill()
            codes.append(p.proc.wait())
    return codes


def console(port: int, **kw: Any) -> bareos.bsock.DirectorConsole:
    kw.setdefault("password", CONSOLE_SECRET)
    return bareos.bsock.DirectorConsole(address="127.0.0.1", port=port, **kw)


# ---------------------------------------------------------------- command line


def test_config_check(tmp_path: Path) -> None:
    good = dir_tree(tmp_path / "good", free_port(), clients=[client("bareos-fd", 9102)])
    ok = subprocess.run([str(BIN / DIR), "-c", str(good), "-t"], capture_output=True, text=True,
                        timeout=30)  # fmt: skip
    assert ok.returncode == 0, ok.stderr
    bad = dir_tree(tmp_path / "bad", free_port())
    conf = bad / "bareos-dir.d" / "client" / "broken.conf"
    conf.parent.mkdir(parents=True, exist_ok=True)
    conf.write_text('Client {\n  Name = broken\n  Adress = "127.0.0.1"\n}\n')
    res = subprocess.run([str(BIN / DIR), "-c", str(bad), "-t"], capture_output=True, text=True,
                         timeout=30)  # fmt: skip
    assert res.returncode == 1
    assert f"{conf}:3" in res.stderr, res.stderr
    assert "Traceback" not in res.stderr


def test_sighup_reload_and_sigterm(tmp_path: Path) -> None:
    port = free_port()
    admin = {"Name": "admin", "Password": "first-secret", "Command ACL": "*all*", **CLEAR}
    root = dir_tree(tmp_path, port, consoles=[admin])
    proc = DaemonProcess(DIR, root, "--auth-failure-delay", "0")
    try:
        start_all([proc])
        c = console(port, name="admin", password="first-secret")
        assert b"admin" in c.call("whoami")
        # A broken config keeps the old one.
        good_text = (root / "bareos-dir.d" / "console" / "admin.conf").read_text()
        (root / "bareos-dir.d" / "console" / "admin.conf").write_text("Console {\n  Name = admin\n")
        mark = proc.mark()
        proc.signal(signal.SIGHUP)
        proc.wait_for("reload.failed", after=mark)
        assert b"admin" in console(port, name="admin", password="first-secret").call("whoami")
        # A good change takes effect.
        (root / "bareos-dir.d" / "console" / "admin.conf").write_text(
            good_text.replace("first-secret", "second-secret"))  # fmt: skip
        mark = proc.mark()
        proc.signal(signal.SIGHUP)
        proc.wait_for("reload.done", after=mark)
        assert b"admin" in console(port, name="admin", password="second-secret").call("whoami")
        with pytest.raises(bareos.exceptions.AuthenticationError):
            console(port, name="admin", password="first-secret", tls_psk_enable=False)
        # The session opened before the reload goes on.
        assert b"admin" in c.call("whoami")
    finally:
        t = time.monotonic()
        codes = stop_all([proc])
    assert codes == [0]
    assert time.monotonic() - t < 5
    assert proc.events("daemon.stopped")


def test_handshake_state_flag_is_documented() -> None:
    res = subprocess.run([str(BIN / DIR), "--help"], capture_output=True, text=True, timeout=30)
    assert "--no-handshake-state" in res.stdout and "exact Bareos behaviour" in res.stdout
