"""``--workers N``: one emulator as N processes sharing its listening port.

One Python process handles one login at a time on one core; a real Bareos
daemon uses threads on all cores.  With ``--workers N`` the parent binds N
sockets to each listen address with SO_REUSEPORT (so a busy port, or port 0,
is found once, in the parent, before anything forks) and forks N workers;
worker *i* accepts on socket *i* and the kernel spreads new connections over
them.  The parent does no Bareos work: it forwards SIGHUP (reload) and
SIGTERM/SIGINT (stop) to the workers, restarts a worker that dies, and
removes the workers' private directory (their Unix sockets, see
:mod:`daemons.common.worker_mesh`) when it exits.  A worker that keeps dying
right after its start stops the whole group: the cause is not going away.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import sys
import tempfile
import time
from collections.abc import Callable, Sequence

import attrs
import structlog

log = structlog.get_logger("bareos.workers")

EARLY_DEATH = 5.0  # a worker that dies sooner than this after its start "keeps dying"
MAX_EARLY_DEATHS = 3
STOP_GRACE = 10.0  # seconds the workers get to stop before they are killed
BACKLOG = 4096


@attrs.frozen
class WorkerInfo:
    """What one worker knows about its group."""

    index: int
    count: int
    directory: str  # private directory of the group (Unix sockets)
    sockets: tuple[socket.socket, ...] = attrs.field(eq=False, repr=False)  # listening, its own


def bind_reuseport(addresses: Sequence[tuple[str | None, int]], count: int) -> list[list[socket.socket]]:
    """``count`` listening sockets per address family of every address, same port each."""
    per_worker: list[list[socket.socket]] = [[] for _ in range(count)]
    for host, port in addresses:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
        seen: set[tuple[int, object]] = set()
        for family, stype, proto, _canon, sockaddr in infos:
            if (family, sockaddr[0]) in seen:
                continue
            seen.add((family, sockaddr[0]))
            bound_port = port
            for i in range(count):
                s = socket.socket(family, stype, proto)
                try:
                    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
                    if family == socket.AF_INET6:
                        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
                    s.bind((sockaddr[0], bound_port, *sockaddr[2:]))
                    s.listen(BACKLOG)
                except OSError:
                    s.close()
                    for group in per_worker:
                        for other in group:
                            other.close()
                    raise
                bound_port = s.getsockname()[1]  # port 0: the others join the one we got
                per_worker[i].append(s)
    return per_worker


def run_workers(
    count: int,
    prog: str,
    sockets: list[list[socket.socket]],
    child: Callable[[WorkerInfo], int],
) -> int:
    """Fork ``count`` workers running ``child`` and look after them until stopped."""
    directory = tempfile.mkdtemp(prefix=f"{prog}-workers-")  # mode 0700
    pids: dict[int, tuple[int, float]] = {}  # pid -> (worker index, started at)
    early: dict[int, int] = {}
    stopping = False

    def start(index: int) -> None:
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:  # the worker
            for i, group in enumerate(sockets):
                if i != index:
                    for s in group:
                        s.close()
            for signum in (signal.SIGTERM, signal.SIGINT):
                signal.signal(signum, signal.SIG_DFL)
            signal.signal(signal.SIGHUP, signal.SIG_IGN)  # until serve() takes it over
            code = 1
            try:
                code = child(WorkerInfo(index, count, directory, tuple(sockets[index])))
            finally:
                sys.stdout.flush()
                sys.stderr.flush()
                os._exit(code)  # never run the parent's clean-up in a worker
        pids[pid] = (index, time.monotonic())

    def forward(signum: int, _frame: object) -> None:
        nonlocal stopping
        if signum != signal.SIGHUP:
            stopping = True
        for pid in list(pids):
            try:
                os.kill(pid, signum)
            except ProcessLookupError:
                pass

    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(signum, forward)
    log.info("workers.starting", workers=count, pid=os.getpid())
    try:
        for i in range(count):
            start(i)
        deadline: float | None = None
        exit_code = 0
        while pids:
            if stopping and deadline is None:
                deadline = time.monotonic() + STOP_GRACE
            if deadline is not None and time.monotonic() > deadline:
                for pid in list(pids):
                    os.kill(pid, signal.SIGKILL)
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                break
            if pid == 0:
                time.sleep(0.05)
                continue
            index, started = pids.pop(pid)
            code = os.waitstatus_to_exitcode(status)
            if stopping:
                continue
            log.warning("worker.exited", worker=index, exit_code=code)
            early[index] = early.get(index, 0) + 1 if time.monotonic() - started < EARLY_DEATH else 0
            if early[index] >= MAX_EARLY_DEATHS or code == 3:  # 3: address in use
                log.error("workers.giving_up", worker=index, exit_code=code)
                exit_code = code or 2
                forward(signal.SIGTERM, None)
                continue
            time.sleep(min(1.0, 0.2 * (early[index] + 1)))
            start(index)
        return exit_code
    finally:
        for group in sockets:
            for s in group:
                s.close()
        shutil.rmtree(directory, ignore_errors=True)
        log.info("workers.stopped")
