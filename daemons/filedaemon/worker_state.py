"""What the File daemon's workers (``--workers N``) keep consistent between them.

A connection lands in any worker, so:

* a job's session key is shared at ``JobId=`` (before the FD answers, so the
  Storage daemon cannot be faster) and withdrawn at its end: whichever worker
  the SD's data connection (row 7) reaches can check it, and relays the
  authenticated connection to the worker running the job;
* ``status`` / ``.status`` list the running and terminated jobs and the
  connected Directors of all workers;
* ``cancel`` and ``setbandwidth Job=`` reach the worker running the job,
  ``setdebug`` reaches every worker;
* client-initiated connections (the FD calling its Directors) run in worker 0
  only, or each Director would get N of them.
"""

from __future__ import annotations

from typing import Any

import attrs
import structlog
import trio

from bareosnet.net.handshake import ConnectionInfo
from bareosnet.net.stream import BareosStream, PrefixedStream
from bareosnet.proto.policy import HandshakeMode
from daemons.common.commands import JobResult
from daemons.common.worker_mesh import WorkerMesh, relay
from daemons.common.workers import WorkerInfo
from daemons.filedaemon.interfaces import FdDaemon
from daemons.filedaemon.jobs import JobAuthorization, RunningJob
from daemons.filedaemon.status import DirectorConnection, FdStatusView

log = structlog.get_logger("bareos.fd.workers")

TERMINATED_KEPT = 10  # as RecentJobs
_INFO_FIELDS = ("connection", "title", "side", "peer_name", "peer_address", "tls_version",
                "cipher", "psk_identity", "psk_used", "peer_cn", "peer_version", "persona")  # fmt: skip


def _info_to_dict(info: ConnectionInfo) -> dict[str, Any]:
    return {**{f: getattr(info, f) for f in _INFO_FIELDS}, "mode": info.mode.value}


def _info_from_dict(d: dict[str, Any]) -> ConnectionInfo:
    fields: dict[str, Any] = {f: d.get(f) for f in _INFO_FIELDS}
    fields["psk_used"] = bool(fields["psk_used"])
    fields["persona"] = str(fields["persona"] or "26")
    return ConnectionInfo(**fields, mode=HandshakeMode(d["mode"]))


class FdWorkers:
    """One worker's side of the group: answers the others, asks them."""

    def __init__(self, daemon: FdDaemon, info: WorkerInfo) -> None:
        self.daemon = daemon
        self.info = info
        self.mesh = WorkerMesh(info.directory, info.index, info.count)
        self._in_flight: list[trio.Event] = []
        self._nursery: trio.Nursery | None = None
        for op, handler in (("status", self._on_status), ("cancel", self._on_cancel),
                            ("setdebug", self._on_setdebug), ("bandwidth", self._on_bandwidth),
                            ("job-auth", self._on_job_auth), ("job-end", self._on_job_end)):  # fmt: skip
            self.mesh.on(op, handler)
        self.mesh.on_link(self._on_link)
        daemon.jobs.changed = self._job_changed

    async def run(self, nursery: trio.Nursery) -> None:
        self._nursery = nursery
        await nursery.start(self.mesh.serve)
        log.debug("workers.joined", worker=self.info.index, workers=self.info.count)

    # -- session keys
    def _job_changed(self, job: str, auth: JobAuthorization | None) -> None:
        if self._nursery is None:
            return
        if auth is None:
            request: dict[str, Any] = {"op": "job-end", "job": job}
        else:
            request = {"op": "job-auth", "job": auth.job, "key": auth.key.hex(),
                       "policy": auth.tls_policy, "job_id": auth.job_id}  # fmt: skip
        done = trio.Event()
        self._in_flight.append(done)

        async def send() -> None:
            try:
                await self.mesh.ask_others({**request, "owner": self.info.index})
            finally:
                done.set()
                self._in_flight.remove(done)

        self._nursery.start_soon(send)

    async def settled(self) -> None:
        """Until every worker has the keys shared so far (bounded by the mesh timeout)."""
        for done in list(self._in_flight):
            with trio.move_on_after(5):
                await done.wait()

    async def _on_job_auth(self, req: dict[str, Any]) -> dict[str, Any]:
        auth = JobAuthorization(str(req["job"]), bytes.fromhex(req["key"]), int(req["policy"]),
                                int(req["job_id"]))  # fmt: skip
        self.daemon.jobs.remote_authorize(auth, int(req["owner"]))
        return {}

    async def _on_job_end(self, req: dict[str, Any]) -> dict[str, Any]:
        self.daemon.jobs.remote_forget(str(req["job"]))
        return {}

    # -- the data connection of a passive job
    async def relay_storage_job(self, stream: BareosStream, job: str, info: ConnectionInfo,
                                owner: int) -> None:  # fmt: skip
        try:
            link = await self.mesh.open_link(owner, {"job": job, "info": _info_to_dict(info)})
        except (OSError, trio.TooSlowError) as exc:
            log.warning("job.relay_failed", job=job, worker=owner, reason=str(exc) or "timeout")
            await stream.aclose(terminate=True)
            return
        log.info("job.sd_relayed", job=job, worker=owner)
        buffered = stream.take_buffered()
        if buffered:
            await link.send_all(buffered)
        await relay(stream.stream, link)

    async def _on_link(self, req: dict[str, Any], sock: trio.SocketStream, rest: bytes) -> None:
        inner: trio.abc.Stream = PrefixedStream(sock, rest) if rest else sock
        stream = BareosStream(inner, timeout=self.daemon.options.handshake_timeout)
        await self.daemon.serve_storage_job(stream, str(req["job"]), _info_from_dict(req["info"]))

    # -- status
    def _own_part(self) -> dict[str, Any]:
        v = self.daemon.status_view()
        return {
            "jobs_run": v.jobs_run,
            "connections": [attrs.asdict(c) for c in v.connections],
            "running": [attrs.asdict(j) for j in v.running],
            "terminated": [attrs.asdict(j) for j in v.terminated],
        }

    async def _on_status(self, req: dict[str, Any]) -> dict[str, Any]:
        return self._own_part()

    async def group_status_view(self) -> FdStatusView:
        local = self.daemon.status_view()
        parts = list((await self.mesh.ask_others({"op": "status"})).values())
        connections = list(local.connections)
        running = list(local.running)
        terminated = list(local.terminated)
        jobs_run = local.jobs_run
        for p in parts:
            jobs_run += int(p.get("jobs_run", 0))
            connections += [DirectorConnection(**c) for c in p.get("connections", [])]
            running += [RunningJob(**j) for j in p.get("running", [])]
            terminated += [JobResult(**j) for j in p.get("terminated", [])]
        terminated.sort(key=lambda r: r.end_time)
        return attrs.evolve(
            local,
            jobs_run=jobs_run,
            connections=tuple(sorted(connections, key=lambda c: c.since)),
            running=tuple(sorted(running, key=lambda j: j.started)),
            terminated=tuple(terminated[-TERMINATED_KEPT:]),
        )

    # -- commands that act on a job in another worker, or on all
    async def cancel(self, job: str) -> bool:
        answers = await self.mesh.ask_others({"op": "cancel", "job": job})
        return any(a.get("ok") for a in answers.values())

    async def _on_cancel(self, req: dict[str, Any]) -> dict[str, Any]:
        return {"ok": self.daemon.jobs.cancel(str(req["job"]))}

    async def set_bandwidth(self, job: str, bandwidth: int) -> bool:
        answers = await self.mesh.ask_others(
            {"op": "bandwidth", "job": job, "bandwidth": bandwidth}
        )
        return any(a.get("found") for a in answers.values())

    async def _on_bandwidth(self, req: dict[str, Any]) -> dict[str, Any]:
        target = self.daemon.job_objects.get(str(req["job"]))
        if target is not None:
            target.bwlimit = int(req["bandwidth"])
        return {"found": target is not None}

    def set_debug(self, level: int, trace: int) -> None:
        if self._nursery is not None:
            self._nursery.start_soon(self.mesh.ask_others,
                                     {"op": "setdebug", "level": level, "trace": trace})  # fmt: skip

    async def _on_setdebug(self, req: dict[str, Any]) -> dict[str, Any]:
        self.daemon.set_debug_here(int(req["level"]), int(req["trace"]))
        return {}
