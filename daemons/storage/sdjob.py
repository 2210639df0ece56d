"""One job as the Storage daemon runs it (Bareos's ``JobControlRecord`` on the SD).

A job is born with the Director's ``JobId=...`` command on a Director
session, collects its device reservation (``use storage=``), bootstrap and
plugin options, gets its data connection (the File daemon's ``Hello Start
Job`` on connection 6, our own connection to a passive client on row 7, or a
replicating SD on row 8) and runs on ``run`` / ``listen``.  This module holds
the state and the status rules; the flow lives in :mod:`daemons.storage.runjob`.

Job status letters follow Bareos (``include/job_status.h``); the priority
rule (:meth:`SdJob.set_status`) keeps the first error a job met, as
``setJobStatusWithPriorityCheck`` does.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import attrs
import trio

from bareosnet.net.handshake import ConnectionInfo
from bareosnet.net.stream import BareosStream
from bareosnet.proto.bootstrap import Bootstrap
from bareosnet.proto.jobcmds import SdJobCommand
from daemons.storage.jobs import RunningJob

if TYPE_CHECKING:
    from daemons.storage.devices import DeviceUse

# Job status letters the SD sets itself.
JS_CREATED = "C"
JS_RUNNING = "R"
JS_TERMINATED = "T"
JS_WAIT_FD = "F"
JS_WAIT_SD = "S"
JS_CANCELED = "A"
JS_ERROR_TERMINATED = "E"
JS_FATAL = "f"
JS_INCOMPLETE = "I"

_PRIORITY = {JS_INCOMPLETE: 10, JS_ERROR_TERMINATED: 9, JS_FATAL: 9, JS_CANCELED: 9, "e": 8, "D": 7}

# Bareos job types that need no File daemon (``NoClientUsed``): copy, migrate.
NO_CLIENT_TYPES = frozenset({"c", "g", "C", "M"})
VIRTUAL_FULL_LEVEL = "f"


def is_failure(status: str) -> bool:
    return status in (JS_CANCELED, JS_ERROR_TERMINATED, JS_FATAL)


@attrs.frozen
class StorageRequest:
    """One ``use storage=`` block: what the Director wants and the devices it names."""

    storage: str
    media_type: str
    pool_name: str
    pool_type: str
    append: bool
    copy: int = 0
    stripe: int = 0
    devices: tuple[str, ...] = ()


@attrs.define(eq=False)
class SdJob:
    """Mutable per-job state; one per Director ``JobId=`` command."""

    command: SdJobCommand
    vol_session_id: int
    vol_session_time: int
    key: str = attrs.field(repr=False)  # the session key: never logged
    director: str = ""
    created: float = attrs.field(factory=time.time)
    status: str = JS_CREATED
    # reservation (use storage=) and read plan (bootstrap)
    requests: list[StorageRequest] = attrs.field(factory=list)
    devices: list[Any] = attrs.field(factory=list)  # Devices for writing (append=1), in order
    read_devices: list[Any] = attrs.field(factory=list)  # Devices for reading (append=0)
    jit: bool = False  # just-in-time reservation: pick the device when data arrives
    bootstrap: Bootstrap | None = None
    plugin_options: list[str] = attrs.field(factory=list)
    # data connection (FD on rows 6/7, SD on row 8)
    data_stream: BareosStream | None = None
    data_info: ConnectionInfo | None = None
    data_kind: str = "FD"
    passive: bool = False
    data_ready: trio.Event = attrs.field(factory=trio.Event)
    data_released: trio.Event = attrs.field(factory=trio.Event)
    # outgoing replication connection (this SD reads, the other one writes)
    store_stream: BareosStream | None = None
    store_info: ConnectionInfo | None = None
    # messages queued before the job runs (Bareos Qmsg), sent after "Status R"
    queued: list[tuple[int, str]] = attrs.field(factory=list)
    # counters
    files: int = 0
    bytes: int = 0
    errors: int = 0
    started: float | None = None
    ran: bool = False
    finished: bool = False
    canceled: bool = False
    # what the job is doing now, for ``status``
    device_use: DeviceUse | None = None
    reading: bool = False
    cancel_scopes: list[trio.CancelScope] = attrs.field(factory=list)

    # -- identity
    @property
    def job(self) -> str:
        return self.command.job

    @property
    def job_id(self) -> int:
        return self.command.job_id

    @property
    def job_type(self) -> str:
        return chr(int(self.command.job_type))

    @property
    def level(self) -> str:
        return chr(int(self.command.level))

    @property
    def no_client(self) -> bool:
        """Copy / migration / virtual full: ``run`` reads volumes, no File daemon."""
        return self.job_type in NO_CLIENT_TYPES or self.level == VIRTUAL_FULL_LEVEL

    @property
    def append_request(self) -> StorageRequest | None:
        return next((r for r in self.requests if r.append), None)

    # -- status
    def set_status(self, new: str) -> None:
        """Bareos's priority check: an error status is not replaced by a lesser one."""
        old_p, new_p = _PRIORITY.get(self.status, 0), _PRIORITY.get(new, 0)
        if new_p > old_p or (new_p == 0 and old_p == 0):
            self.status = new

    @property
    def is_canceled(self) -> bool:
        """Bareos ``IsJobCanceled``: canceled or any fatal end."""
        return is_failure(self.status)

    def cancel(self) -> None:
        """From ``cancel Job=`` or a vanished Director: stop whatever the job waits on."""
        self.canceled = True
        self.set_status(JS_CANCELED)
        self.data_ready.set()
        for scope in self.cancel_scopes:
            scope.cancel()

    @contextmanager
    def cancellable(self) -> Iterator[trio.CancelScope]:
        """A cancel scope that :meth:`cancel` stops while it is open.

        The caller checks ``scope.cancelled_caught`` afterwards to tell a
        cancel from a normal end.
        """
        scope = trio.CancelScope()
        self.cancel_scopes.append(scope)
        try:
            with scope:
                yield scope
        finally:
            self.cancel_scopes.remove(scope)

    # -- data connection
    def attach(self, stream: BareosStream, info: ConnectionInfo | None, kind: str) -> None:
        self.data_stream = stream
        self.data_info = info
        self.data_kind = kind
        self.data_ready.set()

    def running_view(self) -> RunningJob:
        use = self.device_use
        stream = self.data_stream
        return RunningJob(
            job_id=self.job_id,
            job=self.job,
            level=self.level,
            job_type=self.job_type,
            status=self.status,
            errors=self.errors,
            started=self.started or self.created,
            files=self.files,
            bytes=self.bytes,
            average_rate=int(self.bytes / max(1.0, time.time() - (self.started or self.created))),
            device=use.print_name if use is not None else None,
            volume=use.volume if use is not None else "",
            pool=use.pool if use is not None else "",
            reading=self.reading,
            fd_read_seqno=0 if stream is not None else None,
        )
