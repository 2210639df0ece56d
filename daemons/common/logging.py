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
        processors += [structlog.dev.ConsoleRenderer(colors=False)]
    structlog.configure(
        processors=processors,
        wrapper_class=structlog.make_filtering_bound_logger(level),
        logger_factory=structlog.PrintLoggerFactory(stream or sys.stderr),
        cache_logger_on_first_use=False,
    )
