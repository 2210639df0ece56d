"""Command tables built by registration answer exactly as Bareos's ordered tables do."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from daemons.common.command_registry import CommandRegistry
from daemons.common.commands import CommandEntry, CommandTable
from daemons.filedaemon.daemon import COMMANDS as FD_COMMANDS

# filed/dir_cmd.cc's cmds[] order (first prefix match wins).
FD_BAREOS_ORDER = (
    "accurate", "backup", "bootstrap", "cancel", "endrestore", "estimate", "fileset",
    "JobId=", "level = ", "pluginoptions", "RunBeforeNow", "Run", "restoreobject",
    "restore ", "resolve ", "getSecureEraseCmd", "setauthorization", "setbandwidth=",
    "setdebug=", "status", ".status", "storage ",
)  # fmt: skip
FD_MONITOR = {"status", ".status"}


def _in_order(table: CommandTable, order: tuple[str, ...]) -> CommandTable:
    by_prefix = {e.prefix: e for e in table.entries}
    return CommandTable(tuple(by_prefix[p] for p in order))


def _texts(order: tuple[str, ...]) -> list[str]:
    out = []
    for p in order:
        out += [p, p + "x", p + " Job=a", p[:-1], p.lower(), p.upper(), " " + p]
    return out


def _same_answer(table: CommandTable, reference: CommandTable, text: str) -> None:
    got, want = table.find(text), reference.find(text)
    assert (got and got.prefix, got and got.handler) == (want and want.prefix, want and want.handler)


def test_fd_table_holds_bareos_commands_with_their_monitor_access() -> None:
    assert sorted(e.prefix for e in FD_COMMANDS.entries) == sorted(FD_BAREOS_ORDER)
    assert {e.prefix for e in FD_COMMANDS.entries if e.monitor_access} == FD_MONITOR


def test_fd_table_answers_like_bareos_order() -> None:
    reference = _in_order(FD_COMMANDS, FD_BAREOS_ORDER)
    for text in _texts(FD_BAREOS_ORDER):
        _same_answer(FD_COMMANDS, reference, text)
    assert FD_COMMANDS.find("RunBeforeNow\n").prefix == "RunBeforeNow"  # type: ignore[union-attr]
    assert FD_COMMANDS.find("Run OnSuccess=1").prefix == "Run"  # type: ignore[union-attr]


@given(st.sampled_from(FD_BAREOS_ORDER), st.text(max_size=12))
def test_fd_table_answers_like_bareos_order_for_any_tail(prefix: str, tail: str) -> None:
    reference = _in_order(FD_COMMANDS, FD_BAREOS_ORDER)
    for cut in (len(prefix), max(1, len(prefix) - 3)):
        _same_answer(FD_COMMANDS, reference, prefix[:cut] + tail)


async def _a(s: object, text: str) -> bool:
    return True


async def _b(s: object, text: str) -> bool:
    return False


def test_registry_sorts_longest_prefix_first_whatever_the_import_order() -> None:
    registry: CommandRegistry[object] = CommandRegistry("test daemon")
    registry.command("Run")(_a)
    registry.command("RunBeforeNow", monitor_access=True)(_b)
    table = registry.table()
    assert [e.prefix for e in table.entries] == ["RunBeforeNow", "Run"]
    assert table.find("RunBeforeNow") == CommandEntry("RunBeforeNow", _b, monitor_access=True)
    assert table.find("Run x") == CommandEntry("Run", _a)


def test_registry_refuses_a_prefix_twice() -> None:
    registry: CommandRegistry[object] = CommandRegistry("test daemon")
    registry.command("status")(_a)
    registry.command("status")(_a)  # the same handler again (a re-import) is harmless
    with pytest.raises(ValueError, match="test daemon command 'status' is registered twice"):
        registry.command("status")(_b)
