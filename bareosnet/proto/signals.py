"""BSOCK signals: negative packet headers that carry no payload."""

from __future__ import annotations

from enum import IntEnum


class Signal(IntEnum):
    """Every signal Bareos defines, by its wire value."""

    EOD = -1
    EOD_POLL = -2
    STATUS = -3
    TERMINATE = -4
    POLL = -5
    HEARTBEAT = -6
    HB_RESPONSE = -7
    XXXXXXPROMPT = -8  # obsolete, kept so the numbering has no hole
    BTIME = -9
    BREAK = -10
    START_SELECT = -11
    END_SELECT = -12
    INVALID_CMD = -13
    CMD_FAILED = -14
    CMD_OK = -15
    CMD_BEGIN = -16
    MSGS_PENDING = -17
    MAIN_PROMPT = -18
    SELECT_INPUT = -19
    WARNING_MSG = -20
    ERROR_MSG = -21
    INFO_MSG = -22
    RUN_CMD = -23
    YESNO = -24
    START_RTREE = -25
    END_RTREE = -26
    SUB_PROMPT = -27
    TEXT_INPUT = -28


# Signals a reader skips wherever they appear (keep-alives).
KEEPALIVE_SIGNALS = frozenset({Signal.HEARTBEAT, Signal.HB_RESPONSE})
