"""Render a resource the way the Director's ``show`` does: config text and ``.api 2`` JSON.

Bareos walks a resource's item table once and hands every directive to an
output formatter that writes either config syntax or JSON; this module does
the same walk (:class:`_Printer` plays the formatter) so the two forms always
agree.  What is printed, per directive in table order:

* without ``verbose``: the directives written in the resource itself, unless
  written with their default value (required ones always);
* with ``verbose``: also everything not written (defaults, what a Job got from
  its JobDefs, what the Director filled in such as a Client's Catalog) as a
  comment (``  # Priority = 10``) in text and as an ordinary key in JSON;
  deprecated directives at their default stay out.  Bareos gets this by
  marking every directive "inherited" when it creates a resource and
  unmarking the ones the config writes.

Text: canonical names (``MaximumConcurrentJobs``), strings and resource names
quoted, numbers and keywords bare, booleans ``Yes``/``No``, durations
``1 days 2 hours `` and sizes ``1 g 512 m`` (Bareos's spellings, trailing
blank included), lists one directive per line, ACLs on one line, a daemon's
listen addresses as an ``Addresses = { ipv4 = { ... } }`` block.  JSON: keys
lower case, integers as numbers, booleans as booleans, durations and sizes as
the same strings as in text, every list as an array (ACLs too), an unset
string or resource as ``""``, FileSet ``include``/``exclude`` and Job
``runscript`` as arrays of objects, ``addresses`` as ``[{"ipv4": {"addr",
"port"}}]``.

A FileSet prints only its name, description and Include/Exclude blocks (its
Options rebuilt from the option letters the Director sends to the FD), as
Bareos's own FileSet printer does; a Messages resource its name, commands and
one ``<destination> = [where =] types`` line per destination (JSON
``{"<destination>": {"where"?, "what"}}``).  Run scripts of every form are
printed where the RunScript directive is, in file order, a JobDefs' ones after
the Job's own; Messages destinations in file order too.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

import attrs

from bareosnet.config.model import (
    FileOptions,
    IncludeExclude,
    MessageDestination,
    Resource,
    RunScript,
    RunSpec,
)
from bareosnet.config.password import Password
from bareosnet.config.schema import PASSWORD_KINDS, ItemSpec, Kind, ResourceSpec, default_for
from bareosnet.config.values import format_duration, format_size

__all__ = [
    "HIDDEN_PASSWORD",
    "ShownResource",
    "escape",
    "render",
    "show_resource",
    "show_resource_json",
    "user_agent_console",
]

HIDDEN_PASSWORD = "****************"
_INDENT = "  "
_INTS = frozenset({Kind.INT16, Kind.PINT16, Kind.INT32, Kind.PINT32, Kind.INT64, Kind.SPEED})
_SIZES = frozenset({Kind.SIZE32, Kind.SIZE64, Kind.MAX_BLOCK_SIZE})
_ONE_PER_LINE = frozenset({Kind.STR_LIST, Kind.PATH_LIST, Kind.RES_LIST, Kind.PLUGIN_NAMES})
_ONE_LINE = frozenset({Kind.ACL, Kind.AUDIT, Kind.DEVICE_LIST})
_STRINGS = frozenset({Kind.NAME, Kind.STR, Kind.PATH, Kind.STRNAME})
_SCRIPTS = frozenset({Kind.RUNSCRIPT, Kind.SHORT_RUNSCRIPT})
# Enumerations Bareos prints nothing for while unset (job type, migration selection).
_SILENT_WHEN_UNSET = frozenset({("Job", "Type"), ("JobDefs", "Type"), ("Job", "SelectionType"),
                                ("JobDefs", "SelectionType")})  # fmt: skip
# Enumerations whose keyword is printed quoted (CFG_TYPE_LABEL), with the default shown.
_QUOTED_ENUM_DEFAULTS = {("Pool", "LabelType"): "bareos"}
# Items Bareos stores as types its default check does not know (a label, a bit): never
# "at the default", so a verbose listing shows them even though they are deprecated.
_NEVER_DEFAULT_ITEMS = frozenset({("Pool", "LabelType"), ("Catalog", "MultipleConnections")})

# Message types in Bareos's table order (generic_res.h), without "all".
_MESSAGE_TYPES = (
    "debug abort fatal error warning info saved notsaved skipped mount Terminate restored "
    "security alert volmgmt audit"
).split()

RunText = Callable[[RunSpec], str]


@attrs.frozen
class ShownResource:
    """One resource as ``show`` prints it: config text and the JSON object.

    ``packets``: the text cut where Bareos's formatter sends it (at the end of
    every nested block, then the closing ``}``), joined they are ``text``.
    """

    packets: tuple[str, ...]
    json: dict[str, Any]

    @property
    def text(self) -> str:
        return "".join(self.packets)


def show_resource(
    res: Resource, *, verbose: bool = False, hide_passwords: bool = False,
    run_text: RunText | None = None, implied: Mapping[str, Any] | None = None,
) -> str:  # fmt: skip
    """``show <type>=<name>`` text for one resource (ends with ``}`` and a blank line)."""
    return render(res, verbose=verbose, hide_passwords=hide_passwords, run_text=run_text,
                  implied=implied).text  # fmt: skip


def show_resource_json(
    res: Resource, *, verbose: bool = False, hide_passwords: bool = False,
    run_text: RunText | None = None, implied: Mapping[str, Any] | None = None,
) -> dict[str, Any]:  # fmt: skip
    """The object ``show`` puts under ``{<group>: {<name>: ...}}`` in API mode 2."""
    return render(res, verbose=verbose, hide_passwords=hide_passwords, run_text=run_text,
                  implied=implied).json  # fmt: skip


def render(
    res: Resource, *, verbose: bool = False, hide_passwords: bool = False,
    run_text: RunText | None = None, internal: bool = False,
    implied: Mapping[str, Any] | None = None, current: Mapping[str, Any] | None = None,
    marked: bool = True,
) -> ShownResource:  # fmt: skip
    """Both forms at once.

    ``internal``: a resource the Director made itself (all comment); ``implied``:
    values the Director fills in for unset directives after loading (a Client's
    Catalog is the first Catalog), shown like defaults; ``current``: values
    changed at run time (``disable client=`` sets Enabled), written or not;
    ``marked=False``: a resource parsed after the Director started (``reload``,
    ``configure add``), which Bareos no longer marks item by item as "not written",
    so an unset directive that is not at its default shows without verbose too
    (``NextPool = ""``); values from a JobDefs stay marked.
    """
    p = _Printer()
    if res.type == "Messages":
        _print_messages(p, res, verbose)
    elif res.type == "FileSet":
        _print_fileset(p, res)
    else:
        values = {**(implied or {}), **(current or {})}
        _print_items(p, res, verbose, hide_passwords, run_text or _plain_run_text, internal,
                     values, frozenset(current or ()), marked)  # fmt: skip
    mark = "# " if internal else ""
    lines = [f"{mark}{res.type} {{\n", *p.lines]
    cuts = [0, *(c + 1 for c in p.cuts), len(lines)]
    packets = ["".join(lines[a:b]) for a, b in zip(cuts, cuts[1:], strict=False)]
    packets = [x for x in packets if x]
    return ShownResource((*packets, f"{mark}}}\n\n"), p.obj)


def user_agent_console(director: Resource, console_spec: ResourceSpec) -> Resource:
    """The console Bareos adds for the Director's own password (``*UserAgent*``).

    It exists in every Director; ``show consoles verbose`` lists it after the
    configured ones, every line a comment.
    """
    res = Resource(console_spec, director.file, director.line, director.persona)
    res.name = "*UserAgent*"
    res._values.update({"Name": res.name, "Description": "root console definition",
                        "Password": director.get("Password"), "TlsEnable": True,
                        "TlsRequire": False})  # fmt: skip
    return res


def escape(text: str) -> str:
    """Bareos's ``EscapeString``: what a run script or a FileSet File needs in quotes."""
    out = []
    for ch in text:
        if ch == "'":
            out.append("''")
        elif ch == "\\":
            out.append("\\\\")
        elif ch in '()<>"':
            out.append("\\" + ch)
        else:
            out.append(ch)
    return "".join(out)


def _needs_escaping(text: str) -> bool:
    """True when ``text`` holds a double quote not already escaped by a backslash."""
    escaped = False
    for ch in text:
        if ch == "\\":
            escaped = not escaped
        elif ch == '"' and not escaped:
            return True
        else:
            escaped = False
    return False


def _quote(text: str) -> str:
    return f'"{text}"'


def _plain_run_text(run: RunSpec) -> str:
    return run.text


class _Printer:
    """Both outputs of Bareos's resource output formatter, written side by side."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.cuts: list[int] = []  # where the text is sent as one packet
        self.obj: dict[str, Any] = {}
        self.depth = 1

    def prefix(self, comment: bool, extra: int = 0) -> str:
        return _INDENT * (self.depth + extra) + ("# " if comment else "")

    def flush(self) -> None:
        """A nested block ended: Bareos sends what it has so far."""
        self.cuts.append(len(self.lines))

    def key(self, name: str, text: str, value: Any, comment: bool = False,
            into: dict[str, Any] | None = None) -> None:  # fmt: skip
        self.lines.append(f"{self.prefix(comment)}{name} = {text}\n")
        (self.obj if into is None else into)[name.lower()] = value

    def one_per_line(self, name: str, values: list[str] | tuple[str, ...], comment: bool,
                     *, quoted: bool = True, escaped: bool = False,
                     into: dict[str, Any] | None = None) -> None:  # fmt: skip
        target = self.obj if into is None else into
        if not values:
            if comment:  # only a verbose default shows the empty list
                self.lines.append(f"{self.prefix(comment)}{name} = \n")
                target[name.lower()] = []
            return
        for v in values:
            shown = escape(v) if escaped or _needs_escaping(v) else v
            self.lines.append(f"{self.prefix(comment)}{name} = "
                              + (_quote(shown) if quoted else shown) + "\n")  # fmt: skip
        target[name.lower()] = list(values)

    def one_line(self, name: str, values: tuple[str, ...], comment: bool) -> None:
        self.lines.append(f"{self.prefix(comment)}{name} = "
                          + ", ".join(_quote(v) for v in values) + "\n")  # fmt: skip
        self.obj[name.lower()] = list(values)


# -- generic resources -------------------------------------------------------------


# Kinds Bareos never counts as "at the default" (HasDefaultValue has no case for them):
# set or not, they are printed, an unset one as a comment with verbose only.
_NEVER_DEFAULT = frozenset({Kind.RES, Kind.RES_LIST, Kind.STR_LIST, Kind.PATH_LIST,
                            Kind.PLUGIN_NAMES, Kind.ADDRESSES, *PASSWORD_KINDS})  # fmt: skip


def _is_default(item: ItemSpec, value: Any, res: Resource) -> bool:
    """Bareos's HasDefaultValue: the value equals the default (or is empty, if none)."""
    kind = item.kind
    if kind in _NEVER_DEFAULT or (res.type, item.name) in _NEVER_DEFAULT_ITEMS:
        return False
    default = default_for(item, res.persona)
    if item.accumulates:
        if default is not None and not isinstance(default, (tuple, list)):
            default = (default,)
        return not value or (default is not None and tuple(value) == tuple(default))
    if default is None:
        return value in (None, 0, False, "")
    if kind is Kind.ENUM and isinstance(value, str) and isinstance(default, str):
        return value.lower() == default.lower()
    return bool(value == default)


def _value_of(res: Resource, item: ItemSpec) -> tuple[bool, bool, Any]:
    """``(written in this very resource, taken from a JobDefs, value)``."""
    if item.name in res._values:
        return True, False, res._values[item.name]
    parent = res.parent
    seen = 0
    while parent is not None and seen < 32:
        if item.name in parent._values:
            return False, True, parent._values[item.name]
        parent = parent.parent
        seen += 1
    return False, False, default_for(item, res.persona)


def _print_items(p: _Printer, res: Resource, verbose: bool, hide: bool, run_text: RunText,
                 internal: bool, implied: Mapping[str, Any],
                 current: frozenset[str], marked: bool) -> None:  # fmt: skip
    # Bareos marks every directive "inherited" when it creates a resource (until it has
    # started: ``marked``) and clears the mark when the directive is written; a marked
    # one (JobDefs values, defaults) is shown only with verbose, as a comment.
    for item in res.spec.items:
        kind = item.kind
        if kind in (Kind.ADDRESS, Kind.PORT):
            continue  # part of the listen address list, printed with it
        if kind is Kind.ADDRESSES:
            _print_listen_addresses(p, res)
            continue
        if kind in _SCRIPTS:
            # Bareos keeps the short forms in the RunScript list and prints them there.
            if item.name == "RunScript":
                _print_runscripts(p, res, verbose)
            continue
        written, from_jobdefs, value = _value_of(res, item)
        if item.name in current or (not written and item.name in implied):
            value = implied[item.name]  # filled in or changed by the Director
        inherited = internal or from_jobdefs or (marked and not written)
        if inherited and not verbose:
            continue
        printed = item.required
        if _is_default(item, value, res):
            if verbose and not item.deprecated:
                printed, inherited = True, True
        else:
            printed = True
        if printed:
            _print_item(p, res, item, value, inherited, hide, run_text)


def _print_item(p: _Printer, res: Resource, item: ItemSpec, value: Any, comment: bool,
                hide: bool, run_text: RunText) -> None:  # fmt: skip
    name, kind = item.name, item.kind
    if kind in PASSWORD_KINDS:
        if isinstance(value, Password):
            shown = HIDDEN_PASSWORD if hide else value.config_value
            p.key(name, _quote(shown), shown, comment)
        return
    if kind is Kind.BOOL:
        p.key(name, "Yes" if value else "No", bool(value), comment)
    elif kind in _INTS:
        number = int(value or 0)
        p.key(name, str(number), number, comment)
    elif kind is Kind.TIME:
        text = format_duration(int(value or 0))
        p.key(name, text, text, comment)
    elif kind in _SIZES:
        text = format_size(int(value or 0))
        p.key(name, text, text, comment)
    elif kind is Kind.RES:
        p.key(name, _quote(value or ""), value or "", comment)
    elif kind in _STRINGS:
        if value is None:
            # An unset std::string (the TLS ones) prints as "", a char* as nothing.
            text = '""' if name.startswith("Tls") else ""
            p.key(name, text, "", comment)
        else:
            # A directory-or-command (CFG_TYPE_DIR_OR_CMD) is escaped, in JSON too.
            text = escape(str(value)) if name == "WriteBootstrap" else str(value)
            p.key(name, _quote(text), text, comment)
    elif kind is Kind.ENUM:
        _print_enum(p, res, item, value, comment)
    elif kind is Kind.ENUM_FLAGS:
        text = value[-1] if value else "None"
        p.key(name, text, text, comment)
    elif kind in _ONE_PER_LINE:
        p.one_per_line(name, tuple(value or ()), comment)
    elif kind in _ONE_LINE:
        p.one_line(name, tuple(value or ()), comment)
    elif kind is Kind.RUN:
        runs = [run_text(r) for r in value or () if isinstance(r, RunSpec)]
        if runs:
            p.one_per_line(name, runs, comment, quoted=False)
    else:
        p.key(name, _quote(str(value)), str(value), comment)


def _print_enum(p: _Printer, res: Resource, item: ItemSpec, value: Any, comment: bool) -> None:
    where = (res.type, item.name)
    if where in _QUOTED_ENUM_DEFAULTS:
        text = value or _QUOTED_ENUM_DEFAULTS[where]
        p.key(item.name, _quote(text), text, comment)
        return
    if value is None:
        if where in _SILENT_WHEN_UNSET:
            return
        # Bareos prints an unset job level as a commented empty value.
        p.key(item.name, "", "", True)
        return
    p.key(item.name, str(value), str(value), comment)


# -- listen addresses -----------------------------------------------------------------


def _listen_list(res: Resource) -> tuple[tuple[str | None, int | str], ...]:
    """The listen list: as written, else Bareos's default (IPv4 and IPv6 any, one port)."""
    if any(k in res._values for k in ("Address", "Addresses")):
        return res.listen_addresses()
    port = res.get("Port")
    return (("0.0.0.0", port), ("::", port))


def _print_listen_addresses(p: _Printer, res: Resource) -> None:
    entries: list[dict[str, Any]] = []
    p.lines.append(f"{p.prefix(False)}Addresses = {{\n")
    for host, port in _listen_list(res):
        addr = host if host is not None else "0.0.0.0"
        family = "ipv6" if ":" in addr else "ipv4"
        port_value: int | str = int(port) if str(port).isdigit() else port
        p.lines.append(f"{p.prefix(False, 1)}{family} = {{\n")
        p.lines.append(f"{p.prefix(False, 2)}addr = {addr}\n")
        p.lines.append(f"{p.prefix(False, 2)}port = {port_value}\n")
        p.lines.append(f"{p.prefix(False, 1)}}}\n")
        p.flush()
        entries.append({family: {"addr": addr, "port": port_value}})
    p.lines.append(f"{p.prefix(False)}}}\n")
    p.obj["addresses"] = entries


# -- run scripts ----------------------------------------------------------------------

_SHORT_FORMS = ("RunBeforeJob", "RunAfterJob", "RunAfterFailedJob", "ClientRunBeforeJob",
                "ClientRunAfterJob")  # fmt: skip


def _scripts_of(res: Resource) -> list[tuple[RunScript, bool]]:
    """Every run script with "came from a JobDefs": the Job's own first, as Bareos appends."""
    out: list[tuple[RunScript, bool]] = []
    node: Resource | None = res
    inherited = False
    seen = 0
    while node is not None and seen < 32:
        own = [s for name in (*_SHORT_FORMS, "RunScript") for s in node._values.get(name, ())]
        out.extend((s, inherited) for s in sorted(own, key=lambda s: s.order))
        node, inherited, seen = node.parent, True, seen + 1
    return out


def _print_runscripts(p: _Printer, res: Resource, verbose: bool) -> None:
    scripts = [(s, inh) for s, inh in _scripts_of(res) if verbose or not inh]
    if not scripts:
        return
    entries: list[dict[str, Any]] = []
    for script, inherited in scripts:
        if script.short_form:
            entry: dict[str, Any] = {}
            p.key(script.short_form, _quote(escape(script.commands[0][1])),
                  escape(script.commands[0][1]), inherited, into=entry)  # fmt: skip
            p.flush()
            entries.append(entry)
            continue
        for cmd_kind, command in script.commands:
            entries.append(_print_runscript_block(p, script, cmd_kind, command, inherited,
                                                  verbose))  # fmt: skip
    p.obj["runscript"] = entries


def _print_runscript_block(p: _Printer, script: RunScript, cmd_kind: str, command: str,
                           inherited: bool, verbose: bool) -> dict[str, Any]:  # fmt: skip
    entry: dict[str, Any] = {}
    p.lines.append(f"{p.prefix(inherited)}RunScript {{\n")
    p.depth += 1
    p.key(cmd_kind, _quote(escape(command)), escape(command), inherited, into=entry)
    s = script.settings
    when = str(s.get("RunsWhen", "never")).lower()

    def flag(name: str, value: bool, default: bool) -> None:
        if value != default:
            p.key(name, "Yes" if value else "No", value, inherited, into=entry)
        elif verbose:
            p.key(name, "Yes" if value else "No", value, True, into=entry)

    if when != "never":
        p.key("RunsWhen", _quote(when), when, inherited, into=entry)
    elif verbose:
        p.key("RunsWhen", _quote(when), when, True, into=entry)
    flag("FailJobOnError", bool(s.get("FailJobOnError", True)), True)
    flag("RunsOnSuccess", bool(s.get("RunsOnSuccess", True)), True)
    flag("RunsOnFailure", bool(s.get("RunsOnFailure", False)), False)
    if cmd_kind == "Command":
        target = str(s.get("Target", s.get("RunsOnClient", "%c")))
        on_client = target.lower() not in ("", "no")
        flag("RunsOnClient", on_client, True)
    p.depth -= 1
    p.lines.append(f"{p.prefix(inherited)}}}\n")
    p.flush()
    return entry


# -- FileSet ----------------------------------------------------------------------------

# Option letters (what the Director sends the FD) back to directives, as Bareos prints them.
_OPTION_FLAGS: dict[str, tuple[str, bool]] = {
    "c": ("CheckFileChanges", True), "e": ("Exclude", True), "f": ("OneFS", False),
    "h": ("Recurse", False), "H": ("HardLinks", False), "i": ("IgnoreCase", True),
    "p": ("Portable", True), "R": ("HfsPlusSupport", True), "r": ("ReadFifo", True),
    "s": ("Sparse", True), "m": ("MtimeOnly", True), "k": ("KeepAtime", True),
    "K": ("NoAtime", True), "A": ("AclSupport", True), "N": ("HonorNoDumpFlag", True),
    "W": ("EnhancedWild", True), "X": ("XattrSupport", True), "x": ("AutoExclude", False),
}  # fmt: skip
_OPTION_WORDS: dict[str, tuple[str, str]] = {
    "a": ("Replace", "Always"), "n": ("Replace", "Never"), "w": ("Replace", "IfNewer"),
    "M": ("Signature", "MD5"),
}  # fmt: skip
_SHADOWING = {"1": "LocalWarn", "2": "LocalRemove", "3": "GlobalWarn", "4": "GlobalRemove"}
_SIGNATURES = {"2": "SHA256", "3": "SHA512", "4": "XXH128"}
_COMPRESSION = {"o": "LZO", "ff": "LZFAST", "f4": "LZ4", "fh": "LZ4HC"}
_OPTION_LISTS = ("Regex", "RegexDir", "RegexFile", "Wild", "WildDir", "WildFile", "WildBase",
                 "Base", "FsType", "DriveType", "Meta")  # fmt: skip
_VALUED = re.compile(r"[^:]*")


def _options_entries(p: _Printer, opts: FileOptions) -> dict[str, Any]:
    """One ``Options { }`` block, rebuilt from its option letters like Bareos does."""
    entry: dict[str, Any] = {}
    letters = opts.opts
    i = 0

    def word(name: str, value: str, quoted: bool = True) -> None:
        p.key(name, _quote(value) if quoted else value, value, into=entry)

    while i < len(letters):
        ch = letters[i]
        nxt = letters[i + 1] if i + 1 < len(letters) else ""
        if ch in _OPTION_FLAGS:
            name, flag = _OPTION_FLAGS[ch]
            p.key(name, "Yes" if flag else "No", flag, into=entry)
        elif ch in _OPTION_WORDS:
            word(*_OPTION_WORDS[ch])
        elif ch in "CPVz":  # a value up to the next ':'
            m = _VALUED.match(letters, i + 1)
            value = m.group(0) if m else ""
            name = {"C": "Accurate", "P": "Strip", "V": "Verify", "z": "Size"}[ch]
            word(name, value, quoted=ch != "z")
            i += len(value) + 1
        elif ch == "d":
            if nxt in _SHADOWING:
                word("Shadowing", _SHADOWING[nxt])
            i += 1
        elif ch == "S":
            if nxt in _SIGNATURES:
                word("Signature", _SIGNATURES[nxt])
                i += 1
            else:
                word("Signature", "SHA1")
        elif ch == "Z":
            if nxt.isdigit():
                word("Compression", "GZIP" + nxt)
                i += 1
            elif nxt == "o":
                word("Compression", "LZO")
                i += 1
            elif nxt == "f":
                third = letters[i + 2] if i + 2 < len(letters) else ""
                if "f" + third in _COMPRESSION:
                    word("Compression", _COMPRESSION["f" + third])
                i += 2
        i += 1
    values = {k.lower(): v for k, v in opts.values.items()}
    for name in _OPTION_LISTS:
        p.one_per_line(name, values.get(name.lower(), ()), False, into=entry)
    for name in ("Plugin", "Reader", "Writer"):
        for v in values.get(name.lower(), ())[:1]:
            p.key(name, v, v, into=entry)
    return entry


def _print_block(p: _Printer, block: IncludeExclude) -> dict[str, Any]:
    entry: dict[str, Any] = {}
    p.lines.append(f"{p.prefix(False)}{block.kind} {{\n")
    p.depth += 1
    if block.kind == "Include":
        if block.options:
            entries = []
            for opts in block.options:
                p.lines.append(f"{p.prefix(False)}Options {{\n")
                p.depth += 1
                entries.append(_options_entries(p, opts))
                p.depth -= 1
                p.lines.append(f"{p.prefix(False)}}}\n")
                p.flush()
            entry["options"] = entries
        p.one_per_line("File", block.files, False, escaped=True, into=entry)
        p.one_per_line("Plugin", block.plugins, False, into=entry)
        p.one_per_line("ExcludeDirContaining", block.exclude_dir_containing, False, into=entry)
    else:
        p.one_per_line("File", block.files, False, into=entry)
    p.depth -= 1
    p.lines.append(f"{p.prefix(False)}}}\n")
    p.flush()
    return entry


def _print_fileset(p: _Printer, res: Resource) -> None:
    p.key("Name", _quote(res.name), res.name)
    description = res._values.get("Description")
    if description is not None:
        p.key("Description", _quote(description), description)
    for kind in ("Include", "Exclude"):
        blocks = res._values.get(kind, ())
        if blocks:
            p.obj[kind.lower()] = [_print_block(p, b) for b in blocks]


# -- Messages ---------------------------------------------------------------------------


def _print_messages(p: _Printer, res: Resource, verbose: bool) -> None:
    """MessagesResource::PrintConfig: commands escaped, one object per destination."""
    p.key("Name", _quote(res.name), res.name)
    for name in ("MailCommand", "OperatorCommand", "TimestampFormat"):
        value = res._values.get(name)
        if value:
            p.key(name, _quote(escape(value)), escape(value))
    # Bareos keeps one chain in file order; a destination of the same kind and place
    # written again adds its types to the first one.
    dests = sorted((d for item in res.spec.items if item.kind is Kind.MSG_DEST
                    for d in res._values.get(item.name, ())), key=lambda d: d.order)  # fmt: skip
    merged: dict[tuple[str, str], MessageDestination] = {}
    for d in dests:
        key = (d.kind.lower(), d.where)
        first = merged.get(key)
        merged[key] = d if first is None else attrs.evolve(first, types=first.types + d.types)
    for dest in merged.values():
        kind, what = _message_destination(dest, verbose)
        # A second destination of one kind lands in the same JSON object (Bareos reuses it).
        obj = p.obj.setdefault(kind, {})
        line = f"{_INDENT}{kind}"
        if dest.where and kind not in _WHERELESS:
            line += f" = {dest.where}"
            obj["where"] = dest.where
        p.lines.append(f"{line} = {what}\n")
        p.flush()
        obj["what"] = what


_WHERELESS = frozenset({"syslog", "stdout", "stderr", "console", "catalog"})


def _message_destination(dest: MessageDestination, verbose: bool) -> tuple[str, str]:
    """``(destination, types)``: "all,!skipped" style, or every type spelled out with verbose."""
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
    if verbose:
        what = ",".join([*chosen, *("!" + m for m in others)])
    elif len(chosen) > len(others):
        what = ",".join(["all", *("!" + m for m in others)])
    else:
        what = ",".join(chosen)
    return dest.kind.lower(), what
