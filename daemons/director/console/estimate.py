"""``estimate``: ask the File daemon what a backup would save (Bareos ``ua_cmds.cc`` EstimateCmd).

The Director opens a control connection to the Client (probing, as for
``status client``), sends the job of the console (``JobId=0``, authorization
``dummy``), the level (incremental/differential: the since time of the last
backup of the Job), the FileSet, the accurate list when the job is accurate,
then ``estimate listing=<0|1>``, and prints every packet the File daemon
answers (the ``ls`` lines, ``2000 OK estimate files=... bytes=...``) until its
EOD.  The ``ssl=`` of the job command follows the Job's Storage (a real
Director in TLS-first mode would need one too).
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import structlog
import trio

from bareosnet.errors import BareosError
from bareosnet.proto.framing import Packet
from bareosnet.proto.jobcmds import FdJobCommand
from daemons.director.console.args import Args
from daemons.director.console.catalog_notice import say_catalog_opened
from daemons.director.console.registry import command
from daemons.director.jobs.backup import prepare_level, send_accurate_files
from daemons.director.jobs.common import fileset_packets, jobid_ssl, use_vss
from daemons.director.jobs.control import JobFailed
from daemons.director.jobs.fd_session import FdSession
from daemons.director.jobs.setup import Overrides, SetupError, build_job, job_type_of, level_code
from daemons.director.probing.clients import ClientConnectError

if TYPE_CHECKING:
    from daemons.director.console.interfaces import CommandSession

log = structlog.get_logger("bareosnet.director.console")

ESTIMATE_USAGE = ("fileset=<fileset-name> client=<client-name> level=<level> "
                  "accurate=<yes/no> job=<job-name> listing")  # fmt: skip
REPLY_TIMEOUT = 300.0  # a big FileSet takes a while to walk


def _console_job_name() -> str:
    return "-Console-." + time.strftime("%Y-%m-%d_%H.%M.%S_00")


@command(
    "estimate",
    help="Performs FileSet estimate, listing gives full listing",
    usage=ESTIMATE_USAGE,
    api="the File daemon's lines as text",
)
async def estimate(s: CommandSession, args: Args) -> bool:
    rt, out = s.rt, s.out
    job_name, client_name, fileset_name = args.value("job"), args.value("client", "fd"), args.value("fileset")  # fmt: skip
    if job_name is None and not (client_name and fileset_name):
        await out.error("No job specified.\n")
        return False
    job_res = rt.cfg.get("job", job_name) if job_name else None
    if job_name and (job_res is None or not s.allowed("job", job_name)):
        await out.error(f'Job "{job_name}" not found.\n')
        return False
    if job_res is None:
        backups = [
            j for j in rt.cfg.all("job") if job_type_of(j) == "B" and s.allowed("job", j.name)
        ]
        job_res = backups[0] if backups else None
        if job_res is None:
            await out.error("No job specified.\n")
            return False
    if job_type_of(job_res) != "B":
        await out.error("Wrong job specified of type "
                        f"{str(job_res.get('Type') or '').capitalize()}.\n")  # fmt: skip
        return False
    accurate_word = args.value("accurate")
    try:
        level = args.value("level")
        ov = Overrides(level=level or "Full", client=client_name, fileset=fileset_name)
        if level is not None:
            level_code(level)
        job = build_job(rt, job_res, ov)
    except SetupError as exc:
        await out.error(f"{exc}\n")
        return False
    if job.client_res is None:
        await out.error("No client specified or selected.\n")
        return False
    if job.fileset_res is None:
        await out.error("No fileset specified or selected.\n")
        return False
    if accurate_word is not None:
        if accurate_word.lower() not in ("yes", "no", "true", "false"):
            await out.error("Invalid value for accurate.  It must be YES or NO.\n")
            return False
        job.params["accurate"] = accurate_word.lower() in ("yes", "true")
    else:
        job.params["accurate"] = bool(job_res.get("Accurate"))
    job.job = _console_job_name()
    await say_catalog_opened(s, args)
    prepare_level(job)
    client = job.client_res
    await out.text(f"Connecting to Client {client.name} at {client.get('Address')}:"
                   f"{client.get('Port')}\n")  # fmt: skip
    try:
        # Bareos connects quietly here (ConnectToFileDaemon, verbose off): no probing
        # note and no "Handshake:" line, unlike "status client".
        stream, info = await rt.file_daemons.connect_to_file_daemon(client, purpose="status")
    except ClientConnectError as exc:
        log.info("estimate.connect_failed", client=client.name, reason=exc.reason)
        await out.error("Failed to connect to Client.\n")
        return False
    fd = FdSession(job, stream, info)
    try:
        store = job.storage_res
        await fd.job_command(FdJobCommand(
            job_id=0, job=job.job, vol_session_id=0, vol_session_time=0,
            authorization="dummy", ssl=jobid_ssl(job, client, store) if store else None))  # fmt: skip
        await fd.level(job.level, since=int(job.since_time) if job.since_time else None,
                       prev_job=job.prev_job, accurate=bool(job.params["accurate"]))  # fmt: skip
        await fd.fileset(fileset_packets(job.fileset_res), vss=use_vss(job.fileset_res))
        if job.params["accurate"] and job.level in "ID":
            await send_accurate_files(job, fd, job.fileset_res)
        await fd.send(f"estimate listing={1 if args.has('listing') else 0}\n".encode())
        while True:
            frame = await stream.receive(timeout=REPLY_TIMEOUT)
            if not isinstance(frame, Packet):
                break
            await out.text(frame.payload.split(b"\x00", 1)[0])
    except JobFailed as exc:
        await out.error(str(exc))
    except (BareosError, trio.TooSlowError) as exc:
        log.info("estimate.lost", client=client.name, reason=str(exc) or type(exc).__name__)
    finally:
        await fd.close()
    return True
