"""What a ``--fault`` argument says: which fault, its arguments, and where it applies.

Syntax (the same for the daemons' ``--fault``, the Director's ``fault set`` and
``bareos-emu proxy --fault``)::

    NAME[:ARG[:ARG...]][@KEY=VALUE[,KEY=VALUE...]]

    stall-before:2                 every connection, 2 s before the first byte
    drop-after-packet:3@conn=3     only connections of row 3 (Director -> File daemon)
    wrong-password@peer=bareos-fd,count=1
    latency:50@side=acceptor

Scope keys: ``conn`` (a row of the reference table, 1..11), ``peer`` (the peer's
resource name, or the job name for rows 6-8), ``side`` (``connector`` or
``acceptor``: which role of this daemon acts; in the proxy, which end's bytes
the fault acts on, default ``connector``), ``count`` (act on this many
connections, then stay quiet).  Pure parsing: no I/O here.
"""

from __future__ import annotations

import attrs

from bareosnet.errors import BareosError

SIDES = ("connector", "acceptor")


class FaultSpecError(BareosError, ValueError):
    """A ``--fault`` argument that cannot be parsed (the message says why)."""


@attrs.frozen
class Scope:
    """Which connections a fault applies to; ``None`` = any."""

    conn: str | None = None
    peer: str | None = None
    side: str | None = None
    count: int | None = None

    def matches(self, *, side: str, conn: str | None, peer: str | None) -> bool:
        """True when a connection with what is known of it so far is in scope.

        An unknown ``conn`` or ``peer`` (an acceptor before it read the Hello)
        does not match a scope that names one.
        """
        if self.side is not None and self.side != side:
            return False
        if self.conn is not None and self.conn != conn:
            return False
        if self.peer is not None and self.peer != peer:
            return False
        return True

    def text(self) -> str:
        parts = [f"{k}={v}" for k, v in (("conn", self.conn), ("peer", self.peer),
                                          ("side", self.side), ("count", self.count))
                 if v is not None]  # fmt: skip
        return ",".join(parts)


@attrs.frozen
class FaultSpec:
    """One parsed ``NAME[:ARGS][@SCOPE]``."""

    name: str
    args: tuple[str, ...] = ()
    scope: Scope = Scope()

    def text(self) -> str:
        out = self.name + "".join(f":{a}" for a in self.args)
        scope = self.scope.text()
        return f"{out}@{scope}" if scope else out

    def arg(self, index: int, default: str | None = None) -> str | None:
        return self.args[index] if index < len(self.args) else default


def parse_fault(text: str) -> FaultSpec:
    """Parse one fault argument; raises :class:`FaultSpecError` with the reason."""
    text = text.strip()
    if not text:
        raise FaultSpecError("empty fault")
    head, _, scope_text = text.partition("@")
    name, *args = head.split(":")
    if not name:
        raise FaultSpecError(f"no fault name in {text!r}")
    return FaultSpec(name.lower(), tuple(args), _parse_scope(scope_text, text))


def _parse_scope(scope_text: str, whole: str) -> Scope:
    values: dict[str, str] = {}
    for item in filter(None, (x.strip() for x in scope_text.split(","))):
        key, sep, value = item.partition("=")
        if not sep or not value:
            raise FaultSpecError(f"scope item {item!r} in {whole!r} is not KEY=VALUE")
        if key not in ("conn", "peer", "side", "count"):
            raise FaultSpecError(f"unknown scope key {key!r} in {whole!r} (conn, peer, side, count)")
        values[key] = value
    if "conn" in values and not (values["conn"].isdigit() and 1 <= int(values["conn"]) <= 11):
        raise FaultSpecError(f"conn={values['conn']} is not a row of the reference table (1..11)")
    if "side" in values and values["side"] not in SIDES:
        raise FaultSpecError(f"side={values['side']} is not connector or acceptor")
    count = None
    if "count" in values:
        if not values["count"].isdigit() or int(values["count"]) < 1:
            raise FaultSpecError(f"count={values['count']} is not a positive number")
        count = int(values["count"])
    return Scope(values.get("conn"), values.get("peer"), values.get("side"), count)
