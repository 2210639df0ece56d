"""``show`` and the dot commands that list resource names (``.clients``, ``.storages`` ...).

``show`` prints resources in configuration syntax through the config
package's :func:`show_resource`; passwords appear only as ``"[md5]<hex>"``,
and as ``"****************"`` for a console that may not run ``configure``
(as Bareos hides them).  A Client whose handshake mode is known gets an
extra comment line ``  # Handshake mode: <mode>`` before the closing brace,
and a ``handshake_mode`` key in JSON.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from bareosnet.proto.policy import HandshakeMode
from daemons.director.console.args import Args
from daemons.director.console.registry import command

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
_ACL_KIND = {"client": "client", "storage": "storage", "job": "job", "jobdefs": "job",
             "schedule": "schedule", "pool": "pool", "fileset": "fileset",
             "catalog": "catalog"}  # fmt: skip
HIDDEN_PASSWORD = "****************"
_PASSWORD_LINE = re.compile(r'^(\s*\w*Password = )"(.*)"$', re.MULTILINE)
_LINE = re.compile(r"^  (\w+) = (.*)$")


def _show_type(word: str) -> tuple[str, str] | None:
    w = word.lower()
    for group, rtype in SHOW_TYPES:
        if group.startswith(w):
            return group, rtype
    return None


def _render_text(res: Any) -> str:
    from bareosnet.config import show_resource

    return show_resource(res)


def _visible(s: CommandSession, rtype: str, res: Any) -> bool:
    kind = _ACL_KIND.get(rtype)
    return kind is None or s.allowed(kind, res.name)


def _json_value(text: str) -> Any:
    if len(text) >= 2 and text.startswith('"') and text.endswith('"'):
        return text[1:-1]
    if text in ("Yes", "No"):
        return text == "Yes"
    if re.fullmatch(r"-?\d+", text):
        return int(text)
    return text


def resource_json(text: str) -> dict[str, Any]:
    """The ``Key = value`` lines of a rendered resource as Bareos's JSON object."""
    obj: dict[str, Any] = {}
    for line in text.splitlines():
        m = _LINE.match(line)
        if m is None:
            continue
        key, value = m.group(1).lower(), _json_value(m.group(2).strip())
        if key in obj:
            prev = obj[key]
            obj[key] = [*prev, value] if isinstance(prev, list) else [prev, value]
        else:
            obj[key] = value
    return obj


def client_mode(s: CommandSession, rtype: str, name: str) -> HandshakeMode | None:
    if rtype != "client":
        return None
    mode = s.rt.modes.get(name)
    return None if mode is HandshakeMode.UNDEFINED else mode


async def _dump(s: CommandSession, group: str, rtype: str, res: Any, hide: bool) -> None:
    text = _render_text(res)
    if hide:
        text = _PASSWORD_LINE.sub(lambda m: f'{m.group(1)}"{HIDDEN_PASSWORD}"', text)
    mode = client_mode(s, rtype, res.name)
    if s.out.json:
        obj = resource_json(text)
        if mode is not None:
            obj["handshake_mode"] = mode.value
        s.out.result.setdefault(group, {})[res.name] = obj
        return
    # Bareos sends the body and the closing "}\n\n" as two packets.
    body, sep, tail = text.rpartition("}\n")
    if not sep:
        await s.out.text(text)
        return
    if mode is not None:
        body += f"  # Handshake mode: {mode.value}\n"
    await s.out.text(body)
    await s.out.text(sep + tail)


@command(
    "show",
    help="print resources in configuration syntax (passwords as [md5] hashes)",
    usage="clients | client=<name> | storages | storage=<name> | consoles | directors | all",
    api='{<group>: {<name>: {<directive>: <value>, ..., "handshake_mode"?}}, ...}',
)
async def show(s: CommandSession, args: Args) -> bool:
    hide = not s.command_allowed("configure")
    rt = s.rt
    if len(args) == 1 or args.has("all"):
        for group, rtype in SHOW_TYPES:
            for res in rt.cfg.all(rtype):
                if _visible(s, rtype, res):
                    await _dump(s, group, rtype, res, hide)
        return True
    for key, value in args.words[1:]:
        if key.lower() == "verbose":
            continue
        if key.lower() == "disabled":
            await s.out.error("show disabled: not emulated.\n")
            return False
        found = _show_type(key)
        if found is None:
            await s.out.error(f"Resource {key} not found\n")
            return True
        group, rtype = found
        if value is None:
            for res in rt.cfg.all(rtype):
                if _visible(s, rtype, res):
                    await _dump(s, group, rtype, res, hide)
            continue
        res = rt.cfg.get(rtype, value)
        if res is None or not _visible(s, rtype, res):
            await s.out.error(f"{group} resource {value} not found.\n")
            return True
        await _dump(s, group, rtype, res, hide)
    return True


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
