"""Job messages: the Director's own and those the File/Storage daemons send (``Jmsg``).

Every message of a job becomes one line ``27-Nov 01:10 bareos-dir JobId 9: <text>``
(a daemon's ``Jmsg`` text already names its sender: the Director only puts
the time in front) and goes where the job's Messages resource says:

* ``Console = <types>``   queued for the consoles (``messages`` prints them);
* ``Append = <file> = <types>`` / ``File = ...``  appended to that file;
* ``Catalog = <types>``   stored in the catalog's Log table.

A job without a Messages resource sends everything to the consoles.
Secrets never reach any of these: every text passes :func:`redact`.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import structlog

from bareosnet.proto.jobcmds import MessageType, redact

if TYPE_CHECKING:
    from daemons.director.interfaces import Director

log = structlog.get_logger("bareosnet.director.jobs")

# Bareos's names of the message types (lib/messages_resource.cc), as Messages lines use them.
TYPE_NAMES: dict[str, MessageType] = {
    "debug": MessageType.DEBUG,
    "abort": MessageType.ABORT,
    "fatal": MessageType.FATAL,
    "error": MessageType.ERROR,
    "warning": MessageType.WARNING,
    "info": MessageType.INFO,
    "saved": MessageType.SAVED,
    "notsaved": MessageType.NOTSAVED,
    "skipped": MessageType.SKIPPED,
    "mount": MessageType.MOUNT,
    "terminate": MessageType.TERM,
    "restored": MessageType.RESTORED,
    "security": MessageType.SECURITY,
    "alert": MessageType.ALERT,
    "volmgmt": MessageType.VOLMGMT,
    "audit": MessageType.AUDIT,
    "configerror": MessageType.CONFIG_ERROR,
    "errorterm": MessageType.ERROR_TERM,
}
ALL_TYPES = frozenset(int(t) for t in MessageType)


def type_set(words: Iterable[str]) -> frozenset[int]:
    """``("all", "!skipped")`` -> the set of message type numbers selected."""
    selected: set[int] = set()
    for raw in words:
        word = raw.strip().lower().replace("-", "").replace("_", "")
        negate = word.startswith("!")
        word = word.lstrip("!")
        if word == "all":
            # Bareos's "all" leaves out debug and audit unless named.
            chosen = ALL_TYPES - {MessageType.DEBUG, MessageType.AUDIT}
        elif word in TYPE_NAMES:
            chosen = frozenset({int(TYPE_NAMES[word])})
        else:
            continue
        if negate:
            selected -= chosen
        else:
            selected |= chosen
    return frozenset(selected)


def message_time(ts: float | None = None) -> str:
    """``27-Nov 01:10`` as at the start of a job message line."""
    return time.strftime("%d-%b %H:%M", time.localtime(ts))


class MessageRouter:
    """Where one job's messages go, read from its Messages resource."""

    def __init__(self, rt: Director, messages_res: Any | None) -> None:
        self.rt = rt
        self.console: frozenset[int] = ALL_TYPES
        self.catalog: frozenset[int] = frozenset()
        self.files: list[tuple[Path, frozenset[int]]] = []
        if messages_res is not None:
            self.console = frozenset()
            for kind, attr in (("Console", "console"), ("Catalog", "catalog")):
                for dest in _destinations(messages_res, kind):
                    setattr(self, attr, getattr(self, attr) | type_set(dest.types))
            for kind in ("Append", "File"):
                for dest in _destinations(messages_res, kind):
                    if dest.where:
                        self.files.append((Path(dest.where), type_set(dest.types)))

    def deliver(self, job_id: int, mtype: int, line: str) -> None:
        line = redact(line)
        if not line.endswith("\n"):
            line += "\n"
        if mtype in self.console:
            self.rt.messages.add(line)
        if mtype in self.catalog and self.rt.catalog is not None:
            self.rt.catalog.add_log(job_id, _without_date(line))
        for path, types in self.files:
            if mtype in types:
                _append(path, line)

    def deliver_block(self, job_id: int, mtype: int, lines: list[str]) -> None:
        """A multi-line message (the job report): one console packet per line, as Bareos sends."""
        text = redact("".join(lines))
        if mtype in self.console:
            for line in lines:
                self.rt.messages.add(redact(line))
        if mtype in self.catalog and self.rt.catalog is not None:
            self.rt.catalog.add_log(job_id, _without_date(text))
        for path, types in self.files:
            if mtype in types:
                _append(path, text)


# Bareos 26 keeps a Log row's time in its Time column only: LogText starts at the daemon's
# name ("bareos-dir JobId 1: ..."), not at the "08-Dec 04:03 " the console sees.
_DATE_PREFIX = re.compile(r"^\d\d-[A-Z][a-z]{2} \d\d:\d\d ")


def _without_date(text: str) -> str:
    return _DATE_PREFIX.sub("", text, count=1)


def _destinations(res: Any, kind: str) -> tuple[Any, ...]:
    try:
        return tuple(res.get(kind) or ())
    except KeyError:
        return ()


def _append(path: Path, text: str) -> None:
    try:
        with path.open("a", encoding="utf-8", errors="replace") as f:
            f.write(text)
    except OSError as exc:
        log.warning("messages.append_failed", path=str(path), error=str(exc))
