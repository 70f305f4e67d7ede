"""``encounter_increase``: more contact days lately than in the time before."""

from __future__ import annotations

from dataclasses import replace

from factories import ago
from factories import facts as patient

from cds.criteria.registry import Registry
from cds.facts.model import EncounterFact, PatientFacts
from cds.wording import say
from sources.kinds import problems, run, source

MORE = {
    "kind": "encounter_increase",
    "recent_days": 90,
    "baseline_days": 365,
    "min_recent": 3,
    "max_baseline": 2,
    "factor": 2,
}


def _with_contacts(*days_ago: int, status: str = "finished") -> PatientFacts:
    contacts = tuple(
        EncounterFact(ref=f"Encounter/e{i}", when=ago(d), status=status, klass="AMB")
        for i, d in enumerate(days_ago)
    )
    return replace(patient(), encounters=contacts)


def test_three_recent_days_against_none_fires(registry: Registry) -> None:
    found = run(registry, source(**MORE), _with_contacts(5, 20, 40))
    assert found.present and found.evidence[0].text.startswith("3 kontakter siste 90 dager")


def test_same_day_twice_or_planned_is_silent(registry: Registry) -> None:
    assert not run(registry, source(**MORE), _with_contacts(5, 5, 40)).present
    assert not run(registry, source(**MORE), _with_contacts(5, 20, 40, status="planned")).present


def test_busy_baseline_is_silent(registry: Registry) -> None:
    assert not run(registry, source(**MORE), _with_contacts(5, 20, 40, 100, 150, 200)).present


def test_unavailable_encounters_are_noted(registry: Registry) -> None:
    found = run(registry, source(**MORE), patient(unavailable=["encounters"]))
    assert not found.present and "ikke tilgjengelige" in say(found.notes[0])


def test_check_refuses_a_codeset(registry: Registry) -> None:
    assert "remove codeset" in problems(registry, source(**MORE, codeset="antibiotika"))[0]
