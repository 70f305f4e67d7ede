"""Small factories for ``PatientFacts`` in evaluate tests, independent of the facts extractor.

Dates are given as «days ago» relative to ``TODAY`` so that every test reads as a clinical
timeline: ``lab("hemoglobin", 11.6, "g/dL", days_ago=10)``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, timedelta
from itertools import count

from cds.evaluate.model import Assessment
from cds.facts.model import (
    Code,
    ConditionFact,
    LabResult,
    MedicationFact,
    OrderFact,
    PatientFacts,
    Quantity,
    ReportFact,
    Sex,
)

# ``run(facts, hook="patient-view") -> Assessment`` (fixture in conftest.py).
Run = Callable[..., Assessment]

TODAY = date(2026, 11, 20)  # the suite-wide clock (tests/conftest.py)
_ids = count(1)


def ago(days: int | None) -> date | None:
    """The date ``days`` before TODAY (None stays None: undated)."""
    return None if days is None else TODAY - timedelta(days=days)


def lab(
    analyte: str,
    value: float | None,
    unit: str = "",
    *,
    days_ago: int | None = 10,
    ref_low: float | None = None,
    ref_high: float | None = None,
    flags: Iterable[str] = (),
    text: str = "",
    unit_problem: str | None = None,
    ref: str | None = None,
) -> LabResult:
    """One result already in the analyte's canonical unit (as the facts stage delivers it)."""
    return LabResult(
        ref=ref or f"Observation/{analyte}-{next(_ids)}",
        analyte=analyte,
        when=ago(days_ago),
        value=Quantity(value, unit) if value is not None else None,
        text=text,
        ref_low=Quantity(ref_low, unit) if ref_low is not None else None,
        ref_high=Quantity(ref_high, unit) if ref_high is not None else None,
        interpretation=frozenset(flags),
        unit_problem=unit_problem,
    )


def condition(
    *codes: Code, days_ago: int | None = 10, active: bool = True, text: str = "", note: str = ""
) -> ConditionFact:
    """A Condition with normalised codes, e.g. ``condition(("icpc2", "B82"))``."""
    return ConditionFact(
        ref=f"Condition/c-{next(_ids)}",
        codes=frozenset(codes),
        when=ago(days_ago),
        active=active,
        text=text,
        note=note,
    )


def report(kind: str, title: str, conclusion: str, *, days_ago: int | None = 10) -> ReportFact:
    """A DiagnosticReport with a Norwegian conclusion."""
    return ReportFact(
        ref=f"DiagnosticReport/r-{next(_ids)}",
        kind=kind,  # type: ignore[arg-type]
        when=ago(days_ago),
        codes=frozenset(),
        conclusion_codes=frozenset(),
        title=title,
        conclusion=conclusion,
    )


def order(
    *labels: str,
    days_ago: int | None = 0,
    status: str = "active",
    is_referral: bool = True,
    reason_codes: Iterable[Code] = (),
    reason_refs: Iterable[str] = (),
    ref: str | None = None,
) -> OrderFact:
    """A ServiceRequest (record order or draft); labels are lower-cased as the facts stage does."""
    return OrderFact(
        ref=ref or f"ServiceRequest/s-{next(_ids)}",
        resource_type="ServiceRequest",
        when=ago(days_ago),
        status=status,
        is_referral=is_referral,
        codes=frozenset(),
        labels=tuple(label.lower() for label in labels),
        reason_codes=frozenset(reason_codes),
        reason_refs=tuple(reason_refs),
    )


def medication(
    atc: str, name: str = "", *, days_ago: int | None = 30, active: bool = True
) -> MedicationFact:
    """A MedicationStatement/Request with one ATC code."""
    return MedicationFact(
        ref=f"MedicationStatement/m-{next(_ids)}",
        name=name,
        codes=frozenset({("atc", atc)}),
        when=ago(days_ago),
        active=active,
    )


def procedure(text: str, *, days_ago: int | None = 200, status: str = "completed") -> OrderFact:
    """A Procedure in the record, described by text."""
    return OrderFact(
        ref=f"Procedure/p-{next(_ids)}",
        resource_type="Procedure",
        when=ago(days_ago),
        status=status,
        is_referral=False,
        codes=frozenset(),
        labels=(text.lower(),),
    )


def facts(
    *,
    sex: Sex = "female",
    labs: Iterable[LabResult] = (),
    conditions: Iterable[ConditionFact] = (),
    reports: Iterable[ReportFact] = (),
    orders: Iterable[OrderFact] = (),
    drafts: Iterable[OrderFact] = (),
    selections: Iterable[str] = (),
    medications: Iterable[MedicationFact] = (),
    unavailable: Iterable[str] = (),
) -> PatientFacts:
    """PatientFacts with labs indexed by analyte, newest first (the facts-stage contract)."""
    by_analyte: dict[str, list[LabResult]] = {}
    for result in labs:
        by_analyte.setdefault(result.analyte, []).append(result)
    indexed = {
        name: tuple(sorted(results, key=lambda r: r.when or date.min, reverse=True))
        for name, results in by_analyte.items()
    }
    return PatientFacts(
        patient_ref="Patient/p1",
        today=TODAY,
        sex=sex,
        birth_date=date(1950, 1, 1),
        age_years=76,
        labs=indexed,
        conditions=tuple(conditions),
        reports=tuple(reports),
        orders=tuple(orders),
        draft_orders=tuple(drafts),
        selections=tuple(selections),
        medications=tuple(medications),
        unavailable=tuple(unavailable),
    )


def m_component(days_ago: int = 20) -> LabResult:
    """A positive serum protein electrophoresis reported as text, as Norwegian labs do."""
    return lab(
        "spep",
        None,
        days_ago=days_ago,
        text="Se kommentar. Liten M-komponent i gammaområdet, ca 4 g/L.",
    )


def filter_panel(days_ago: int = 10) -> list[LabResult]:
    """Every filter test taken, with unremarkable values (so that mistanke stays silent)."""
    return [
        lab("spep", None, days_ago=days_ago, text="Normalt elektroforesemønster."),
        lab("flc_ratio", 1.1, "1", days_ago=days_ago),
        lab("hemoglobin", 14.0, "g/dL", days_ago=days_ago),
        lab("leukocytes", 6.0, "10*9/L", days_ago=days_ago),
        lab("neutrophils", 3.5, "10*9/L", days_ago=days_ago),
        lab("platelets", 250, "10*9/L", days_ago=days_ago),
        lab("creatinine", 70, "umol/L", days_ago=days_ago),
        lab("calcium_total", 2.35, "mmol/L", days_ago=days_ago),
        lab("albumin", 42, "g/L", days_ago=days_ago),
        lab("igg", 10, "g/L", days_ago=days_ago),
        lab("iga", 2, "g/L", days_ago=days_ago),
        lab("igm", 1, "g/L", days_ago=days_ago),
        lab("ld", 180, "U/L", days_ago=days_ago),
    ]
