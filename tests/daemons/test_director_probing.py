"""Probing File daemons (reference section 5) and client-initiated connections, end to end.

All assertions about what reached a File daemon are made from the File
daemon's own log: its ``handshake.ok`` / ``handshake.failed`` lines as
acceptor and, with ``-d 100``, one ``connection.accepted`` line per TCP
connection.
"""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any

import bareos.bsock
import pytest

from tests.daemons.test_director_lab import (
    CLEAR,
    CONSOLE_SECRET,
    DIR,
    FD,
    client,
    console,
    dir_tree,
    fd_tree,
    start_all,
    stop_all,
)
from tests.support.daemons import DaemonProcess, free_port

PROBING = "Probing client protocol... (result will be saved until config reload)"
STATE = "bareosnet-handshake-modes.json"


def accepted(fd: DaemonProcess, since: int) -> list[dict[str, Any]]:
    return [e for e in fd.lines[since:] if e.get("event") == "connection.accepted"]


def as_acceptor(fd: DaemonProcess, event: str, since: int) -> list[dict[str, Any]]:
    return [e for e in fd.lines[since:] if e.get("event") == event and e.get("side") == "acceptor"]


def settle(fd: DaemonProcess, since: int, n_handshakes: int, timeout: float = 10) -> None:
    """Wait until ``n_handshakes`` acceptor handshakes (ok or failed) were logged."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done = as_acceptor(fd, "handshake.ok", since) + as_acceptor(fd, "handshake.failed", since)
        if len(done) >= n_handshakes:
            return
        time.sleep(0.02)
    raise AssertionError(f"FD logged fewer than {n_handshakes} handshakes: {fd.raw[-20:]}")


def modes_file(root: Path) -> dict[str, Any]:
    return json.loads((root / "work" / STATE).read_text())["clients"]


# ---------------------------------------------------------------- client initiated


def test_client_initiated_connection_is_used_once(tmp_path: Path) -> None:
    dp, fp = free_port(), free_port()
    dir_tree(tmp_path / "dir", dp, clients=[
        client("caller-fd", fp, **{"Connection From Client To Director": True})])  # fmt: skip
    fd_tree(tmp_path / "fd", "caller-fd", fp, Address="127.0.0.1", Port=dp,
            **{"Connection From Client To Director": True})  # fmt: skip
    # The Director first: the FD's reconnect back-off must not be what the test waits for.
    d = DaemonProcess(DIR, tmp_path / "dir", "--auth-failure-delay", "0")
    fd = DaemonProcess(FD, tmp_path / "fd", "--reconnect-initial", "0.1", "--reconnect-max", "1")
    try:
        start_all([d])
        start_all([fd])
        d.wait_for("pool.parked", lambda e: e["client"] == "caller-fd")
        fd.wait_for("client_initiated.connected")
        c = console(dp)
        table = c.call("status director").decode()
        assert "  54                  1                   caller-fd" in table
        d_mark, fd_mark = d.mark(), fd.mark()
        out = c.call("status client=caller-fd").decode()
        assert "caller-fd Version: 26.0.0" in out
        assert " Handshake: Immediate TLS, Encryption: TLS_" in out
        d.wait_for("pool.taken", after=d_mark)
        fd.wait_for("client_initiated.in_use", after=fd_mark)
        fd.wait_for("status.sent", after=fd_mark)
        # Nothing was dialed: the FD accepted no connection and ran no handshake as acceptor.
        assert accepted(fd, fd_mark) == []
        assert as_acceptor(fd, "handshake.ok", fd_mark) == []
        assert not [e for e in d.lines[d_mark:] if e.get("event") == "handshake.ok"
                    and e.get("connection") == "3"]  # fmt: skip
        # After use the connection is closed and the FD calls in again.
        fd.wait_for("client_initiated.connected", after=fd_mark)
        d.wait_for("pool.parked", after=d_mark)
        json_console = bareos.bsock.DirectorConsoleJson(address="127.0.0.1", port=dp,
                                                        password=CONSOLE_SECRET)  # fmt: skip
        waiting = json_console.call("status director")["client-connection"]
        assert [(w["name"], w["protocol_version"]) for w in waiting] == [("caller-fd", 54)]
    finally:
        codes = stop_all([d, fd])
    assert codes == [0, 0]


# ---------------------------------------------------------------- probing


def test_probing_old_and_new_file_daemons(tmp_path: Path) -> None:
    dp, old_port, new_port = free_port(), free_port(), free_port()
    clients = [
        client("old-fd", old_port, **{"TLS Require": False}),
        client("strict-fd", old_port, **{"TLS Require": True}),  # same 17.2 FD, strict resource
        client("new-fd", new_port),
    ]
    dir_root = dir_tree(tmp_path / "dir", dp, clients=clients)
    fd_tree(tmp_path / "old", "old-fd", old_port, **CLEAR)
    fd_tree(tmp_path / "new", "new-fd", new_port)
    d = DaemonProcess(DIR, dir_root, "--auth-failure-delay", "0")
    old = DaemonProcess(FD, tmp_path / "old", "--persona", "17.2", "--auth-failure-delay", "0.2")
    new = DaemonProcess(FD, tmp_path / "new")
    restarted: list[DaemonProcess] = []
    try:
        start_all([d, old, new])
        c = console(dp)
        # 1. First contact: TLS first, dropped by the old FD as an oversize packet, then cleartext.
        mark = old.mark()
        out = c.call("status client=old-fd").decode()
        assert PROBING + "\r\x0b Handshake: Cleartext, Encryption: None\n" in out, out
        assert "old-fd Version: 17.2.10" in out
        settle(old, mark, 2)
        failed = as_acceptor(old, "handshake.failed", mark)
        assert len(failed) == 1 and "too big" in failed[0]["error"]
        ok = as_acceptor(old, "handshake.ok", mark)
        assert len(ok) == 1 and ok[0]["mode"] == "cleartext-first"
        assert len(accepted(old, mark)) == 2
        d.wait_for("probe.fallback", lambda e: e["client"] == "old-fd"
                   and e["failed"] == "tls-first" and e["next"] == "cleartext-first")  # fmt: skip
        d.wait_for("probe.result", lambda e: e["client"] == "old-fd"
                   and e["mode"] == "cleartext-first")  # fmt: skip
        assert modes_file(dir_root)["old-fd"]["mode"] == "cleartext-first"

        # 2. Second contact: exactly one connection, cleartext, no probe.
        mark = old.mark()
        out = c.call("status client=old-fd").decode()
        assert "Probing" not in out and "\n Handshake: Cleartext, Encryption: None\n" in out
        settle(old, mark, 1)
        assert len(accepted(old, mark)) == 1
        assert [e["mode"] for e in as_acceptor(old, "handshake.ok", mark)] == ["cleartext-first"]

        # 3. TLS Require = yes: never a cleartext attempt, reported failed.
        mark = old.mark()
        out = c.call("status client=strict-fd").decode()
        assert out.endswith("\nFailed to connect to Client strict-fd.\n====\nYou have messages.\n")
        settle(old, mark, 1)
        time.sleep(0.3)
        assert len(accepted(old, mark)) == 1 and as_acceptor(old, "handshake.ok", mark) == []
        result = d.wait_for("probe.result", lambda e: e["client"] == "strict-fd")
        assert result["mode"] == "failed" and "TLS Require = yes" in result["reason"]
        assert "strict-fd" not in modes_file(dir_root)
        assert "TLS Require = yes" in c.call("messages").decode()

        # 4. A 26 FD: immediate TLS, saved as tls-first.
        out = c.call("status client=new-fd").decode()
        assert "\r\x0b Handshake: Immediate TLS, Encryption: TLS_" in out
        shown = c.call("show client=new-fd").decode()
        assert "  # Handshake mode: tls-first\n" in shown
        listed = {
            x["name"]: x.get("handshake_mode")
            for x in bareos.bsock.DirectorConsoleJson(
                address="127.0.0.1", port=dp, password=CONSOLE_SECRET
            ).call(".clients")["clients"]
        }
        assert listed == {"old-fd": "cleartext-first", "strict-fd": "failed",
                          "new-fd": "tls-first"}  # fmt: skip
        assert {k: v["mode"] for k, v in modes_file(dir_root).items()} == {
            "old-fd": "cleartext-first", "new-fd": "tls-first"}  # fmt: skip

        # 5. Restart: the saved modes are used without probing.
        assert stop_all([d]) == [0]
        d = DaemonProcess(DIR, dir_root, "--auth-failure-delay", "0")
        restarted.append(d)
        start_all([d])
        d.wait_for("modes.loaded", lambda e: e["client"] == "old-fd")
        c = console(dp)
        mark = old.mark()
        out = c.call("status client=old-fd").decode()
        assert "Probing" not in out and " Handshake: Cleartext, Encryption: None\n" in out
        settle(old, mark, 1)
        assert len(accepted(old, mark)) == 1
        assert "Probing" not in c.call("status client=new-fd").decode()

        # 6. reload forgets the modes (and empties the file): the next contact probes.
        assert c.call("reload") == b"reloaded\n"
        assert modes_file(dir_root) == {}
        mark = old.mark()
        assert PROBING in c.call("status client=old-fd").decode()
        settle(old, mark, 2)
        assert len(as_acceptor(old, "handshake.failed", mark)) == 1

        # 7. --no-handshake-state: exact Bareos behaviour, a restart forgets.
        assert stop_all([d]) == [0]
        d = DaemonProcess(DIR, dir_root, "--auth-failure-delay", "0", "--no-handshake-state")
        restarted.append(d)
        start_all([d])
        c = console(dp)
        assert PROBING in c.call("status client=old-fd").decode()
        assert PROBING in c.call("status client=new-fd").decode()
        assert not d.events("modes.loaded")
    finally:
        codes = stop_all(dict.fromkeys([d, old, new, *restarted]))  # each process once
    assert all(code == 0 for code in codes), codes


# ---------------------------------------------------------------- a mixed fleet

# (FD persona, FD's Director resource TLS, Director's Client resource TLS, expected mode)
FLEET: list[tuple[str, dict[str, Any], dict[str, Any], str]] = [
    ("17.2", CLEAR, {"TLS Require": False}, "cleartext-first"),  # TLS tried, then fallback
    ("17.2", CLEAR, CLEAR, "cleartext-first"),  # cleartext straight away
    ("18.2", {}, {}, "tls-first"),
    ("18.2", CLEAR, CLEAR, "cleartext-first"),
    ("18.2", {}, {"TLS Require": False}, "tls-first"),
    ("25", {}, {}, "tls-first"),
    ("25", CLEAR, {}, "tls-first"),  # an acceptor takes TLS-PSK even with TLS Enable = no
    ("26", {}, {}, "tls-first"),
    ("26", CLEAR, CLEAR, "cleartext-first"),
    ("26", {}, CLEAR, "failed"),  # the FD requires TLS, the Director speaks cleartext
]


def test_mixed_fleet(tmp_path: Path) -> None:
    dp = free_port()
    fleet = [(f"fd{i:02d}-{p.replace('.', '')}", free_port(), p, fd_tls, dir_tls, want)
             for i, (p, fd_tls, dir_tls, want) in enumerate(FLEET * 2)]  # fmt: skip
    assert len(fleet) >= 20
    dir_root = dir_tree(tmp_path / "dir", dp,
                        clients=[client(n, port, **dir_tls) for n, port, _, _, dir_tls, _ in fleet])  # fmt: skip
    procs = [DaemonProcess(DIR, dir_root, "--auth-failure-delay", "0")]
    for name, port, persona, fd_tls, _, _ in fleet:
        fd_tree(tmp_path / name, name, port, **fd_tls)
        procs.append(DaemonProcess(FD, tmp_path / name, "--persona", persona,
                                   "--auth-failure-delay", "0.2"))  # fmt: skip
    try:
        start_all(procs)
        c = console(dp)
        for name, _port, persona, _, _, want in fleet:
            out = c.call(f"status client={name}").decode()
            assert PROBING in out, (name, out)
            if want == "failed":
                assert f"Failed to connect to Client {name}." in out, (name, out)
            else:
                assert f"{name} Version: " in out, (name, out)
                mode_text = "Immediate TLS" if want == "tls-first" else "Cleartext"
                assert f" Handshake: {mode_text}," in out, (name, persona, out)
        j = bareos.bsock.DirectorConsoleJson(address="127.0.0.1", port=dp, password=CONSOLE_SECRET)
        modes = {x["name"]: x.get("handshake_mode") for x in j.call(".clients")["clients"]}
        assert modes == {name: want for name, _, _, _, _, want in fleet}
        saved = {k: v["mode"] for k, v in modes_file(dir_root).items()}
        assert saved == {name: want for name, _, _, _, _, want in fleet if want != "failed"}
    finally:
        codes = stop_all(procs)
    assert codes == [0] * len(procs)


@pytest.mark.parametrize("persona", ["17.2"])
def test_probe_cost_and_other_consoles_meanwhile(tmp_path: Path, persona: str) -> None:
    """The TLS attempt on an old FD costs its failure delay; other consoles are served meanwhile."""
    dp, fp = free_port(), free_port()
    dir_tree(tmp_path / "dir", dp, clients=[client("old-fd", fp, **{"TLS Require": False})])
    fd_tree(tmp_path / "fd", "old-fd", fp, **CLEAR)
    d = DaemonProcess(DIR, tmp_path / "dir")
    fd = DaemonProcess(FD, tmp_path / "fd", "--persona", persona, "--auth-failure-delay", "1.0")
    try:
        start_all([d, fd])
        c = console(dp)
        other = console(dp)
        answered: list[float] = []

        def meanwhile() -> None:
            time.sleep(0.2)  # while the Director waits for the old FD's failure delay
            assert other.call("version").startswith(b"bareos-dir Version:")
            answered.append(time.monotonic())

        helper = threading.Thread(target=meanwhile)
        helper.start()
        t = time.monotonic()
        assert PROBING in c.call("status client=old-fd").decode()
        status_done = time.monotonic()
        first = status_done - t
        helper.join(10)
        assert answered and answered[0] < status_done  # one slow console blocks nobody
        t = time.monotonic()
        c.call("status client=old-fd")
        second = time.monotonic() - t
        assert 1.0 <= first < 10 and second < first / 2, (first, second)
    finally:
        codes = stop_all([d, fd])
    assert codes == [0, 0]
