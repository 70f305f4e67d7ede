"""``procedure``: a completed operation in the record matching text or code."""

from __future__ import annotations

from factories import facts as patient
from factories import procedure

from cds.criteria.registry import Registry
from sources.kinds import problems, run, source

BYPASS = {
    "kind": "procedure",
    "procedure": {"patterns": ["gastri\\w*\\s*bypass"]},
    "window_days": 3650,
}


def test_completed_operation_fires(registry: Registry) -> None:
    found = run(registry, source(**BYPASS), patient(orders=[procedure("Gastric bypass")]))
    assert found.present and found.evidence[0].text == "Operasjon: gastric bypass"


def test_planned_or_other_or_denied_is_silent(registry: Registry) -> None:
    for op in (
        procedure("Gastric bypass", status="preparation"),
        procedure("Kolecystektomi"),
        procedure("Ikke gastric bypass"),
    ):
        assert not run(registry, source(**BYPASS), patient(orders=[op])).present


def test_check_needs_something_to_match(registry: Registry) -> None:
    bad = source(kind="procedure", procedure={}, window_days=1)
    assert problems(registry, bad) == ["s.procedure: give patterns or a codeset"]
