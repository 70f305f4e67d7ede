"""GET /healthz, and CORS (checklist C1): allowed origin preflight OK, others get no ACAO."""

from __future__ import annotations

from fastapi.testclient import TestClient

from cds.version import service_version

ALLOWED = "https://sandbox.cds-hooks.org"
PREFLIGHT = {
    "Access-Control-Request-Method": "POST",
    "Access-Control-Request-Headers": "authorization, content-type",
}


def test_healthz(client: TestClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "version": service_version()}


def test_preflight_from_allowed_origin(client: TestClient) -> None:
    response = client.options(
        "/cds-services/pakkeforlop-order-sign", headers={"Origin": ALLOWED, **PREFLIGHT}
    )
    assert 200 <= response.status_code < 300
    assert response.headers["access-control-allow-origin"] == ALLOWED
    assert "POST" in response.headers["access-control-allow-methods"]
    allowed_headers = response.headers["access-control-allow-headers"].lower()
    assert "authorization" in allowed_headers and "content-type" in allowed_headers


def test_preflight_for_discovery_get(client: TestClient) -> None:
    response = client.options(
        "/cds-services",
        headers={
            "Origin": ALLOWED,
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "authorization, accept",
        },
    )
    assert 200 <= response.status_code < 300
    assert response.headers["access-control-allow-origin"] == ALLOWED


def test_preflight_from_other_origin_gets_no_allow_origin(client: TestClient) -> None:
    response = client.options(
        "/cds-services/pakkeforlop-order-sign",
        headers={"Origin": "https://evil.example", **PREFLIGHT},
    )
    assert "access-control-allow-origin" not in response.headers


def test_simple_request_from_other_origin_gets_no_allow_origin(client: TestClient) -> None:
    response = client.get("/cds-services", headers={"Origin": "https://evil.example"})
    assert response.status_code == 200
    assert "access-control-allow-origin" not in response.headers


def test_error_responses_carry_cors_headers(client: TestClient) -> None:
    # Else a browser client sees an opaque CORS failure instead of the OperationOutcome.
    response = client.post("/cds-services/nope", content=b"{}", headers={"Origin": ALLOWED})
    assert response.status_code == 404
    assert response.headers["access-control-allow-origin"] == ALLOWED
