"""Builders for hook requests, FHIR resources and Bundles, and the OperationOutcome assertion."""

from __future__ import annotations

from typing import Any

import httpx
from fake_fhir import TOKEN

PATIENT_ID = "pas-123"
HOOK_INSTANCE = "d1577c69-dfbe-44ad-ba6d-3e05e953b2ea"
PATIENT_NAME = "Kari Nordmann"

SERVICE_OF_HOOK = {
    "patient-view": "pakkeforlop-patient-view",
    "order-select": "pakkeforlop-order-select",
    "order-sign": "pakkeforlop-order-sign",
}
ALL_KEYS = (
    "patient",
    "observations",
    "conditions",
    "medicationStatements",
    "medicationRequests",
    "encounters",
    "diagnosticReports",
    "serviceRequests",
    "procedures",
    "appointments",
)
TYPE_OF_KEY = {
    "observations": "Observation",
    "conditions": "Condition",
    "medicationStatements": "MedicationStatement",
    "medicationRequests": "MedicationRequest",
    "encounters": "Encounter",
    "diagnosticReports": "DiagnosticReport",
    "serviceRequests": "ServiceRequest",
    "procedures": "Procedure",
    "appointments": "Appointment",
}


def patient() -> dict[str, Any]:
    return {
        "resourceType": "Patient",
        "id": PATIENT_ID,
        "name": [{"text": PATIENT_NAME}],
        "gender": "female",
        "birthDate": "1950-03-01",
    }


def resource(kind: str, ident: str) -> dict[str, Any]:
    return {"resourceType": kind, "id": ident, "subject": {"reference": f"Patient/{PATIENT_ID}"}}


def bundle(*resources: dict[str, Any], next_url: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"resourceType": "Bundle", "type": "searchset", "total": len(resources)}
    if resources:
        out["entry"] = [{"resource": r} for r in resources]
    if next_url:
        out["link"] = [{"relation": "next", "url": next_url}]
    return out


def outcome(severity: str = "error") -> dict[str, Any]:
    return {
        "resourceType": "OperationOutcome",
        "issue": [{"severity": severity, "code": "exception"}],
    }


def full_prefetch() -> dict[str, Any]:
    """Every key prefetched; one resource per search (``<type>-pf``)."""
    out: dict[str, Any] = {"patient": patient()}
    for key, kind in TYPE_OF_KEY.items():
        out[key] = bundle(resource(kind, f"{kind.lower()}-pf"))
    return out


def hook_body(
    hook: str = "patient-view",
    *,
    prefetch: dict[str, Any] | None = None,
    fhir_server: str | None = None,
    token: str | None = TOKEN,
    **context: Any,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "hook": hook,
        "hookInstance": HOOK_INSTANCE,
        "context": {"userId": "Practitioner/lege-1", "patientId": PATIENT_ID, **context},
    }
    if prefetch is not None:
        body["prefetch"] = prefetch
    if fhir_server is not None:
        body["fhirServer"] = fhir_server
        if token is not None:
            body["fhirAuthorization"] = {
                "access_token": token,
                "token_type": "Bearer",
                "expires_in": 300,
                "scope": "user/Patient.read user/Observation.read",
                "subject": "pakkeforlop-cds",
            }
    return body


def service_url(hook: str = "patient-view") -> str:
    return f"/cds-services/{SERVICE_OF_HOOK[hook]}"


def assert_outcome(response: httpx.Response, status: int) -> dict[str, Any]:
    """``response`` has ``status`` and an OperationOutcome body; returns the body."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert body["resourceType"] == "OperationOutcome"
    assert body["issue"], body
    for issue in body["issue"]:
        assert issue["severity"] in ("fatal", "error", "warning", "information")
        assert isinstance(issue["code"], str) and issue["code"]
        assert isinstance(issue["diagnostics"], str) and issue["diagnostics"]
    return body  # type: ignore[no-any-return]


def ids(record_resources: list[dict[str, Any]]) -> list[str]:
    return sorted(r["id"] for r in record_resources)
