"""End-to-end tests of bareos-fd-emu: real subprocesses on 127.0.0.1, real clients."""

from __future__ import annotations

import functools
import os
import re
import signal
import socket
import subprocess
import time
from pathlib import Path
from typing import Any

import bareos.bsock
import pytest
import trio

from bareosnet.errors import BareosError, HandshakeTimeoutError
from bareosnet.net.handshake import AcceptorSettings, accept
from bareosnet.net.stream import BareosStream
from bareosnet.proto import cram
from bareosnet.proto.connections import spec as connection_spec
from bareosnet.proto.framing import SignalFrame
from bareosnet.proto.handshake import AcceptPlan, Refusal
from bareosnet.proto.hello import HelloInfo, HelloKind
from bareosnet.proto.signals import Signal
from bareosnet.tls.settings import CLEARTEXT, TlsSettings
from daemons.common.auth import open_connection
from tests.daemons.conftest import (
    TIME,
    Bare,
    compare_turns,
    normalize,
    read_until_signal,
    recorded_frames,
    replay_connector,
    write_config,
)
from tests.support.daemons import BIN, DaemonProcess, free_port
from tests.support.transcripts import read_transcript

FD = "bareos-fd-emu"
SECRET = "lab-fd-secret"
KEY = cram.password_key(SECRET)
CLEAR = {"TLS Enable": False, "TLS Require": False}


def fd_tree(
    root: Path, port: int, directors: list[dict[str, Any]], *, name: str = "bareos-fd"
) -> Path:
    client = {"Name": name, "FD Port": port, "FD Address": Bare("127.0.0.1")}
    return write_config(
        root, "bareos-fd.d", [("Client", client)] + [("Director", d) for d in directors]
    )


def status_lines(payloads: list[bytes]) -> list[str]:
    return [p.rstrip(b"\x00").decode() for p in payloads]


# ---------------------------------------------------------------- one shared FD


@pytest.fixture(scope="module")
def fd(tmp_path_factory: pytest.TempPathFactory) -> Any:
    root = tmp_path_factory.mktemp("fd")
    port = free_port()
    fd_tree(
        root,
        port,
        [
            {"Name": "bareos-dir", "Password": SECRET},  # TLS defaults: PSK required
            {"Name": "clear-dir", "Password": SECRET, **CLEAR},
            {"Name": "tray-mon", "Password": SECRET, "Monitor": True, **CLEAR},
            {"Name": "no-dir", "Password": SECRET, "Connection From Director To Client": False},
        ],
    )
    proc = DaemonProcess(
        FD, root, "--auth-failure-delay", "0", "--idle-timeout", "3", "--peek-timeout", "1"
    ).start()
    yield proc, port
    assert proc.stop() == 0


def test_python_bareos_tls_psk_status(fd: Any) -> None:
    proc, port = fd
    mark = proc.mark()
    client = bareos.bsock.FileDaemon(
        address="127.0.0.1", port=port, name="bareos-dir", password=SECRET
    )
    out = client.call("status").decode()
    client.close()
    assert out.startswith("\nbareos-fd Version: 26.0.0 (21 August 2026) ")
    assert re.search(r"Daemon started \d\d-\w\w\w-\d\d \d\d:\d\d\. Jobs: run=0 running=0, ", out)
    assert "bareos-dir (director) connected at: " in out
    assert "No Jobs running.\n" in out and "\nTerminated Jobs:\n" in out
    ok = proc.wait_for("handshake.ok", after=mark)
    assert ok["psk_identity"] == "R_DIRECTOR\\x1ebareos-dir"
    assert ok["tls_version"] == "TLSv1.3" and ok["psk_used"] is True
    assert ok["connection"] == "3" and ok["mode"] == "tls-first"
    assert proc.wait_for("command.received", after=mark)["command"] == "status"
    assert proc.wait_for("session.ended", after=mark)["reason"] in (
        "peer-closed",
        "peer-terminated",
    )


def test_python_bareos_cleartext(fd: Any) -> None:
    proc, port = fd
    mark = proc.mark()
    client = bareos.bsock.FileDaemon(
        address="127.0.0.1", port=port, name="clear-dir", password=SECRET, tls_psk_enable=False
    )
    out = client.call("status").decode()
    client.close()
    assert "clear-dir (director) connected at: " in out
    ok = proc.wait_for("handshake.ok", after=mark)
    assert (
        ok["mode"] == "cleartext-first" and ok["tls_version"] is None and ok["peer"] == "clear-dir"
    )


def test_wrong_password_cleartext(fd: Any) -> None:
    proc, port = fd
    mark = proc.mark()
    with pytest.raises(bareos.exceptions.Error):
        bareos.bsock.FileDaemon(
            address="127.0.0.1", port=port, name="clear-dir", password="wrong", tls_psk_enable=False
        )
    failed = proc.wait_for("handshake.failed", after=mark)
    assert failed["cause"] == "wrong-password"


def test_wrong_password_tls(fd: Any) -> None:
    proc, port = fd
    mark = proc.mark()
    with pytest.raises((bareos.exceptions.Error, OSError)):  # ssl.SSLError from the handshake
        bareos.bsock.FileDaemon(
            address="127.0.0.1",
            port=port,
            name="bareos-dir",
            password="wrong",
            tls_psk_require=True,
        )
    failed = proc.wait_for("handshake.failed", after=mark)
    assert failed["cause"] == "psk-mismatch"


async def _connect(port: int, name: str, row: str = "3", password: str = SECRET) -> BareosStream:
    own = "" if row == "10" else name
    stream, _ = await open_connection(
        row, host="127.0.0.1", port=port, hello_name=name, own_name=own,
        key=cram.password_key(password), tls=CLEARTEXT,
    )  # fmt: skip
    return stream


async def test_dot_status_and_cancel(fd: Any) -> None:
    _, port = fd
    s = await _connect(port, "clear-dir")
    await s.send(".status current")
    assert await read_until_signal(s) == ([b"2000 OK .status\n"], Signal.EOD)
    await s.send(".status last")
    assert await read_until_signal(s) == ([b"2000 OK .status\n"], Signal.EOD)
    await s.send(".status header")
    lines, sig = await read_until_signal(s)
    assert sig is Signal.EOD and all(p.endswith(b"\n\x00") for p in lines)
    assert lines[0].startswith(b"bareos-fd Version: ") and lines[2].startswith(b" Sizeof: ")
    await s.send(".status running")
    lines, _ = await read_until_signal(s)
    assert len(lines) == 1 and re.fullmatch(
        rb"DirectorConnected=\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\n\x00", lines[0]
    )
    await s.send(".status terminated")
    assert await read_until_signal(s) == ([], Signal.EOD)
    await s.send("cancel Job=nosuchjob")
    assert await read_until_signal(s) == ([b"2901 Job nosuchjob not found.\n"], Signal.EOD)
    await s.send("cancel")
    assert await read_until_signal(s) == ([b"2902 Error scanning cancel command.\n"], Signal.EOD)
    await s.send("setdebug=7 trace=0 hangup=0 timestamp=1")
    reply = await s.receive_packet()
    assert (
        reply
        == b"2000 OK setdebug=7 trace=0 hangup=0 timestamp=1 tracefile=/var/lib/bareos/bareos-fd.trace\n"
    )
    await s.send(".status header")
    lines, _ = await read_until_signal(s)
    assert b" debug=7 " in lines[2]
    await s.send("setdebug=0 trace=0")
    assert (
        await s.receive_packet()
        == b"2000 OK setdebug=0 trace=0 hangup=-1 tracefile=/var/lib/bareos/bareos-fd.trace\n"
    )
    await s.send(".status nonsense")
    assert await read_until_signal(s) == (
        [b"2900 Bad .status command, wrong argument.\n"],
        Signal.EOD,
    )
    assert await s.receive(timeout=5) == SignalFrame(Signal.TERMINATE)  # the FD ends the session
    await s.aclose()


async def test_unknown_command_ends_session(fd: Any) -> None:
    proc, port = fd
    mark = proc.mark()
    s = await _connect(port, "clear-dir")
    await s.send(b"\x00")  # heartbeat-like junk is a command too; use a real word next
    assert await read_until_signal(s) == ([b"2999 Invalid command\n"], Signal.TERMINATE)
    await s.aclose()
    s = await _connect(port, "clear-dir")
    await s.send_signal(Signal.HEARTBEAT)  # ignored
    await s.send("frobnicate all")
    assert await read_until_signal(s) == ([b"2999 Invalid command\n"], Signal.TERMINATE)
    await s.aclose()
    ended = await trio.to_thread.run_sync(
        lambda: proc.wait_for(
            "session.ended", lambda e: e.get("detail") == "frobnicate", after=mark
        )
    )
    assert ended["reason"] == "unknown-command"
    words = [e["command"] for e in proc.events("command.received")[-3:]]
    assert "frobnicate" in words and not any("all" in w for w in words)


async def test_monitor_only_status(fd: Any) -> None:
    _, port = fd
    s = await _connect(port, "tray-mon", row="10")
    await s.send("status")
    lines, sig = await read_until_signal(s)
    assert sig is Signal.EOD and lines[0] == b"\n"
    assert b"tray-mon (director) connected at: " in b"".join(lines)
    await s.send("cancel Job=x")
    first, sig = await read_until_signal(s)
    assert (first, sig) == (
        [b"2997 Invalid command for a Director with Monitor directive enabled.\n"],
        Signal.EOD,
    )
    assert isinstance(await s.receive(timeout=5), SignalFrame)  # then BNET_TERMINATE
    await s.aclose()


async def test_refused_directors(fd: Any) -> None:
    proc, port = fd
    for name, cause in (("nobody-dir", "unknown-name"), ("no-dir", "not-allowed")):
        mark = proc.mark()
        with pytest.raises(BareosError):
            await _connect(port, name)
        failed = await trio.to_thread.run_sync(
            functools.partial(proc.wait_for, "handshake.failed", after=mark)
        )
        assert failed["cause"] == cause


async def test_idle_session_is_closed(fd: Any) -> None:
    proc, port = fd
    mark = proc.mark()
    s = await _connect(port, "clear-dir")
    started = time.monotonic()
    frame = await s.receive(timeout=10)
    assert frame == SignalFrame(Signal.TERMINATE)
    assert time.monotonic() - started >= 2.5
    ended = await trio.to_thread.run_sync(
        lambda: proc.wait_for("session.ended", lambda e: e["reason"] == "idle-timeout", after=mark)
    )
    assert ended["director"] == "clear-dir"
    await s.aclose()


async def test_bad_input_is_dropped_and_others_are_served(fd: Any) -> None:
    proc, port = fd
    mark = proc.mark()

    async def raw(data: bytes, *, close: bool) -> trio.SocketStream:
        tcp = await trio.open_tcp_stream("127.0.0.1", port)
        await tcp.send_all(data)
        if close:
            await tcp.aclose()
        return tcp

    await raw(os.urandom(200), close=True)
    await raw(b"\x00\x00\x00\x33Hello Director cl", close=True)  # truncated Hello
    staller = await raw(b"\x00\x00\x00", close=False)  # 3 bytes, then nothing
    s = await _connect(port, "clear-dir")
    await s.send("status")
    lines, sig = await read_until_signal(s)
    assert sig is Signal.EOD and lines[1].startswith(b"bareos-fd Version: ")
    await s.aclose()
    events = await trio.to_thread.run_sync(
        lambda: [
            proc.wait_for("handshake.failed", lambda e, w=w: w in e["error"], after=mark)
            for w in ("TLS", "closed", "3 bytes")
        ]  # fmt: skip
    )
    assert all(e["side"] == "acceptor" for e in events)
    await staller.aclose()


async def test_golden_transcript_stream01(fd: Any, tmp_path: Path) -> None:
    """Replay the Director's side of a real `status client` and compare every reply."""
    port = free_port()
    root = fd_tree(tmp_path, port, [{"Name": "bareos-dir", "Password": SECRET, **CLEAR}])
    proc = DaemonProcess(FD, root, "-d", "0")
    await trio.to_thread.run_sync(proc.start)
    try:
        frames = read_transcript("stream01-to-file-daemon")
        turns = await replay_connector(port, frames, KEY)
    finally:
        assert await trio.to_thread.run_sync(proc.stop) == 0
    compare_turns(turns)


# ---------------------------------------------------------------- own processes


async def test_legacy_17_2_persona(tmp_path: Path) -> None:
    port = free_port()
    key_hex = "3dbf46fb64167a428f4aea6c9d130275"  # md5 of the lab's password
    root = fd_tree(
        tmp_path, port, [{"Name": "bareos-dir", "Password": f"[md5]{key_hex}"}], name="legacy-fd"
    )
    proc = DaemonProcess(FD, root, "--persona", "17.2", "-d", "200", "--auth-failure-delay", "1")
    await trio.to_thread.run_sync(proc.start)
    try:
        # A TLS ClientHello first: dropped after the delay, nothing sent back.
        tcp = await trio.open_tcp_stream("127.0.0.1", port)
        await tcp.send_all(bytes.fromhex("16030102000100") + os.urandom(100))
        started = time.monotonic()
        with trio.fail_after(10):
            try:
                data = await tcp.receive_some(100)
            except trio.BrokenResourceError:
                data = b""
        assert data == b"" and time.monotonic() - started >= 0.9
        await tcp.aclose()
        failed = await trio.to_thread.run_sync(lambda: proc.wait_for("handshake.failed"))
        assert "too big" in failed["error"]
        # Then the recorded 17.2 session, byte for byte where Bareos would agree.
        turns = await replay_connector(
            port, read_transcript("legacy-17.2-fd-status"), key_hex.encode()
        )
    finally:
        assert await trio.to_thread.run_sync(proc.stop) == 0
    challenge = turns[1].received[0]
    assert isinstance(challenge, bytes)
    assert re.fullmatch(rb"auth cram-md5 <\d+\.\d+@legacy-fd> ssl=0\n", challenge)
    for turn in turns:
        if turn.direction == "S":
            recorded = recorded_frames(turn)
            got = [legacy_normalize(p) for p in turn.received]
            assert got == [legacy_normalize(p) for p in recorded]


def legacy_normalize(p: bytes | Signal) -> bytes | Signal:
    if isinstance(p, Signal):
        return p
    p = normalize(p)
    assert isinstance(p, bytes)
    # 17.2's header names its build host after the date; ours names this machine's.
    p = re.sub(rb"^legacy-fd Version: 17\.2\.10 \(09 July 2020\)  \S+-unknown-linux-gnu \S+ .+\n\x00$",
               b"legacy-fd Version: 17.2.10 (09 July 2020)  HOST\n\x00", p)  # fmt: skip
    p = re.sub(
        rb"^Daemon started " + TIME + rb"\. Jobs: run=0 running=0\.\n", b"Daemon started T.\n", p
    )
    return p


async def test_client_initiated_connection(tmp_path: Path) -> None:
    listeners = await trio.open_tcp_listeners(0, host="127.0.0.1")
    dir_port = listeners[0].socket.getsockname()[1]
    port = free_port()
    root = fd_tree(
        tmp_path,
        port,
        [{
            "Name": "bareos-dir", "Password": SECRET, "Address": "127.0.0.1", "Port": dir_port,
            "Connection From Client To Director": True,
        }],
    )  # fmt: skip
    proc = DaemonProcess(FD, root, "--reconnect-initial", "0.2", "--reconnect-max", "0.5")

    def resolve(hello: HelloInfo) -> AcceptPlan | Refusal:
        assert hello.kind is HelloKind.CLIENT and hello.name == "bareos-fd"
        assert hello.fd_protocol_version == 54
        return AcceptPlan(
            spec=connection_spec("4"), key=KEY, policy=2, own_name="bareos-dir",
            success=lambda enc: [b"1000 OK: bareos-dir Version: 26.0.0 (21 August 2026)\n"],
        )  # fmt: skip

    settings = AcceptorSettings(
        resolver=resolve,
        own_tls=TlsSettings(),
        psk_lookup=lambda ident: KEY if ident == "R_CLIENT\x1ebareos-fd" else None,
        failure_delay=0,
    )
    await trio.to_thread.run_sync(proc.start)
    try:
        async with listeners[0] as listener:
            with trio.fail_after(15):
                tcp = await listener.accept()
                stream, info = await accept(tcp, settings, peer_address="fd")
                assert info.connection == "4" and info.tls_version == "TLSv1.3"
                assert info.psk_identity == "R_CLIENT\x1ebareos-fd"
                connected = await trio.to_thread.run_sync(
                    lambda: proc.wait_for("client_initiated.connected")
                )
                assert connected["director"] == "bareos-dir"
                # The waiting connection stays silent.
                with pytest.raises(HandshakeTimeoutError):
                    await stream.receive(timeout=0.5)
                await stream.send("status")
                lines, sig = await read_until_signal(stream)
                assert sig is Signal.EOD
                assert lines[0] == b"\n" and lines[1].startswith(b"bareos-fd Version: ")
                assert b"bareos-dir (director) connected at: " in b"".join(lines)
                # Bareos opens the next waiting connection as soon as one is in use.
                tcp2 = await listener.accept()
                stream2, _ = await accept(tcp2, settings, peer_address="fd")
                await stream.aclose()
                await stream2.aclose()  # the FD notices and reconnects
                tcp3 = await listener.accept()
                stream3, _ = await accept(tcp3, settings, peer_address="fd")
                await stream3.send("status")
                lines, sig = await read_until_signal(stream3)
                assert sig is Signal.EOD and lines[0] == b"\n"
                await stream3.aclose()
        lost = await trio.to_thread.run_sync(lambda: proc.wait_for("client_initiated.lost"))
        assert lost["director"] == "bareos-dir"
    finally:
        assert await trio.to_thread.run_sync(proc.stop) == 0


def test_reload_and_stop(tmp_path: Path) -> None:
    port = free_port()
    root = fd_tree(tmp_path, port, [{"Name": "bareos-dir", "Password": "first-secret", **CLEAR}])
    proc = DaemonProcess(FD, root, "--auth-failure-delay", "0").start()

    def status(password: str) -> bytes:
        c = bareos.bsock.FileDaemon(
            address="127.0.0.1",
            port=port,
            name="bareos-dir",
            password=password,
            tls_psk_enable=False,
        )
        try:
            return c.call("status")
        finally:
            c.close()

    try:
        assert b"bareos-fd Version:" in status("first-secret")
        fd_tree(tmp_path, port, [{"Name": "bareos-dir", "Password": "second-secret", **CLEAR}])
        mark = proc.mark()
        proc.signal(signal.SIGHUP)
        proc.wait_for("reload.ok", after=mark)
        with pytest.raises(bareos.exceptions.Error):
            status("first-secret")
        assert b"bareos-fd Version:" in status("second-secret")
        # A broken config on reload keeps the running one.
        bad = tmp_path / "bareos-fd.d" / "director" / "bareos-dir.conf"
        bad.write_text("Director {\n  Name = bareos-dir\n  Pasword = x\n}\n")
        mark = proc.mark()
        proc.signal(signal.SIGHUP)
        failed = proc.wait_for("reload.failed", after=mark)
        assert "bareos-dir.conf:3" in failed["reason"]
        assert b"bareos-fd Version:" in status("second-secret")
    finally:
        assert proc.stop() == 0
    assert proc.events("daemon.stopping")[-1]["signal"] == "SIGTERM"


def test_config_check_reports_file_and_line(tmp_path: Path) -> None:
    fd_tree(tmp_path, free_port(), [{"Name": "bareos-dir", "Password": SECRET}])
    good = subprocess.run(
        [str(BIN / FD), "-c", str(tmp_path), "-t"], capture_output=True, text=True
    )
    assert good.returncode == 0 and good.stderr == ""
    conf = tmp_path / "bareos-fd.d" / "director" / "bareos-dir.conf"
    conf.write_text('Director {\n  Name = bareos-dir\n  Password = "x"\n  Bogus Directive = 1\n}\n')
    bad = subprocess.run([str(BIN / FD), "-c", str(tmp_path), "-t"], capture_output=True, text=True)
    assert bad.returncode == 1
    assert f"{conf}:4" in bad.stderr and len(bad.stderr.strip().splitlines()) == 1


def test_port_in_use(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        fd_tree(tmp_path, port, [{"Name": "bareos-dir", "Password": SECRET}])
        run = subprocess.run(
            [str(BIN / FD), "-c", str(tmp_path), "--log-format", "json"],
            capture_output=True, text=True, timeout=20,
        )  # fmt: skip
    assert run.returncode != 0
    errors = [line for line in run.stderr.splitlines() if not line.startswith("{")]
    assert len(errors) == 1 and "address already in use" in errors[0]


def test_status_packet_shapes_from_raw_socket(fd: Any) -> None:
    """Every status line is its own packet with the NUL inside (a raw look, no library)."""
    _, port = fd

    async def main() -> list[bytes]:
        s = await _connect(port, "clear-dir")
        await s.send("status")
        lines, _ = await read_until_signal(s)
        await s.aclose(terminate=True)
        return lines

    lines = trio.run(main)
    assert lines[0] == b"\n"
    assert all(p.endswith(b"\x00") and p.count(b"\x00") == 1 for p in lines[1:])
    assert status_lines(lines[1:])[-1] == "====\n"
