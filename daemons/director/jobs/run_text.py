"""How ``show`` prints a Schedule ``Run`` line: rebuilt from its mask, not echoed.

Bareos does not keep the words of a Run line; ``show schedule`` prints what
the parsed line means (``PrintConfigRun`` in dird_conf.cc): the overrides
(``pool="Full" ``), the level, then every date field that is not "all" as
comma lists with ranges (``2nd-5th``, ``Mon-Fri``, ``w01-w05``), the ``last``
flag, and ``at HH:MM`` for each hour.  So ``Run = Full sun at 21:00`` shows as
``Full Sun at 21:00`` and ``Run = Level=Incremental mon-fri at 9:30pm`` as
``Incremental Mon-Fri at 21:30``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from bareosnet.config.model import RunSpec
from bareosnet.config.values import parse_duration
from daemons.director.jobs.schedule import mask_of

_WEEKDAYS = ("Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_ORDINALS = ("1st", "2nd", "3rd", "4th", "5th")
# Overrides Bareos prints quoted, in its order (the level goes after the pools).
_POOLS = (("Pool", "pool"), ("FullPool", "fullpool"), ("VirtualFullPool", "virtualfullpool"),
          ("IncrementalPool", "incrementalpool"), ("DifferentialPool", "differentialpool"),
          ("NextPool", "nextpool"))  # fmt: skip


def _field(bits: frozenset[int], count: int, name: Callable[[int], str]) -> str:
    """One date field as Bareos writes it ("" when every value is set)."""
    if all(i in bits for i in range(count)):
        return ""
    parts: list[str] = []
    start = -1
    for i in range(count):
        if i in bits and start == -1:
            start = i
            parts.append("," + name(i))
        if i not in bits and start != -1:
            if i - start > 1:
                parts.append("-" + name(i - 1))
            start = -1
    last = count - 1
    if start != -1 and last in bits and last - start > 1:
        parts.append("-" + name(last))
    return "".join(parts)[1:] + " " if parts else ""


def run_config_text(run: RunSpec) -> str:
    """The text after ``Run = `` in ``show schedule`` output."""
    o = {k.lower(): v for k, v in run.overrides.items()}
    out: list[str] = []
    for key, word in _POOLS[:6]:
        if key.lower() in o:
            out.append(f'{word}="{o[key.lower()]}" ')
    if "level" in o:
        out.append(o["level"] + " ")
    for key in ("storage", "messages"):
        if key in o:
            out.append(f'{key}="{o[key]}" ')
    if o.get("priority") and o["priority"] != "10":
        out.append(f"priority={o['priority']} ")
    if o.get("maxrunschedtime"):
        try:
            out.append(f"maxrunschedtime={parse_duration(o['maxrunschedtime'])} ")
        except ValueError:
            pass
    if o.get("accurate", "").lower() in ("yes", "true", "1"):
        out.append('accurate="yes" ')
    mask = mask_of(run.when)
    fields: Sequence[tuple[frozenset[int], int, Callable[[int], str]]] = (
        (mask.mday, 31, lambda i: str(i + 1)),
        (mask.wom, 5, lambda i: _ORDINALS[i]),
    )
    for bits, count, name in fields:
        out.append(_field(bits, count, name))
    if mask.last_7days_of_month:
        out.append("last ")
    out.append(_field(mask.wday, 7, lambda i: _WEEKDAYS[i]))
    out.append(_field(mask.month, 12, lambda i: _MONTHS[i]))
    out.append(_field(mask.woy, 54, lambda i: f"w{i:02d}"))
    out.extend(f"at {h:02d}:{mask.minute:02d}" for h in range(24) if h in mask.hour)
    return "".join(out)
