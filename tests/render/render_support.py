"""Builders for render-stage tests: assessments and facts built directly, ids from the pathway."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any, cast

from cds.criteria.codebook import CodeBook
from cds.criteria.expressions import AllTerm, AnyTerm, AtLeastTerm, FeatureTerm, Term
from cds.criteria.schema import Outcome, Pathway, Rule
from cds.evaluate.decision import CardDecision, CardPlan, decide, plan_cards
from cds.evaluate.model import Assessment, Evidence, FeatureHit, FilterState, FilterTestStatus
from cds.facts.model import (
    ConditionFact,
    LabResult,
    MedicationFact,
    OrderFact,
    PatientFacts,
    Quantity,
)

TODAY = date(2026, 11, 21)
PATIENT = "Patient/pas-1"
HOOK_INSTANCE = "d1577c69-dfbe-44ad-ba6d-3e05e953b2ea"
USER = "Practitioner/123"
HB_TEXT = "Hb 10,9 g/dL (ref. 11,7–15,3)"
M_TEXT = "Liten M-komponent i gammaområdet, ca 4 g/L"


def ago(days: int) -> date:
    return TODAY - timedelta(days=days)


def ev(ref: str, days: int, text: str) -> Evidence:
    return Evidence(ref=ref, when=ago(days), says=text)


def rule_for(pathway: Pathway, outcome: Outcome) -> Rule:
    return next(r for r in pathway.rules if r.outcome == outcome)


def _walk(term: Term, alternative: bool) -> Iterable[tuple[str, bool]]:
    if isinstance(term, FeatureTerm):
        yield term.feature, alternative
    elif isinstance(term, AllTerm):
        for sub in term.all:
            yield from _walk(sub, alternative)
    elif isinstance(term, AnyTerm):
        for sub in term.any:
            yield from _walk(sub, True)
    elif isinstance(term, AtLeastTerm):
        for sub in term.of:
            yield from _walk(sub, True)


def rule_features(pathway: Pathway, outcome: Outcome) -> tuple[list[str], list[str]]:
    """(features the rule requires outright, features among its alternatives), in rule order."""
    pairs = list(_walk(rule_for(pathway, outcome).when, False))
    base = list(dict.fromkeys(f for f, alt in pairs if not alt))
    alternatives = list(dict.fromkeys(f for f, alt in pairs if alt and f not in base))
    return base, alternatives


def hit(pathway: Pathway, feature: str, *evidence: Evidence) -> FeatureHit:
    label = pathway.features[feature].label if feature in pathway.features else feature
    return FeatureHit(feature=feature, label=label, evidence=evidence)


def assessment(
    pathway: Pathway, outcome: Outcome | None, hits: Iterable[FeatureHit], **kw: Any
) -> Assessment:
    rule = rule_for(pathway, outcome).id if outcome else None
    return Assessment(
        pathway=pathway.id,
        outcome=outcome,
        rule=kw.pop("rule", rule),
        hits={h.feature: h for h in hits},
        **kw,
    )


def begrunnet_hits(pathway: Pathway) -> list[FeatureHit]:
    """The base features of the begrunnet rule plus its first alternative, with evidence."""
    base, alternatives = rule_features(pathway, "begrunnet")
    hits = [hit(pathway, f, ev(f"Observation/base-{i}", 18, M_TEXT)) for i, f in enumerate(base)]
    hits.append(
        hit(
            pathway,
            alternatives[0],
            ev("Observation/hb-1", 20, HB_TEXT),
            ev("Observation/hb-0", 60, "Hb 11,2 g/dL"),
        )
    )
    return hits


def acute_hits(pathway: Pathway) -> list[FeatureHit]:
    base, alternatives = rule_features(pathway, "acute")
    hits = [hit(pathway, f, ev(f"Observation/base-{i}", 5, M_TEXT)) for i, f in enumerate(base)]
    hits.append(hit(pathway, alternatives[0], ev("Observation/acute-1", 2, "Akutt funn")))
    return hits


def lab(ref: str, analyte: str, value: float | None, unit: str, days: int, **kw: Any) -> LabResult:
    quantity = Quantity(value, unit) if value is not None else None
    return LabResult(ref=ref, analyte=analyte, when=ago(days), value=quantity, **kw)


def facts(**kw: Any) -> PatientFacts:
    base: dict[str, Any] = {
        "patient_ref": PATIENT,
        "today": TODAY,
        "sex": "female",
        "birth_date": date(1950, 3, 1),
        "age_years": 76,
    }
    base.update(kw)
    return PatientFacts(**base)


def rich_facts(pathway: Pathway) -> PatientFacts:
    """Medications, a comorbidity, a frailty score and filter-test results."""
    frailty = next(c for c in pathway.referral.content if c.id == "frailty")
    labs: dict[str, tuple[LabResult, ...]] = {}
    if frailty.analytes:
        labs[frailty.analytes[0]] = (
            lab(
                "Observation/cfs-1",
                frailty.analytes[0],
                4,
                "{score}",
                40,
                display="Clinical Frailty Scale",
            ),
        )
    for test in pathway.filter_tests:
        analyte = test.analytes[0]
        labs.setdefault(analyte, (lab(f"Observation/{analyte}-x", analyte, 2.5, "mmol/L", 10),))
    return facts(
        labs=labs,
        medications=(
            MedicationFact(
                "MedicationStatement/m1",
                "Albyl-E 75 mg",
                frozenset({("atc", "B01AC06")}),
                ago(400),
                True,
            ),
            MedicationFact(
                "MedicationStatement/m2", "Gammel medisin", frozenset(), ago(900), False
            ),
        ),
        conditions=(
            ConditionFact(
                "Condition/k86", frozenset({("icpc2", "K86")}), ago(3000), True, "Hypertensjon"
            ),
            ConditionFact(
                "Condition/old", frozenset({("icpc2", "R74")}), ago(900), False, "Forkjølelse"
            ),
        ),
    )


def draft_order(ref: str = "ServiceRequest/utkast-1") -> OrderFact:
    return OrderFact(
        ref=ref,
        resource_type="ServiceRequest",
        when=TODAY,
        status="draft",
        is_referral=True,
        codes=frozenset(),
        labels=("henvisning hematologi",),
        name="Henvisning hematologi",
    )


def draft_resource(rid: str = "utkast-1") -> dict[str, Any]:
    return {
        "resourceType": "ServiceRequest",
        "id": rid,
        "status": "draft",
        "intent": "order",
        "category": [{"text": "Henvisning"}],
        "code": {
            "coding": [{"system": "http://ehr.example/henvisningstype", "code": "HEM"}],
            "text": "Henvisning hematologi",
        },
        "subject": {"reference": PATIENT},
        "performer": [{"reference": "Organization/sykehus-1", "display": "Sykehuset"}],
        "note": [{"text": "Pasienten er sliten og har ryggsmerter."}],
        "reasonReference": [{"reference": "Observation/hb-1"}],
    }


def filter_status(pathway: Pathway, states: dict[str, str]) -> tuple[FilterTestStatus, ...]:
    """Filter-test status per pathway test; tests not named are ok."""
    out = []
    for test in pathway.filter_tests:
        state = cast(FilterState, states.get(test.id, "ok"))
        last = (
            None if state == "missing" else ago(test.max_age_days + 10 if state == "stale" else 3)
        )
        out.append(FilterTestStatus(test.id, test.label, state, last, test.trigger))
    return tuple(out)


def decision(
    pathway: Pathway,
    a: Assessment,
    patient: PatientFacts | None = None,
    codebook: CodeBook | None = None,
) -> CardDecision:
    """The evaluate stage's card decision for a hand-built assessment (cds.evaluate.decision);
    without ``codebook`` the orders have no analyte codes to fall back on."""
    return decide(pathway, a, patient or facts(), codebook or CodeBook())


def plan(
    results: Iterable[tuple[Pathway, Assessment]],
    patient: PatientFacts,
    codebook: CodeBook | None = None,
) -> CardPlan:
    """What the pipeline's evaluate stage hands render for these assessments."""
    return plan_cards([decision(p, a, patient, codebook) for p, a in results])
