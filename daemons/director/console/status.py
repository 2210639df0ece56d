"""``status`` and ``.status``: the Director's own state, and relayed File/Storage daemon status."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import structlog
import trio

from bareosnet.errors import BareosError
from bareosnet.proto.framing import Packet
from bareosnet.proto.names import bash_spaces
from daemons.common import texts
from daemons.common.commands import TERMINATED_HEADER, job_type_text, level_text, terminated_row
from daemons.director.console.args import Args
from daemons.director.console.job_select import running_by_name
from daemons.director.console.registry import command
from daemons.director.console.restore_dialog import do_prompt, select_resource
from daemons.director.console.status_all import all_clients_status
from daemons.director.console.status_scheduler import status_scheduler
from daemons.director.console.subscriptions import subscription_status
from daemons.director.jobs.scheduler import scheduled_jobs
from daemons.director.jobs.setup import job_type_of
from daemons.director.probing.clients import ClientConnectError
from daemons.director.probing.storages import StorageConnectError, connect_to_storage_daemon

if TYPE_CHECKING:
    from bareosnet.net.stream import BareosStream
    from daemons.director.console.interfaces import CommandSession

log = structlog.get_logger("bareosnet.director.console")

OK_DOT_STATUS = "1000 OK .status\n"
RELAY_TIMEOUT = 60.0


@command(
    "status",
    help="show the state of the Director, a File daemon or a Storage daemon",
    usage="director | client=<client-name> | storage=<storage-name> | all",
    api='{"header"?, "scheduled"?, "running"?, "terminated"?, "client-connection"?} (see .status)',
)
async def status(s: CommandSession, args: Args) -> bool:
    if len(args) == 1:
        return await _status_menu(s, args)
    for key, _value in args.words[1:]:
        k = key.lower()
        if k == "all":
            await all_status(s)
            return True
        if k.startswith("dir"):
            await director_status(s)
            return True
        if k == "client":
            client = await select_client(s, args)
            if client is not None:
                await client_status(s, client, None)
            return True
        if k.startswith("sched"):
            return await status_scheduler(s, args)
        if k.startswith("sub"):
            return await subscription_status(s, args)
        if k.startswith("conf"):
            await s.out.error(f"status {key}: not emulated.\n")
            return False
        store = await select_storage(s, args)
        if store is not None:
            await storage_status(s, store, None)
        return True
    return True


async def _status_menu(s: CommandSession, args: Args) -> bool:
    """A bare ``status``: Bareos asks which daemon."""
    items = ["Director", "Storage", "Client", "Scheduler", "All"]
    choice = await do_prompt(s, "Status available for:\n", items, "", "Select daemon type for status")
    if choice == 0:
        await director_status(s)
    elif choice == 1:
        if (store := await select_storage(s, args)) is not None:
            await storage_status(s, store, None)
    elif choice == 2:
        if (client := await select_client(s, args)) is not None:
            await client_status(s, client, None)
    elif choice == 3:
        return await status_scheduler(s, args)
    elif choice == 4:
        await all_status(s)
    return True


@command(
    ".status",
    help="machine readable status",
    usage="dir ( current | last | header | running | terminated ) "
    "| client=<client-name> [status] | storage=<storage-name> [status]",
    api='dir header: {"header": {...}}; dir running: {"running": [...]}; dir terminated: {"terminated": [...]}',
)
async def dot_status(s: CommandSession, args: Args) -> bool:
    if len(args) < 2:
        await s.out.text("1900 Bad .status command, missing arguments.\n")
        return False
    what = args.words[1][0].lower()
    sub = args.words[2][0] if len(args) > 2 else None
    if what == "dir":
        sub_l = (sub or "").lower()
        if sub_l in ("current", "last"):
            await s.out.text(OK_DOT_STATUS)
        elif sub_l == "header":
            await _dir_header(s)
        elif sub_l == "scheduled":
            await _dir_scheduled(s)
        elif sub_l == "running":
            await _dir_running(s)
        elif sub_l == "terminated":
            await _dir_terminated(s)
        else:
            await s.out.text("1900 Bad .status command, wrong argument.\n")
            return False
        return True
    if what == "client":
        client = await select_client(s, args)
        if client is not None:
            await client_status(s, client, sub)
        return True
    if what == "storage":
        store = await select_storage(s, args)
        if store is not None:
            await storage_status(s, store, sub)
        return True
    await s.out.text("1900 Bad .status command, wrong argument.\n")
    return False


# -- the Director itself


async def director_status(s: CommandSession) -> None:
    await _dir_header(s)
    await _dir_scheduled(s)
    await _dir_running(s)
    await _dir_terminated(s)
    await _dir_client_connections(s)
    await s.out.text("====\n")


async def _dir_header(s: CommandSession) -> None:
    rt = s.rt
    p = rt.persona
    started = texts.bareos_time(rt.started_at)
    if s.out.json:
        s.out.set("header", {
            "director": rt.settings.name,
            "version": texts.version(p),
            "release_date": texts.release_date(p),
            "os": texts.os_name(),
            "binary_info": texts.BINARY_INFO,
            "daemon_started": started,
            "jobs_run": rt.jobs.total_run,
            "jobs_running": len(rt.jobs.running),
            "config_warnings": bool(getattr(rt.cfg, "warnings", ())),
        })  # fmt: skip
        return
    await s.out.text(
        f"{rt.settings.name} Version: {texts.version(p)} ({texts.release_date(p)}) "
        f"{texts.os_name()}\n"
    )
    # The emulator's catalog is SQLite: "db:sqlite3" where Bareos names its database.
    await s.out.text(
        f"Daemon started {started}. Jobs: run={rt.jobs.total_run}, "
        f"running={len(rt.jobs.running)} db:sqlite3, {texts.BINARY_INFO} binary\n"
    )


SCHEDULED_HEADER = (
    "\nScheduled Jobs:\n"
    "Level          Type     Pri  Scheduled          Name               Volume\n" + "=" * 83 + "\n"
)


def _next_volume(s: CommandSession, pool: str | None) -> str:
    """``FindNextVolumeForAppend`` without creating one: an appendable volume, else *unknown*."""
    if pool:
        for m in s.rt.catalog.all_media(pool):
            if m.vol_status in ("Append", "Recycle", "Purged"):
                return m.volume
    return "*unknown*"


async def _dir_scheduled(s: CommandSession) -> None:
    """``ListScheduledJobs``: the next run of every Run line within a day (ua_status.cc)."""
    rows = []
    for when, sr in scheduled_jobs(s.rt, time.time(), 1):
        if not s.allowed("job", sr.job_res.name):
            continue
        jtype = job_type_of(sr.job_res)
        pool = sr.pool or (str(sr.job_res.get("Pool")) if sr.job_res.get("Pool") else None)
        rows.append({
            "name": sr.job_res.name, "type": job_type_text(jtype),
            "level": sr.level if jtype == "B" else " ",
            "priority": sr.priority, "scheduled": texts.bareos_time(when),
            "volume": _next_volume(s, pool) if jtype == "B" else "*unknown*",
            # Bareos names only a Run line's Pool= here (sched_pkt.pool), not the Job's.
            "pool": sr.pool, "storage": sr.storage or _storage_name(sr.job_res),
        })  # fmt: skip
    if s.out.json:
        s.out.set("scheduled", [{k: v for k, v in r.items() if v is not None} for r in rows])
        return
    if rows and not s.out.api:
        await s.out.text(SCHEDULED_HEADER)
    for r in rows:
        sep = "\t" if s.out.api else " "
        await s.out.text(
            f"{r['level']:<14}{sep}{r['type']:<8}{sep}{r['priority']:3d}{sep}"
            f"{'' if s.out.api else ' '}{r['scheduled']:<18}{sep}{r['name']:<18}{sep}"
            f"{r['volume']}\n"
        )
    if not s.out.api:
        if not rows:
            await s.out.text("No Scheduled Jobs.\n")
        await s.out.text("====\n")


def _storage_name(job_res: Any) -> str | None:
    value = job_res.get("Storage")
    if isinstance(value, (list, tuple)):
        return str(value[0]) if value else None
    return str(value) if value else None


async def _dir_running(s: CommandSession) -> None:
    jobs = [j for j in s.rt.jobs.running.values() if s.allowed("job", j.name)]
    if s.out.json:
        s.out.set("running", [
            {"jobid": j.job_id, "name": j.job, "level": _run_level(j),
             "type": job_type_text(j.job_type), "status": _run_status(j),
             "start_time": texts.bareos_time(j.start_time or j.sched_time),
             "files": j.fd_files, "bytes": j.fd_bytes}
            for j in jobs
        ])  # fmt: skip
        return
    if not s.out.api:
        await s.out.text("\nRunning Jobs:\n")
        for lease in s.rt.consoles.sessions():
            await s.out.text(f"Console connected at {texts.bareos_time(lease.started_at)}\n")
    if not jobs:
        if not s.out.api:
            await s.out.text("No Jobs running.\n====\n")
        return
    if not s.out.api:
        await s.out.text(" JobId Level   Name                       Status\n")
        await s.out.text("=" * 70 + "\n")
    for j in jobs:
        if s.out.api:
            await s.out.text(
                f"{j.job_id:6d}\t{_run_level(j):<6s}\t{j.job:<20s}\t{_run_status(j)}\t\n"
            )
        else:
            await s.out.text(f"{j.job_id:6d} {_run_level(j):<6s}  {j.job:<20s} {_run_status(j)}\n")
    if not s.out.api:
        await s.out.text("====\n")


def _run_level(job: Any) -> str:
    if job.job_type in ("R", "D", "A"):
        return "      "
    return level_text(job.level)[:7]


def _run_status(job: Any) -> str:
    if job.start_time is None:
        return "is waiting execution"
    return {
        "F": "is waiting for Client to connect",
        "S": "is waiting on Storage",
        "A": "has been canceled",
        "f": "has a fatal error",
        "E": "has terminated with an error",
    }.get(job.status, "is running")


async def _dir_terminated(s: CommandSession) -> None:
    done = [r for r in s.rt.jobs.recent if s.allowed("job", r.short_name)]
    if s.out.json:
        s.out.set("terminated", [
            {"jobid": r.job_id, "name": r.short_name,
             "level": "    " if r.job_type in ("R", "D", "A") else level_text(r.level)[:4],
             "type": job_type_text(r.job_type), "status": _term_word(r.status),
             "files": r.files, "bytes": r.bytes, "finished": texts.bareos_time(r.end_time)}
            for r in done
        ])  # fmt: skip
        return
    if not done:
        if not s.out.api:
            await s.out.text("No Terminated Jobs.\n")
        return
    if not s.out.api:
        await s.out.text("\nTerminated Jobs:\n")
        await s.out.text(TERMINATED_HEADER)
        await s.out.text("=" * 68 + "\n")
    for r in done:
        await s.out.text(
            terminated_row(r, api=bool(s.out.api), warnings_text="OK -- with warnings")
        )
    if not s.out.api:
        await s.out.text("\n")


def _term_word(status: str) -> str:
    return {"C": "Created", "f": "Error", "E": "Error", "D": "Diffs", "A": "Cancel", "T": "OK",
            "W": "OK -- with warnings"}.get(status, "Other")  # fmt: skip


async def _dir_client_connections(s: CommandSession) -> None:
    waiting = s.rt.pool.waiting()
    if s.out.json:
        s.out.set("client-connection", [
            {"connecttime": texts.bareos_time(w.connected_at),
             "protocol_version": w.protocol_version, "authenticated": 1, "name": w.name}
            for w in waiting
        ])  # fmt: skip
        return
    await s.out.text(
        "\nClient Initiated Connections (waiting for jobs):\n"
        f"{'Connect time':<20}{'Protocol':<20}{'Authenticated':<20}{'Name':<40}\n"
        + "=" * 100
        + "\n"
    )
    for w in waiting:
        await s.out.text(
            f"{texts.bareos_time(w.connected_at):<20}{w.protocol_version:<20}{1:<20}{w.name:<40}"
        )
        await s.out.text("\n")


async def all_status(s: CommandSession) -> None:
    await director_status(s)
    seen: set[tuple[str, int]] = set()
    for store in s.rt.storages():
        where = (str(store.get("Address")), int(store.get("Port")))
        if where in seen or not s.allowed("storage", store.name):
            continue
        seen.add(where)
        await storage_status(s, store, None)
    # Asked concurrently, printed in this order (see status_all).
    clients = [c for c in s.rt.clients() if s.allowed("client", c.name)]
    await all_clients_status(s, clients, client_status)


# -- selecting resources


async def select_client(s: CommandSession, args: Args) -> Any | None:
    """``get_client_resource``: ``client=``/``fd=``, else (also after a wrong name) a prompt."""
    for key, value in args.words[1:]:
        if key.lower() in ("client", "fd") and value is not None:
            client = s.rt.client(value)
            if client is not None and s.allowed("client", client.name):
                return client
            await s.out.error(f"Error: Client resource {value} does not exist.\n")
            break
    return await select_resource(s, "client")


async def select_storage(s: CommandSession, args: Args) -> Any | None:
    """``get_storage_resource`` as ``status`` calls it: ``storage=``/``sd=``, the storage of
    a running ``jobid=``/``job=``/``ujobid=``, else a prompt (bare words name no storage)."""
    name: str | None = None
    store: Any | None = None
    for key, value in args.words[1:]:
        k = key.lower()
        if k in ("storage", "sd") and value is not None:
            name = value
            break
        if k in ("jobid", "job", "jobname", "ujobid"):
            running = _running_job(s, k, value)
            if isinstance(running, str):
                await s.out.error(running)
                return None
            store = running.storage_res
            break
    if store is not None and not s.allowed("storage", store.name):
        store = None
    if store is None and name:
        store = s.rt.storage(name)
        if store is None:
            await s.out.error(f'Storage resource "{name}": not found\n')
    if store is not None and not s.allowed("storage", store.name):
        store = None
    if store is not None:
        return store
    return await select_resource(s, "storage")


def _running_job(s: CommandSession, key: str, value: str | None) -> Any:
    """The running job ``key=value`` names, or the error Bareos prints."""
    if key == "jobid":
        wanted = int(value) if value and value.isdigit() else 0
        if wanted <= 0:
            return f"Expecting jobid=nn command, got: {key}\n"
        job = s.rt.jobs.running.get(wanted)
        return job if job is not None else f"JobId {wanted} is not running.\n"
    if not value:
        return f"Expecting {'ujobid' if key == 'ujobid' else 'job'}=xxx, got: {key}.\n"
    job = running_by_name(s, value, exact=key == "ujobid")
    return job if job is not None else f'Job "{value}" is not running.\n'


# -- relayed status


async def _relay(s: CommandSession, stream: BareosStream, peer: str) -> None:
    """Copy every packet to the console until the daemon sends a signal, then terminate."""
    try:
        while True:
            frame = await stream.receive(timeout=RELAY_TIMEOUT)
            if not isinstance(frame, Packet):
                break
            # The Director prints the daemon's C string: the part before a NUL.
            await s.out.text(frame.payload.split(b"\x00", 1)[0])
    except (BareosError, trio.TooSlowError) as exc:
        log.warning("status.relay_ended", peer=peer, reason=str(exc))
    finally:
        await stream.aclose(terminate=True)


async def client_status(s: CommandSession, client: Any, dot_cmd: str | None) -> None:
    rt = s.rt
    name = client.name
    if not client.get("Enabled"):
        await s.out.text(f'Client "{name}" is disabled; skipping status call\n')
        return
    if not s.out.api:
        await s.out.text(
            f"Connecting to Client {name} at {client.get('Address')}:{client.get('Port')}\n"
        )
    try:
        stream, info = await rt.file_daemons.connect_to_file_daemon(
            client, purpose="status", console=s.out.text
        )
    except ClientConnectError as exc:
        rt.messages.add(f"{rt.settings.name}: {exc}")
        await s.out.text(f"\nFailed to connect to Client {name}.\n====\n")
        return
    try:
        await stream.send(f".status {dot_cmd}" if dot_cmd else "status")
    except (BareosError, trio.TooSlowError) as exc:
        log.warning("status.send_failed", client=name, reason=str(exc))
        await stream.aclose()
        return
    log.info("status.sent", client=name, connection=info.connection)
    await _relay(s, stream, f"client {name}")


async def storage_status(s: CommandSession, store: Any, dot_cmd: str | None) -> None:
    rt = s.rt
    name = store.name
    if not s.out.api:
        await s.out.text(
            f"Connecting to Storage daemon {name} at {store.get('Address')}:{store.get('Port')}\n"
        )
    try:
        stream, info = await connect_to_storage_daemon(rt, store)
    except StorageConnectError as exc:
        rt.messages.add(f"{rt.settings.name}: {exc}")
        await s.out.text(f"\nFailed to connect to Storage daemon {name}.\n====\n")
        return
    await s.out.text(f" Encryption: {info.encryption_text}\n")
    if dot_cmd:
        command = f".status {dot_cmd}\n"
    else:
        devices = ",".join(_device_names(store))
        command = f"status {bash_spaces(devices)}\n"
    try:
        await stream.send(command)
    except (BareosError, trio.TooSlowError) as exc:
        log.warning("status.send_failed", storage=name, reason=str(exc))
        await stream.aclose()
        return
    log.info("status.sent", storage=name)
    await _relay(s, stream, f"storage {name}")


def _device_names(store: Any) -> list[str]:
    value = store.get("Device") or ()
    if isinstance(value, str):
        return [value]
    names: list[str] = []
    for item in value:
        names.append(getattr(item, "name", None) or str(item))
    return names
