"""python-bareos against bareos-dir-emu, with bareos-fd-emu and bareos-sd-emu behind it (TLS-PSK)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import bareos.bsock
import bareos.exceptions
import pytest

from tests.daemons.test_director_lab import (
    ADMIN_SECRET,
    CLEAR,
    CONSOLE_SECRET,
    DIR,
    FD,
    SD,
    client,
    console,
    dir_tree,
    fd_tree,
    sd_tree,
    start_all,
    stop_all,
    storage,
)
from tests.support.daemons import DaemonProcess, free_port

ENCRYPTION = re.compile(r" Encryption: TLS_\w+ TLSv1\.3")


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Any:
    root = tmp_path_factory.mktemp("dirlab")
    dp, fp, sp = free_port(), free_port(), free_port()
    dir_tree(root / "dir", dp, clients=[client("bareos-fd", fp)], storages=[storage("File", sp)],
             consoles=[{"Name": "admin", "Password": ADMIN_SECRET, "Command ACL": "*all*",
                        "Client ACL": "*all*", "Storage ACL": "*all*"}])  # fmt: skip
    fd_tree(root / "fd", "bareos-fd", fp)
    sd_tree(root / "sd", "bareos-sd", sp)
    procs = start_all([
        DaemonProcess(DIR, root / "dir", "--auth-failure-delay", "0"),
        DaemonProcess(FD, root / "fd"),
        DaemonProcess(SD, root / "sd"),
    ])  # fmt: skip
    yield {"dir": procs[0], "fd": procs[1], "sd": procs[2], "port": dp, "fd_port": fp,
           "sd_port": sp, "root": root}  # fmt: skip
    assert stop_all(procs) == [0, 0, 0]


def test_version_and_status_over_tls_psk(lab: Any) -> None:
    d = lab["dir"]
    c = console(lab["port"])
    version = c.call("version").decode()
    assert re.match(r"bareos-dir Version: 26\.0\.0 \(21 August 2026\) .+\n$", version), version
    status = c.call("status director").decode()
    assert status.startswith("bareos-dir Version: 26.0.0 (21 August 2026) ")
    assert "\nRunning Jobs:\nConsole connected at " in status
    assert "Client Initiated Connections (waiting for jobs):" in status
    assert status.endswith("====\n")

    fd_status = c.call("status client=bareos-fd").decode()
    head, _, body = fd_status.partition("\n\n")
    assert head.startswith(f"Connecting to Client bareos-fd at 127.0.0.1:{lab['fd_port']}\n")
    assert "Probing client protocol... (result will be saved until config reload)" in head
    assert "\r\x0b Handshake: Immediate TLS," in head and ENCRYPTION.search(head), head
    assert body.startswith("bareos-fd Version: 26.0.0 (21 August 2026) ")
    assert "bareos-dir (director) connected at: " in body

    again = c.call("status client=bareos-fd").decode()
    assert "Probing" not in again
    assert again.split("\n")[1].startswith(" Handshake: Immediate TLS, Encryption: TLS_")

    sd_status = c.call("status storage=File").decode()
    assert sd_status.startswith(
        f"Connecting to Storage daemon File at 127.0.0.1:{lab['sd_port']}\n"
    )
    assert ENCRYPTION.search(sd_status.split("\n")[1])
    assert "bareos-sd Version: 26.0.0" in sd_status
    assert 'Device "FileStorage"' in sd_status

    # The Director's side of the console login, and of its own connections.
    ok = d.wait_for("handshake.ok", lambda e: e.get("connection") == "1")
    assert ok["psk_identity"] == "R_CONSOLE\\x1e*UserAgent*"
    assert ok["tls_version"] == "TLSv1.3" and ok["psk_used"] is True
    fd_ok = d.wait_for("handshake.ok", lambda e: e.get("connection") == "3")
    assert fd_ok["psk_identity"] == "R_DIRECTOR\\x1ebareos-dir" and fd_ok["mode"] == "tls-first"
    sd_ok = d.wait_for("handshake.ok", lambda e: e.get("connection") == "5")
    assert sd_ok["psk_identity"] == "R_DIRECTOR\\x1ebareos-dir"
    probe = d.wait_for("probe.result", lambda e: e.get("client") == "bareos-fd")
    assert probe["mode"] == "tls-first"


def test_json_console(lab: Any) -> None:
    j = bareos.bsock.DirectorConsoleJson(address="127.0.0.1", port=lab["port"],
                                         password=CONSOLE_SECRET)  # fmt: skip
    clients = j.call(".clients")
    assert clients["clients"][0]["name"] == "bareos-fd"
    assert clients["clients"][0]["enabled"] is True
    status = j.call("status director")
    assert status["header"]["director"] == "bareos-dir"
    assert status["header"]["version"] == "26.0.0"
    assert status["running"] == [] and status["client-connection"] == []
    version = j.call("version")["version"]
    assert version["name"] == "bareos-dir" and version["type"] == "bareos-director"
    shown = j.call("show client=bareos-fd")["clients"]["bareos-fd"]
    assert shown["name"] == "bareos-fd" and shown["port"] == lab["fd_port"]
    assert shown["password"].startswith("[md5]")
    assert j.call("status client=bareos-fd") == {}  # no JSON form: an empty result
    with pytest.raises(bareos.exceptions.JsonRpcErrorReceivedException):
        j.call("foobar")


def test_show_json_and_verbose_text(lab: Any) -> None:
    """show: JSON typed as Bareos types it; verbose text lists the defaults as comments."""
    j = bareos.bsock.DirectorConsoleJson(address="127.0.0.1", port=lab["port"],
                                         password=CONSOLE_SECRET)  # fmt: skip
    director = j.call("show director")["directors"]["bareos-dir"]
    # The listen list is an array of {family: {addr, port}} (it was once the string "{").
    assert director["addresses"] == [{"ipv4": {"addr": "127.0.0.1", "port": lab["port"]}}]
    assert "maximumconcurrentjobs" not in director  # at its default: only with verbose
    verbose = j.call("show director verbose")["directors"]["bareos-dir"]
    assert verbose["maximumconcurrentjobs"] == 1 and verbose["auditing"] is False, verbose
    assert verbose["fdconnecttimeout"] == "3 minutes " and verbose["pluginnames"] == []
    shown = j.call("show client=bareos-fd verbose")["clients"]["bareos-fd"]
    assert shown["port"] == lab["fd_port"] and shown["hardquota"] == "0", shown
    assert j.call("show disabled") == {"disabled": {"jobs": [], "clients": [], "schedules": []}}
    c = console(lab["port"])
    plain = c.call("show client=bareos-fd").decode()
    # Defaults only with verbose (the handshake line is the emulator's own addition).
    comments = [line for line in plain.splitlines() if line.startswith("  # ")]
    assert comments == ["  # Handshake mode: tls-first"], plain
    assert f"  Port = {lab['fd_port']}\n" in plain, plain
    text = c.call("show client=bareos-fd verbose").decode()
    assert text.startswith('Client {\n  Name = "bareos-fd"\n  # Description = \n'), text
    assert "  # Protocol = Native\n" in text and "  # HeartbeatInterval = 0\n" in text, text
    assert "  # NdmpBlockSize = 63 k\n" in text and '  # TlsCipherList = ""\n' in text, text
    assert "FileRetention" not in text and "  # TlsAllowedCn = \n" in text, text
    consoles = c.call("show consoles verbose").decode()
    assert '# Console {\n  # Name = "*UserAgent*"\n' in consoles, consoles
    assert "*UserAgent*" not in c.call("show consoles").decode()
    assert c.call("show help").decode() == (
        "Keywords for the show command are:\ndirectors\nclients\njobs\njobdefs\nstorages\n"
        "catalogs\nschedules\nfilesets\npools\nmessages\ncounters\nprofiles\nconsoles\nusers\n"
    )
    assert c.call("show counters").decode() == "No Counter resource defined\n"
    disabled = c.call("show disabled clients").decode()
    assert disabled == "No disabled Clients.\n", disabled
    # "disable" changes the resource itself: show reports it (as a comment: not written).
    c.call("disable client=bareos-fd yes")
    try:
        assert "  # Enabled = No\n" in c.call("show client=bareos-fd verbose").decode()
        assert j.call("show client=bareos-fd verbose")["clients"]["bareos-fd"]["enabled"] is False
        assert c.call("show disabled clients").decode() == "Disabled Clients:\n   bareos-fd\n"
    finally:
        c.call("enable client=bareos-fd yes")
    # Once started, Bareos no longer marks a (re)parsed resource's unwritten items: after
    # a reload plain show also prints the unset references that are not "at default".
    c.call("reload")
    after = c.call("show client=bareos-fd").decode()
    assert '  Catalog = ""\n' in after and "Description" not in after, after


def test_named_console(lab: Any) -> None:
    admin = console(lab["port"], name="admin", password=ADMIN_SECRET)
    assert admin.call("whoami") == b"admin\n"
    with pytest.raises(bareos.exceptions.AuthenticationError):
        console(lab["port"], name="admin", password="not-the-password")
    with pytest.raises(bareos.exceptions.AuthenticationError):
        console(lab["port"], name="nobody", password=ADMIN_SECRET)
    failed = lab["dir"].wait_for("handshake.failed", lambda e: e.get("side") == "acceptor")
    assert "not-the-password" not in str(failed)


def test_cleartext_console(tmp_path: Path) -> None:
    port = free_port()
    root = dir_tree(tmp_path, port, director=dict(CLEAR))
    proc = DaemonProcess(DIR, root, "--auth-failure-delay", "0")
    try:
        start_all([proc])
        c = console(port, tls_psk_enable=False)
        assert c.call("whoami") == b"root\n"
        ok = proc.wait_for("handshake.ok")
        assert ok["mode"] == "cleartext-first" and ok["tls_version"] is None
        assert ok["psk_used"] is False
    finally:
        codes = stop_all([proc])
    assert codes == [0]
