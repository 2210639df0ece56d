"""The emulators' fast console renderer writes exactly structlog's ConsoleRenderer line."""

from __future__ import annotations

from typing import Any

import structlog
from hypothesis import given
from hypothesis import strategies as st

from daemons.common.logging import FastConsoleRenderer

_values = st.one_of(
    st.text(max_size=12), st.integers(), st.floats(allow_nan=False), st.none(), st.booleans(),
    st.lists(st.text(max_size=4), max_size=3),
)
_keys = st.text(alphabet="abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=10).filter(
    lambda k: k not in ("stack", "exception", "exc_info")
)


@given(
    st.dictionaries(_keys, _values, max_size=6),
    st.sampled_from(["info", "warning", "error", "debug", "critical"]),
    st.text(max_size=40),
    st.booleans(),
)
def test_same_line_as_console_renderer(fields: dict[str, Any], level: str, event: str,
                                       stamp: bool) -> None:  # fmt: skip
    event_dict: dict[str, Any] = {**fields, "level": level, "event": event}
    if stamp:
        event_dict["timestamp"] = "2026-12-04T21:10:49.771104Z"
    want = structlog.dev.ConsoleRenderer(colors=False)(None, level, dict(event_dict))
    assert FastConsoleRenderer()(None, level, dict(event_dict)) == want


def test_tracebacks_go_to_the_full_renderer() -> None:
    try:
        raise ValueError("boom")
    except ValueError:
        import sys

        event = {"event": "connection.crashed", "level": "error", "exc_info": sys.exc_info()}
        line = FastConsoleRenderer()(None, "error", event)
    assert "connection.crashed" in line and "ValueError: boom" in line
