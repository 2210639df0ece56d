"""``bareos-fd-emu --workers N``: one port, N processes, one consistent File daemon.

The process test checks what the peers saw: both workers answer real logins
on the one port (TLS 1.3 with the Director's PSK identity), a reload and a stop
reach every worker.  The in-process tests pair two workers on one mesh and
send each half of a job to a different one, which is what SO_REUSEPORT does
at random: the Storage daemon's data connection reaches the other worker, the
status of either lists the other's jobs, and a cancel sent to one stops the
job the other runs.
"""

from __future__ import annotations

import functools
import signal
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import trio
from structlog.testing import capture_logs

from bareosnet.proto.signals import Signal
from bareosnet.testing.login import director_to_fd, login
from daemons.common.workers import WorkerInfo
from daemons.filedaemon.daemon import FdOptions, FileDaemon
from tests.daemons.conftest import Bare, write_config
from tests.daemons.test_fd_jobs_support import (
    FD_SECRET,
    Director,
    MemorySD,
    fd_config,
    make_tree,
)
from tests.support.daemons import DaemonProcess, free_port

KEY = "GMEJ-POHO-FAOG-HCCI-JHML-PMAD-FBEC-EHIA"
JOB = "backup-lab.2026-11-27_01.10.08_04"


def test_two_workers_share_the_port_reload_and_stop(tmp_path: Path) -> None:
    port = free_port()
    conf = write_config(tmp_path, "bareos-fd.d", [
        ("Client", {"Name": "bareos-fd", "FDPort": port, "FDAddress": Bare("127.0.0.1"),
                    "WorkingDirectory": str(tmp_path)}),
        ("Director", {"Name": "bareos-dir", "Password": FD_SECRET}),
    ])  # fmt: skip
    fd = DaemonProcess("bareos-fd-emu", conf, "--workers", "2").start()
    try:
        fd.wait_for("daemon.listening", lambda e: e.get("worker") == 1)
        target = director_to_fd("127.0.0.1", port, "bareos-dir", FD_SECRET)
        results = [login(target) for _ in range(40)]
        assert all(r.ok and r.tls_version == "TLSv1.3" for r in results), results[:3]
        deadline = time.monotonic() + 10
        while len(fd.events("handshake.ok")) < 40 and time.monotonic() < deadline:
            time.sleep(0.05)  # the log lines trail the logins a little
        seen = fd.events("handshake.ok")
        assert len(seen) == 40
        assert {e["psk_identity"] for e in seen} == {"R_DIRECTOR\\x1ebareos-dir"}
        # 40 connections from different source ports: the kernel used both sockets.
        assert {e["worker"] for e in seen} == {0, 1}, [e["worker"] for e in seen]
        mark = fd.mark()
        fd.signal(signal.SIGHUP)
        for w in (0, 1):
            fd.wait_for("reload.ok", lambda e, w=w: e.get("worker") == w, after=mark)
        assert login(target).ok
    finally:
        code = fd.stop()
    assert code == 0
    assert [e for e in fd.lines if e.get("event") == "workers.stopped"]
    assert sum(e.get("event") == "daemon.stopped" for e in fd.lines) == 2


def test_a_busy_port_is_one_clear_error(tmp_path: Path) -> None:
    import socket
    import subprocess

    from tests.support.daemons import BIN

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        conf = write_config(tmp_path, "bareos-fd.d", [
            ("Client", {"Name": "bareos-fd", "FDPort": port, "FDAddress": Bare("127.0.0.1")}),
            ("Director", {"Name": "bareos-dir", "Password": FD_SECRET}),
        ])  # fmt: skip
        out = subprocess.run([str(BIN / "bareos-fd-emu"), "-c", str(conf), "--workers", "2"],
                             capture_output=True, text=True, timeout=30)  # fmt: skip
    assert out.returncode == 3, out
    assert "address already in use" in out.stderr


@asynccontextmanager
async def two_workers(directory: Path) -> AsyncIterator[list[tuple[FileDaemon, int]]]:
    """Workers 0 and 1 of one group, each on its own port (in place of one shared port)."""
    out: list[tuple[FileDaemon, int]] = []
    directory.mkdir()
    async with trio.open_nursery() as nursery:
        for index in (0, 1):
            daemon = FileDaemon(fd_config(), FdOptions(failure_delay=0, sd_wait_timeout=10))
            daemon.join_workers(WorkerInfo(index, 2, str(directory), ()))
            listeners = await trio.open_tcp_listeners(0, host="127.0.0.1")

            async def handler(stream: trio.SocketStream, daemon: FileDaemon = daemon) -> None:
                try:
                    await daemon.handle_connection(stream, "127.0.0.1")
                finally:
                    await trio.aclose_forcefully(stream)

            await daemon.run_background(nursery)
            nursery.start_soon(trio.serve_listeners, handler, listeners)
            out.append((daemon, listeners[0].socket.getsockname()[1]))
        yield out
        nursery.cancel_scope.cancel()


async def status_of(port: int) -> str:
    d = await Director.connect(port)
    await d.send("status")
    lines = []
    while True:
        got = await d.recv()
        if not isinstance(got, bytes):
            break
        lines.append(got.decode())
    await d.aclose()
    return "".join(lines)


async def test_the_data_connection_reaches_the_worker_running_the_job(tmp_path: Path) -> None:
    src = make_tree(tmp_path / "src")
    async with two_workers(tmp_path / "mesh") as [(a, a_port), (b, b_port)]:
        sd = MemorySD(KEY.encode(), JOB, policy=2)
        with capture_logs() as logs:
            d = await Director.connect(a_port)  # the Director's session lands in worker 0
            assert (await d.job(JOB, KEY, ssl=4)).startswith(b"2000 OK Job")
            await d.send("level = full  mtime_only=0 \n")
            await d.reply()
            await d.fileset([str(src)])
            assert JOB in await status_of(b_port)  # worker 1 lists worker 0's running job
            async with trio.open_nursery() as nursery:
                # ... and the Storage daemon's data connection lands in worker 1.
                nursery.start_soon(functools.partial(sd.call_fd, b_port, tls_first=True))
                await d.send("backup FileIndex=0\n")
                assert await d.reply() == b"2000 OK backup\n"
                tail = await d.until_terminate()
        assert any(b"TermCode=84" in p for p in tail if isinstance(p, bytes)), tail
        assert sd.info is not None and sd.info.tls_version == "TLSv1.3"
        assert sd.records, "the SD got no records through the relay"
        relayed = [e for e in logs if e["event"] == "job.sd_relayed"]
        assert relayed and relayed[0]["worker"] == 0
        attached = [e for e in logs if e["event"] == "handshake.ok" and e["connection"] == "7"]
        assert attached[0]["psk_identity"] == f"R_JOB\\x1e{JOB}"
        assert all(KEY not in str(e) for e in logs)
        # Both workers count and list the finished job once.
        for port in (a_port, b_port):
            text = await status_of(port)
            assert "Jobs: run=1 running=0," in text, text
            assert text.count(JOB.rsplit(".", 3)[0]) == 1, text
        # Its key is withdrawn everywhere: a late SD for the job is refused by worker 1.
        await trio.sleep(0.1)
        assert b.jobs.authorization(JOB) is None and a.jobs.authorization(JOB) is None


async def test_cancel_and_setdebug_reach_the_other_worker(tmp_path: Path) -> None:
    async with two_workers(tmp_path / "mesh") as [(a, a_port), (b, b_port)]:
        d = await Director.connect(a_port)
        assert (await d.job(JOB, KEY, ssl=4)).startswith(b"2000 OK Job")
        other = await Director.connect(b_port)
        await other.send(f"cancel Job={JOB}\n")
        assert await other.reply() == f"2001 Job {JOB} marked to be canceled.\n".encode()
        assert await other.recv() == Signal.EOD
        await other.send("cancel Job=no-such-job.2026-01-01_00.00.00_01\n")
        assert (await other.reply()).startswith(b"2901 Job no-such-job")
        assert await other.recv() == Signal.EOD
        await other.send("setdebug=7 trace=0 hangup=0 timestamp=0\n")
        assert (await other.reply()).startswith(b"2000 OK setdebug=7")
        with trio.fail_after(5):
            while a.debug != 7:
                await trio.sleep(0.01)
        assert b.debug == 7
        await other.aclose()
        await d.aclose()


def test_a_real_director_and_sd_run_passive_jobs_through_two_workers(tmp_path: Path) -> None:
    """Emulated Director and SD, FD with --workers 2: every job's halves land at random."""
    from tests.daemons.test_e2e_jobs import build_lab, finish, queue, restored_root, snapshot

    lab = build_lab(tmp_path, passive=True)
    lab.fd_args = ["--workers", "2"]
    original = snapshot(lab.data)
    with lab.running():
        c = lab.console()
        for _ in range(3):
            msgs = finish(c, queue(c, "run job=backup-passive yes"))
            assert "  Termination:            Backup OK\n" in msgs, msgs
        where = tmp_path / "restored"
        rmsgs = finish(c, queue(c, f"restore client=fd-passive where={where} select all done yes"))
        assert "  Termination:            Restore OK\n" in rmsgs, rmsgs
        status = c.call("status client=fd-passive").decode()
        assert "Jobs: run=4 running=0," in status, status  # all workers' jobs, counted once
    assert snapshot(restored_root(where, lab.data)) == original
    started = {e["job"]: e["worker"] for e in lab.fd.events("job.started")}
    attached = [e for e in lab.fd.events("handshake.ok") if e.get("connection") == "7"]
    assert len(started) == 4 and len(attached) == 4
    relayed = lab.fd.events("job.sd_relayed")
    # Where the SD's connection reached another worker, it was relayed to the job's own.
    for e in attached:
        if started[e["peer"]] != e["worker"]:
            assert any(r["job"] == e["peer"] and r["worker"] == started[e["peer"]]
                       for r in relayed), (e, relayed)  # fmt: skip
