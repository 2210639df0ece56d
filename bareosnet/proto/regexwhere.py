"""``regexwhere``: the restore command's file-name rewrites, and how the Director builds them.

A Restore job's ``regexwhere`` (Bareos ``lib/breg.cc``) is a comma-separated list of
``<sep>search<sep>replace<sep>[ig]`` expressions applied to every restored name; the
Director builds one from ``strip_prefix``/``add_prefix``/``add_suffix``
(``bregexp_build_where``).  The File daemon applies it, the Director checks it
("Cannot use your regexp.") and shows what it makes of a name.
"""

from __future__ import annotations

import re

import attrs

_STRIP_PREFIX = "!{}!!i"
_ADD_PREFIX = "!^!{}!"
_ADD_SUFFIX = "!([^/])$!$1{}!"


@attrs.frozen
class Rewrite:
    """One ``regexwhere`` expression: ``<sep>search<sep>replace<sep>[ig]``."""

    pattern: re.Pattern[str]
    replacement: str
    count: int  # 0 = every match ("g"), 1 = the first

    def apply(self, text: str) -> str:
        return self.pattern.sub(self._expand, text, count=self.count)

    def _expand(self, m: re.Match[str]) -> str:
        """Bareos ``EditSubst``: ``$N`` and ``\\N`` (one digit) are groups (empty when the
        group did not take part), ``$m`` the whole match; every other character is itself."""
        out: list[str] = []
        t, i = self.replacement, 0
        while i < len(t):
            ch = t[i]
            nxt = t[i + 1] if i + 1 < len(t) else ""
            if ch in "$\\" and nxt and nxt in "0123456789":
                n = int(nxt)
                out.append((m.group(n) or "") if n <= (m.re.groups or 0) else "")
                i += 2
            elif ch == "$" and nxt == "m":
                out.append(m.group(0))
                i += 2
            else:
                out.append(ch)
                i += 1
        return "".join(out)


def parse_regexwhere(text: str) -> tuple[Rewrite, ...]:
    """Bareos ``get_bregexps``: comma-separated expressions; raises ValueError."""
    out: list[Rewrite] = []
    i, n = 0, len(text)
    while i < n:
        sep = text[i]
        parts: list[str] = []
        j = i + 1
        current: list[str] = []
        while j < n and len(parts) < 2:
            ch = text[j]
            if ch == "\\" and j + 1 < n and text[j + 1] == sep:
                current.append(sep)
                j += 2
                continue
            if ch == sep:
                parts.append("".join(current))
                current = []
            else:
                current.append(ch)
            j += 1
        if len(parts) != 2:
            raise ValueError(f"bad regexwhere expression {text[i:]!r}")
        flags_end = text.find(",", j)
        flags_end = n if flags_end < 0 else flags_end
        options = text[j:flags_end]
        re_flags = re.IGNORECASE if "i" in options else 0
        replacement = parts[1]  # expanded per match as Bareos does (Rewrite._expand)
        try:
            pattern = re.compile(parts[0], re_flags)
        except re.error as exc:
            raise ValueError(f"bad regexwhere expression: {exc}") from None
        out.append(Rewrite(pattern, replacement, 0 if "g" in options else 1))
        i = flags_end + 1
    if not out:
        raise ValueError("empty regexwhere")
    return tuple(out)



def escape(text: str, sep: str = "!") -> str:
    """``bregexp_escape_string``: a backslash before the separator and before backslashes."""
    return "".join("\\" + ch if ch in (sep, "\\") else ch for ch in text)


def build_where(strip_prefix: str | None, add_prefix: str | None, add_suffix: str | None) -> str:
    """``bregexp_build_where``: strip, then suffix, then prefix, comma-separated."""
    parts = []
    if strip_prefix is not None:
        parts.append(_STRIP_PREFIX.format(escape(strip_prefix)))
    if add_suffix is not None:
        parts.append(_ADD_SUFFIX.format(escape(add_suffix)))
    if add_prefix is not None:
        parts.append(_ADD_PREFIX.format(escape(add_prefix)))
    return ",".join(parts)


def rewrite(name: str, rewrites: tuple[Rewrite, ...]) -> str:
    """Every expression in turn, as ``ApplyBregexps`` does."""
    for r in rewrites:
        name = r.apply(name)
    return name
