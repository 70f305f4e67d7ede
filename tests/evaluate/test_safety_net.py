"""GP safety-netting decided (cds.evaluate.safety_net): both sides of every threshold.

Timelines come from the real clock over hand-built facts (as in test_clock.py), with the real
criteria, so the forløpstider are the cited ones (sarcoma: 8 calendar days to first attendance).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import pytest

from cds.criteria.loader import load_registry
from cds.criteria.schema import Outcome
from cds.evaluate.clock import timeline
from cds.evaluate.clock_model import Timeline
from cds.evaluate.decision import CardDecision, CardPlan, GroupDecision
from cds.evaluate.model import Assessment, Evidence, FeatureHit
from cds.evaluate.safety_net import (
    SafetyNetPolicy,
    safety_net,
    select,
    symptom_features,
)
from cds.evaluate.safety_net_model import SafetyNet
from cds.facts.model import AppointmentFact, OrderFact, PatientFacts, RegistrationFact

REGISTRY = load_registry(Path(__file__).resolve().parents[2] / "criteria")
SARKOM = REGISTRY.get("sarkom")
MYELOM = REGISTRY.get("myelomatose")
SENT = date(2026, 10, 20)
POLICY = SafetyNetPolicy()


def _referral(when: date = SENT) -> OrderFact:
    return OrderFact(
        ref="ServiceRequest/r1",
        resource_type="ServiceRequest",
        when=when,
        status="active",
        is_referral=True,
        codes=frozenset(),
        labels=("pakkeforløp for sarkom", "henvisning"),
    )


def _facts(today: date, **kw: object) -> PatientFacts:
    base = PatientFacts(
        patient_ref="Patient/p", today=today, sex="female", birth_date=None, age_years=60
    )
    return replace(base, **kw)  # type: ignore[arg-type]


def _timeline(today: date, **kw: object) -> Timeline:
    kw.setdefault("orders", (_referral(),))
    return timeline(SARKOM, REGISTRY.codebook, _facts(today, **kw), today)


def _assessment(*hits: FeatureHit) -> Assessment:
    return Assessment(pathway="sarkom", outcome=None, rule=None, hits={h.feature: h for h in hits})


def _hit(feature: str, *when: date) -> FeatureHit:
    evidence = tuple(Evidence(ref=f"Observation/{feature}-{d}", when=d, says="6 cm") for d in when)
    return FeatureHit(feature=feature, label=feature, evidence=evidence)


def _net(today: date, policy: SafetyNetPolicy = POLICY, **kw: object) -> SafetyNet | None:
    return safety_net(SARKOM, _timeline(today, **kw), _assessment(), policy)


@pytest.mark.parametrize(
    ("day", "level"),
    [(7, None), (8, None), (9, "info"), (22, "info"), (23, "warning"), (90, "warning")],
)
def test_first_attendance_levels_on_both_sides_of_each_threshold(day: int, level: str) -> None:
    net = _net(SENT + timedelta(days=day))
    assert (net.level if net else None) == level
    if net is not None:
        assert net.kind == "first_attendance" and net.referral_ref == "ServiceRequest/r1"
        assert net.referral.when == SENT


def test_look_back_is_counted_from_the_episode_start() -> None:
    assert _net(SENT + timedelta(days=90)) is not None
    assert _net(SENT + timedelta(days=91)) is None


@pytest.mark.parametrize(("day", "fires"), [(11, False), (12, True)])
def test_info_threshold_is_a_setting(day: int, fires: bool) -> None:
    policy = SafetyNetPolicy(info_after_days=3, warning_after_days=10)
    net = _net(SENT + timedelta(days=day), policy)
    assert (net is not None) == fires
    assert net is None or net.level == "info"


def test_warning_threshold_is_a_setting() -> None:
    policy = SafetyNetPolicy(warning_after_days=2)
    levels = [getattr(_net(SENT + timedelta(days=d), policy), "level", None) for d in (10, 11)]
    assert levels == ["info", "warning"]


def test_a_booked_time_silences_it() -> None:
    booked = AppointmentFact(
        ref="Appointment/a1", when=SENT + timedelta(days=40), status="booked",
        department="", based_on=("ServiceRequest/r1",),
    )
    assert _net(SENT + timedelta(days=20), appointments=(booked,)) is None


def test_no_referral_no_net() -> None:
    assert _net(SENT, orders=()) is None


# --- ended without cancer, the finding persists -----------------------------------------------

DECIDED = SENT + timedelta(days=20)
CI = RegistrationFact(ref="Observation/reg-ci", code="A36CI", when=DECIDED)
SEEN = RegistrationFact(ref="Observation/reg-s", code="A36S", when=SENT + timedelta(days=5))


def _ended(today: date, *hits: FeatureHit) -> SafetyNet | None:
    t = _timeline(today, registrations=(SEEN, CI))
    assert t.ended == "not_cancer"
    return safety_net(SARKOM, t, _assessment(*hits), POLICY)


def test_finding_after_the_decision_persists() -> None:
    feature = sorted(symptom_features(SARKOM))[0]
    later = DECIDED + timedelta(days=10)
    net = _ended(later, _hit(feature, DECIDED - timedelta(days=30), later))
    assert net is not None and net.kind == "not_cancer_persisting" and net.level == "info"
    assert net.decision is not None and net.decision.code == "A36CI"
    assert [(p.feature, p.evidence.when) for p in net.persisting] == [(feature, later)]


def test_finding_on_the_decision_day_does_not_persist() -> None:
    feature = sorted(symptom_features(SARKOM))[0]
    assert _ended(DECIDED + timedelta(days=10), _hit(feature, DECIDED)) is None


def test_a_feature_no_symptom_rule_uses_does_not_count() -> None:
    assert "not-a-symptom" not in symptom_features(SARKOM)
    later = DECIDED + timedelta(days=1)
    assert _ended(DECIDED + timedelta(days=10), _hit("not-a-symptom", later)) is None


@pytest.mark.parametrize(("days", "fires"), [(180, True), (181, False)])
def test_not_cancer_look_back(days: int, fires: bool) -> None:
    feature = sorted(symptom_features(SARKOM))[0]
    today = DECIDED + timedelta(days=days)
    assert (_ended(today, _hit(feature, today - timedelta(days=1))) is not None) == fires


def test_symptom_features_are_the_positive_ones_of_begrunnet_and_mistanke_rules() -> None:
    found = symptom_features(MYELOM)
    assert "m_komponent" in found and "anemi" in found, found
    assert found <= set(MYELOM.features)


# --- which nets go out -------------------------------------------------------------------------


def _decision(pathway_id: str, outcome: Outcome | None) -> CardDecision:
    pathway = REGISTRY.get(pathway_id)
    return CardDecision(
        pathway=pathway,
        assessment=Assessment(pathway=pathway_id, outcome=outcome, rule=None, hits={}),
    )


def _nets() -> tuple[SafetyNet, SafetyNet]:
    feature = sorted(symptom_features(SARKOM))[0]
    later = DECIDED + timedelta(days=10)
    ended = _ended(later, _hit(feature, later))
    first = _net(SENT + timedelta(days=20))
    assert ended is not None and first is not None
    return first, ended


def test_nothing_next_to_a_critical_card() -> None:
    nets = _nets()
    assert select(nets, CardPlan(singles=(_decision("myelomatose", "acute"),))) == ()
    assert select(nets, CardPlan(singles=(_decision("sarkom", "stop_order"),))) == ()
    assert select(nets, CardPlan(singles=(_decision("myelomatose", "mistanke"),))) == nets


def test_ended_net_left_out_next_to_its_own_referral_card() -> None:
    first, ended = _nets()
    own = CardPlan(singles=(_decision("sarkom", "begrunnet"),))
    assert select((first, ended), own) == (first,)
    grouped = CardPlan(groups=(GroupDecision(members=(_decision("sarkom", "begrunnet"),),
                                             recommended=None),))
    assert select((first, ended), grouped) == (first,)
    other = CardPlan(singles=(_decision("myelomatose", "begrunnet"),))
    assert select((first, ended), other) == (first, ended)
