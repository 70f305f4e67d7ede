"""Hand-built facts for the registration proposal tests (tests/evaluate, tests/render): a
sarcoma referral, a visit linked to it and an epikrise that denies sarcoma; the criteria are the
real ones."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

from cds.criteria.loader import load_registry
from cds.evaluate.clock import timeline
from cds.evaluate.registration import RegistrationPlan, propose
from cds.facts.model import (
    EncounterFact,
    OrderFact,
    PatientFacts,
    ReportFact,
)

REGISTRY = load_registry(Path(__file__).resolve().parents[1] / "criteria")
SARKOM = REGISTRY.get("sarkom")
MYELOM = REGISTRY.get("myelomatose")
TODAY = date(2026, 11, 20)
SENT = date(2026, 10, 20)
REFERRAL = OrderFact(
    ref="ServiceRequest/r1",
    resource_type="ServiceRequest",
    when=SENT,
    status="active",
    is_referral=True,
    codes=frozenset(),
    labels=("pakkeforløp for sarkom", "henvisning"),
)
VISIT = EncounterFact(
    ref="Encounter/e1",
    when=date(2026, 10, 27),
    status="finished",
    klass="AMB",
    department="ortopedisk poliklinikk, sarkomsenteret",
    based_on=("ServiceRequest/r1",),
)
EPIKRISE = ReportFact(
    ref="DiagnosticReport/d1",
    kind="other",
    when=date(2026, 11, 12),
    codes=frozenset(),
    conclusion_codes=frozenset(),
    title="Epikrise sarkomsenteret",
    conclusion="MR og biopsi viser hemangiom. Ikke holdepunkt for sarkom.",
)


def plan(today: date = TODAY, pathway=SARKOM, **kw: object) -> RegistrationPlan:  # type: ignore[no-untyped-def]
    base = PatientFacts(
        patient_ref="Patient/p", today=today, sex="female", birth_date=None, age_years=60
    )
    facts = replace(base, **kw)  # type: ignore[arg-type]
    return propose(pathway, timeline(pathway, REGISTRY.codebook, facts, today), facts)
