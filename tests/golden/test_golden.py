"""Golden cases: each case of build_cases.py is built in memory, posted through the app (clock fixed
at 2026-11-20), checked for CDS Hooks conformance, and compared with what is committed.

Every case is compared by its compact projection (projection.py) with its entry in
``<rule-id>/projections.json``; the cases of representative.py are also compared in full with
``<rule-id>/<case>.expected.json``. ``pytest tests/golden --update-golden`` rewrites both kinds
from the current output (and drops entries and files of cases that are gone): review the diff like
code. Meta-tests keep the catalogue honest: every rule of every criteria file has a case where it
fires and a case where it stays silent (index.json, written by build_cases.py), each case's
answer agrees with its index entry, and the committed files are exactly the cases'.

The golden tests only read, so one app serves the whole module (per xdist worker); the audit
writer is replaced by one that keeps each call's row, whose ``rules`` the projection records.
"""

from __future__ import annotations

import difflib
import fcntl
import functools
import importlib.util
import json
import re
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from conformance import assert_conformant
from fastapi import FastAPI
from fastapi.testclient import TestClient
from projection import PSEUDO_RULES, project
from representative import FULL

from cds.api.deps import get_audit_writer
from cds.audit import AuditRecord
from cds.criteria.registry import Registry
from cds.evaluate.registration import proposal_rules
from cds.services import HOOK_SERVICES
from cds.settings import Settings

HERE = Path(__file__).resolve().parent
SILENT = "silent"
PROJECTIONS = "projections.json"
SERVICE_IDS = {service.hook: service.id for service in HOOK_SERVICES}  # the hook's own service


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


BUILDER = _load_builder()
CASES = {f"{case.folder}/{case.name}": case for case in BUILDER.CASES}
INDEX: dict[str, dict[str, Any]] = read(HERE / "index.json")


@functools.cache
def committed_projections(folder: str) -> dict[str, Any]:
    path = HERE / folder / PROJECTIONS
    return read(path) if path.exists() else {}


# --- one app for the module ---------------------------------------------------------------------


class AuditCapture:
    """Stands in for the audit writer: keeps the rows instead of writing them."""

    def __init__(self) -> None:
        self.records: list[AuditRecord] = []

    def submit(self, record: AuditRecord) -> bool:
        self.records.append(record)
        return True


class Golden:
    """The module's client: ``post(body)`` -> (response JSON, rules that decided)."""

    def __init__(self, client: TestClient, audit: AuditCapture) -> None:
        self.client, self.audit = client, audit

    def post(
        self, body: dict[str, Any], service: str | None = None
    ) -> tuple[dict[str, Any], list[str]]:
        before = len(self.audit.records)
        service_id = service or SERVICE_IDS[body["hook"]]
        response = self.client.post(f"/cds-services/{service_id}", json=body)
        assert response.status_code == 200, response.text
        data: dict[str, Any] = response.json()
        assert_conformant(data, body)
        rows = self.audit.records[before:]
        assert len(rows) == 1, f"{len(rows)} audit rows for one call"
        return data, list(rows[0].rules)


@pytest.fixture(scope="module")
def golden(
    app_factory: Callable[[Settings], FastAPI], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Golden]:
    database = tmp_path_factory.mktemp("golden") / "cds.sqlite3"
    app = app_factory(Settings(database_url=f"sqlite:///{database}"))
    audit = AuditCapture()
    app.dependency_overrides[get_audit_writer] = lambda: audit
    with TestClient(app) as client:
        yield Golden(client, audit)


# --- the cases ----------------------------------------------------------------------------------


@pytest.mark.parametrize("case", sorted(CASES))
def test_golden(
    case: str, golden: Golden, repo_registry: Registry, request: pytest.FixtureRequest
) -> None:
    body = BUILDER.build(CASES[case])
    actual, rules = golden.post(body, CASES[case].service)  # asserts conformance
    projection = project(actual, rules, body["hookInstance"], repo_registry)
    if request.config.getoption("--update-golden"):
        _update(case, actual, projection)
    else:
        if case in FULL:
            _compare(case, "the golden file", read_expected(case), actual)
        folder, name = case.split("/")
        if name not in committed_projections(folder):
            pytest.fail(f"{case} has no projection: run pytest tests/golden --update-golden")
        _compare(case, f"{folder}/{PROJECTIONS}", committed_projections(folder)[name], projection)
    _agrees_with_index(case, actual, projection, repo_registry)
    problems = [p for card in actual["cards"] for p in _card_problems(card)]
    assert not problems, f"{case}: {problems}"


def read_expected(case: str) -> Any:
    path = HERE / f"{case}.expected.json"
    if not path.exists():
        pytest.fail(f"{path.name} is missing: run pytest tests/golden --update-golden")
    return read(path)


def _compare(case: str, what: str, expected: Any, actual: Any) -> None:
    if actual != expected:
        diff = difflib.unified_diff(
            dumps(expected).splitlines(), dumps(actual).splitlines(), "expected", "actual",
            lineterm="", n=2,
        )
        pytest.fail(f"{case}: differs from {what}\n" + "\n".join(diff))


def _update(case: str, actual: dict[str, Any], projection: dict[str, Any]) -> None:
    """Write this case's projection (and full file if representative); drop what is gone.

    Under pytest-xdist several workers rewrite one folder's projections.json: a lock file makes
    each read-modify-write whole.
    """
    folder, name = case.split("/")
    (HERE / folder).mkdir(exist_ok=True)
    expected = HERE / f"{case}.expected.json"
    if case in FULL:
        expected.write_text(dumps(actual), encoding="utf-8")
    else:
        expected.unlink(missing_ok=True)
    BUILDER.REQUESTS.mkdir(exist_ok=True)
    with (BUILDER.REQUESTS / ".update.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        path = HERE / folder / PROJECTIONS
        stored = read(path) if path.exists() else {}
        stored[name] = projection
        mine = {n.split("/")[1] for n in CASES if n.split("/")[0] == folder}
        kept = {key: stored[key] for key in sorted(stored) if key in mine}
        path.write_text(dumps(kept), encoding="utf-8")


def _agrees_with_index(
    case: str, actual: dict[str, Any], projection: dict[str, Any], registry: Registry
) -> None:
    """A firing case shows its rule's card; a silent case does not (silent/: no card at all).

    A registration proposal's pseudo-rule is shown when the call names it (the audit row's
    rules: the registration pipeline names exactly the proposals its cards carry)."""
    entry = INDEX[case]
    shown = {card["rule"] for card in projection["cards"]}
    if entry["rule"] in proposal_rules(registry.pathways):
        shown = set(projection["rules"])
    if entry["rule"] is None:
        assert actual == {"cards": []}, f"{case}: a silent case must have no cards"
    elif entry["fires"]:
        assert entry["rule"] in shown, f"{case}: expected a card from {entry['rule']}, got {shown}"
    else:
        assert entry["rule"] not in shown, f"{case}: {entry['rule']} must be silent here"


# --- cards a GP reads in ten seconds (issue 7 §7), over every golden card -------------------------

_EVIDENCE_LINE = re.compile(r"^- .*? — (.+ — \d\d\.\d\d\.\d{4})", re.MULTILINE)


def _card_problems(card: dict[str, Any]) -> list[str]:
    problems = []
    detail = card.get("detail", "")
    shown = _EVIDENCE_LINE.findall(detail)
    if len(shown) != len(set(shown)):
        problems.append("a finding's evidence is shown twice")
    if detail.count("Forløpstid") > 1:
        problems.append("more than one forløpstid line")
    if len(card.get("links", [])) > 3:
        problems.append("more than three links")
    card_type = card.get("extension", {}).get("no.pakkeforlop-cds.card-type")
    if not card_type:
        problems.append("the card does not name its type")
    if card_type == "acute" and card["indicator"] == "critical":
        if "kalenderdager" in detail:
            problems.append("an acute card with the 7-day forløpstid")
        if "Skrøpelighet" in detail:
            problems.append("an acute card asks for a frailty score")
        # Evidence first: the findings come before the source's acute sentence.
        if not _before(detail, "Funn:", "innen 1-2 døgn"):
            problems.append("an acute card needs «Funn:» and then «innen 1-2 døgn»")
    if card_type == "begrunnet_group":
        if not re.match(r"\*\*Pakkeforløp for \w+\*\*( \(anbefalt\))? – kriteriene", detail):
            problems.append("a merged card does not open with the recommended pathway")
        if not _before(detail, "\n- **", "pakkeforløp om gangen"):
            problems.append("a merged card needs its evidence before its one-pathway sentence")
    return problems


def _before(text: str, first: str, then: str) -> bool:
    return first in text and then in text and text.index(first) < text.index(then)


def test_the_cases_show_acute_and_merged_cards() -> None:
    """The ten-second checks above have cards to check: acute and merged ones are among them."""
    types = {
        card["type"]
        for path in HERE.glob(f"*/{PROJECTIONS}")
        for case in read(path).values()
        for card in case["cards"]
    }
    assert {"acute", "begrunnet_group"} <= types, types


# --- meta-tests -----------------------------------------------------------------------------------


def test_every_rule_has_a_firing_and_a_silent_case(repo_registry: Registry) -> None:
    """Every criteria rule, the safety-net pseudo-rules (projection.py), and every registration
    pseudo-rule that has a case folder."""
    rule_ids = [rule.id for pathway in repo_registry.pathways for rule in pathway.rules]
    proposals = proposal_rules(repo_registry.pathways) & {e["rule"] for e in INDEX.values()}
    missing: list[str] = []
    for rule_id in [*rule_ids, *sorted(PSEUDO_RULES), *sorted(proposals)]:
        mine = [e for e in INDEX.values() if e["rule"] == rule_id]
        if not any(e["fires"] for e in mine):
            missing.append(f"{rule_id}: no firing case")
        if not any(not e["fires"] for e in mine):
            missing.append(f"{rule_id}: no silent case")
    assert not missing, missing


def test_folders_are_rule_ids(repo_registry: Registry) -> None:
    rule_ids = {rule.id for pathway in repo_registry.pathways for rule in pathway.rules}
    rule_ids |= proposal_rules(repo_registry.pathways)
    folders = {
        p.name for p in HERE.iterdir()
        if p.is_dir() and p.name != "__pycache__" and not p.name.startswith(".")
    }
    known = rule_ids | PSEUDO_RULES | {SILENT}
    assert folders <= known, folders - known


def test_index_is_what_build_cases_makes() -> None:
    """The committed index.json is build_cases.py's (run ``make golden`` after changing a case)."""
    names = [f"{c.folder}/{c.name}" for c in BUILDER.CASES]
    assert len(names) == len(set(names)), "duplicate case names"
    assert BUILDER.index() == INDEX, "index.json is stale: run make golden"


def test_committed_files_are_the_cases() -> None:
    """One projection per case, a full file exactly for the representative cases, no requests."""
    assert set(FULL) <= set(CASES), set(FULL) - set(CASES)
    projected = {
        f"{path.parent.name}/{name}"
        for path in HERE.glob(f"*/{PROJECTIONS}")
        for name in read(path)
    }
    assert projected == set(CASES), {
        "projections of no case": sorted(projected - set(CASES)),
        "cases without a projection": sorted(set(CASES) - projected),
    }
    full = {str(p.relative_to(HERE)).removesuffix(".expected.json")
            for p in HERE.glob("*/*.expected.json")}
    assert full == set(FULL), {"not representative": sorted(full - set(FULL)),
                               "missing": sorted(set(FULL) - full)}
    requests = [p.name for p in HERE.glob("*/*.request.json")]
    assert not requests, f"requests are built, not committed (see .requests/): {requests}"
