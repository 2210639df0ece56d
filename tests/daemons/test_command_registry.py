"""Command tables built by registration answer exactly as Bareos's ordered tables do."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from daemons.common.command_registry import CommandRegistry
from daemons.common.commands import CommandEntry, CommandTable
from daemons.filedaemon.daemon import COMMANDS as FD_COMMANDS
from daemons.storage import datasession
from daemons.storage.daemon import COMMANDS as SD_COMMANDS

# filed/dir_cmd.cc's cmds[] order (first prefix match wins).
FD_BAREOS_ORDER = (
    "accurate", "backup", "bootstrap", "cancel", "endrestore", "estimate", "fileset",
    "JobId=", "level = ", "pluginoptions", "RunBeforeNow", "Run", "restoreobject",
    "restore ", "resolve ", "getSecureEraseCmd", "setauthorization", "setbandwidth=",
    "setdebug=", "status", ".status", "storage ", "verify",
)  # fmt: skip
# stored/dir_cmd.cc's cmds[] order.
SD_BAREOS_ORDER = (
    "autochanger", "bootstrap", "cancel", "JobId=", "label", "listen", "mount", "passive",
    "pluginoptions", "relabel", "resolve", "replicate", "run", "getSecureEraseCmd", "setdebug=",
    "status", ".status", "use storage=",
)  # fmt: skip
# stored/fd_cmds.cc (the File daemon's data session) and sd_cmds.cc (replication).
SD_FD_DATA_ORDER = (
    "append open", "append data", "append end", "append close", "read open", "read data",
    "read close",
)  # fmt: skip
SD_SD_DATA_ORDER = ("start replicate", "replicate data", "end replicate")
TABLES = {
    "fd": (FD_COMMANDS, FD_BAREOS_ORDER),
    "sd": (SD_COMMANDS, SD_BAREOS_ORDER),
    "sd-fd-data": (datasession.FD_COMMANDS, SD_FD_DATA_ORDER),
    "sd-sd-data": (datasession.SD_COMMANDS, SD_SD_DATA_ORDER),
}


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


@pytest.mark.parametrize("name", TABLES)
def test_table_holds_exactly_bareos_commands(name: str) -> None:
    table, order = TABLES[name]
    assert sorted(e.prefix for e in table.entries) == sorted(order)


def test_only_status_commands_are_open_to_monitors() -> None:
    assert {e.prefix for e in FD_COMMANDS.entries if e.monitor_access} == {"status", ".status"}
    assert {e.prefix for e in SD_COMMANDS.entries if e.monitor_access} == {"status", ".status"}


@pytest.mark.parametrize("name", TABLES)
def test_table_answers_like_bareos_order(name: str) -> None:
    table, order = TABLES[name]
    reference = _in_order(table, order)
    for text in _texts(order):
        _same_answer(table, reference, text)


def test_fd_run_commands_do_not_hide_each_other() -> None:
    assert FD_COMMANDS.find("RunBeforeNow\n").prefix == "RunBeforeNow"  # type: ignore[union-attr]
    assert FD_COMMANDS.find("Run OnSuccess=1").prefix == "Run"  # type: ignore[union-attr]
    assert SD_COMMANDS.find("resolve host").prefix == "resolve"  # type: ignore[union-attr]
    close = datasession.FD_COMMANDS.find("read close session 1")
    assert close is not None and close.handler is datasession.session_close


@given(
    st.sampled_from([(n, p) for n, (_t, order) in TABLES.items() for p in order]),
    st.text(max_size=12),
)
def test_table_answers_like_bareos_order_for_any_tail(named: tuple[str, str], tail: str) -> None:
    name, prefix = named
    table, order = TABLES[name]
    reference = _in_order(table, order)
    for cut in (len(prefix), max(1, len(prefix) - 3)):
        _same_answer(table, reference, prefix[:cut] + tail)


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
