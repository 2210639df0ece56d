"""Resource parser: turns the token stream into :class:`Resource` objects.

Theory of operation
-------------------
The outer loop is Bareos's ``ConfigParserStateMachine``: outside a resource it
expects a resource type identifier, inside one it reads ``Directive =`` and
hands the rest of the line to the store routine of the directive's
:class:`~bareosnet.config.schema.Kind`.  Each store routine consumes tokens
exactly like its Bareos counterpart (``core/src/lib/res.cc``,
``core/src/dird/dird_conf.cc``, ``inc_conf.cc``, ``run_conf.cc``, ...): most
read one value and skip the rest of the line; list kinds read
``a, b, c``; blocks (FileSet ``Include``, ``RunScript``, ``Addresses``) read
their own braces.  Bareos parses twice and resolves references in the second
pass; we parse once and resolve references in :func:`check_references`.

Every error is a :class:`~bareosnet.errors.ConfigError` with file and line and
never contains a password.
"""

from __future__ import annotations

import enum
import itertools
from collections.abc import Callable
from typing import Any

from bareosnet.config.lexer import Expect, Lexer, Tok
from bareosnet.config.model import (
    Address,
    FileOptions,
    IncludeExclude,
    MessageDestination,
    Resource,
    RunScript,
    RunSpec,
)
from bareosnet.config.password import EMPTY_MD5, MD5_PREFIX, Password
from bareosnet.config.schema import PASSWORD_KINDS, DaemonSchema, ItemSpec, Kind, normalize
from bareosnet.config.tables import fileset as fs
from bareosnet.config.tables.common import JOB_LEVELS
from bareosnet.config.values import (
    check_acl_entry,
    check_name,
    is_a_number,
    parse_bool,
    parse_duration,
    parse_int,
    parse_size,
    parse_speed,
)
from bareosnet.errors import ConfigError

_STRINGY = (Tok.IDENTIFIER, Tok.UNQUOTED_STRING, Tok.QUOTED_STRING)
_MAX_BLOCK_LENGTH = 20_000_000  # core/src/stored/block.h
_NDMP_PROTOCOLS = ("NDMPV2", "NDMPV3", "NDMPV4")

# Messages destination message types (core/src/lib/generic_res.h msg_types).
MESSAGE_TYPES = frozenset(
    t.lower()
    for t in (
        "debug abort fatal error warning info saved notsaved skipped mount Terminate "
        "restored security alert volmgmt audit all"
    ).split()
)

# Messages directives and how their destination is written.
_MSG_PLAIN = frozenset({"stdout", "stderr", "console", "catalog"})
_MSG_ADDRESSES = frozenset({"operator", "director", "mail", "mailonerror", "mailonsuccess"})
_MSG_FILE = frozenset({"file", "append"})

# Schedule Run keywords (run_conf.cc RunFields) -> canonical spelling.
_RUN_FIELDS = {
    "pool": "Pool",
    "fullpool": "FullPool",
    "incrementalpool": "IncrementalPool",
    "differentialpool": "DifferentialPool",
    "nextpool": "NextPool",
    "level": "Level",
    "storage": "Storage",
    "messages": "Messages",
    "priority": "Priority",
    "spooldata": "SpoolData",
    "maxrunschedtime": "MaxRunSchedTime",
    "accurate": "Accurate",
}
_RUN_REFS = {
    "Pool": "Pool",
    "FullPool": "Pool",
    "IncrementalPool": "Pool",
    "DifferentialPool": "Pool",
    "NextPool": "Pool",
    "Storage": "Storage",
    "Messages": "Messages",
}
# Schedule words (run_conf.cc keyw) -> role.
_RUN_WORDS: dict[str, str] = {"on": "none", "at": "at", "last": "last"}
_RUN_WORDS.update(
    dict.fromkeys(["sun", "mon", "tue", "wed", "thu", "fri", "sat"], "wday")
    | dict.fromkeys(
        ["sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"], "wday"
    )
    | dict.fromkeys(
        ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"],
        "month",
    )
    | dict.fromkeys(
        [
            "january",
            "february",
            "march",
            "april",
            "june",
            "july",
            "august",
            "september",
            "october",
            "november",
            "december",
        ],
        "month",
    )
    | dict.fromkeys(["daily", "weekly", "monthly", "hourly"], "period")
    | dict.fromkeys(
        ["1st", "2nd", "3rd", "4th", "5th", "first", "second", "third", "fourth", "fifth"], "wom"
    )
)

_PARSE_ORDER = itertools.count(1)  # RunScript.order, MessageDestination.order
_RUNSCRIPT_WHEN = {"before": "Before", "after": "After", "aftervss": "AfterVSS", "always": "Always"}


class _State(enum.Enum):
    INIT = 0
    RESOURCE = 1


def _lower_choices(choices: tuple[str, ...]) -> dict[str, str]:
    return {c.lower(): c for c in choices}


class Parser:
    """Parse one configuration (a file tree as one token stream) for one daemon."""

    def __init__(self, lexer: Lexer, schema: DaemonSchema, persona: str) -> None:
        self.lx = lexer
        self.schema = schema
        self.persona = persona
        self.warnings: list[str] = []
        self.resources: list[Resource] = []
        self._alias_warned: set[str] = set()
        self._res: Resource | None = None
        self._level = 0
        # Directives whose value must name an existing resource: (res, item, name, file, line)
        self.references: list[tuple[Resource, str, str, str, str, int]] = []
        self._auto_password_protocol: str | None = None

    # -- helpers -----------------------------------------------------------------

    def _warn(self, message: str) -> None:
        self.warnings.append(f"{self.lx.fname}:{self.lx.line_no}: {message}")

    def _err(self, message: str) -> ConfigError:
        return ConfigError(message, self.lx.fname, self.lx.line_no)

    def _set(self, item: ItemSpec, value: Any) -> None:
        assert self._res is not None
        self._res._values[item.name] = value
        self._res._tls = None  # still loading: drop a view built too early
        self._res._where[item.name] = (self.lx.fname, self.lx.line_no)

    def _append(self, item: ItemSpec, *values: Any) -> None:
        assert self._res is not None
        current = self._res._values.get(item.name, ())
        self._set(item, current + tuple(values))

    def _ref(self, item: ItemSpec, target: str, name: str) -> None:
        assert self._res is not None
        self.references.append((self._res, item.name, target, name, self.lx.fname, self.lx.line_no))

    # -- the state machine -------------------------------------------------------

    def parse(self) -> list[Resource]:
        state = _State.INIT
        while True:
            token = self.lx.get_token(Expect.ALL)
            if token is Tok.EOF:
                break
            if state is _State.INIT:
                if self._init_resource(token):
                    state = _State.RESOURCE
            elif self._scan_resource(token):
                state = _State.INIT
        if state is not _State.INIT:
            raise self._err("End of conf file reached with unclosed resource.")
        return self.resources

    def _init_resource(self, token: Tok) -> bool:
        lx = self.lx
        if token in (Tok.EOL, Tok.UTF8_BOM):
            return False
        if token is Tok.UTF16_BOM:
            raise self._err(
                "Currently we cannot handle UTF-16 source files. Please convert the conf file to UTF-8"
            )
        if token is not Tok.IDENTIFIER:
            raise self._err(f"Expected a Resource name identifier, got: {lx.text}")
        spec = self.schema.resource(lx.text)
        if spec is None:
            known = ", ".join(r.name for r in self.schema.resources)
            raise self._err(f'unknown resource type "{lx.text}" (this program knows: {known})')
        if self.schema.is_alias(lx.text) and normalize(lx.text) not in self._alias_warned:
            self._alias_warned.add(normalize(lx.text))
            self._warn(
                f'Found resource alias usage "{lx.text}" in configuration which is discouraged, '
                f'consider using "{spec.name}" instead.'
            )
        if spec.deprecated:
            self._warn(f'using deprecated resource type "{spec.name}"')
        self._res = Resource(spec, lx.fname, lx.line_no, self.persona)
        self._level = 0
        self._auto_password_protocol = None
        return True

    def _scan_resource(self, token: Tok) -> bool:
        """Handle one token inside a resource; True when the resource ended."""
        lx = self.lx
        res = self._res
        assert res is not None
        if token is Tok.BOB:
            self._level += 1
            return False
        if token is Tok.EOL:
            return False
        if token is Tok.IDENTIFIER:
            if self._level != 1:
                raise self._err(f"not in resource definition: {lx.text}")
            item = res.spec.item(lx.text)
            if item is None:
                raise self._err(
                    f'unknown directive "{lx.text}" in {res.type} resource '
                    "(Keyword not permitted in this resource. "
                    "Perhaps you left the trailing brace off of the previous resource.)"
                )
            if not item.no_equals:
                if lx.get_token(Expect.SKIP_EOL) is not Tok.EQUALS:
                    shown = "(value hidden)" if item.kind in PASSWORD_KINDS else lx.text
                    raise self._err(f"expected an equals after {item.name}, got: {shown}")
            if item.deprecated:
                self._warn(f"using deprecated keyword {item.name}")
            _HANDLERS[item.kind](self, item)
            return False
        if token is Tok.EOB:
            self._level -= 1
            self._save(res)
            return True
        raise self._err(f"unexpected token {token.value} in resource definition")

    def _save(self, res: Resource) -> None:
        if not res.name:
            raise self._err("Name not specified for resource")
        if self._auto_password_protocol is not None:
            # Bareos chose md5 or cleartext storage from the Protocol seen so far;
            # a Protocol written after the Password makes that choice wrong.
            if res._values.get("Protocol", "Native") != self._auto_password_protocol:
                raise ConfigError(
                    f'Trying to store password to resource "{res.name}", but protocol is not known '
                    "(write Protocol before Password).",
                    res.file,
                    res.line,
                )
        for other in self.resources:
            if other.spec is res.spec and other.name == res.name:
                raise ConfigError(
                    f'Attempt to define second {res.type} resource named "{res.name}" is not '
                    f"permitted (first one at {other.file}:{other.line}).",
                    res.file,
                    res.line,
                )
        # Jobs are checked once their JobDefs are known (loader._check_jobs).
        if res.type not in ("Job", "JobDefs"):
            check_required(res)
        self.resources.append(res)
        self._res = None

    # -- store routines ------------------------------------------------------------

    def _token_value(self, expect: Expect) -> str:
        self.lx.get_token(expect)
        return self.lx.text

    def store_name(self, item: ItemSpec) -> None:
        name = self._token_value(Expect.NAME)
        try:
            check_name(name)
        except ValueError as exc:
            raise self._err(str(exc)) from None
        assert self._res is not None
        if self._res.name:
            raise self._err(f'Attempt to redefine name "{self._res.name}" to "{name}".')
        self._res.name = name
        self._set(item, name)
        self.lx.scan_to_eol()

    def store_str(self, item: ItemSpec) -> None:
        self._set(item, self._token_value(Expect.STRING))
        self.lx.scan_to_eol()

    def store_strname(self, item: ItemSpec) -> None:
        value = self._token_value(Expect.NAME)
        if item.name == "LabelFormat" and ("$" in value or "[" in value):
            self._warn(f"use of variable substitutions in {item.name} is deprecated")
        self._set(item, value)
        self.lx.scan_to_eol()

    def store_res(self, item: ItemSpec) -> None:
        name = self._token_value(Expect.NAME)
        assert self._res is not None
        if item.name in self._res._values:
            raise self._err(f'Attempt to redefine resource "{item.name}"')
        self._set(item, name)
        if item.ref:
            self._ref(item, item.ref, name)
        self.lx.scan_to_eol()

    def _comma_list(
        self, item: ItemSpec, expect: Expect, check: Callable[[str], None] | None
    ) -> None:
        values: list[str] = []
        token = Tok.COMMA
        while token is Tok.COMMA:
            value = self._token_value(expect)
            if check is not None:
                try:
                    check(value)
                except ValueError as exc:
                    raise self._err(f"Cannot store Acl: {exc}") from None
            values.append(value)
            if item.kind is Kind.RES_LIST and item.ref:
                self._ref(item, item.ref, value)
            token = self.lx.get_token(Expect.ALL)
        self._append(item, *values)

    def store_res_list(self, item: ItemSpec) -> None:
        self._comma_list(item, Expect.NAME, None)

    def store_str_list(self, item: ItemSpec) -> None:
        self._comma_list(item, Expect.STRING, None)

    def store_acl(self, item: ItemSpec) -> None:
        self._comma_list(item, Expect.STRING, check_acl_entry)

    def store_audit(self, item: ItemSpec) -> None:
        self._comma_list(item, Expect.STRING, None)

    def store_path_list(self, item: ItemSpec) -> None:
        self._append(item, self._token_value(Expect.STRING))
        self.lx.scan_to_eol()

    def store_device_list(self, item: ItemSpec) -> None:
        self._append(item, self._token_value(Expect.NAME))
        self.lx.scan_to_eol()

    def store_plugin_names(self, item: ItemSpec) -> None:
        lx = self.lx
        saved = lx.force_string
        lx.force_string = True
        names: list[str] = []
        try:
            while True:
                token = lx.get_token(Expect.ALL)
                if token is Tok.COMMA:
                    continue
                if token in (Tok.UNQUOTED_STRING, Tok.QUOTED_STRING):
                    names.extend(lx.text.split(":"))
                    continue
                if token is Tok.EOB:
                    lx.unget_char()  # leave the resource's closing brace alone
                break
        finally:
            lx.force_string = saved
        self._append(item, *names)

    def _int(self, item: ItemSpec) -> int:
        lx = self.lx
        token = lx.get_token(Expect.ALL)
        text = lx.text
        bits = {Kind.INT16: 16, Kind.PINT16: 16, Kind.INT32: 32, Kind.PINT32: 32, Kind.INT64: 64}[
            item.kind
        ]
        signed = item.kind in (Kind.INT16, Kind.INT32, Kind.INT64)
        if signed and (token is not Tok.NUMBER or not is_a_number(text)):
            raise self._err(f"expected an integer number, got {token.value}: {text}")
        try:
            value = parse_int(text, bits=bits, signed=signed)
        except ValueError as exc:
            raise self._err(str(exc)) from None
        if signed:
            # Bareos casts to the C type: values wrap around silently.
            value = (value + 2 ** (bits - 1)) % 2**bits - 2 ** (bits - 1)
        return value

    def store_int(self, item: ItemSpec) -> None:
        self._set(item, self._int(item))
        self.lx.scan_to_eol()

    def store_bool(self, item: ItemSpec) -> None:
        text = self._token_value(Expect.NAME)
        try:
            value, deprecated = parse_bool(text)
        except ValueError:
            raise self._err(f"Expect YES or NO, got: {text}") from None
        if deprecated:
            self._warn(
                f'setting boolean value via true/false/1/0 is deprecated ("{item.name} = {text}"); '
                "only yes/no will be supported in newer versions"
            )
        self._set(item, value)
        self.lx.scan_to_eol()

    def _unit_value(self, what: str, parse: Callable[[str], int]) -> int:
        """StoreTime / store_int_unit: join the value's words while a space follows."""
        lx = self.lx
        token = lx.get_token(Expect.SKIP_EOL)
        if token not in (Tok.NUMBER, Tok.IDENTIFIER, Tok.UNQUOTED_STRING):
            raise self._err(f"expected a {what}, got: {lx.text}")
        text = lx.text
        while lx.ch == " ":
            token = lx.get_token(Expect.ALL)
            if token in (Tok.NUMBER, Tok.IDENTIFIER, Tok.UNQUOTED_STRING):
                text += lx.text
        try:
            value = parse(text)
        except ValueError:
            raise self._err(f"expected a {what}, got: {text}") from None
        if token is not Tok.EOL:
            lx.scan_to_eol()
        return value

    def store_time(self, item: ItemSpec) -> None:
        self._set(item, self._unit_value("time period", parse_duration))

    def store_size(self, item: ItemSpec) -> None:
        value = self._unit_value("size", parse_size)
        if item.kind in (Kind.SIZE32, Kind.MAX_BLOCK_SIZE):
            value &= 0xFFFFFFFF  # stored in a uint32_t
        if item.kind is Kind.MAX_BLOCK_SIZE and value > _MAX_BLOCK_LENGTH:
            raise self._err(
                f"Maximum Block Size configured value {value} is greater than allowed maximum: "
                f"{_MAX_BLOCK_LENGTH}"
            )
        self._set(item, value)

    def store_speed(self, item: ItemSpec) -> None:
        self._set(item, self._unit_value("speed", parse_speed))

    def _enum_value(self, item: ItemSpec) -> str:
        text = self._token_value(Expect.NAME)
        found = _lower_choices(item.choices).get(text.lower())
        if found is None:
            raise self._err(
                f"Expected a {item.name} keyword ({', '.join(item.choices)}), got: {text}"
            )
        return found

    def store_enum(self, item: ItemSpec) -> None:
        self._set(item, self._enum_value(item))
        self.lx.scan_to_eol()

    def store_enum_flags(self, item: ItemSpec) -> None:
        self._append(item, self._enum_value(item))
        self.lx.scan_to_eol()

    def store_password(self, item: ItemSpec) -> None:
        lx = self.lx
        res = self._res
        assert res is not None
        fname, line = lx.fname, lx.line_no
        try:
            lx.get_token(Expect.STRING)
            text = lx.text
        except ConfigError:
            # The scanner's message would quote the token: never show a password.
            raise ConfigError(f"{item.name}: expected a quoted string", fname, line) from None
        clear = item.kind is Kind.CLEAR_PASSWORD
        if item.kind is Kind.AUTO_PASSWORD:
            protocol = res._values.get("Protocol", "Native")
            clear = protocol in _NDMP_PROTOCOLS
            self._auto_password_protocol = protocol
        if clear:
            if item.required and not text:
                raise self._err(f'Empty Password not allowed in Resource "{res.name}"')
            value = Password.clear(text)
        elif text.startswith(MD5_PREFIX):
            if item.required and text[len(MD5_PREFIX) :].lower().startswith(EMPTY_MD5):
                raise self._err(f'Empty Password not allowed in Resource "{res.name}"')
            try:
                value = Password.from_config_value(text)
            except ConfigError as exc:
                raise ConfigError(f"{item.name}: {exc.reason}", fname, line) from None
        else:
            if item.required and not text:
                raise self._err(f'Empty Password not allowed in Resource "{res.name}"')
            value = Password.from_cleartext(text)
        self._set(item, value)
        try:
            lx.scan_to_eol()
        except ConfigError:
            raise ConfigError(
                f"{item.name}: unexpected text after the password", fname, line
            ) from None

    def store_address(self, item: ItemSpec) -> None:
        token = self.lx.get_token(Expect.SKIP_EOL)
        if token not in (Tok.UNQUOTED_STRING, Tok.NUMBER, Tok.IDENTIFIER):
            raise self._err(f"Expected an IP number or a hostname, got: {self.lx.text}")
        self._set(item, self.lx.text)

    def store_port(self, item: ItemSpec) -> None:
        token = self.lx.get_token(Expect.SKIP_EOL)
        if token not in (Tok.UNQUOTED_STRING, Tok.NUMBER, Tok.IDENTIFIER):
            raise self._err(f"Expected a port number or string, got: {self.lx.text}")
        self._set(item, _port_value(self.lx.text))

    def store_addresses(self, item: ItemSpec) -> None:
        lx = self.lx
        if lx.get_token(Expect.SKIP_EOL) is not Tok.BOB:
            raise self._err(f"Expected a block begin {{ , got: {lx.text}")
        token = lx.get_token(Expect.SKIP_EOL)
        if token is Tok.EOB:
            raise self._err("Empty addr block is not allowed")
        found: list[Address] = []
        while True:
            if token not in (Tok.UNQUOTED_STRING, Tok.IDENTIFIER):
                raise self._err(f"Expected a string, got: {lx.text}")
            family = lx.text.lower()
            if family not in ("ip", "ipv4", "ipv6"):
                raise self._err(f"Expected a string [ip|ipv4|ipv6], got: {lx.text}")
            if lx.get_token(Expect.SKIP_EOL) is not Tok.EQUALS:
                raise self._err(f"Expected a equal =, got: {lx.text}")
            if lx.get_token(Expect.SKIP_EOL) is not Tok.BOB:
                raise self._err(f"Expected a block begin {{ , got: {lx.text}")
            token = lx.get_token(Expect.SKIP_EOL)
            addr: str | None = None
            port: int | str | None = None
            seen: set[str] = set()
            while True:
                if token is not Tok.IDENTIFIER:
                    raise self._err(f"Expected a identifier [addr|port], got: {lx.text}")
                key = lx.text.lower()
                if key not in ("addr", "port"):
                    raise self._err(f"Expected a identifier [addr|port], got: {lx.text}")
                if key in seen:
                    raise self._err(f"Only one {key} per address block")
                seen.add(key)
                if lx.get_token(Expect.SKIP_EOL) is not Tok.EQUALS:
                    raise self._err(f"Expected a equal =, got: {lx.text}")
                token = lx.get_token(Expect.SKIP_EOL)
                if key == "port":
                    if token not in (Tok.UNQUOTED_STRING, Tok.NUMBER, Tok.IDENTIFIER):
                        raise self._err(f"Expected a number or a string, got: {lx.text}")
                    port = _port_value(lx.text)
                else:
                    if token not in (Tok.UNQUOTED_STRING, Tok.IDENTIFIER):
                        raise self._err(f"Expected an IP number or a hostname, got: {lx.text}")
                    addr = lx.text
                token = lx.get_token(Expect.SKIP_EOL)
                if token is not Tok.IDENTIFIER:
                    break
            if token is not Tok.EOB:
                raise self._err(f"Expected a end of block }}, got: {lx.text}")
            found.append(Address(family, addr, port))
            token = lx.next_not_eol()
            if token not in (Tok.IDENTIFIER, Tok.UNQUOTED_STRING):
                break
        if token is not Tok.EOB:
            raise self._err(f"Expected a end of block }}, got: {lx.text}")
        self._append(item, *found)

    # -- Messages ----------------------------------------------------------------

    def _scan_message_types(self) -> tuple[str, ...]:
        lx = self.lx
        types: list[str] = []
        while True:
            text = self._token_value(Expect.NAME)
            name = text[1:] if text.startswith("!") else text
            if name.lower() not in MESSAGE_TYPES:
                raise self._err(f"message type: {name} not found")
            types.append(text)
            if lx.ch != ",":
                break
            lx.get_token(Expect.ALL)  # the comma
        return tuple(types)

    def store_msg_dest(self, item: ItemSpec) -> None:
        lx = self.lx
        key = normalize(item.name)
        where = ""
        if key in _MSG_ADDRESSES:
            dests: list[str] = []
            while True:
                dests.append(self._token_value(Expect.NAME))
                token = lx.get_token(Expect.SKIP_EOL)
                if token is Tok.COMMA:
                    continue
                if token is not Tok.EQUALS:
                    raise self._err(f"expected an =, got: {lx.text}")
                break
            where = " ".join(dests)
        elif key in _MSG_FILE:
            where = self._token_value(Expect.STRING)
            if lx.get_token(Expect.SKIP_EOL) is not Tok.EQUALS:
                raise self._err(f"expected an =, got: {lx.text}")
        elif key == "syslog":
            # "syslog = facility = types" (new) or "syslog = types" (old): Bareos
            # counts the '=' on the line up to the first ',' or ';'.
            equals = 0
            for c in lx.src.line:
                if c in ",;":
                    break
                equals += c == "="
            if equals > 1:
                where = self._token_value(Expect.NAME)
                lx.get_token(Expect.SKIP_EOL)
        types = self._scan_message_types()
        lx.scan_to_eol()
        dest = MessageDestination(item.name, where, types, order=next(_PARSE_ORDER))
        self._append(item, dest)

    # -- FileSet Include / Exclude ----------------------------------------------------

    def store_include_exclude(self, item: ItemSpec) -> None:
        lx = self.lx
        exclude = item.name == "Exclude"
        if lx.get_token(Expect.SKIP_EOL) is not Tok.BOB:
            raise self._err("Old style Include/Exclude not supported")
        files: list[str] = []
        plugins: list[str] = []
        dirs: list[str] = []
        options: list[FileOptions] = []
        while True:
            token = lx.get_token(Expect.SKIP_EOL)
            if token is Tok.EOF or token is Tok.EOB:
                break
            if token is not Tok.IDENTIFIER:
                raise self._err(f"Expecting keyword, got: {lx.text}")
            key = normalize(lx.text)
            if key not in ("file", "plugin", "excludedircontaining", "options"):
                raise self._err(f"Keyword {lx.text} not permitted in this resource")
            if key != "options" and lx.get_token(Expect.SKIP_EOL) is not Tok.EQUALS:
                raise self._err(f"expected an equals, got: {lx.text}")
            if key == "file":
                files.append(self._file_name())
            elif key == "plugin":
                if exclude:
                    raise self._err("Plugin directive not permitted in Exclude")
                plugins.append(self._file_name())
            elif key == "excludedircontaining":
                if exclude:
                    raise self._err("ExcludeDirContaining directive not permitted in Exclude.")
                dirs.append(self._token_value(Expect.NAME))
                lx.scan_to_eol()
            else:
                if exclude:
                    raise self._err("Options section not permitted in Exclude")
                options.append(self._options_block())
        if not options:
            options.append(_file_options({}, ""))
        lx.scan_to_eol()
        self._append(
            item,
            IncludeExclude(item.name, tuple(options), tuple(files), tuple(plugins), tuple(dirs)),
        )

    def _file_name(self) -> str:
        lx = self.lx
        token = lx.get_token(Expect.SKIP_EOL)
        if token in (Tok.IDENTIFIER, Tok.UNQUOTED_STRING):
            if "\\" in lx.text:
                raise self._err(
                    f"Backslash found. Use forward slashes or quote the string.: {lx.text}"
                )
        elif token is not Tok.QUOTED_STRING:
            raise self._err(f"Expected a filename, got: {lx.text}")
        value = lx.text
        lx.scan_to_eol()
        return value

    def _options_block(self) -> FileOptions:
        lx = self.lx
        if lx.get_token(Expect.SKIP_EOL) is not Tok.BOB:
            raise self._err(f"Expecting open brace. Got {lx.text}")
        values: dict[str, tuple[str, ...]] = {}
        opts = ""
        while True:
            token = lx.get_token(Expect.ALL)
            if token is Tok.EOF or token is Tok.EOB:
                break
            if token is Tok.EOL:
                continue
            if token is not Tok.IDENTIFIER:
                raise self._err(f"Expecting keyword, got: {lx.text}")
            canonical = _OPTIONS_KEYWORDS.get(normalize(lx.text))
            if canonical is None:
                raise self._err(f"Keyword {lx.text} not permitted in this resource")
            if lx.get_token(Expect.SKIP_EOL) is not Tok.EQUALS:
                raise self._err(f"expected an equals, got: {lx.text}")
            key = canonical.lower()
            if key in fs.LIST_OPTIONS:
                if key == "plugin":
                    value = self._token_value(Expect.NAME)
                else:
                    token = lx.get_token(Expect.SKIP_EOL)
                    if token not in _STRINGY:
                        raise self._err(f"Expected a {key} string, got: {lx.text}")
                    value = lx.text
                lx.scan_to_eol()
            else:
                value, letters = self._option_value(key)
                opts += letters
                lx.scan_to_eol()
            values[canonical] = values.get(canonical, ()) + (value,)
        return _file_options(values, opts)

    def _option_value(self, key: str) -> tuple[str, str]:
        """ScanIncludeOptions: one option value and the letters it adds."""
        lx = self.lx
        saved = lx.force_string
        lx.force_string = True
        try:
            text = self._token_value(Expect.STRING)
        finally:
            lx.force_string = saved
        if key in fs.LETTER_SET_OPTIONS:
            prefix, permitted = fs.LETTER_SET_OPTIONS[key]
            for c in text:
                if c not in permitted:
                    raise self._err(f"Illegal {key} option {c}, got option string: {text}:")
            letters = prefix
            for c in text:
                if c not in letters:
                    letters += c
            letters += ":"
        elif key == "strippath":
            if not text.isdigit() or not text.isascii():
                raise self._err(f"Expected a strip path positive integer, got: {text}:")
            letters = f"P{text}:"
        elif key == "size":
            if not _size_match_ok(text):
                raise self._err(f"Expected a parseable size, got: {text}:")
            letters = f"z{text}:"
        else:
            letters_for = fs.OPTION_VALUES[key].get(text.lower())
            if letters_for is None:
                raise self._err(f"Expected a FileSet option keyword, got: {text}:")
            letters = letters_for
        if lx.ch == ",":
            lx.get_token(Expect.ALL)
        return text, letters

    # -- Job RunScript ---------------------------------------------------------------

    def store_runscript(self, item: ItemSpec) -> None:
        lx = self.lx
        if lx.get_token(Expect.SKIP_EOL) is not Tok.BOB:
            raise self._err(f"Expecting open brace. Got {lx.text}")
        commands: list[tuple[str, str]] = []
        settings: dict[str, str | bool] = {}
        while True:
            token = lx.get_token(Expect.SKIP_EOL)
            if token is Tok.EOF or token is Tok.EOB:
                break
            if token is not Tok.IDENTIFIER:
                raise self._err(f"Expecting keyword, got: {lx.text}")
            canonical = _RUNSCRIPT_KEYWORDS.get(normalize(lx.text))
            if canonical is None:
                raise self._err(f"Keyword {lx.text} not permitted in this resource")
            if lx.get_token(Expect.SKIP_EOL) is not Tok.EQUALS:
                raise self._err(f"Expected an equals, got: {lx.text}")
            if canonical in ("Command", "Console"):
                commands.append((canonical, self._token_value(Expect.STRING)))
            elif canonical in ("Target", "RunsOnClient"):
                target = self._token_value(Expect.STRING)
                settings[canonical] = target
                if target != "%c" and target.lower() not in ("yes", "no"):
                    self._ref(item, "Client", target)
            elif canonical == "RunsWhen":
                text = self._token_value(Expect.NAME)
                when = _RUNSCRIPT_WHEN.get(text.lower())
                if when is None:
                    raise self._err(f"Expect Before, After, AfterVSS or Always, got: {text}")
                settings[canonical] = when
            else:
                text = self._token_value(Expect.NAME)
                try:
                    flag, deprecated = parse_bool(text)
                except ValueError:
                    raise self._err(f"Expect YES or NO, got: {text}") from None
                if deprecated:
                    self._warn(
                        f"setting boolean value via true/false/1/0 is deprecated ({canonical})"
                    )
                settings[canonical] = flag
            lx.scan_to_eol()
        lx.scan_to_eol()
        self._append(item, RunScript(tuple(commands), settings, order=next(_PARSE_ORDER)))

    def store_short_runscript(self, item: ItemSpec) -> None:
        command = self._token_value(Expect.STRING)
        self.lx.scan_to_eol()
        script = RunScript((("Command", command),), {}, short_form=item.name,
                           order=next(_PARSE_ORDER))  # fmt: skip
        self._append(item, script)

    # -- Schedule Run ----------------------------------------------------------------

    def store_run(self, item: ItemSpec) -> None:
        lx = self.lx
        fname, line = lx.fname, lx.line_no
        saved = lx.no_ident
        lx.no_ident = True  # the Run line wants plain strings
        try:
            overrides, when = self._run_line(item)
        finally:
            lx.no_ident = saved
        self._append(item, RunSpec(overrides, tuple(when), fname, line))

    def _run_line(self, item: ItemSpec) -> tuple[dict[str, str], list[str]]:
        lx = self.lx
        overrides: dict[str, str] = {}
        levels = _lower_choices(JOB_LEVELS)
        while True:
            token = lx.get_token(Expect.NAME)
            field = _RUN_FIELDS.get(lx.text.lower())
            if field is None:
                level = levels.get(lx.text.lower())
                if level is None:
                    break
                overrides["Level"] = level  # old style: a bare level name
                continue
            if lx.get_token(Expect.ALL) is not Tok.EQUALS:
                raise self._err(f"Expected an equals, got: {lx.text}")
            if field == "MaxRunSchedTime":
                lx.get_token(Expect.ALL)
                try:
                    parse_duration(lx.text)
                except ValueError:
                    raise self._err(f"expected a time period, got: {lx.text}") from None
                overrides[field] = lx.text
            elif field == "Priority":
                lx.get_token(Expect.ALL)
                try:
                    overrides[field] = str(parse_int(lx.text, bits=32, signed=False))
                except ValueError as exc:
                    raise self._err(str(exc)) from None
            else:
                text = self._token_value(Expect.NAME)
                if field in ("SpoolData", "Accurate"):
                    try:
                        parse_bool(text)
                    except ValueError:
                        raise self._err(f"Expect a YES or NO; got: {text}") from None
                elif field == "Level":
                    if text.lower() not in levels:
                        raise self._err(f"Job level field: {text} not found in run record")
                    text = levels[text.lower()]
                else:
                    self._ref(item, _RUN_REFS[field], text)
                overrides[field] = text
        when: list[str] = []
        have_at = False
        while token is not Tok.EOL:
            word = lx.text
            if token is Tok.NUMBER:
                if not 1 <= int(word) <= 31:
                    raise self._err("Day number out of range (1-31)")
                when.append(word)
            elif token is Tok.UNQUOTED_STRING:
                when.append(word)
                if ":" in word and "-" not in word:
                    if not have_at:
                        raise self._err("Time must be preceded by keyword AT.")
                    if not _run_time_ok(word):
                        raise self._err("Bad time specification.")
                elif "-" in word or "/" in word:
                    pass  # ranges and modulo specifications
                elif len(word) == 3 and word[0] in "wW" and word[1:].isdigit():
                    if not 0 <= int(word[1:]) <= 53:
                        raise self._err("Week number out of range (0-53)")
                else:
                    role = _RUN_WORDS.get(word.lower())
                    if role is None:
                        raise self._err(f"Job type field: {word} in run record not found")
                    have_at = have_at or role == "at"
            elif token is not Tok.COMMA:
                raise self._err(f"Unexpected token: {token.value}:{word}")
            token = lx.get_token(Expect.ALL)
        return overrides, when


def _port_value(text: str) -> int | str:
    return int(text) if text.isascii() and text.isdigit() else text


def _size_match_ok(text: str) -> bool:
    try:
        if "-" in text:
            lo, hi = text.split("-", 1)
            parse_size(lo)
            parse_size(hi)
        elif text[:1] in "<>":
            parse_size(text[1:])
        else:
            parse_size(text)
    except ValueError:
        return False
    return True


def _run_time_ok(word: str) -> bool:
    hour_text, _, rest = word.partition(":")
    digits = "".join(c for c in hour_text if c.isdigit())
    hour = int(digits) if digits else 0
    minute_digits = rest[:2]
    suffix = rest[2:] if len(rest) >= 2 else rest
    if not minute_digits.isdigit():
        minute_digits = "".join(c for c in minute_digits if c.isdigit()) or "0"
    minute = int(minute_digits)
    if suffix.lower() == "pm":
        if hour != 12:
            hour += 12
    elif suffix.lower() == "am":
        if hour == 12:
            hour = 0
    elif len(rest) != 2:
        return False
    return 0 <= hour <= 23 and 0 <= minute <= 59


def _file_options(values: dict[str, tuple[str, ...]], opts: str) -> FileOptions:
    configured = {k.lower() for k in values}
    for keyword, letter in fs.DEFAULT_OPTION_LETTERS:
        if keyword not in configured:
            opts += letter
    return FileOptions(values, opts)


def check_required(res: Resource) -> None:
    """Every required directive is set (Jobs: after JobDefs were applied)."""
    for item in res.spec.items:
        if item.required and item.name != "Name":
            found, _ = res._lookup(item)
            if not found:
                raise ConfigError(
                    f'"{item.name}" directive in {res.type} "{res.name}" resource is required, '
                    "but not found.",
                    res.file,
                    res.line,
                )


def _keyword_map(names: tuple[str, ...]) -> dict[str, str]:
    return {normalize(n): n for n in names}


from bareosnet.config.tables.director import OPTIONS_KEYWORDS, RUNSCRIPT_KEYWORDS  # noqa: E402

_OPTIONS_KEYWORDS = _keyword_map(OPTIONS_KEYWORDS)
_RUNSCRIPT_KEYWORDS = _keyword_map(RUNSCRIPT_KEYWORDS)

_HANDLERS: dict[Kind, Callable[[Parser, ItemSpec], None]] = {
    Kind.NAME: Parser.store_name,
    Kind.STR: Parser.store_str,
    Kind.PATH: Parser.store_str,
    Kind.STRNAME: Parser.store_strname,
    Kind.RES: Parser.store_res,
    Kind.RES_LIST: Parser.store_res_list,
    Kind.STR_LIST: Parser.store_str_list,
    Kind.PATH_LIST: Parser.store_path_list,
    Kind.DEVICE_LIST: Parser.store_device_list,
    Kind.PLUGIN_NAMES: Parser.store_plugin_names,
    Kind.ACL: Parser.store_acl,
    Kind.AUDIT: Parser.store_audit,
    Kind.INT16: Parser.store_int,
    Kind.PINT16: Parser.store_int,
    Kind.INT32: Parser.store_int,
    Kind.PINT32: Parser.store_int,
    Kind.INT64: Parser.store_int,
    Kind.BOOL: Parser.store_bool,
    Kind.TIME: Parser.store_time,
    Kind.SIZE32: Parser.store_size,
    Kind.SIZE64: Parser.store_size,
    Kind.MAX_BLOCK_SIZE: Parser.store_size,
    Kind.SPEED: Parser.store_speed,
    Kind.ENUM: Parser.store_enum,
    Kind.ENUM_FLAGS: Parser.store_enum_flags,
    Kind.MD5_PASSWORD: Parser.store_password,
    Kind.CLEAR_PASSWORD: Parser.store_password,
    Kind.AUTO_PASSWORD: Parser.store_password,
    Kind.ADDRESSES: Parser.store_addresses,
    Kind.ADDRESS: Parser.store_address,
    Kind.PORT: Parser.store_port,
    Kind.MSG_DEST: Parser.store_msg_dest,
    Kind.INCLUDE_EXCLUDE: Parser.store_include_exclude,
    Kind.RUN: Parser.store_run,
    Kind.RUNSCRIPT: Parser.store_runscript,
    Kind.SHORT_RUNSCRIPT: Parser.store_short_runscript,
}
