"""What backup, restore and copy jobs share: reaching the daemons, ``ssl=`` values, the FileSet.

``ssl=`` values (reference section 5, table "How the chosen mode is propagated"):

* ``JobId=... ssl=<p>`` is sent only when the Client's stored handshake mode
  is TLS-first; ``p`` is 4 when the job's storage has TLS Enable, else 0;
* active client ``storage address=... ssl=<p>``: TLS-first mode -> 4/0 by the
  storage's TLS Enable; otherwise the storage's policy (0/1/2);
* passive client ``passive client ... ssl=<p>``: TLS-first mode -> 4/0 by the
  *client's* TLS Enable; otherwise the client's policy;
* ``replicate ... ssl=<p>``: 4/0 by the writing storage's TLS Enable.
"""

from __future__ import annotations

import base64
import hashlib
from typing import Any

import structlog

from bareosnet.proto import fileset as fs
from bareosnet.proto.policy import HandshakeMode
from daemons.director.jobs.control import JS_WAIT_FD, JS_WAIT_SD, JobControl, JobFailed
from daemons.director.jobs.fd_session import FdSession
from daemons.director.jobs.sd_session import SdSession
from daemons.director.probing.clients import ClientConnectError
from daemons.director.probing.storages import StorageConnectError, connect_to_storage_daemon

log = structlog.get_logger("bareosnet.director.jobs")

TLS_FIRST_POLICY = 4


# ---------------------------------------------------------------------- connections


async def open_storage(job: JobControl, store_res: Any, *, label: str = "Storage daemon",
                       **kw: Any) -> SdSession:  # fmt: skip
    """Connection 5 to ``store_res`` for this job, with Bareos's job messages."""
    job.set_status(JS_WAIT_SD)
    try:
        stream, info = await connect_to_storage_daemon(job.rt, store_res)
    except StorageConnectError as exc:
        raise JobFailed(
            f'Failed to connect to Storage daemon "{store_res.name}": {exc.reason}\n'
        ) from None
    job.streams.append(stream)
    job.message(f"Connected Storage daemon at {store_res.get('Address')}:{store_res.get('Port')}, "
                f"encryption: {info.encryption_text}\n")  # fmt: skip
    job.message(f" Encryption: {info.encryption_text}\n")
    job.note_connection(f"Director -> {label}", "5", info)
    return SdSession(job, stream, info, store_res, **kw)


async def open_client(job: JobControl, client_res: Any) -> FdSession:
    """Connection 3 (or a waiting connection 4) with probing; the probe's reason on failure."""
    job.set_status(JS_WAIT_FD)
    pending: list[str] = []

    async def collect(text: str) -> None:
        pending.append(text)

    try:
        stream, info = await job.rt.file_daemons.connect_to_file_daemon(
            client_res, purpose="job", job_log=collect
        )
    except ClientConnectError as exc:
        for text in pending:
            job.message(text)
        raise JobFailed(
            f'Failed to connect to File daemon "{client_res.name}": {exc.reason}\n'
        ) from None
    job.streams.append(stream)
    # Bareos's order: probing note, who we reached, then handshake and encryption.
    probing = [t for t in pending if t.startswith("Probing")]
    rest = [t for t in pending if not t.startswith("Probing")]
    for text in probing:
        job.message(text)
    if info.connection == "4":
        job.message(f"Using Client Initiated Connection ({client_res.name}).\n")
    else:
        job.message(f"Connected Client: {client_res.name} at {client_res.get('Address')}:"
                    f"{client_res.get('Port')}, encryption: {info.encryption_text}\n")  # fmt: skip
    for text in rest:
        job.message(text)
    job.note_connection("Director -> File daemon", "3", info)
    return FdSession(job, stream, info)


# ---------------------------------------------------------------------- ssl= values


def client_mode(job: JobControl, client_res: Any) -> HandshakeMode:
    return job.rt.modes.get(client_res.name)


def jobid_ssl(job: JobControl, client_res: Any, store_res: Any) -> int | None:
    """``ssl=`` of the ``JobId=`` command, or None for the old 5-field form."""
    if client_mode(job, client_res) is not HandshakeMode.TLS_FIRST:
        return None
    return TLS_FIRST_POLICY if store_res.tls.enable else 0


def active_storage_ssl(job: JobControl, client_res: Any, store_res: Any) -> int:
    if client_mode(job, client_res) is HandshakeMode.TLS_FIRST:
        return TLS_FIRST_POLICY if store_res.tls.enable else 0
    return int(store_res.tls.policy)


def passive_client_ssl(job: JobControl, client_res: Any) -> int:
    if client_mode(job, client_res) is HandshakeMode.TLS_FIRST:
        return TLS_FIRST_POLICY if client_res.tls.enable else 0
    return int(client_res.tls.policy)


def replicate_ssl(write_store: Any) -> int:
    return TLS_FIRST_POLICY if write_store.tls.enable else 0


# ---------------------------------------------------------------------- the FileSet


_LIST_KEYS = {
    "regex": "regex",
    "regexdir": "regexdir",
    "regexfile": "regexfile",
    "wild": "wild",
    "wilddir": "wilddir",
    "wildfile": "wildfile",
    "wildbase": "wildbase",
    "base": "base",
    "fstype": "fstype",
    "drivetype": "drivetype",
}
_IGNORED_KEYS = {"meta"}


def _options(values: Any) -> fs.FileOptions:
    keywords: dict[str, str] = {}
    lists: dict[str, tuple[str, ...]] = {}
    plugin = reader = writer = None
    for key, vals in dict(values).items():
        k = str(key).lower()
        items = tuple(vals) if isinstance(vals, tuple | list) else (vals,)
        if k in _LIST_KEYS:
            lists[_LIST_KEYS[k]] = lists.get(_LIST_KEYS[k], ()) + tuple(str(v) for v in items)
        elif k == "plugin":
            plugin = str(items[-1])
        elif k == "reader":
            reader = str(items[-1])
        elif k == "writer":
            writer = str(items[-1])
        elif k in _IGNORED_KEYS:
            continue
        elif items:
            value = items[-1]
            if isinstance(value, bool):
                value = "yes" if value else "no"
            keywords[k] = str(value)
    # The Director's letters, defaults (H, A, X) appended like Bareos does.
    return fs.FileOptions(
        fs.options_from_keywords(keywords), plugin=plugin, reader=reader, writer=writer, **lists
    )


def _block(block: Any) -> fs.IncludeExclude:
    return fs.IncludeExclude(
        files=tuple(block.files),
        options=tuple(_options(o.values) for o in block.options),
        plugins=tuple(block.plugins),
        ignore_dirs=tuple(block.exclude_dir_containing),
    )


def fileset_of(fileset_res: Any) -> fs.FileSet:
    """The FileSet resource as the wire value the Director sends."""
    return fs.FileSet(
        includes=[_block(b) for b in fileset_res.get("Include") or ()],
        excludes=[_block(b) for b in fileset_res.get("Exclude") or ()],
    )


def fileset_packets(fileset_res: Any) -> list[bytes]:
    return fs.encode_fileset(fileset_of(fileset_res))


def fileset_md5(fileset_res: Any | None) -> str:
    """A digest of the FileSet's content, base64 like Bareos's ``FileSetMD5=``."""
    if fileset_res is None:
        return "**Dummy**"
    digest = hashlib.md5(b"".join(fileset_packets(fileset_res)), usedforsecurity=False).digest()
    return base64.b64encode(digest).decode("ascii").rstrip("=")


def use_vss(fileset_res: Any) -> bool:
    try:
        return bool(fileset_res.get("EnableVss"))
    except KeyError:
        return True


# ---------------------------------------------------------------------- resources


def storage_of(rt: Any, value: Any) -> Any | None:
    """The first Storage resource named by a ``Storage =`` value (a name or a tuple)."""
    names = (value,) if isinstance(value, str) else tuple(value or ())
    for name in names:
        res = rt.storage(str(name))
        if res is not None:
            return res
    return None


def data_address(res: Any) -> str:
    return str(res.get("Address"))


# ---------------------------------------------------------------------- cancel


CANCEL_TIMEOUT = 10.0


async def cancel_on_storage(rt: Any, store_res: Any, job_name: str) -> list[str]:
    """Bareos ``CancelStorageDaemonJob``: a new connection 5, ``cancel Job=``; the SD's answer."""
    import trio

    from bareosnet.errors import BareosError
    from bareosnet.proto.framing import Packet
    from bareosnet.proto.jobcmds import Cancel

    replies: list[str] = []
    with trio.move_on_after(CANCEL_TIMEOUT):
        try:
            stream, _info = await connect_to_storage_daemon(rt, store_res, max_retry_time=5)
        except StorageConnectError as exc:
            log.info("cancel.storage_unreachable", storage=store_res.name, reason=exc.reason)
            return replies
        try:
            await stream.send(Cancel(job=job_name).encode())
            while True:
                frame = await stream.receive(timeout=CANCEL_TIMEOUT)
                if not isinstance(frame, Packet):
                    break
                replies.append(frame.payload.split(b"\0", 1)[0].decode("utf-8", "replace"))
        except (BareosError, trio.TooSlowError) as exc:
            log.info("cancel.storage_failed", storage=store_res.name, reason=str(exc))
        finally:
            await stream.aclose(terminate=True)
    return replies


async def cancel_on_client(rt: Any, client_res: Any, job_name: str) -> list[str]:
    """Bareos ``CancelFileDaemonJob``: a new connection (status timings), ``cancel Job=``."""
    import trio

    from bareosnet.errors import BareosError
    from bareosnet.proto.framing import Packet
    from bareosnet.proto.jobcmds import Cancel

    replies: list[str] = []
    with trio.move_on_after(CANCEL_TIMEOUT):
        try:
            stream, _info = await rt.file_daemons.connect_to_file_daemon(
                client_res, purpose="status"
            )
        except ClientConnectError as exc:
            log.info("cancel.client_unreachable", client=client_res.name, reason=exc.reason)
            return replies
        try:
            await stream.send(Cancel(job=job_name).encode())
            while True:
                frame = await stream.receive(timeout=CANCEL_TIMEOUT)
                if not isinstance(frame, Packet):
                    break
                replies.append(frame.payload.split(b"\0", 1)[0].decode("utf-8", "replace"))
        except (BareosError, trio.TooSlowError) as exc:
            log.info("cancel.client_failed", client=client_res.name, reason=str(exc))
        finally:
            await stream.aclose(terminate=True)
    return replies
