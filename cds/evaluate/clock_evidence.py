"""Where a record shows a pathway's events: registrations first, then the evidence nobody has
registered (``TimelineSpec``, cds/criteria/clock.py).

Each finder returns candidate :class:`SeenEvent` s for one event kind, dated on or after the
episode's start and not after today; ``cds.evaluate.clock`` keeps the earliest. What counts:

* **start** — an A registration, or the marked referral («Pakkeforløp for …» in its text, sent:
  not draft/revoked/cancelled/entered-in-error) on its date. The hospital registers «henvisning
  mottatt» on the day it receives the referral; from the GP's record the referral's own date is
  the best we have (electronic referrals arrive the same day).
* **first attendance** — an S registration; an Encounter (finished, in progress, arrived) or an
  Appointment (arrived, checked in, fulfilled) that names the referral in ``basedOn``, or whose
  department texts match ``timeline.departments``. A booked Appointment (booked, pending,
  proposed) or a planned Encounter is a time booked, not an attendance.
* **transfer** — an O registration, or a later marked referral to another receiver (its
  performer differs from the first referral's).
* **decision** — a C registration; a Condition of ``timeline.diagnosis`` (outcome cancer) or of
  ``timeline.other_cancer`` (outcome other cancer) recorded on or after the start; a report whose
  title matches ``timeline.decision_reports`` and whose conclusion denies every mention of
  ``timeline.malignancy`` (outcome «not_cancer»; a hedged or affirmed mention never counts).
* **treatment** — an F registration; a medicine or completed Procedure of a
  ``timeline.treatments`` code set.
* **exit** — an X registration only.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

from cds.criteria.clock import EventKind, TimelineSpec
from cds.criteria.codebook import CodeBook
from cds.criteria.schema import Pathway
from cds.evaluate.clock_model import SeenEvent
from cds.evaluate.matching import matcher_for, matching_conditions, matching_medications, regexes
from cds.evaluate.referral_state import NOT_SENT, is_labelled
from cds.facts.model import OrderFact, PatientFacts
from cds.facts.text import findings

ATTENDED_ENCOUNTER = frozenset({"finished", "in-progress", "arrived", "triaged", "onleave"})
ATTENDED_APPOINTMENT = frozenset({"arrived", "checked-in", "fulfilled"})
BOOKED_APPOINTMENT = frozenset({"booked", "pending", "proposed", "waitlist"})
_DONE_PROCEDURE = frozenset({"completed", "in-progress"})


def _refs(ref: str) -> tuple[str, ...]:
    """The evidence references of one resource (none when it has no id: never invent one)."""
    return (ref,) if ref else ()


def registered(pathway: Pathway, facts: PatientFacts, today: date) -> Iterator[SeenEvent]:
    """Every registration of this pathway's codes in the record, dated and not in the future."""
    by_code = {c.code: c for c in pathway.registration_codes}
    for reg in facts.registrations:
        code = by_code.get(reg.code)
        if code is None or reg.when is None or reg.when > today:
            continue
        yield SeenEvent(
            event=code.event,
            when=reg.when,
            source="registration",
            evidence="registration",
            refs=_refs(reg.ref),
            code=code.code,
            outcome=code.outcome,
            treatment=code.treatment,
            label=code.display,
        )


def pathway_referrals(pathway: Pathway, facts: PatientFacts, today: date) -> list[OrderFact]:
    """The sent, dated referrals marked for this pathway, oldest first."""
    found = [
        o
        for o in facts.orders
        if o.resource_type == "ServiceRequest"
        and o.status not in NOT_SENT
        and o.when is not None
        and o.when <= today
        and is_labelled(o, pathway)
    ]
    return sorted(found, key=lambda o: (o.when or today, o.ref))


def _code(pathway: Pathway, event: EventKind, outcome: str | None = None) -> str | None:
    """The registration code for an event (and decision outcome / treatment kind)."""
    for c in pathway.registration_codes:
        if c.event == event and (outcome is None or outcome in (c.outcome, c.treatment)):
            return c.code
    return None


def referral_starts(pathway: Pathway, referrals: list[OrderFact]) -> Iterator[SeenEvent]:
    """A start per marked referral (:func:`pathway_referrals`)."""
    for order in referrals:
        if order.when is None:  # pathway_referrals keeps dated orders only
            continue
        yield SeenEvent(
            event="start",
            when=order.when,
            source="record",
            evidence="referral",
            refs=_refs(order.ref),
            code=_code(pathway, "start"),
            label=order.name or pathway.referral.label,
        )


def attendances(
    spec: TimelineSpec,
    pathway: Pathway,
    facts: PatientFacts,
    start: date,
    referral: str | None,
    today: date,
) -> tuple[list[SeenEvent], list[tuple[str, date | None]]]:
    """First-attendance candidates, and times booked ((ref, date) of appointments not attended)."""
    departments = regexes(spec.departments)
    code = _code(pathway, "first_attendance")

    def linked(refs: tuple[str, ...]) -> bool:
        return referral is not None and referral in refs

    def at_department(text: str) -> bool:
        return bool(text) and any(rx.search(text) for rx in departments)

    seen: list[SeenEvent] = []
    booked: list[tuple[str, date | None]] = []
    for enc in facts.encounters:
        if not (linked(enc.based_on) or at_department(enc.department)):
            continue
        if enc.status == "planned":
            booked.append((enc.ref, enc.when))
        elif enc.status in ATTENDED_ENCOUNTER and enc.when and start <= enc.when <= today:
            seen.append(_contact(enc.ref, enc.when, linked(enc.based_on), code, enc.department))
    for app in facts.appointments:
        if not (linked(app.based_on) or at_department(app.department)):
            continue
        if app.status in BOOKED_APPOINTMENT and (app.when is None or app.when >= start):
            booked.append((app.ref, app.when))
        elif app.status in ATTENDED_APPOINTMENT and app.when and start <= app.when <= today:
            seen.append(_contact(app.ref, app.when, linked(app.based_on), code, app.department))
    return seen, booked


def _contact(ref: str, when: date, linked: bool, code: str | None, department: str) -> SeenEvent:
    return SeenEvent(
        event="first_attendance",
        when=when,
        source="record",
        evidence="linked_contact" if linked else "department_contact",
        refs=_refs(ref),
        code=code,
        label=department.split("\n", 1)[0],
    )


def transfers(
    pathway: Pathway, referrals: list[OrderFact], first: OrderFact | None
) -> Iterator[SeenEvent]:
    """A later marked referral (of :func:`pathway_referrals`) to another receiver than the
    first one's."""
    if first is None or not first.performer or first.when is None:
        return
    for order in referrals:
        if order.when is None or order.when <= first.when or order.ref == first.ref:
            continue
        if order.performer and order.performer != first.performer:
            yield SeenEvent(
                event="transfer",
                when=order.when,
                source="record",
                evidence="transfer_referral",
                refs=_refs(order.ref),
                code=_code(pathway, "transfer"),
                label=order.performer.split("\n")[-1],
            )


def decisions(
    spec: TimelineSpec,
    pathway: Pathway,
    codebook: CodeBook,
    facts: PatientFacts,
    start: date,
    today: date,
) -> Iterator[SeenEvent]:
    """Decisions the record shows: a coded cancer, or a report that denies cancer."""
    own = codebook.codesets[spec.diagnosis]
    sets = [(own, "cancer")]
    if spec.other_cancer is not None:
        sets.append((codebook.codesets[spec.other_cancer], "other_cancer"))
    own_matcher = matcher_for(own)
    for codeset, outcome in sets:
        for condition, _ in matching_conditions(facts, codeset):
            if condition.when is None or not start <= condition.when <= today:
                continue
            if outcome == "other_cancer" and own_matcher.matches(condition.codes):
                continue  # the pathway's own cancer is also «a cancer»: it is the first set's
            yield SeenEvent(
                event="decision",
                when=condition.when,
                source="record",
                evidence="diagnosis",
                refs=_refs(condition.ref),
                code=_code(pathway, "decision", outcome),
                outcome=outcome,  # type: ignore[arg-type]  # one of the two literals above
                label=condition.text,
            )
    titles = regexes(spec.decision_reports)
    lexicon = codebook.assertion
    if lexicon is None:  # a hand-built code book without the lexicon cannot read a denial
        return
    for report in facts.reports:
        if report.when is None or not start <= report.when <= today:
            continue
        if not any(rx.search(report.title) for rx in titles):
            continue
        said = findings(report.conclusion, spec.malignancy, lexicon)
        if said and all(f.assertion == "negated" for f in said):
            yield SeenEvent(
                event="decision",
                when=report.when,
                source="record",
                evidence="report_denies_cancer",
                refs=_refs(report.ref),
                outcome="not_cancer",
                label=report.title,
            )


def treatments(
    spec: TimelineSpec,
    pathway: Pathway,
    codebook: CodeBook,
    facts: PatientFacts,
    start: date,
    today: date,
) -> Iterator[SeenEvent]:
    """Treatment starts the record shows: a medicine or a completed procedure of a code set."""
    for item in spec.treatments:
        codeset = codebook.codesets[item.codeset]
        code = _code(pathway, "treatment", item.kind)
        if item.kind == "drug":
            for med, _ in matching_medications(facts, codeset):
                if med.when is not None and start <= med.when <= today:
                    yield _treatment(med.ref, med.when, "medication", item.kind, code, med.name)
            continue
        matcher = matcher_for(codeset)
        for order in facts.orders:
            if order.resource_type != "Procedure" or order.status not in _DONE_PROCEDURE:
                continue
            if order.when is None or not start <= order.when <= today:
                continue
            if matcher.matches(order.codes):
                label = order.name or ""
                yield _treatment(order.ref, order.when, "procedure", item.kind, code, label)


def _treatment(
    ref: str, when: date, evidence: str, kind: str, code: str | None, label: str
) -> SeenEvent:
    return SeenEvent(
        event="treatment",
        when=when,
        source="record",
        evidence=evidence,  # type: ignore[arg-type]  # "medication" or "procedure"
        refs=_refs(ref),
        code=code,
        treatment=kind,  # type: ignore[arg-type]  # a TreatmentEvidence.kind
        label=label,
    )
