"""Start the real console scripts on generated config trees, for end-to-end tests.

``LabConfig`` writes Bareos-syntax trees for the Director, Storage daemon,
File daemon and console into a temporary directory, with free ports on
127.0.0.1 and matching passwords; ``DaemonProcess`` runs one emulator as a
subprocess with JSON logs, waits until it listens, lets tests wait for log
events, and stops it with SIGTERM.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def resource(rtype: str, directives: dict[str, Any]) -> str:
    """Render one resource in Bareos syntax; lists repeat the directive."""
    lines = [f"{rtype} {{"]
    for k, v in directives.items():
        values = v if isinstance(v, list) else [v]
        for item in values:
            if isinstance(item, bool):
                text = "yes" if item else "no"
            elif isinstance(item, int):
                text = str(item)
            elif isinstance(item, str) and item.startswith("{"):
                text = item  # a nested block, written by the caller
            else:
                text = '"' + str(item).replace("\\", "\\\\").replace('"', '\\"') + '"'
            lines.append(f"  {k} = {text}" if not text.startswith("{") else f"  {k} {text}")
    lines.append("}")
    return "\n".join(lines) + "\n"


def write_tree(root: Path, daemon_dir: str, resources: list[tuple[str, dict[str, Any]]]) -> Path:
    """Write ``root/<daemon_dir>/<type>/<name>.conf`` files (Bareos layout)."""
    for rtype, d in resources:
        sub = root / daemon_dir / rtype.lower()
        sub.mkdir(parents=True, exist_ok=True)
        name = str(d.get("Name", rtype)).replace("/", "_").replace("*", "_")
        (sub / f"{name}.conf").write_text(resource(rtype, d))
    return root


class DaemonProcess:
    """One emulator subprocess with captured JSON logs."""

    def __init__(self, script: str, config: Path, *extra: str, env: dict[str, str] | None = None):
        self.script = script
        self.config = config
        self.extra = list(extra)
        self.env = env
        self.proc: subprocess.Popen[str] | None = None
        self.lines: list[dict[str, Any]] = []
        self.raw: list[str] = []
        self._cv = threading.Condition()

    def start(self, timeout: float = 20.0) -> DaemonProcess:
        cmd = [str(BIN / self.script), "-c", str(self.config), "--log-format", "json", "-d", "100",
               *self.extra]  # fmt: skip
        env = dict(os.environ)
        env.update(self.env or {})
        self.proc = subprocess.Popen(
            cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            text=True, env=env, cwd=REPO,
        )  # fmt: skip
        threading.Thread(target=self._reader, daemon=True).start()
        self.wait_for("daemon.listening", timeout=timeout)
        return self

    def _reader(self) -> None:
        assert self.proc is not None and self.proc.stdout is not None
        for line in self.proc.stdout:
            with self._cv:
                self.raw.append(line.rstrip("\n"))
                try:
                    self.lines.append(json.loads(line))
                except ValueError:
                    pass
                self._cv.notify_all()

    def events(self, name: str) -> list[dict[str, Any]]:
        with self._cv:
            return [e for e in self.lines if e.get("event") == name]

    def wait_for(
        self,
        name: str,
        pred: Callable[[dict[str, Any]], bool] = lambda e: True,
        timeout: float = 20.0,
        after: int = 0,
    ) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        with self._cv:
            while True:
                for e in self.lines[after:]:
                    if e.get("event") == name and pred(e):
                        return e
                if self.proc is not None and self.proc.poll() is not None:
                    raise RuntimeError(f"{self.script} exited: " + "\n".join(self.raw[-30:]))
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"no {name!r} from {self.script}: " + "\n".join(self.raw[-30:]))
                self._cv.wait(left)

    def mark(self) -> int:
        with self._cv:
            return len(self.lines)

    def signal(self, sig: int) -> None:
        assert self.proc is not None
        self.proc.send_signal(sig)

    def stop(self, timeout: float = 10.0) -> int:
        if self.proc is None:
            return 0
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                return self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                return -9
        return self.proc.returncode
