"""``corrected_calcium``: Ca + factor × (reference albumin − albumin), against the threshold."""

from __future__ import annotations

from factories import facts as patient
from factories import lab

from cds.criteria.registry import Registry
from sources.kinds import problems, run, source, texts

CA = {
    "kind": "corrected_calcium",
    "calcium": "calcium_total",
    "albumin": "albumin",
    "factor": 0.02,
    "reference_albumin": 40,
    "threshold": {"unit": "mmol/L", "value": 2.6, "source": "t"},
    "pairing_days": 7,
    "window_days": 30,
}


def test_corrected_above_the_threshold_fires(registry: Registry) -> None:
    # 2.50 + 0.02 × (40 − 34) = 2.62
    labs = [lab("calcium_total", 2.50, "mmol/L"), lab("albumin", 34, "g/L")]
    found = run(registry, source(**CA), patient(labs=labs))
    assert found.present
    assert texts(found)[0].startswith("Korrigert kalsium 2,62 mmol/L")


def test_corrected_at_the_threshold_is_silent(registry: Registry) -> None:
    # 2.50 + 0.02 × (40 − 35) = 2.60: not above
    labs = [lab("calcium_total", 2.50, "mmol/L"), lab("albumin", 35, "g/L")]
    assert not run(registry, source(**CA), patient(labs=labs)).present


def test_no_albumin_within_pairing_days_is_silent(registry: Registry) -> None:
    labs = [lab("calcium_total", 2.9, "mmol/L"), lab("albumin", 30, "g/L", days_ago=20)]
    assert not run(registry, source(**CA), patient(labs=labs)).present


def test_check_wants_albumin_in_g_per_l(registry: Registry) -> None:
    assert problems(registry, source(**CA)) == []
    wrong = source(**{**CA, "albumin": "hemoglobin"})
    assert "must have unit g/L" in problems(registry, wrong)[0]
