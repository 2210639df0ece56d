"""Schedule Run lines -> run times, as Bareos's run_conf.cc / NextScheduleTime."""

from __future__ import annotations

import datetime as dt
import time

from hypothesis import given
from hypothesis import strategies as st

from daemons.director.jobs.schedule import (
    _week_of_year,
    mask_of,
    next_schedule_time,
    runtimes_this_and_next_hour,
)


def at(y: int, mo: int, d: int, h: int = 0, mi: int = 0) -> float:
    return time.mktime((y, mo, d, h, mi, 0, 0, 0, -1))


FRI = at(2026, 12, 4, 10, 0)  # a Friday


def test_weekly_cycle_of_the_shipped_configs() -> None:
    inc = mask_of(("mon-fri", "at", "21:00"))
    assert next_schedule_time(inc, FRI) == at(2026, 12, 4, 21, 0)
    full = mask_of(("1st", "sat", "at", "21:00"))
    assert next_schedule_time(full, FRI) == at(2026, 12, 5, 21, 0)
    diff = mask_of(("2nd-5th", "sat", "at", "21:00"))
    assert next_schedule_time(diff, FRI) is None  # not within one day
    assert next_schedule_time(diff, FRI, 10) == at(2026, 12, 12, 21, 0)
    assert next_schedule_time(inc, at(2026, 12, 5, 10)) is None  # Saturday, Sunday: nothing
    assert next_schedule_time(inc, at(2026, 12, 5, 10), 2) == at(2026, 12, 7, 21, 0)


def test_no_time_means_every_hour_and_minute_is_not_compared() -> None:
    # run_conf.cc's set_defaults sets all 24 hour bits (its "daily at 0:0" comment is old).
    bare = mask_of(())
    assert next_schedule_time(bare, FRI) == at(2026, 12, 4, 10, 0)
    # Bareos lists today's 10:05 at 10:40 too (only the hour is compared).
    m = mask_of(("daily", "at", "10:05"))
    assert next_schedule_time(m, at(2026, 12, 4, 10, 40)) == at(2026, 12, 4, 10, 5)


def test_hourly_am_pm_last_week_and_ranges() -> None:
    hourly = mask_of(("hourly", "at", "0:15"))
    assert next_schedule_time(hourly, at(2026, 12, 4, 13, 20)) == at(2026, 12, 4, 13, 15)
    assert runtimes_this_and_next_hour(hourly, at(2026, 12, 4, 13, 20)) == [
        at(2026, 12, 4, 13, 15),
        at(2026, 12, 4, 14, 15),
    ]
    assert mask_of(("at", "12:15am")).hour == {0} and mask_of(("at", "12:15am")).minute == 15
    assert mask_of(("at", "12:30pm")).hour == {12}
    assert mask_of(("at", "9:30pm")).hour == {21}
    last = mask_of(("last", "fri", "at", "23:00"))
    assert next_schedule_time(last, FRI, 31) == at(2026, 12, 25, 23, 0)
    wrap = mask_of(("fri-mon",))
    assert wrap.wday == {5, 6, 0, 1}
    assert mask_of(("28-2",)).mday == {27, 28, 29, 30, 0, 1}
    assert mask_of(("jan", "jul")).month == {0, 6}
    assert mask_of(("1/7",)).mday == {0, 7, 14, 21, 28}
    assert mask_of(("w00/w02",)).woy == set(range(0, 54, 2))
    assert mask_of(("weekly", "sun")).wday == {0}
    assert mask_of(("monthly", "1")).mday == {0}


def test_two_runs_queued_only_when_the_hour_matches() -> None:
    m = mask_of(("mon-fri", "at", "21:00"))
    assert runtimes_this_and_next_hour(m, at(2026, 12, 4, 20, 30)) == [at(2026, 12, 4, 21, 0)]
    assert runtimes_this_and_next_hour(m, at(2026, 12, 4, 18, 30)) == []


@given(st.dates(min_value=dt.date(2000, 1, 8), max_value=dt.date(2037, 12, 24)))
def test_week_of_year_is_iso_week_outside_the_year_edges(day: dt.date) -> None:
    ts = at(day.year, day.month, day.day, 12)
    iso_year, iso_week, _ = day.isocalendar()
    if iso_year == day.year:
        assert _week_of_year(ts) == iso_week
