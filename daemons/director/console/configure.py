"""``configure add <type> name=<name> <directive>=<value> ...`` (ua_configure.cc).

As Bareos: every key must be a directive of the resource type, ``@`` and ``;`` are refused,
the resource is written in configuration syntax (canonical directive names, string-like
values quoted) to ``<config>/bareos-dir.d/<type>/<name>.conf`` and read into the running
configuration; a file the configuration refuses is removed again.  The answer is
``{"configure": {"add": {"resource", "name", "filename", "content"}}}``.

Not emulated: ``configure export`` and the File daemon resource Bareos also writes
(``bareos-dir-export/``) when a Client is added.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from bareosnet.config.schema import Kind
from bareosnet.errors import BareosError
from daemons.director.console.args import Args
from daemons.director.console.registry import command

if TYPE_CHECKING:
    from daemons.director.console.interfaces import CommandSession

CONFIGURE_USAGE = "add <resourcetype> <key1>=<value1> ... | export client=<clientname>"
_USAGE_TEXT = ("usage:\n  configure add <resourcetype> <key1>=<value1> ...\n"
               "  configure export client=<clientname>\n")  # fmt: skip
# Bareos quotes the values of these store types (config_add_directive's quotable_types).
_QUOTED = frozenset({Kind.NAME, Kind.STR, Kind.PATH, Kind.STRNAME, Kind.RES, Kind.MD5_PASSWORD,
                     Kind.CLEAR_PASSWORD, Kind.AUTO_PASSWORD, Kind.SHORT_RUNSCRIPT})  # fmt: skip


def _config_root(s: CommandSession) -> Path:
    """The directory holding ``bareos-dir.d`` (or ``bareos-dir.conf``)."""
    own = Path(s.rt.cfg.own().file)
    if own.parent.parent.name == "bareos-dir.d":
        return own.parent.parent.parent
    return own.parent


def resource_text(type_name: str, pairs: list[tuple[str, str, Kind]]) -> str:
    lines = [f"{type_name} {{"]
    for key, value, kind in pairs:
        shown = f'"{value}"' if kind in _QUOTED else value
        lines.append(f"  {key} = {shown}")
    return "\n".join(lines) + "\n}\n"


@command("configure", help="Configure director resources", usage=CONFIGURE_USAGE,
         api='{"configure": {"add": {"resource", "name", "filename", "content"}}}')  # fmt: skip
async def configure(s: CommandSession, args: Args) -> bool:
    out = s.out
    if len(args) < 3:
        await out.error(_USAGE_TEXT)
        return False
    sub = args.words[1][0].lower()
    if sub == "export":
        await out.error("configure export: not emulated.\n")
        return False
    if sub != "add":
        await out.error(f"invalid subcommand {args.words[1][0]}.\n")
        return False
    type_word, type_value = args.words[2]
    spec = s.rt.cfg.schema.resource(type_word)
    if spec is None:
        await out.error(f"invalid resource type {type_word}.\n")
        return False
    if spec.name == "Director":
        await out.error("Only one Director resource allowed.\n")
        return False
    name = type_value or ""
    pairs: list[tuple[str, str, Kind]] = []
    items = ([("name", type_value)] if type_value else []) + list(args.words[3:])
    for key, value in items:
        item = spec.item(key)
        if item is None:
            await out.error(f'Resource "{spec.name}" does not permit directive "{key}".\n')
            return False
        if value is None:
            await out.error(f'Missing value for directive "{key}"\n')
            return False
        for ch, what in (("@", "'@' (include)"), (";", "';' (end of directive)")):
            if ch in value:
                await out.error(f'Could not add directive "{key}": character {what} is '
                                "forbidden.\n")  # fmt: skip
                return False
        if item.kind is Kind.NAME:
            name = value
        pairs.append((item.name, value, item.kind))
    if not name:
        await out.error(f'Resource "{spec.name}": missing name parameter.\n')
        return False
    if s.rt.cfg.get(spec.name, name) is not None:
        await out.error(f'Resource "{spec.name}" with name "{name}" already exists.\n')
        return False
    path = _config_root(s) / "bareos-dir.d" / spec.name.lower() / f"{name}.conf"
    content = resource_text(spec.name, pairs)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content)
    except OSError:
        await out.error("failed to write config resource file\n")
        return False
    try:
        s.rt.load_added()
    except (BareosError, OSError, ValueError) as exc:
        path.unlink(missing_ok=True)
        await out.error(f"configure error: {exc}\n")
        await out.error(f'failed to create config resource "{name}"\n')
        return False
    await out.text(f'Created resource config file "{path}":\n')
    await out.text(content)
    out.set("configure", {"add": {"resource": spec.name, "name": name, "filename": str(path),
                                  "content": content}})  # fmt: skip
    return True
