"""``medication_increase``: more prescription days of a code set lately than before."""

from __future__ import annotations

from factories import facts as patient
from factories import medication

from cds.criteria.registry import Registry
from sources.kinds import problems, run, source

MORE = {
    "kind": "medication_increase",
    "codeset": "antibiotika",
    "recent_days": 90,
    "baseline_days": 365,
    "min_recent": 3,
    "max_baseline": 2,
    "factor": 2,
}


def _atc(registry: Registry) -> str:
    return registry.codebook.codesets["antibiotika"].codes[0].code


def test_three_recent_prescriptions_fire(registry: Registry) -> None:
    meds = [medication(_atc(registry), "Penicillin", days_ago=d) for d in (5, 20, 40)]
    found = run(registry, source(**MORE), patient(medications=meds))
    assert found.present and "3 forskrivninger siste 90 dager" in found.evidence[0].text


def test_two_recent_or_other_medicine_is_silent(registry: Registry) -> None:
    two = [medication(_atc(registry), days_ago=d) for d in (5, 20)]
    assert not run(registry, source(**MORE), patient(medications=two)).present
    other = [medication("C09AA05", days_ago=d) for d in (5, 20, 40)]
    assert not run(registry, source(**MORE), patient(medications=other)).present


def test_check_needs_a_known_codeset(registry: Registry) -> None:
    assert problems(registry, source(**{**MORE, "codeset": None})) == [
        "s.codeset: medication_increase needs a codeset"
    ]
    assert problems(registry, source(**{**MORE, "codeset": "x"})) == [
        "s.codeset: unknown code set 'x'"
    ]
