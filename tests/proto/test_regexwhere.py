"""regexwhere: Bareos's expressions (lib/breg.cc) as the Director builds and the FD applies them."""

from __future__ import annotations

import pytest

from bareosnet.proto.regexwhere import build_where, parse_regexwhere, rewrite


def test_build_where_order_and_escapes() -> None:
    # strip, then suffix, then prefix (bregexp_build_where); "!" and "\" escaped.
    assert build_where("/data/", "/new/", ".old") == "!/data/!!i,!([^/])$!$1.old!,!^!/new/!"
    assert build_where(None, "/", None) == "!^!/!"
    assert build_where("a!b\\c", None, None) == "!a\\!b\\\\c!!i"
    assert build_where(None, None, None) == ""


@pytest.mark.parametrize(
    ("where", "name", "result"),
    [
        ("!/data/!!i,!([^/])$!$1.old!,!^!/new/!", "/data/x/a.txt", "/new/x/a.txt.old"),
        ("!/DATA/!!i", "/data/f", "f"),  # "i": any case; not anchored, first match only
        (r"!(a)(b)?!\1-$2-$0!", "xay", "xa--ay"),  # $N and \N; a group that did not match: ""
        ("!a!b!g", "banana", "bbnbnb"),
        ("!a!b!", "banana", "bbnana"),
        ("!^!!", "/same", "/same"),
    ],
)
def test_rewrites_as_bareos_edit_subst(where: str, name: str, result: str) -> None:
    assert rewrite(name, parse_regexwhere(where)) == result


@pytest.mark.parametrize("bad", ["!unterminated", "!(!x!", ""])
def test_bad_expressions(bad: str) -> None:
    with pytest.raises(ValueError):
        parse_regexwhere(bad)
