"""End-to-end tests of bareos-sd-emu: real subprocesses on 127.0.0.1."""

from __future__ import annotations

import functools
import re
import signal
import socket
import subprocess
from pathlib import Path
from typing import Any

import pytest
import trio

from bareosnet.errors import BareosError
from bareosnet.net.stream import BareosStream
from bareosnet.proto import cram
from bareosnet.proto.framing import SignalFrame
from bareosnet.proto.signals import Signal
from bareosnet.tls.settings import CLEARTEXT, TlsSettings
from daemons.common.auth import open_connection
from tests.daemons.conftest import (
    Bare,
    compare_turns,
    read_until_signal,
    replay_connector,
    write_config,
)
from tests.support.daemons import BIN, DaemonProcess, free_port
from tests.support.transcripts import read_transcript

SD = "bareos-sd-emu"
SECRET = "lab-sd-secret"
KEY = cram.password_key(SECRET)
CLEAR = {"TLS Enable": False, "TLS Require": False}
DEVICE = {"Name": "FileStorage", "Media Type": "File", "Archive Device": "/srv/bareos-lab/storage"}


def sd_tree(root: Path, port: int, directors: list[dict[str, Any]], extra: list[Any] = ()) -> Path:  # type: ignore[assignment]
    storage = {"Name": "bareos-sd", "SD Port": port, "SD Address": Bare("127.0.0.1")}
    resources = [("Storage", storage), ("Device", DEVICE), *extra]
    return write_config(root, "bareos-sd.d", resources + [("Director", d) for d in directors])


@pytest.fixture(scope="module")
def sd(tmp_path_factory: pytest.TempPathFactory) -> Any:
    root = tmp_path_factory.mktemp("sd")
    port = free_port()
    changer_devices = [
        ("Device", {"Name": "Drive-1", "Media Type": "LTO", "Archive Device": "/dev/nst0",
                    "Drive Index": 0}),
        ("Device", {"Name": "Drive-2", "Media Type": "LTO", "Archive Device": "/dev/nst1",
                    "Drive Index": 1}),
        ("Autochanger", {"Name": "Changer", "Device": ["Drive-1", "Drive-2"],
                         "Changer Device": "/dev/sg0", "Changer Command": "/bin/true"}),
    ]  # fmt: skip
    sd_tree(
        root,
        port,
        [
            {"Name": "bareos-dir", "Password": SECRET},
            {"Name": "clear-dir", "Password": SECRET, **CLEAR},
            {"Name": "tray-mon", "Password": SECRET, "Monitor": True, **CLEAR},
        ],
        changer_devices,
    )
    proc = DaemonProcess(SD, root, "--auth-failure-delay", "0", "-d", "0").start()
    yield proc, port
    assert proc.stop() == 0


async def _connect(port: int, name: str, *, row: str = "5", tls: TlsSettings = CLEARTEXT,
                   password: str = SECRET) -> BareosStream:  # fmt: skip
    stream, _ = await open_connection(
        row, host="127.0.0.1", port=port, hello_name=name, own_name="" if row == "11" else name,
        key=cram.password_key(password), tls=tls,
    )  # fmt: skip
    return stream


async def test_tls_psk_status(sd: Any) -> None:
    proc, port = sd
    mark = proc.mark()
    s = await _connect(port, "bareos-dir", tls=TlsSettings())
    await s.send("status FileStorage\n")
    lines, sig = await read_until_signal(s)
    await s.aclose(terminate=True)
    assert sig is Signal.EOD and lines[0] == b"\n"
    assert re.fullmatch(rb"bareos-sd Version: 26\.0\.0 \(21 August 2026\) .+ \n\x00", lines[1])
    assert b'\nDevice "FileStorage" (/srv/bareos-lab/storage) is not open.\n\x00' in lines
    assert not any(b"Drive-1" in p for p in lines)  # only the device asked for
    ok = await trio.to_thread.run_sync(lambda: proc.wait_for("handshake.ok", after=mark))
    assert ok["psk_identity"] == "R_DIRECTOR\\x1ebareos-dir" and ok["tls_version"] == "TLSv1.3"
    assert ok["connection"] == "5"


async def test_device_selection(sd: Any) -> None:
    _, port = sd
    s = await _connect(port, "clear-dir")
    await s.send("status Changer")
    lines, _ = await read_until_signal(s)
    device_part = lines[lines.index(b"\nDevice status:\n\x00") :]
    assert device_part[:4] == [
        b"\nDevice status:\n\x00",
        b'Autochanger "Changer" with devices:\n\x00',
        b'   "Drive-1" (/dev/nst0)\n\x00',
        b'   "Drive-2" (/dev/nst1)\n\x00',
    ]
    # Then each drive of the changer (in configuration order), and nothing else.
    blocks = [tuple(device_part[i : i + 3]) for i in (4, 7)]
    assert sorted(blocks) == [
        (b'\nDevice "Drive-1" (/dev/nst0) is not open.\n\x00', b"    Drive 0 is not loaded.\n\x00",
         b"==\n\x00"),
        (b'\nDevice "Drive-2" (/dev/nst1) is not open.\n\x00', b"    Drive 1 is not loaded.\n\x00",
         b"==\n\x00"),
    ]  # fmt: skip
    assert device_part[10:12] == [b"====\n\n\x00", b"Used Volume status:\n\x00"]
    await s.send("status")  # no device list: Bareos lists no device
    lines, _ = await read_until_signal(s)
    i = lines.index(b"\nDevice status:\n\x00")
    assert lines[i + 1] == b"====\n\n\x00"
    await s.send(".status devices")
    lines, sig = await read_until_signal(s)
    assert (
        sig is Signal.EOD
        and b'\nDevice "FileStorage" (/srv/bareos-lab/storage) is not open.\n\x00' in lines
    )
    assert b"==\n\x00" not in lines
    await s.aclose(terminate=True)


async def test_dot_status_cancel_setdebug(sd: Any) -> None:
    _, port = sd
    s = await _connect(port, "clear-dir")
    for what in ("current", "last", "CURRENT"):
        await s.send(f".status {what}")
        assert await read_until_signal(s) == ([b"3000 OK .status\n"], Signal.EOD)
    await s.send(".status terminated")
    assert await read_until_signal(s) == ([], Signal.EOD)
    await s.send(".status header")
    lines, _ = await read_until_signal(s)
    assert lines[2] == b" Sizes: boffset_t=8 size_t=8 int32_t=4 int64_t=8 bwlimit=0kB/s\n\x00"
    await s.send("cancel Job=nosuchjob.2026-01-01_00.00.00_01")
    assert await read_until_signal(s) == (
        [b"3904 Job nosuchjob.2026-01-01_00.00.00_01 not found.\n"], Signal.EOD)  # fmt: skip
    await s.send("setdebug=3 trace=1 timestamp=0")
    assert await s.receive_packet() == (
        b"3000 OK setdebug=3 trace=1 timestamp=0 tracefile=/var/lib/bareos/bareos-sd.trace\n")  # fmt: skip
    await s.send("setdebug=0 trace=0")
    assert (
        await s.receive_packet()
        == b"3000 OK setdebug=0 tracefile=/var/lib/bareos/bareos-sd.trace\n"
    )
    await s.send(".status bogus")
    assert await read_until_signal(s) == (
        [b"3900 Unknown arg in .status command: .status bogus\n"], Signal.EOD)  # fmt: skip
    assert await s.receive(timeout=5) == SignalFrame(Signal.TERMINATE)
    await s.aclose()


async def test_unknown_command(sd: Any) -> None:
    proc, port = sd
    s = await _connect(port, "clear-dir")
    await s.send("frobnicate now\n")
    assert await read_until_signal(s) == (
        [b"3900 Invalid command: frobnicate now\n\n"],
        Signal.TERMINATE,
    )
    await s.aclose()


async def test_monitor(sd: Any) -> None:
    _, port = sd
    s = await _connect(port, "tray-mon", row="11")
    await s.send("status FileStorage")
    lines, sig = await read_until_signal(s)
    assert sig is Signal.EOD and lines[1].startswith(b"bareos-sd Version: ")
    await s.send("cancel Job=x")
    assert await read_until_signal(s) == (
        [b"3997 Invalid command for a Director with Monitor directive enabled.\n"], Signal.EOD)  # fmt: skip
    assert await read_until_signal(s) == (
        [b"3900 Invalid command: cancel Job=x\n"],
        Signal.TERMINATE,
    )
    await s.aclose()


async def test_refusals(sd: Any) -> None:
    proc, port = sd
    # Wrong password: "1999 Authorization failed." and the SD's "3999 No go".
    mark = proc.mark()
    tcp = await trio.open_tcp_stream("127.0.0.1", port)
    s = BareosStream(tcp, timeout=5)
    await s.send("Hello Director clear-dir calling\n")
    challenge = cram.parse_challenge(await s.receive_packet())
    assert challenge.name == "R_STORAGE::bareos-sd" and challenge.policy == 0
    await s.send(cram.response_packet(b"0" * 32, challenge))
    assert await s.receive_packet() == b"1999 Authorization failed.\n"
    assert await s.receive_packet() == b"3999 No go\n"
    await s.aclose()
    failed = await trio.to_thread.run_sync(lambda: proc.wait_for("handshake.failed", after=mark))
    assert failed["cause"] == "wrong-password"
    # Unknown Director and unknown jobs: BNET_TERMINATE, no CRAM.
    for hello in ("Hello Director nobody calling\n", "Hello Start Job backup.2026-01-01_00.00.00_01\n",
                  "Hello Start Storage Job copy.2026-01-01_00.00.00_02\n"):  # fmt: skip
        mark = proc.mark()
        tcp = await trio.open_tcp_stream("127.0.0.1", port)
        s = BareosStream(tcp, timeout=5)
        await s.send(hello)
        assert await s.receive() == SignalFrame(Signal.TERMINATE)
        await s.aclose()
        failed = await trio.to_thread.run_sync(
            functools.partial(proc.wait_for, "handshake.failed", after=mark)
        )
        assert failed["cause"] == "unknown-name"
    with pytest.raises(BareosError):
        await _connect(port, "bareos-dir", password="wrong", tls=TlsSettings())


async def test_golden_transcript_stream02(tmp_path: Path) -> None:
    port = free_port()
    root = sd_tree(tmp_path, port, [{"Name": "bareos-dir", "Password": SECRET, **CLEAR}])
    proc = DaemonProcess(SD, root, "-d", "0")
    await trio.to_thread.run_sync(proc.start)
    try:
        turns = await replay_connector(port, read_transcript("stream02-to-storage-daemon"), KEY)
    finally:
        assert await trio.to_thread.run_sync(proc.stop) == 0
    compare_turns(turns)


def test_reload_and_stop(tmp_path: Path) -> None:
    port = free_port()
    root = sd_tree(tmp_path, port, [{"Name": "bareos-dir", "Password": "first", **CLEAR}])
    proc = DaemonProcess(SD, root, "--auth-failure-delay", "0").start()

    def status(password: str) -> list[bytes]:
        async def main() -> list[bytes]:
            s = await _connect(port, "bareos-dir", password=password)
            await s.send("status FileStorage")
            lines, _ = await read_until_signal(s)
            await s.aclose(terminate=True)
            return lines

        return trio.run(main)

    try:
        assert status("first")[0] == b"\n"
        sd_tree(tmp_path, port, [{"Name": "bareos-dir", "Password": "second", **CLEAR}])
        mark = proc.mark()
        proc.signal(signal.SIGHUP)
        proc.wait_for("reload.ok", after=mark)
        with pytest.raises(BareosError):
            status("first")
        assert status("second")[0] == b"\n"
        (tmp_path / "bareos-sd.d" / "device" / "FileStorage.conf").write_text(
            "Device {\n  Name = FileStorage\n  Bogus Directive = 1\n}\n"
        )
        mark = proc.mark()
        proc.signal(signal.SIGHUP)
        assert "FileStorage.conf:3" in proc.wait_for("reload.failed", after=mark)["reason"]
        assert status("second")[0] == b"\n"
    finally:
        assert proc.stop() == 0


def test_config_check_and_port_in_use(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        sd_tree(tmp_path, port, [{"Name": "bareos-dir", "Password": SECRET}])
        ok = subprocess.run(
            [str(BIN / SD), "-c", str(tmp_path), "-t"], capture_output=True, text=True
        )
        assert ok.returncode == 0
        run = subprocess.run([str(BIN / SD), "-c", str(tmp_path)], capture_output=True, text=True,
                             timeout=20)  # fmt: skip
        assert run.returncode != 0
        lines = run.stderr.splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: address already in use"), lines
    conf = tmp_path / "bareos-sd.d" / "storage" / "bareos-sd.conf"
    conf.write_text("Storage {\n  Name = bareos-sd\n  Maximum Concurrent Jobs = lots\n}\n")
    bad = subprocess.run([str(BIN / SD), "-c", str(tmp_path), "-t"], capture_output=True, text=True)
    assert bad.returncode == 1 and f"{conf}:3" in bad.stderr
