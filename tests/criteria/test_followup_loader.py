"""``load_registry`` on follow-up programmes (criteria/oppfolging/): the real programme loads,
and every cross-reference the schema cannot see is refused by field path when it does not
resolve — a programme with a broken reference must stop the service from starting."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from cds.criteria.loader import CriteriaError, load_registry

REPO_CRITERIA = Path(__file__).resolve().parents[2] / "criteria"
Mutate = Callable[[dict[str, Any]], None]


def loaded_with(tmp_path: Path, mutate: Mutate) -> None:
    """Load a copy of criteria/ whose sarcoma programme ``mutate`` changed."""
    target = tmp_path / "criteria"
    shutil.copytree(REPO_CRITERIA, target)
    path = target / "oppfolging" / "sarkom.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    mutate(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    load_registry(target)


def test_the_programme_loads_with_its_groups() -> None:
    (programme,) = load_registry(REPO_CRITERIA).followups
    assert programme.id == "sarkom-oppfolging" and programme.pathway == "sarkom"
    assert list(programme.groups) == ["A", "B", "C"]


def test_round_trip_of_the_copy_loads(tmp_path: Path) -> None:
    loaded_with(tmp_path, lambda d: None)  # the mutation harness itself changes nothing


def _set(path: str, value: Any) -> Mutate:
    def mutate(d: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        node: Any = d
        for key in parents:
            node = node[int(key)] if key.isdigit() else node[key]
        node[int(last) if last.isdigit() else last] = value

    return mutate


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (_set("diagnosis", "finnes_ikke"), "diagnosis: unknown code set 'finnes_ikke'"),
        (_set("pathway", "lunge"), "pathway: unknown pathway 'lunge'"),
        (
            _set("groups.A.schedule.0.investigation", "pet"),
            "groups.A.schedule[0].investigation: unknown 'pet'",
        ),
        (
            _set("groups.A.criteria.grade", ["middels"]),
            "groups.A.criteria.grade: unknown value 'middels' of grade",
        ),
        (
            _set("groups.B.schedule.2.when.depth", ["veldig_dyp"]),
            "groups.B.schedule[2].when.depth: unknown value 'veldig_dyp' of depth",
        ),
        (
            _set("investigations.behovsvurdering.done_with", ["besok"]),
            "investigations.behovsvurdering.done_with: unknown investigation 'besok'",
        ),
        (
            _set("characteristics.grade.values.low.patterns", ["(lavgradig"]),
            "characteristics.grade.values.low.patterns",
        ),
        (
            _set("ends.recurrence.indicator.codesets", ["metastaser"]),
            "ends.recurrence.indicator.codesets[0]: unknown code set 'metastaser'",
        ),
        (_set("groups.A.schedule.0.months", [12, 6]), "months must be positive and increasing"),
        (_set("window.before_days", -1), "window.before_days"),
    ],
)
def test_broken_references_are_refused(tmp_path: Path, mutate: Mutate, message: str) -> None:
    with pytest.raises(CriteriaError) as err:
        loaded_with(tmp_path, mutate)
    assert message in str(err.value)
    assert "oppfolging/sarkom.yaml" in str(err.value)


def test_duplicate_keys_are_refused(tmp_path: Path) -> None:
    target = tmp_path / "criteria"
    shutil.copytree(REPO_CRITERIA, target)
    path = target / "oppfolging" / "sarkom.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "\nid: igjen\n", encoding="utf-8")
    with pytest.raises(CriteriaError, match="duplicate key"):
        load_registry(target)
