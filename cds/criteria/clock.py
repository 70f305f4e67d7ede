"""The pathway clock as criteria data: registration events, forløpstider between them, and the
record evidence that shows an event happened.

Every pathway document lists registration codes per event (start «henvisning mottatt» A, first
attendance S, transfer O, clinical decision C* with its outcome, treatment start F* by kind, exit
X) and calendar-day limits between events (forløpstider). The criteria file says which code is
which event (``RegistrationCode.event``), which ``times`` entry runs from which event to which
(``PathwayTime.start``/``end``/``days``), and, in its ``timeline:`` block, how a record shows an
event that nobody has registered yet (:class:`TimelineSpec`). ``cds.evaluate.clock`` builds a
patient's timeline from these; docs/architecture.md «The pathway clock» explains the reasoning.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import model_validator

from cds.criteria.base import Citation, Strict

# The events of a pathway, in the order a pathway passes them (transfer may come at any point).
EventKind = Literal["start", "first_attendance", "transfer", "decision", "treatment", "exit"]
EVENT_ORDER: tuple[EventKind, ...] = (
    "start",
    "first_attendance",
    "transfer",
    "decision",
    "treatment",
    "exit",
)
# A clinical decision's outcome: the pathway's own cancer (CK; in the diagnostic pathway also an
# organ-specific cancer or a metastasis of unknown origin, CK/CU), another cancer (CM), another
# disease (CA), no disease (CI).
DecisionOutcome = Literal["cancer", "other_cancer", "other_disease", "no_disease"]
# Outcomes that end the pathway without cancer: the «ikke påvist kreft» safety net reads these.
NOT_CANCER: frozenset[str] = frozenset({"other_disease", "no_disease"})
TreatmentKind = Literal["surgery", "drug", "radiotherapy", "palliative", "surveillance", "none"]

_DAYS = re.compile(r"^(\d+)\s*kalenderdager$")


class RegistrationCode(Strict):
    """One registration code of the pathway («A36S Utredning start – første fremmøte»).

    ``outcome`` is set on decision codes and only there; ``treatment`` on treatment codes and
    only there. ``cite`` is the code's line in the source's «Registrering» section.
    """

    code: str
    display: str
    event: EventKind
    outcome: DecisionOutcome | None = None
    treatment: TreatmentKind | None = None
    cite: Citation

    @model_validator(mode="after")
    def _kind_fields(self) -> RegistrationCode:
        if (self.outcome is not None) != (self.event == "decision"):
            raise ValueError(f"{self.code}: outcome is set on decision codes, and only there")
        if (self.treatment is not None) != (self.event == "treatment"):
            raise ValueError(f"{self.code}: treatment is set on treatment codes, and only there")
        return self


class PathwayTime(Strict):
    """A forløpstid: the source's label and time text, and the same as data for the clock.

    ``start``/``end`` name the events it runs between and ``days`` its calendar days (the loader
    checks that ``time`` says the same number). ``treatments`` limits a time that ends at
    treatment start to those kinds («Fra avsluttet utredning til start behandling, kirurgisk
    behandling»). Times without ``start`` are shown on cards only (the acute «innen 1-2 døgn»).
    """

    label: str  # "Fra henvisning mottatt til første fremmøte ved utredende avdeling"
    time: str  # "7 kalenderdager"
    cite: Citation
    start: EventKind | None = None
    end: EventKind | None = None
    days: int | None = None
    treatments: tuple[TreatmentKind, ...] = ()

    @model_validator(mode="after")
    def _consistent(self) -> PathwayTime:
        structured = (self.start, self.end, self.days)
        if any(v is not None for v in structured) and any(v is None for v in structured):
            raise ValueError(f"{self.label!r}: start, end and days are given together")
        if self.days is not None:
            match = _DAYS.match(self.time.strip())
            if match is None or int(match.group(1)) != self.days:
                raise ValueError(f"{self.label!r}: days {self.days} is not what time says")
            if EVENT_ORDER.index(self.start or "start") >= EVENT_ORDER.index(self.end or "start"):
                raise ValueError(f"{self.label!r}: end must come after start")
        if self.treatments and self.end != "treatment":
            raise ValueError(f"{self.label!r}: treatments only on a time that ends at treatment")
        return self


class TreatmentEvidence(Strict):
    """A treatment the record shows: a completed Procedure or a medicine of ``codeset`` (a code
    set of criteria/codes), started on or after the pathway's start."""

    kind: TreatmentKind
    codeset: str
    cite: Citation | None = None
    note: str | None = None


class TimelineSpec(Strict):
    """How a record shows a pathway event that has not been registered.

    * ``departments``: regexes over an Encounter's or Appointment's service type, type,
      specialty, location and serviceProvider texts: a contact at the receiving department after
      the referral counts as first attendance (an Encounter or Appointment whose ``basedOn``
      names the referral always does).
    * ``diagnosis``: code set of the pathway's own cancer; a Condition of it recorded on or after
      the start is a decision with outcome ``cancer``. ``other_cancer``: code set of any cancer;
      another cancer recorded after the start is a decision ``other_cancer``.
    * ``decision_reports``: regexes over a DiagnosticReport's title (epikrise, MDT/tverrfaglig
      møte, poliklinisk notat, pathology); ``malignancy``: the words for the cancer in question.
      Such a report after the start whose conclusion denies malignancy (the one assertion
      mechanism, criteria/assertion.yaml) shows a decision «ikke påvist kreft» — other disease
      or no disease, which a report alone cannot tell apart.
    * ``treatments``: treatment kinds by code set.
    * ``cite``: the sentences that say what the events are (e.g. «Første fremmøte kan være»).
    """

    departments: tuple[str, ...]
    diagnosis: str
    other_cancer: str | None = None
    decision_reports: tuple[str, ...] = ()
    malignancy: tuple[str, ...] = ()
    treatments: tuple[TreatmentEvidence, ...] = ()
    cite: tuple[Citation, ...] = ()
    note: str | None = None
