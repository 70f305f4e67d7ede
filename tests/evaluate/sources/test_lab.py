"""``lab``: the newest usable result in the window against flag, range, then threshold."""

from __future__ import annotations

from factories import facts as patient
from factories import lab

from cds.criteria.registry import Registry
from sources.kinds import problems, run, source

HB = {
    "kind": "lab",
    "analyte": "hemoglobin",
    "direction": "low",
    "threshold": {"unit": "g/dL", "female": 11.7, "male": 13.4, "default": 11.7, "source": "t"},
    "use_reference_range": False,
    "window_days": 90,
}


def test_below_the_threshold_fires(registry: Registry) -> None:
    found = run(registry, source(**HB), patient(labs=[lab("hemoglobin", 11.6, "g/dL")]))
    assert found.present and found.assessed
    assert found.evidence[0].text.startswith("Hemoglobin 11,6 g/dL (under 11,7")


def test_at_the_threshold_is_silent(registry: Registry) -> None:
    found = run(registry, source(**HB), patient(labs=[lab("hemoglobin", 11.7, "g/dL")]))
    assert not found.present and found.assessed


def test_only_the_newest_result_counts(registry: Registry) -> None:
    labs = [lab("hemoglobin", 10.0, "g/dL", days_ago=40), lab("hemoglobin", 12.5, "g/dL")]
    assert not run(registry, source(**HB), patient(labs=labs)).present


def test_outside_the_window_is_silent(registry: Registry) -> None:
    labs = [lab("hemoglobin", 10.0, "g/dL", days_ago=91)]
    assert not run(registry, source(**HB), patient(labs=labs)).present


def test_the_labs_own_flag_decides_with_reference_ranges(registry: Registry) -> None:
    src = source(**{**HB, "use_reference_range": True})
    flagged = patient(labs=[lab("hemoglobin", 12.0, "g/dL", flags=["L"])])
    assert run(registry, src, flagged).present
    normal = patient(labs=[lab("hemoglobin", 11.0, "g/dL", flags=["N"])])
    assert not run(registry, src, normal).present


def test_check_refuses_unknown_analyte_and_wrong_unit(registry: Registry) -> None:
    bad = source(**{**HB, "analyte": "finnes_ikke"})
    assert problems(registry, bad) == ["s.analyte: unknown analyte 'finnes_ikke'"]
    unit = source(**{**HB, "threshold": {**HB["threshold"], "unit": "mmol/L"}})
    assert "differs from the canonical unit 'g/dL'" in problems(registry, unit)[0]
    assert problems(registry, source(**HB)) == []
