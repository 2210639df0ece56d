"""Is a trace being recorded?  The emit points check this before doing any work.

A plain module flag: the per-packet trace events of a handshake cost a
classification and a log call each, so daemons without ``--trace`` skip them
(the one-line ``handshake.ok``/``failed`` events are logged either way).
"""

from __future__ import annotations

_enabled = False


def enable(on: bool = True) -> None:
    global _enabled
    _enabled = on


def enabled() -> bool:
    return _enabled
