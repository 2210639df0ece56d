"""The emulated Director probes a File daemon fleet: first pass, second pass, probe counts.

    .venv/bin/python bench/fleet_probe.py [--members 1000] [--mix 26=50,17.2=50]

Starts ``bareos-fd-emu --fleet N`` (one loopback address per member from
127.2.0.1, default delays: a 17.2 member drops a TLS attempt after 5 s, as
the real 17.2 File daemon does), lets it write the Director's Client
resources (``--fleet-director-config``), starts ``bareos-dir-emu`` on them
and runs ``status all`` twice from one console.  Prints each pass's time,
how many Clients it probed (the console's "Probing client protocol..."
lines) and how many TLS attempts the fleet dropped, then the saved mode of
every Client from ``.api 2`` ``.clients``.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from fleet_memory import BIN, Fleet, _config, _raise_nofile  # noqa: E402

PROBING = "Probing client protocol..."
CONSOLE_PASSWORD = "fleet-bench-console"
FIRST = "127.2.0.1"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _director(root: Path, port: int) -> Path:
    d = root / "dir" / "bareos-dir.d" / "director"
    d.mkdir(parents=True)
    (root / "dir" / "work").mkdir()
    (d / "bareos-dir.conf").write_text(
        f"Director {{\n  Name = bareos-dir\n  DirAddress = 127.0.0.1\n  DirPort = {port}\n"
        f'  Password = "{CONSOLE_PASSWORD}"\n  Working Directory = "{root / "dir" / "work"}"\n}}\n'
    )
    return root / "dir"


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--members", type=int, default=1000)
    ap.add_argument("--mix", default="26=50,17.2=50")
    args = ap.parse_args()
    import bareos.bsock

    _raise_nofile(4 * args.members + 1024)  # inherited by both daemons
    with tempfile.TemporaryDirectory(prefix="fleet-probe-") as tmp:
        root = Path(tmp)
        fd_port, dir_port = _free_port(), _free_port()
        config = _config(root, fd_port)
        dir_root = _director(root, dir_port)
        flags = ["--fleet-personas", args.mix]
        subprocess.run([str(BIN / "bareos-fd-emu"), "-c", str(config), "--fleet", str(args.members),
                        "--fleet-addresses", FIRST, *flags, "--fleet-director-config", str(dir_root),
                        "-t"], check=True)  # fmt: skip
        fleet = Fleet(config, args.members, *flags, first=FIRST)
        director = subprocess.Popen([str(BIN / "bareos-dir-emu"), "-c", str(dir_root), "--log-format", "json"],
                                    stdout=(root / "dir.log").open("w"), stderr=subprocess.STDOUT)  # fmt: skip
        try:
            fleet.wait_ready()
            deadline = time.monotonic() + 60
            while True:
                try:
                    c = bareos.bsock.DirectorConsole(address="127.0.0.1", port=dir_port,
                                                     password=CONSOLE_PASSWORD)  # fmt: skip
                    break
                except Exception:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.2)
            print(f"fleet of {args.members} ({args.mix}) ready in {fleet.ready_wall:.2f} s")
            for n in (1, 2):
                dropped = fleet.counts.get("handshake.failed", 0)
                cpu = _cpu_seconds(fleet.proc.pid), _cpu_seconds(director.pid)
                t = time.perf_counter()
                out = c.call("status all").decode(errors="replace")
                seconds = time.perf_counter() - t
                used = _cpu_seconds(fleet.proc.pid) - cpu[0], _cpu_seconds(director.pid) - cpu[1]
                time.sleep(0.5)  # the fleet's log lines of this pass
                answered = out.count(" Version: ") - 1  # minus the Director's own header
                print(
                    f"  pass {n}: status all in {seconds:.2f} s, {answered} clients answered, "
                    f"{out.count(PROBING)} probed, "
                    f"{fleet.counts.get('handshake.failed', 0) - dropped} TLS attempts dropped "
                    f"by the fleet; CPU: fleet {used[0]:.2f} s, Director {used[1]:.2f} s; "
                    f"load average {os.getloadavg()[0]:.1f}"
                )
            j = bareos.bsock.DirectorConsoleJson(
                address="127.0.0.1", port=dir_port, password=CONSOLE_PASSWORD
            )
            modes = collections.Counter(
                x.get("handshake_mode") for x in j.call(".clients")["clients"]
            )
            print(f"  saved modes (.api 2 .clients): {dict(modes)}")
            for line in (root / "dir.log").read_text().splitlines():
                if '"status_all.done"' in line:
                    e = json.loads(line)
                    print(f"  Director: asked {e['clients']} clients in {e['asked_seconds']} s, "
                          f"printed their answers in {e['printed_seconds']} s")
        finally:
            director.terminate()
            director.wait(30)
            fleet.stop()


if __name__ == "__main__":
    main()
