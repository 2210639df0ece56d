"""structlog setup shared by the three emulators.

``console`` renders one readable line per event, ``json`` one JSON object per
line.  ``-d N`` maps Bareos-style debug levels onto log levels: 0 shows info
and above, anything higher shows debug lines too.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

import structlog

# Keys whose values must never reach a log line, whatever a caller passes.
_SECRET_KEYS = frozenset({"password", "psk", "key", "session_key", "auth_key", "authorization"})


def _redact(_logger: Any, _name: str, event: dict[str, Any]) -> dict[str, Any]:
    for k in list(event):
        if k.lower() in _SECRET_KEYS:
            event[k] = "***"
    return event


_LEVEL_WIDTH = len("exception")  # ConsoleRenderer pads levels to its longest level name
_EVENT_WIDTH = 30  # ConsoleRenderer's default pad_event_to
_QUOTE_IF = frozenset(" \t=\r\n\"'")


def _value(val: Any) -> str:
    # ConsoleRenderer's rule: plain strings bare unless they hold a separator.
    if isinstance(val, str) and not (_QUOTE_IF & set(val)):
        return val
    return repr(val)


class FastConsoleRenderer:
    """ConsoleRenderer(colors=False)'s exact line, built in one pass.

    Every accepted connection logs at info level, and the stock renderer
    (column objects, a StringIO per field) was ~10% of a login's CPU.  Events
    carrying a traceback or stack go to the stock renderer unchanged.
    """

    def __init__(self) -> None:
        self._full = structlog.dev.ConsoleRenderer(colors=False)

    def __call__(self, logger: Any, name: str, event: dict[str, Any]) -> str:
        if "exc_info" in event or "exception" in event or "stack" in event:
            return self._full(logger, name, event)
        parts = []
        ts = event.pop("timestamp", None)
        if ts is not None:
            parts.append(str(ts))
        level = event.pop("level", None)
        if level is not None:
            parts.append(f"[{str(level).ljust(_LEVEL_WIDTH)}]")
        text = event.pop("event", None)
        if text is not None:
            parts.append(str(text).ljust(_EVENT_WIDTH))
        for key in ("logger", "logger_name"):
            if key in event:
                parts.append(f"[{event.pop(key)}]")
        parts += [f"{k}={_value(event[k])}" for k in sorted(event)]
        return " ".join(p for p in parts if p).rstrip(" ")


def configure(log_format: str = "console", debug_level: int = 0, stream: Any = None) -> None:
    level = logging.DEBUG if debug_level > 0 else logging.INFO
    processors: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        _redact,
    ]
    if log_format == "json":
        processors += [structlog.processors.format_exc_info, structlog.processors.JSONRenderer()]
    else:
        processors += [FastConsoleRenderer()]
    structlog.configure(
        processors=processors,
        wrapper_class=structlog.make_filtering_bound_logger(level),
        # One write per line (message + newline): lines of --workers processes sharing
        # one pipe must not interleave (print() writes the newline separately).
        logger_factory=structlog.WriteLoggerFactory(stream or sys.stderr),
        cache_logger_on_first_use=False,
    )
