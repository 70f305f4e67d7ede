"""FHIR ``date`` / ``dateTime`` / ``instant`` strings -> ``datetime.date``, defensively.

Choices (record-conventions.md «General rules» says partial dates occur):

* **Partial dates** (``2026-03``, ``2026``) become the *first* day of the month or year. The
  alternative (last day) would make an old result look newer than it is; the first day errs
  towards "too old", so a time window can only exclude a borderline result, never let a stale
  one count as recent. An age computed from a partial birth date may be up to a year too high.
* **Date-times with a time zone** keep the calendar date *as written* (``2026-03-05T23:30:00+01:00``
  -> 5 March). The sender's local date is the clinical date; converting to UTC would move late
  evening results to the wrong day.
* Anything that is not a valid date (wrong type, ``2026-02-30``, free text) gives None.
* A lab sample date that is there but does not parse, or lies after today (beyond a day of clock
  skew), makes the result unusable (:func:`sample_date_problem`, ``cds.facts.numbers``).
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from typing import Any

from cds.facts.numbers import shown
from cds.wording.message import Message, msg

_DATETIME = re.compile(
    r"(\d{4})(?:-(\d{2})(?:-(\d{2})"
    r"(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?)?)?"
)
# The shapes nearly every record uses, ASCII digits only: ``2026-03-05`` and
# ``2026-03-05T08:40:00`` with ``Z``, ``±hh:mm`` or no zone. Matched first because reading its
# groups is cheaper than the general pattern's; it never decides differently from it.
_COMMON = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2}):(\d{2})(?:Z|[+-]\d{2}:\d{2})?)?", re.ASCII
)


def parse_datetime(value: object) -> datetime | None:
    """A FHIR date/dateTime/instant as a naive datetime in the sender's local time, or None.

    Missing parts default to the first month/day and midnight (see the module docstring).
    Used to order results taken on the same day; use :func:`parse_date` for the date.
    """
    if not isinstance(value, str):
        return None
    try:
        return _memo[value]
    except KeyError:
        pass
    moment = _parse(value)
    # A panel's results share one timestamp, and a record holds many panels: remember the
    # answers, bounded so that a hostile sender cannot grow the memo without limit.
    if len(_memo) >= _MEMO_LIMIT:
        _memo.clear()
    _memo[value] = moment
    return moment


_MEMO_LIMIT = 4096
_memo: dict[str, datetime | None] = {}


def _parse(value: str) -> datetime | None:
    text = value.strip()
    common = _COMMON.fullmatch(text)
    if common is not None:
        year_s, month_s, day_s, hour_s, minute_s, second_s = common.groups()
        try:
            # «or»: the same defaults as below (month or day 00 reads as 1, year 0 is refused).
            if hour_s is None:
                return datetime(int(year_s) or 0, int(month_s) or 1, int(day_s) or 1)
            return datetime(
                int(year_s) or 0,
                int(month_s) or 1,
                int(day_s) or 1,
                int(hour_s),
                int(minute_s),
                int(second_s),
            )
        except ValueError:
            return None
    match = _DATETIME.fullmatch(text)
    if match is None:
        return None
    year, month, day, hour, minute, second = (
        int(part) if part is not None else None for part in match.groups()
    )
    try:
        return datetime(
            year or 0,  # year 0000 is invalid: let datetime refuse it
            month or 1,
            day or 1,
            hour or 0,
            minute or 0,
            second or 0,
        )
    except ValueError:  # out-of-range part such as month 13 or 30 February
        return None


def parse_date(value: object) -> date | None:
    """The calendar date of a FHIR date/dateTime/instant string, or None."""
    moment = parse_datetime(value)
    return moment.date() if moment is not None else None


def first_datetime(*values: object) -> datetime | None:
    """The first of ``values`` that parses (FHIR's «effectiveDateTime, else period start, ...»)."""
    for value in values:
        moment = parse_datetime(value)
        if moment is not None:
            return moment
    return None


def first_date(*values: object) -> date | None:
    """The date of the first of ``values`` that parses."""
    moment = first_datetime(*values)
    return moment.date() if moment is not None else None


def age_years(birth_date: date | None, today: date) -> int | None:
    """Completed years at ``today``; None without a birth date or when it lies in the future."""
    if birth_date is None or birth_date > today:
        return None
    before_birthday = (today.month, today.day) < (birth_date.month, birth_date.day)
    return today.year - birth_date.year - int(before_birthday)


# How far after ``today`` a sample date may lie (clock skew, time zones) before it is refused.
_FUTURE_TOLERANCE = timedelta(days=1)


def sample_date_problem(
    obs: dict[str, Any], moment: datetime | None, today: date | None
) -> Message | None:
    """Why an Observation's date (``moment``, as parsed) cannot be used, or None.

    Also None when it has no date at all: undated results simply never count, as before.

    A date that is there but does not parse (``2026-13-45``, year 0000, free text), or that lies
    in the future (``9999-12-31``: it would otherwise be the newest result for ever), cannot place
    the result in time.
    """
    if moment is not None:
        if today is not None and moment.date() > today + _FUTURE_TOLERANCE:
            return msg("date.future", when=moment.date())
        return None
    period = obs.get("effectivePeriod")
    for raw in (
        obs.get("effectiveDateTime"),
        period.get("start") if isinstance(period, dict) else None,
        obs.get("effectiveInstant"),
        obs.get("issued"),
    ):
        if raw is not None:
            return msg("date.unreadable", value=shown(raw))
    return None
