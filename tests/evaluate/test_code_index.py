"""Evaluate's per-call code index over the patient's conditions and medicines
(cds.evaluate.matching.matching_conditions / matching_medications)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from cds.criteria.codebook import CodeRef, CodeSet
from cds.evaluate.matching import matching_conditions, matching_medications
from cds.facts.model import ConditionFact, MedicationFact, PatientFacts

MYELOMA = CodeSet(label="Myelomatose", codes=(CodeRef(system="icd10", code="C90"),), source="test")


def _condition(ref: str, *codes: tuple[str, str]) -> ConditionFact:
    return ConditionFact(ref=ref, codes=frozenset(codes), when=date(2026, 1, 1), active=True)


def _facts(*conditions: ConditionFact) -> PatientFacts:
    return PatientFacts(
        patient_ref="Patient/p",
        today=date(2026, 11, 20),
        sex="female",
        birth_date=None,
        age_years=None,
        conditions=conditions,
    )


def test_conditions_in_record_order_with_the_code_that_matched() -> None:
    facts = _facts(
        _condition("Condition/a", ("icd10", "M545")),
        _condition("Condition/b", ("icd10", "C900"), ("icpc2", "B74")),
        _condition("Condition/c", ("icd10", "C901")),
    )
    found = matching_conditions(facts, MYELOMA)
    assert [(c.ref, code) for c, code in found] == [
        ("Condition/b", ("icd10", "C900")),
        ("Condition/c", ("icd10", "C901")),
    ]
    assert matching_conditions(facts, MYELOMA) == found  # the second call reuses the index


def test_replaced_facts_are_indexed_afresh() -> None:
    # dataclasses.replace must not carry an index built for other conditions.
    facts = _facts(_condition("Condition/a", ("icd10", "C900")))
    assert len(matching_conditions(facts, MYELOMA)) == 1
    other = replace(facts, conditions=(_condition("Condition/x", ("icd10", "M545")),))
    assert matching_conditions(other, MYELOMA) == []


def test_medicines_by_atc_prefix() -> None:
    lenalidomide = CodeSet(
        label="Lenalidomid", codes=(CodeRef(system="atc", code="L04AX04"),), source="test"
    )
    meds = (
        MedicationFact(
            ref="MedicationStatement/m",
            codes=frozenset({("atc", "L04AX04")}),
            name="Revlimid",
            when=None,
            active=True,
        ),
    )
    facts = replace(_facts(), medications=meds)
    assert [(m.ref, code) for m, code in matching_medications(facts, lenalidomide)] == [
        ("MedicationStatement/m", ("atc", "L04AX04"))
    ]
