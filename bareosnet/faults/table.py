"""The fault table: one row per failure a Bareos connection can meet.

A row is data: its name, its arguments, what it simulates, which connections
(rows of the reference table) it makes sense on, which side acts, the layer
that carries it out, and what real Bareos does when it meets it.  The daemons'
``--fault``, the Director's ``fault`` command, the proxy and docs/faults.md all
read this one table.  Pure data and argument checking: no I/O.
"""

from __future__ import annotations

import math

import attrs

from bareosnet.faults.spec import FaultSpec, FaultSpecError, parse_fault

ANY = ("1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11")
JOB_ROWS = ("6", "7", "8")

# Layers: "handshake" changes what the acting daemon says in its handshake (key,
# identity, TLS offer, certificate), so only a daemon can do it; "bytes" acts on
# the bytes of the connection (BSOCK packets in cleartext, TLS records under TLS),
# so a daemon's wrapper and the proxy both can.
HANDSHAKE = "handshake"
BYTES = "bytes"


@attrs.frozen
class Param:
    """One positional argument: ``kind`` is ``seconds`` (a number or ``forever``),
    ``int``, ``float`` or ``path``; ``default`` None = required."""

    name: str
    kind: str
    default: str | None = None


@attrs.frozen
class FaultRow:
    name: str
    params: tuple[Param, ...]
    simulates: str
    bareos: str  # what real Bareos does with it
    layer: str
    acts: str  # "connector", "acceptor" or "either"
    connections: tuple[str, ...] = ANY

    @property
    def usage(self) -> str:
        return self.name + "".join(
            f"[:{p.name}]" if p.default is not None else f":{p.name}" for p in self.params
        )


def _row(name: str, params: tuple[Param, ...], layer: str, acts: str, simulates: str,
         bareos: str, connections: tuple[str, ...] = ANY) -> FaultRow:  # fmt: skip
    return FaultRow(name, params, simulates, bareos, layer, acts, connections)


_SECONDS = Param("SECONDS", "seconds", "forever")
_CERT = (Param("CERT", "path"), Param("KEY", "path"))

FAULTS: tuple[FaultRow, ...] = (
    _row("wrong-password", (), HANDSHAKE, "either",
         "the acting side uses a wrong password (CRAM-MD5 key and TLS-PSK key)",
         "TLS-PSK: the TLS handshake fails (decrypt error), logged as \"TLS negotiation "
         "failed\"; cleartext: \"Authorization key rejected by <addr>\" and the acceptor "
         "answers \"1999 Authorization failed.\" after a 5 s (FD 6 s) delay"),
    _row("wrong-psk-identity", (), HANDSHAKE, "connector",
         "the connector offers a TLS-PSK identity naming a resource the acceptor does not have",
         "the acceptor's PSK callback finds no key, the TLS handshake fails; the connector "
         "logs \"TLS negotiation failed\""),
    _row("no-tls", (), HANDSHAKE, "either",
         "TLS not offered: a connector that sends its Hello in cleartext with ssl=0, or an "
         "acceptor that cannot speak TLS (drops a ClientHello, challenges with ssl=0)",
         "an acceptor with TLS Require = yes (default since 23) closes a cleartext Hello "
         "right after the peek; a connector requiring TLS that meets ssl=0 refuses (policy 0 "
         "vs 2)"),
    _row("require-tls", (), HANDSHAKE, "either",
         "TLS required: the acting side insists on TLS (ssl=2, TLS first) whatever its config",
         "a peer without TLS is refused: TLS-first meets a cleartext-only peer (handshake "
         "fails), or policy 2 vs 0 after the challenge (\"TLS required\")"),
    _row("cert-cn-not-allowed", _CERT, HANDSHAKE, "either",
         "the acting side presents a certificate whose CN is not in the peer's TLS Allowed CN",
         "the peer ends the connection after the TLS handshake: \"Peer certificate subject "
         "does not match\" / CN not allowed"),
    _row("cert-expired", _CERT, HANDSHAKE, "either",
         "the acting side presents an expired certificate",
         "OpenSSL verification fails (\"certificate has expired\"), TLS negotiation failed"),
    _row("cert-revoked", _CERT, HANDSHAKE, "either",
         "the acting side presents a certificate listed in the peer's CRL",
         "OpenSSL verification fails (\"certificate revoked\"), TLS negotiation failed"),
    _row("cert-unknown-ca", _CERT, HANDSHAKE, "either",
         "the acting side presents a certificate signed by a CA the peer does not trust",
         "OpenSSL verification fails (\"unable to get local issuer certificate\"), TLS "
         "negotiation failed"),
    _row("session-key-replay", (), HANDSHAKE, "connector",
         "a job data connection presents the job name and session key of an earlier job "
         "(a session key used twice)", "the Storage daemon knows no such job any more and "
         "refuses the connection; the job using it fails", JOB_ROWS),
    _row("session-key-other-job", (), HANDSHAKE, "connector",
         "a job data connection names its own job but uses an earlier job's session key",
         "TLS-PSK with the wrong key fails, CRAM-MD5 with it is rejected; the job fails",
         JOB_ROWS),
    _row("downgrade", (), BYTES, "either",
         "a man in the middle rewrites ssl=2 to ssl=0 in both CRAM challenges (cleartext "
         "handshakes only: under TLS there is nothing to rewrite)",
         "each side sees the other's ssl=0 against its own ssl=2 and refuses; no cleartext "
         "session follows"),
    _row("cram-replay", (), BYTES, "connector",
         "the connector sends the acceptor's own CRAM challenge back to it instead of a fresh "
         "one (a reflection attack; cleartext handshakes only)",
         "the peer sees its own name in the challenge and refuses (replay protection in "
         "cram_md5.cc)"),
    _row("stall-before", (_SECONDS,), BYTES, "either",
         "the acting side sends nothing before its first byte, for SECONDS or forever",
         "the peer's read waits until its timeout, then closes (\"Read error\" / timeout)"),
    _row("stall-during", (_SECONDS,), BYTES, "either",
         "the acting side stalls after its first packet (Hello or challenge) or TLS record",
         "the peer times out in the middle of the handshake"),
    _row("stall-after", (_SECONDS,), BYTES, "either",
         "the acting side stalls after the handshake, before its next packet",
         "the peer's command or job read times out (heartbeats aside)"),
    _row("drop-at-byte", (Param("N", "int"),), BYTES, "either",
         "the connection is closed after the acting side sent N bytes",
         "\"Read expected N got M\" or \"Read error\" on the peer, the connection is closed"),
    _row("drop-after-packet", (Param("K", "int"),), BYTES, "either",
         "the connection is closed after the acting side's K-th packet (TLS: record)",
         "the peer sees the connection closed where it waited for the next packet"),
    _row("latency", (Param("MS", "float"),), BYTES, "either",
         "every write of the acting side is delayed by MS milliseconds",
         "works, slower; with a latency above the peer's timeouts the peer gives up"),
    _row("bandwidth", (Param("BYTES_PER_SECOND", "float"),), BYTES, "either",
         "the acting side sends at most BYTES_PER_SECOND",
         "works, slower (like Maximum Bandwidth Per Job)"),
    _row("corrupt-length", (Param("K", "int", "1"),), BYTES, "either",
         "the header of the acting side's K-th packet announces 2147483647 bytes (TLS: the "
         "record length is corrupted)",
         "\"Packet size too big from ... Terminating connection.\"; TLS: record layer error, "
         "TLS negotiation failed"),
    _row("corrupt-header", (Param("K", "int", "1"),), BYTES, "either",
         "the header of the acting side's K-th packet becomes an unknown signal (-9999) (TLS: "
         "the record's content type is corrupted)",
         "the peer reads a signal it does not know and ends the connection; TLS: unexpected "
         "record, connection closed"),
    _row("slowloris", (Param("MS", "float", "100"),), BYTES, "either",
         "the acting side sends one byte at a time, MS milliseconds apart",
         "each byte resets no overall timer in Bareos's read loop: the peer waits as long "
         "as bytes keep trickling (bareosnet's limits are per receive)"),
    _row("vanish", (Param("BYTES", "int", "0"),), BYTES, "either",
         "the acting side vanishes BYTES bytes after its handshake (TCP reset, no "
         "BNET_TERMINATE): an FD during a backup, an SD during a restore",
         "the peer's read fails, the job is marked failed (\"Error\"/\"Fatal error\"); "
         "the volume stays readable and the next job runs"),
)  # fmt: skip

BY_NAME: dict[str, FaultRow] = {row.name: row for row in FAULTS}


@attrs.frozen
class Fault:
    """A checked fault: its row, its arguments by name, and its scope."""

    row: FaultRow
    spec: FaultSpec
    values: dict[str, float | int | str] = attrs.field(eq=False)

    @property
    def name(self) -> str:
        return self.row.name

    def seconds(self, key: str = "SECONDS") -> float:
        return float(self.values[key])


def _convert(param: Param, raw: str, fault: str) -> float | int | str:
    try:
        if param.kind == "seconds":
            return math.inf if raw == "forever" else _non_negative(float(raw))
        if param.kind == "int":
            return _non_negative(int(raw))
        if param.kind == "float":
            return _non_negative(float(raw))
    except ValueError:
        raise FaultSpecError(f"{fault}: {param.name}={raw!r} is not a valid {param.kind}") from None
    return raw


def _non_negative[N: (int, float)](value: N) -> N:
    if value < 0:
        raise ValueError("negative")
    return value


def check(spec: FaultSpec) -> Fault:
    """The row of ``spec`` with its arguments converted; raises FaultSpecError."""
    row = BY_NAME.get(spec.name)
    if row is None:
        raise FaultSpecError(f"unknown fault {spec.name!r} (known: {', '.join(BY_NAME)})")
    if len(spec.args) > len(row.params):
        raise FaultSpecError(f"{row.name} takes at most {len(row.params)} argument(s): {row.usage}")
    values: dict[str, float | int | str] = {}
    for i, param in enumerate(row.params):
        raw = spec.arg(i, param.default)
        if raw is None or raw == "":
            raise FaultSpecError(f"{row.name} needs {param.name}: {row.usage}")
        values[param.name] = _convert(param, raw, row.name)
    if row.acts != "either" and spec.scope.side not in (None, row.acts):
        raise FaultSpecError(f"{row.name} is done by the {row.acts}, not side={spec.scope.side}")
    if spec.scope.conn is not None and spec.scope.conn not in row.connections:
        raise FaultSpecError(f"{row.name} applies to connections {','.join(row.connections)} only")
    return Fault(row, spec, values)


def parse(text: str) -> Fault:
    """``NAME[:ARGS][@SCOPE]`` to a checked :class:`Fault`."""
    return check(parse_fault(text))
