"""Split a console command line the way the Director does (``key=value`` words, quotes)."""

from __future__ import annotations

import attrs


@attrs.frozen
class Args:
    """``argk``/``argv`` of a command line: ``status client=bareos-fd`` ->
    ``[("status", None), ("client", "bareos-fd")]``."""

    words: tuple[tuple[str, str | None], ...]
    line: str = ""

    @property
    def command(self) -> str:
        return self.words[0][0] if self.words else ""

    def __len__(self) -> int:
        return len(self.words)

    def find(self, key: str) -> int:
        """Index of the first word whose key equals ``key`` (case-insensitive), else -1."""
        k = key.lower()
        for i, (argk, _) in enumerate(self.words):
            if argk.lower() == k:
                return i
        return -1

    def value(self, *keys: str) -> str | None:
        """The value of the first ``key=value`` among ``keys`` (in word order)."""
        wanted = {k.lower() for k in keys}
        for argk, argv in self.words[1:]:
            if argk.lower() in wanted and argv is not None:
                return argv
        return None

    def has(self, key: str) -> bool:
        return self.find(key) > 0


def parse_args(line: str) -> Args:
    """Words separated by blanks; ``"..."`` groups blanks; ``\\x`` is ``x`` (quotes, blanks,
    backslashes: bareos-webui ``addslashes`` file names); ``key=value`` splits at the first ``=``."""
    words: list[tuple[str, str | None]] = []
    token: list[str] = []
    in_quotes = False
    started = False
    escaped = False
    for ch in line.strip().rstrip("\n"):
        if escaped:  # Bareos's next_arg: a backslash takes the next character as is
            token.append(ch)
            started, escaped = True, False
            continue
        if ch == "\\":
            escaped = started = True
            continue
        if ch == '"':
            in_quotes = not in_quotes
            started = True
            continue
        if ch in " \t" and not in_quotes:
            if started:
                words.append(_split("".join(token)))
                token, started = [], False
            continue
        token.append(ch)
        started = True
    if started:
        words.append(_split("".join(token)))
    return Args(tuple(words), line)


def _split(token: str) -> tuple[str, str | None]:
    key, sep, value = token.partition("=")
    return (key, value) if sep else (token, None)
