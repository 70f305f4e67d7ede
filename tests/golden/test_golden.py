"""Golden cases: each request in tests/golden/<rule-id>/ is posted through the app (clock fixed at
2026-11-20), checked for CDS Hooks conformance, and compared with its ``.expected.json``.

``pytest tests/golden --update-golden`` rewrites the expected files from the current output:
review the diff like code. Meta-tests keep the catalogue honest: every rule of every criteria
file has a case where it fires and a case where it stays silent (index.json, written by
build_cases.py), and the request files match what build_cases.py generates.
"""

from __future__ import annotations

import difflib
import importlib.util
import json
import re
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from cds.criteria.loader import load_registry
from cds.criteria.registry import Registry
from cds.render.format import stable_id
from cds.settings import REPO_ROOT

HERE = Path(__file__).resolve().parent
INDEX: dict[str, dict[str, Any]] = json.loads((HERE / "index.json").read_text(encoding="utf-8"))
SILENT = "silent"


def _load_builder() -> ModuleType:
    spec = importlib.util.spec_from_file_location("build_cases", HERE / "build_cases.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while being created
    spec.loader.exec_module(module)
    return module


def read(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def dumps(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


@pytest.fixture(scope="module")
def registry() -> Registry:
    return load_registry(REPO_ROOT / "criteria")


def card_rules(response: dict[str, Any], request: dict[str, Any], registry: Registry) -> set[str]:
    """The ids of the rules whose cards are in ``response``.

    Card uuids are ``stable_id(hookInstance, pathway, "card:<outcome>")`` and, per pathway, only
    one rule with a given outcome applies to a given hook, so (outcome, hook) names the rule.
    """
    found: set[str] = set()
    uuids = {card.get("uuid") for card in response["cards"]}
    for pathway in registry.pathways:
        for rule in pathway.rules:
            card_id = stable_id(request["hookInstance"], pathway.id, f"card:{rule.outcome}")
            if request["hook"] in rule.hooks and card_id in uuids:
                found.add(rule.id)
    return found


# --- the cases ------------------------------------------------------------------------------------


@pytest.mark.parametrize("case", sorted(INDEX))
def test_golden(case: str, hook: Callable[..., Any], request: pytest.FixtureRequest) -> None:
    body = read(HERE / f"{case}.request.json")
    response = hook(body)  # asserts conformance of every 200 response
    assert response.status_code == 200, response.text
    actual = response.json()
    expected_path = HERE / f"{case}.expected.json"
    if request.config.getoption("--update-golden"):
        expected_path.write_text(dumps(actual), encoding="utf-8")
        return
    if not expected_path.exists():
        pytest.fail(f"{expected_path.name} is missing: run pytest tests/golden --update-golden")
    expected = read(expected_path)
    if actual != expected:
        diff = difflib.unified_diff(
            dumps(expected).splitlines(), dumps(actual).splitlines(), "expected", "actual",
            lineterm="", n=2,
        )
        pytest.fail(f"{case}: response differs from the golden file\n" + "\n".join(diff))


@pytest.mark.parametrize("case", sorted(INDEX))
def test_expected_agrees_with_index(case: str, registry: Registry) -> None:
    """A firing case shows its rule's card; a silent case does not (silent/: no card at all)."""
    path = HERE / f"{case}.expected.json"
    if not path.exists():
        pytest.skip("no expected file yet")
    entry = INDEX[case]
    body = read(HERE / f"{case}.request.json")
    rules = card_rules(read(path), body, registry)
    if entry["rule"] is None:
        assert read(path) == {"cards": []}, f"{case}: a silent case must have no cards"
    elif entry["fires"]:
        assert entry["rule"] in rules, f"{case}: expected a card from {entry['rule']}, got {rules}"
    else:
        assert entry["rule"] not in rules, f"{case}: {entry['rule']} must be silent here"


# --- meta-tests -----------------------------------------------------------------------------------


def test_every_rule_has_a_firing_and_a_silent_case(registry: Registry) -> None:
    missing: list[str] = []
    for pathway in registry.pathways:
        for rule in pathway.rules:
            mine = [e for e in INDEX.values() if e["rule"] == rule.id]
            if not any(e["fires"] for e in mine):
                missing.append(f"{rule.id}: no firing case")
            if not any(not e["fires"] for e in mine):
                missing.append(f"{rule.id}: no silent case")
    assert not missing, missing


def test_folders_are_rule_ids() -> None:
    registry = load_registry(REPO_ROOT / "criteria")
    rule_ids = {rule.id for pathway in registry.pathways for rule in pathway.rules}
    folders = {p.name for p in HERE.iterdir() if p.is_dir() and p.name != "__pycache__"}
    assert folders <= rule_ids | {SILENT}, folders - rule_ids - {SILENT}


def test_index_matches_the_files() -> None:
    on_disk = {
        str(p.relative_to(HERE)).removesuffix(".request.json")
        for p in HERE.glob("*/*.request.json")
    }
    assert on_disk == set(INDEX)
    orphans = [
        p.name for p in HERE.glob("*/*.expected.json")
        if str(p.relative_to(HERE)).removesuffix(".expected.json") not in INDEX
    ]
    assert not orphans, orphans


def test_request_files_are_generated() -> None:
    """The committed requests are what build_cases.py makes (run it after changing a case)."""
    builder = _load_builder()
    stale = [
        f"{c.folder}/{c.name}"
        for c in builder.CASES
        if (HERE / c.folder / f"{c.name}.request.json").read_text(encoding="utf-8")
        != builder.render(builder.build(c))
    ]
    assert not stale, f"run python tests/golden/build_cases.py: {stale}"


# --- cards a GP reads in ten seconds (issue 7 §7), over every golden card -------------------------

_EVIDENCE_LINE = re.compile(r"^- .*? — (.+ — \d\d\.\d\d\.\d{4})", re.MULTILINE)


def _golden_cards() -> list[tuple[str, dict[str, Any]]]:
    return [
        (case, card)
        for case in sorted(INDEX)
        if (HERE / f"{case}.expected.json").exists()
        for card in read(HERE / f"{case}.expected.json")["cards"]
    ]


def test_golden_cards_say_each_finding_and_forlopstid_once() -> None:
    problems = []
    for case, card in _golden_cards():
        detail = card.get("detail", "")
        shown = _EVIDENCE_LINE.findall(detail)
        if len(shown) != len(set(shown)):
            problems.append(f"{case}: a finding's evidence is shown twice")
        if detail.count("Forløpstid") > 1:
            problems.append(f"{case}: more than one forløpstid line")
        if len(card.get("links", [])) > 3:
            problems.append(f"{case}: more than three links")
        if not card.get("extension", {}).get("no.pakkeforlop-cds.card-type"):
            problems.append(f"{case}: the card does not name its type")
    assert not problems, problems


def test_golden_acute_cards_state_1_2_days_and_ask_no_frailty_score() -> None:
    acute = [(c, card) for c, card in _golden_cards() if card["indicator"] == "critical"
             and card["extension"]["no.pakkeforlop-cds.card-type"] == "acute"]
    assert acute
    for case, card in acute:
        assert "innen 1-2 døgn" in card["detail"], case
        assert "kalenderdager" not in card["detail"], case  # not the 7-day forløpstid
        assert "Skrøpelighet" not in card["detail"], case
        # Evidence first: the findings come before the source's acute sentence.
        assert card["detail"].index("Funn:") < card["detail"].index("innen 1-2 døgn"), case


def test_golden_merged_cards_open_with_the_recommended_pathway_and_its_evidence() -> None:
    merged = [(c, card) for c, card in _golden_cards()
              if card["extension"]["no.pakkeforlop-cds.card-type"] == "begrunnet_group"]
    assert merged
    for case, card in merged:
        detail = card["detail"]
        assert re.match(r"\*\*Pakkeforløp for \w+\*\*( \(anbefalt\))? – kriteriene", detail), case
        first_evidence = detail.index("\n- **")
        assert first_evidence < detail.index("pakkeforløp om gangen"), case
