"""A patient's follow-up plan (``cds.evaluate.followup``) as plain frozen dataclasses: what
render turns into a FHIR ``CarePlan`` and cards, and what the timeline and explain view show,
without importing the deciding code.

Vocabulary: an *activity* is one row of the group's schedule (``mr_lokal``); an *instance* is
one planned date of it (month 12). Each instance has a status:

* ``planned`` — its window has not opened yet;
* ``due`` — the window is open (from ``window.before_days`` before the planned date until
  ``window.after_days`` after it) and nothing in the record shows it done or booked;
* ``overdue`` — later than that, and the next instance's window has not opened;
* ``missed`` — not done, and the next instance's window has opened (the next one is what counts);
* ``booked`` — an Appointment or an active order for it lies in its window;
* ``done`` — a matching report or contact lies in its window;
* ``not_assessed`` — the activity depends on something the record does not show (whether the
  tumour is deep); the plan says which, and nothing is guessed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

from cds.criteria.clock import TreatmentKind
from cds.criteria.followup import ActivityKind, Characteristic, EndReason

InstanceStatus = Literal["planned", "due", "overdue", "missed", "booked", "done", "not_assessed"]
# not_assigned: a diagnosis, but the group or the end of treatment cannot be determined;
# active: in the programme; ended: left it early (end_reason); completed: its last planned date
# has passed.
PlanState = Literal["not_assigned", "active", "ended", "completed"]
NoticeKind = Literal[
    "control_due",  # investigations or visits due/overdue and not booked
    "needs_assessment",  # needs assessment and late-effects screening due
    "completed",  # the programme has ended: the GP takes over
    "not_assigned",  # a sarcoma after treatment, but no group can be given: say what is missing
    "order_not_due",  # order-select: the imaging ordered is not due under the programme
]


@dataclass(frozen=True, slots=True)
class Seen:
    """One thing in the record a decision rests on: its reference, date and own words."""

    ref: str
    when: date | None
    text: str


@dataclass(frozen=True, slots=True)
class CharacteristicValue:
    """The value a characteristic has (``grade`` = ``high``) and the newest evidence for it."""

    characteristic: Characteristic
    value: str
    label: str  # the value's Bokmål label
    evidence: Seen | None  # None: the «absent» value (nothing shows)


@dataclass(frozen=True, slots=True)
class Instance:
    """One planned date of an activity and what the record shows about it."""

    month: int
    planned: date
    window_start: date  # due from
    window_end: date  # overdue after
    status: InstanceStatus
    done_by: Seen | None = None
    booked_by: Seen | None = None


@dataclass(frozen=True, slots=True)
class PlannedActivity:
    """One row of the schedule for this patient."""

    investigation: str  # key of FollowupProgramme.investigations
    label: str
    kind: ActivityKind
    instances: tuple[Instance, ...]
    # The characteristics this activity depends on that the record does not show: its
    # instances are then all ``not_assessed``.
    unknown: tuple[Characteristic, ...] = ()

    def next_open(self, today: date) -> Instance | None:
        """The first instance not yet done, booked or missed whose window has not closed."""
        for instance in self.instances:
            if instance.status in ("planned", "due", "overdue"):
                return instance
        return None


@dataclass(frozen=True, slots=True)
class FollowupPlan:
    """One patient's place in one follow-up programme on ``today``.

    ``missing`` names what could not be determined (characteristics the grouping needs, or
    ``treatment_end``) when ``state`` is ``not_assigned``. ``start`` is the date the schedule's
    months count from: the end of initial treatment, or ``long_treatment_days`` after a medicine
    started that is still given (``start_basis``). ``end`` is the last planned date.
    ``doubt`` is a doubtful recurrence («mistanke om residiv») after treatment: the plan goes on,
    but an extra investigation is then no card's business.
    """

    programme: str
    version: str
    pathway: str
    state: PlanState
    diagnosis: Seen
    today: date
    values: tuple[CharacteristicValue, ...] = ()
    missing: tuple[str, ...] = ()
    conflicts: tuple[Characteristic, ...] = ()
    group: str | None = None
    group_label: str | None = None
    treatment: Seen | None = None  # the last initial treatment found
    treatment_kinds: tuple[TreatmentKind, ...] = ()  # every kind of initial treatment found
    start: date | None = None
    start_basis: Literal["treatment_end", "long_treatment"] | None = None
    end: date | None = None
    end_reason: EndReason | None = None
    end_evidence: Seen | None = None
    doubt: Seen | None = None
    activities: tuple[PlannedActivity, ...] = ()

    def value(self, characteristic: Characteristic) -> str | None:
        """The characteristic's value, or None when unknown."""
        for found in self.values:
            if found.characteristic == characteristic:
                return found.value
        return None


@dataclass(frozen=True, slots=True)
class DueItem:
    """One instance a card is about, with its activity's words."""

    investigation: str
    label: str
    kind: ActivityKind
    instance: Instance


@dataclass(frozen=True, slots=True)
class FollowupNotice:
    """One follow-up card, decided: its kind, level and what it is about.

    ``order_ref`` and ``next_planned`` only for ``order_not_due`` (the draft and the date the
    investigation is next planned; None when it is planned no more in this programme).
    """

    programme: str
    kind: NoticeKind
    level: Literal["info", "warning"]
    plan: FollowupPlan
    items: tuple[DueItem, ...] = ()
    order_ref: str | None = None
    order_label: str | None = None
    next_planned: date | None = None
