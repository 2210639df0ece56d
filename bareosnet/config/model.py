"""The result of loading a configuration: :class:`Config` and its :class:`Resource` objects.

Values are typed: durations are ``int`` seconds, sizes ``int`` bytes, booleans
``bool``, lists ``tuple[str, ...]``, passwords :class:`Password`.  Directives
that appear several times and accumulate (lists, ACLs, ``TLS Allowed CN``,
Messages destinations, FileSet ``Include`` blocks, Schedule ``Run`` lines ...)
are tuples in file order.

Nested blocks have small value types of their own:

* FileSet ``Include { ... }`` / ``Exclude { ... }`` -> :class:`IncludeExclude`
  (its ``Options { ... }`` blocks are :class:`FileOptions`);
  ``res.includes`` / ``res.excludes`` give the simple view
  ``[(options: dict, files: list[str]), ...]``;
* Job ``RunScript { ... }`` and the short ``Run Before Job = ...`` forms -> :class:`RunScript`;
* Schedule ``Run = ...`` -> :class:`RunSpec`;
* Messages destinations -> :class:`MessageDestination`;
* ``Addresses = { ip = { addr = ...; port = ... } }`` -> :class:`Address`.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

import attrs

from bareosnet.config.password import Password
from bareosnet.config.schema import (
    PASSWORD_KINDS,
    DaemonSchema,
    ItemSpec,
    Kind,
    ResourceSpec,
    default_for,
    normalize,
)
from bareosnet.errors import ConfigError
from bareosnet.tls.settings import TlsSettings


def _frozen_mapping(value: Mapping[str, Any]) -> Mapping[str, Any]:
    return MappingProxyType(dict(value))


@attrs.frozen
class Address:
    """One entry of an ``Addresses`` block (``addr``/``port`` may be omitted)."""

    family: str  # "ip", "ipv4" or "ipv6" as written (lower case)
    addr: str | None
    port: int | str | None  # a service name stays a string


@attrs.frozen
class MessageDestination:
    """``director = bareos-dir = all, !skipped`` -> kind Director, where bareos-dir."""

    kind: str  # canonical directive name: "Director", "Mail", "Append", "Console", ...
    where: str  # destination (mail addresses separated by spaces, file, director); "" if none
    types: tuple[str, ...]  # message types as written, e.g. ("all", "!skipped")
    order: int = attrs.field(default=0, eq=False)  # parse position (show keeps file order)


@attrs.frozen
class FileOptions:
    """One ``Options { ... }`` block of a FileSet Include."""

    values: Mapping[str, tuple[str, ...]] = attrs.field(converter=_frozen_mapping)
    opts: str = ""  # Bareos's compact option string (what the Director sends to the FD)

    def as_dict(self) -> dict[str, tuple[str, ...]]:
        return dict(self.values)


@attrs.frozen
class IncludeExclude:
    """A FileSet ``Include { }`` or ``Exclude { }`` block."""

    kind: str  # "Include" or "Exclude"
    options: tuple[FileOptions, ...]
    files: tuple[str, ...]
    plugins: tuple[str, ...] = ()
    exclude_dir_containing: tuple[str, ...] = ()

    def as_pair(self) -> tuple[dict[str, tuple[str, ...]], list[str]]:
        """``(options, files)``: the options of all Options blocks merged in order."""
        merged: dict[str, tuple[str, ...]] = {}
        for block in self.options:
            for key, vals in block.values.items():
                merged[key] = merged.get(key, ()) + vals
        return merged, list(self.files)


@attrs.frozen
class RunScript:
    """A Job ``RunScript { }`` block or one of the short ``Run ... Job = cmd`` directives."""

    commands: tuple[tuple[str, str], ...]  # (("Command" | "Console"), text)
    settings: Mapping[str, str | bool] = attrs.field(converter=_frozen_mapping)
    short_form: str | None = None  # e.g. "RunBeforeJob" for the short form
    # Parse position: Bareos keeps run scripts of every form in one list in file order
    # (show prints them so); the config keeps one tuple per directive.
    order: int = attrs.field(default=0, eq=False)


@attrs.frozen
class RunSpec:
    """A Schedule ``Run = Level=Full Pool=X 1st sun at 23:05`` line."""

    overrides: Mapping[str, str] = attrs.field(converter=_frozen_mapping)  # Level, Pool, ...
    when: tuple[str, ...]  # the schedule words, e.g. ("1st", "sun", "at", "23:05")
    file: str = attrs.field(default="", eq=False)
    line: int = attrs.field(default=0, eq=False)

    @property
    def text(self) -> str:
        parts = [f"{k}={v}" for k, v in self.overrides.items()]
        return " ".join([*parts, *self.when])


class Resource:
    """One resource of a loaded configuration (read-only once loading finished)."""

    __slots__ = ("spec", "type", "name", "file", "line", "persona", "_values", "_where", "_parent",
                 "_tls")  # fmt: skip

    def __init__(self, spec: ResourceSpec, file: str, line: int, persona: str) -> None:
        self.spec = spec
        self.type: str = spec.name
        self.name: str = ""
        self.file = file
        self.line = line
        self.persona = persona
        self._values: dict[str, Any] = {}
        self._tls: TlsSettings | None = None  # built on first use; every login asks for it
        self._where: dict[str, tuple[str, int]] = {}
        self._parent: Resource | None = None  # JobDefs a Job/JobDefs inherits from

    def __repr__(self) -> str:
        return f"<Resource {self.type} {self.name!r} at {self.file}:{self.line}>"

    # -- lookups -----------------------------------------------------------------

    def _item(self, key: str) -> ItemSpec:
        item = self.spec.item(key)
        if item is None:
            raise KeyError(f"{self.type} resources have no directive {key!r}")
        return item

    def _lookup(self, item: ItemSpec) -> tuple[bool, Any]:
        res: Resource | None = self
        seen = 0
        while res is not None and seen < 32:
            if item.name in res._values:
                return True, res._values[item.name]
            res = res._parent
            seen += 1
        return False, None

    def get(self, key: str, default: Any = None) -> Any:
        """Value of directive ``key`` (any spelling or alias).

        Unset directives give their Bareos default (persona-dependent for the
        TLS ones), or ``default`` when Bareos has none.  Jobs and JobDefs see
        what their ``JobDefs`` set.  Unknown directive names raise KeyError.
        """
        item = self._item(key)
        if item.kind in (Kind.RUNSCRIPT, Kind.SHORT_RUNSCRIPT) and self._parent is not None:
            # Bareos appends a JobDefs' run scripts to the Job's own ones.
            return tuple(self._values.get(item.name, ())) + tuple(self._parent.get(key))
        found, value = self._lookup(item)
        if found:
            return value
        dflt = default_for(item, self.persona)
        if dflt is None:
            if item.accumulates:
                return () if default is None else default
            return default
        return dflt

    def __getitem__(self, key: str) -> Any:
        return self.get(key)

    def is_set(self, key: str) -> bool:
        """True when the directive is written in this resource (not inherited, not default)."""
        return self._item(key).name in self._values

    def where(self, key: str) -> tuple[str, int] | None:
        """``(file, line)`` where the directive was (last) written in this resource."""
        return self._where.get(self._item(key).name)

    def items(self) -> list[tuple[str, Any]]:
        """The explicitly written directives as ``(canonical name, value)``, in schema order."""
        return [
            (it.name, self._values[it.name]) for it in self.spec.items if it.name in self._values
        ]

    @property
    def parent(self) -> Resource | None:
        """The JobDefs this Job/JobDefs inherits unset directives from."""
        return self._parent

    def replaced(self, values: Mapping[str, Any], removed: tuple[str, ...] = ()) -> Resource:
        """A copy with some directives set to new values (and ``removed`` unset).

        For resources derived from one loaded config (a File daemon fleet's
        members): everything else, including the TLS view when the TLS
        directives are untouched, is shared with this resource, not copied.
        """
        new = Resource(self.spec, self.file, self.line, self.persona)
        new._values = dict(self._values)
        for key in removed:
            new._values.pop(self._item(key).name, None)
        for key, value in values.items():
            new._values[self._item(key).name] = value
        new.name = str(new._values.get("Name", self.name))
        new._where = self._where
        new._parent = self._parent
        if not any(self._item(k).name.startswith("Tls") for k in (*values, *removed)):
            new._tls = self._tls
        return new

    # -- convenience views -------------------------------------------------------

    @property
    def password(self) -> Password | None:
        """The resource's ``Password`` directive (Catalog: ``DbPassword``)."""
        item = self.spec.item("Password")
        if item is None or item.kind not in PASSWORD_KINDS:
            return None
        value = self.get(item.name)
        return value if isinstance(value, Password) else None

    @property
    def tls(self) -> TlsSettings:
        """All TLS directives with defaults applied (raises TypeError if the type has none)."""
        if self._tls is not None:
            return self._tls
        if not self.spec.has_tls():
            raise TypeError(f"{self.type} resources have no TLS directives")
        g = self.get
        self._tls = TlsSettings(
            enable=bool(g("TlsEnable")),
            require=bool(g("TlsRequire")),
            certificate=g("TlsCertificate"),
            key=g("TlsKey"),
            key_passphrase=None,  # Bareos has no TLS Key Passphrase directive (any version)
            verify_peer=bool(g("TlsVerifyPeer")),
            allowed_cns=tuple(g("TlsAllowedCn")),
            ca_certificate_file=g("TlsCaCertificateFile"),
            ca_certificate_dir=g("TlsCaCertificateDir"),
            certificate_revocation_list=g("TlsCertificateRevocationList"),
            dh_file=g("TlsDhFile"),
            cipher_list=g("TlsCipherList"),
            cipher_suites=g("TlsCipherSuites"),
            protocol=g("TlsProtocol"),
        )
        return self._tls

    @property
    def tls_authenticate(self) -> bool:
        return bool(self.get("TlsAuthenticate")) if self.spec.has_tls() else False

    @property
    def enable_ktls(self) -> bool:
        return bool(self.get("EnableKtls")) if self.spec.item("EnableKtls") else False

    @property
    def blocks(self) -> tuple[Any, ...]:
        """Nested blocks in file order: IncludeExclude, RunScript, RunSpec, Address."""
        out: list[Any] = []
        for it in self.spec.items:
            if it.kind in (
                Kind.INCLUDE_EXCLUDE,
                Kind.RUNSCRIPT,
                Kind.SHORT_RUNSCRIPT,
                Kind.RUN,
                Kind.ADDRESSES,
            ):
                out.extend(self._values.get(it.name, ()))
        return tuple(out)

    @property
    def includes(self) -> list[tuple[dict[str, tuple[str, ...]], list[str]]]:
        """FileSet Include blocks as ``(options, files)`` pairs."""
        return [b.as_pair() for b in self.get("Include")] if self.spec.item("Include") else []

    @property
    def excludes(self) -> list[tuple[dict[str, tuple[str, ...]], list[str]]]:
        """FileSet Exclude blocks as ``(options, files)`` pairs."""
        return [b.as_pair() for b in self.get("Exclude")] if self.spec.item("Exclude") else []

    def listen_addresses(self) -> tuple[tuple[str | None, int | str], ...]:
        """Where a daemon's own resource listens: ``((host or None for any, port), ...)``."""
        if self.spec.item("Addresses") is None:
            raise TypeError(f"{self.type} resources have no listen addresses")
        port = self.get("Port")
        explicit = self.get("Addresses")
        if explicit:
            return tuple((a.addr, a.port if a.port is not None else port) for a in explicit)
        return ((self.get("Address"), port),)


@attrs.frozen
class Config:
    """A loaded configuration of one program."""

    daemon: str
    source: str
    files: tuple[str, ...]
    warnings: tuple[str, ...]
    resources: tuple[Resource, ...]
    persona: str
    schema: DaemonSchema = attrs.field(repr=False, eq=False)

    def all(self, type_name: str) -> list[Resource]:
        """Every resource of that type (any spelling, aliases too), in file order."""
        spec = self.schema.resource(type_name)
        if spec is None:
            return []
        return [r for r in self.resources if r.spec is spec]

    def get(self, type_name: str, name: str) -> Resource | None:
        for res in self.all(type_name):
            if res.name == name:
                return res
        return None

    def own(self) -> Resource:
        """The resource describing this program itself.

        dir: the Director; sd: the Storage; fd: the Client (FileDaemon);
        console: the first Director; tray-monitor: the Monitor.  Raises
        ConfigError when there is none, or (except for bconsole) more than one.
        """
        own_type = self.schema.own_type
        found = self.all(own_type)
        if not found:
            raise ConfigError(f"No {own_type} resource defined", self.source)
        if len(found) > 1 and self.daemon != "console":
            # The daemons refuse to start with two (dird/reload.cc, filed_utils.cc ...).
            raise ConfigError(
                f"Only one {own_type} resource permitted", found[1].file, found[1].line
            )
        return found[0]


def type_matches(res: Resource, type_name: str) -> bool:
    return normalize(res.type) == normalize(type_name) or normalize(type_name) in (
        normalize(a) for a in res.spec.aliases
    )
