"""The pathway clock's results: a patient's timeline per pathway (``cds.evaluate.clock``).

Plain frozen dataclasses, decided by evaluate and worded by render (the safety-net and
registration cards, ``cds timeline``). Dates are calendar dates; a deadline is the last day on
which the next event is still on time (day N of an N-day forløpstid), so the patient is overdue
from day N+1.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

from cds.criteria.clock import DecisionOutcome, EventKind, PathwayTime, TreatmentKind

# «not_cancer»: a report denies cancer, which does not tell «annen sykdom» (CA) from «ikke påvist
# sykdom» (CI); the registration card then offers both.
SeenOutcome = DecisionOutcome | Literal["not_cancer"]
# What showed the event: a registration code, or evidence in the record nobody registered yet.
EventSource = Literal["registration", "record"]
# Why the record shows it (for the words and the explain view): the registration code; the
# marked referral; an Encounter/Appointment linked to the referral (basedOn) or at the receiving
# department; a later referral to another receiver; a coded diagnosis; a report that denies
# cancer; a treatment (medicine or procedure).
EvidenceKind = Literal[
    "registration",
    "referral",
    "linked_contact",
    "department_contact",
    "transfer_referral",
    "diagnosis",
    "report_denies_cancer",
    "medication",
    "procedure",
]
ClockStatus = Literal["on_time", "due_today", "overdue", "ended", "no_deadline"]


@dataclass(frozen=True, slots=True)
class SeenEvent:
    """One event of the pathway with its date and evidence."""

    event: EventKind
    when: date
    source: EventSource
    evidence: EvidenceKind
    refs: tuple[str, ...]  # the resources that show it ("Encounter/e1")
    code: str | None = None  # the registration code (registered, or the one the evidence means)
    outcome: SeenOutcome | None = None  # decisions
    treatment: TreatmentKind | None = None  # treatment starts
    label: str = ""  # what the evidence is called in the record («MR-veiledet biopsi»), as written


@dataclass(frozen=True, slots=True)
class Deadline:
    """The next event's last day on time under one forløpstid, counted from the actual date of
    the event it runs from."""

    event: EventKind
    due: date
    since: EventKind
    since_date: date
    time: PathwayTime  # the cited forløpstid


@dataclass(frozen=True, slots=True)
class Booked:
    """A time booked for the next event (an Appointment not yet attended)."""

    ref: str
    when: date | None


@dataclass(frozen=True, slots=True)
class Timeline:
    """One pathway's course for one patient on one day.

    ``events`` are chronological (one per event kind and registration, the earliest after the
    start). ``next_event`` is what the pathway expects next, ``deadline`` its latest applicable
    day (when several forløpstider apply — from the previous event and from the start, or per
    treatment kind — the one that runs out first; for treatment, where the kind is not known
    until it starts, the most lenient kind), ``deadlines`` all of them. ``ended`` says why the
    pathway has nothing more to expect. ``unregistered`` are the events the record shows that
    carry no registration code (registration proposals).
    """

    pathway: str
    today: date
    events: tuple[SeenEvent, ...]
    start: SeenEvent | None
    next_event: EventKind | None
    deadline: Deadline | None
    deadlines: tuple[Deadline, ...]
    status: ClockStatus
    days_overdue: int = 0
    booked: Booked | None = None
    missed: Booked | None = None  # a booked time long past with no attendance recorded
    ended: Literal["exit", "treatment", "not_cancer", "other_cancer", "decision"] | None = None
    unregistered: tuple[SeenEvent, ...] = ()

    @property
    def active(self) -> bool:
        """A pathway has started and is not over."""
        return self.start is not None and self.ended is None

    def seen(self, event: EventKind) -> SeenEvent | None:
        """The first event of this kind, if any."""
        return next((e for e in self.events if e.event == event), None)
