"""Earlier positive results that aged out of their window (cds.evaluate.aged_out): the mistanke
assessment carries them, on both sides of the feature's window and of the three-year look-back;
a negative old result, a fresh test, or another outcome carry nothing."""

from __future__ import annotations

import pytest
from factories import Run, condition, facts, lab

from cds.evaluate.aged_out import LOOK_BACK_DAYS
from cds.facts.model import LabResult

BACK_PAIN = ("icpc2", "L03")
OLD_M = "Liten M-komponent i gammaområdet, ca 3 g/L."


def _symptoms() -> tuple[list[LabResult], list]:  # type: ignore[type-arg]
    """Two symptoms of suspicion (anaemia, back pain): the patient-view mistanke rule."""
    return [lab("hemoglobin", 10.9, "g/dL", days_ago=10)], [condition(BACK_PAIN, days_ago=20)]


def _spep(days_ago: int, text: str) -> LabResult:
    return lab("spep", None, days_ago=days_ago, text=text)


@pytest.mark.parametrize(
    ("days_ago", "carried"),
    [(366, True), (LOOK_BACK_DAYS, True), (LOOK_BACK_DAYS + 1, False)],
)
def test_positive_spep_outside_its_window_within_three_years(
    run: Run, days_ago: int, carried: bool
) -> None:
    labs, conditions = _symptoms()
    a = run(facts(labs=[*labs, _spep(days_ago, OLD_M)], conditions=conditions))
    assert a.outcome == "mistanke"
    assert "m_komponent" not in a.hits
    if carried:
        (item,) = a.aged_out
        assert item.feature == "m_komponent"
        assert item.test == "proteinelektroforese"
        assert item.evidence.text.startswith("Proteinelektroforese: «Liten M-komponent")
        assert item.evidence.when is not None
    else:
        assert a.aged_out == ()


def test_positive_spep_within_its_window_is_a_finding_not_aged_out(run: Run) -> None:
    labs, conditions = _symptoms()
    a = run(facts(labs=[*labs, _spep(365, OLD_M)], conditions=conditions))
    assert "m_komponent" in a.hits
    assert a.outcome != "mistanke"
    assert a.aged_out == ()


def test_negative_old_spep_is_not_reported(run: Run) -> None:
    labs, conditions = _symptoms()
    a = run(facts(labs=[*labs, _spep(430, "Ingen M-komponent påvist.")], conditions=conditions))
    assert a.outcome == "mistanke"
    assert a.aged_out == ()


def test_newer_normal_spep_means_nothing_to_repeat(run: Run) -> None:
    # A normal SPEP 100 days ago: the test is done (not stale), so the old positive is not news
    # for this card (the light chains are still missing, so the card itself still shows).
    labs, conditions = _symptoms()
    old, new = _spep(430, OLD_M), _spep(100, "Ingen M-komponent påvist.")
    a = run(facts(labs=[*labs, old, new], conditions=conditions))
    assert a.outcome == "mistanke"
    assert a.aged_out == ()


def test_only_mistanke_assessments_carry_it(run: Run) -> None:
    # One symptom only: no card in patient-view, nothing computed.
    a = run(facts(labs=[_spep(430, OLD_M), lab("hemoglobin", 10.9, "g/dL", days_ago=10)]))
    assert a.outcome is None
    assert a.aged_out == ()
