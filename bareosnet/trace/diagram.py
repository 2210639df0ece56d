"""From merged trace events to a sequence diagram (sans-IO).

A diagram is a list of lifelines (Console, Director, File daemon, Storage
daemon, tray monitor: the roles of the reference table) and a time-ordered
list of items: an :class:`Arrow` from one lifeline to another, or a
:class:`Note` on one lifeline.  Both ends of a TCP connection are paired by
their ``link``; the connection's row (1-11) names the roles at its ends, so a
peer that wrote no trace (bconsole, python-bareos, a real daemon) still gets
its lifeline.

Two levels of detail: ``summary`` draws one arrow per connection labelled
with its row and mode (``3 tls-psk 1.3``, ``3 cleartext ssl=0``,
``3 tls-first ✗``), ``steps`` one arrow per handshake packet (ClientHello,
Hello, each CRAM-MD5 message, the verdicts).  Probes, session keys and job
start/end are notes.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import attrs

from bareosnet.proto.connections import CONNECTIONS, Role
from bareosnet.trace.events import TraceEvent

ROLE_LABELS: dict[Role, str] = {
    Role.CONSOLE: "Console",
    Role.DIRECTOR: "Director",
    Role.FILE_DAEMON: "File daemon",
    Role.STORAGE_DAEMON: "Storage daemon",
    Role.TRAY_MONITOR: "Tray monitor",
}
PEER = "Peer"  # the other end of a connection whose row is unknown
LIFELINE_ORDER = ["Console", "Director", "File daemon", "Storage daemon", "Tray monitor", PEER]
PROGRAM_LIFELINES = {
    "bareos-dir-emu": "Director",
    "bareos-fd-emu": "File daemon",
    "bareos-sd-emu": "Storage daemon",
}


@attrs.frozen
class Arrow:
    time: float
    source: str
    target: str
    label: str
    connection: str | None = None
    failed: bool = False
    reply: bool = False  # drawn dashed: an answer on the same connection
    detail: str = ""  # a second, smaller line (identity, CN, error)


@attrs.frozen
class Note:
    time: float
    lifeline: str
    text: str
    warning: bool = False


Item = Arrow | Note


@attrs.frozen
class Diagram:
    lifelines: list[str]
    items: list[Item]
    title: str = ""


@attrs.define
class _Connection:
    link: str
    events: list[TraceEvent] = attrs.Factory(list)

    @property
    def start(self) -> float:
        return self.events[0].time

    def row(self) -> str | None:
        for e in self.events:
            if e.get("connection"):
                return str(e.get("connection"))
        return None

    def of(self, side: str) -> list[TraceEvent]:
        return [e for e in self.events if e.get("side") == side or _side(e) == side]

    def last(self, name: str, side: str | None = None) -> TraceEvent | None:
        found = [e for e in self.events if e.event == name and (side is None or _side(e) == side)]
        return found[-1] if found else None


def _side(e: TraceEvent) -> str | None:
    side = e.get("side")
    return str(side) if side else None


def _program_lifeline(daemon: str) -> str:
    return PROGRAM_LIFELINES.get(daemon, daemon)


def _ends(conn: _Connection) -> tuple[str, str]:
    """(connector lifeline, acceptor lifeline)."""
    row = conn.row()
    if row in CONNECTIONS:
        spec = CONNECTIONS[row]
        return ROLE_LABELS[spec.connector], ROLE_LABELS[spec.acceptor]
    connector = acceptor = PEER
    for e in conn.events:
        if _side(e) == "connector":
            connector = _program_lifeline(e.daemon)
        elif _side(e) == "acceptor":
            acceptor = _program_lifeline(e.daemon)
    return connector, acceptor


def _short_version(version: object) -> str:
    return str(version).removeprefix("TLSv") if version else ""


def mode_label(ok: TraceEvent | None, failed: TraceEvent | None, conn: _Connection) -> str:
    """``tls-psk 1.3``, ``tls-cert 1.3``, ``cleartext ssl=0``, ``cleartext+tls 1.2``, ..."""
    if ok is not None:
        version = _short_version(ok.get("tls_version"))
        if ok.get("mode") == "tls-first" and version:
            kind = "tls-psk" if ok.get("psk_used") else "tls-cert"
            return f"{kind} {version}"
        policies = [e.get("ssl") for e in conn.events
                    if e.event == "handshake.step" and e.get("ssl") is not None]  # fmt: skip
        ssl = f" ssl={policies[0]}" if policies else ""
        if version:
            return f"cleartext{ssl} +tls {version}"
        return f"cleartext{ssl}"
    tried_tls = any(e.event in ("tls.attempt", "tls.failed") for e in conn.events) or any(
        e.get("step") == "tls-client-hello" for e in conn.events
    )
    return "tls-first ✗" if tried_tls else "cleartext ✗"


def _identity(ok: TraceEvent | None, conn: _Connection) -> str:
    for e in ([ok] if ok else []) + [e for e in conn.events if e.event == "tls.attempt"]:
        if e.get("psk_identity"):
            return "PSK " + str(e.get("psk_identity")).replace("\\x1e", " ")
    if ok is not None and ok.get("peer_cn"):
        return f"CN={ok.get('peer_cn')}"
    return ""


def _summary(conn: _Connection) -> list[Item]:
    source, target = _ends(conn)
    row = conn.row()
    oks = [e for e in conn.events if e.event == "handshake.ok"]
    ok = next((e for e in oks if _side(e) == "connector"), oks[0] if oks else None)
    failed = next((e for e in conn.events if e.event == "handshake.failed"), None)
    label = f"{row or '?'} {mode_label(ok, failed, conn)}"
    detail = _identity(ok, conn) if ok is not None else _failure(conn, target)
    return [Arrow(conn.start, source, target, label, row, failed=ok is None, detail=detail)]


def _failure(conn: _Connection, acceptor: str) -> str:
    """Why a connection failed, in a few words; the acceptor's view explains most."""
    failures = [e for e in conn.events if e.event == "handshake.failed"]
    failures.sort(key=lambda e: _side(e) != "acceptor")
    if not failures:
        return ""
    e = failures[0]
    text = str(e.get("error") or e.get("cause") or "").split(";", 1)[0]
    text = text if len(text) <= 48 else text[:47] + "…"
    who = acceptor if _side(e) == "acceptor" else "connector"
    return f"{who}: {text}"


JOB_TYPES = {"B": "Backup", "R": "Restore", "c": "Copy", "C": "Copy", "V": "Verify",
             "A": "Admin", "M": "Migrate", "g": "Migrate"}  # fmt: skip

_STEP_LABELS = {
    "cram-answer": "CRAM-MD5 answer",
    "cram-ok": "1000 OK auth",
    "cram-failed": "1999 Authorization failed",
    "tls-client-hello": "TLS ClientHello",
}


def _steps(conn: _Connection) -> list[Item]:
    source, target = _ends(conn)
    row = conn.row() or "?"
    lifeline = {"connector": source, "acceptor": target}
    other = {"connector": target, "acceptor": source}
    traced = {s for e in conn.events if (s := _side(e))}
    items: list[Item] = []
    for e in conn.events:
        side = _side(e)
        if side is None:
            continue
        me, peer = lifeline[side], other[side]
        peer_side = "acceptor" if side == "connector" else "connector"
        if e.event == "tls.attempt" and side == "connector":
            ident = str(e.get("psk_identity") or "").replace("\\x1e", " ")
            stage = " (after CRAM)" if e.get("stage") == "after-cram" else ""
            items.append(Arrow(e.time, me, peer, f"{row} TLS ClientHello{stage}", row,
                               detail=f"PSK {ident}" if ident else ""))  # fmt: skip
        elif e.event == "tls.ok" and side == "acceptor" and "connector" not in traced:
            items.append(Arrow(e.time, me, peer, f"{row} TLS {_short_version(e.get('tls_version'))}"
                               f" {e.get('cipher')}", row, reply=True,
                               detail=_tls_detail(e)))  # fmt: skip
        elif e.event == "tls.ok" and side == "connector":
            # The connector's view: logged before it sends its Hello, so it sorts before it.
            items.append(Arrow(e.time, peer, me, f"{row} TLS {_short_version(e.get('tls_version'))}"
                               f" {e.get('cipher')}", row, reply=True,
                               detail=_tls_detail(e)))  # fmt: skip
        elif e.event == "tls.failed":
            items.append(Note(e.time, me, f"{row} TLS failed: {e.get('cause')}", warning=True))
        elif e.event == "handshake.step":
            step = str(e.get("step"))
            label = _STEP_LABELS.get(step) or f"{_step_word(step)} {e.get('detail') or ''}".strip()
            if e.get("direction") == "sent":
                items.append(Arrow(e.time, me, peer, f"{row} {label}", row,
                                   reply=side == "acceptor", failed=step == "cram-failed"))  # fmt: skip
            elif peer_side not in traced:  # the peer wrote no trace: draw what we received
                items.append(Arrow(e.time, peer, me, f"{row} {label}", row,
                                   reply=side == "connector", failed=step == "cram-failed"))  # fmt: skip
        elif e.event == "handshake.ok":
            items.append(Note(e.time, me, f"{row} ok: {mode_label(e, None, conn)}"))
        elif e.event == "handshake.failed":
            items.append(Note(e.time, me, f"{row} failed: {e.get('cause')}", warning=True))
    return items


def _step_word(step: str) -> str:
    return {"hello": "Hello", "cram-challenge": "auth cram-md5", "hello-ok": "",
            "refused": "", "other": "data", "signal": "signal"}.get(step, step)  # fmt: skip


def _tls_detail(e: TraceEvent) -> str:
    if e.get("psk_used") and e.get("psk_identity"):
        return "PSK " + str(e.get("psk_identity")).replace("\\x1e", " ")
    return f"CN={e.get('peer_cn')}" if e.get("peer_cn") else ""


def _note(e: TraceEvent) -> Note | None:
    me = _program_lifeline(e.daemon)
    job_id = e.get("jobid", e.get("job_id"))
    f = e.get
    match e.event:
        case "probe.start":
            return Note(e.time, me, f"probe {f('client')}: try {f('first')}")
        case "probe.fallback":
            return Note(e.time, me, f"probe {f('client')}: {f('failed')} failed -> {f('next')}",
                        warning=True)  # fmt: skip
        case "probe.result":
            return Note(e.time, me, f"probe {f('client')}: {f('mode')} remembered")
        case "session_key.issued":
            return Note(e.time, me, f"session key of job {job_id} issued (not shown)")
        case "session_key.handed":
            return Note(e.time, me, f"session key of job {job_id} -> {f('to')}")
        case "job.queued":
            kind = JOB_TYPES.get(str(f("type")), str(f("type") or ""))
            return Note(e.time, me, f"job {job_id} start: {kind} {f('job')}".replace("  ", " "))
        case "job.finished":
            return Note(e.time, me, f"job {job_id} end: status {f('status')}",
                        warning=f("status") not in ("T", None))  # fmt: skip
        case "job.created" | "job.started":
            return Note(e.time, me, f"job {job_id} session")
        case "job.end" | "job.ended":
            return Note(e.time, me, f"job {job_id} done: status {f('status')}")
        case "connection.ended" | "connection.crashed":
            return Note(e.time, me, f"error: {f('reason') or f('error')}", warning=True)
    return None


def _job_names(events: list[TraceEvent], jobs: set[str]) -> set[str]:
    return {str(e.get("job")) for e in events
            if e.get("job") and str(e.get("jobid", e.get("job_id"))) in jobs}  # fmt: skip


def _mentions(e: TraceEvent, jobs: set[str], names: set[str]) -> bool:
    if str(e.get("jobid", e.get("job_id", ""))) in jobs:
        return True
    words = " ".join(str(e.get(k) or "") for k in ("job", "peer", "psk_identity", "name", "detail"))
    return any(name in words for name in names)


def job_ids(events: Iterable[TraceEvent]) -> list[int]:
    """The JobIds the Director queued in these events."""
    return sorted({int(e.get("jobid")) for e in events if e.event == "job.queued"})


def build(events: Iterable[TraceEvent], *, job: int | Iterable[int] | None = None,
          detail: str = "summary", title: str = "") -> Diagram:  # fmt: skip
    """The diagram of merged ``events``; ``job`` keeps one job's (or some jobs') part.

    A connection belongs to a job when one of its events names the JobId (the
    Director binds it for a job's connections) or the job's name (the job data
    connections 6-8 use it as Hello name and PSK identity).
    """
    events = sorted(events, key=lambda e: e.time)
    jobs = None if job is None else {str(j) for j in ([job] if isinstance(job, int) else job)}
    names = _job_names(events, jobs) if jobs is not None else set()
    conns: dict[str, _Connection] = {}
    loose: list[TraceEvent] = []
    for e in events:
        if e.link:
            conns.setdefault(e.link, _Connection(e.link)).events.append(e)
        else:
            loose.append(e)
    items: list[Item] = []
    for conn in conns.values():
        if jobs is not None and not any(_mentions(e, jobs, names) for e in conn.events):
            continue
        items += _summary(conn) if detail == "summary" else _steps(conn)
    for e in loose:
        if jobs is not None and not _mentions(e, jobs, names):
            continue
        note = _note(e)
        if note is not None:
            items.append(note)
    items.sort(key=lambda i: i.time)
    used: set[str] = set()
    for item in items:
        used |= {item.source, item.target} if isinstance(item, Arrow) else {item.lifeline}
    order = [x for x in LIFELINE_ORDER if x in used] + sorted(used - set(LIFELINE_ORDER))
    return Diagram(order, items, title)


def describe(item: Item) -> dict[str, Any]:
    """A plain view of one item (tests, --format json)."""
    return attrs.asdict(item) | {"kind": type(item).__name__.lower()}
