"""The trace schema: one JSON object per line, merged across the three daemons (sans-IO).

Every line has ``timestamp`` (ISO 8601, UTC, microseconds: wall clock, so the
files of daemons on one host merge by time), ``event`` (a name below) and
``daemon`` (``bareos-dir-emu``, ``bareos-fd-emu``, ``bareos-sd-emu``, or
``pcap`` for events read from a capture).  Connection events carry ``link``,
``"<connector ip:port>><acceptor ip:port>"``, the same string on both ends of
one TCP connection, and ``side`` (``connector``/``acceptor``); ``connection``
is the row (1-11) of the reference table once a side knows it (a connector
from the start, an acceptor after the Hello).

====================  ==========================================================
event                 fields (besides the common ones)
====================  ==========================================================
tcp.connect           connection, local, remote (connector, before anything is sent)
tcp.accept            local, remote (acceptor)
tls.attempt           stage (``first`` / ``after-cram``), psk_identity offered
tls.ok                tls_version, cipher, psk_identity, psk_used, peer_cn
tls.failed            error, cause
handshake.step        direction (``sent``/``received``), step, detail, ssl, name
handshake.ok          mode, tls_version, cipher, psk_identity, psk_used, peer_cn,
                      peer, peer_version, persona (the daemons' usual log line)
handshake.failed      error, cause
probe.start           client, first (Director: starts probing a File daemon)
probe.fallback        client, failed, next, error, cause
probe.result          client, mode
session_key.issued    job, job_id (SD: a job's session key was made and sent)
session_key.handed    job, job_id, to (Director: the key went to the FD / SD)
job.queued            jobid, job, type, level, client (Director)
job.finished          jobid, job, status (Director)
job.created           job, job_id (SD);  job.end: job, job_id, status (SD)
job.started           job, job_id, ssl (FD);  job.ended: job, job_id, status (FD)
connection.ended      reason, error (a connection closed on an error)
====================  ==========================================================

No line ever holds a password, PSK, session key or CRAM answer: the steps
are classified by :mod:`bareosnet.trace.steps`, which keeps only names and
``ssl=N``, and the daemons' log redaction runs before the trace is written.
The daemons' ordinary ``--log-format json`` logs are accepted too (they hold
the ``handshake.*``, ``probe.*`` and ``job.*`` lines, without the steps).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import Any

import attrs

# Events recorded only with --trace (not in the ordinary log).
STEP_EVENTS = frozenset(
    {"tcp.connect", "tcp.accept", "tls.attempt", "tls.ok", "tls.failed", "handshake.step"}
)
# Ordinary log events that also belong to the trace.
LOG_EVENTS = frozenset(
    {
        "handshake.ok", "handshake.failed", "probe.start", "probe.fallback", "probe.result",
        "session_key.issued", "session_key.handed", "job.queued", "job.finished",
        "job.created", "job.end", "job.started", "job.ended", "connection.ended",
        "connection.crashed",
    }
)  # fmt: skip
TRACE_EVENTS = STEP_EVENTS | LOG_EVENTS

# Structlog bookkeeping that a trace line does not repeat.
_DROP_KEYS = ("level", "logger")


@attrs.frozen
class TraceEvent:
    """One line of a trace."""

    time: float  # POSIX seconds
    daemon: str
    event: str
    fields: dict[str, Any] = attrs.field(factory=dict, eq=False, hash=False)

    def get(self, key: str, default: Any = None) -> Any:
        return self.fields.get(key, default)

    @property
    def link(self) -> str | None:
        value = self.fields.get("link")
        return str(value) if value else None

    @property
    def timestamp(self) -> str:
        return datetime.fromtimestamp(self.time, UTC).isoformat(timespec="microseconds")

    def to_json_line(self) -> str:
        body = {"timestamp": self.timestamp.replace("+00:00", "Z"), "event": self.event,
                "daemon": self.daemon, **self.fields}  # fmt: skip
        return json.dumps(body, default=str, ensure_ascii=False)


def parse_time(text: str) -> float | None:
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
    except (TypeError, ValueError):
        return None


def from_record(record: dict[str, Any], default_daemon: str = "?") -> TraceEvent | None:
    """A trace event from one decoded JSON object; None if it is not one."""
    name = record.get("event")
    when = parse_time(record.get("timestamp", ""))
    if name not in TRACE_EVENTS or when is None:
        return None
    fields = {
        k: v for k, v in record.items()
        if k not in ("timestamp", "event", "daemon") and k not in _DROP_KEYS
    }  # fmt: skip
    return TraceEvent(when, str(record.get("daemon") or default_daemon), str(name), fields)


def from_json_line(line: str, default_daemon: str = "?") -> TraceEvent | None:
    """Parse one line; anything that is not a trace event (or not JSON) is None."""
    line = line.strip()
    if not line.startswith("{"):
        return None
    try:
        record = json.loads(line)
    except ValueError:
        return None
    return from_record(record, default_daemon) if isinstance(record, dict) else None


def read_lines(lines: Iterable[str], default_daemon: str = "?") -> Iterator[TraceEvent]:
    for line in lines:
        event = from_json_line(line, default_daemon)
        if event is not None:
            yield event


def merge(*traces: Iterable[TraceEvent]) -> list[TraceEvent]:
    """All events of several daemons, in wall-clock order (stable for equal times)."""
    out = [e for trace in traces for e in trace]
    out.sort(key=lambda e: e.time)
    return out
