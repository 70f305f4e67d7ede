"""Named pattern sets (criteria/codes/pattern_sets.yaml) and the one code-list layout.

A criteria list item ``{set: <id>}`` stands for the set's patterns, in place; unknown ids,
sets that name themselves and empty sets are refused at load, with the field path.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml
from test_loader import CODES, PATHWAY, refused, write

from cds.criteria.loader import load_registry

REPO = Path(__file__).resolve().parents[2]


def _with_sets(sets: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {"codes.yaml": CODES, "pattern_sets.yaml": {"pattern_sets": sets}}


def _pathway(exclusions: list[Any]) -> dict[str, Any]:
    data = copy.deepcopy(PATHWAY)
    data["features"]["anemi"]["sources"][2]["exclusions"] = exclusions
    return data


def _exclusions(tmp_path: Path, sets: dict[str, Any], exclusions: list[Any]) -> tuple[str, ...]:
    criteria = write(tmp_path, pathways={"test.yaml": _pathway(exclusions)}, codes=_with_sets(sets))
    source = load_registry(criteria).get("test").features["anemi"].sources[2]
    return source.exclusions  # type: ignore[attr-defined, no-any-return]


def test_a_set_stands_for_its_patterns_in_place(tmp_path: Path) -> None:
    sets = {"jern": {"patterns": ["jernmangel", "ferritin"]}}
    found = _exclusions(tmp_path, sets, ["hemolyse", {"set": "jern"}, "talassemi"])
    assert found == ("hemolyse", "jernmangel", "ferritin", "talassemi")


def test_sets_may_name_sets(tmp_path: Path) -> None:
    sets = {
        "alle": {"patterns": [{"set": "jern"}, "b12"], "note": "why"},
        "jern": {"patterns": ["jernmangel"]},
    }
    assert _exclusions(tmp_path, sets, [{"set": "alle"}]) == ("jernmangel", "b12")


def test_without_sets_nothing_changes(tmp_path: Path) -> None:
    assert _exclusions(tmp_path, {}, ["jernmangel"]) == ("jernmangel",)


def test_unknown_set_in_a_pathway_is_refused(tmp_path: Path) -> None:
    pathways = {"test.yaml": _pathway([{"set": "finnes_ikke"}])}
    message = refused(write(tmp_path, pathways=pathways, codes=_with_sets({})))
    assert (
        "criteria/test.yaml: features.anemi.sources[2].exclusions[0]: "
        "unknown pattern set 'finnes_ikke'" in message
    )


def test_unknown_set_in_a_set_is_refused(tmp_path: Path) -> None:
    sets = {"a": {"patterns": [{"set": "b"}]}}
    message = refused(write(tmp_path, codes=_with_sets(sets)))
    expected = "pattern_sets.a.patterns[0]: unknown pattern set 'b'"
    assert f"criteria/codes/pattern_sets.yaml: {expected}" in message


def test_a_set_naming_itself_is_refused(tmp_path: Path) -> None:
    sets = {"a": {"patterns": ["x", {"set": "b"}]}, "b": {"patterns": [{"set": "a"}]}}
    message = refused(write(tmp_path, codes=_with_sets(sets)))
    assert "names itself" in message


def test_empty_set_and_bad_regex_are_refused(tmp_path: Path) -> None:
    sets = {"tom": {"patterns": []}, "feil": {"patterns": ["(uavsluttet"]}}
    message = refused(write(tmp_path, codes=_with_sets(sets)))
    assert "pattern_sets.tom.patterns: a pattern set needs patterns" in message
    assert "pattern_sets.feil.patterns[0]: invalid regex" in message


def test_a_set_defined_twice_is_refused(tmp_path: Path) -> None:
    codes = {
        "codes.yaml": CODES,
        "a.yaml": {"pattern_sets": {"x": {"patterns": ["a"]}}},
        "b.yaml": {"pattern_sets": {"x": {"patterns": ["b"]}}},
    }
    message = refused(write(tmp_path, codes=codes))
    assert "criteria/codes/b.yaml: pattern_sets.x: already defined in criteria/codes/a.yaml" in (
        message
    )


def test_real_sets_are_used_and_resolve() -> None:
    registry = load_registry(REPO / "criteria")
    sets = registry.codebook.pattern_sets
    assert "sarkom_not_soft_tissue" in sets
    raw = "\n".join(p.read_text("utf-8") for p in (REPO / "criteria").glob("*.yaml"))
    raw += (REPO / "criteria" / "codes" / "pattern_sets.yaml").read_text("utf-8")
    for name in sets:
        assert f"{{set: {name}}}" in raw, f"pattern set {name} is used nowhere"


def test_one_code_list_layout() -> None:
    """criteria/codes/<key>.yaml holds the code-book section <key> only, for every pathway
    (criteria/README.md «Code lists»)."""
    for path in sorted((REPO / "criteria" / "codes").glob("*.yaml")):
        data = yaml.safe_load(path.read_text("utf-8"))
        assert list(data) == [path.stem], f"{path.name} holds {list(data)}"
