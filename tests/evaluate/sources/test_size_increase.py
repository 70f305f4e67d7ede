"""``size_increase``: the newest size of a lump clearly above the smallest earlier one."""

from __future__ import annotations

from dataclasses import replace

from factories import facts as patient
from factories import lab

from cds.criteria.registry import Registry
from cds.facts.model import LabResult
from sources.kinds import problems, run, source, texts

GROWTH = {
    "kind": "size_increase",
    "analyte": "tumour_size",
    "percent": 20,
    "min_increase": 0.5,
    "within_days": 365,
    "window_days": 180,
    "source": "t",
}


def _size(cm: float, days_ago: int, site: str = "venstre lår") -> LabResult:
    return replace(lab("tumour_size", cm, "cm", days_ago=days_ago), site=site)


def test_growth_at_both_limits_fires(registry: Registry) -> None:
    found = run(registry, source(**GROWTH), patient(labs=[_size(2.5, 100), _size(3.0, 10)]))
    assert found.present and "(økt med 0,5 cm / 20 % fra 2,5 cm" in texts(found)[0]


def test_below_either_limit_is_silent(registry: Registry) -> None:
    small = [_size(2.0, 100), _size(2.4, 10)]  # 20 % but 0.4 cm
    assert not run(registry, source(**GROWTH), patient(labs=small)).present
    slow = [_size(5.0, 100), _size(5.9, 10)]  # 0.9 cm but 18 %
    assert not run(registry, source(**GROWTH), patient(labs=slow)).present


def test_another_place_is_another_lump(registry: Registry) -> None:
    labs = [_size(2.0, 100, site="høyre lår"), _size(4.0, 10)]
    assert not run(registry, source(**GROWTH), patient(labs=labs)).present


def test_check_needs_a_positive_bound(registry: Registry) -> None:
    bad = source(**{**GROWTH, "percent": 0, "min_increase": 0})
    assert "percent or min_increase must be positive" in problems(registry, bad)[0]
