"""Lexical scanner for Bareos configuration files.

Theory of operation
-------------------
This is a character-level state machine that behaves like Bareos's own
scanner (``core/src/lib/lex.cc``), because small quirks of that scanner decide
what a configuration *means*:

* an *identifier* starts with a letter and continues over letters **and
  spaces** (spaces are dropped), so ``Maximum Concurrent Jobs`` scans as
  ``MaximumConcurrentJobs`` - and an unquoted value ``bareos fd`` as
  ``bareosfd``; a non-letter inside turns it into an unquoted string, which
  ends at the next space;
* ``;`` ends a logical line, ``#`` starts a comment;
* inside ``"..."`` a backslash escapes the next character and a line break is
  kept; a quoted string followed (on the same line, or at the start of the
  next one) by another quoted string is concatenated with it;
* ``@path`` / ``@"path"`` splices another file into the token stream; a glob
  pattern is expanded (a wildcard matching nothing is ignored); relative paths
  are relative to the process's working directory, as for Bareos's ``glob()``;
* real Bareos pushes every match of a glob on its include stack and so reads
  them in *reverse* sorted order; ``include_order="bareos"`` does the same (it
  decides e.g. the order in which a Director lists its clients) and is what
  ``load_config`` uses by default; ``include_order="sorted"`` reads them in
  sorted order;
* ``@|command`` would run a command in Bareos - we refuse it.

The parser drives the scanner the way Bareos's store routines do: it asks for
one token with an *expectation* (``NAME``, ``STRING``, ``SKIP_EOL`` ...) and
may look at :attr:`Lexer.ch`, the character that ended the token.

Files are read as UTF-8 (undecodable bytes survive as surrogate escapes); a
UTF-8 byte order mark at the start of a file is accepted, UTF-16 is refused.
"""

from __future__ import annotations

import enum
import glob
import os
import re
from collections.abc import Callable
from typing import NoReturn

from bareosnet.errors import ConfigError

EOF = -1  # "character" returned at the end of input
EOL = -2  # "character" returned at the end of a line
_REREAD = 0  # internal: an EOL was pushed back, read the line end again

_SPACE = frozenset(" \t\n\r\v\f")
_ALPHA = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
_DIGIT = frozenset("0123456789")
_BOM = "\ufeff"
_UTF16_LE_1, _UTF16_LE_2, _UTF16_BE = "\udcff", "\udcfe", "\udcfe"

_LINE_SPLIT = re.compile(r"\r\n|\r|\n")


class Tok(enum.Enum):
    """Token kinds (Bareos ``BCT_*``)."""

    NONE = "none"
    EOF = "end of file"
    NUMBER = "number"
    IDENTIFIER = "identifier"
    UNQUOTED_STRING = "unquoted string"
    QUOTED_STRING = "quoted string"
    BOB = "{"
    EOB = "}"
    EQUALS = "="
    COMMA = ","
    EOL = "end of line"
    ERROR = "error"
    UTF8_BOM = "UTF-8 byte order mark"
    UTF16_BOM = "UTF-16 byte order mark"


class Expect(enum.Enum):
    """What the caller wants from the next token (Bareos ``BCT_*`` expectations)."""

    ALL = 0
    SKIP_EOL = 1  # do not return end-of-line tokens
    NAME = 2  # identifier or string, at most 127 characters
    STRING = 3  # identifier or string


class _State(enum.Enum):
    NONE = 0
    COMMENT = 1
    NUMBER = 2
    IDENTIFIER = 3
    STRING = 4
    QUOTED = 5
    INCLUDE_QUOTED = 6
    INCLUDE = 7
    UTF8_BOM = 8
    UTF16_LE_BOM = 9


MAX_RES_NAME_LENGTH = 127


def split_lines(text: str) -> list[str]:
    """Split like Bareos's ``bfgets``: CRLF, CR and LF end a line and become ``\\n``.

    A NUL ends the line for the C code, so the rest of such a line is dropped.
    """
    out: list[str] = []
    pos = 0
    for m in _LINE_SPLIT.finditer(text):
        out.append(text[pos : m.start()].split("\0", 1)[0] + "\n")
        pos = m.end()
    if pos < len(text):
        out.append(text[pos:].split("\0", 1)[0])
    return out


class _Source:
    """One open file on the include stack (the per-file part of Bareos's lexer)."""

    def __init__(self, fname: str, text: str) -> None:
        self.fname = fname
        self.lines = split_lines(text)
        self.seen = False  # has reading started (for Lexer.files)?
        self.next_line = 0
        self.line = ""
        self.line_no = 0
        self.col = 0
        self.ch: int | str = EOL
        self.state = _State.NONE
        self.buf: list[str] = []
        self.begin_line_no = 0


def read_config_file(path: str) -> str:
    """Read one configuration file as text the way the lexer needs it."""
    if os.path.isdir(path):
        # fopen() of a directory succeeds on Linux and reading it yields nothing.
        return ""
    with open(path, "rb") as f:
        return f.read().decode("utf-8", "surrogateescape")


class Lexer:
    """Pull-based scanner over a stack of configuration files.

    ``opener`` reads a file given its path (tests may replace it).
    :attr:`files` lists every file in the order reading it started.
    """

    def __init__(
        self,
        *,
        text: str | None = None,
        filename: str = "<string>",
        pattern: str | None = None,
        opener: Callable[[str], str] = read_config_file,
        include_order: str = "sorted",
    ) -> None:
        if include_order not in ("sorted", "bareos"):
            raise ValueError("include_order must be 'sorted' or 'bareos'")
        self._opener = opener
        self._bareos_order = include_order == "bareos"
        self._stack: list[_Source] = []
        self.files: list[str] = []
        self.no_ident = False  # identifiers scan as plain strings (Schedule Run)
        self.force_string = False  # identifiers and numbers scan as strings
        self.token: Tok = Tok.NONE
        self._last = _Source(filename, "")
        if text is not None:
            self._push(_Source(filename, text))
        elif pattern is not None:
            if not self._open(pattern, where=None) or not self._stack:
                raise ConfigError(f'Cannot open config file "{pattern}"', pattern)
        else:
            raise ValueError("Lexer needs text or a pattern")

    # -- current-position accessors (what the parser reads after a token) --------

    @property
    def src(self) -> _Source:
        return self._stack[-1] if self._stack else self._last

    @property
    def text(self) -> str:
        return "".join(self.src.buf)

    @property
    def ch(self) -> int | str:
        return self.src.ch

    @property
    def fname(self) -> str:
        return self.src.fname

    @property
    def line_no(self) -> int:
        return self.src.line_no

    def error(self, message: str) -> NoReturn:
        """Raise a ConfigError at the current position."""
        raise ConfigError(message, self.src.fname, self.src.line_no)

    # -- include handling -----------------------------------------------------

    def _push(self, source: _Source) -> None:
        self._stack.append(source)

    def _open(self, pattern: str, where: _Source | None) -> bool:
        """Push the file(s) ``pattern`` names; False if a plain path cannot be opened."""
        if pattern.startswith("|"):
            fname = where.fname if where else pattern
            line = where.line_no if where else None
            raise ConfigError(
                "including the output of a command (@|...) is not supported: "
                "bareosnet never runs commands named in a configuration",
                fname,
                line,
            )
        matches = sorted(glob.glob(pattern))
        if not matches:
            if "*" in pattern or "?" in pattern:
                return True  # a wildcard that matches nothing is ignored
            if not os.path.exists(pattern):
                return False
            matches = [pattern]
        sources = []
        for path in matches:
            try:
                sources.append(_Source(path, self._opener(path)))
            except OSError:
                return False
        # The stack is read from the top: pushing in sorted order reads the
        # matches in reverse (Bareos), pushing reversed reads them sorted.
        for source in sources if self._bareos_order else reversed(sources):
            self._push(source)
        return True

    def _include(self, name: str, where: _Source) -> None:
        if not self._open(name, where):
            raise ConfigError(
                f"Cannot open included config file {name}", where.fname, where.line_no
            )

    # -- characters -------------------------------------------------------------

    def get_char(self) -> int | str:
        src = self.src
        if not src.seen:
            src.seen = True
            self.files.append(src.fname)
        if src.ch == EOF:
            self.error(
                "unexpected end of configuration (an opening double quote without the closing one?)"
            )
        if src.ch == EOL:
            if src.next_line >= len(src.lines):
                src.ch = EOF
                if len(self._stack) > 1:
                    # Back to the including file: it resumes with the character
                    # that ended the @include (Bareos restores its saved state).
                    self._last = self._stack.pop()
                    return self.src.ch
                return src.ch
            src.line = src.lines[src.next_line]
            src.next_line += 1
            src.line_no += 1
            src.col = 0
        if src.col >= len(src.line):
            src.ch = EOL
        else:
            c = src.line[src.col]
            src.ch = EOL if c == "\n" else c
            src.col += 1
        return src.ch

    def unget_char(self) -> None:
        src = self.src
        if src.ch == EOL:
            src.ch = _REREAD  # the next get_char sees the end of this line again
        else:
            src.col -= 1

    def _next_line_continues_with_quote(self, src: _Source) -> bool:
        if src.next_line >= len(src.lines):
            return False
        return _starts_with_quote(src.lines[src.next_line], 0)

    # -- tokens -----------------------------------------------------------------

    def _begin(self, src: _Source, ch: str | None) -> None:
        src.buf = [] if ch is None else [ch]
        src.begin_line_no = src.line_no

    def get_token(self, expect: Expect = Expect.ALL) -> Tok:  # noqa: C901 - one state machine
        token = Tok.NONE
        continue_string = False
        esc_next = False
        bom_seen = 0
        skip_eol = expect is Expect.SKIP_EOL
        while token is Tok.NONE:
            ch = self.get_char()
            src = self.src
            state = src.state
            if state is _State.NONE:
                if isinstance(ch, str) and ch in _SPACE:
                    continue
                if isinstance(ch, str) and ch in _ALPHA:
                    src.state = (
                        _State.STRING if (self.no_ident or self.force_string) else _State.IDENTIFIER
                    )
                    self._begin(src, ch)
                    continue
                if isinstance(ch, str) and ch in _DIGIT:
                    src.state = _State.STRING if self.force_string else _State.NUMBER
                    self._begin(src, ch)
                    continue
                if ch == EOF:
                    token = Tok.EOF
                elif ch == "#":
                    src.state = _State.COMMENT
                elif ch == "{":
                    token = Tok.BOB
                    self._begin(src, ch)
                elif ch == "}":
                    token = Tok.EOB
                    self._begin(src, ch)
                elif ch == '"':
                    src.state = _State.QUOTED
                    if not continue_string:
                        self._begin(src, None)
                elif ch == "=":
                    token = Tok.EQUALS
                    self._begin(src, ch)
                elif ch == ",":
                    token = Tok.COMMA
                    self._begin(src, ch)
                elif ch == ";":
                    if not skip_eol:
                        token = Tok.EOL
                elif ch == EOL or ch == _REREAD:
                    if continue_string:
                        continue
                    if not skip_eol:
                        token = Tok.EOL
                elif ch == "@":
                    src.state = _State.INCLUDE
                    self._begin(src, None)
                elif ch in (_BOM, _UTF16_LE_1, _UTF16_BE) and src.line_no == 1 and src.col == 1:
                    bom_seen = 1
                    if ch == _BOM:
                        token = Tok.UTF8_BOM  # decoding already joined the three bytes
                    elif ch == _UTF16_LE_1:
                        src.state = _State.UTF16_LE_BOM
                    else:
                        self.error(
                            "This config file appears to be in an unsupported Unicode "
                            "format (UTF-16be). Please resave as UTF-8"
                        )
                else:
                    src.state = _State.STRING
                    self._begin(src, str(ch))
            elif state is _State.COMMENT:
                if ch == EOL or ch == _REREAD:
                    src.state = _State.NONE
                    if not skip_eol:
                        token = Tok.EOL
                elif ch == EOF:
                    token = Tok.ERROR
            elif state is _State.NUMBER:
                if ch == EOF:
                    token = Tok.ERROR
                    continue
                if isinstance(ch, str) and ch in _DIGIT:
                    src.buf.append(ch)
                    continue
                if (isinstance(ch, str) and ch in _SPACE) or ch in (EOL, _REREAD, ",", ";"):
                    token = Tok.NUMBER
                    src.state = _State.NONE
                else:
                    src.state = _State.STRING
                self.unget_char()
            elif state is _State.STRING:
                if ch == EOF:
                    token = Tok.ERROR
                    continue
                if ch in (EOL, _REREAD) or ch in _STRING_END:
                    self.unget_char()
                    token = Tok.UNQUOTED_STRING
                    src.state = _State.NONE
                    continue
                src.buf.append(str(ch))
            elif state is _State.IDENTIFIER:
                if isinstance(ch, str) and ch in _ALPHA:
                    src.buf.append(ch)
                elif isinstance(ch, str) and ch in _SPACE:
                    pass  # spaces inside identifiers are dropped
                elif ch in (EOL, _REREAD) or ch in _IDENT_END:
                    self.unget_char()
                    token = Tok.IDENTIFIER
                    src.state = _State.NONE
                elif ch == EOF:
                    token = Tok.ERROR
                    src.state = _State.NONE
                    self._begin(src, None)
                else:
                    src.state = _State.STRING
                    src.buf.append(str(ch))
            elif state is _State.QUOTED:
                if ch == EOF:
                    token = Tok.ERROR
                    continue
                if ch == EOL or ch == _REREAD:
                    src.buf.append("\n")
                    esc_next = False
                    continue
                if esc_next:
                    src.buf.append(str(ch))
                    esc_next = False
                    continue
                if ch == "\\":
                    esc_next = True
                    continue
                if ch == '"':
                    if self._next_line_continues_with_quote(src) or _starts_with_quote(
                        src.line, src.col
                    ):
                        continue_string = True
                        src.state = _State.NONE
                        continue
                    token = Tok.QUOTED_STRING
                    # Peek at the next character (callers test for a following comma).
                    self.get_char()
                    self.unget_char()
                    self.src.state = _State.NONE
                    continue
                continue_string = False
                src.buf.append(str(ch))
            elif state is _State.INCLUDE_QUOTED:
                if ch == EOF:
                    token = Tok.ERROR
                    continue
                if esc_next:
                    src.buf.append(str(ch))
                    esc_next = False
                    continue
                if ch == "\\":
                    esc_next = True
                    continue
                if ch == '"':
                    name = "".join(src.buf)
                    self.get_char()  # the character after the quote resumes the outer file
                    src.state = _State.NONE
                    self._include(name, src)
                    continue
                src.buf.append(str(ch))
            elif state is _State.INCLUDE:
                if ch == EOF:
                    token = Tok.ERROR
                    continue
                if ch == '"':
                    src.state = _State.INCLUDE_QUOTED
                    continue
                if (
                    (isinstance(ch, str) and ch in _SPACE)
                    or ch in (EOL, _REREAD)
                    or ch in _INCLUDE_END
                ):
                    src.state = _State.NONE
                    self._include("".join(src.buf), src)
                    continue
                src.buf.append(str(ch))
            elif state is _State.UTF16_LE_BOM:
                if ch == _UTF16_LE_2 and bom_seen == 1:
                    token = Tok.UTF16_BOM
                    src.state = _State.NONE
                else:
                    token = Tok.ERROR
        self.token = token
        return self._check_expectation(token, expect)

    def _check_expectation(self, token: Tok, expect: Expect) -> Tok:
        if expect is Expect.NAME:
            if token not in _STRINGY:
                self.error(f"expected a name, got {token.value}: {self._shown()}")
            if len(self.text.encode("utf-8", "surrogateescape")) > MAX_RES_NAME_LENGTH:
                self.error(f"name {self.text} length too long, max is {MAX_RES_NAME_LENGTH}")
        elif expect is Expect.STRING:
            if token not in _STRINGY:
                self.error(f"expected a string, got {token.value}: {self._shown()}")
        return token

    def _shown(self) -> str:
        s = self.text
        return s if len(s) <= 80 else s[:77] + "..."

    def scan_to_eol(self) -> None:
        """Skip the rest of the logical line, but stop before a closing brace.

        Like Bareos, reaching the end of the input here is an error (the next
        read past the end raises).
        """
        while True:
            token = self.get_token(Expect.ALL)
            if token is Tok.EOL:
                return
            if token is Tok.EOB:
                self.unget_char()
                return

    def next_not_eol(self) -> Tok:
        token = self.get_token(Expect.ALL)
        while token is Tok.EOL:
            token = self.get_token(Expect.ALL)
        return token


_STRINGY = frozenset({Tok.IDENTIFIER, Tok.UNQUOTED_STRING, Tok.QUOTED_STRING})
_STRING_END = frozenset('=}{\r;,#"') | _SPACE
_IDENT_END = frozenset('=}{\r;,"#')
_INCLUDE_END = frozenset("}{;,#")


def _starts_with_quote(line: str, col: int) -> bool:
    """True when, after blanks and tabs, the line continues with a double quote."""
    for c in line[col:]:
        if c == '"':
            return True
        if c not in " \t":
            return False
    return False
