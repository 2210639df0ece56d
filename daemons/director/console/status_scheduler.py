"""``status scheduler``: which Schedule starts which Jobs, and a preview of its Run times.

As Bareos's ``DoSchedulerStatus`` (ua_status.cc): the text form has two tables,
"Scheduler Jobs" (each enabled Schedule with the Jobs that use it, "(disabled)"
after a Job that is off or whose Client is off) and "Scheduler Preview for N
days" (every hour from now on, each Run line of each Schedule that fires in that
hour, with the overrides the Run line sets).  Under ``.api 2`` the same comes as
``{"schedules": [...], "preview": [...]}``.

Arguments: ``days=N`` (text and JSON; JSON also takes ``days=FROM,TO``),
``schedule=<name>``, ``client=<name>``, ``job=<name>``.  As in Bareos, a client
narrows the "Scheduler Jobs" table, while the text preview then lists the
schedules of every Job (Bareos only skips a Job whose own Client is that
disabled client).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import attrs

from bareosnet.config.values import parse_bool
from daemons.director.console.args import Args
from daemons.director.console.restore_dialog import select_resource
from daemons.director.jobs.schedule import DateTimeMask, mask_of, runtime_in_hour

if TYPE_CHECKING:
    from daemons.director.console.interfaces import CommandSession

DEFAULT_DAYS = 7
HOUR = 3600
DAY = 86400
RULE = "=" * 62 + "\n"

# Run-line overrides as the preview names them (text label, JSON key), in Bareos's order.
_OVERRIDES = (
    ("Level", "Level", "level"),
    ("Priority", "Priority", "priority"),
    ("SpoolData", "Spool Data", "spool_data"),
    ("Accurate", "Accurate", "accurate"),
    ("Pool", "Pool", "pool"),
    ("Storage", "Storage", "storage"),
    ("Messages", "Messages", "messages"),
)


@attrs.frozen
class PreviewRow:
    runtime: float
    schedule: str
    overrides: tuple[tuple[str, str], ...]  # (Run-line key, value) in _OVERRIDES order

    @property
    def datetime(self) -> str:
        return time.strftime("%a %d-%b-%Y %H:%M", time.localtime(self.runtime))

    def text_overrides(self) -> str:
        labels = {key: label for key, label, _ in _OVERRIDES}
        return " ".join(f"{labels[k]}={_text_value(k, v)}" for k, v in self.overrides)

    def json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"datetime": self.datetime, "runtime": int(self.runtime),
                               "schedule": self.schedule}  # fmt: skip
        keys = {key: jkey for key, _, jkey in _OVERRIDES}
        for k, v in self.overrides:
            out[keys[k]] = _json_value(k, v)
        return out


def _text_value(key: str, value: str) -> str:
    # Bareos prints the two booleans with %d.
    return str(int(parse_bool(value)[0])) if key in ("SpoolData", "Accurate") else value


def _json_value(key: str, value: str) -> Any:
    if key in ("SpoolData", "Accurate"):
        return parse_bool(value)[0]  # the parser accepted it already
    if key == "Priority":
        return int(value)
    return value


def _overrides(run: Any) -> tuple[tuple[str, str], ...]:
    ov = dict(run.overrides)
    # A Priority of 0 is "not set" in Bareos's Run record.
    return tuple((k, str(ov[k])) for k, _, _ in _OVERRIDES
                 if k in ov and not (k == "Priority" and str(ov[k]) == "0"))  # fmt: skip


def _runs(sched: Any) -> Iterator[tuple[Any, DateTimeMask]]:
    for run in sched.get("Run") or ():
        yield run, mask_of(run.when)


def preview(schedules: list[Any], start: float, stop: float) -> list[PreviewRow]:
    """Each hour from ``start`` to ``stop``: the Run lines of ``schedules`` firing then."""
    compiled = [(s.name, list(_runs(s))) for s in schedules]
    rows: list[PreviewRow] = []
    t = start
    while t < stop:
        for name, runs in compiled:
            for run, mask in runs:
                if mask.triggers_on_day_and_hour(t):
                    rows.append(PreviewRow(runtime_in_hour(mask, t), name, _overrides(run)))
        t += HOUR
    return rows


@attrs.frozen
class Query:
    days_from: int
    days_to: int
    text_days: int
    schedule: str | None
    client: Any | None
    job: Any | None


async def status_scheduler(s: CommandSession, args: Args) -> bool:
    q = await _query(s, args)
    if q is None:
        return False
    rt = s.rt
    schedules = [sc for sc in rt.cfg.all("schedule")
                 if rt.is_enabled("schedule", sc) and s.allowed("schedule", sc.name)
                 and (q.schedule is None or sc.name == q.schedule)]  # fmt: skip
    table = _jobs_table(s, schedules, q)
    now = time.time()
    if s.out.json:
        s.out.set("schedules", [
            {"name": name, "enabled": True,
             "jobs": [{"name": j, "enabled": on} for j, on in jobs]}
            for name, jobs in table
        ])  # fmt: skip
        rows = preview(_preview_schedules(s, schedules, q, json=True),
                       now + q.days_from * DAY, now + q.days_to * DAY)  # fmt: skip
        s.out.set("preview", [r.json() for r in rows])
        return True
    out = ["Scheduler Jobs:\n\n", "Schedule               Jobs Triggered\n",
           "===========================================================\n"]  # fmt: skip
    for name, jobs in table:
        out.append(f"{name}\n")
        out += [f"                       {j}{'' if on else ' (disabled)'}\n" for j, on in jobs]
        out.append("\n")
    start, stop = (
        (now, now + q.text_days * DAY) if q.text_days > 0 else (now + q.text_days * DAY, now)
    )
    rows = preview(_preview_schedules(s, schedules, q, json=False), start, stop)
    width = max((len(r.datetime) for r in rows), default=0)
    out += ["====\n\n", f"Scheduler Preview for {q.text_days} days:\n\n",
            f"{'Date':<{width}}  {'Schedule':<22}  Overrides\n", RULE]  # fmt: skip
    out += [f"{r.datetime:<{width}}  {r.schedule[:22]:<22}  {r.text_overrides()}\n" for r in rows]
    out.append("====\n")
    for line in out:
        await s.out.text(line)
    return True


async def _query(s: CommandSession, args: Args) -> Query | None:
    days_from, days_to, text_days = 0, DEFAULT_DAYS, DEFAULT_DAYS
    raw = args.value("days")
    if raw is not None:
        if "," in raw:
            lo, hi = sorted((_atoi(raw.split(",", 1)[0]), _atoi(raw.split(",", 1)[1])))
            if not s.out.api and (lo < -366 or hi > 366):
                await s.out.text("Ignoring invalid days range. Allowed: -366..366.\n")
                lo, hi = 0, DEFAULT_DAYS
            days_from, days_to, text_days = lo, hi, max(abs(lo), abs(hi))
        else:
            text_days = _atoi(raw)
            if not -366 <= text_days <= 366 and not s.out.api:
                await s.out.text("Ignoring invalid value for days. Allowed is -366 < days < 366.\n")
                text_days = DEFAULT_DAYS
            days_from, days_to = (0, text_days) if text_days >= 0 else (text_days, 0)
    client = job = None
    if (name := args.value("client")) is not None:
        client = s.rt.cfg.get("client", name)
        if client is None or not s.allowed("client", name):
            await s.out.error(f'Client "{name}" not found.\n')
            return None
    if (name := args.value("job")) is not None:
        job = s.rt.cfg.get("job", name)
        if job is None or not s.allowed("job", name):
            job = await select_resource(s, "job")  # Bareos asks for a bogus one (select_job_resource)
            if job is None:
                return None
    return Query(days_from, days_to, text_days, args.value("schedule"), client, job)


def _atoi(text: str) -> int:
    """C ``atoi``: the leading integer, 0 when there is none."""
    digits = ""
    for i, ch in enumerate(text.strip()):
        if ch.isdigit() or (i == 0 and ch in "+-"):
            digits += ch
        else:
            break
    try:
        return int(digits)
    except ValueError:
        return 0


def _job_on(s: CommandSession, job: Any) -> bool:
    client = s.rt.cfg.get("client", str(job.get("Client"))) if job.get("Client") else None
    return s.rt.is_enabled("job", job) and (client is None or s.rt.is_enabled("client", client))


def _jobs_table(s: CommandSession, schedules: list[Any],
                q: Query) -> list[tuple[str, list[tuple[str, bool]]]]:  # fmt: skip
    if q.job is not None:
        candidates = [q.job]
    else:
        candidates = [j for j in s.rt.cfg.all("job") if s.allowed("job", j.name)
                      and (q.client is None or str(j.get("Client")) == q.client.name)]  # fmt: skip
    table = []
    for sc in schedules:
        jobs = [
            (j.name, _job_on(s, j)) for j in candidates if str(j.get("Schedule") or "") == sc.name
        ]
        if jobs:
            table.append((sc.name, jobs))
    return table


def _preview_schedules(s: CommandSession, schedules: list[Any], q: Query, *,
                       json: bool) -> list[Any]:  # fmt: skip
    """The schedules whose Run lines the preview walks, in Bareos's selection."""
    if q.job is None and q.client is None:
        return schedules
    rt = s.rt
    jobs = (
        [q.job] if q.job is not None else [j for j in rt.cfg.all("job") if s.allowed("job", j.name)]
    )
    picked = []
    for j in jobs:
        sched = rt.cfg.get("schedule", str(j.get("Schedule"))) if j.get("Schedule") else None
        if sched is None or not rt.is_enabled("schedule", sched) or not rt.is_enabled("job", j):
            continue
        client = rt.cfg.get("client", str(j.get("Client"))) if j.get("Client") else None
        client_off = client is not None and not rt.is_enabled("client", client)
        if q.job is not None and client_off:
            continue
        if q.job is None:
            assert q.client is not None  # no job, no client: returned above
            if json and (client is None or client.name != q.client.name or client_off):
                continue
            if not json and client_off and client is not None and client.name == q.client.name:
                continue
            if json and q.schedule is not None and sched.name != q.schedule:
                continue
        picked.append(sched)
    return picked
