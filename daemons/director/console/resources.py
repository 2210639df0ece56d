"""``show`` and the dot commands that list resource names (``.clients``, ``.storages`` ...).

``show`` prints resources as the real Director does, in configuration syntax
or, under ``.api 2``, as ``{<group>: {<name>: {...}}}`` JSON, both from the
config package's :func:`~bareosnet.config.show.render`; ``verbose`` adds the
defaults and inherited values (comments in text) and the Director's internal
``*UserAgent*`` console.  The values the Director itself sets are passed in: a
Client's Catalog and the Director's Messages when unset, Enabled after
``enable``/``disable``.  Passwords appear only as ``"[md5]<hex>"``, and as
``"****************"`` for a console that may not run ``configure`` (as Bareos
hides them).  An emulator addition: a Client whose handshake mode is known
gets an extra comment line ``  # Handshake mode: <mode>`` before the closing
brace, and a ``handshake_mode`` key in JSON.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bareosnet.config.show import render, user_agent_console
from bareosnet.proto.policy import HandshakeMode
from daemons.director.console.args import Args
from daemons.director.console.registry import command
from daemons.director.jobs.run_text import run_config_text

if TYPE_CHECKING:
    from daemons.director.console.interfaces import CommandSession

# show keywords (prefix-matched) -> resource type, JSON group name; Bareos's order.
SHOW_TYPES: tuple[tuple[str, str], ...] = (
    ("directors", "director"),
    ("clients", "client"),
    ("jobs", "job"),
    ("jobdefs", "jobdefs"),
    ("storages", "storage"),
    ("catalogs", "catalog"),
    ("schedules", "schedule"),
    ("filesets", "fileset"),
    ("pools", "pool"),
    ("messages", "messages"),
    ("counters", "counter"),
    ("profiles", "profile"),
    ("consoles", "console"),
    ("users", "user"),
)
# "show all" goes by resource code (dird_conf.h), where JobDefs come before Jobs.
_ALL_ORDER = (SHOW_TYPES[0], SHOW_TYPES[1], SHOW_TYPES[3], SHOW_TYPES[2], *SHOW_TYPES[4:])
_ACL_KIND = {"client": "client", "storage": "storage", "job": "job", "jobdefs": "job",
             "schedule": "schedule", "pool": "pool", "fileset": "fileset",
             "catalog": "catalog"}  # fmt: skip


def client_mode(s: CommandSession, rtype: str, name: str) -> HandshakeMode | None:
    if rtype != "client":
        return None
    mode = s.rt.modes.get(name)
    return None if mode is HandshakeMode.UNDEFINED else mode


def _visible(s: CommandSession, rtype: str, res: Any) -> bool:
    kind = _ACL_KIND.get(rtype)
    return kind is None or s.allowed(kind, res.name)


def _show_type(word: str) -> tuple[str, str] | None:
    w = word.lower()
    for group, rtype in SHOW_TYPES:
        if group.startswith(w):
            return group, rtype
    return None


def _implied(s: CommandSession, rtype: str) -> dict[str, Any]:
    """What the Director fills in for an unset directive after loading (dird_conf.cc, reload.cc)."""
    kind = {"client": ("Catalog", "catalog"), "director": ("Messages", "messages")}.get(rtype)
    if kind is None:
        return {}
    first = s.rt.cfg.all(kind[1])
    return {kind[0]: first[0].name} if first else {}


def _current(s: CommandSession, rtype: str, name: str) -> dict[str, Any]:
    """Run-time changes Bareos makes to the resource itself (enable/disable)."""
    enabled = s.rt.enabled_overrides.get((rtype, name))
    return {} if enabled is None else {"Enabled": enabled}


async def _dump(s: CommandSession, group: str, rtype: str, res: Any, hide: bool,
                verbose: bool, internal: bool = False) -> None:  # fmt: skip
    shown = render(res, verbose=verbose, hide_passwords=hide, run_text=run_config_text,
                   internal=internal, implied=_implied(s, rtype),
                   current=_current(s, rtype, res.name),
                   marked=internal or (res.type, res.name) in s.rt.marked_resources)  # fmt: skip
    mode = client_mode(s, rtype, res.name)
    if s.out.json:
        obj = dict(shown.json)
        if mode is not None:
            obj["handshake_mode"] = mode.value
        s.out.result.setdefault(group, {})[res.name] = obj
        return
    # Packets as Bareos's formatter sends them: each nested block, the rest, the "}".
    *body, tail = shown.packets
    if mode is not None:
        body[-1] += f"  # Handshake mode: {mode.value}\n"
    for packet in (*body, tail):
        await s.out.text(packet)


@command(
    "show",
    help="print resources in configuration syntax (passwords as [md5] hashes)",
    usage="[<type>[=<name>] ...] [verbose] | all [verbose] | disabled [jobs|clients|schedules]"
    " | help",
    api='{<group>: {<name>: {<directive>: <value>, ..., "handshake_mode"?}}, ...}',
)
async def show(s: CommandSession, args: Args) -> bool:
    hide = not s.command_allowed("configure")
    verbose = args.has("verbose")
    rt = s.rt
    if args.has("help"):
        await s.out.text("Keywords for the show command are:\n")
        await s.out.text("".join(f"{group}\n" for group, _ in SHOW_TYPES))
        return True
    if len(args) == 1 or args.has("all"):
        for group, rtype in _ALL_ORDER:
            await _dump_all(s, group, rtype, hide, verbose)
        return True
    words = args.words[1:]
    for i, (key, value) in enumerate(words):
        if key.lower() == "verbose":
            continue
        if key.lower() == "disabled":
            which = words[i + 1][0].lower() if i + 1 < len(words) else ""
            await _show_disabled(s, which)
            return True
        found = _show_type(key)
        if found is None:
            await s.out.error(f"Resource {key} not found\n")
            return True
        group, rtype = found
        if value is None:
            if not rt.cfg.all(rtype) and rtype != "console":
                spec = rt.cfg.schema.resource(rtype)
                await s.out.text(f"No {spec.name if spec else rtype} resource defined\n")
            await _dump_all(s, group, rtype, hide, verbose)
            continue
        res = rt.cfg.get(rtype, value)
        if res is None or not _visible(s, rtype, res):
            await s.out.error(f"{group} resource {value} not found.\n")
            return True
        await _dump(s, group, rtype, res, hide, verbose)
    return True


async def _dump_all(s: CommandSession, group: str, rtype: str, hide: bool, verbose: bool) -> None:
    for res in s.rt.cfg.all(rtype):
        if _visible(s, rtype, res):
            await _dump(s, group, rtype, res, hide, verbose)
    if rtype == "console" and verbose:
        # The Director's own console is listed too, only with verbose and as comments.
        spec = s.rt.cfg.schema.resource("Console")
        if spec is not None:
            agent = user_agent_console(s.rt.cfg.own(), spec)
            await _dump(s, group, rtype, agent, hide, verbose, internal=True)


_DISABLED = (("jobs", "job", "Jobs"), ("clients", "client", "Clients"),
             ("schedules", "schedule", "Schedules"))  # fmt: skip


async def _show_disabled(s: CommandSession, which: str) -> None:
    """``show disabled [jobs|clients|schedules]``: the disabled ones the console may see."""
    chosen = [d for d in _DISABLED if d[0] == which] or list(_DISABLED)
    result: dict[str, list[str]] = {}
    for group, rtype, title in chosen:
        names = [r.name for r in s.rt.cfg.all(rtype)
                 if _visible(s, rtype, r) and not s.rt.is_enabled(rtype, r)]  # fmt: skip
        if names:
            await s.out.text(f"Disabled {title}:\n" + "".join(f"   {n}\n" for n in names))
        else:
            await s.out.text(f"No disabled {title}.\n")
        result[group] = names
    s.out.set("disabled", result)


async def _dot_list(s: CommandSession, args: Args, rtype: str, group: str) -> bool:
    want_enabled = args.has("enabled")
    want_disabled = args.has("disabled")
    items: list[dict[str, Any]] = []
    for res in s.rt.cfg.all(rtype):
        if not _visible(s, rtype, res):
            continue
        enabled = s.rt.is_enabled(rtype, res)
        if (want_enabled and not enabled) or (want_disabled and enabled):
            continue
        await s.out.text(f"{res.name}\n")
        entry: dict[str, Any] = {"name": res.name, "enabled": enabled}
        mode = client_mode(s, rtype, res.name)
        if mode is not None:
            entry["handshake_mode"] = mode.value
        items.append(entry)
    s.out.set(group, items)
    return True


@command(
    ".clients",
    help="list the Client names",
    usage="[enabled | disabled]",
    api='{"clients": [{"name", "enabled", "handshake_mode"?}, ...]}',
)
async def dot_clients(s: CommandSession, args: Args) -> bool:
    return await _dot_list(s, args, "client", "clients")


@command(
    ".storages",
    help="list the Storage names",
    usage="[enabled | disabled]",
    api='{"storages": [{"name", "enabled"}, ...]}',
)
async def dot_storages(s: CommandSession, args: Args) -> bool:
    return await _dot_list(s, args, "storage", "storages")


@command(".consoles", help="list the Console names", usage="", api='{"consoles": [{"name"}, ...]}')
async def dot_consoles(s: CommandSession, args: Args) -> bool:
    names = [c.name for c in s.rt.cfg.all("console")]
    for name in names:
        await s.out.text(f"{name}\n")
    s.out.set("consoles", [{"name": n} for n in names])
    return True
