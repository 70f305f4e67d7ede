"""One patient of a Bulk export through the same engine as a hook call: the audit's findings.

:func:`audit_patient` takes one patient's resources (as the export holds them, any order) and
the loaded criteria, and returns the rows of the practice report (``docs/audit.md``):

* ``begrunnet_not_referred`` — a pathway's begrunnet mistanke (or acute) holds and no labelled
  referral was sent (the card a GP would get in ``patient-view``, after the «Several pathways»
  policy: the diagnostic pathway's card that an organ-specific one replaces is not counted);
* ``mistanke_missing_tests`` — mistanke: the filter tests the pathway asks for are missing;
* ``referred_without_criteria`` — a referral marked «Pakkeforløp for …» that, read on the day it
  was written, meets no criterion of that pathway (the ``order-sign`` «henvisning uten grunnlag»
  card of that day);
* ``pathway_deadline_overdue`` — a pathway referral with no first attendance by its forløpstid
  (the GP safety net, ``cds.evaluate.safety_net``);
* ``followup_overdue`` — a control of a follow-up programme overdue and not booked
  (``cds.evaluate.followup_notices``).

Pure and picklable: the same inputs give the same rows, whichever engine (DuckDB on one
machine, Spark) calls it. No names or national ids: the patient is the export's own reference.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, fields, replace
from datetime import date
from typing import Any, Literal

from cds.criteria.registry import Registry
from cds.criteria.schema import Pathway
from cds.evaluate.clock import timeline
from cds.evaluate.decision import CardDecision, decide, plan_cards
from cds.evaluate.engine import evaluate
from cds.evaluate.followup import followup_plan
from cds.evaluate.followup_notices import notices
from cds.evaluate.model import Assessment
from cds.evaluate.safety_net import SafetyNetPolicy, safety_net
from cds.facts.extract import extract_facts
from cds.facts.model import OrderFact, PatientFacts
from cds.record.model import Record

AuditOutcome = Literal[
    "begrunnet_not_referred",
    "mistanke_missing_tests",
    "referred_without_criteria",
    "pathway_deadline_overdue",
    "followup_overdue",
]
OUTCOMES: tuple[AuditOutcome, ...] = (
    "begrunnet_not_referred",
    "mistanke_missing_tests",
    "referred_without_criteria",
    "pathway_deadline_overdue",
    "followup_overdue",
)
_REFERRAL_OUTCOMES = frozenset({"begrunnet", "acute"})
_MAX_DATES = 5


@dataclass(frozen=True, slots=True)
class Finding:
    """One row of the report: a patient, a pathway (or follow-up programme), what was found, the
    deciding rule and the dates of the evidence it rests on (ISO, newest first, «;»-joined)."""

    patient: str
    pathway: str
    outcome: str
    rule: str | None
    evidence_dates: str


FINDING_COLUMNS: tuple[str, ...] = tuple(f.name for f in fields(Finding))
# Only with ``cds audit --with-identifiers``: who the pseudonymous reference is.
IDENTIFIER_COLUMNS: tuple[str, ...] = ("name", "national_id")
# Fødselsnummer and D-nummer (HL7 Norway no-basis; ../shared/reference/record-conventions.md).
_NATIONAL_IDS = ("urn:oid:2.16.578.1.12.4.1.4.1", "urn:oid:2.16.578.1.12.4.1.4.2")


def identifiers(resources: Iterable[dict[str, Any]]) -> dict[str, str]:
    """The patient's name and fødselsnummer/D-nummer from its Patient resource ("" when the
    export has none). Read only when a practice asks for identifiers."""
    patient = next((r for r in resources if r.get("resourceType") == "Patient"), {})
    names = [n for n in patient.get("name") or [] if isinstance(n, dict)]
    name = names[0] if names else {}
    given = " ".join(g for g in name.get("given") or [] if isinstance(g, str))
    shown = " ".join(part for part in (given, name.get("family") or "") if part)
    number = next(
        (
            str(i.get("value"))
            for i in patient.get("identifier") or []
            if isinstance(i, dict) and i.get("system") in _NATIONAL_IDS and i.get("value")
        ),
        "",
    )
    return {"name": shown, "national_id": number}


def group_record(resources: Iterable[dict[str, Any]]) -> Record:
    """The patient's resources as a :class:`Record` (the Patient apart, the rest by type,
    deduplicated by id like the hook path)."""
    record = Record()
    seen: set[tuple[str, str]] = set()
    for resource in resources:
        kind = resource.get("resourceType")
        if not isinstance(kind, str):
            continue
        rid = resource.get("id")
        key = (kind, rid if isinstance(rid, str) else f"#{len(seen)}")
        if key in seen:
            continue
        seen.add(key)
        if kind == "Patient":
            record.patient = resource
        else:
            record.resources.setdefault(kind, []).append(resource)
    return record


def audit_patient(
    patient_ref: str, resources: list[dict[str, Any]], registry: Registry, today: date
) -> list[Finding]:
    """The report rows of one patient (see the module docstring)."""
    record = group_record(resources)
    pid = patient_ref.removeprefix("Patient/")
    facts = extract_facts(
        record,
        registry.codebook,
        today=today,
        context={"patientId": pid},
        horizons=registry.lab_horizons,
    )
    rows: list[Finding] = []
    decisions: list[CardDecision] = []
    for pathway in registry.pathways:
        assessment = evaluate(pathway, registry.codebook, facts, hook="patient-view", today=today)
        decisions.append(decide(pathway, assessment, facts, registry.codebook))
        net = safety_net(
            pathway, timeline(pathway, registry.codebook, facts, today), assessment, POLICY
        )
        if net is not None and net.kind == "first_attendance":
            when = net.referral.when
            rows.append(
                Finding(
                    patient_ref,
                    pathway.id,
                    "pathway_deadline_overdue",
                    f"{pathway.id}.klokke.forste-fremmote",
                    when.isoformat() if when else "",
                )
            )
    plan = plan_cards(decisions)
    # A merged card of several begrunnet pathways is one referral: its recommended member
    # (else its first) is the finding.
    chosen = [g.members[g.recommended or 0] for g in plan.groups if g.members]
    for decision in (*plan.singles, *chosen):
        outcome = _outcome(decision.assessment)
        if outcome is not None:
            rows.append(_row(patient_ref, decision.pathway, outcome, decision.assessment))
    rows.extend(_unsupported_referrals(patient_ref, record, facts, registry))
    rows.extend(_followups(patient_ref, facts, registry, today))
    return sorted(rows, key=lambda r: (r.pathway, OUTCOMES.index(r.outcome), r.rule or ""))


# The GP safety net's thresholds as the service's defaults (README «Safety-netting»).
POLICY = SafetyNetPolicy()


def _outcome(assessment: Assessment) -> AuditOutcome | None:
    if assessment.outcome in _REFERRAL_OUTCOMES and assessment.already_referred is None:
        return "begrunnet_not_referred"
    if assessment.outcome == "mistanke":
        return "mistanke_missing_tests"
    return None


def _row(patient: str, pathway: Pathway, outcome: str, assessment: Assessment) -> Finding:
    return Finding(patient, pathway.id, outcome, assessment.rule, _dates(assessment))


def _dates(assessment: Assessment) -> str:
    """The evidence dates of the present findings, newest first, at most a few."""
    found = sorted(
        {e.when for hit in assessment.hits.values() for e in hit.evidence if e.when is not None},
        reverse=True,
    )
    return ";".join(d.isoformat() for d in found[:_MAX_DATES])


def _unsupported_referrals(
    patient: str, record: Record, facts: PatientFacts, registry: Registry
) -> list[Finding]:
    """Each referral marked for a pathway, read on its own day as the order being signed."""
    rows: list[Finding] = []
    by_id = {f"ServiceRequest/{r.get('id')}": r for r in record.of_type("ServiceRequest")}
    for pathway in registry.pathways:
        label = pathway.title.lower()
        for order in facts.orders:
            if not _marked(order, label) or order.when is None or order.ref not in by_id:
                continue
            draft = {**by_id[order.ref], "status": "draft"}
            context = {
                "patientId": facts.patient_ref.removeprefix("Patient/"),
                "draftOrders": {"resourceType": "Bundle", "entry": [{"resource": draft}]},
            }
            then = extract_facts(
                record,
                registry.codebook,
                today=order.when,
                context=context,
                horizons=registry.lab_horizons,
            )
            # Read as on the day it was written, when the patient was alive: a referral is not
            # written for the dead, so a later death does not hide a referral without criteria.
            then = replace(then, deceased=False)
            assessment = evaluate(
                pathway, registry.codebook, then, hook="order-sign", today=order.when
            )
            if assessment.outcome == "unsupported_referral":
                rows.append(
                    Finding(
                        patient,
                        pathway.id,
                        "referred_without_criteria",
                        assessment.rule,
                        order.when.isoformat(),
                    )
                )
    return rows


def _marked(order: OrderFact, label: str) -> bool:
    return order.is_referral and any(label in text for text in order.labels)


def _followups(patient: str, facts: PatientFacts, registry: Registry, today: date) -> list[Finding]:
    rows: list[Finding] = []
    for programme in registry.followups:
        plan = followup_plan(programme, registry.codebook, facts, today)
        if plan is None:
            continue
        for notice in notices(programme, plan, facts, registry.codebook, "patient-view"):
            overdue = [i for i in notice.items if i.instance.status == "overdue"]
            if notice.kind == "control_due" and overdue:
                dates = ";".join(i.instance.planned.isoformat() for i in overdue[:_MAX_DATES])
                rows.append(
                    Finding(
                        patient,
                        programme.id,
                        "followup_overdue",
                        f"{programme.id}.{plan.group}",
                        dates,
                    )
                )
    return rows
