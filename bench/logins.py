"""Logins per second against bareos-fd-emu and bareos-dir-emu, as real peers log in.

Each client is a separate process (default 4) running the blocking client of
``bareosnet.testing.login``: a plain socket WITHOUT TCP_NODELAY, TLS-PSK 1.3
at once, Hello and CRAM-MD5 both ways, then close -- what a real Director
(for the FD) or bconsole / python-bareos (for the Director) do.  The daemons
run from copies of ``configs/`` on free ports, at their default log level.

    .venv/bin/python bench/logins.py [--clients 4] [--seconds 5] [--tls-max 1.2] [--fd-workers 1,2]

Prints logins/s and p50/p99 latency per daemon.  Pass ``--fd HOST:PORT`` to
measure another File daemon (e.g. a real bareos-fd configured with the lab's
Director password) in the same run.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import re
import shutil
import socket
import ssl
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
sys.path.insert(0, str(REPO))

from bareosnet.testing.login import LoginTarget, console_to_dir, director_to_fd, login  # noqa: E402

FD_PASSWORD = "lab-fd-password"
DIR_PASSWORD = "lab-director-password"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_port(port: int, proc: subprocess.Popen[bytes], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"daemon exited with {proc.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise SystemExit(f"port {port} never opened")


def _start(
    script: str, conf_dir: str, directive: str, tmp: Path, *extra: str
) -> tuple[subprocess.Popen[bytes], int]:
    """Copy configs/<conf_dir> to tmp, move its port to a free one, start the daemon."""
    dst = tmp / f"{conf_dir}{'-'.join(('', *extra))}"
    shutil.copytree(REPO / "configs" / conf_dir, dst)
    port = _free_port()
    for conf in dst.rglob("*.conf"):
        text = conf.read_text()
        new = re.sub(rf"(?im)^(\s*{directive}\s*=\s*)\d+", rf"\g<1>{port}", text)
        if new != text:
            conf.write_text(new)
    proc = subprocess.Popen([str(BIN / script), "-c", str(dst), *extra], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, cwd=tmp)  # fmt: skip
    _wait_port(port, proc)
    return proc, port


def _client(target: LoginTarget, seconds: float, out: mp.Queue) -> None:  # type: ignore[type-arg]
    times: list[float] = []
    failures = 0
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        try:
            result = login(target)
        except OSError:
            failures += 1
            continue
        if result.ok:
            times.append(result.seconds)
        else:
            failures += 1
    out.put((times, failures))


def measure(label: str, target: LoginTarget, clients: int, seconds: float) -> None:
    login(target)  # warm up (and fail loudly if the login is wrong)
    queue: mp.Queue = mp.Queue()  # type: ignore[type-arg]
    procs = [mp.Process(target=_client, args=(target, seconds, queue)) for _ in range(clients)]
    t0 = time.monotonic()
    for p in procs:
        p.start()
    times: list[float] = []
    failures = 0
    for _ in procs:
        t, f = queue.get(timeout=seconds + 60)
        times += t
        failures += f
    for p in procs:
        p.join()
    wall = time.monotonic() - t0
    times.sort()
    if not times:
        print(f"{label:<34} no successful login ({failures} failures)")
        return
    p50 = statistics.median(times) * 1000
    p99 = times[min(len(times) - 1, int(len(times) * 0.99))] * 1000
    print(f"{label:<34} {len(times) / wall:8.1f} logins/s   p50 {p50:6.2f} ms   p99 {p99:6.2f} ms"
          f"   ({len(times)} logins, {failures} failed, {clients} clients, no TCP_NODELAY)")  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--clients", type=int, default=4)
    ap.add_argument("--seconds", type=float, default=5.0)
    ap.add_argument("--tls-max", choices=["1.2", "1.3"], default="1.3")
    ap.add_argument(
        "--fd", help="also measure this File daemon HOST:PORT (Director bareos-dir, lab password)"
    )
    ap.add_argument("--fd-workers", default="1,2", metavar="N,M",
                    help="measure bareos-fd-emu with each of these --workers counts (default 1,2)")
    args = ap.parse_args()
    tls_max = ssl.TLSVersion.TLSv1_3 if args.tls_max == "1.3" else ssl.TLSVersion.TLSv1_2
    tmp = Path(tempfile.mkdtemp(prefix="bench-logins-"))
    procs: list[subprocess.Popen[bytes]] = []
    try:
        print(
            f"TLS-PSK up to TLS {args.tls_max}, {args.clients} client processes, {args.seconds:g} s each"
        )
        for n in [int(x) for x in args.fd_workers.split(",") if x]:
            extra = ("--workers", str(n)) if n > 1 else ()
            fd, fd_port = _start("bareos-fd-emu", "fd", "FDPort", tmp, *extra)
            procs.append(fd)
            label = "bareos-fd-emu  (Director -> FD)" + (f" x{n}" if n > 1 else "")
            measure(label,
                    director_to_fd("127.0.0.1", fd_port, "bareos-dir", FD_PASSWORD, tls_max=tls_max),
                    args.clients, args.seconds)  # fmt: skip
            fd.terminate()
        dird, dir_port = _start("bareos-dir-emu", "dir", "DirPort", tmp)
        procs.append(dird)
        measure("bareos-dir-emu (console -> Dir)",
                console_to_dir("127.0.0.1", dir_port, "*UserAgent*", DIR_PASSWORD, tls_max=tls_max),
                args.clients, args.seconds)  # fmt: skip
        if args.fd:
            host, _, port = args.fd.rpartition(":")
            measure(f"FD at {args.fd}",
                    director_to_fd(host, int(port), "bareos-dir", FD_PASSWORD, tls_max=tls_max),
                    args.clients, args.seconds)  # fmt: skip
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
