"""The pathway clock: a patient's timeline per pathway, from facts, criteria and today.

A pure function (:func:`timeline`): the same facts and day always give the same timeline. It is
what the GP safety-net cards, the hospital's registration proposals and ``cds timeline`` read,
and what the population audit will run over a whole practice.

**The episode.** A pathway's current episode begins at its newest start (an A registration or a
marked referral). A registration and a referral at most :data:`SAME_EPISODE_DAYS` apart are one
start: the registration's date counts (it is the day the hospital received the referral). Only
events on or after that day count.

**The events** (``cds.evaluate.clock_evidence``): per kind the earliest; a registration of a
kind wins over record evidence of the same kind, and record evidence with no registration of
its kind is ``unregistered`` (what the registration service proposes).

**The next event and its deadline.** start → first attendance → decision → treatment; transfer
changes nothing (the times run on: the source counts from «henvisning mottatt»). The pathway has
ended at an exit, at a treatment start, at a decision other than the pathway's own cancer (in
the diagnostic pathway at any decision: its C codes are «Pakkeforløp slutt»), or at a decision of
cancer when the pathway has no time to a treatment. Each forløpstid ending at the next event
gives a deadline counted in calendar days from the *actual* date of the event it runs from
(none when that event was not seen); the earliest of them counts, except that for treatment,
whose kind is not known before it starts, each kind's earliest is taken and then the most
lenient kind (overdue only when late for every kind). Day N is on time (``due_today``), day N+1
``overdue``.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

from cds.criteria.clock import EVENT_ORDER, EventKind
from cds.criteria.codebook import CodeBook
from cds.criteria.schema import Pathway
from cds.evaluate import clock_evidence as ev
from cds.evaluate.clock_model import Booked, Deadline, SeenEvent, Timeline
from cds.facts.model import PatientFacts

# A registration «henvisning mottatt» and a referral this many days apart are one start.
SAME_EPISODE_DAYS = 30
# A booked first attendance whose day is longer ago than this, with no attendance recorded, no
# longer counts as «the patient has a time».
BOOKED_GRACE_DAYS = 7
_NEXT: dict[EventKind, EventKind] = {
    "start": "first_attendance",
    "first_attendance": "decision",
    "decision": "treatment",
}


def timeline(pathway: Pathway, codebook: CodeBook, facts: PatientFacts, today: date) -> Timeline:
    """The pathway's timeline for this patient on ``today``."""
    registered = list(ev.registered(pathway, facts, today))
    referrals = ev.pathway_referrals(pathway, facts, today)  # dated, oldest first
    start = _start(
        [e for e in registered if e.event == "start"],
        _episode_starts(pathway, list(ev.referral_starts(pathway, referrals))),
    )
    if start is None:
        return Timeline(
            pathway=pathway.id,
            today=today,
            events=(),
            start=None,
            next_event=None,
            deadline=None,
            deadlines=(),
            status="no_deadline",
        )
    first_referral = next((o for o in referrals if o.when and o.when >= start.when), None)
    if first_referral is None:  # registered start only: the referral it answers, if any before
        first_referral = next((o for o in reversed(referrals) if o.when), None)
    referral_ref = first_referral.ref if first_referral is not None else None
    in_episode = [e for e in registered if e.when >= start.when and e.event != "start"]
    found: list[SeenEvent] = []
    booked: list[tuple[str, date | None]] = []
    spec = pathway.timeline
    if spec is not None:
        seen, booked = ev.attendances(spec, pathway, facts, start.when, referral_ref, today)
        found += seen
        found += ev.transfers(pathway, referrals, first_referral)
        found += ev.decisions(spec, pathway, codebook, facts, start.when, today)
        found += ev.treatments(spec, pathway, codebook, facts, start.when, today)
    events = [start, *_merge(in_episode, found)]
    events.sort(key=lambda e: (e.when, EVENT_ORDER.index(e.event)))
    unregistered = tuple(e for e in events if e.source == "record")
    return _clock(pathway, today, tuple(events), start, booked, unregistered)


def _episode_starts(pathway: Pathway, starts: list[SeenEvent]) -> list[SeenEvent]:
    """The referrals that start an episode: a marked referral within the pathway's longest
    forløpstid of an episode's start is part of it (a transfer when it goes to another receiver,
    a copy otherwise), not a new start."""
    span = max((t.days for t in pathway.times if t.days is not None), default=0)
    kept: list[SeenEvent] = []
    for event in sorted(starts, key=lambda e: e.when):
        if kept and (event.when - kept[-1].when).days <= span:
            continue
        kept.append(event)
    return kept


def _start(registered: list[SeenEvent], referrals: list[SeenEvent]) -> SeenEvent | None:
    """The newest start; a registration within SAME_EPISODE_DAYS after a referral replaces it."""
    newest_reg = max(registered, key=lambda e: e.when, default=None)
    newest_ref = max(referrals, key=lambda e: e.when, default=None)
    if newest_reg is None or newest_ref is None:
        return newest_reg or newest_ref
    if abs((newest_reg.when - newest_ref.when).days) <= SAME_EPISODE_DAYS:
        return newest_reg
    return newest_reg if newest_reg.when > newest_ref.when else newest_ref


def _merge(registered: list[SeenEvent], found: Iterable[SeenEvent]) -> list[SeenEvent]:
    """Per kind the earliest registration; record evidence only for kinds never registered,
    the earliest of each kind."""
    kinds = {e.event for e in registered}
    out: dict[EventKind, SeenEvent] = {}
    for event in sorted(registered, key=lambda e: e.when):
        out.setdefault(event.event, event)
    for event in sorted(found, key=lambda e: e.when):
        if event.event not in kinds:
            out.setdefault(event.event, event)
    return list(out.values())


def _ended(pathway: Pathway, events: dict[EventKind, SeenEvent]) -> str | None:
    if "exit" in events:
        return "exit"
    if "treatment" in events:
        return "treatment"
    decision = events.get("decision")
    if decision is None:
        return None
    if decision.outcome in ("not_cancer", "other_disease", "no_disease"):
        return "not_cancer"
    if decision.outcome == "other_cancer":
        return "other_cancer"
    if not any(t.end == "treatment" for t in pathway.times):
        return "decision"  # the diagnostic pathway ends at its decision
    return None


def _clock(
    pathway: Pathway,
    today: date,
    events: tuple[SeenEvent, ...],
    start: SeenEvent,
    booked: list[tuple[str, date | None]],
    unregistered: tuple[SeenEvent, ...],
) -> Timeline:
    by_kind: dict[EventKind, SeenEvent] = {}
    for event in events:
        by_kind.setdefault(event.event, event)
    ended = _ended(pathway, by_kind)
    reached: list[EventKind] = [k for k in _NEXT if k in by_kind]
    last: EventKind = max(reached, key=EVENT_ORDER.index) if reached else "start"
    next_event = None if ended else _NEXT[last]
    deadlines = _deadlines(pathway, by_kind, next_event) if next_event else ()
    deadline = _applicable(deadlines, next_event)
    if ended:
        status = "ended"
    elif deadline is None:
        status = "no_deadline"
    elif today < deadline.due:
        status = "on_time"
    elif today == deadline.due:
        status = "due_today"
    else:
        status = "overdue"
    # A time booked for first attendance (after the start) answers «has the patient a time?» —
    # unless its day is more than BOOKED_GRACE_DAYS past and still no attendance is recorded:
    # then it is ``missed`` (a no-show, or a record nobody updated), which answers nothing.
    time_booked = missed = None
    if next_event == "first_attendance" and booked:
        oldest_current = today - timedelta(days=BOOKED_GRACE_DAYS)
        current = [b for b in booked if b[1] is None or b[1] >= oldest_current]
        if current:
            ref, when = min(current, key=lambda b: (b[1] is None, b[1] or today))
            time_booked = Booked(ref=ref, when=when)
        else:
            ref, when = max(booked, key=lambda b: b[1] or today)
            missed = Booked(ref=ref, when=when)
    return Timeline(
        pathway=pathway.id,
        today=today,
        events=events,
        start=start,
        next_event=next_event,
        deadline=deadline,
        deadlines=deadlines,
        status=status,  # type: ignore[arg-type]  # one of the ClockStatus literals
        days_overdue=(today - deadline.due).days if status == "overdue" and deadline else 0,
        booked=time_booked,
        missed=missed,
        ended=ended,  # type: ignore[arg-type]  # one of the literals of Timeline.ended
        unregistered=unregistered,
    )


def _deadlines(
    pathway: Pathway, by_kind: dict[EventKind, SeenEvent], next_event: EventKind
) -> tuple[Deadline, ...]:
    """Every forløpstid that ends at ``next_event`` and runs from an event that was seen."""
    out: list[Deadline] = []
    for t in pathway.times:
        if t.end != next_event or t.start is None or t.days is None:
            continue
        since = by_kind.get(t.start)
        if since is None:
            continue
        due = since.when + timedelta(days=t.days)
        out.append(
            Deadline(event=next_event, due=due, since=t.start, since_date=since.when, time=t)
        )
    return tuple(out)


def _applicable(deadlines: tuple[Deadline, ...], next_event: EventKind | None) -> Deadline | None:
    """The earliest deadline; for treatment the most lenient kind's earliest."""
    if not deadlines:
        return None
    if next_event != "treatment":
        return min(deadlines, key=lambda d: d.due)
    per_kind: dict[str, Deadline] = {}
    for d in deadlines:
        for kind in d.time.treatments or ("any",):
            if kind not in per_kind or d.due < per_kind[kind].due:
                per_kind[kind] = d
    return max(per_kind.values(), key=lambda d: d.due)
