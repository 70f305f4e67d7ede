"""Hand-built facts for the follow-up tests (tests/evaluate/test_followup*.py): a sarcoma
operated on ``SURGERY`` and what its pathology said; the criteria are the real ones."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

from cds.criteria.loader import load_registry
from cds.evaluate.followup_schedule import add_months
from cds.facts.model import (
    AppointmentFact,
    ConditionFact,
    EncounterFact,
    MedicationFact,
    OrderFact,
    PatientFacts,
    ReportFact,
)

REGISTRY = load_registry(Path(__file__).resolve().parents[1] / "criteria")
PROGRAMME = REGISTRY.followups[0]
CODEBOOK = REGISTRY.codebook
SURGERY = date(2025, 3, 3)
DIAGNOSED = date(2025, 2, 10)


def at(months: int, days: int = 0) -> date:
    """The planned date ``months`` after the operation, moved by ``days``."""
    return add_months(SURGERY, months) + timedelta(days=days)


def diagnosis(
    code: str = "C49.2", text: str = "Sarkom høyre lår", when: date = DIAGNOSED
) -> ConditionFact:
    return ConditionFact(
        ref="Condition/sarkom",
        codes=frozenset({("icd10", code.replace(".", ""))}),
        when=when,
        active=False,
        text=text,
    )


def pathology(
    text: str, when: date = SURGERY + timedelta(days=7), ref: str = "DiagnosticReport/pat"
) -> ReportFact:
    return ReportFact(
        ref=ref,
        kind="pathology",
        when=when,
        codes=frozenset(),
        conclusion_codes=frozenset(),
        title="Histologi, operasjonspreparat",
        conclusion=text,
    )


def surgery(when: date = SURGERY, ref: str = "Procedure/op") -> OrderFact:
    return OrderFact(
        ref=ref,
        resource_type="Procedure",
        when=when,
        status="completed",
        is_referral=False,
        codes=frozenset({("snomed", "65801008")}),
        labels=("eksisjon av sarkom høyre lår",),
        name="Vid eksisjon av sarkom høyre lår",
    )


def radiology(
    title: str,
    when: date,
    conclusion: str = "Ingen tegn til residiv.",
    ref: str | None = None,
    modality: str | None = None,
) -> ReportFact:
    from cds.facts.reports import modality_of

    return ReportFact(
        ref=ref or f"DiagnosticReport/{title.replace(' ', '-')}-{when.isoformat()}",
        kind="radiology",
        when=when,
        codes=frozenset(),
        conclusion_codes=frozenset(),
        title=title,
        conclusion=conclusion,
        modality=modality or modality_of((title,)),
    )


def visit(
    when: date,
    department: str = "Ortopedisk poliklinikk, sarkomsenteret",
    status: str = "finished",
    reason: str = "",
    ref: str | None = None,
) -> EncounterFact:
    return EncounterFact(
        ref=ref or f"Encounter/k-{when.isoformat()}",
        when=when,
        status=status,
        klass="AMB",
        department=department.lower(),
        reason=reason,
    )


def appointment(when: date, department: str, status: str = "booked") -> AppointmentFact:
    return AppointmentFact(
        ref=f"Appointment/{when.isoformat()}",
        when=when,
        status=status,
        department=department.lower(),
    )


def order(text: str, when: date, status: str = "active", ref: str | None = None) -> OrderFact:
    return OrderFact(
        ref=ref or f"ServiceRequest/{text.replace(' ', '-')}",
        resource_type="ServiceRequest",
        when=when,
        status=status,
        is_referral=False,
        codes=frozenset(),
        labels=(text.lower(),),
        name=text,
    )


def chemo(start: date, end: date | None = None, active: bool = False) -> MedicationFact:
    return MedicationFact(
        ref="MedicationStatement/kjemo",
        name="Doksorubicin",
        codes=frozenset({("atc", "L01DB01")}),
        when=start,
        active=active,
        end=end,
    )


def facts(
    today: date,
    *,
    conditions: tuple[ConditionFact, ...] | None = None,
    reports: tuple[ReportFact, ...] = (),
    orders: tuple[OrderFact, ...] | None = None,
    **more: object,
) -> PatientFacts:
    base = PatientFacts(
        patient_ref="Patient/p1",
        today=today,
        sex="female",
        birth_date=date(1970, 1, 1),
        age_years=56,
        conditions=conditions if conditions is not None else (diagnosis(),),
        reports=reports,
        orders=orders if orders is not None else (surgery(),),
    )
    return replace(base, **more)  # type: ignore[arg-type]


HIGH_DEEP = pathology(
    "Høygradig myxofibrosarkom, dyptliggende, intramuskulært i høyre lår. Frie reseksjonsrender."
)
LOW_SUPERFICIAL = pathology("Lavgradig myxofibrosarkom, overfladisk, epifascialt i høyre lår.")
