"""The console command registry: every command declares its usage, ACL and .api shape; help reads it."""

from __future__ import annotations

import json

import pytest
import trio

from bareosnet.proto.signals import Signal
from daemons.director.console.commands import ALWAYS_ALLOWED, COMMANDS, lookup
from daemons.director.console.registry import BAREOS_KEYS, EMULATOR_KEYS, TABLE, CommandTable
from tests.daemons.test_director_units import _session, runtime

EMULATED = {
    ".", ".api", ".clients", ".consoles", ".help", ".messages", ".quit", ".status", ".storages",
    "autodisplay", "cancel", "exit", "help", "list", "llist", "messages", "quit", "restore",
    "reload", "run", "status", "show", "version", "wait", "whoami", "fault", "estimate",
    ".bvfs_update", ".bvfs_get_jobids", ".bvfs_lsdirs", ".bvfs_lsfiles", ".bvfs_versions",
    ".bvfs_restore", ".bvfs_cleanup", ".bvfs_clear_cache",
    ".jobs", ".jobdefs", ".filesets", ".pools", ".schedule", ".defaults", "use", "rerun",
    "disable", "enable", "time", "configure",
    "delete", "update", "label", "relabel", "move", "export", "import",
}  # fmt: skip


def test_every_registered_command_declares_usage_acl_and_api_shape() -> None:
    registered = [c for c in COMMANDS if c.emulated]
    assert {c.key for c in registered} == EMULATED
    for cmd in registered:
        assert cmd.help, cmd.key
        assert isinstance(cmd.usage, str), cmd.key  # "" for a command without arguments
        assert cmd.acl == cmd.key, cmd.key  # Bareos's Command ACL names the command key
        assert cmd.api, cmd.key
    # The ones with arguments say which (help <command> prints them under "Arguments:").
    for key in (
        ".api",
        ".status",
        "cancel",
        "list",
        "restore",
        "run",
        "show",
        "status",
        "wait",
        "fault",
        "estimate",
    ):
        assert lookup(key).usage, key  # type: ignore[union-attr]
    assert ALWAYS_ALLOWED == {"exit", "quit", "whoami"}


def test_table_keeps_bareos_order_whatever_the_registration_order() -> None:
    assert tuple(c.key for c in COMMANDS) == BAREOS_KEYS + EMULATOR_KEYS
    assert COMMANDS is TABLE.commands
    table = CommandTable(("status", "setdebug", "show"))

    @table.command("show", help="show", usage="", api="{}")
    async def show(s, args):  # type: ignore[no-untyped-def]
        return True

    assert [c.key for c in table.commands] == ["status", "setdebug", "show"]
    assert table.lookup("s").key == "status" and not table.lookup("s").emulated  # type: ignore[union-attr]
    assert table.lookup("sh").handler is show  # type: ignore[union-attr]
    assert table.lookup("x") is None and table.lookup("") is None


def test_registration_refuses_unknown_and_duplicate_keys() -> None:
    table = CommandTable(("status",))
    with pytest.raises(ValueError, match="not in the table order"):
        table.command("frobnicate", help="x", usage="", api="{}")
    table.command("status", help="x", usage="", api="{}")(lambda s, a: None)
    with pytest.raises(ValueError, match="registered twice"):
        table.command("status", help="y", usage="", api="{}")
    with pytest.raises(ValueError, match="duplicate"):
        CommandTable(("a", "a"))


async def test_help_and_dot_help_are_built_from_the_table() -> None:
    rt = runtime()
    async with trio.open_nursery() as nursery:
        c = await _session(rt, nursery)
        await c.cmd("help")
        got = await c.frames({Signal.EOD})
        listed = [p.decode().split()[0] for p in got[1:-1]]  # type: ignore[union-attr]
        assert listed == [c.key for c in COMMANDS if c.emulated and not c.key.startswith(".")]
        assert got[1 + listed.index("wait")] == b"  wait               " + (
            lookup("wait").help.encode() + b"\n"  # type: ignore[union-attr]
        )
        await c.cmd("help cancel")
        got = await c.frames({Signal.EOD})
        usage = lookup("cancel").usage  # type: ignore[union-attr]
        assert got[1] == f"Arguments:\n\t{usage}\n".encode()
        await c.cmd(".api 2")
        await c.frames({Signal.MAIN_PROMPT})
        await c.cmd(".help")
        got = await c.frames({Signal.MAIN_PROMPT})
        # DotHelpCmd's shape: one object per command, keyed by it (bareos-webui's login reads
        # result[".help"]["permission"]).
        result = json.loads(got[2])["result"]
        assert list(result) == [c.key for c in COMMANDS if c.emulated]
        assert result["wait"] == {
            "command": "wait",
            "description": lookup("wait").help,  # type: ignore[union-attr]
            "arguments": lookup("wait").usage,
            "permission": True,
        }  # type: ignore[union-attr]
        nursery.cancel_scope.cancel()


@pytest.mark.parametrize(
    "line", ["version", "whoami", ".clients", ".consoles", ".storages", "reload", ".api 2"]
)
async def test_declared_api_shape_names_the_result_keys(line: str) -> None:
    rt = runtime()
    async with trio.open_nursery() as nursery:
        c = await _session(rt, nursery)
        await c.cmd(".api 2")
        await c.frames({Signal.MAIN_PROMPT})
        await c.cmd(line)
        got = await c.frames({Signal.MAIN_PROMPT})
        result = json.loads(got[-2])["result"]
        shape = lookup(line.split()[0]).api  # type: ignore[union-attr]
        assert result and all(f'"{key}"' in shape for key in result), (shape, result)
        nursery.cancel_scope.cancel()
