"""The lab demo behind ``make run``.

Starts the three emulators on ``configs/`` (127.0.0.1:9101-9103), logs in with
the console of ``configs/console`` and shows ``status director``,
``status client=bareos-fd`` and ``status storage=bareos-sd``, then (when the
Director knows how) a backup and a restore with the job report.  The
daemons' handshake lines (mode, TLS version, cipher, PSK identity) are
printed from their JSON logs, so what crossed the wire is visible.  Logs stay
in ``/tmp/bareosnet-lab/logs``.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import trio

from daemons.tools.console import ConsoleSession, login, session_params

REPO = Path(__file__).resolve().parents[1]
LAB = Path("/tmp/bareosnet-lab")
BIN = Path(sys.executable).parent
DAEMONS = [
    ("bareos-sd-emu", "sd"),
    ("bareos-fd-emu", "fd"),
    ("bareos-dir-emu", "dir"),
]


def prepare() -> None:
    for sub in ("dir", "sd", "fd", "storage", "logs", "restore"):
        (LAB / sub).mkdir(parents=True, exist_ok=True)
    # A restore of an earlier run must not make this run's check pass.
    shutil.rmtree(LAB / "restore")
    (LAB / "restore").mkdir()
    data = LAB / "data"
    if data.exists():
        shutil.rmtree(data)
    (data / "docs" / "deep").mkdir(parents=True)
    (data / "hello.txt").write_text("hello bareos\n")
    (data / "empty.txt").write_bytes(b"")
    (data / "docs" / "readme with spaces.txt").write_text("spaces in names\n")
    (data / "docs" / "deep" / "grüße-ünïcode.txt").write_text("UTF-8 name\n")
    (data / "docs" / "random.bin").write_bytes(os.urandom(256 * 1024))


def start(script: str, conf: str) -> tuple[subprocess.Popen[bytes], Path]:
    log = LAB / "logs" / f"{conf}.jsonl"
    f = open(log, "wb")  # noqa: SIM115 - kept open for the child's lifetime
    proc = subprocess.Popen(
        [str(BIN / script), "-c", str(REPO / "configs" / conf), "--log-format", "json"],
        stdout=f, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, cwd=REPO,
    )  # fmt: skip
    return proc, log


def events(log: Path) -> list[dict]:
    out = []
    for line in log.read_text(errors="replace").splitlines():
        try:
            out.append(json.loads(line))
        except ValueError:
            pass
    return out


def wait_listening(proc: subprocess.Popen[bytes], log: Path, name: str) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if any(e.get("event") == "daemon.listening" for e in events(log)):
            return
        if proc.poll() is not None:
            raise SystemExit(f"{name} exited:\n{log.read_text()[-2000:]}")
        time.sleep(0.1)
    raise SystemExit(f"{name} did not start listening; see {log}")


def show_handshakes(logs: dict[str, Path], seen: set[tuple[str, int]]) -> None:
    for conf, log in logs.items():
        for i, e in enumerate(events(log)):
            if e.get("event") != "handshake.ok" or (conf, i) in seen:
                continue
            seen.add((conf, i))
            tls = (
                f"{e.get('tls_version')} {e.get('cipher')}" if e.get("tls_version") else "cleartext"
            )
            ident = e.get("psk_identity") or "-"
            print(f"   [{conf}] connection {e.get('connection')} {e.get('side')} peer={e.get('peer')} "
                  f"mode={e.get('mode')} tls={tls} psk_identity={ident}")  # fmt: skip


async def demo(logs: dict[str, Path]) -> None:
    seen: set[tuple[str, int]] = set()
    params = session_params(str(REPO / "configs" / "console"), named=False)
    session: ConsoleSession = await login(**params)
    print(f"Connecting to Director {params['host']}:{params['port']}")
    print(f" Encryption: {session.info.encryption_text}")
    for line in session.greeting:
        print(line)
    commands = ["status director", "status client=bareos-fd", "status storage=bareos-sd"]
    help_text = await session.call("help")
    if "run" in help_text.split():
        commands += [
            "run job=backup-bareos-fd level=Full yes",
            "wait",
            "messages",
            "restore client=bareos-fd where=/tmp/bareosnet-lab/restore select all done yes",
            "wait",
            "messages",
            "list jobs",
        ]
    for cmd in commands:
        print(f"\n*{cmd}")
        text = await session.call(cmd)
        print(text.rstrip("\n"))
        await trio.sleep(0.2)
        show_handshakes(logs, seen)
    await session.close()
    if "run" in help_text.split():
        print("\n" + restore_verdict())
    await failing_handshake(params, logs)


# The lab's one failing handshake: the Director dials the File daemon without TLS.
LAB_FAULT = "no-tls@conn=3,count=1"


async def failing_handshake(params: dict, logs: dict[str, Path]) -> None:
    """Set a fault on the Director, let one connection fail, print both sides and why."""
    from bareosnet.faults.table import parse

    seen = {(conf, i) for conf, log in logs.items() for i, _ in enumerate(events(log))}
    session: ConsoleSession = await login(**params)
    print("\nA failing handshake, on purpose (docs/faults.md):")
    for cmd in (f"fault set {LAB_FAULT}", "status client=bareos-fd"):
        print(f"*{cmd}")
        print((await session.call(cmd)).rstrip("\n"))
    await session.close()
    await trio.sleep(0.2)
    for conf, log in logs.items():
        for i, e in enumerate(events(log)):
            if e.get("event") == "handshake.failed" and (conf, i) not in seen:
                print(f"   [{conf}] connection {e.get('connection') or '?'} {e.get('side')} "
                      f"failed: {e.get('error')} (cause {e.get('cause')})")  # fmt: skip
    print(f"   Why: {parse(LAB_FAULT).row.bareos}.")


def tree(root: Path) -> dict[str, tuple[int, bytes | None]]:
    """relative path -> (mode, content of regular files)."""
    out: dict[str, tuple[int, bytes | None]] = {}
    for path in sorted(root.rglob("*")):
        st = path.lstat()
        content = path.read_bytes() if path.is_file() and not path.is_symlink() else None
        out[str(path.relative_to(root))] = (st.st_mode, content)
    return out


def restore_verdict() -> str:
    """One line: does the restored tree equal the backed-up one (content and mode)?"""
    data = LAB / "data"
    restored = LAB / "restore" / str(data).lstrip("/")
    if not restored.is_dir():
        return f"Restore check: FAILED - nothing restored at {restored}"
    want, got = tree(data), tree(restored)
    if want == got:
        return (
            f"Restore check: OK - {len(want)} entries in {restored} equal {data} (content and mode)"
        )
    missing = sorted(set(want) - set(got))
    differ = sorted(k for k in set(want) & set(got) if want[k] != got[k])
    return (
        f"Restore check: FAILED - missing {missing[:5]}, different {differ[:5]}, "
        f"extra {sorted(set(got) - set(want))[:5]}"
    )


def main() -> int:
    import logging

    import structlog

    # The console's own handshake is shown from the daemons' logs; keep ours quiet.
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    prepare()
    procs: list[subprocess.Popen[bytes]] = []
    logs: dict[str, Path] = {}
    try:
        for script, conf in DAEMONS:
            proc, log = start(script, conf)
            procs.append(proc)
            logs[conf] = log
            wait_listening(proc, log, script)
            print(f"started {script} -c configs/{conf} (log {log})")
        trio.run(demo, logs)
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in procs:
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
        print("\nlab stopped (logs in /tmp/bareosnet-lab/logs)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
