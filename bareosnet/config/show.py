"""Render a resource in configuration syntax, the way the Director's ``show`` does.

Bareos prints, in the order of its item table, every directive that is
required or whose value differs from the default, using the directive's
canonical name (``TlsEnable``, ``MaximumConcurrentJobs``): strings and
resource names quoted, numbers and enum keywords bare, booleans ``Yes``/``No``,
passwords ``"[md5]<hex>"``, durations like ``1 days 2 hours `` and sizes like
``1 g 512 m``, a daemon's own listen address as an ``Addresses = { ipv4 = {
addr = ...; port = ... } }`` block.  The text ends with ``}`` and a blank
line, as on the wire.

Values inherited from a JobDefs are not shown (Bareos shows them only with
``show ... verbose``).  FileSet, RunScript, Schedule ``Run`` and ``Addresses``
blocks are rendered in Bareos's layout but not byte-for-byte for every option.
"""

from __future__ import annotations

from typing import Any

from bareosnet.config.model import (
    Address,
    FileOptions,
    IncludeExclude,
    MessageDestination,
    Resource,
    RunScript,
    RunSpec,
)
from bareosnet.config.password import Password
from bareosnet.config.schema import ItemSpec, Kind, default_for
from bareosnet.config.values import format_duration, format_size

_INDENT = "  "
_BARE = frozenset(
    {Kind.INT16, Kind.PINT16, Kind.INT32, Kind.PINT32, Kind.INT64, Kind.SPEED, Kind.PORT, Kind.ENUM}
)
_ONE_PER_LINE = frozenset({Kind.STR_LIST, Kind.PATH_LIST, Kind.RES_LIST, Kind.PLUGIN_NAMES})
_ONE_LINE = frozenset({Kind.ACL, Kind.AUDIT, Kind.DEVICE_LIST, Kind.ENUM_FLAGS})

# Message types in Bareos's table order (generic_res.h), without "all".
_MESSAGE_TYPES = (
    "debug abort fatal error warning info saved notsaved skipped mount Terminate restored "
    "security alert volmgmt audit"
).split()


def show_resource(res: Resource) -> str:
    """``show <type>=<name>`` output for one resource."""
    lines = [f"{res.type} {{"]
    for item in res.spec.items:
        if item.kind in (Kind.ADDRESS, Kind.PORT):
            continue  # Bareos prints the listen address list instead (below)
        if item.name == "Addresses" and item.kind is Kind.ADDRESSES:
            if any(k in res._values for k in ("Address", "Port", "Addresses")):
                lines.extend(_render_listen_addresses(res))
            continue
        if item.name not in res._values:
            continue
        value = res._values[item.name]
        if not item.required and _is_default(item, value, res.persona):
            continue
        lines.extend(_render(item, value))
    lines.append("}")
    return "\n".join(lines) + "\n\n"


def _is_default(item: ItemSpec, value: Any, persona: str) -> bool:
    default = default_for(item, persona)
    if item.accumulates:
        return not value or (default is not None and tuple(value) == tuple(default))
    return value == default


def _quote(text: str) -> str:
    return f'"{text}"'


def _render(item: ItemSpec, value: Any) -> list[str]:
    key = item.name
    pre = _INDENT + key + " = "
    kind = item.kind
    if isinstance(value, Password):
        return [pre + _quote(value.config_value)]
    if kind is Kind.BOOL:
        return [pre + ("Yes" if value else "No")]
    if kind is Kind.TIME:
        return [pre + format_duration(value)]
    if kind in (Kind.SIZE32, Kind.SIZE64, Kind.MAX_BLOCK_SIZE):
        return [pre + format_size(value)]
    if kind in _BARE:
        return [pre + str(value)]
    if kind in _ONE_PER_LINE:
        return [pre + _quote(v) for v in value]
    if kind in _ONE_LINE:
        quoted = kind is not Kind.ENUM_FLAGS
        return [pre + ", ".join(_quote(v) if quoted else v for v in value)]
    if kind is Kind.MSG_DEST:
        return [_render_message_destination(d) for d in value]
    if kind is Kind.INCLUDE_EXCLUDE:
        out: list[str] = []
        for block in value:
            out.extend(_render_include_exclude(block))
        return out
    if kind in (Kind.RUNSCRIPT, Kind.SHORT_RUNSCRIPT):
        out = []
        for script in value:
            out.extend(_render_runscript(script))
        return out
    if kind is Kind.RUN:
        return [pre + run.text for run in value if isinstance(run, RunSpec)]
    if kind is Kind.ADDRESSES:
        return _render_addresses(key, value)
    return [pre + _quote(str(value))]


def _render_message_destination(dest: MessageDestination) -> str:
    selected: set[str] = set()
    for t in dest.types:
        name = t.lstrip("!").lower()
        names = [m.lower() for m in _MESSAGE_TYPES] if name == "all" else [name]
        if t.startswith("!"):
            selected.difference_update(names)
        else:
            selected.update(names)
    chosen = [m for m in _MESSAGE_TYPES if m.lower() in selected]
    others = [m for m in _MESSAGE_TYPES if m.lower() not in selected]
    if len(chosen) > len(others):
        what = ",".join(["all", *("!" + m for m in others)])
    else:
        what = ",".join(chosen)
    text = _INDENT + dest.kind.lower()
    if dest.where:
        text += " = " + dest.where
    return text + " = " + what


def _render_options(opts: FileOptions) -> list[str]:
    pad = _INDENT * 3
    out = [_INDENT * 2 + "Options {"]
    for key, values in opts.values.items():
        for v in values:
            out.append(f"{pad}{key} = {v}")
    out.append(_INDENT * 2 + "}")
    return out


def _render_include_exclude(block: IncludeExclude) -> list[str]:
    out = [_INDENT + block.kind + " {"]
    for opts in block.options:
        if opts.values:
            out.extend(_render_options(opts))
    for f in block.files:
        out.append(_INDENT * 2 + "File = " + _quote(f))
    for p in block.plugins:
        out.append(_INDENT * 2 + "Plugin = " + _quote(p))
    for d in block.exclude_dir_containing:
        out.append(_INDENT * 2 + "Exclude Dir Containing = " + _quote(d))
    out.append(_INDENT + "}")
    return out


def _render_runscript(script: RunScript) -> list[str]:
    if script.short_form:
        return [f"{_INDENT}{script.short_form} = " + _quote(script.commands[0][1])]
    out = [_INDENT + "RunScript {"]
    for key, val in script.settings.items():
        shown = ("Yes" if val else "No") if isinstance(val, bool) else _quote(val)
        out.append(f"{_INDENT * 2}{key} = {shown}")
    for kind, command in script.commands:
        out.append(f"{_INDENT * 2}{kind} = " + _quote(command))
    out.append(_INDENT + "}")
    return out


def _render_listen_addresses(res: Resource) -> list[str]:
    out = [_INDENT + "Addresses = {"]
    for host, port in res.listen_addresses():
        addr = host if host is not None else "0.0.0.0"
        family = "ipv6" if ":" in addr else "ipv4"
        out.append(f"{_INDENT * 2}{family} = {{")
        out.append(f"{_INDENT * 3}addr = {addr}")
        out.append(f"{_INDENT * 3}port = {port}")
        out.append(_INDENT * 2 + "}")
    out.append(_INDENT + "}")
    return out


def _render_addresses(key: str, addrs: tuple[Address, ...]) -> list[str]:
    out = [f"{_INDENT}{key} = {{"]
    for a in addrs:
        parts = []
        if a.addr is not None:
            parts.append(f"addr = {a.addr}")
        if a.port is not None:
            parts.append(f"port = {a.port}")
        out.append(f"{_INDENT * 2}{a.family} = {{ " + "; ".join(parts) + " }")
    out.append(_INDENT + "}")
    return out
