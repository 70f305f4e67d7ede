"""Registration proposals (cds.evaluate.registration): what evidence proposes which code.

Facts are built by hand (tests/registration_facts.py), the criteria are the real ones, as in
test_clock.py.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from registration_facts import EPIKRISE, MYELOM, REFERRAL, REGISTRY, SENT, VISIT, plan

from cds.evaluate.registration import RegistrationPlan, proposal_rule, proposal_rules
from cds.facts.model import RegistrationFact


def codes(p: RegistrationPlan) -> list[tuple[str, date]]:
    return [(x.code.code, x.event.when) for x in p.proposals]


def test_referral_and_linked_visit_propose_start_and_first_attendance() -> None:
    p = plan(orders=(REFERRAL,), encounters=(VISIT,))
    assert codes(p) == [("A36A", SENT), ("A36S", date(2026, 10, 27))]
    assert p.referral == "ServiceRequest/r1"
    assert p.choice is None
    assert p.rules == ("sarkom.registrering.start", "sarkom.registrering.fremmote")


def test_a_report_denying_cancer_is_a_choice_between_ca_and_ci() -> None:
    p = plan(orders=(REFERRAL,), encounters=(VISIT,), reports=(EPIKRISE,))
    assert p.choice is not None
    assert [c.code for c in p.choice.codes] == ["A36CA", "A36CI"]
    assert p.choice.event.when == date(2026, 11, 12)
    assert p.choice.rule == "sarkom.registrering.ikke-kreft"
    assert "A36CA" not in [c for c, _ in codes(p)]  # never proposed as a plain proposal


def test_a_registered_event_is_not_proposed_again() -> None:
    registered = RegistrationFact(ref="Observation/o1", code="A36S", when=date(2026, 10, 27))
    p = plan(orders=(REFERRAL,), encounters=(VISIT,), registrations=(registered,))
    assert codes(p) == [("A36A", SENT)]


def test_every_event_registered_proposes_nothing() -> None:
    regs = (
        RegistrationFact(ref="Observation/o1", code="A36A", when=SENT),
        RegistrationFact(ref="Observation/o2", code="A36S", when=date(2026, 10, 27)),
    )
    p = plan(orders=(REFERRAL,), encounters=(VISIT,), registrations=regs)
    assert p.empty and p.rules == ()
    # a registered start has no ServiceRequest of its own: the referral is still found
    assert p.referral == "ServiceRequest/r1"


def test_future_evidence_proposes_nothing() -> None:
    later = replace(VISIT, when=date(2026, 11, 21))
    assert codes(plan(orders=(REFERRAL,), encounters=(later,))) == [("A36A", SENT)]


def test_an_unlinked_contact_at_another_department_proposes_nothing() -> None:
    other = replace(VISIT, based_on=(), department="øyepoliklinikken")
    assert codes(plan(orders=(REFERRAL,), encounters=(other,))) == [("A36A", SENT)]


def test_no_referral_no_proposals() -> None:
    assert plan(encounters=(VISIT,)).empty


def test_the_codes_are_the_pathways_own() -> None:
    referral = replace(REFERRAL, labels=("pakkeforløp for myelomatose", "henvisning"))
    assert codes(plan(pathway=MYELOM, orders=(referral,))) == [("A04A", SENT)]


def test_pseudo_rule_ids_cover_every_event_kind() -> None:
    rules = proposal_rules(REGISTRY.pathways)
    for event in ("start", "first_attendance", "transfer", "decision", "treatment"):
        assert proposal_rule("sarkom", event) in rules  # type: ignore[arg-type]
    assert "sarkom.registrering.ikke-kreft" in rules
