"""``weight_loss``: newest weight at least ``percent`` % below the earlier maximum."""

from __future__ import annotations

from factories import facts as patient
from factories import lab

from cds.criteria.registry import Registry
from sources.kinds import problems, run, source, texts

LOSS = {
    "kind": "weight_loss",
    "analyte": "body_weight",
    "percent": 5,
    "within_days": 365,
    "window_days": 90,
}


def _weights(before: float, now: float) -> list:  # type: ignore[type-arg]
    return [lab("body_weight", before, "kg", days_ago=200), lab("body_weight", now, "kg")]


def test_loss_at_the_limit_fires(registry: Registry) -> None:
    found = run(registry, source(**LOSS), patient(labs=_weights(80, 76)))  # 5.0 %
    assert found.present and "(ned 5 % fra 80 kg" in texts(found)[0]


def test_smaller_loss_is_silent(registry: Registry) -> None:
    found = run(registry, source(**LOSS), patient(labs=_weights(80, 76.1)))  # 4.9 %
    assert not found.present and found.assessed


def test_newer_unusable_weight_is_not_assessed(registry: Registry) -> None:
    labs = [*_weights(80, 79), lab("body_weight", None, "kg", days_ago=2, unit_problem="x")]
    found = run(registry, source(**LOSS), patient(labs=labs))
    assert not found.present and found.unassessed is not None


def test_check_needs_a_unit(registry: Registry) -> None:
    assert problems(registry, source(**{**LOSS, "analyte": "hba1c"})) == [
        "s.analyte: analyte 'hba1c' has no unit to compare in"
    ]
