"""Bootstrap (BSR) text: which records of which volumes a restore reads.

The Director writes it (``dird/bsr.cc``) and sends it to the Storage daemon
after ``bootstrap\\n``, one line per packet, then ``BNET_EOD``; the SD
answers ``3000 OK bootstrap``.  A restore of two files looks like::

    Storage="File"
    Volume="Full-0002"
    MediaType="File"
    Device="FileStorage"
    VolSessionId=1
    VolSessionTime=1795741908
    VolAddr=1538464-1539133
    FileIndex=1-2
    Count=2

Reading rules (``lib/parse_bsr.cc``): ``keyword=value`` per line, keywords
case-insensitive, values optionally in double quotes, ``#`` starts a comment
line.  ``Volume=`` starts a new entry once the current one has a volume;
``Storage=`` is informational (the Director uses it to pick the SD).  Range
keywords (``VolSessionId``, ``FileIndex``, ``VolAddr``, ``JobId``,
``VolFile``, ``VolBlock``) take ``n`` or ``n-m``, comma separated, and may
repeat; ``Count`` is the number of files to restore from this entry.
"""

from __future__ import annotations

from collections.abc import Iterable

import attrs

from bareosnet.errors import ProtocolError

_WS = " \t\n\v\f\r"


@attrs.frozen(order=True)
class IndexRange:
    """An inclusive range ``first-last`` (a single number has first == last)."""

    first: int
    last: int

    def __attrs_post_init__(self) -> None:
        if self.first < 0 or self.last < self.first:
            raise ValueError(f"bad range {self.first}-{self.last}")

    def __contains__(self, value: object) -> bool:
        return isinstance(value, int) and self.first <= value <= self.last

    def __str__(self) -> str:
        return str(self.first) if self.first == self.last else f"{self.first}-{self.last}"

    @classmethod
    def parse(cls, text: str) -> IndexRange:
        first, sep, last = text.strip().partition("-")
        try:
            a = int(first)
            b = int(last) if sep else a
            return cls(a, b)
        except ValueError:
            raise ProtocolError(f"bad range {text!r} in bootstrap") from None

    @classmethod
    def single(cls, value: int) -> IndexRange:
        return cls(value, value)


def _ranges(value: Iterable[IndexRange | int]) -> tuple[IndexRange, ...]:
    return tuple(v if isinstance(v, IndexRange) else IndexRange.single(v) for v in value)


def _in(ranges: tuple[IndexRange, ...], value: int) -> bool:
    return not ranges or any(value in r for r in ranges)


@attrs.frozen
class BootstrapEntry:
    """What to read from one volume (one ``Volume=`` section)."""

    volume: str
    media_type: str | None = None
    storage: str | None = None
    device: str | None = None
    slot: int | None = None
    vol_session_id: tuple[IndexRange, ...] = attrs.field(default=(), converter=_ranges)
    vol_session_time: int | None = None
    vol_addr: tuple[IndexRange, ...] = attrs.field(default=(), converter=_ranges)
    file_index: tuple[IndexRange, ...] = attrs.field(default=(), converter=_ranges)
    count: int | None = None
    job_id: tuple[IndexRange, ...] = attrs.field(default=(), converter=_ranges)
    vol_file: tuple[IndexRange, ...] = attrs.field(default=(), converter=_ranges)
    vol_block: tuple[IndexRange, ...] = attrs.field(default=(), converter=_ranges)
    job: str | None = None
    client: str | None = None
    file_regex: str | None = None

    def matches(self, vol_session_id: int, vol_session_time: int, file_index: int) -> bool:
        """Does this entry select the record? (Unset criteria select everything.)"""
        if self.vol_session_time is not None and vol_session_time != self.vol_session_time:
            return False
        return _in(self.vol_session_id, vol_session_id) and _in(self.file_index, file_index)

    def lines(self) -> list[str]:
        """The entry in the Director's order (``dird/bsr.cc``)."""
        out: list[str] = []
        if self.storage is not None:
            out.append(f'Storage="{self.storage}"')
        out.append(f'Volume="{self.volume}"')
        if self.media_type is not None:
            out.append(f'MediaType="{self.media_type}"')
        if self.file_regex is not None:
            out.append(f"FileRegex={self.file_regex}")
        if self.device is not None:
            out.append(f'Device="{self.device}"')
        if self.slot is not None:
            out.append(f"Slot={self.slot}")
        if self.job is not None:
            out.append(f"Job={self.job}")
        if self.client is not None:
            out.append(f"Client={self.client}")
        out += [f"JobId={r}" for r in self.job_id]
        out += [f"VolSessionId={r}" for r in self.vol_session_id]
        if self.vol_session_time is not None:
            out.append(f"VolSessionTime={self.vol_session_time}")
        out += [f"VolFile={r}" for r in self.vol_file]
        out += [f"VolBlock={r}" for r in self.vol_block]
        out += [f"VolAddr={r}" for r in self.vol_addr]
        out += [f"FileIndex={r}" for r in self.file_index]
        if self.count is not None:
            out.append(f"Count={self.count}")
        return out


_RANGE_KEYS = {
    "volsessionid": "vol_session_id",
    "voladdr": "vol_addr",
    "fileindex": "file_index",
    "jobid": "job_id",
    "volfile": "vol_file",
    "volblock": "vol_block",
}
_INT_KEYS = {"volsessiontime": "vol_session_time", "count": "count", "slot": "slot"}
_STR_KEYS = {
    "mediatype": "media_type",
    "device": "device",
    "job": "job",
    "client": "client",
    "fileregex": "file_regex",
}
# Understood by Bareos, carried nowhere here.
_IGNORED_KEYS = frozenset({"jobtype", "joblevel", "include", "exclude", "stream"})


def _value(raw: str) -> str:
    raw = raw.strip(_WS)
    if len(raw) >= 2 and raw[0] == raw[-1] == '"':
        return raw[1:-1]
    return raw


def _entries(value: Iterable[BootstrapEntry]) -> tuple[BootstrapEntry, ...]:
    return tuple(value)


@attrs.frozen
class Bootstrap:
    entries: tuple[BootstrapEntry, ...] = attrs.field(converter=_entries)

    def matches(self, vol_session_id: int, vol_session_time: int, file_index: int) -> bool:
        return any(e.matches(vol_session_id, vol_session_time, file_index) for e in self.entries)

    def to_text(self) -> str:
        return "".join(line + "\n" for e in self.entries for line in e.lines())

    def packets(self) -> list[bytes]:
        """One packet per line, each with its newline (send EOD after them)."""
        return [(line + "\n").encode("utf-8") for e in self.entries for line in e.lines()]

    @classmethod
    def parse(cls, text: str) -> Bootstrap:
        return cls.parse_lines(text.splitlines())

    @classmethod
    def parse_packets(cls, packets: Iterable[bytes]) -> Bootstrap:
        return cls.parse_lines(
            p.split(b"\0", 1)[0].decode("utf-8", "surrogateescape") for p in packets
        )

    @classmethod
    def parse_lines(cls, lines: Iterable[str]) -> Bootstrap:
        entries: list[BootstrapEntry] = []
        current: dict[str, object] = {}
        pending_storage: str | None = None

        def flush() -> None:
            if current:
                if "volume" not in current:
                    raise ProtocolError("bootstrap entry without Volume=")
                entries.append(BootstrapEntry(**current))  # type: ignore[arg-type]
                current.clear()

        for lineno, raw in enumerate(lines, start=1):
            line = raw.strip(_WS)
            if not line or line.startswith("#"):
                continue
            key, sep, raw_value = line.partition("=")
            if not sep:
                raise ProtocolError(f"bootstrap line {lineno}: expected keyword=value: {line!r}")
            key = key.strip(_WS).lower()
            value = _value(raw_value)
            if key == "storage":
                pending_storage = value
            elif key == "volume":
                if "volume" in current:
                    flush()
                current["volume"] = value
                if pending_storage is not None:
                    current["storage"] = pending_storage
                    pending_storage = None
            elif key in _RANGE_KEYS:
                name = _RANGE_KEYS[key]
                ranges = [IndexRange.parse(part) for part in value.split(",") if part.strip()]
                if not ranges:
                    raise ProtocolError(f"bootstrap line {lineno}: empty {key}")
                existing = current.get(name, ())
                current[name] = (*existing, *ranges)  # type: ignore[misc]
            elif key in _INT_KEYS:
                try:
                    current[_INT_KEYS[key]] = int(value)
                except ValueError:
                    raise ProtocolError(
                        f"bootstrap line {lineno}: {key} needs a number, got {value!r}"
                    ) from None
            elif key in _STR_KEYS:
                current[_STR_KEYS[key]] = value
            elif key in _IGNORED_KEYS:
                continue
            else:
                raise ProtocolError(f"bootstrap line {lineno}: unknown keyword {key!r}")
        flush()
        return cls(entries)
