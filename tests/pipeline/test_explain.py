"""The explain view (cds/evaluate/explanation.py, cds/render/explanation.py): `?explain=true`,
`cds evaluate --explain`.

It must tell the same story as the cards (the same deciding rule, the cards themselves
unchanged), name every rule and feature, and say why a finding did not count: a negated clause,
a value that could not be used.
"""

from __future__ import annotations

import asyncio
import copy
import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from cds.cdshooks import HookRequest, dump
from cds.criteria.registry import Registry
from cds.hooks import HOOK_NAMES
from cds.pipeline import respond
from cds.record.bundle import request_from_bundle
from cds.record.prefetch import gather_record
from cds.render.explanation import EXPLAIN_EXTENSION, explanation_text
from cds.services import SERVICES
from cds.settings import Settings

TODAY = date(2026, 11, 20)
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
SETTINGS = Settings(database_url="sqlite://")


def _bundle(name: str) -> dict[str, Any]:
    return json.loads((EXAMPLES / f"{name}.json").read_text(encoding="utf-8"))


def _respond(body: dict[str, Any], registry: Registry, *, explain: bool) -> dict[str, Any]:
    request = HookRequest.model_validate(body)
    service = next(s for s in SERVICES if s.hook == request.hook)
    record = asyncio.run(gather_record(request, service, SETTINGS, None))  # type: ignore[arg-type]
    return dump(respond(request, record, registry, SETTINGS, today=TODAY, explain=explain))


def _pathways(response: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {p["pathway"]: p for p in response["extension"][EXPLAIN_EXTENSION]["pathways"]}


@pytest.mark.parametrize("name", sorted(p.stem for p in EXAMPLES.glob("*.json")))
def test_the_cards_are_the_same_and_the_deciding_rule_is_the_first_that_holds(
    name: str, repo_registry: Registry
) -> None:
    for hook in HOOK_NAMES:
        body = request_from_bundle(_bundle(name), hook=hook)
        plain = _respond(body, repo_registry, explain=False)
        explained = _respond(body, repo_registry, explain=True)
        assert "extension" not in plain
        assert explained["cards"] == plain["cards"], (name, hook)
        pathways = _pathways(explained)
        assert list(pathways) == [p.id for p in repo_registry.pathways]
        for pathway in repo_registry.pathways:
            trace = pathways[pathway.id]
            assert [r["id"] for r in trace["rules"]] == [r.id for r in pathway.rules]
            assert [f["id"] for f in trace["features"]] == list(pathway.features)
            held = [r["id"] for r in trace["rules"] if r["appliesToHook"] and r["held"]]
            deciding = [r["id"] for r in trace["rules"] if r["deciding"]]
            if trace.get("rule"):
                # The first rule for this hook that holds decides (cds.evaluate.engine).
                assert deciding == [trace["rule"]] == held[:1], (name, hook, pathway.id)
            elif not trace["alreadyReferred"]:
                assert held == [] and deciding == [], (name, hook, pathway.id)
            for rule in trace["rules"]:
                if rule["appliesToHook"] and not rule["held"]:
                    assert rule["notMet"], (name, hook, rule["id"])  # says what failed
            for feature in trace["features"]:
                assert feature["source"]["quote"]  # every feature shows its source sentence
                if feature["status"] == "present":
                    assert feature["evidence"], feature["id"]


def _with_spep_text(text: str) -> dict[str, Any]:
    bundle = copy.deepcopy(_bundle("myelomatose-begrunnet"))
    for entry in bundle["entry"]:
        resource = entry["resource"]
        for note in resource.get("note", []):
            if "M-komponent" in note.get("text", "") and resource["resourceType"] == "Observation":
                note["text"] = text
    return bundle


def test_a_negated_clause_is_shown_as_not_counted(repo_registry: Registry) -> None:
    bundle = _with_spep_text("M-komponent er utelukket.")
    body = request_from_bundle(bundle, hook="patient-view")
    response = _respond(body, repo_registry, explain=True)
    features = {f["id"]: f for f in _pathways(response)["myelomatose"]["features"]}
    m_component = next(f for f in features.values() if f["label"] == "M-komponent")
    assert m_component["status"] == "absent"
    [clause] = m_component["notCounted"]
    assert clause["why"] == "negated"
    assert clause["whyText"] == "benektet"
    assert "utelukket" in clause["text"]
    assert clause["reference"].startswith("Observation/")


def test_the_same_clause_affirmed_is_evidence(repo_registry: Registry) -> None:
    bundle = _with_spep_text("Liten M-komponent i gammaområdet.")
    body = request_from_bundle(bundle, hook="patient-view")
    response = _respond(body, repo_registry, explain=True)
    features = _pathways(response)["myelomatose"]["features"]
    m_component = next(f for f in features if f["label"] == "M-komponent")
    assert m_component["status"] == "present"
    assert "notCounted" not in m_component
    assert any("Liten M-komponent" in e["text"] for e in m_component["evidence"])


def test_a_value_that_cannot_be_used_says_why(repo_registry: Registry) -> None:
    body = request_from_bundle(_bundle("myelomatose-ukjent-enhet"), hook="patient-view")
    features = _pathways(_respond(body, repo_registry, explain=True))["myelomatose"]["features"]
    anaemia = next(f for f in features if f["label"] == "Anemi")
    assert anaemia["status"] == "not_assessed"
    assert anaemia["statusText"] == "kunne ikke vurderes"
    assert "«enh»" in anaemia["reason"]


def test_the_text_view_names_rules_features_and_dates(repo_registry: Registry) -> None:
    body = request_from_bundle(_bundle("myelomatose-begrunnet"), hook="patient-view")
    text = explanation_text(_respond(body, repo_registry, explain=True)["extension"])
    assert "== Pakkeforløp for myelomatose (myelomatose" in text
    assert "✓ myelomatose.begrunnet (begrunnet): avgjør" in text
    assert "- Anemi: til stede" in text
    assert "06.11.2026" in text  # dates as the cards write them


def test_over_http_only_when_asked_and_the_response_still_conforms(client: Any) -> None:
    # Every hook response of the suite is checked for CDS Hooks conformance (tests/conftest.py);
    # the spec allows an ``extension`` on the response.
    body = request_from_bundle(_bundle("myelomatose-begrunnet"), hook="patient-view")
    url = "/cds-services/pakkeforlop-patient-view"
    plain = client.post(url, json=body)
    explained = client.post(url, json=body, params={"explain": "true"})
    assert plain.status_code == explained.status_code == 200
    assert "extension" not in plain.json()
    assert explained.json()["cards"] == plain.json()["cards"]
    assert _pathways(explained.json())["myelomatose"]["rule"] == "myelomatose.begrunnet"
    refused = client.post(url, json=body, params={"explain": "perhaps"})
    assert refused.status_code == 422  # a query value that is no boolean is a client error


def test_the_cli_prints_the_explanation(capsys: pytest.CaptureFixture[str]) -> None:
    from cds.cli import main

    record = str(EXAMPLES / "myelomatose-begrunnet.json")
    args = ["evaluate", record, "--today", "2026-11-20", "--format", "text", "--explain"]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "[ADVARSEL]" in out  # the cards first
    assert "✓ myelomatose.begrunnet (begrunnet): avgjør" in out
    assert main(["evaluate", record, "--today", "2026-11-20", "--explain"]) == 0
    assert EXPLAIN_EXTENSION in json.loads(capsys.readouterr().out)["extension"]


def test_a_result_older_than_the_window_is_named(repo_registry: Registry) -> None:
    # The begrunnet example with its Hb moved to 200 days ago: anaemia is not found, and the
    # explanation says the newest Hb is older than the 90 days of the anaemia source.
    bundle = copy.deepcopy(_bundle("myelomatose-begrunnet"))
    for entry in bundle["entry"]:
        resource = entry["resource"]
        if resource.get("id") == "hb-begrunnet":
            resource["effectiveDateTime"] = "2026-05-04T08:00:00+02:00"
            resource.pop("issued", None)
    body = request_from_bundle(bundle, hook="patient-view")
    features = _pathways(_respond(body, repo_registry, explain=True))["myelomatose"]["features"]
    anaemia = next(f for f in features if f["label"] == "Anemi")
    assert anaemia["status"] == "absent"
    old = [n for n in anaemia["notCounted"] if n["why"] == "out_of_window"]
    assert old and old[0]["reference"] == "Observation/hb-begrunnet"
    assert old[0]["date"] == "2026-05-04"
    assert old[0]["whyText"].startswith("eldre enn ") and old[0]["whyText"].endswith(" dager")
    assert old[0]["text"].startswith("Hemoglobin 10,2")


def test_a_safety_net_card_is_explained_by_its_deadline(repo_registry: Registry) -> None:
    """The referral without a first attendance: the explain view names the referral, the missed
    deadline and the days over, in JSON and in text."""
    body = request_from_bundle(_bundle("sarkom-henvist-ingen-time"), hook="patient-view")
    response = _respond(body, repo_registry, explain=True)
    nets = response["extension"][EXPLAIN_EXTENSION]["safetyNets"]
    assert [n["pathway"] for n in nets] == ["sarkom"]
    net = nets[0]
    assert net["kind"] == "first_attendance" and net["status"] == "overdue"
    assert date.fromisoformat(net["deadline"]) < TODAY and net["daysOverdue"] > 0
    assert date.fromisoformat(net["referral"]) < date.fromisoformat(net["deadline"])
    text = explanation_text(response["extension"])
    assert "== Sikkerhetsnett sarkom: første fremmøte ikke registrert innen fristen" in text
    assert f"{net['daysOverdue']} dager over" in text


def test_no_safety_net_part_without_a_safety_net_card(repo_registry: Registry) -> None:
    body = request_from_bundle(_bundle("myelomatose-begrunnet"), hook="patient-view")
    response = _respond(body, repo_registry, explain=True)
    assert "safetyNets" not in response["extension"][EXPLAIN_EXTENSION]
