"""The registration service over HTTP: POST /cds-services/pakkeforlop-registrering with the
hospital example (examples/sarkom-sykehus-registrering.json), through the real route and pipeline.

Conformance of every response is checked by the suite's autouse fixture (tests/conftest.py).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from httpx import Response

from cds.api.deps import get_audit_writer
from cds.audit import AuditRecord
from cds.record.bundle import request_from_bundle

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "sarkom-sykehus-registrering.json"
SERVICE = "/cds-services/pakkeforlop-registrering"


class Rows:
    def __init__(self) -> None:
        self.records: list[AuditRecord] = []

    def submit(self, record: AuditRecord) -> bool:
        self.records.append(record)
        return True


@pytest.fixture
def rows(app: FastAPI) -> Rows:
    captured = Rows()
    app.dependency_overrides[get_audit_writer] = lambda: captured
    return captured


@pytest.fixture
def body() -> dict[str, Any]:
    bundle = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    return request_from_bundle(bundle, hook="patient-view")


@pytest.fixture
def post(client: TestClient) -> Callable[..., Response]:
    def send(data: dict[str, Any], path: str = SERVICE) -> Response:
        return client.post(path, json=data)

    return send


def test_the_example_gets_its_proposals_and_the_choice(
    post: Callable[..., Response], body: dict[str, Any], rows: Rows
) -> None:
    response = post(body)
    assert response.status_code == 200
    cards = response.json()["cards"]
    assert [c["summary"] for c in cards] == [
        "Pakkeforløp for sarkom: 2 registreringer mangler",
        "Pakkeforløp for sarkom: klinisk beslutning 12.11.2026 – velg A36CA eller A36CI",
    ]
    actions = [a for c in cards for s in c["suggestions"] for a in s["actions"]]
    assert {a["type"] for a in actions} == {"create"}
    assert {a["resource"]["resourceType"] for a in actions} == {"Observation"}
    [row] = rows.records
    assert row.service_id == "pakkeforlop-registrering"
    assert row.rules == (
        "sarkom.registrering.start",
        "sarkom.registrering.fremmote",
        "sarkom.registrering.ikke-kreft",
    )


def test_the_gp_service_gives_no_registration_cards(
    post: Callable[..., Response], body: dict[str, Any]
) -> None:
    response = post(body, "/cds-services/pakkeforlop-patient-view")
    assert response.status_code == 200
    types = {c["extension"]["no.pakkeforlop-cds.card-type"] for c in response.json()["cards"]}
    assert not types & {"registration", "registration_choice"}


def test_explain_adds_the_timelines_and_keeps_the_cards(
    post: Callable[..., Response], body: dict[str, Any]
) -> None:
    plain = post(body).json()
    explained = post(body, f"{SERVICE}?explain=true").json()
    assert explained["cards"] == plain["cards"]
    [sarkom] = [
        t for t in explained["extension"]["no.pakkeforlop-cds.explain"]["timelines"]
        if t["pathway"] == "sarkom"
    ]
    assert sarkom["unregistered"] == ["A36A", "A36S"]


def test_a_registration_in_the_record_silences_its_proposal(
    post: Callable[..., Response], body: dict[str, Any]
) -> None:
    registration = {
        "resourceType": "Observation",
        "id": "reg-a36s",
        "status": "final",
        "code": {
            "coding": [
                {"system": "http://pakkeforlop-cds.no/fhir/CodeSystem/pakkeforlop", "code": "A36S"}
            ]
        },
        "subject": {"reference": body["prefetch"]["patient"]["id"].join(["Patient/", ""])},
        "effectiveDateTime": "2026-10-27",
    }
    body["prefetch"]["observations"].setdefault("entry", []).append({"resource": registration})
    cards = post(body).json()["cards"]
    labels = [s["label"] for c in cards for s in c["suggestions"]]
    assert not any("A36S" in label for label in labels)
    assert any("A36A" in label for label in labels)


def test_the_wrong_hook_is_422(post: Callable[..., Response], body: dict[str, Any]) -> None:
    body["hook"] = "order-sign"
    body["context"]["draftOrders"] = {"resourceType": "Bundle", "type": "collection", "entry": []}
    response = post(body)
    assert response.status_code == 422
    assert response.json()["resourceType"] == "OperationOutcome"


def test_a_missing_required_key_without_fhir_server_is_412(
    post: Callable[..., Response], body: dict[str, Any]
) -> None:
    del body["prefetch"]["conditions"]
    body.pop("fhirServer", None)
    response = post(body)
    assert response.status_code == 412
    assert response.json()["resourceType"] == "OperationOutcome"


def test_a_failing_pathway_is_isolated_to_its_card(
    post: Callable[..., Response], body: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    import cds.registration as pipeline
    from cds.evaluate.registration import propose

    def broken(pathway: Any, timeline: Any, facts: Any) -> Any:
        if pathway.id == "myelomatose":
            raise RuntimeError("boom")
        return propose(pathway, timeline, facts)

    monkeypatch.setattr(pipeline, "propose", broken)
    cards = post(body).json()["cards"]
    types = [c["extension"]["no.pakkeforlop-cds.card-type"] for c in cards]
    assert types == ["registration", "registration_choice", "failed"]
    assert "myelomatose" in cards[2]["summary"]


def test_feedback_is_accepted_for_the_service(
    client: TestClient, post: Callable[..., Response], body: dict[str, Any]
) -> None:
    card = post(body).json()["cards"][0]
    feedback = {
        "feedback": [
            {
                "card": card["uuid"],
                "outcome": "accepted",
                "acceptedSuggestions": [{"id": card["suggestions"][1]["uuid"]}],
                "outcomeTimestamp": "2026-11-20T10:00:00Z",
            }
        ]
    }
    response = client.post(f"{SERVICE}/feedback", json=feedback)
    assert response.status_code == 200, response.text




@pytest.mark.parametrize(
    ("disabled", "left"),
    [
        ("registration", ["registration_choice"]),
        ("registration_choice", ["registration"]),
        ("registration,registration_choice", []),
    ],
)
def test_a_site_switches_the_registration_cards_off(
    body: dict[str, Any],
    settings: Any,
    app_factory: Callable[[Any], FastAPI],
    disabled: str,
    left: list[str],
) -> None:
    """CDS_DISABLED_CARDS applies to the registration service as to every card type."""
    switched = settings.model_copy(update={"disabled_cards": frozenset(disabled.split(","))})
    with TestClient(app_factory(switched)) as client:
        cards = client.post(SERVICE, json=body).json()["cards"]
    assert [c["extension"]["no.pakkeforlop-cds.card-type"] for c in cards] == left
