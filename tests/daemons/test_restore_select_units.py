"""Pieces of the restore dialog without daemons: dates, the run prompt's answers, tables."""

from __future__ import annotations

import time

import pytest

from daemons.director.console.restore_dialog import table
from daemons.director.console.restore_run import valid_answer
from daemons.director.console.restore_select import compensate_short_date, parse_date


@pytest.mark.parametrize(
    ("text", "full"),
    [
        ("2026", "2026-01-01 00:00:00"),
        ("2026-12", "2026-12-01 00:00:00"),
        ("2026-12-08", "2026-12-08 00:00:00"),
        ("2026-12-08 10", "2026-12-08 10:00:00"),
        ("2026-12-08 10:11", "2026-12-08 10:11:00"),
        ("2026-12-08 10:11:12", "2026-12-08 10:11:12"),
        ("99", "99"),  # before 1900: unchanged (and then not a date)
        ("tomorrow", "tomorrow"),
        ("2026-12-08x", "2026-12-08x"),
    ],
)
def test_compensate_short_date(text: str, full: str) -> None:
    assert compensate_short_date(text) == full


def test_parse_date_is_local_time() -> None:
    assert parse_date("2026-12-08 10:11:12") == time.mktime((2026, 12, 8, 10, 11, 12, 0, 0, -1))
    assert parse_date("2026-12-08") is None
    assert parse_date("") is None


@pytest.mark.parametrize(
    ("answer", "valid"),
    [("", True), ("y", True), ("YES", True), ("n", True), ("no", True), ("m", True),
     ("mod", True), (".mod", True), ("mod where=/x", True), (".mod where=/x", True),
     ("maybe", False), ("yess", False), ("modify", False), ("nope", False)],
)  # fmt: skip
def test_run_prompt_answers(answer: str, valid: bool) -> None:
    assert valid_answer(answer) is valid


def test_table_plain_and_gui() -> None:
    rows = [{"jobid": 1234, "name": "/a", "jobbytes": 12345}]
    assert table(rows, ["jobid", "name", "jobbytes"]) == [
        "+-------+------+----------+\n",
        "| jobid | name | jobbytes |\n",
        "+-------+------+----------+\n",
        "|  1234 | /a   |   12,345 |\n",
        "+-------+------+----------+\n",
    ]
    assert table(rows, ["jobid", "name", "jobbytes"], gui=True)[3] == "| 1234  | /a   | 12345    |\n"
    assert table([], ["jobid"]) == ["No results to list.\n"]
