"""The fileset transfer: Director -> File daemon after ``fileset\\n``.

One packet per line; the Director sends, for each Include block then each
Exclude block (Bareos ``dird/fd_sendfileset.cc``)::

    I\\n                      (E\\n for an exclude block)
    Z <dir>\\n                one per "Exclude Dir Containing" entry
    O <option letters>\\n     one options block ...
    R|RD|RF <regex>\\n        ... its regex, regexdir, regexfile
    W|WD|WF <wild>\\n         ... wild, wilddir, wildfile
    WB|WF <wild>\\n           ... wildbase (WB with enhanced wild, else WF)
    B <base>\\n  X <fstype>\\n  XD <drivetype>\\n
    G <plugin>\\n  D <reader>\\n  T <writer>\\n
    N\\n                      ... end of the options block
    F <path>                 one per file -- no newline!
    N\\n
    P <plugin command>       one per plugin -- no newline
    N\\n

then ``BNET_EOD`` (sent by the caller).  The FD strips trailing white space
from each line, so paths ending in blanks cannot be transferred.

Option letters (``dird/inc_conf.cc`` builds them, ``filed/fileset.cc`` reads
them) are kept as the raw string in :class:`FileOptions` -- that string is
what travels.  :func:`options_from_keywords` builds it from configuration
keywords exactly as the Director does (including the defaults it appends for
HardLinks, AclSupport and XAttrSupport), :func:`keywords_from_options`
reads it back.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import attrs

from bareosnet.errors import ProtocolError

_WS = " \t\n\v\f\r"

# keyword -> {value -> letters}; from the Director's option table.
_KEYWORD_OPTIONS: dict[str, dict[str, str]] = {
    "signature": {"md5": "M", "sha1": "S", "sha256": "S2", "sha512": "S3", "xxh128": "S4"},
    "compression": {
        "gzip": "Z6",
        **{f"gzip{i}": f"Z{i}" for i in range(1, 10)},
        "lzo": "Zo",
        "lzfast": "Zff",
        "lz4": "Zf4",
        "lz4hc": "Zfh",
    },
    "encryption": {
        "blowfish": "Eb",
        "3des": "E3",
        "aes128": "Ea1",
        "aes192": "Ea2",
        "aes256": "Ea3",
        "camellia128": "Ec1",
        "camellia192": "Ec2",
        "camellia256": "Ec3",
        "aes128hmacsha1": "Eh1",
        "aes256hmacsha1": "Eh2",
    },
    "onefs": {"yes": "0", "no": "f"},
    "recurse": {"yes": "0", "no": "h"},
    "sparse": {"yes": "s", "no": "0"},
    "hardlinks": {"yes": "0", "no": "H"},
    "replace": {"always": "a", "ifnewer": "w", "never": "n"},
    "readfifo": {"yes": "r", "no": "0"},
    "portable": {"yes": "p", "no": "0"},
    "mtimeonly": {"yes": "m", "no": "0"},
    "keepatime": {"yes": "k", "no": "0"},
    "exclude": {"yes": "e", "no": "0"},
    "aclsupport": {"yes": "A", "no": "0"},
    "ignorecase": {"yes": "i", "no": "0"},
    "hfsplussupport": {"yes": "R", "no": "0"},
    "noatime": {"yes": "K", "no": "0"},
    # Bareos's table maps EnhancedWild=yes to "K" too (the FD reads "K" as
    # noatime and "W" as enhanced wild); reproduced as the Director sends it.
    "enhancedwild": {"yes": "K", "no": "0"},
    "checkfilechanges": {"yes": "c", "no": "0"},
    "honornodumpflag": {"yes": "N", "no": "0"},
    "xattrsupport": {"yes": "X", "no": "0"},
    "shadowing": {
        "localwarn": "d1",
        "localremove": "d2",
        "globalwarn": "d3",
        "globalremove": "d4",
        "none": "0",
    },
    "autoexclude": {"yes": "0", "no": "x"},
    "forceencryption": {"yes": "Ef", "no": "0"},
}
# Keywords whose value is free text framed as <letter><value>:
_FRAMED_KEYWORDS = {"verify": "V", "accurate": "C", "strippath": "P", "size": "z"}
# Appended (in this order) when the keyword is not configured (Bareos >= 23).
_DEFAULTS = (("hardlinks", "H"), ("aclsupport", "A"), ("xattrsupport", "X"))


def options_from_keywords(keywords: Mapping[str, str], *, apply_defaults: bool = True) -> str:
    """Option letters for an ``Options { ... }`` block, as the Director builds them.

    Keys and values are case-insensitive (``Signature = MD5``).  Letters are
    appended in the order given; with ``apply_defaults`` the Director's
    defaults for unset HardLinks/AclSupport/XAttrSupport follow (``H``,
    ``A``, ``X``): ``{"signature": "MD5"}`` gives ``"MHAX"``.
    """
    letters: list[str] = []
    seen: set[str] = set()
    for raw_key, raw_value in keywords.items():
        key = raw_key.lower()
        seen.add(key)
        if key in _FRAMED_KEYWORDS:
            value = str(raw_value)
            if ":" in value or any(c in _WS for c in value):
                raise ValueError(f"{raw_key} value {value!r} cannot contain ':' or blanks")
            if key == "strippath" and not value.isdigit():
                raise ValueError(f"StripPath needs a positive integer, got {value!r}")
            framed = value
            if key in ("verify", "accurate"):
                # Bareos drops repeated letters (bstrdedupcat).
                framed = "".join(dict.fromkeys(value))
            letters.append(f"{_FRAMED_KEYWORDS[key]}{framed}:")
            continue
        table = _KEYWORD_OPTIONS.get(key)
        if table is None:
            raise ValueError(f"unknown FileSet option keyword {raw_key!r}")
        letter = table.get(str(raw_value).lower())
        if letter is None:
            raise ValueError(f"{raw_key} does not accept {raw_value!r}")
        letters.append(letter)
    if apply_defaults:
        letters.extend(letter for key, letter in _DEFAULTS if key not in seen)
    return "".join(letters)


_SINGLE_LETTERS: dict[str, tuple[str, str]] = {
    "A": ("aclsupport", "yes"),
    "a": ("replace", "always"),
    "c": ("checkfilechanges", "yes"),
    "e": ("exclude", "yes"),
    "f": ("onefs", "no"),
    "H": ("hardlinks", "no"),
    "h": ("recurse", "no"),
    "i": ("ignorecase", "yes"),
    "K": ("noatime", "yes"),
    "k": ("keepatime", "yes"),
    "M": ("signature", "md5"),
    "m": ("mtimeonly", "yes"),
    "N": ("honornodumpflag", "yes"),
    "n": ("replace", "never"),
    "p": ("portable", "yes"),
    "R": ("hfsplussupport", "yes"),
    "r": ("readfifo", "yes"),
    "s": ("sparse", "yes"),
    "W": ("enhancedwild", "yes"),
    "w": ("replace", "ifnewer"),
    "x": ("autoexclude", "no"),
    "X": ("xattrsupport", "yes"),
}
_MULTI_LETTERS: dict[str, tuple[str, str]] = {
    **{letters: ("compression", name) for name, letters in _KEYWORD_OPTIONS["compression"].items()},
    **{letters: ("encryption", name) for name, letters in _KEYWORD_OPTIONS["encryption"].items()},
    "Ef": ("forceencryption", "yes"),
    "S1": ("signature", "sha1"),
    "S2": ("signature", "sha256"),
    "S3": ("signature", "sha512"),
    "S4": ("signature", "xxh128"),
    "d1": ("shadowing", "localwarn"),
    "d2": ("shadowing", "localremove"),
    "d3": ("shadowing", "globalwarn"),
    "d4": ("shadowing", "globalremove"),
}
_MULTI_LETTERS["Z6"] = ("compression", "gzip6")
_FRAMED_LETTERS = {letter: key for key, letter in _FRAMED_KEYWORDS.items()}


def keywords_from_options(options: str) -> dict[str, str]:
    """Read option letters back into keywords (lower-case, as in the tables).

    ``0`` (an explicit default) carries nothing and is skipped.  Unknown
    letters are a :class:`ProtocolError` (the FD only logs them).
    """
    result: dict[str, str] = {}
    i, n = 0, len(options)
    while i < n:
        ch = options[i]
        if ch == "0":
            i += 1
            continue
        if ch in _FRAMED_LETTERS:
            end = options.find(":", i + 1)
            end = n if end < 0 else end
            result[_FRAMED_LETTERS[ch]] = options[i + 1 : end]
            i = end + 1
            continue
        for width in (3, 2):
            chunk = options[i : i + width]
            if len(chunk) == width and chunk in _MULTI_LETTERS:
                key, value = _MULTI_LETTERS[chunk]
                result[key] = value
                i += width
                break
        else:
            if ch == "S":  # plain S is SHA-1
                result["signature"] = "sha1"
            elif ch in _SINGLE_LETTERS:
                key, value = _SINGLE_LETTERS[ch]
                result[key] = value
            else:
                raise ProtocolError(f"unknown FileSet option letter {ch!r} in {options!r}")
            i += 1
    return result


def _strings(value: Iterable[str]) -> tuple[str, ...]:
    return tuple(value)


def _option_blocks(value: Iterable[FileOptions]) -> tuple[FileOptions, ...]:
    return tuple(value)


def _blocks(value: Iterable[IncludeExclude]) -> tuple[IncludeExclude, ...]:
    return tuple(value)


@attrs.frozen
class FileOptions:
    """One ``Options { }`` block: the letters plus its pattern lists."""

    flags: str = ""
    regex: tuple[str, ...] = attrs.field(default=(), converter=_strings)
    regexdir: tuple[str, ...] = attrs.field(default=(), converter=_strings)
    regexfile: tuple[str, ...] = attrs.field(default=(), converter=_strings)
    wild: tuple[str, ...] = attrs.field(default=(), converter=_strings)
    wilddir: tuple[str, ...] = attrs.field(default=(), converter=_strings)
    wildfile: tuple[str, ...] = attrs.field(default=(), converter=_strings)
    wildbase: tuple[str, ...] = attrs.field(default=(), converter=_strings)
    base: tuple[str, ...] = attrs.field(default=(), converter=_strings)
    fstype: tuple[str, ...] = attrs.field(default=(), converter=_strings)
    drivetype: tuple[str, ...] = attrs.field(default=(), converter=_strings)
    plugin: str | None = None
    reader: str | None = None
    writer: str | None = None

    @classmethod
    def from_keywords(
        cls, keywords: Mapping[str, str], *, apply_defaults: bool = True, **lists: object
    ) -> FileOptions:
        return cls(options_from_keywords(keywords, apply_defaults=apply_defaults), **lists)  # type: ignore[arg-type]

    def keywords(self) -> dict[str, str]:
        return keywords_from_options(self.flags)


@attrs.frozen
class IncludeExclude:
    """An ``Include { }`` or ``Exclude { }`` block."""

    files: tuple[str, ...] = attrs.field(default=(), converter=_strings)
    options: tuple[FileOptions, ...] = attrs.field(default=(), converter=_option_blocks)
    plugins: tuple[str, ...] = attrs.field(default=(), converter=_strings)
    # "Exclude Dir Containing": skip directories that hold a file of this name.
    ignore_dirs: tuple[str, ...] = attrs.field(default=(), converter=_strings)


@attrs.frozen
class FileSet:
    includes: tuple[IncludeExclude, ...] = attrs.field(default=(), converter=_blocks)
    excludes: tuple[IncludeExclude, ...] = attrs.field(default=(), converter=_blocks)


def _line(code: str, item: str) -> bytes:
    if "\n" in item or "\0" in item:
        raise ValueError(f"a fileset item cannot contain a newline or NUL: {item!r}")
    return f"{code} {item}\n".encode("utf-8", "surrogateescape")


def _item(code: str, item: str) -> bytes:
    # Files and plugins go without newline (the Director sends the raw item).
    # A leading backslash is the configuration's escape of "|" / "<" (run or read
    # on the client): Bareos's SendListItem drops it and sends the rest.
    if "\n" in item or "\0" in item:
        raise ValueError(f"a fileset item cannot contain a newline or NUL: {item!r}")
    if item.startswith("\\"):
        item = item[1:]
    return f"{code} {item}".encode("utf-8", "surrogateescape")


def _options_packets(opts: FileOptions) -> list[bytes]:
    out = [_line("O", opts.flags)]
    out += [_line("R", x) for x in opts.regex]
    out += [_line("RD", x) for x in opts.regexdir]
    out += [_line("RF", x) for x in opts.regexfile]
    out += [_line("W", x) for x in opts.wild]
    out += [_line("WD", x) for x in opts.wilddir]
    out += [_line("WF", x) for x in opts.wildfile]
    base_code = "WB" if "W" in opts.flags else "WF"
    out += [_line(base_code, x) for x in opts.wildbase]
    out += [_line("B", x) for x in opts.base]
    out += [_line("X", x) for x in opts.fstype]
    out += [_line("XD", x) for x in opts.drivetype]
    if opts.plugin is not None:
        out.append(_line("G", opts.plugin))
    if opts.reader is not None:
        out.append(_line("D", opts.reader))
    if opts.writer is not None:
        out.append(_line("T", opts.writer))
    out.append(b"N\n")
    return out


def _block_packets(code: str, block: IncludeExclude) -> list[bytes]:
    out = [f"{code}\n".encode()]
    out += [_line("Z", d) for d in block.ignore_dirs]
    for opts in block.options:
        out += _options_packets(opts)
    out += [_item("F", f) for f in block.files]
    out.append(b"N\n")
    out += [_item("P", p) for p in block.plugins]
    out.append(b"N\n")
    return out


def encode_fileset(fileset: FileSet) -> list[bytes]:
    """The packets the Director sends after ``fileset\\n`` (the caller adds EOD).

    Items are sent verbatim but for one leading backslash, which is dropped
    (``\\|program`` goes out as ``F |program`` for the File daemon to run); a
    Director that supports unescaped ``|program`` or ``<file`` items must
    expand them before building the FileSet.
    """
    packets: list[bytes] = []
    for block in fileset.includes:
        packets += _block_packets("I", block)
    for block in fileset.excludes:
        packets += _block_packets("E", block)
    return packets


@attrs.define
class _OptionsBuilder:
    flags: str = ""
    lists: dict[str, list[str]] = attrs.Factory(dict)
    plugin: str | None = None
    reader: str | None = None
    writer: str | None = None

    def add(self, name: str, item: str) -> None:
        self.lists.setdefault(name, []).append(item)

    def build(self) -> FileOptions:
        return FileOptions(
            self.flags,
            plugin=self.plugin,
            reader=self.reader,
            writer=self.writer,
            **{k: tuple(v) for k, v in self.lists.items()},
        )


@attrs.define
class _BlockBuilder:
    exclude: bool
    files: list[str] = attrs.Factory(list)
    plugins: list[str] = attrs.Factory(list)
    ignore_dirs: list[str] = attrs.Factory(list)
    options: list[FileOptions] = attrs.Factory(list)

    def build(self) -> IncludeExclude:
        return IncludeExclude(
            files=self.files,
            options=self.options,
            plugins=self.plugins,
            ignore_dirs=self.ignore_dirs,
        )


_OPTION_LIST_CODES = {
    ("R", " "): "regex",
    ("R", "D"): "regexdir",
    ("R", "F"): "regexfile",
    ("W", " "): "wild",
    ("W", "D"): "wilddir",
    ("W", "F"): "wildfile",
    ("W", "B"): "wildbase",
    ("B", " "): "base",
    ("X", " "): "fstype",
    ("X", "D"): "drivetype",
}


class FilesetParser:
    """File daemon side: feed the packets after ``fileset``, then :meth:`result`.

    Follows the FD's reading: trailing white space is stripped, a line is
    ``<code>[<subcode>] <item>``, an options line outside an options block
    opens one, ``N`` closes it.
    """

    def __init__(self) -> None:
        self._includes: list[_BlockBuilder] = []
        self._excludes: list[_BlockBuilder] = []
        self._block: _BlockBuilder | None = None
        self._opts: _OptionsBuilder | None = None

    def feed(self, payload: bytes) -> None:
        line = payload.split(b"\0", 1)[0].decode("utf-8", "surrogateescape").rstrip(_WS)
        if not line:
            raise ProtocolError("empty fileset line")
        code = line[0]
        rest = line[1:]
        subcode = " "
        if rest and rest[0] != " ":
            subcode, rest = rest[0], rest[1:]
        item = rest[1:] if rest.startswith(" ") else rest

        if code in "IE" and subcode == " ":
            self._close_options()
            self._block = _BlockBuilder(exclude=code == "E")
            (self._excludes if code == "E" else self._includes).append(self._block)
            return
        block = self._block
        if block is None:
            raise ProtocolError(f"fileset line {line!r} before any I or E line")
        if code == "N" and subcode == " ":
            self._close_options()
        elif code in "FP" and subcode == " ":
            self._close_options()
            (block.files if code == "F" else block.plugins).append(item)
        elif code == "Z" and subcode == " ":
            block.ignore_dirs.append(item)
        elif code == "O" and subcode == " ":
            self._options().flags += item
        elif (code, subcode) in _OPTION_LIST_CODES:
            self._options().add(_OPTION_LIST_CODES[(code, subcode)], item)
        elif code == "G" and subcode == " ":
            self._options().plugin = item
        elif code == "D" and subcode == " ":
            self._options().reader = item
        elif code == "T" and subcode == " ":
            self._options().writer = item
        else:
            raise ProtocolError(f"invalid fileset line {line!r}")

    def _options(self) -> _OptionsBuilder:
        if self._opts is None:
            self._opts = _OptionsBuilder()
        return self._opts

    def _close_options(self) -> None:
        if self._opts is not None:
            assert self._block is not None
            self._block.options.append(self._opts.build())
            self._opts = None

    def result(self) -> FileSet:
        self._close_options()
        return FileSet(
            includes=[b.build() for b in self._includes],
            excludes=[b.build() for b in self._excludes],
        )


def parse_fileset(packets: Iterable[bytes]) -> FileSet:
    """Parse the packets between ``fileset`` and EOD."""
    parser = FilesetParser()
    for packet in packets:
        parser.feed(packet)
    return parser.result()
