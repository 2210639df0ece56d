"""When a Schedule ``Run =`` line fires (Bareos ``run_conf.cc``, ``date_time*.cc``).

A Run line becomes a :class:`DateTimeMask`: bit sets of hours, days of month,
days of week, months, weeks of month and ISO-like weeks of year, plus the
minute and the ``last`` flag, filled exactly as ``StoreRun`` fills them (the
config parser has already checked the words; this module only interprets
them).  :func:`next_schedule_time` is ``RunResource::NextScheduleTime`` (what
``status director`` lists) and :func:`runs_this_or_next_hour` the scheduler's
``AddJobsForThisAndNextHourToQueue``.  Pure functions of a timestamp: the
caller passes the clock, so tests can run a schedule at any time.
"""

from __future__ import annotations

import time
from collections.abc import Iterable

import attrs

__all__ = ["DateTimeMask", "mask_of", "next_schedule_time", "runtimes_this_and_next_hour"]

_WDAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]
_WDAYS_LONG = ["sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"]
_MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
_MONTHS_LONG = ["january", "february", "march", "april", "may", "june", "july", "august",
                "september", "october", "november", "december"]  # fmt: skip
_WOM = ["1st", "2nd", "3rd", "4th", "5th"]
_WOM_LONG = ["first", "second", "third", "fourth", "fifth"]

_KEYWORDS: dict[str, tuple[str, int]] = {"on": ("none", 0), "at": ("at", 0), "last": ("last", 0)}
for _i, _w in enumerate(_WDAYS):
    _KEYWORDS[_w] = _KEYWORDS[_WDAYS_LONG[_i]] = ("wday", _i)
for _i, _w in enumerate(_MONTHS):
    _KEYWORDS[_w] = _KEYWORDS[_MONTHS_LONG[_i]] = ("month", _i)
for _i, _w in enumerate(_WOM):
    _KEYWORDS[_w] = _KEYWORDS[_WOM_LONG[_i]] = ("wom", _i)
for _w in ("daily", "weekly", "monthly", "hourly"):
    _KEYWORDS[_w] = (_w, 0)


@attrs.frozen
class DateTimeMask:
    hour: frozenset[int]
    mday: frozenset[int]  # 0-30
    wday: frozenset[int]  # 0 = Sunday
    month: frozenset[int]  # 0-11
    wom: frozenset[int]  # 0-4: day_of_month // 7
    woy: frozenset[int]  # 0-53
    minute: int = 0
    last_7days_of_month: bool = False

    def triggers_on_day(self, ts: float) -> bool:
        d = _DateTime.of(ts)
        return (
            d.mday in self.mday
            and d.wday in self.wday
            and d.month in self.month
            and (d.mday // 7 in self.wom or (self.last_7days_of_month and d.last_7_days))
            and d.woy in self.woy
        )

    def triggers_on_day_and_hour(self, ts: float) -> bool:
        return self.triggers_on_day(ts) and time.localtime(ts).tm_hour in self.hour


@attrs.frozen
class _DateTime:
    mday: int
    wday: int
    month: int
    woy: int
    last_7_days: bool

    @classmethod
    def of(cls, ts: float) -> _DateTime:
        tm = time.localtime(ts)
        mday = tm.tm_mday - 1
        # Bareos compares the day of year with a table of month ends: the same
        # as "this is one of the month's last 7 days".
        days_in_month = _days_in_month(tm.tm_year, tm.tm_mon)
        # Python: Monday = 0 and months from 1; Bareos (struct tm): Sunday = 0, months from 0.
        return cls(mday, (tm.tm_wday + 1) % 7, tm.tm_mon - 1, _week_of_year(ts),
                   days_in_month - 7 <= mday)  # fmt: skip


def _days_in_month(year: int, month: int) -> int:
    if month == 2:
        leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
        return 29 if leap else 28
    return 30 if month in (4, 6, 9, 11) else 31


def _week_of_year(ts: float) -> int:
    """Bareos ``TmWoy``: weeks counted from the Monday on or before 4 January."""
    tm = time.localtime(ts)
    jan4 = time.localtime(time.mktime((tm.tm_year, 1, 4, 12, 0, 0, 0, 0, 0)))
    fty = 1 - (jan4.tm_wday + 1) % 7  # tm_wday of C: 0 = Sunday
    if fty <= 0:
        fty += 7
    woy = (tm.tm_yday - 1) - fty + 4
    return 0 if woy < 0 else 1 + woy // 7


def _keyword(word: str) -> tuple[str, int] | None:
    return _KEYWORDS.get(word.lower())


def mask_of(when: Iterable[str]) -> DateTimeMask:
    """The mask of a Run line's schedule words (``("mon-fri", "at", "21:00")``).

    Words the config parser refused never get here; anything odd is ignored.
    Default (no words): daily at 00:00.
    """
    hour, mday, wday = set(range(24)), set(range(31)), set(range(7))
    month, wom, woy = set(range(12)), set(range(5)), set(range(54))
    have = dict.fromkeys(("hour", "mday", "wday", "month", "wom", "woy", "at"), False)
    minute, last = 0, False

    def first(kind: str, bits: set[int]) -> set[int]:
        if not have[kind]:
            bits.clear()
            have[kind] = True
        return bits

    for raw in when:
        word = raw.strip()
        if not word or word == ",":
            continue
        if word.isdigit():
            first("mday", mday).add(int(word) - 1)
        elif "-" in word:
            _range(word, first, mday, wday, month, wom, woy)
        elif ":" in word:
            h, m = _clock(word)
            if not have["hour"]:
                hour.clear()
            hour.add(h)
            minute = m
            have["hour"] = True
        elif "/" in word:
            _modulo(word, first, mday, woy)
        elif len(word) == 3 and word[0] in "wW" and word[1:].isdigit():
            first("woy", woy).add(int(word[1:]))
        else:
            kw = _keyword(word)
            if kw is None:
                continue
            kind, code = kw
            if kind == "at":
                have["at"] = True
            elif kind == "last":
                last = True
                first("wom", wom)
            elif kind == "wday":
                first("wday", wday).add(code)
            elif kind == "month":
                first("month", month).add(code)
            elif kind == "wom":
                first("wom", wom).add(code)
            elif kind == "hourly":
                have["hour"] = True
                hour.update(range(24))
            elif kind == "weekly":
                have["mday"] = have["wom"] = have["woy"] = True
                mday.update(range(31))
                wom.update(range(5))
                woy.update(range(54))
            elif kind == "daily":
                have["mday"] = True
                wday.update(range(7))
            elif kind == "monthly":
                have["month"] = True
                month.update(range(12))
    return DateTimeMask(frozenset(hour), frozenset(mday), frozenset(wday), frozenset(month),
                        frozenset(wom), frozenset(woy), minute, last)  # fmt: skip


def _clock(word: str) -> tuple[int, int]:
    """``21:00``, ``9:30pm``, ``12:15am`` -> (hour, minute), 12am = 0, 12pm = 12."""
    hh, _, rest = word.partition(":")
    digits = rest[:2]
    suffix = rest[2:].lower()
    h, m = int(hh), int(digits or 0)
    if suffix == "pm" and h != 12:
        h += 12
    elif suffix == "am" and h == 12:
        h = 0
    return h, m


def _span(lo: int, hi: int, top: int) -> list[int]:
    """Bareos's wrapping ranges: ``fri-mon`` is fri..sat + sun..mon."""
    return list(range(lo, hi + 1)) if lo < hi else [*range(lo, top + 1), *range(0, hi + 1)]


def _range(word, first, mday, wday, month, wom, woy) -> None:  # type: ignore[no-untyped-def]
    a, _, b = word.partition("-")
    if a.isdigit() and b.isdigit():
        first("mday", mday).update(_span(int(a) - 1, int(b) - 1, 30))
        return
    if len(a) == 3 and len(b) == 3 and a[0] in "wW" and b[0] in "wW":
        first("woy", woy).update(_span(int(a[1:]), int(b[1:]), 53))
        return
    ka, kb = _keyword(a), _keyword(b)
    if ka is None or kb is None or ka[0] != kb[0]:
        return
    kind, top = ka[0], {"wday": 6, "month": 11, "wom": 4}.get(ka[0])
    if top is None:
        return
    target = {"wday": wday, "month": month, "wom": wom}[kind]
    first(kind, target).update(_span(ka[1], kb[1], top))


def _modulo(word, first, mday, woy) -> None:  # type: ignore[no-untyped-def]
    a, _, b = word.partition("/")
    if a.isdigit() and b.isdigit():
        offset, every = int(a) - 1, int(b)
        bits = first("mday", mday)
        for i in range(31):
            if every and i % every == 0 and i + offset <= 30:
                bits.add(i + offset)
    elif len(a) == 3 and len(b) == 3 and a[0] in "wW" and b[0] in "wW":
        start, every = int(a[1:]), int(b[1:])
        first("woy", woy).update(range(start, 54, every) if every else ())


def next_schedule_time(mask: DateTimeMask, start: float, ndays: int = 1) -> float | None:
    """``RunResource::NextScheduleTime``: the first listed hour, today from this hour on.

    As in Bareos the minute is not compared with now: a Run at 21:05 still
    shows for today at 21:40 (the scheduler itself skips it).
    """
    for d in range(ndays + 1):
        if mask.triggers_on_day(start):
            tm = time.localtime(start)
            for h in range(tm.tm_hour if d == 0 else 0, 24):
                if h in mask.hour:
                    return time.mktime((tm.tm_year, tm.tm_mon, tm.tm_mday, h, mask.minute, 0,
                                        0, 0, -1))  # fmt: skip
        start += 24 * 60 * 60
    return None


def runtime_in_hour(mask: DateTimeMask, ts: float) -> float:
    """The Run line's time in the hour of ``ts``: that hour, the line's minute."""
    tm = time.localtime(ts)
    return time.mktime((tm.tm_year, tm.tm_mon, tm.tm_mday, tm.tm_hour, mask.minute, 0,
                        0, 0, -1))  # fmt: skip


def runtimes_this_and_next_hour(mask: DateTimeMask, now: float) -> list[float]:
    """The run times the scheduler queues at ``now`` (``AddJobsForThisAndNextHourToQueue``)."""
    runtime = runtime_in_hour(mask, now)
    out = []
    if mask.triggers_on_day_and_hour(now):
        out.append(runtime)
    if mask.triggers_on_day_and_hour(now + 3600):
        out.append(runtime + 3600)
    return out
