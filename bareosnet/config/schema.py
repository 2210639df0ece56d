"""What a configuration may contain: item and resource specifications.

The tables themselves live in :mod:`bareosnet.config.tables`; this module only
defines their shape and the lookups the parser needs.  Names are matched the
way Bareos matches them: case-insensitively, after the lexer has dropped the
spaces inside an identifier, so ``Maximum Concurrent Jobs`` and
``maximumconcurrentjobs`` find the same item.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Any

import attrs


class Kind(enum.Enum):
    """How a directive's value is scanned and stored (one per Bareos store routine)."""

    NAME = "name"  # the resource's own Name
    STR = "string"  # any string token
    PATH = "directory"  # a path (no expansion on POSIX)
    STRNAME = "strname"  # a name-sized string (<= 127 chars)
    RES = "resource"  # name of another resource
    RES_LIST = "resource-list"  # comma list of resource names, accumulates
    STR_LIST = "string-list"  # comma list of strings, accumulates
    PATH_LIST = "directory-list"  # one path per directive, accumulates
    DEVICE_LIST = "device-list"  # Director Storage "Device": one name per directive
    PLUGIN_NAMES = "plugin-names"  # comma and ':' separated names, accumulates
    ACL = "acl"  # comma list of ACL entries, accumulates
    AUDIT = "audit"  # comma list of command names, accumulates
    INT16 = "int16"
    PINT16 = "pint16"
    INT32 = "int32"
    PINT32 = "pint32"
    INT64 = "int64"
    BOOL = "bool"
    TIME = "time"  # duration, stored as int seconds
    SIZE32 = "size32"  # size, stored as int bytes
    SIZE64 = "size64"
    MAX_BLOCK_SIZE = "max-blocksize"  # size32 with an upper limit
    SPEED = "speed"  # bytes per second
    ENUM = "enum"  # one keyword of ``choices`` (stored in its canonical spelling)
    ENUM_FLAGS = "enum-flags"  # like ENUM but repeated directives accumulate
    MD5_PASSWORD = "md5-password"
    CLEAR_PASSWORD = "clear-password"
    AUTO_PASSWORD = "auto-password"  # md5, or clear when the resource speaks NDMP
    ADDRESSES = "addresses"  # Addresses = { ip = { addr = ..; port = .. } ... }
    ADDRESS = "address"  # one listen address, part of the address list
    PORT = "port"  # the listen port, part of the address list
    MSG_DEST = "messages"  # a Messages destination line
    INCLUDE_EXCLUDE = "include-exclude"  # FileSet Include { } / Exclude { }
    RUN = "run"  # Schedule Run line
    RUNSCRIPT = "runscript"  # Job RunScript { }
    SHORT_RUNSCRIPT = "short-runscript"  # Job Run Before Job = "cmd" and friends


# Kinds whose repeated directives add to the value instead of replacing it.
ACCUMULATING = frozenset(
    {
        Kind.RES_LIST,
        Kind.STR_LIST,
        Kind.PATH_LIST,
        Kind.DEVICE_LIST,
        Kind.PLUGIN_NAMES,
        Kind.ACL,
        Kind.AUDIT,
        Kind.ENUM_FLAGS,
        Kind.ADDRESSES,
        Kind.MSG_DEST,
        Kind.INCLUDE_EXCLUDE,
        Kind.RUN,
        Kind.RUNSCRIPT,
        Kind.SHORT_RUNSCRIPT,
    }
)

PASSWORD_KINDS = frozenset({Kind.MD5_PASSWORD, Kind.CLEAR_PASSWORD, Kind.AUTO_PASSWORD})

# Directives written without "=" (followed directly by a block).
NO_EQUALS_KINDS = frozenset({Kind.INCLUDE_EXCLUDE, Kind.RUNSCRIPT})


def normalize(name: str) -> str:
    """The lookup key Bareos effectively uses: no spaces, case folded."""
    return "".join(name.split()).lower()


@attrs.frozen
class ItemSpec:
    """One directive of one resource type."""

    name: str
    kind: Kind
    default: Any = None
    required: bool = False
    aliases: tuple[str, ...] = ()
    deprecated: bool = False
    ref: str | None = None  # resource type a RES / RES_LIST value names
    choices: tuple[str, ...] = ()  # keywords of an ENUM

    @property
    def accumulates(self) -> bool:
        return self.kind in ACCUMULATING

    @property
    def no_equals(self) -> bool:
        return self.kind in NO_EQUALS_KINDS

    @property
    def is_tls(self) -> bool:
        return normalize(self.name).startswith("tls") or normalize(self.name) == "enablektls"


def I(  # noqa: E743 - a one-letter constructor keeps the tables readable
    name: str,
    kind: Kind,
    default: Any = None,
    *,
    req: bool = False,
    alias: tuple[str, ...] = (),
    dep: bool = False,
    ref: str | None = None,
    choices: tuple[str, ...] = (),
) -> ItemSpec:
    """Row constructor used by the tables."""
    return ItemSpec(name, kind, default, req, alias, dep, ref, choices)


@attrs.frozen
class ResourceSpec:
    """One resource type of one daemon."""

    name: str
    items: tuple[ItemSpec, ...]
    aliases: tuple[str, ...] = ()
    deprecated: bool = False
    _index: Mapping[str, ItemSpec] = attrs.field(init=False, repr=False, eq=False)

    def __attrs_post_init__(self) -> None:
        index: dict[str, ItemSpec] = {}
        for it in self.items:
            for key in (it.name, *it.aliases):
                index.setdefault(normalize(key), it)
        object.__setattr__(self, "_index", MappingProxyType(index))

    def item(self, name: str) -> ItemSpec | None:
        """The item called ``name`` (or one of its aliases), None if unknown."""
        return self._index.get(normalize(name))

    def has_tls(self) -> bool:
        return self.item("TlsEnable") is not None


def R(
    name: str, items: Iterable[ItemSpec], *, alias: tuple[str, ...] = (), dep: bool = False
) -> ResourceSpec:
    """Resource constructor used by the tables."""
    return ResourceSpec(name, tuple(items), alias, dep)


@attrs.frozen
class DaemonSchema:
    """Every resource type one program understands, plus its file names."""

    daemon: str
    config_file: str  # e.g. bareos-dir.conf
    include_dir: str  # e.g. bareos-dir.d
    own_type: str  # the resource describing the program itself
    resources: tuple[ResourceSpec, ...]

    def resource(self, type_name: str) -> ResourceSpec | None:
        key = normalize(type_name)
        for spec in self.resources:
            if normalize(spec.name) == key or key in (normalize(a) for a in spec.aliases):
                return spec
        return None

    def is_alias(self, type_name: str) -> bool:
        spec = self.resource(type_name)
        return spec is not None and normalize(spec.name) != normalize(type_name)


# Default values that changed between Bareos releases.  Only the TLS policy
# defaults differ between the personas this project emulates.
PERSONA_DEFAULTS: Mapping[str, Mapping[str, Any]] = MappingProxyType(
    {
        # bareos-17.2 src/lib/parse_conf.h: TLS off by default, Verify Peer on.
        "17.2": MappingProxyType({"tlsenable": False, "tlsrequire": False, "tlsverifypeer": True}),
        # bareos-18.2 .. bareos-22 core/src/lib/tls_resource_items.h
        "18.2": MappingProxyType({"tlsenable": True, "tlsrequire": False, "tlsverifypeer": False}),
        # bareos-23 and later (25, 26 = HEAD): the tables' own defaults.
        "25": MappingProxyType({}),
        "26": MappingProxyType({}),
    }
)
PERSONAS = tuple(PERSONA_DEFAULTS)


def default_for(item: ItemSpec, persona: str) -> Any:
    """The value an unset ``item`` has under ``persona``."""
    overrides = PERSONA_DEFAULTS[persona]
    key = normalize(item.name)
    if key in overrides:
        return overrides[key]
    return item.default
