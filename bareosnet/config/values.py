"""Scalar value syntax of Bareos configuration files.

These follow ``core/src/lib/edit.cc`` and ``core/src/lib/bool_string.h``:

* durations are a sequence of ``<number>[<modifier>]``; a modifier matches a
  unit when it is a (case-insensitive) *prefix* of the unit name, trying the
  units in the order ``n`` (minutes), ``seconds``, ``months``, ``minutes``,
  ``mins``, ``hours``, ``days``, ``weeks``, ``quarters``, ``years`` - so ``m``
  is a month, ``min`` a minute, ``s`` a second, and ``secs`` is *not* a unit;
* sizes use ``k m g t p e`` (powers of 1024) and ``kb mb gb tb pb eb``
  (powers of 1000), speeds ``k/s kb/s m/s mb/s``;
* numbers are C ``strtod`` numbers, so ``1.5 days`` works; each term is
  truncated to an integer as Bareos does;
* only spaces, CR and LF may follow the last term.

All functions raise :class:`ValueError` on bad input; the parser turns that
into a :class:`~bareosnet.errors.ConfigError` with file and line.
"""

from __future__ import annotations

import re

# A C strtod() decimal number (no hex/inf/nan: the lexer never hands those to us
# in a form Bareos would accept as a duration or size).
_NUMBER = re.compile(r"[ \t\n\r\f\v]*([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)")

_DURATION_UNITS: tuple[tuple[str, int], ...] = (
    ("n", 60),
    ("seconds", 1),
    ("months", 60 * 60 * 24 * 30),
    ("minutes", 60),
    ("mins", 60),
    ("hours", 3600),
    ("days", 3600 * 24),
    ("weeks", 3600 * 24 * 7),
    ("quarters", 3600 * 24 * 91),
    ("years", 3600 * 24 * 365),
)

_SIZE_UNITS: tuple[tuple[str, int], ...] = (
    ("*", 1),
    ("k", 1024),
    ("kb", 1000),
    ("m", 1024**2),
    ("mb", 1000**2),
    ("g", 1024**3),
    ("gb", 1000**3),
    ("t", 1024**4),
    ("tb", 1000**4),
    ("p", 1024**5),
    ("pb", 1000**5),
    ("e", 1024**6),
    ("eb", 1000**6),
)

_SPEED_UNITS: tuple[tuple[str, int], ...] = (
    ("*", 1),
    ("k/s", 1024),
    ("kb/s", 1000),
    ("m/s", 1024**2),
    ("mb/s", 1000**2),
)

_JUNK = frozenset("\n\r ")
_DIGITS_OR_SPACE = frozenset("0123456789 \t\n\r\f\v")
_MAX_U64 = 2**64 - 1


def _parse_with_units(text: str, units: tuple[tuple[str, int], ...], what: str) -> int:
    total = 0
    rest = text
    while rest:
        m = _NUMBER.match(rest)
        if m is None:
            break
        number = float(m.group(1))
        after = rest[m.end() :].lstrip(" \t\n\r\f\v")
        end = 0
        while end < len(after) and after[end] not in _DIGITS_OR_SPACE:
            end += 1
        modifier, tail = after[:end], after[end:]
        if not modifier:
            scaled = number
        else:
            for unit, mult in units:
                # Bareos: strncasecmp(modifier, unit, len(modifier)) == 0
                if unit[: len(modifier)].lower() == modifier.lower() and len(modifier) <= len(unit):
                    scaled = number * mult
                    break
            else:
                break
        if scaled < 0 or scaled != scaled or scaled >= 2**64:
            raise ValueError(f"expected a {what}, got: {text}")
        total += int(scaled)
        rest = tail
    if not all(c in _JUNK for c in rest):
        raise ValueError(f"expected a {what}, got: {text}")
    if total > _MAX_U64:
        raise ValueError(f"expected a {what}, got: {text}")
    return total


def parse_duration(text: str) -> int:
    """Duration in seconds (``DurationToUtime``): ``"1 min 30 sec"`` -> 90."""
    return _parse_with_units(text, _DURATION_UNITS, "time period")


def parse_size(text: str) -> int:
    """Size in bytes (``size_to_uint64``): ``"10k"`` -> 10240, ``"10kb"`` -> 10000."""
    return _parse_with_units(text, _SIZE_UNITS, "size number")


def parse_speed(text: str) -> int:
    """Speed in bytes per second (``speed_to_uint64``): ``"1 m/s"`` -> 1048576."""
    return _parse_with_units(text, _SPEED_UNITS, "speed number")


def parse_bool(text: str) -> tuple[bool, bool]:
    """``(value, deprecated)`` for yes/no (and the deprecated true/false/1/0)."""
    low = text.lower()
    if low == "yes":
        return True, False
    if low == "no":
        return False, False
    if low in ("true", "1"):
        return True, True
    if low in ("false", "0"):
        return False, True
    raise ValueError(f"Expect YES or NO, got: {text}")


def is_a_number(text: str) -> bool:
    """Bareos ``Is_a_number``: optional sign, digits, optional fraction/exponent."""
    return re.fullmatch(r"[+-]?\d+(?:\.\d*)?(?:[eE][+-]?\d+)?", text) is not None


def parse_int(text: str, *, bits: int, signed: bool) -> int:
    """Integer directive value (lexer ``scan_pint``/``BCT_INT*`` rules)."""
    if not is_a_number(text):
        kind = "an integer" if signed else "a positive integer"
        raise ValueError(f"expected {kind} number, got: {text}")
    # str_to_int64 reads the leading digits only (a fraction is ignored).
    m = re.match(r"([+-]?)(\d+)", text)
    assert m is not None
    value = int(m.group(2)) * (-1 if m.group(1) == "-" else 1)
    if signed:
        lo, hi = -(2 ** (bits - 1)), 2 ** (bits - 1) - 1
        if not lo <= value <= hi:
            raise ValueError(f"expected an integer number, got: {text}")
    else:
        if value < 0 or value >= 2**63:
            raise ValueError(f"expected a positive integer number, got: {text}")
        value &= 2**bits - 1  # Bareos truncates silently (scan_pint & 0xffffffff)
    return value


_NAME_EXTRA = frozenset(":.-_/ ")
_ACL_EXTRA = frozenset("!()[]|+?*.:_-'/")
MAX_NAME_LENGTH = 128  # including the terminating NUL in Bareos


def _ascii_alnum(c: str) -> bool:
    return c.isascii() and c.isalnum()


def check_name(name: str) -> None:
    """Bareos ``IsNameValid``: letters, digits and ``:.-_/`` and inner spaces, < 128 chars."""
    if not name:
        raise ValueError("Name must be at least one character long.")
    if name[0] == " ":
        raise ValueError("Name cannot start with space.")
    for c in name:
        if not (_ascii_alnum(c) or c in _NAME_EXTRA):
            raise ValueError(f'Illegal character "{c}" in name.')
    if len(name.encode("utf-8", "surrogateescape")) >= MAX_NAME_LENGTH:
        raise ValueError("Name too long.")
    if name[-1] == " ":
        raise ValueError("Name cannot end with space.")


def check_acl_entry(entry: str) -> None:
    """Bareos ``IsAclEntryValid``."""
    for c in entry:
        if not (_ascii_alnum(c) or c in _ACL_EXTRA):
            raise ValueError(f'Illegal character "{c}" in acl.')
    if len(entry) >= MAX_NAME_LENGTH:
        raise ValueError("Acl too long.")
    if not entry:
        raise ValueError("Acl must be at least one character long.")


def format_duration(seconds: int) -> str:
    """How ``show`` prints a time value (``PrintConfigTime``): ``"1 days 2 hours "``."""
    if seconds == 0:
        return "0"
    parts = []
    for unit, mult in (
        ("years", 60 * 60 * 24 * 365),
        ("months", 60 * 60 * 24 * 30),
        ("weeks", 60 * 60 * 24 * 7),
        ("days", 60 * 60 * 24),
        ("hours", 60 * 60),
        ("minutes", 60),
        ("seconds", 1),
    ):
        factor, seconds = divmod(seconds, mult)
        if factor > 0:
            parts.append(f"{factor} {unit} ")
        if seconds == 0:
            break
    return "".join(parts)


def format_size(value: int) -> str:
    """How ``show`` prints a size (``SizeAsSiPrefixFormat``): ``"1 g 512 m"``."""
    if value == 0:
        return "0"
    parts = []
    for suffix, mult in (
        (" e", 1024**6),
        (" p", 1024**5),
        (" t", 1024**4),
        (" g", 1024**3),
        (" m", 1024**2),
        (" k", 1024),
        ("", 1),
    ):
        if value <= 0:
            break
        factor, value = divmod(value, mult)
        if factor > 0:
            parts.append(f"{factor}{suffix}")
    return " ".join(parts)
