"""The follow-up programmes in a hook call (cds/followups.py): the pathway speaks first, sites
can switch the cards off, one programme's failure costs only its cards, and the audit row names
each card's notice."""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from cds import followups
from cds.audit import CallTrace, traced
from cds.cdshooks import HookRequest, dump
from cds.criteria.registry import Registry
from cds.pipeline import respond
from cds.record.bundle import request_from_bundle
from cds.record.prefetch import gather_record
from cds.services import SERVICES
from cds.settings import Settings

TODAY = date(2026, 11, 20)
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
KIND = "no.pakkeforlop-cds.followup"


def _bundle(name: str) -> dict[str, Any]:
    return json.loads((EXAMPLES / f"{name}.json").read_text(encoding="utf-8"))


def _cards(
    bundle: dict[str, Any], registry: Registry, hook: str = "patient-view", **settings: Any
) -> list[dict[str, Any]]:
    config = Settings(database_url="sqlite://", **settings)
    request = HookRequest.model_validate(request_from_bundle(bundle, hook=hook))
    service = next(s for s in SERVICES if s.hook == request.hook)
    record = asyncio.run(gather_record(request, service, config, None))  # type: ignore[arg-type]
    cards: list[dict[str, Any]] = dump(respond(request, record, registry, config, today=TODAY))[
        "cards"
    ]
    return cards


def _kinds(cards: list[dict[str, Any]]) -> list[str | None]:
    return [c.get("extension", {}).get(KIND) for c in cards]


def _lump_in_the_scar(bundle: dict[str, Any]) -> dict[str, Any]:
    """A new lump in the operated thigh, coded by the GP a week ago: the sarcoma pathway's
    «tilbakefall» rules apply."""
    patient = bundle["entry"][0]["resource"]["id"]
    bundle["entry"].append(
        {
            "resource": {
                "resourceType": "Condition",
                "id": "ny-kul",
                "subject": {"reference": f"Patient/{patient}"},
                "clinicalStatus": {
                    "coding": [
                        {
                            "system": "http://terminology.hl7.org/CodeSystem/condition-clinical",
                            "code": "active",
                        }
                    ]
                },
                "code": {
                    "coding": [
                        {
                            "system": "http://hl7.org/fhir/sid/icpc-2",
                            "code": "S04",
                            "display": "Lokalisert hevelse/kul hud",
                        }
                    ],
                    "text": "Ny kul i arret høyre lår",
                },
                "bodySite": [{"text": "Høyre lår, i operasjonsarret"}],
                "onsetDateTime": "2026-11-13",
                "recordedDate": "2026-11-13",
            }
        }
    )
    return bundle


def test_a_due_control_gives_a_followup_card(repo_registry: Registry) -> None:
    cards = _cards(_bundle("sarkom-oppfolging-hoygradig"), repo_registry)
    assert _kinds(cards) == ["control_due"]


def test_the_pathway_speaks_first(repo_registry: Registry) -> None:
    cards = _cards(_lump_in_the_scar(_bundle("sarkom-oppfolging-hoygradig")), repo_registry)
    types = [c["extension"]["no.pakkeforlop-cds.card-type"] for c in cards]
    assert "followup" not in types and types, types


@pytest.mark.parametrize(
    ("disabled", "kinds"),
    [("followup", []), ("followup_not_due", ["control_due"]), ("safety_net", ["control_due"])],
)
def test_sites_switch_the_cards_off(
    repo_registry: Registry, disabled: str, kinds: list[str]
) -> None:
    cards = _cards(
        _bundle("sarkom-oppfolging-hoygradig"), repo_registry, disabled_cards=frozenset({disabled})
    )
    assert _kinds(cards) == kinds


def test_followup_not_due_switches_only_the_order_card(repo_registry: Registry) -> None:
    bundle = _bundle("sarkom-oppfolging-lavgradig")
    bundle["entry"] = [
        e for e in bundle["entry"] if e["resource"]["id"] != "kontroll-60mnd-lavgradig"
    ]
    bundle["entry"].append(
        {
            "resource": {
                "resourceType": "ServiceRequest",
                "id": "utkast-ct",
                "status": "draft",
                "intent": "order",
                "code": {"text": "CT thorax"},
                "authoredOn": "2026-11-20",
                "subject": {"reference": "Patient/sarkom-oppfolging-lavgradig"},
            }
        }
    )
    # Moved into the programme's active years: the last control was planned 05.10.2026.
    on = _cards(bundle, repo_registry, hook="order-select")
    off = _cards(
        bundle, repo_registry, hook="order-select", disabled_cards=frozenset({"followup_not_due"})
    )
    assert "order_not_due" in _kinds(on) and "order_not_due" not in _kinds(off)


def test_a_failing_programme_costs_only_its_cards(
    repo_registry: Registry, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(*args: object) -> None:
        raise RuntimeError("Kari Solberg 09837440251")  # a message that must never be logged

    monkeypatch.setattr(followups, "followup_plan", broken)
    with caplog.at_level(logging.WARNING):
        cards = _cards(_lump_in_the_scar(_bundle("sarkom-oppfolging-hoygradig")), repo_registry)
    assert cards  # the sarcoma pathway's card is still there
    assert "programme=sarkom-oppfolging part=followup" in caplog.text
    assert "09837440251" not in caplog.text and "Kari" not in caplog.text


def test_the_audit_row_names_the_notice(repo_registry: Registry) -> None:
    with traced(CallTrace()) as trace:
        _cards(_bundle("sarkom-oppfolging-hoygradig"), repo_registry)
    assert trace.rules == ["sarkom-oppfolging.control_due"]


@pytest.mark.parametrize(
    ("name", "group", "status"),
    [
        ("sarkom-oppfolging-lavgradig", "A", "completed"),
        ("sarkom-oppfolging-hoygradig", "B", "active"),
        ("sarkom-oppfolging-osteosarkom", "B", "active"),
        ("sarkom-oppfolging-retroperitonealt", "C", "active"),
    ],
)
def test_explain_carries_the_care_plan_and_it_is_valid_fhir(
    repo_registry: Registry, name: str, group: str, status: str
) -> None:
    from fhir.resources.R4B.careplan import CarePlan

    config = Settings(database_url="sqlite://")
    body = request_from_bundle(_bundle(name), hook="patient-view")
    request = HookRequest.model_validate(body)
    service = next(s for s in SERVICES if s.hook == request.hook)
    record = asyncio.run(gather_record(request, service, config, None))  # type: ignore[arg-type]
    answer = dump(respond(request, record, repo_registry, config, today=TODAY, explain=True))
    (part,) = answer["extension"]["no.pakkeforlop-cds.explain"]["followup"]
    plan = CarePlan.model_validate(part["carePlan"])
    assert (part["group"]["id"], plan.status) == (group, status)
    statuses = {a.outcomeCodeableConcept[0].coding[0].code for a in plan.activity or []}
    assert "done" in statuses
    if status == "active":
        assert {"due", "overdue"} & statuses and "planned" in statuses
