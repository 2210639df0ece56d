"""Backup and restore throughput through the three emulators (prints numbers).

Copies configs/ into a temporary directory (free ports, private paths), fills
the data directory with one large random file and many small ones, then times
``run job=backup-bareos-fd`` and a full restore, once with the default TLS-PSK
and once with every resource set to cleartext.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import trio

from daemons.tools.console import login, session_params

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
BIG_MB = int(os.environ.get("BENCH_BIG_MB", "200"))
SMALL_FILES = int(os.environ.get("BENCH_SMALL_FILES", "1000"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_lab(root: Path, cleartext: bool) -> Path:
    configs = root / "configs"
    shutil.copytree(REPO / "configs", configs)
    ports = {p: str(free_port()) for p in ("9101", "9102", "9103")}
    for f in configs.rglob("*.conf"):
        text = f.read_text().replace("/tmp/bareosnet-lab", str(root / "lab"))
        for old, new in ports.items():
            text = text.replace(f"Port = {old}", f"Port = {new}")
        if cleartext:  # every resource that has TLS directives gets TLS off
            text = re.sub(r"^((?:Director|Storage|Client|Console) \{)$",
                          r"\1\n  TLS Enable = no\n  TLS Require = no", text, flags=re.M)  # fmt: skip
        f.write_text(text)
    for sub in ("dir", "sd", "fd", "storage", "restore", "data/small"):
        (root / "lab" / sub).mkdir(parents=True, exist_ok=True)
    with open(root / "lab" / "data" / "big.bin", "wb") as f:
        for _ in range(BIG_MB):
            f.write(os.urandom(1 << 20))
    for i in range(SMALL_FILES):
        (root / "lab" / "data" / "small" / f"f{i:05d}.txt").write_bytes(os.urandom(1024))
    return configs


async def drive(configs: Path) -> tuple[float, float]:
    session = await login(**session_params(str(configs / "console"), named=False))
    t0 = time.perf_counter()
    await session.call("run job=backup-bareos-fd level=Full yes")
    await session.call("wait", timeout=600)
    backup = time.perf_counter() - t0
    out = await session.call("messages")
    assert "Backup OK" in out, out[-2000:]
    t0 = time.perf_counter()
    await session.call("restore client=bareos-fd select all done yes")
    await session.call("wait", timeout=600)
    restore = time.perf_counter() - t0
    out = await session.call("messages")
    assert "Restore OK" in out, out[-2000:]
    await session.close()
    return backup, restore


def run(cleartext: bool) -> None:
    with tempfile.TemporaryDirectory(prefix="bareosnet-bench-") as tmp:
        root = Path(tmp)
        configs = make_lab(root, cleartext)
        procs = []
        try:
            for script, conf in (("bareos-sd-emu", "sd"), ("bareos-fd-emu", "fd"), ("bareos-dir-emu", "dir")):
                procs.append(subprocess.Popen([str(BIN / script), "-c", str(configs / conf)],
                                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))  # fmt: skip
            time.sleep(1.5)
            backup, restore = trio.run(drive, configs)
        finally:
            for p in procs:
                p.send_signal(signal.SIGTERM)
            for p in procs:
                p.wait(10)
    total_mb = BIG_MB + SMALL_FILES / 1024
    mode = "cleartext" if cleartext else "TLS-PSK 1.3"
    print(f"{mode:<12} backup  {total_mb:7.1f} MB + {SMALL_FILES} files: {backup:6.2f} s "
          f"({total_mb / backup:6.1f} MB/s)")  # fmt: skip
    print(f"{mode:<12} restore {total_mb:7.1f} MB + {SMALL_FILES} files: {restore:6.2f} s "
          f"({total_mb / restore:6.1f} MB/s)")  # fmt: skip


if __name__ == "__main__":
    import logging

    import structlog

    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    run(cleartext=False)
    run(cleartext=True)
