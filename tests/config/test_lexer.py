"""The scanner: identifiers, strings, escapes, concatenation, comments, includes."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bareosnet.config.lexer import Expect, Lexer, Tok
from bareosnet.errors import ConfigError


def tokens(text: str, expect: Expect = Expect.ALL) -> list[tuple[Tok, str]]:
    lx = Lexer(text=text, filename="t.conf")
    out: list[tuple[Tok, str]] = []
    while True:
        tok = lx.get_token(expect)
        if tok is Tok.EOF:
            return out
        out.append((tok, lx.text if tok is not Tok.EOL else ""))


def values(text: str) -> list[str]:
    return [
        s
        for t, s in tokens(text)
        if t in (Tok.IDENTIFIER, Tok.UNQUOTED_STRING, Tok.QUOTED_STRING, Tok.NUMBER)
    ]


def test_identifier_drops_spaces() -> None:
    assert tokens("Maximum Concurrent Jobs = 10\n") == [
        (Tok.IDENTIFIER, "MaximumConcurrentJobs"),
        (Tok.EQUALS, "="),
        (Tok.NUMBER, "10"),
        (Tok.EOL, ""),
    ]


def test_unquoted_values_like_bareos() -> None:
    # letters-only words are one identifier (spaces dropped) ...
    assert values("x = bareos fd\n") == ["x", "bareosfd"]
    # ... a non-letter turns it into a string that ends at the next space
    assert values("x = bareos fd1 more\n") == ["x", "bareosfd1", "more"]
    assert values("x = a-b c\n") == ["x", "a-b", "c"]
    assert values("x = 127.0.0.1\n") == ["x", "127.0.0.1"]
    assert tokens("9101}")[0] == (Tok.UNQUOTED_STRING, "9101")


def test_quoted_strings_and_escapes() -> None:
    assert values(r'x = "a \"quoted\" \\ word"' + "\n") == ["x", 'a "quoted" \\ word']
    assert values('x = "two\nlines"\n') == ["x", "two\nlines"]
    assert values('x = "a # not a comment; nor an end"\n') == ["x", "a # not a comment; nor an end"]


def test_adjacent_quoted_strings_are_concatenated() -> None:
    assert values('x = "abc" "def"\n') == ["x", "abcdef"]
    assert values('x = "abc"\n    "def"\ny = 1\n') == ["x", "abcdef", "y", "1"]
    # a comma in between keeps them apart (a list)
    assert values('x = "abc", "def"\n') == ["x", "abc", "def"]


def test_comments_semicolons_crlf() -> None:
    assert tokens("a = 1 # comment\r\nb = 2; c = 3\n") == [
        (Tok.IDENTIFIER, "a"),
        (Tok.EQUALS, "="),
        (Tok.NUMBER, "1"),
        (Tok.EOL, ""),
        (Tok.IDENTIFIER, "b"),
        (Tok.EQUALS, "="),
        (Tok.NUMBER, "2"),
        (Tok.EOL, ""),
        (Tok.IDENTIFIER, "c"),
        (Tok.EQUALS, "="),
        (Tok.NUMBER, "3"),
        (Tok.EOL, ""),
    ]


def test_skip_eol_expectation() -> None:
    assert tokens("a\n\n;b", Expect.SKIP_EOL) == [(Tok.IDENTIFIER, "a"), (Tok.IDENTIFIER, "b")]


def test_byte_order_mark() -> None:
    assert tokens("\ufeffa\n")[:2] == [(Tok.UTF8_BOM, ""), (Tok.IDENTIFIER, "a")]


def test_name_expectation_limits_length() -> None:
    lx = Lexer(text="x" * 127 + "\n")
    assert lx.get_token(Expect.NAME) is Tok.IDENTIFIER
    lx = Lexer(text='"' + "x" * 128 + '"\n', filename="n.conf")
    with pytest.raises(ConfigError, match=r"n.conf:1: name .* too long"):
        lx.get_token(Expect.NAME)


def test_string_expectation_rejects_punctuation() -> None:
    lx = Lexer(text="= x\n", filename="s.conf")
    with pytest.raises(ConfigError, match=r"s.conf:1: expected a string"):
        lx.get_token(Expect.STRING)


def test_unterminated_quote_is_an_error() -> None:
    lx = Lexer(text='x = "open\n', filename="q.conf")
    lx.get_token()
    lx.get_token()
    assert lx.get_token() is Tok.ERROR
    with pytest.raises(ConfigError, match="q.conf"):
        lx.get_token()


# -- includes ------------------------------------------------------------------------


def test_include_splices_tokens(tmp_path: Path) -> None:
    (tmp_path / "inc.conf").write_text("b = 2\n")
    text = f"a = 1\n@{tmp_path}/inc.conf\nc = 3\n"
    assert values(text) == ["a", "1", "b", "2", "c", "3"]


def test_quoted_include_with_spaces(tmp_path: Path) -> None:
    d = tmp_path / "with space"
    d.mkdir()
    (d / "x y.conf").write_text('b = "in"\n')
    assert values(f'a = 1\n@"{d}/x y.conf"\nc = 3\n') == ["a", "1", "b", "in", "c", "3"]


def identifiers(lx: Lexer) -> list[str]:
    seen = []
    while (tok := lx.get_token()) is not Tok.EOF:
        if tok is Tok.IDENTIFIER:
            seen.append(lx.text)
    return seen


def test_glob_include_order(tmp_path: Path) -> None:
    for name in ("a", "b", "c"):
        (tmp_path / f"{name}.conf").write_text(f"{name} = 1\n")
    lx = Lexer(text=f"@{tmp_path}/*.conf\nz = 1\n")
    assert identifiers(lx) == ["a", "b", "c", "z"]
    assert lx.files == ["<string>", *(str(tmp_path / f"{n}.conf") for n in "abc")]
    # Bareos pushes every match on its include stack: the last match is read first.
    lx = Lexer(text=f"@{tmp_path}/*.conf\nz = 1\n", include_order="bareos")
    assert identifiers(lx) == ["c", "b", "a", "z"]
    assert lx.files == ["<string>", *(str(tmp_path / f"{n}.conf") for n in "cba")]


def test_wildcard_without_match_is_ignored(tmp_path: Path) -> None:
    assert values(f"a = 1\n@{tmp_path}/nothing/*.conf\nb = 2\n") == ["a", "1", "b", "2"]


def test_missing_plain_include_is_an_error(tmp_path: Path) -> None:
    lx = Lexer(text=f"a = 1\n@{tmp_path}/missing.conf\n", filename="main.conf")
    with pytest.raises(
        ConfigError, match=r"main.conf:2: Cannot open included config file .*missing.conf"
    ):
        while lx.get_token() is not Tok.EOF:
            pass


def test_relative_include_is_relative_to_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "rel.conf").write_text("r = 1\n")
    monkeypatch.chdir(tmp_path)
    assert values("@rel.conf\n") == ["r", "1"]
    assert os.getcwd() == str(tmp_path)


def test_command_include_is_refused() -> None:
    lx = Lexer(text='a = 1\n@|"echo Name = x"\n', filename="cmd.conf")
    with pytest.raises(ConfigError, match=r"^cmd.conf:2: including the output of a command"):
        while lx.get_token() is not Tok.EOF:
            pass
    lx = Lexer(text="@|/bin/true\n", filename="cmd2.conf")
    with pytest.raises(ConfigError, match=r"^cmd2.conf:1: .*never runs commands"):
        lx.get_token()


# -- property: any string survives quoting -----------------------------------------------

SAFE_TEXT = st.text(alphabet=st.characters(codec="utf-8", exclude_characters="\r\0"), max_size=60)


def bareos_quote(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


@given(SAFE_TEXT)
def test_quoting_round_trip(s: str) -> None:
    lx = Lexer(text=f"Description = {bareos_quote(s)}\n}}\n")
    assert lx.get_token() is Tok.IDENTIFIER
    assert lx.get_token() is Tok.EQUALS
    assert lx.get_token(Expect.STRING) is Tok.QUOTED_STRING
    assert lx.text == s


@given(st.lists(st.text(alphabet="abcXYZ 019-_.", min_size=1, max_size=8), min_size=1, max_size=5))
def test_concatenation_round_trip(parts: list[str]) -> None:
    text = "x = " + " ".join(bareos_quote(p) for p in parts) + "\n"
    assert values(text) == ["x", "".join(parts)]
