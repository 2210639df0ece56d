"""Console commands on volumes and catalog records: delete, update volume, label, relabel,
move, export, import (dird/ua_cmds.cc DeleteCmd, ua_update.cc, ua_label.cc, ua_impexp.cc).

``delete jobid=<list>``
    ``{"deleted": {"jobids": ["5"]}}``; each JobId (``3,4,7-9`` lists and ranges too)
    leaves the catalog with its files, JobMedia and log ("Jobid 5 and associated records
    deleted from the catalog.").
``delete volume=<name> [yes]``
    the volume and, unless it is Purged, the jobs on it:
    ``{"deleted": {"jobids": [...], "volumes": ["<name>"]}}`` and Bareos's warning.
``update volume=<name> volstatus=... volretention=... maxvoljobs=...``
    each catalog column, in Bareos's keyword order, with its info message
    ("New Volume status is: Used"); the JSON result stays empty.
``label volume=<name> pool=<pool> storage=<storage>`` / ``relabel oldvolume= volume= ...``
    the Storage daemon writes the label (``3000 OK label. ...``), then the catalog record
    is created ("Catalog record for Volume ... successfully created.") and the device is
    mounted (a file device "is always mounted").
``move``/``export``/``import storage=<storage> srcslots=... [dstslots=...]``
    ask the Storage daemon how many slots its changer has; none of the emulated devices is
    an autochanger, so the answer is Bareos's for that case: "No slots in changer." (a
    warning, and the command fails).

The emulator does not prompt: what Bareos would ask for interactively is an error here.
"""

from __future__ import annotations

import re
import time
from typing import TYPE_CHECKING, Any

import structlog
import trio

from bareosnet.config.values import parse_duration, parse_size
from bareosnet.errors import BareosError
from bareosnet.net.stream import BareosStream
from bareosnet.proto.framing import Packet
from bareosnet.proto.names import bash_spaces
from daemons.director.catalog.records import MediaRecord
from daemons.director.console import restore_dialog as dialog
from daemons.director.console.args import Args
from daemons.director.console.registry import command
from daemons.director.jobs.report import elapsed_text
from daemons.director.probing.storages import StorageConnectError, connect_to_storage_daemon

if TYPE_CHECKING:
    from daemons.director.console.interfaces import CommandSession

log = structlog.get_logger("bareosnet.director.console")

SD_REPLY_TIMEOUT = 60.0  # a label writes one small file; the SD answers at once

# Bareos's help texts (ua_cmds.cc), as "help <command>" prints them.
DELETE_USAGE = ("[volume=<vol-name> [yes] | volume pool=<pool-name> [yes] | "
                "storage storage=<storage-name> | pool=<pool-name> | jobid=<jobid> | "
                "jobid=<jobid1,jobid2,...> | jobid=<jobid1-jobid9>]")  # fmt: skip
UPDATE_USAGE = (
    "[volume=<volume-name> [volstatus=<status>] [volretention=<time-def>] "
    "[actiononpurge=<action>] [encrypt=<yes/no/rotate>] [pool=<pool-name>] [recycle=<yes/no>] "
    "[slot=<number>] [inchanger=<yes/no>]] | [pool=<pool-name> [maxvolbytes=<size>] "
    "[maxvolfiles=<nb>] [maxvoljobs=<nb>][enabled=<yes/no>] [recyclepool=<pool-name>] "
    "[actiononpurge=<action>] | slots [storage=<storage-name>] [scan]] | [jobid=<jobid> "
    "[jobname=<name>] [starttime=<time-def>] [client=<client-name>] [filesetid=<fileset-id>] "
    "[jobtype=<job-type>]] | [stats [days=<number>]]"
)
LABEL_USAGE = ("storage=<storage-name> volume=<volume-name> pool=<pool-name> slot=<slot> "
               "[ drive = <drivenum>] [ barcodes ] [ encrypt ] [ yes ]")  # fmt: skip
RELABEL_USAGE = ("storage=<storage-name> oldvolume=<old-volume-name>  volume=<new-volume-name> "
                 "pool=<pool-name> [ encrypt ]")  # fmt: skip
MOVE_USAGE = "storage=<storage-name> srcslots=<slot-selection> dstslots=<slot-selection>"
EXPORT_USAGE = ("storage=<storage-name> srcslots=<slot-selection> [ dstslots=<slot-selection> "
                "volume=<volume-name> scan ]")  # fmt: skip
IMPORT_USAGE = ("storage=<storage-name> [ srcslots=<slot-selection> dstslots=<slot-selection> "
                "volume=<volume-name> scan ]")  # fmt: skip

_VOLSTATUS = ("Append", "Archive", "Disabled", "Full", "Used", "Cleaning", "Recycle",
              "Read-Only", "Error")  # fmt: skip
_VOLNAME_OK = re.compile(r"[A-Za-z0-9:.\-_/]*")
MAX_NAME_LENGTH = 128
# The catalog stores signed 64-bit integers; a longer number is refused, not an exception.
_MAX_SQL_INT = 2**63 - 1
# A JobId range is walked id by id as Bareos does; a larger one would stall the Director.
MAX_DELETE_RANGE = 100_000


def _small_int(text: str) -> int | None:
    return int(text) if re.fullmatch(r"-?\d{1,18}", text) else None


def _user_bool(text: str) -> bool | None:
    """Bareos parse_user_bool: ``yes`` or ``no`` in any case, nothing else."""
    return {"yes": True, "no": False}.get(text.lower())


async def _yes_no(s: CommandSession, prompt: str) -> bool:
    return bool(await dialog.get_yesno(s, prompt))


async def _select_media(s: CommandSession, args: Args) -> MediaRecord | None:
    """Bareos SelectMediaDbr with volume= given (the emulator does not prompt)."""
    name = args.value("volume")
    if name is None:
        await s.out.error("A volume is needed: volume=<volume-name> (this emulator does not "
                          "prompt)\n")  # fmt: skip
        return None
    rec = s.rt.catalog.media(name)
    if rec is None:
        await s.out.error(f'Media record for Volume "{name}" not found.\n')
    return rec


# ---------------------------------------------------------------------- delete


def _job_ids(s: CommandSession, text: str, errors: list[str]) -> list[int]:
    """``3,4,6,7-11`` -> the JobIds, Bareos's messages for what it ignores."""
    ids: list[int] = []
    for tok in text.split(","):
        if "-" in tok:
            a, _, b = tok.partition("-")
            if not (a.isdigit() and b.isdigit() and len(a) <= 18 and len(b) <= 18):
                errors.append(f"Illegal JobId range {a} - {b}, ignored\n")
            elif int(b) <= int(a):
                errors.append(f"Illegal JobId range {a} - {b} should define increasing "
                              "JobIds, ignored\n")  # fmt: skip
            elif int(b) - int(a) >= MAX_DELETE_RANGE:
                errors.append(f"JobId range {a} - {b} is larger than this emulator walks "
                              f"({MAX_DELETE_RANGE} JobIds), ignored\n")  # fmt: skip
            else:
                ids += range(int(a), int(b) + 1)
        elif tok.isdigit() and len(tok) <= 18:
            ids.append(int(tok))
        else:
            errors.append(f"Illegal JobId {tok} ignored\n")
    return ids


async def _delete_jobs(s: CommandSession, args: Args) -> None:
    deleted: list[str] = []
    for key, value in args.words[1:]:
        if key.lower() != "jobid" or value is None:
            continue
        errors: list[str] = []
        ids = _job_ids(s, value, errors)
        for message in errors:
            await s.out.error(message)
        for job_id in ids:
            s.rt.catalog.delete_jobs([job_id])
            deleted.append(str(job_id))
            await s.out.text(f"Jobid {job_id} and associated records deleted from the catalog.\n")
    s.out.set("deleted", {"jobids": deleted})


async def _delete_volume(s: CommandSession, args: Args) -> None:
    rec = await _select_media(s, args)
    if rec is None:
        s.out.set("deleted", {})
        return
    await s.out.warning(f"\nThis command will delete volume {rec.volume}\n"
                        "and all Jobs saved on that volume from the Catalog\n")  # fmt: skip
    if not (s.batch or args.has("yes")) and not await _yes_no(
        s, f'Are you sure you want to delete Volume "{rec.volume}"? (yes/no): '
    ):
        s.out.set("deleted", {})
        return
    result: dict[str, Any] = {}
    catalog = s.rt.catalog
    if rec.vol_status != "Purged":
        ids = catalog.volume_job_ids(rec.media_id)
        if ids:
            catalog.delete_jobs(ids)
            result["jobids"] = [str(i) for i in ids]
            await s.out.info(f"Deleted {len(ids)} jobs and associated records deleted from the "
                             f"catalog (jobids: {','.join(map(str, ids))}).\n")  # fmt: skip
    catalog.delete_media(rec.media_id)
    log.info("console.volume_deleted", volume=rec.volume, jobs=result.get("jobids", []))
    result["volumes"] = [rec.volume]
    await s.out.text(f"Volume {rec.volume} deleted.\n")
    s.out.set("deleted", result)


@command("delete", help="Delete volume, pool or job", usage=DELETE_USAGE,
         api='{"deleted": {"jobids": [<jobid>...]} | {"jobids"?: [...], "volumes": [<name>]}}')  # fmt: skip
async def delete(s: CommandSession, args: Args) -> bool:
    keys = [k.lower() for k, _ in args.words[1:]]
    # Bareos takes the first of its keywords (volume, pool, jobid, storage) on the line.
    keyword = next((k for k in keys if k in ("volume", "pool", "jobid", "storage")), None)
    if keyword == "volume":
        await _delete_volume(s, args)
    elif keyword == "jobid":
        await _delete_jobs(s, args)
    elif keyword == "pool" and s.batch:
        await s.out.error("Deleting pools from the catalog is not supported in batch mode.\n")
        return False
    elif keyword is None:
        await s.out.warning("In general it is not a good idea to delete either a\n"
                            "Pool or a Volume since they may contain data.\n\n")  # fmt: skip
        await s.out.error(f"delete: {DELETE_USAGE} is needed (this emulator does not "
                          "prompt)\n")  # fmt: skip
        s.out.set("deleted", {})
    else:
        await s.out.error(f"delete {keyword}=: not emulated\n")
        s.out.set("deleted", {})
    return True


# ---------------------------------------------------------------------- update volume


async def _update_one(s: CommandSession, rec: MediaRecord, key: str, val: str) -> None:
    cat, out = s.rt.catalog, s.out
    mid = rec.media_id
    if key == "volstatus":
        status = next((k for k in _VOLSTATUS if k.lower() == val.lower()), None)
        if status is None:
            await out.error(f"Invalid VolStatus specified: {val}\n")
            return
        cat.set_media(mid, VolStatus=status)
        await out.info(f"New Volume status is: {status}\n")
    elif key in ("volretention", "voluse"):
        try:
            seconds = parse_duration(val)
            if seconds > _MAX_SQL_INT:
                raise ValueError(val)
        except ValueError:
            what = "retention period" if key == "volretention" else "use duration"
            await out.error(f"Invalid {what} specified: {val}\n")
            return
        if key == "volretention":
            cat.set_media(mid, VolRetention=seconds)
            await out.info(f"New retention period is: {elapsed_text(seconds)}\n")
        else:
            cat.set_media(mid, VolUseDuration=seconds)
            await out.info(f"New use duration is: {elapsed_text(seconds)}\n")
    elif key in ("maxvoljobs", "maxvolfiles"):
        # Bareos puts the text into its SQL as given; a number is what it can store.
        if not val.isdigit() or len(val) > 18:
            await out.error(f"Invalid number: {val}\n")
            return
        if key == "maxvoljobs":
            cat.set_media(mid, MaxVolJobs=int(val))
            await out.info(f"New max jobs is: {val}\n")
        else:
            cat.set_media(mid, MaxVolFiles=int(val))
            await out.info(f"New max files is: {val}\n")
    elif key == "maxvolbytes":
        try:
            size = parse_size(val)
            if size > _MAX_SQL_INT:
                raise ValueError(val)
        except ValueError:
            await out.error(f"Invalid max. bytes specification: {val}\n")
            return
        cat.set_media(mid, MaxVolBytes=size)
        await out.info(f"New Max bytes is: {size}\n")
    elif key in ("recycle", "inchanger"):
        flag = _user_bool(val)
        if flag is None:
            await out.error("Invalid value. It must be YES or NO.\n")
            return
        if key == "recycle":
            cat.set_media(mid, Recycle=int(flag))
            await out.info(f"New Recycle flag is: {'yes' if flag else 'no'}\n")
        else:
            cat.set_media(mid, InChanger=int(flag))
            await out.info(f"New InChanger flag is: {'yes' if flag else 'no'}\n")
    elif key == "slot":
        pool = s.rt.cfg.get("pool", rec.pool)
        max_vols = int(pool.get("MaximumVolumes") or 0) if pool is not None else 0
        # Bareos: atoi, whose overflow comes out negative here; a word is 0.
        parsed = _small_int(val)
        slot = parsed if parsed is not None else (-1 if re.fullmatch(r"-?\d+", val) else 0)
        if (max_vols > 0 and slot > max_vols) or slot < 0 or slot > 32767:
            await out.error(f"Invalid slot, it must be between 0 and MaxVols={max_vols}\n")
            return
        cat.set_media(mid, Slot=slot)
        await out.info(f"New Slot is: {slot}\n")
    elif key == "pool":
        pool = s.rt.cfg.get("pool", val)
        if pool is None or not s.allowed("pool", val):
            await out.error(f'Could not find Pool "{val}": ERR=Pool record not found in '
                            "Catalog.\n")  # fmt: skip
            return
        cat.set_media(mid, PoolName=pool.name)
        await out.info(f"New Pool is: {pool.name}\n")
    elif key == "enabled":
        low = val.lower()
        enabled = {"yes": 1, "true": 1, "1": 1, "no": 0, "false": 0, "0": 0, "archived": 2,
                   "2": 2}.get(low)  # fmt: skip
        if enabled is None:
            await out.error("Invalid Enabled value, it must be yes, no, archived, 0, 1, or 2\n")
            return
        cat.set_media(mid, Enabled=enabled)
        await out.info(f"New Enabled is: {enabled}\n")
    else:
        await out.error(f"update volume {key}=: not emulated\n")


# Bareos walks its keywords in this order, whatever the order on the command line.
_UPDATE_KEYS = ("volstatus", "volretention", "voluse", "maxvoljobs", "maxvolfiles",
                "maxvolbytes", "recycle", "inchanger", "slot", "pool", "frompool",
                "allfrompool", "enabled", "recyclepool", "actiononpurge", "storage", "encrypt")  # fmt: skip


async def _update_volume(s: CommandSession, args: Args) -> bool:
    done = False
    for key in _UPDATE_KEYS:
        val = args.value(key)
        if val is None:
            continue
        rec = await _select_media(s, args)
        if rec is None:
            return False
        await _update_one(s, rec, key, val)
        done = True
    if not done:
        await s.out.error("update volume: name what to change, e.g. volstatus=<status> (this "
                          "emulator does not prompt)\n")  # fmt: skip
    return True


@command("update", help="Update volume, pool, slots, job or statistics", usage=UPDATE_USAGE,
         api="{} (the changes are info messages)")  # fmt: skip
async def update(s: CommandSession, args: Args) -> bool:
    keys = [k.lower() for k, _ in args.words[1:]]
    keyword = next((k for k in keys if k in ("media", "volume", "pool", "slots", "slot",
                                             "jobid", "stats")), None)  # fmt: skip
    if keyword in ("media", "volume"):
        await _update_volume(s, args)
    elif keyword is None:
        await s.out.error(f"update: {UPDATE_USAGE} is needed (this emulator does not prompt)\n")
    else:
        await s.out.error(f"update {keyword}: not emulated\n")
    return True


# ---------------------------------------------------------------------- SD exchanges


async def _select_storage(s: CommandSession, args: Args, *, plain_ok: bool) -> Any | None:
    """Bareos get_storage_resource: storage=/sd=, or (label) the first bare word."""
    name = args.value("storage", "sd")
    if name is None and plain_ok:
        skip = {"barcode", "barcodes", "encrypt", "scan", "slots", "alldrives", "yes"}
        plain = [k for k, v in args.words[1:] if v is None and k.lower() not in skip]
        name = plain[0] if plain else None
    if name is None:
        await s.out.error("A storage is needed: storage=<storage-name> (this emulator does not "
                          "prompt)\n")  # fmt: skip
        return None
    store = s.rt.storage(name)
    if store is None or not s.allowed("storage", store.name):
        await s.out.error(f'Storage resource "{name}": not found\n')
        return None
    return store


def _device_name(store: Any) -> str:
    value = store.get("Device") or ()
    first = value if isinstance(value, str) else next(iter(value), "")
    return str(getattr(first, "name", None) or first)


async def _connect(s: CommandSession, store: Any) -> BareosStream | None:
    await s.out.text(f"Connecting to Storage daemon {store.name} at {store.get('Address')}:"
                     f"{store.get('Port')} ...\n")  # fmt: skip
    try:
        stream, _ = await connect_to_storage_daemon(s.rt, store)
    except StorageConnectError:
        await s.out.error("Failed to connect to Storage daemon.\n")
        return None
    return stream


async def _exchange(s: CommandSession, stream: BareosStream, line: str) -> list[str]:
    """One command to the SD; its reply lines up to the signal (each shown, as Bareos does)."""
    await stream.send(line)
    replies: list[str] = []
    with trio.move_on_after(SD_REPLY_TIMEOUT):
        while True:
            frame = await stream.receive(timeout=SD_REPLY_TIMEOUT)
            if not isinstance(frame, Packet):
                break
            text = frame.payload.split(b"\x00", 1)[0].decode("utf-8", "replace")
            replies.append(text)
            await s.out.text(text)
    return replies


# ---------------------------------------------------------------------- label, relabel


def _label_result(replies: list[str]) -> int | None:
    """VolBytes of the SD's ``3000 OK label.`` line (None: the label failed)."""
    for line in replies:
        m = re.match(r"3000 OK label\. (?:VolFiles=\d+ )?VolBytes=(\d+) ", line)
        if m:
            return int(m.group(1))
    return None


async def _legal_name(s: CommandSession, name: str) -> bool:
    if name.startswith("/"):
        await s.out.error('Volume name can not start with "/".\n')
        return False
    bad = next((c for c in name if not (c.isascii() and (c.isalnum() or c in ":.-_/"))), None)
    if bad is not None:
        await s.out.error(f'Illegal character "{bad}" in a volume name.\n')
        return False
    if len(name) >= MAX_NAME_LENGTH:
        await s.out.error("Volume name too long.\n")
        return False
    if not name:
        await s.out.error("Volume name must be at least one character long.\n")
        return False
    return True


async def _do_label(s: CommandSession, args: Args, relabel: bool) -> bool:
    out, cat = s.out, s.rt.catalog
    if not relabel and (args.has("barcode") or args.has("barcodes")):
        await out.error("label barcodes: not emulated (no autochanger)\n")
        return True
    store = await _select_storage(s, args, plain_ok=True)
    if store is None:
        return True
    old: MediaRecord | None = None
    if relabel:
        old_name = args.value("oldvolume")
        old = cat.media(old_name) if old_name is not None else None
        if old is None:
            if old_name is not None:
                await out.error(f'Media record for Volume "{old_name}" not found.\n')
            await out.error("relabel: oldvolume=<volume-name> is needed (this emulator does not "
                            "prompt)\n")  # fmt: skip
            return True
        if old.vol_status not in ("Purged", "Recycle"):
            await out.error(f'Volume "{old.volume}" has VolStatus {old.vol_status}. It must be '
                            "Purged or Recycled before relabeling.\n")  # fmt: skip
            return True
    name = args.value("volume")
    if name is None:
        await out.error("A volume name is needed: volume=<volume-name> (this emulator does not "
                        "prompt)\n")  # fmt: skip
        return True
    if not await _legal_name(s, name):
        return True
    existing = cat.media(name)
    if existing is not None and existing.vol_bytes != 0:
        await out.error(f'Media record for new Volume "{name}" already exists.\n')
        return True
    slot_text = args.value("slot")
    slot = min(max(0, _small_int(slot_text) or 0), 32767) if slot_text else 0
    pool_name = args.value("pool")
    pool = s.rt.cfg.get("pool", pool_name) if pool_name is not None else None
    if pool is None or not s.allowed("pool", pool.name):
        if pool_name is not None:
            await out.error(f'Could not find Pool "{pool_name}": ERR=Pool record not found in '
                            "Catalog.\n")  # fmt: skip
        else:
            await out.error("A pool is needed: pool=<pool-name> (this emulator does not "
                            "prompt)\n")  # fmt: skip
        return True
    media_type = str(store.get("MediaType") or "")
    stream = await _connect(s, store)
    if stream is None:
        await out.error(f"Label command failed for Volume {name}.\n")
        return True
    try:
        dev = bash_spaces(_device_name(store))
        if relabel:
            assert old is not None
            line = (f"relabel {dev} OldName={bash_spaces(old.volume)} NewName={bash_spaces(name)} "
                    f"PoolName={bash_spaces(pool.name)} MediaType={bash_spaces(media_type)} "
                    f"Slot={slot} drive=0 MinBlocksize=0 MaxBlocksize=0")  # fmt: skip
            await out.text(f'Sending relabel command from "{old.volume}" to "{name}" ...\n')
        else:
            line = (f"label {dev} VolumeName={bash_spaces(name)} PoolName={bash_spaces(pool.name)} "
                    f"MediaType={bash_spaces(media_type)} Slot={slot} drive=0 MinBlocksize=0 "
                    "MaxBlocksize=0")  # fmt: skip
            await out.text(f'Sending label command for Volume "{name}" Slot {slot} ...\n')
        vol_bytes = _label_result(await _exchange(s, stream, line))
        if vol_bytes is None:
            await out.error(f"Label command failed for Volume {name}.\n")
            await out.info("Do not forget to mount the drive!!!\n")
            return True
        _record_label(s, store, pool, existing, name, media_type, slot, vol_bytes)
        if existing is None:
            await out.info(f'Catalog record for Volume "{name}", Slot {slot} successfully '
                           "created.\n")  # fmt: skip
        if old is not None:
            cat.delete_media(old.media_id)
            await out.info(f'Old volume "{old.volume}" deleted from catalog.\n')
        await out.info(f"Requesting to mount {_device_name(store)} ...\n")
        mounted = await _exchange(s, stream, f"mount {dev} drive=0")
        if not any(r[:5] in ("3001 ", "3002 ", "3906 ") for r in mounted):
            await out.info("Do not forget to mount the drive!!!\n")
    except (BareosError, trio.TooSlowError) as exc:
        log.warning("console.label_failed", volume=name, reason=str(exc))
        await out.error(f"Label command failed for Volume {name}.\n")
    finally:
        await stream.aclose(terminate=True)
    return True


def _record_label(s: CommandSession, store: Any, pool: Any, existing: MediaRecord | None,
                  name: str, media_type: str, slot: int, vol_bytes: int) -> None:  # fmt: skip
    """Bareos update_database: a new record with the Pool's defaults, or the old one updated."""
    cat = s.rt.catalog
    if existing is not None:
        cat.set_media(existing.media_id, VolStatus="Append", InChanger=int(slot > 0), Slot=slot,
                      StorageName=store.name, VolBytes=vol_bytes)  # fmt: skip
        return
    rec = cat.create_labelled_media(
        volume=name, pool=pool.name, media_type=media_type, storage=store.name, slot=slot,
        in_changer=int(slot > 0), max_vol_bytes=int(pool.get("MaximumVolumeBytes") or 0),
        vol_bytes=vol_bytes,
    )  # fmt: skip
    defaults: dict[str, Any] = {
        "MaxVolJobs": int(pool.get("MaximumVolumeJobs") or 0),
        "MaxVolFiles": int(pool.get("MaximumVolumeFiles") or 0),
    }
    retention = pool.get("VolumeRetention")
    if retention is not None:
        defaults["VolRetention"] = int(retention)
    use = pool.get("VolumeUseDuration")
    if use is not None:
        defaults["VolUseDuration"] = int(use)
    recycle = pool.get("Recycle")
    if recycle is not None:
        defaults["Recycle"] = int(bool(recycle))
    cat.set_media(rec.media_id, **defaults)
    cat.db.execute("UPDATE Media SET FirstWritten=NULL, LastWritten=NULL, CreateTime=? "
                   "WHERE MediaId=?", (time.time(), rec.media_id))  # fmt: skip


@command("label", help="Label a tape", usage=LABEL_USAGE,
         api="{} (the outcome is info/error messages)")  # fmt: skip
async def label(s: CommandSession, args: Args) -> bool:
    return await _do_label(s, args, relabel=False)


@command("relabel", help="Relabel a tape", usage=RELABEL_USAGE,
         api="{} (the outcome is info/error messages)")  # fmt: skip
async def relabel(s: CommandSession, args: Args) -> bool:
    return await _do_label(s, args, relabel=True)


# ---------------------------------------------------------------------- move, export, import


async def _slots_operation(s: CommandSession, args: Args) -> bool:
    """Bareos PerformMoveOperation up to the slot count: 0 slots without an autochanger."""
    store = await _select_storage(s, args, plain_ok=False)
    if store is None:
        return False
    stream = await _connect(s, store)
    slots = 0
    if stream is not None:
        try:
            for line in await _exchange(s, stream, f"autochanger slots "
                                        f"{bash_spaces(_device_name(store))}"):  # fmt: skip
                m = re.match(r"slots=(\d+)", line)
                if m:
                    slots = int(m.group(1))
        except (BareosError, trio.TooSlowError) as exc:
            log.warning("console.slots_failed", storage=store.name, reason=str(exc))
        finally:
            await stream.aclose(terminate=True)
    await s.out.text(f'Device "{_device_name(store)}" has {slots} slots.\n')
    if slots <= 0:
        await s.out.warning("No slots in changer.\n")
        return False
    await s.out.error("slot operations: not emulated\n")
    return False


@command("move", help="Move slots in an autochanger", usage=MOVE_USAGE,
         api="{} (the outcome is messages)")  # fmt: skip
async def move(s: CommandSession, args: Args) -> bool:
    return await _slots_operation(s, args)


@command("export", help="Export volumes from normal slots to import/export slots",
         usage=EXPORT_USAGE, api="{} (the outcome is messages)")  # fmt: skip
async def export(s: CommandSession, args: Args) -> bool:
    return await _slots_operation(s, args)


@command("import", help="Import volumes from import/export slots to normal slots",
         usage=IMPORT_USAGE, api="{} (the outcome is messages)")  # fmt: skip
async def import_cmd(s: CommandSession, args: Args) -> bool:
    return await _slots_operation(s, args)
