"""When a follow-up plan starts, and where each of its planned controls stands.

**Start.** The end of initial treatment (seed 004 §1.2: primary treatment and planned adjuvant
radiotherapy, medicine and surgery): the latest completed operation or radiotherapy Procedure of
the programme's code sets, or cancer medicine (its statement's end date, else its start), from
``treatment_lookback_days`` before the diagnosis on. A medicine still given ``long_treatment_days``
after it started does not hold the plan back: it starts that many days after the medicine's start
(§1.2, «2-3 mdr. efter, at den initiale behandling påbegyndes»). A medicine still given for a
shorter time means treatment is ongoing: no start yet.

**Instances.** Each activity's months are counted from the start (calendar months). An instance is
due from ``window.before_days`` before its date until ``window.after_days`` after it, then overdue
until the next instance's window opens (then missed; the last one half a year after its window
closed). It is *done* by the earliest matching report or contact not used by an earlier instance,
from its window's opening until the next instance's window opens (the last: until half a year after
its window), and *booked* by an Appointment not more than a week past, or an active order, in that
span (an order may be placed up to :data:`ORDER_AHEAD_DAYS` ahead).
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Literal

from cds.criteria.clock import TreatmentKind
from cds.criteria.codebook import CodeBook
from cds.criteria.followup import Characteristic, FollowupProgramme, Group, Investigation
from cds.evaluate.clock_evidence import (
    ATTENDED_APPOINTMENT,
    ATTENDED_ENCOUNTER,
    BOOKED_APPOINTMENT,
)
from cds.evaluate.followup_model import Instance, InstanceStatus, PlannedActivity, Seen
from cds.evaluate.followup_profile import Profile
from cds.evaluate.matching import matcher_for, matching_medications, regexes
from cds.facts.model import PatientFacts
from cds.facts.reports import modality_of

# Only a completed Procedure ends treatment (a radiotherapy course in progress has not ended),
# unlike the clock, where an operation in progress has started it.
_DONE_PROCEDURE = frozenset({"completed"})
_DONE_ORDER = frozenset({"completed"})
_ACTIVE_ORDER = frozenset({"active", "on-hold"})
# An active order may be placed this long before the window it is for opens.
ORDER_AHEAD_DAYS = 90
# The last instance counts as done by something up to this long after its window closed (a
# control years later is no control of the programme).
_LAST_GRACE = timedelta(days=180)
# A booked appointment this many days past with no result is no longer read as booked.
STALE_BOOKING_DAYS = 7


@dataclass(frozen=True, slots=True)
class Start:
    """The plan's start and what it rests on."""

    start: date | None
    basis: Literal["treatment_end", "long_treatment"] | None
    last: Seen | None
    kinds: tuple[TreatmentKind, ...]
    ongoing: bool = False


def treatment_start(
    programme: FollowupProgramme,
    codebook: CodeBook,
    facts: PatientFacts,
    diagnosed: date | None,
    today: date,
) -> Start:
    """See the module docstring («Start»)."""
    since = (diagnosed or date.min) - timedelta(days=programme.treatment_lookback_days)
    done: list[tuple[date, Seen, TreatmentKind]] = []
    running: list[date] = []
    for item in programme.treatments:
        codeset = codebook.codesets[item.codeset]
        if item.kind == "drug":
            for med, _ in matching_medications(facts, codeset):
                if med.when is None or not since <= med.when <= today:
                    continue
                if med.active and (med.end is None or med.end > today):
                    running.append(med.when)
                else:
                    end = med.end or med.when
                    done.append((end, Seen(med.ref, end, med.name), item.kind))
            continue
        matcher = matcher_for(codeset)
        for order in facts.orders:
            if order.resource_type != "Procedure" or order.status not in _DONE_PROCEDURE:
                continue
            if order.when is None or not since <= order.when <= today:
                continue
            if matcher.matches(order.codes):
                done.append((order.when, Seen(order.ref, order.when, order.name or ""), item.kind))
    kinds = tuple(dict.fromkeys(kind for _, _, kind in sorted(done, key=lambda d: d[0])))
    last = max(done, key=lambda d: (d[0], d[1].ref), default=None)
    if running:
        began = min(running)
        if (today - began).days >= programme.long_treatment_days:
            begins = began + timedelta(days=programme.long_treatment_days)
            return Start(begins, "long_treatment", last[1] if last else None, (*kinds, "drug"))
        return Start(None, None, last[1] if last else None, kinds, ongoing=True)
    if last is None:
        return Start(None, None, None, ())
    return Start(last[0], "treatment_end", last[1], kinds)


def activities(
    programme: FollowupProgramme,
    group: Group,
    found: Profile,
    start: date,
    facts: PatientFacts,
    today: date,
) -> tuple[PlannedActivity, ...]:
    """The group's schedule for this patient: rows of one investigation merged, rows whose
    conditions the patient's values exclude left out, rows whose values are unknown kept as
    ``not_assessed`` instances."""
    known: dict[str, set[int]] = {}
    unassessed: dict[str, set[int]] = {}
    unknown: dict[str, list[Characteristic]] = {}
    for row in group.schedule:
        missing: list[Characteristic] = []
        excluded = False
        for name, values in row.when.items():
            value = found.value(name)
            if value is None:
                missing.append(name)
            elif value not in values:
                excluded = True
        if excluded:
            continue
        target = unassessed if missing else known
        target.setdefault(row.investigation, set()).update(row.months)
        known.setdefault(row.investigation, set())
        unknown.setdefault(row.investigation, [])
        unknown[row.investigation].extend(m for m in missing if m not in unknown[row.investigation])
    out: list[PlannedActivity] = []
    for key, months in known.items():
        inv = programme.investigations[key]
        instances = list(_instances(programme, inv, sorted(months), start, facts, today))
        for month in sorted(unassessed.get(key, set()) - months):
            planned = add_months(start, month)
            instances.append(_blank(programme, month, planned, "not_assessed"))
        instances.sort(key=lambda i: i.month)
        out.append(PlannedActivity(key, inv.label, inv.kind, tuple(instances), tuple(unknown[key])))
    return tuple(out)


def add_months(start: date, months: int) -> date:
    """``start`` plus calendar months (the 31st becomes the month's last day)."""
    year, month0 = divmod(start.month - 1 + months, 12)
    year += start.year
    day = min(start.day, calendar.monthrange(year, month0 + 1)[1])
    return date(year, month0 + 1, day)


def _blank(
    programme: FollowupProgramme, month: int, planned: date, status: InstanceStatus
) -> Instance:
    window = programme.window
    return Instance(
        month=month,
        planned=planned,
        window_start=planned - timedelta(days=window.before_days),
        window_end=planned + timedelta(days=window.after_days),
        status=status,
    )


def _instances(
    programme: FollowupProgramme,
    inv: Investigation,
    months: list[int],
    start: date,
    facts: PatientFacts,
    today: date,
) -> Iterator[Instance]:
    """Each instance with its status (see the module docstring, «Instances»)."""
    blanks = [_blank(programme, m, add_months(start, m), "planned") for m in months]
    shown = [*_done(inv, facts, today)]
    for other in inv.done_with:
        shown.extend(_done(programme.investigations[other], facts, today))
    done = sorted(shown, key=lambda s: (s.when or date.min, s.ref))
    held = [*_booked(inv, facts, today)]
    for other in inv.done_with:  # booked with the control it is made at
        held.extend(_booked(programme.investigations[other], facts, today))
    booked = sorted(held, key=lambda s: (s.when or date.min, s.ref))
    used: set[str] = set()
    for i, blank in enumerate(blanks):
        following = blanks[i + 1] if i + 1 < len(blanks) else None
        until = following.window_start if following else blank.window_end + _LAST_GRACE
        hit = next(
            (
                s
                for s in done
                if s.ref not in used and s.when and blank.window_start <= s.when < until
            ),
            None,
        )
        if hit is not None:
            used.add(hit.ref)
            yield _with(blank, "done", done_by=hit)
            continue
        ahead = blank.window_start - timedelta(days=ORDER_AHEAD_DAYS)
        hold = next(
            (
                s
                for s in booked
                if s.ref not in used
                and s.when is not None
                and (ahead if s.ref.startswith("ServiceRequest/") else blank.window_start)
                <= s.when
                < (following.window_start if following else date.max)
            ),
            None,
        )
        if following is not None and today >= following.window_start:
            yield _with(blank, "missed")  # a booking now is for the next one
        elif following is None and today > blank.window_end + _LAST_GRACE:
            yield _with(blank, "missed")
        elif hold is not None:
            used.add(hold.ref)
            yield _with(blank, "booked", booked_by=hold)
        elif today < blank.window_start:
            yield blank
        elif today <= blank.window_end:
            yield _with(blank, "due")
        else:
            yield _with(blank, "overdue")


def _with(
    blank: Instance,
    status: InstanceStatus,
    *,
    done_by: Seen | None = None,
    booked_by: Seen | None = None,
) -> Instance:
    return Instance(
        blank.month, blank.planned, blank.window_start, blank.window_end, status, done_by, booked_by
    )


def imaging_matches(inv: Investigation, title: str, modality: str | None) -> bool:
    """A report (or order) of this modality whose title names the investigation's region."""
    spec = inv.imaging
    if spec is None or modality not in spec.modalities:
        return False
    if spec.regions and not any(p.search(title) for p in regexes(spec.regions)):
        return False
    return not any(p.search(title) for p in regexes(spec.not_regions))


def order_is(inv: Investigation, labels: tuple[str, ...]) -> bool:
    """An order's labels name this investigation (imaging: modality and region; otherwise the
    investigation's patterns)."""
    if inv.kind == "imaging":
        text = " ".join(labels)
        return imaging_matches(inv, text, modality_of(labels))
    patterns = regexes(inv.patterns)
    return any(p.search(label) for label in labels for p in patterns)


def _done(inv: Investigation, facts: PatientFacts, today: date) -> Iterator[Seen]:
    """What in the record shows the investigation done, up to today."""
    if inv.kind == "imaging":
        for report in facts.reports:
            if report.when and report.when <= today and report.kind == "radiology":
                if imaging_matches(inv, report.title, report.modality):
                    yield Seen(report.ref, report.when, report.title)
    elif inv.kind == "visit":
        departments = regexes(inv.departments)
        yield from _attended(facts.encounters, ATTENDED_ENCOUNTER, "department", departments, today)
        yield from _attended(
            facts.appointments, ATTENDED_APPOINTMENT, "department", departments, today
        )
    else:
        patterns = regexes(inv.patterns)
        yield from _attended(facts.encounters, ATTENDED_ENCOUNTER, "reason", patterns, today)
        for report in facts.reports:
            if (
                report.when
                and report.when <= today
                and any(p.search(report.title) for p in patterns)
            ):
                yield Seen(report.ref, report.when, report.title)
    for order in facts.orders:
        done = order.status in (
            _DONE_PROCEDURE if order.resource_type == "Procedure" else _DONE_ORDER
        )
        if done and order.when and order.when <= today and order_is(inv, order.labels):
            yield Seen(order.ref, order.when, order.name or "")


def _attended(
    contacts: Iterable[Any],
    attended: Collection[str],
    field: str,
    patterns: Sequence[re.Pattern[str]],
    today: date,
) -> Iterator[Seen]:
    """Contacts (encounters or appointments) attended up to today whose ``field`` (department
    or reason) one of ``patterns`` finds; shown by that field's first line."""
    for contact in contacts:
        if contact.status in attended and contact.when and contact.when <= today:
            text: str = getattr(contact, field)
            if any(p.search(text) for p in patterns):
                yield Seen(contact.ref, contact.when, text.split("\n")[0])


def _booked(inv: Investigation, facts: PatientFacts, today: date) -> Iterator[Seen]:
    """Appointments and active orders for the investigation."""
    fresh = today - timedelta(days=STALE_BOOKING_DAYS)
    words = regexes(inv.departments if inv.kind == "visit" else inv.patterns)
    for app in facts.appointments:
        if app.status in BOOKED_APPOINTMENT and app.when and app.when >= fresh:
            imaging = inv.kind == "imaging" and order_is(inv, (app.department,))
            if imaging or any(p.search(app.department) for p in words):
                yield Seen(app.ref, app.when, app.department.split("\n")[0])
    for order in facts.orders:
        if order.resource_type == "ServiceRequest" and order.status in _ACTIVE_ORDER and order.when:
            if order_is(inv, order.labels):
                yield Seen(order.ref, order.when, order.name or "")
