"""Small console commands: .api, version, whoami, help, messages, autodisplay, reload, quit.

``help`` and ``.help`` are built from the registered table (:mod:`.registry`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import structlog

from daemons.common import texts
from daemons.director.console.args import Args
from daemons.director.console.output import ApiMode
from daemons.director.console.registry import TABLE, command

if TYPE_CHECKING:
    from daemons.director.console.interfaces import CommandSession

log = structlog.get_logger("bareosnet.director.console")

_TRUE = {"yes", "true", "1", "on"}


@command(".", help="no operation", usage="", api="{}")
async def noop(s: CommandSession, args: Args) -> bool:
    return True


@command(
    ".api",
    help="switch the API mode of this console",
    usage="[ 0 | 1 | 2 | off | on | json ] [compact=<yes|no>]",
    api='{"api": <mode 0|1|2>}',
)
async def api(s: CommandSession, args: Args) -> bool:
    """``.api [0|1|2|off|on|json] [compact=yes|no]``; prints ``api: N`` in the new mode.

    As in Bareos (DotApiCmd), JSON mode also sets batch mode and ``on``/``off`` clear it,
    while a bare ``.api`` leaves it as it was.
    """
    out = s.out
    if len(args) == 1:
        mode = ApiMode.ON
    elif len(args) in (2, 3):
        word = args.words[1][0].lower()
        if word in ("off", "0"):
            mode = ApiMode.OFF
            s.batch = False
        elif word in ("on", "1"):
            mode = ApiMode.ON
            s.batch = False
        elif word in ("json", "2"):
            mode = ApiMode.JSON
            s.batch = True
            if len(args) == 3 and args.find("compact") == 2 and args.words[2][1] is not None:
                out.compact = (args.words[2][1] or "").lower() in _TRUE
        else:
            return False
    else:
        return False
    out.api = mode
    await out.text(f"api: {int(mode)}\n")
    out.set("api", int(mode))
    return True


@command(
    "version",
    help="print the Director's version",
    usage="",
    api='{"version": {"name", "type", "version", "bdate", "operatingsystem", "distname", "distversion", "customversionid"}}',
)
async def version(s: CommandSession, args: Args) -> bool:
    rt = s.rt
    p = rt.persona
    os_info = texts.os_name()
    verid = rt.settings.ver_id
    await s.out.text(
        f"{rt.settings.name} Version: {texts.version(p)} ({texts.release_date(p)}) "
        f"{os_info} {texts.os_id()} {os_info} {verid}\n"
    )
    s.out.set(
        "version",
        {
            "name": rt.settings.name,
            "type": "bareos-director",
            "version": texts.version(p),
            "bdate": texts.release_date(p),
            "operatingsystem": os_info,
            "distname": texts.os_id(),
            "distversion": os_info,
            "customversionid": verid,
        },
    )
    return True


@command(
    "whoami",
    help="print the name this console is logged in as",
    usage="",
    api='{"whoami": <name>}',
    always_allowed=True,
)
async def whoami(s: CommandSession, args: Args) -> bool:
    name = s.acl.name if s.acl is not None else "root"
    await s.out.text(f"{name}\n")
    s.out.set("whoami", name)
    return True


@command(
    "help",
    help="list the commands with a short description",
    usage="[<command>]",
    api='{<key>: {"command", "description", "arguments", "permission"}, ...}',
)
async def help(s: CommandSession, args: Args) -> bool:
    out = s.out
    if len(args) == 2:
        wanted = args.words[1][0].lower()
        for cmd in TABLE.commands:
            if cmd.key == wanted:
                await out.text(f"  {cmd.key:<18} {cmd.help or '(not emulated)'}\n\n")
                if cmd.usage:
                    await out.text(f"Arguments:\n\t{cmd.usage}\n")
                out.set(cmd.key, {"command": cmd.key, "description": cmd.help,
                                  "arguments": cmd.usage,
                                  "permission": s.command_allowed(cmd.key)})  # fmt: skip
                return True
        await out.error(f"{args.words[1][0]}: no such command.\n")
        return False
    await out.text("  Command            Description\n  =======            ===========\n")
    for cmd in TABLE.commands:
        if cmd.key.startswith(".") or not cmd.emulated or not s.command_allowed(cmd.key):
            continue
        await out.text(f"  {cmd.key:<18} {cmd.help}\n")
        out.set(cmd.key, {"command": cmd.key, "description": cmd.help, "arguments": cmd.usage,
                          "permission": True})  # fmt: skip
    return True


@command(
    ".help",
    help="Print parsable information about a command",
    usage="[ all | item=cmd | full ]",
    api='{<key>: {"command", "description", "arguments", "permission"}, ...}',
)
async def dot_help(s: CommandSession, args: Args) -> bool:
    """Bareos's DotHelpCmd: one object per command, keyed by it (bareos-webui reads
    ``result[<key>]["permission"]`` at login); a command the emulator does not have is
    left out, as the real Director leaves out commands it does not have."""
    full = args.find("full") > 0
    if full and args.value("full") is not None:
        await s.out.error("The full option does not take a value.\n")
        return False
    item = args.value("item")
    plain = args.has("all")  # ordinary commands only
    for cmd in TABLE.commands:
        if not cmd.emulated:
            continue
        allowed = s.command_allowed(cmd.key)
        if item is not None:
            if cmd.key != item:
                continue
        elif not (full or allowed) or (plain and cmd.key.startswith(".")):
            continue
        await s.out.text(f"{cmd.key}\n" if plain else
                         f"{cmd.key} {cmd.help} -- {cmd.usage}\n")  # fmt: skip
        s.out.set(cmd.key, {"command": cmd.key, "description": cmd.help,
                            "arguments": cmd.usage, "permission": allowed})  # fmt: skip
        if item is not None:
            break
    return True


@command(
    "autodisplay", help="switch automatic display of queued messages", usage="on | off", api="{}"
)
async def autodisplay(s: CommandSession, args: Args) -> bool:
    for key, _ in args.words[1:]:
        if key.lower() == "on":
            s.auto_display = True
            return True
        if key.lower() == "off":
            s.auto_display = False
            return True
    await s.out.error("ON or OFF keyword missing.\n")
    return True


@command("messages", help="print and clear queued messages", usage="", api="{}")
async def messages(s: CommandSession, args: Args) -> bool:
    if s.rt.messages.pending and s.command_allowed("messages"):
        await s.show_messages()
    else:
        await s.out.text("You have no messages.\n")
    return True


@command(".messages", help="print queued messages, nothing when there are none", usage="", api="{}")
async def dot_messages(s: CommandSession, args: Args) -> bool:
    if s.rt.messages.pending and s.command_allowed(".messages"):
        await s.show_messages()
    return True


@command(
    "reload",
    help="read the configuration again (forgets the clients' handshake modes)",
    usage="",
    api='{"reload": {"success": <bool>}}',
)
async def reload(s: CommandSession, args: Args) -> bool:
    try:
        s.rt.reload()
        ok = True
    except Exception as exc:  # a broken config keeps the old one, as for SIGHUP
        log.error("reload.failed", reason=str(exc), requested_by="console")
        ok = False
    await s.out.text("reloaded\n" if ok else "failed to reload\n")
    s.out.set("reload", {"success": ok})
    return ok


@command(".quit", help="close this console connection", usage="", api="{}")
@command("exit", help="close this console connection", usage="", api="{}", always_allowed=True)
@command("quit", help="close this console connection", usage="", api="{}", always_allowed=True)
async def quit(s: CommandSession, args: Args) -> bool:
    s.quit = True
    return True
