"""Prefetch decoding and the FHIR server fallback, end to end (checks P1–P6 of checklist §4.3).

Each test posts a hook call to the app, with a real FHIR server (``fake_fhir``) on 127.0.0.1 as
``fhirServer``, and asserts what the server saw and the ``Record`` that reached the pipeline.
"""

from __future__ import annotations

import logging
from typing import Any

import httpx
import pytest
from apptools import Capture, build_app, make_settings
from fake_fhir import TOKEN, FakeFhir, closed_port_url
from fastapi.testclient import TestClient
from hookdata import (
    ALL_KEYS,
    HOOK_INSTANCE,
    PATIENT_ID,
    PATIENT_NAME,
    TYPE_OF_KEY,
    assert_outcome,
    bundle,
    full_prefetch,
    hook_body,
    ids,
    outcome,
    patient,
    resource,
    service_url,
)


def serve_everything(fhir: FakeFhir) -> None:
    """The server holds the patient and one ``<type>-srv`` resource of every searched type."""
    fhir.patients[PATIENT_ID] = patient()
    for kind in TYPE_OF_KEY.values():
        fhir.resources[kind] = [resource(kind, f"{kind.lower()}-srv")]


def call(
    client: TestClient, fhir: FakeFhir | None, prefetch: dict[str, Any] | None, **kw: Any
) -> httpx.Response:
    body = hook_body(prefetch=prefetch, fhir_server=fhir.url if fhir else None, **kw)
    response: httpx.Response = client.post(service_url(), json=body)
    return response


def other_host_url(fhir: FakeFhir) -> str:
    """The test server's base URL under another host name: same server, different origin.

    Checked to reach the server, so that "the server saw nothing" proves the link was not followed.
    """
    other = fhir.url.replace("127.0.0.1", "localhost")
    try:
        httpx.get(f"{other}/Patient/{PATIENT_ID}", timeout=5)
    except httpx.HTTPError:
        pytest.skip("localhost does not reach the test server here")
    if len(fhir.requests()) != 1:
        pytest.skip("localhost does not reach the test server here")
    fhir.reset_log()
    return other


def fetched_types(fhir: FakeFhir) -> list[str]:
    return sorted(seen.resource_type for seen in fhir.requests())


# --- P1 / P2 --------------------------------------------------------------------------------------


def test_p1_complete_prefetch_never_calls_the_server(
    client: TestClient, capture: Capture, fhir: FakeFhir
) -> None:
    serve_everything(fhir)
    response = call(client, fhir, full_prefetch())
    assert response.status_code == 200
    assert response.json() == {"cards": []}
    assert fhir.requests() == []
    record = capture.record
    assert record.patient == patient()
    assert record.missing == ()
    for kind in TYPE_OF_KEY.values():
        assert ids(record.of_type(kind)) == [f"{kind.lower()}-pf"]


def test_p1_complete_prefetch_without_fhir_server(client: TestClient, capture: Capture) -> None:
    assert call(client, None, full_prefetch()).status_code == 200
    assert capture.record.missing == ()


def test_p2_absent_keys_are_fetched_with_the_token(
    client: TestClient, capture: Capture, fhir: FakeFhir
) -> None:
    serve_everything(fhir)
    response = call(client, fhir, None)
    assert response.status_code == 200
    seen = fhir.requests()
    assert len(seen) == len(ALL_KEYS)
    assert all(s.authorization == f"Bearer {TOKEN}" for s in seen)
    assert all(s.accept == "application/fhir+json" for s in seen)
    by_type = {s.resource_type: s for s in seen}
    assert by_type["Patient"].path == f"/fhir/Patient/{PATIENT_ID}"
    assert by_type["Observation"].params == {
        "patient": PATIENT_ID,
        "_sort": "-date",
        "_count": "500",
    }
    assert by_type["MedicationRequest"].params == {
        "patient": PATIENT_ID,
        "_sort": "-authoredon",
        "_count": "200",
    }
    record = capture.record
    assert record.patient == patient()
    assert record.missing == ()
    for kind in TYPE_OF_KEY.values():
        assert ids(record.of_type(kind)) == [f"{kind.lower()}-srv"]


def test_p2_only_the_absent_keys_are_fetched(
    client: TestClient, capture: Capture, fhir: FakeFhir
) -> None:
    serve_everything(fhir)
    prefetch = full_prefetch()
    del prefetch["observations"], prefetch["medicationRequests"]
    assert call(client, fhir, prefetch).status_code == 200
    assert fetched_types(fhir) == ["MedicationRequest", "Observation"]
    record = capture.record
    assert ids(record.of_type("Observation")) == ["observation-srv"]
    assert ids(record.of_type("Condition")) == ["condition-pf"]


def test_fhir_server_without_authorization_is_read_without_token(
    client: TestClient, capture: Capture, fhir: FakeFhir
) -> None:
    serve_everything(fhir)
    fhir.require_token = False
    assert call(client, fhir, None, token=None).status_code == 200
    assert all(s.authorization is None for s in fhir.requests())
    assert capture.record.patient == patient()


# --- P3 -------------------------------------------------------------------------------------------


def test_p3_no_fhir_server_and_absent_required_key_is_412(
    client: TestClient, capture: Capture
) -> None:
    prefetch = full_prefetch()
    del prefetch["conditions"]
    body = assert_outcome(call(client, None, prefetch), 412)
    assert [i["expression"] for i in body["issue"]] == [["prefetch.conditions"]]
    assert capture.calls == []


def test_p3_no_fhir_server_and_absent_optional_key_is_missing(
    client: TestClient, capture: Capture
) -> None:
    prefetch = full_prefetch()
    del prefetch["medicationStatements"]
    assert call(client, None, prefetch).status_code == 200
    assert capture.record.missing == ("medicationStatements",)


def test_unreachable_server_is_412_naming_the_required_keys(
    client: TestClient, capture: Capture
) -> None:
    body = hook_body(fhir_server=closed_port_url())
    response = client.post(service_url(), json=body)
    outcome_body = assert_outcome(response, 412)
    named = {i["expression"][0] for i in outcome_body["issue"]}
    assert named == {
        "prefetch.patient",
        "prefetch.observations",
        "prefetch.conditions",
        "prefetch.diagnosticReports",
        "prefetch.serviceRequests",
    }
    assert PATIENT_ID not in response.text
    assert capture.calls == []


@pytest.mark.parametrize("status", [500, 401, 403, 404])
def test_server_error_for_a_required_key_is_412(
    client: TestClient, capture: Capture, fhir: FakeFhir, status: int
) -> None:
    serve_everything(fhir)
    fhir.fail["Observation"] = status
    prefetch = full_prefetch()
    del prefetch["observations"]
    body = assert_outcome(call(client, fhir, prefetch), 412)
    assert body["issue"][0]["expression"] == ["prefetch.observations"]
    # What the server answered stays in the log: the caller must not learn it (port probing).
    assert body["issue"][0]["diagnostics"].endswith(": FHIR server unavailable")
    assert str(status) not in body["issue"][0]["diagnostics"]
    assert capture.calls == []


def test_wrong_token_is_412(client: TestClient, capture: Capture, fhir: FakeFhir) -> None:
    serve_everything(fhir)
    prefetch = full_prefetch()
    del prefetch["patient"]
    body = assert_outcome(call(client, fhir, prefetch, token="stale-token"), 412)
    assert body["issue"][0]["diagnostics"].endswith(": FHIR server unavailable")
    assert "401" not in str(body)
    assert "stale-token" not in str(body)


def test_optional_key_failing_is_200_with_record_missing(
    client: TestClient, capture: Capture, fhir: FakeFhir
) -> None:
    serve_everything(fhir)
    fhir.fail["MedicationStatement"] = 500
    response = call(client, fhir, None)
    assert response.status_code == 200
    record = capture.record
    assert record.missing == ("medicationStatements",)
    assert record.of_type("MedicationStatement") == []
    assert ids(record.of_type("MedicationRequest")) == ["medicationrequest-srv"]


# --- P4 / P5 --------------------------------------------------------------------------------------


def test_p4_null_key_is_no_data_and_not_fetched(
    client: TestClient, capture: Capture, fhir: FakeFhir
) -> None:
    serve_everything(fhir)
    prefetch = full_prefetch()
    prefetch["conditions"] = None
    prefetch["medicationStatements"] = None
    assert call(client, fhir, prefetch).status_code == 200
    assert fhir.requests() == []
    record = capture.record
    assert record.of_type("Condition") == []
    assert record.missing == ()


def test_p4_null_patient_is_no_patient_and_not_fetched(
    client: TestClient, capture: Capture, fhir: FakeFhir
) -> None:
    serve_everything(fhir)
    prefetch = full_prefetch()
    prefetch["patient"] = None
    assert call(client, fhir, prefetch).status_code == 200
    assert fhir.requests() == []
    assert capture.record.patient is None


@pytest.mark.parametrize(
    "value",
    [
        outcome("error"),
        outcome("warning"),  # a bare OperationOutcome carries no data, whatever its severity
        bundle(resource("Observation", "observation-pf"), outcome("fatal")),
        bundle(outcome("error")),
    ],
)
def test_p5_operation_outcome_key_is_refetched(
    client: TestClient, capture: Capture, fhir: FakeFhir, value: dict[str, Any]
) -> None:
    serve_everything(fhir)
    prefetch = full_prefetch()
    prefetch["observations"] = value
    assert call(client, fhir, prefetch).status_code == 200
    assert fetched_types(fhir) == ["Observation"]
    assert ids(capture.record.of_type("Observation")) == ["observation-srv"]


def test_p5_operation_outcome_key_without_server_is_412(
    client: TestClient, capture: Capture
) -> None:
    prefetch = full_prefetch()
    prefetch["patient"] = outcome()
    body = assert_outcome(call(client, None, prefetch), 412)
    assert body["issue"][0]["expression"] == ["prefetch.patient"]


def test_bundle_with_warning_outcome_entry_is_used(
    client: TestClient, capture: Capture, fhir: FakeFhir
) -> None:
    prefetch = full_prefetch()
    prefetch["observations"] = bundle(resource("Observation", "o1"), outcome("warning"))
    assert call(client, fhir, prefetch).status_code == 200
    assert fhir.requests() == []
    record = capture.record
    assert ids(record.of_type("Observation")) == ["o1"]
    assert record.of_type("OperationOutcome") == []


@pytest.mark.parametrize("value", ["Patient/pas-123", 17, ["a"], {"resourceType": "Bundle"}])
def test_wrong_shape_is_treated_as_absent_and_refetched(
    client: TestClient, capture: Capture, fhir: FakeFhir, value: Any
) -> None:
    serve_everything(fhir)
    prefetch = full_prefetch()
    prefetch["patient"] = value
    assert call(client, fhir, prefetch).status_code == 200
    assert fetched_types(fhir) == ["Patient"]
    assert capture.record.patient == patient()


def test_wrong_shape_without_server_is_412_for_required_keys(
    client: TestClient, capture: Capture
) -> None:
    prefetch = full_prefetch()
    prefetch["observations"] = "not a bundle"
    prefetch["medicationRequests"] = "not a bundle either"
    body = assert_outcome(call(client, None, prefetch), 412)
    assert [i["expression"] for i in body["issue"]] == [["prefetch.observations"]]


# --- P6: pagination -------------------------------------------------------------------------------


def test_p6_paginated_prefetch_bundle_is_followed(
    client: TestClient, capture: Capture, fhir: FakeFhir
) -> None:
    fhir.resources["Observation"] = [resource("Observation", f"o{i}") for i in range(1, 6)]
    fhir.page_size["Observation"] = 2
    prefetch = full_prefetch()
    first_page = [resource("Observation", "o1"), resource("Observation", "o2")]
    prefetch["observations"] = bundle(
        *first_page, next_url=f"{fhir.url}/Observation?patient={PATIENT_ID}&_page=2"
    )
    assert call(client, fhir, prefetch).status_code == 200
    seen = fhir.requests()
    assert [s.params["_page"] for s in seen] == ["2", "3"]
    assert all(s.authorization == f"Bearer {TOKEN}" for s in seen)
    record = capture.record
    assert ids(record.of_type("Observation")) == ["o1", "o2", "o3", "o4", "o5"]
    assert record.missing == ()


def test_fetched_search_follows_next_pages(
    client: TestClient, capture: Capture, fhir: FakeFhir
) -> None:
    serve_everything(fhir)
    fhir.resources["Condition"] = [resource("Condition", f"c{i}") for i in range(1, 4)]
    fhir.page_size["Condition"] = 1
    prefetch = full_prefetch()
    del prefetch["conditions"]
    assert call(client, fhir, prefetch).status_code == 200
    assert len(fhir.requests()) == 3
    assert ids(capture.record.of_type("Condition")) == ["c1", "c2", "c3"]


def test_page_bound_keeps_what_was_read_and_marks_the_key_missing(
    capture: Capture, fhir: FakeFhir
) -> None:
    fhir.resources["Observation"] = [resource("Observation", f"o{i}") for i in range(1, 11)]
    fhir.page_size["Observation"] = 2
    prefetch = full_prefetch()
    del prefetch["observations"]
    app = build_app(make_settings(fhir_max_pages=3), capture)
    with TestClient(app) as client:
        assert call(client, fhir, prefetch).status_code == 200
    assert len(fhir.requests()) == 3
    record = capture.record
    assert ids(record.of_type("Observation")) == ["o1", "o2", "o3", "o4", "o5", "o6"]
    assert record.missing == ("observations",)


def test_paginated_prefetch_without_server_is_used_and_marked_missing(
    client: TestClient, capture: Capture
) -> None:
    prefetch = full_prefetch()
    prefetch["observations"] = bundle(
        resource("Observation", "o1"), next_url="https://ehr.example/fhir/Observation?page=2"
    )
    assert call(client, None, prefetch).status_code == 200
    record = capture.record
    assert ids(record.of_type("Observation")) == ["o1"]
    assert record.missing == ("observations",)


def test_next_link_to_another_host_is_not_followed(
    client: TestClient, capture: Capture, fhir: FakeFhir
) -> None:
    other = other_host_url(fhir)
    prefetch = full_prefetch()
    prefetch["observations"] = bundle(
        resource("Observation", "o1"), next_url=f"{other}/Observation?patient={PATIENT_ID}&_page=2"
    )
    assert call(client, fhir, prefetch).status_code == 200
    assert fhir.requests() == []
    record = capture.record
    assert ids(record.of_type("Observation")) == ["o1"]
    assert record.missing == ("observations",)


def test_next_link_from_the_server_to_another_host_is_not_followed(
    client: TestClient, capture: Capture, fhir: FakeFhir
) -> None:
    serve_everything(fhir)
    fhir.resources["Condition"] = [resource("Condition", f"c{i}") for i in range(1, 4)]
    fhir.page_size["Condition"] = 1
    fhir.next_base = other_host_url(fhir).removesuffix("/fhir")
    prefetch = full_prefetch()
    del prefetch["conditions"]
    assert call(client, fhir, prefetch).status_code == 200
    assert [s.resource_type for s in fhir.requests()] == ["Condition"]  # page 1 only
    record = capture.record
    assert ids(record.of_type("Condition")) == ["c1"]
    assert record.missing == ("conditions",)


def test_duplicates_across_pages_and_keys_are_dropped(
    client: TestClient, capture: Capture, fhir: FakeFhir
) -> None:
    fhir.resources["Observation"] = [resource("Observation", f"o{i}") for i in range(1, 4)]
    fhir.page_size["Observation"] = 2
    prefetch = full_prefetch()
    prefetch["observations"] = bundle(
        resource("Observation", "o1"),
        resource("Observation", "o2"),
        resource("Observation", "o1"),
        next_url=f"{fhir.url}/Observation?patient={PATIENT_ID}&_page=1",  # page 1 again
    )
    assert call(client, fhir, prefetch).status_code == 200
    assert ids(capture.record.of_type("Observation")) == ["o1", "o2", "o3"]


# --- privacy of the log ---------------------------------------------------------------------------


def test_log_has_one_line_per_call_without_patient_data_or_token(
    client: TestClient, fhir: FakeFhir, caplog: pytest.LogCaptureFixture
) -> None:
    serve_everything(fhir)
    caplog.set_level(logging.DEBUG)
    prefetch = full_prefetch()
    del prefetch["observations"]
    assert call(client, fhir, prefetch).status_code == 200
    calls = [r for r in caplog.records if r.getMessage().startswith("hook_call ")]
    assert len(calls) == 1
    line = calls[0].getMessage()
    for expected in (
        f"hookInstance={HOOK_INSTANCE}",
        "service=pakkeforlop-patient-view",
        "outcome=ok",
        "cards=0",
        "gather_ms=",
        "evaluate_ms=",
        "total_ms=",
    ):
        assert expected in line
    for secret in (TOKEN, PATIENT_ID, PATIENT_NAME, "Kari"):
        assert secret not in caplog.text
