"""FHIR date strings: full, partial, with time zones, and garbage."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from cds.facts.dates import (
    age_years,
    first_date,
    first_datetime,
    parse_date,
    parse_datetime,
    sample_date_problem,
)
from cds.wording import msg


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-03-05", date(2026, 3, 5)),
        ("2026-03", date(2026, 3, 1)),  # partial: first day of the month
        ("2026", date(2026, 1, 1)),  # partial: first day of the year
        ("2026-03-05T10:15:00Z", date(2026, 3, 5)),
        ("2026-03-05T23:30:00+01:00", date(2026, 3, 5)),  # the date as written, not UTC
        ("2026-03-05T00:30:00-05:00", date(2026, 3, 5)),
        ("2026-03-05T10:15:00.123+0100", date(2026, 3, 5)),
        ("2026-03-05T10:15", date(2026, 3, 5)),
        (" 2026-03-05 ", date(2026, 3, 5)),
    ],
)
def test_parse_date(value: str, expected: date) -> None:
    assert parse_date(value) == expected


@pytest.mark.parametrize(
    "value",
    [
        None,
        20260305,
        "",
        "i går",
        "2026-02-30",
        "2026-13",
        "0000",
        "05.03.2026",
        ["2026-03-05"],
        {"start": "2026-03-05"},
        "2026-03-05T25:00:00Z",
        True,
    ],
)
def test_parse_date_refuses_garbage(value: object) -> None:
    assert parse_date(value) is None


def test_parse_datetime_keeps_local_time_for_ordering() -> None:
    assert parse_datetime("2026-03-05T23:30:00+01:00") == datetime(2026, 3, 5, 23, 30)
    assert parse_datetime("2026-03") == datetime(2026, 3, 1)


def test_first_date_takes_the_first_parseable() -> None:
    assert first_date(None, "garbage", "2026-03", "2026-04-01") == date(2026, 3, 1)
    assert first_date(None, 5) is None
    assert first_datetime() is None


@pytest.mark.parametrize(
    ("birth", "today", "expected"),
    [
        (date(1950, 3, 5), date(2026, 3, 5), 76),
        (date(1950, 3, 6), date(2026, 3, 5), 75),
        (date(2000, 2, 29), date(2026, 2, 28), 25),
        (date(2000, 2, 29), date(2026, 3, 1), 26),
        (date(2027, 1, 1), date(2026, 3, 5), None),
        (None, date(2026, 3, 5), None),
    ],
)
def test_age_years(birth: date | None, today: date, expected: int | None) -> None:
    assert age_years(birth, today) == expected


def test_a_sample_date_problem_is_a_phrase_with_the_date_not_words() -> None:
    # Facts say what is wrong; render words it (cds.wording), with the one date formatter.
    moment = datetime(2026, 3, 17)
    assert sample_date_problem({}, moment, date(2026, 3, 15)) == msg(
        "date.future", when=moment.date()
    )
    assert sample_date_problem({"issued": "i går"}, None, None) == msg(
        "date.unreadable", value="i går"
    )
    assert sample_date_problem({}, None, None) is None  # undated: never counts, no reason
