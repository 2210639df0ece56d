"""``status subscriptions``: the backup unit report (ua_status.cc DoSubscriptionStatus and
the catalog queries dml/0080..0085).

A unit is counted per client from its newest good Full backup of each FileSet: a client
without plugins counts 1, a client's plugin FileSets one each; the volume-based count is
the total size in TB (``max(ReadBytes, JobBytes)`` / 10^9 GB, rounded up per 1000 GB), and
the higher of the two is what is used.  ``.api 2`` answers
``{"version", "os", "binary-info", "report-time", "unit-detail": [...], "unit-summary":
{...}, "checksum"}``; ``clients``/``plugins``/``all`` add ``unit-clients``/``unit-plugins``,
``client=<name>`` answers that client's ``unit-detail`` only.  Values are SQL texts as
the real Director sends them (``size_gb`` with two decimals).

The checksum is ``{SHA256}`` + the hex digest of a salt, the report time and the summary
as text, printed as Bareos's compute_hash prints it (only the first byte zero-padded).
"""

from __future__ import annotations

import hashlib
import math
import re
import time
from typing import TYPE_CHECKING, Any

from daemons.common import texts
from daemons.director.console.args import Args

if TYPE_CHECKING:
    from daemons.director.console.interfaces import CommandSession

NO_PLUGIN = "none (file data)"
_SALT = "SECRETSALT"

Row = dict[str, str | None]


def _plugin_of(fileset: Any) -> str | None:
    """fileset_plugin (dml/0080): the plugin a FileSet's first ``Plugin =`` line names."""
    if fileset is None:
        return None
    plugins: list[str] = []
    for include in fileset.get("Include") or ():
        value = include.get("Plugin") if hasattr(include, "get") else None
        if isinstance(value, str):
            plugins.append(value)
        elif value:
            plugins += [str(v) for v in value]
    if not plugins:
        return None
    text = plugins[0].replace('"', "")
    text = re.sub(r"(?i)^grpc:bareos-grpc-fd-plugin-bridge:", "", text)
    for pattern in (r"(?i)^python3?:(?:.*:)*module_name=bareos-fd-([^:\s]+)",
                    r"(?i)^python3?:(?:.*:)?module_name=bareos-([^:\s]+)",
                    r"(?i)^python3?:(?:.*:)?module_name=([^:\s]+)"):  # fmt: skip
        m = re.search(pattern, text)
        if m:
            return m.group(1).lower()
    if re.match(r"(?i)^python3?(:|$)", text):
        return "other python plugin"
    m = re.match(r"(?i)^grpc:([^:\s]+)", text) or re.match(r"([^:\s]+)", text)
    return m.group(1).lower() if m else None


def _aggregated(s: CommandSession) -> list[dict[str, Any]]:
    """client_aggregated: one entry per client and plugin (count, size_gb)."""
    rows = s.rt.catalog.db.execute(
        "SELECT ClientName, FileSetName, MAX(ReadBytes, JobBytes) AS Bytes FROM Job "
        "WHERE JobId IN (SELECT MAX(JobId) FROM Job WHERE Level='F' AND JobStatus IN ('T','W') "
        "AND Type='B' AND JobBytes>0 GROUP BY ClientName, FileSetName) AND ClientName IS NOT NULL"
    ).fetchall()
    groups: dict[tuple[str, str | None], dict[str, Any]] = {}
    for r in rows:
        plugin = _plugin_of(s.rt.cfg.get("fileset", r["FileSetName"] or ""))
        g = groups.setdefault((r["ClientName"], plugin), {
            "client": r["ClientName"], "plugin": plugin, "filesets": 0, "size_gb": 0.0})  # fmt: skip
        g["filesets"] += 1
        g["size_gb"] += r["Bytes"] / 10**9
    out = []
    for g in groups.values():
        out.append({"client": g["client"], "count": 1 if g["plugin"] is None else g["filesets"],
                    "size_gb": g["size_gb"], "plugin": g["plugin"] or NO_PLUGIN})  # fmt: skip
    return out


def _gb(value: float | None) -> str | None:
    return None if value is None else f"{value:.2f}"


def _num(value: float) -> str:
    """A PostgreSQL double as text: ``1`` rather than ``1.0``."""
    return str(int(value)) if float(value).is_integer() else repr(value)


def unit_detail(agg: list[dict[str, Any]], *, anonymize: bool = False,
                ids: dict[str, int] | None = None) -> list[Row]:  # fmt: skip
    """dml/0082: per client and plugin, then the TOTAL row."""
    ids = ids or {}

    def name(client: str) -> str:
        return f"Client {ids.get(client, 0)}" if anonymize else client

    def order(a: dict[str, Any]) -> tuple[Any, str]:
        return (ids.get(a["client"], 0) if anonymize else a["client"], a["plugin"])

    rows: list[Row] = [{"client": name(a["client"]), "plugin": a["plugin"],
                        "count": str(a["count"]), "size_gb": _gb(a["size_gb"])}
                       for a in sorted(agg, key=order)]  # fmt: skip
    total_count = sum(a["count"] for a in agg) if agg else None
    total_size = sum(a["size_gb"] for a in agg) if agg else None
    rows.append({"client": "TOTAL", "plugin": None,
                 "count": None if total_count is None else str(total_count),
                 "size_gb": _gb(total_size)})  # fmt: skip
    return rows


def unit_summary(agg: list[dict[str, Any]], configured: int) -> Row:
    """dml/0081: the accounting mode and used/configured/remaining units."""
    count_units = sum(a["count"] for a in agg)
    size_units = float(math.ceil(sum(a["size_gb"] for a in agg) / 1000))
    if size_units >= count_units:
        mode = (f"volume-based ({_num(size_units)} volume-based units >= {count_units} "
                "count-based units)")  # fmt: skip
    else:
        mode = f"count-based ({_num(size_units)} volume-based < {count_units} count-based)"
    used = max(float(count_units), size_units)
    return {"accounting_mode": mode, "used": _num(used), "configured": str(configured),
            "remaining": _num(configured - used)}  # fmt: skip


def _vertical(row: Row) -> str:
    width = max(len(k) for k in row)
    return "".join(f" {k:>{width}}: {v if v is not None else 'NULL'}\n" for k, v in row.items())


def checksum(report_time: str, summary: Row) -> str:
    """compute_hash as Bareos prints it: ``{SHA256}``, the first byte as two hex digits,
    the others without padding (its stream keeps ``setw(2)`` for one output only)."""
    source = f"{_SALT}\n{report_time}\n{_vertical(summary)}\n"
    digest = hashlib.sha256(source.encode()).digest()
    return "{SHA256}" + f"{digest[0]:02x}" + "".join(f"{b:x}" for b in digest[1:])


async def _table(s: CommandSession, key: str, rows: list[Row]) -> None:
    from daemons.director.console.list_commands import print_rows

    s.out.set(key, rows)
    if not s.out.json:
        await print_rows(s, [{k: v if v is not None else "NULL" for k, v in r.items()}
                             for r in rows], long=False)  # fmt: skip


async def subscription_status(s: CommandSession, args: Args) -> bool:
    out = s.out
    sub = args.words[1][0] if len(args) > 1 else "subscriptions"
    restricted = [k for k in ("client", "job", "fileset") if s.acl is not None
                  and "*all*" not in [e.lower() for e in s.acl.lists.get(k, ())]]  # fmt: skip
    if restricted:
        await out.error(f"{args.command} {sub}: needs access to all client, job and fileset "
                        "resources.\n")  # fmt: skip
        return False
    words = {k.lower() for k, v in args.words[2:] if v is None}
    client = args.value("client")
    if "unknown" in words:
        await out.error("Parameter 'unknown' ignored. There is no unknown data anymore.\n")
    elif "detail" in words:
        await out.error("Parameter 'detail' ignored. This is now the default.\n")
    agg = _aggregated(s)
    ids = {c.name: i for i, c in enumerate(s.rt.clients(), start=1)}
    anonymize = "anonymize" in words
    if client is not None:
        if words & {"clients", "plugins", "anonymize", "all"}:
            await out.error("Parameter 'client=' provided. Ignoring other parameters.\n")
        await out.text(f"\nDetailed backup unit report for client '{client}':\n")
        rows = [{"client": r["client"], "plugin": r["plugin"], "count": str(r["count"]),
                 "size_gb": _gb(r["size_gb"])} for r in agg if r["client"] == client]  # fmt: skip
        await _table(s, "unit-detail", rows)
        await out.text("All plugin jobs and the first non-plugin job are counted.\n")
        return True
    now = time.strftime("%Y-%m-%d %H:%M:%S")
    show_all = "all" in words
    if show_all or not words & {"clients", "plugins"}:
        p = s.rt.persona
        out.set("version", texts.version(p))
        out.set("os", texts.os_name())
        out.set("binary-info", texts.BINARY_INFO)
        out.set("report-time", now)
        await out.text(f"Bareos version: {texts.version(p)} ({texts.os_name()})\n"
                       f"Binary info: {texts.BINARY_INFO}\nReport time: {now}\n"
                       "\nDetailed backup unit report:\n")  # fmt: skip
        await _table(s, "unit-detail", unit_detail(agg, anonymize=anonymize, ids=ids))
    if show_all or "clients" in words:
        await out.text("\nBackup unit report aggregated by client:\n")
        per: dict[str, dict[str, Any]] = {}
        for a in agg:
            c = per.setdefault(a["client"], {"client": a["client"], "count": 0, "size_gb": 0.0})
            c["count"] += a["count"]
            c["size_gb"] += a["size_gb"]
        order = sorted(per.values(), key=lambda c: ids.get(c["client"], 0) if anonymize
                       else c["client"])  # fmt: skip
        await _table(s, "unit-clients", [
            {"client": f"Client {ids.get(c['client'], 0)}" if anonymize else c["client"],
             "count": str(c["count"]), "size_gb": _gb(c["size_gb"])} for c in order])  # fmt: skip
        await out.text("For a detailed per-client report run 'status subscriptions "
                       "client=<client-name>'\n")  # fmt: skip
    if show_all or "plugins" in words:
        await out.text("\nBackup unit report aggregated by plugin:\n")
        plugins: dict[str, dict[str, Any]] = {}
        for a in agg:
            g = plugins.setdefault(a["plugin"], {"plugin": a["plugin"], "count": 0,
                                                 "size_gb": 0.0})  # fmt: skip
            g["count"] += a["count"]
            g["size_gb"] += a["size_gb"]
        await _table(s, "unit-plugins", [
            {"plugin": g["plugin"], "count": str(g["count"]), "size_gb": _gb(g["size_gb"])}
            for g in sorted(plugins.values(), key=lambda g: g["plugin"])])  # fmt: skip
    configured = int(s.rt.cfg.own().get("Subscriptions") or 0)
    summary = unit_summary(agg, configured)
    await out.text("\nBackup unit summary:\n")
    out.set("unit-summary", summary)
    await out.text(_vertical(summary) + "\n")
    digest = checksum(now, summary)
    out.set("checksum", digest)
    await out.text(f"Checksum: {digest}\n")
    return True
