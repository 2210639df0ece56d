"""Memory of ``bareos-fd-emu --fleet``: per member, and per idle authenticated connection.

    .venv/bin/python bench/fleet_memory.py [--members 1000] [--connections 10000] [--clients 2]

1. Starts a 1-member and an N-member fleet (one loopback address per member,
   127.1.0.1 upwards, TLS-PSK defaults) and prints the startup time and the
   per-member base cost: (RSS of the idle N-member fleet - RSS of the 1-member
   fleet) / (N - 1).
2. Against the N-member fleet, ``--clients`` separate processes open
   ``--connections`` connections spread round-robin over the members, log
   in to each as its Director does (TLS-PSK 1.3, Hello, CRAM-MD5 both ways,
   bareosnet's own connector) and hold them idle; the fleet's RSS delta /
   connections, read once the idle sessions have parked
   (:mod:`daemons.common.idle_parking`), is the cost of one held connection.

``--members 10000 --connections 10000`` is the "10,000-member fleet comes up
and answers logins" run: one login per member, every one must succeed.
RSS is read from /proc/<pid>/status (VmRSS).  Both the fleet and the clients
raise their own open-file limit (we may, as root); the run stops with a
clear message if that is refused.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
sys.path.insert(0, str(REPO))

PASSWORD = "fleet-bench-password"
FIRST_ADDRESS = "127.1.0.1"


def _raise_nofile(needed: int) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft >= needed:
        return
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (needed, max(hard, needed)))
    except (ValueError, OSError) as exc:
        raise SystemExit(f"need {needed} open files, limit is {soft} and cannot be raised "
                         f"({exc}): run 'ulimit -n {needed}' first") from None  # fmt: skip


def _rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise SystemExit("no VmRSS (Linux only)")


def _config(root: Path, port: int) -> Path:
    d = root / "fd" / "bareos-fd.d"
    for sub in ("client", "director"):
        (d / sub).mkdir(parents=True, exist_ok=True)
    (root / "work").mkdir(exist_ok=True)
    (d / "client" / "bench-fd.conf").write_text(
        f'Client {{\n  Name = bench-fd\n  FD Port = {port}\n  FD Address = 127.0.0.1\n'
        f'  Working Directory = "{root / "work"}"\n}}\n')  # fmt: skip
    (d / "director" / "bareos-dir.conf").write_text(
        f'Director {{\n  Name = bareos-dir\n  Password = "{PASSWORD}"\n}}\n'
    )
    return root / "fd"


class Fleet:
    """A fleet subprocess whose JSON log is read by a thread (counted, not kept)."""

    def __init__(self, config: Path, members: int, *extra: str, first: str = FIRST_ADDRESS) -> None:
        self.t0 = time.perf_counter()
        self.proc = subprocess.Popen(
            [str(BIN / "bareos-fd-emu"), "-c", str(config), "--fleet", str(members),
             "--fleet-addresses", first, "--log-format", "json", *extra],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)  # fmt: skip
        self.ready: dict[str, Any] | None = None
        self.ready_wall = 0.0
        self.counts: dict[str, int] = {}
        self._cv = threading.Condition()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            try:
                event = json.loads(line)
            except ValueError:
                print("fleet:", line.rstrip(), file=sys.stderr)
                continue
            name = event.get("event", "")
            with self._cv:
                self.counts[name] = self.counts.get(name, 0) + 1
                if name == "fleet.ready":
                    self.ready = event
                    self.ready_wall = time.perf_counter() - self.t0
                if name in ("connection.crashed", "fleet.fd_limit"):
                    print("fleet:", line.rstrip(), file=sys.stderr)
                self._cv.notify_all()

    def wait_ready(self, timeout: float = 600) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        with self._cv:
            while self.ready is None:
                if self.proc.poll() is not None:
                    raise SystemExit(f"fleet exited with {self.proc.returncode}")
                left = deadline - time.monotonic()
                if left <= 0:
                    raise SystemExit("fleet never became ready")
                self._cv.wait(left)
            return self.ready

    def settled_rss(self, seconds: float = 1.0) -> int:
        # Let the accept tasks reach their first wait before reading RSS.
        time.sleep(seconds)
        return _rss_kib(self.proc.pid)

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


# ---------------------------------------------------------------- the client processes


def client_main(port: int, members: int, first: int, step: int, count: int) -> None:
    """Log in ``count`` times (members first, first+step, ... round-robin), hold, report."""
    import ipaddress

    import trio

    from bareosnet.proto.cram import password_key
    from bareosnet.tls.settings import TlsSettings
    from daemons.common import logging as dlog
    from daemons.common.auth import open_connection

    dlog.configure("json", 0, stream=open(os.devnull, "w"))  # noqa: SIM115 - for the whole run
    _raise_nofile(count + 256)
    start = ipaddress.ip_address(FIRST_ADDRESS)
    key = password_key(PASSWORD)
    tls = TlsSettings(enable=not os.environ.get("CLEAR"), require=False)
    held: list[Any] = []
    failures: list[str] = []
    release = os.environ.get("FLEET_BENCH_RELEASE") == "1"

    async def one(i: int, limiter: trio.CapacityLimiter) -> None:
        host = str(start + ((first + i * step) % members))
        async with limiter:
            try:
                stream, _info = await open_connection(
                    "3", host=host, port=port, hello_name="bareos-dir", own_name="bareos-dir",
                    key=key, tls=tls, timeout=60, connect_timeout=60)  # fmt: skip
            except Exception as exc:  # counted and reported, the run goes on
                failures.append(f"{host}: {exc}")
                return
            if release:
                await stream.aclose()  # it answered; free the descriptor for the next one
            held.append(stream)

    async def main() -> None:
        limiter = trio.CapacityLimiter(64)
        t0 = time.perf_counter()
        async with trio.open_nursery() as nursery:
            for i in range(count):
                nursery.start_soon(one, i, limiter)
        seconds = time.perf_counter() - t0
        print(json.dumps({"held": len(held), "failed": len(failures), "seconds": seconds,
                          "first_failures": failures[:3]}), flush=True)  # fmt: skip
        # Hold until the bench closes our stdin.
        await trio.to_thread.run_sync(sys.stdin.read)

    trio.run(main)


def hold_connections(
    port: int, members: int, connections: int, clients: int
) -> tuple[int, int, float]:
    procs = []
    per = [connections // clients + (1 if i < connections % clients else 0) for i in range(clients)]
    for i, n in enumerate(per):
        procs.append(subprocess.Popen(
            [sys.executable, __file__, "--client", str(port), str(members), str(i), str(clients), str(n)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True))  # fmt: skip
    held = failed = 0
    seconds = 0.0
    for p in procs:
        assert p.stdout is not None
        line = p.stdout.readline()
        if not line:
            raise SystemExit("a client process died")
        r = json.loads(line)
        held += r["held"]
        failed += r["failed"]
        seconds = max(seconds, r["seconds"])
        if r["first_failures"]:
            print("  failures, e.g.:", r["first_failures"], file=sys.stderr)
    hold_connections.procs = procs  # type: ignore[attr-defined]
    return held, failed, seconds


def release_clients() -> None:
    for p in getattr(hold_connections, "procs", []):
        assert p.stdin is not None
        p.stdin.close()
        p.wait(60)


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--client":
        port, members, first, step, count = (int(x) for x in sys.argv[2:7])
        client_main(port, members, first, step, count)
        return
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--members", type=int, default=1000)
    ap.add_argument("--connections", type=int, default=10000)
    ap.add_argument("--clients", type=int, default=2)
    ap.add_argument("--release", action="store_true",
                    help="close each connection after its login (every member answers; "
                         "for fleets whose listeners leave too few descriptors to hold them)")  # fmt: skip
    ap.add_argument(
        "--port", type=int, default=19102, help="FD Port of every member (default 19102)"
    )
    args = ap.parse_args()
    if args.release:
        os.environ["FLEET_BENCH_RELEASE"] = "1"  # read by the client processes
    with tempfile.TemporaryDirectory(prefix="fleet-mem-") as tmp:
        config = _config(Path(tmp), args.port)
        one = Fleet(config, 1)
        one.wait_ready()
        rss_one = one.settled_rss()
        one.stop()

        fleet = Fleet(config, args.members)
        ready = fleet.wait_ready()
        rss_idle = fleet.settled_rss()
        print(
            f"fleet of {args.members}: ready in {fleet.ready_wall:.2f} s from exec "
            f"({ready['seconds']:.2f} s in-process), RSS {rss_idle / 1024:.1f} MiB"
        )
        print(
            f"  RSS 1 member: {rss_one / 1024:.1f} MiB; per-member base cost: "
            f"{(rss_idle - rss_one) / max(1, args.members - 1):.1f} KiB"
        )
        try:
            if args.connections:
                held, failed, seconds = hold_connections(args.port, args.members,
                                                         args.connections, args.clients)  # fmt: skip
                # Held sessions are idle: after PARK_AFTER (2 s) they park, their steady state.
                rss_held = fleet.settled_rss(3.0)
                if args.release:
                    distinct = min(args.members, args.connections)
                    print(f"  {held} logins answered ({failed} failed) in {seconds:.1f} s "
                          f"({held / seconds:.0f} logins/s) by {distinct} distinct members; "
                          f"RSS after: {rss_held / 1024:.1f} MiB")  # fmt: skip
                    return
                print(
                    f"  {held} connections authenticated and held ({failed} failed) in "
                    f"{seconds:.1f} s ({held / seconds:.0f} logins/s), spread over "
                    f"{min(args.members, args.connections)} members"
                )
                print(
                    f"  RSS with them: {rss_held / 1024:.1f} MiB; per held connection: "
                    f"{(rss_held - rss_idle) / max(1, held):.1f} KiB"
                )
                print(
                    f"  fleet logged handshake.ok x{fleet.counts.get('handshake.ok', 0)}, "
                    f"handshake.failed x{fleet.counts.get('handshake.failed', 0)}"
                )
        finally:
            release_clients()
            fleet.stop()


if __name__ == "__main__":
    main()
