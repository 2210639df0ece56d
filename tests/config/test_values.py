"""Scalar value syntax: durations, sizes, speeds, booleans, names (edit.cc rules)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bareosnet.config.values import (
    check_acl_entry,
    check_name,
    format_duration,
    format_size,
    parse_bool,
    parse_duration,
    parse_int,
    parse_size,
    parse_speed,
)

MIN, HOUR, DAY = 60, 3600, 86400


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("30", 30),
        ("1min30sec", 90),  # what the parser hands over for "1 min 30 sec"
        ("1 min 30 sec", 90),
        ("2 hours", 2 * HOUR),
        ("2h", 2 * HOUR),
        ("1 m", 30 * DAY),  # "m" is a month: months come before minutes
        ("1 n", MIN),  # "n" is the short form of minutes
        ("1 mins", MIN),
        ("1 minute", MIN),
        ("3 days", 3 * DAY),
        ("1 week", 7 * DAY),
        ("1 quarter", 91 * DAY),
        ("1 year", 365 * DAY),
        ("1.5 days", 36 * HOUR),  # strtod numbers, truncated per term
        ("1 day 1 hour 1 minute 1 second", DAY + HOUR + MIN + 1),
        ("5 \r\n", 5),  # trailing spaces / CR / LF are junk Bareos ignores
        ("1 DAYS", DAY),  # case-insensitive
    ],
)
def test_duration(text: str, seconds: int) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize(
    "text", ["secs", "1 secs", "1 dayz", "1 x", "-5", "1 day\t", "1 fortnight"]
)
def test_duration_rejects(text: str) -> None:
    # "secs" is not a prefix of "seconds": Bareos refuses it too.
    with pytest.raises(ValueError, match="time period"):
        parse_duration(text)


@pytest.mark.parametrize(
    ("text", "size"),
    [
        ("1000", 1000),
        ("10k", 10 * 1024),
        ("10kb", 10 * 1000),
        ("1 m", 1024**2),
        ("1 mb", 1000**2),
        ("1g", 1024**3),
        ("50 gb", 50 * 1000**3),
        ("1 t", 1024**4),
        ("2 TB", 2 * 1000**4),
        ("1p", 1024**5),
        ("1e", 1024**6),  # a lone e is an exbibyte, not an exponent
        ("1e3", 1000),  # ... but e3 is an exponent (strtod)
        ("1 g 512 m", 1024**3 + 512 * 1024**2),
        ("1.5 k", 1536),
    ],
)
def test_size(text: str, size: int) -> None:
    assert parse_size(text) == size


@pytest.mark.parametrize("text", ["1 kib", "10 b", "1 x", "k"])
def test_size_rejects(text: str) -> None:
    with pytest.raises(ValueError, match="size"):
        parse_size(text)


def test_speed() -> None:
    assert parse_speed("100") == 100
    assert parse_speed("1 k/s") == 1024
    assert parse_speed("1 kb/s") == 1000
    assert parse_speed("2 m/s") == 2 * 1024**2
    assert parse_speed("2 mb/s") == 2 * 1000**2
    assert parse_speed("1 k") == 1024  # prefix of k/s
    with pytest.raises(ValueError):
        parse_speed("1 g/s")


def test_bool() -> None:
    assert parse_bool("yes") == (True, False)
    assert parse_bool("NO") == (False, False)
    assert parse_bool("true") == (True, True)
    assert parse_bool("0") == (False, True)
    with pytest.raises(ValueError, match="YES or NO"):
        parse_bool("on")


def test_int() -> None:
    assert parse_int("9101", bits=32, signed=False) == 9101
    assert parse_int("1.9", bits=32, signed=False) == 1  # Bareos reads the digits only
    assert parse_int("4294967297", bits=32, signed=False) == 1  # truncated like scan_pint
    with pytest.raises(ValueError, match="positive integer"):
        parse_int("-1", bits=32, signed=False)
    with pytest.raises(ValueError):
        parse_int("12ab", bits=32, signed=False)
    assert parse_int("-5", bits=32, signed=True) == -5


def test_names() -> None:
    check_name("bareos-fd")
    check_name("Windows All Drives")
    check_name("a:b.c_d/e")
    for bad, why in [
        ("", "at least one"),
        (" x", "start with space"),
        ("x ", "end with space"),
        ("a*b", "Illegal character"),
        ("x" * 128, "too long"),
    ]:
        with pytest.raises(ValueError, match=why):
            check_name(bad)
    check_name("x" * 127)


def test_acl_entries() -> None:
    check_acl_entry("*all*")
    check_acl_entry("!.bvfs_clear_cache")
    with pytest.raises(ValueError, match="Illegal character"):
        check_acl_entry("a b")


def test_format() -> None:
    assert format_duration(0) == "0"
    assert format_duration(DAY + 2 * HOUR) == "1 days 2 hours "
    assert format_duration(365 * DAY) == "1 years "
    assert format_size(0) == "0"
    assert format_size(50 * 1024**3) == "50 g"
    assert format_size(1024**3 + 1) == "1 g 1"


UNITS = {
    "s": 1,
    "sec": 1,
    "seconds": 1,
    "n": MIN,
    "min": MIN,
    "mins": MIN,
    "minutes": MIN,
    "h": HOUR,
    "hours": HOUR,
    "d": DAY,
    "day": DAY,
    "w": 7 * DAY,
    "weeks": 7 * DAY,
    "m": 30 * DAY,
    "mo": 30 * DAY,
    "months": 30 * DAY,
    "q": 91 * DAY,
    "y": 365 * DAY,
    "years": 365 * DAY,
}
SIZES = {"": 1, "k": 1024, "kb": 1000, "m": 1024**2, "mb": 1000**2, "g": 1024**3, "gb": 1000**3}


@given(
    st.lists(
        st.tuples(
            st.integers(0, 10_000), st.sampled_from(sorted(UNITS)), st.sampled_from(["", " "])
        ),
        min_size=1,
        max_size=6,
    )
)
def test_duration_terms_add_up(terms: list[tuple[int, str, str]]) -> None:
    text = " ".join(f"{n}{sep}{unit}" for n, unit, sep in terms)
    assert parse_duration(text) == sum(n * UNITS[unit] for n, unit, _ in terms)
    # and the lexer's way of joining the words ("1min30sec") means the same
    assert parse_duration(text.replace(" ", "")) == parse_duration(text)


@given(st.integers(0, 2**40))
def test_duration_format_round_trip(seconds: int) -> None:
    assert parse_duration(format_duration(seconds)) == seconds


@given(
    st.lists(
        st.tuples(st.integers(0, 100_000), st.sampled_from(sorted(SIZES))), min_size=1, max_size=5
    )
)
def test_size_terms_add_up(terms: list[tuple[int, str]]) -> None:
    text = " ".join(f"{n} {unit}" for n, unit in terms)
    assert parse_size(text) == sum(n * SIZES[unit] for n, unit in terms)


@given(st.integers(0, 2**62))
def test_size_format_round_trip(size: int) -> None:
    assert parse_size(format_size(size)) == size
