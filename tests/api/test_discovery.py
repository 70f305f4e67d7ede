"""GET /cds-services: checks D1 and D2 of the checklist (§4.3), and the REQUIRED/OPTIONAL keys."""

from __future__ import annotations

import re
from typing import Any

from fastapi.testclient import TestClient

from cds.services import OPTIONAL_KEYS, PREFETCH, REQUIRED_KEYS, SERVICES

# Checklist D1, narrowed to the context fields that every hook marks "Prefetch Token: Yes".
TOKEN = re.compile(
    r"\{\{(context\.(patientId|userId|encounterId)|userPractitionerId|userPractitionerRoleId"
    r"|userPatientId|userRelatedPersonId)\}\}"
)
EXPECTED = {
    "pakkeforlop-patient-view": "patient-view",
    "pakkeforlop-order-select": "order-select",
    "pakkeforlop-order-sign": "order-sign",
    # the hospital's registration proposals (docs/registration.md): a second patient-view service
    "pakkeforlop-registrering": "patient-view",
}


def _empty_values(value: Any, path: str = "$") -> list[str]:
    if value is None or value in ("", [], {}):
        return [path]
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in _empty_values(v, f"{path}.{k}")]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in _empty_values(v, f"{path}[{i}]")]
    return []


def test_d1_lists_the_four_services(client: TestClient) -> None:
    response = client.get("/cds-services")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    services = response.json()["services"]
    assert {s["id"]: s["hook"] for s in services} == EXPECTED
    for service in services:
        for name in ("id", "hook", "title", "description", "usageRequirements"):
            assert isinstance(service[name], str) and service[name].strip(), name


def test_d1_prefetch_uses_only_allowed_tokens(client: TestClient) -> None:
    for service in client.get("/cds-services").json()["services"]:
        assert set(service["prefetch"]) == {p.key for p in PREFETCH}
        for template in service["prefetch"].values():
            tokens = re.findall(r"\{\{[^}]*\}\}", template)
            assert tokens, template
            assert all(TOKEN.fullmatch(token) for token in tokens), template
            assert "draftOrders" not in template and "selections" not in template


def test_d1_prefetch_templates_are_relative_reads_or_searches(client: TestClient) -> None:
    services = client.get("/cds-services").json()["services"]
    prefetch = services[0]["prefetch"]
    assert prefetch["patient"] == "Patient/{{context.patientId}}"
    for key, template in prefetch.items():
        if key != "patient":
            kind, _, query = template.partition("?")
            assert re.fullmatch(r"[A-Z][A-Za-z]+", kind), template
            assert query.startswith("patient={{context.patientId}}"), template


def test_d2_no_null_or_empty_values(client: TestClient) -> None:
    assert _empty_values(client.get("/cds-services").json()) == []


def test_required_and_optional_keys_are_marked() -> None:
    assert REQUIRED_KEYS == {
        "patient",
        "observations",
        "conditions",
        "diagnosticReports",
        "serviceRequests",
    }
    assert OPTIONAL_KEYS == {
        "medicationStatements",
        "medicationRequests",
        "encounters",
        "procedures",
        "appointments",
    }
    assert all(service.prefetch == PREFETCH for service in SERVICES)


def test_the_registration_service_says_it_registers_nothing(client: TestClient) -> None:
    """Discovery tells the EHR who the registration service is for and that it only suggests."""
    services = {s["id"]: s for s in client.get("/cds-services").json()["services"]}
    registration = services["pakkeforlop-registrering"]
    assert "registrering" in registration["title"]
    assert "Registrerer ingenting selv" in registration["usageRequirements"]
    assert "Registers nothing by itself" in registration["usageRequirements"]
