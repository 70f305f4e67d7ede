"""Every error path of POST /cds-services/{id} (checklist R1): status and OperationOutcome body."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from apptools import Capture, build_app, make_settings
from fastapi.testclient import TestClient
from hookdata import assert_outcome, full_prefetch, hook_body, service_url
from pydantic import ValidationError

from cds.cdshooks import HookRequest
from cds.errors import validation_issues

LIMIT = 2_000


@pytest.fixture
def small_client(capture: Capture) -> Iterator[TestClient]:
    """A client whose app accepts bodies of at most LIMIT bytes."""
    with TestClient(build_app(make_settings(max_body_bytes=LIMIT), capture)) as test_client:
        yield test_client


def valid(hook: str = "patient-view", **context: Any) -> dict[str, Any]:
    return hook_body(hook, prefetch=full_prefetch(), **context)


def test_valid_call_answers_200_with_cards(client: TestClient, capture: Capture) -> None:
    response = client.post(service_url(), json=valid())
    assert response.status_code == 200
    assert response.json() == {"cards": []}
    assert len(capture.calls) == 1


@pytest.mark.parametrize("body", [b"{", b"not json", b"", b'{"hook": NaN}', b"\xff\xfe{"])
def test_malformed_json_is_400(client: TestClient, body: bytes) -> None:
    response = client.post(
        service_url(), content=body, headers={"Content-Type": "application/json"}
    )
    assert_outcome(response, 400)


@pytest.mark.parametrize("body", ["[]", '"text"', "1", "null", "true"])
def test_json_that_is_not_an_object_is_400(client: TestClient, body: str) -> None:
    response = client.post(service_url(), content=body)
    assert_outcome(response, 400)


def test_absurdly_deep_json_is_400(client: TestClient) -> None:
    response = client.post(service_url(), content=b"[" * 100_000 + b"]" * 100_000)
    assert_outcome(response, 400)


@pytest.mark.parametrize("field", ["hook", "hookInstance", "context"])
def test_missing_required_field_is_422(client: TestClient, field: str) -> None:
    body = valid()
    del body[field]
    issues = assert_outcome(client.post(service_url(), json=body), 422)["issue"]
    assert any(field in issue.get("expression", [""])[0] for issue in issues), issues


@pytest.mark.parametrize("patient_id", [None, "", "Patient/pas-123", 42])
def test_missing_or_bad_patient_id_is_422(client: TestClient, patient_id: Any) -> None:
    body = valid()
    if patient_id is None:
        del body["context"]["patientId"]
    else:
        body["context"]["patientId"] = patient_id
    issues = assert_outcome(client.post(service_url(), json=body), 422)["issue"]
    assert any("patientId" in issue["diagnostics"] for issue in issues), issues


def test_fhir_authorization_without_fhir_server_is_422(client: TestClient) -> None:
    body = hook_body(prefetch=full_prefetch(), fhir_server="https://ehr.example/fhir")
    del body["fhirServer"]
    issues = assert_outcome(client.post(service_url(), json=body), 422)["issue"]
    assert any("fhirServer" in issue["diagnostics"] for issue in issues), issues


def test_wrong_hook_for_service_is_422(client: TestClient, capture: Capture) -> None:
    response = client.post(service_url("order-sign"), json=valid("patient-view"))
    body = assert_outcome(response, 422)
    assert body["issue"][0]["expression"] == ["hook"]
    assert capture.calls == []


def test_unknown_service_is_404_without_echoing_the_id(client: TestClient) -> None:
    """The path segment is caller input (README «Privacy»: errors name fields, never values)."""
    response = client.post("/cds-services/12345678901-no-such-service", json=valid())
    body = assert_outcome(response, 404)
    assert body["issue"][0]["diagnostics"] == "unknown service"
    assert "12345678901" not in response.text


def test_unknown_route_and_wrong_method_are_operation_outcomes(client: TestClient) -> None:
    assert_outcome(client.get("/no-such-path"), 404)
    response = assert_outcome(client.get(service_url()), 405)
    assert response["issue"][0]["code"] == "not-supported"


@pytest.mark.parametrize(
    "mutate",
    [
        lambda b: b.update(prefetch=["not", "an", "object"]),
        lambda b: b.update(context=["not", "an", "object"]),
        lambda b: b.update(hookInstance=12),
        lambda b: b.update(hook=""),
        lambda b: b["context"].update(userId=7),
        lambda b: b.update(fhirServer="https://ehr.example", fhirAuthorization={"x": 1}),
        lambda b: b.update(fhirAuthorization="token"),
    ],
)
def test_other_invalid_shapes_are_422_never_500(client: TestClient, mutate: Any) -> None:
    body = valid()
    mutate(body)
    assert_outcome(client.post(service_url(), json=body), 422)


def test_diagnostics_never_echo_values(client: TestClient) -> None:
    body = valid()
    body["context"]["patientId"] = "Patient/Kari-Nordmann-010150"
    response = client.post(service_url(), json=body)
    assert_outcome(response, 422)
    assert "Kari" not in response.text


# --- order hooks ----------------------------------------------------------------------------------

DRAFTS = {
    "resourceType": "Bundle",
    "type": "collection",
    "entry": [{"resource": {"resourceType": "ServiceRequest", "id": "sr-1", "status": "draft"}}],
}


@pytest.mark.parametrize("hook", ["order-select", "order-sign"])
def test_order_hook_with_bundle_draft_orders_is_200(client: TestClient, hook: str) -> None:
    body = valid(hook, draftOrders=DRAFTS, selections=["ServiceRequest/sr-1"])
    assert client.post(service_url(hook), json=body).status_code == 200


@pytest.mark.parametrize(
    "draft_orders",
    [[], "Bundle", {"resourceType": "ServiceRequest"}, {"resourceType": "Bundle", "entry": {}}],
)
@pytest.mark.parametrize("hook", ["order-select", "order-sign"])
def test_draft_orders_not_a_bundle_is_422(client: TestClient, hook: str, draft_orders: Any) -> None:
    body = valid(hook, draftOrders=draft_orders)
    issues = assert_outcome(client.post(service_url(hook), json=body), 422)["issue"]
    assert issues[0]["expression"] == ["context.draftOrders"]


@pytest.mark.parametrize("selections", ["ServiceRequest/sr-1", [1], [None], {"a": 1}])
def test_selections_not_a_list_of_strings_is_422(client: TestClient, selections: Any) -> None:
    body = valid("order-select", draftOrders=DRAFTS, selections=selections)
    issues = assert_outcome(client.post(service_url("order-select"), json=body), 422)["issue"]
    assert issues[0]["expression"] == ["context.selections"]


def test_both_order_context_problems_are_listed(client: TestClient) -> None:
    body = valid("order-select", draftOrders=[], selections="ServiceRequest/sr-1")
    issues = assert_outcome(client.post(service_url("order-select"), json=body), 422)["issue"]
    assert [(i["code"], i["expression"]) for i in issues] == [
        ("structure", ["context.draftOrders"]),
        ("structure", ["context.selections"]),
    ]
    assert issues[0]["diagnostics"] == "context.draftOrders must be a FHIR Bundle"


def test_patient_view_context_is_not_held_to_the_order_hook_rules(client: TestClient) -> None:
    body = valid("patient-view", draftOrders="not a Bundle", selections=7)
    assert client.post(service_url("patient-view"), json=body).status_code == 200


@pytest.mark.parametrize("hook", ["order-select", "order-sign"])
def test_the_request_model_itself_checks_the_order_context(hook: str) -> None:
    # The model, not the route: the CLI (cds.cli) validates with it too.
    body = valid(hook, draftOrders={"resourceType": "ServiceRequest"})
    with pytest.raises(ValidationError) as info:
        HookRequest.model_validate(body)
    assert [issue.expression for issue in validation_issues(info.value.errors())] == [
        "context.draftOrders"
    ]
    assert HookRequest.model_validate(valid(hook, draftOrders=DRAFTS)).hook == hook


# --- body size ------------------------------------------------------------------------------------


def big_body() -> bytes:
    body = valid()
    body["context"]["padding"] = "x" * (LIMIT * 2)
    return json.dumps(body).encode()


def test_too_large_by_content_length_is_413(small_client: TestClient) -> None:
    assert_outcome(small_client.post(service_url(), content=big_body()), 413)


def test_too_large_chunked_is_413(small_client: TestClient) -> None:
    data = big_body()

    def chunks() -> Iterator[bytes]:
        for start in range(0, len(data), 500):
            yield data[start : start + 500]

    response = small_client.post(service_url(), content=chunks())
    assert_outcome(response, 413)


def test_too_large_with_lying_content_length_is_413(small_client: TestClient) -> None:
    response = small_client.post(
        service_url(), content=big_body(), headers={"Content-Length": "10"}
    )
    assert_outcome(response, 413)


def test_body_just_under_the_limit_is_read(small_client: TestClient) -> None:
    body = json.dumps(hook_body(prefetch={"patient": None})).encode()
    assert len(body) < LIMIT
    # Read and validated (412: required keys absent, no fhirServer), not refused for size.
    assert_outcome(small_client.post(service_url(), content=body), 412)
