"""The lab horizon (cds/evaluate/horizon.py) loses nothing any rule reads.

Facts read in full only lab results within each analyte's horizon (the longest look-back any
code path may use); older ones are only dated, and per analyte the newest one and the newest
usable one are kept. If a rule, the change classification, the aged-out look-back or render read
further back than the horizon says, the answers below would differ:

* every example, on every hook: the same response with and without it (the golden cases show the
  same: their expected answers were recorded before the horizon existed);
* every example with each of its lab results copied back by half a year to nine years (abnormal
  values included, the kind that would fire a rule): the same assessments, decisions and newest
  results per analyte with and without it — only notes about old values that cannot be used go.
"""

from __future__ import annotations

import asyncio
import copy
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from cds.cdshooks import HookRequest, dump
from cds.criteria.registry import Registry
from cds.evaluate.decision import decide
from cds.evaluate.engine import evaluate
from cds.evaluate.horizon import lab_horizons
from cds.facts.analyte_index import AnalyteIndex
from cds.facts.extract import extract_facts
from cds.facts.labs import extract_labs
from cds.hooks import HOOK_NAMES
from cds.pipeline import respond
from cds.record.bundle import request_from_bundle
from cds.record.model import Record
from cds.record.prefetch import gather_record
from cds.services import SERVICES
from cds.settings import Settings
from cds.wording import say

TODAY = date(2026, 11, 20)
REPO = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((REPO / "examples").glob("*.json"))
SETTINGS = Settings(database_url="sqlite://")


def _record(body: dict[str, Any]) -> tuple[HookRequest, Record]:
    request = HookRequest.model_validate(body)
    service = next(s for s in SERVICES if s.hook == request.hook)
    # Complete prefetch: the FHIR client is never used.
    record = asyncio.run(gather_record(request, service, SETTINGS, None))  # type: ignore[arg-type]
    return request, record


def _unbounded(registry: Registry) -> Registry:
    return replace(registry, lab_horizons=None)


def test_the_repository_criteria_have_a_horizon(repo_registry: Registry) -> None:
    horizons = repo_registry.lab_horizons
    assert horizons is not None
    # The longest reach: the widened look-back (3 years) plus what a kind reads beyond its window.
    assert horizons["hemoglobin"] == 1096
    assert horizons["albumin"] > horizons["calcium_total"]  # paired before the oldest calcium
    assert horizons["body_weight"] > horizons["hemoglobin"]  # the heaviest weight before it
    assert horizons == lab_horizons(repo_registry.pathways)


def test_a_kind_that_does_not_say_how_far_it_reads_switches_the_horizon_off(
    repo_registry: Registry, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = next(
        s for p in repo_registry.pathways for f in p.features.values() for s in f.sources
    )
    monkeypatch.setattr(type(source), "lab_reach", lambda self, widen_days: None)
    assert lab_horizons(repo_registry.pathways) is None


def _example_bodies() -> list[tuple[str, dict[str, Any]]]:
    import json

    bodies = []
    for path in EXAMPLES:
        bundle = json.loads(path.read_text(encoding="utf-8"))
        for hook in HOOK_NAMES:
            bodies.append((f"{path.stem}.{hook}", request_from_bundle(bundle, hook=hook)))
    return bodies


def test_every_example_answers_the_same_without_the_horizon(
    repo_registry: Registry,
) -> None:
    unbounded = _unbounded(repo_registry)
    differ = []
    for name, body in _example_bodies():
        request, record = _record(body)
        bounded = dump(respond(request, record, repo_registry, SETTINGS, today=TODAY))
        full = dump(respond(request, record, unbounded, SETTINGS, today=TODAY))
        if bounded != full:
            differ.append(name)
    assert not differ, differ


_BACK_DAYS = (200, 500, 1000, 1200, 1500, 3300)


def _with_old_copies(body: dict[str, Any]) -> dict[str, Any]:
    """The request with each Observation of its prefetch copied back by each of ``_BACK_DAYS``.

    Copies inside the horizon are read either way; those beyond it show that nothing reads them.
    A horizon too short for some path (the mutation check this test was written with: every
    horizon set to 100 days) makes the copies at 200 to 1 000 days differ.
    """
    padded = copy.deepcopy(body)
    for value in padded.get("prefetch", {}).values():
        if not isinstance(value, dict) or value.get("resourceType") != "Bundle":
            continue
        copies = []
        for entry in value.get("entry", []):
            resource = entry.get("resource", {})
            if resource.get("resourceType") != "Observation":
                continue
            for days in _BACK_DAYS:
                old = copy.deepcopy(resource)
                old["id"] = f"{resource.get('id')}-old-{days}"
                for key in ("effectiveDateTime", "issued"):
                    if isinstance(old.get(key), str):
                        old[key] = _shifted(old[key], days)
                copies.append({"resource": old})
        value.setdefault("entry", []).extend(copies)
    return padded


def _shifted(stamp: str, days: int) -> str:
    day = date.fromisoformat(stamp[:10]) - timedelta(days=days)
    return day.isoformat() + stamp[10:]


@pytest.mark.parametrize("name_body", _example_bodies(), ids=lambda nb: nb[0])
def test_years_of_older_results_change_no_assessment(
    name_body: tuple[str, dict[str, Any]], repo_registry: Registry
) -> None:
    _, body = name_body
    request, record = _record(_with_old_copies(body))
    codebook = repo_registry.codebook
    context = request.context
    full = extract_facts(record, codebook, today=TODAY, context=context)
    bounded = extract_facts(
        record, codebook, today=TODAY, context=context, horizons=repo_registry.lab_horizons
    )
    for analyte in codebook.analytes:
        assert bounded.latest(analyte) == full.latest(analyte), analyte
    for pathway in repo_registry.pathways:
        for hook in (request.hook,):
            a_full = evaluate(pathway, codebook, full, hook=hook, today=TODAY)
            a_bounded = evaluate(pathway, codebook, bounded, hook=hook, today=TODAY)
            assert a_bounded == a_full, pathway.id
            assert decide(pathway, a_bounded, bounded, codebook) == decide(
                pathway, a_full, full, codebook
            ), pathway.id


# --- facts: what is kept beyond the horizon --------------------------------------------------


def _hb(rid: str, days_ago: int, value: float, unit: str = "g/dL") -> dict[str, Any]:
    return {
        "resourceType": "Observation",
        "id": rid,
        "status": "final",
        "code": {"coding": [{"system": "urn:oid:2.16.578.1.12.4.1.1.7280", "code": "NOR05172"}]},
        "effectiveDateTime": (TODAY - timedelta(days=days_ago)).isoformat(),
        "valueQuantity": {"value": value, "unit": unit},
    }


def _labs(observations: list[dict[str, Any]], registry: Registry) -> tuple[Any, list[Any]]:
    codebook = registry.codebook
    notes: list[Any] = []
    labs = extract_labs(
        observations,
        codebook,
        AnalyteIndex(codebook),
        sex="female",
        age=70,
        notes=notes,
        today=TODAY,
        horizons={"hemoglobin": 1000},
    )
    return labs, notes


def test_beyond_the_horizon_only_the_newest_and_the_newest_usable_are_kept(
    repo_registry: Registry,
) -> None:
    labs, notes = _labs(
        [
            _hb("ny", 10, 12.5),
            _hb("gammel-ukjent-enhet", 1500, 9.0, unit="enh"),  # newest old: kept, unusable
            _hb("gammel", 2000, 9.5),  # the newest usable old one: kept (last taken)
            _hb("eldst", 3000, 8.0),  # not read at all
        ],
        repo_registry,
    )
    assert [r.ref for r in labs["hemoglobin"]] == [
        "Observation/ny",
        "Observation/gammel-ukjent-enhet",
        "Observation/gammel",
    ]
    assert notes == []  # an old value that cannot be used could not have been used anyway


def test_within_the_horizon_every_result_is_read_and_noted(repo_registry: Registry) -> None:
    labs, notes = _labs(
        [_hb("a", 10, 12.5), _hb("b", 999, 9.0, unit="enh"), _hb("c", 1000, 9.5)],
        repo_registry,
    )
    refs = [r.ref for r in labs["hemoglobin"]]
    assert refs == ["Observation/a", "Observation/b", "Observation/c"]
    assert [say(n) for n in notes] == [
        f"Hemoglobin {(TODAY - timedelta(days=999)).strftime('%d.%m.%Y')}: ukjent enhet «enh» – "
        "verdien er ikke brukt"
    ]
