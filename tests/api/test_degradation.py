"""Graceful degradation (checklist §1.8 item 42) and the catch-all: no input produces a 500."""

from __future__ import annotations

import logging
from datetime import date
from typing import Any

import pytest
from apptools import TODAY
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hookdata import PATIENT_NAME, assert_outcome, full_prefetch, hook_body, service_url

from cds.api import hooks
from cds.api.deps import get_responder
from cds.cdshooks import CdsResponse

SECRET = f"{PATIENT_NAME} f. 01.01.1950"


def raising_responder(*args: Any, **kwargs: Any) -> CdsResponse:
    raise RuntimeError(SECRET)


def test_pipeline_error_gives_200_no_cards(app: FastAPI, caplog: pytest.LogCaptureFixture) -> None:
    app.dependency_overrides[get_responder] = lambda: raising_responder
    with TestClient(app) as client:
        response = client.post(service_url(), json=hook_body(prefetch=full_prefetch()))
    assert response.status_code == 200
    assert response.json() == {"cards": []}
    assert "outcome=error-pipeline" in caplog.text
    assert "RuntimeError" in caplog.text
    assert PATIENT_NAME not in caplog.text  # the exception message is never logged


def test_gather_error_gives_200_no_cards(
    client: TestClient, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    async def broken(*args: Any, **kwargs: Any) -> Any:
        raise KeyError(SECRET)

    monkeypatch.setattr(hooks, "gather_record", broken)
    response = client.post(service_url(), json=hook_body(prefetch=full_prefetch()))
    assert response.status_code == 200
    assert response.json() == {"cards": []}
    assert "outcome=error-gather" in caplog.text
    assert PATIENT_NAME not in caplog.text


def test_unserialisable_response_gives_200_no_cards(app: FastAPI) -> None:
    def bad_cards(*args: Any, **kwargs: Any) -> CdsResponse:
        return CdsResponse.model_construct(cards=[object()])  # type: ignore[list-item]

    app.dependency_overrides[get_responder] = lambda: bad_cards
    with TestClient(app) as client:
        response = client.post(service_url(), json=hook_body(prefetch=full_prefetch()))
    assert response.status_code == 200
    assert response.json() == {"cards": []}


def test_pipeline_gets_the_pinned_clock(client: TestClient, capture: Any) -> None:
    client.post(service_url(), json=hook_body(prefetch=full_prefetch()))
    ((_request, _record, today),) = capture.calls
    assert today == TODAY
    assert isinstance(today, date)


def test_unexpected_error_elsewhere_is_a_500_operation_outcome(
    app: FastAPI, caplog: pytest.LogCaptureFixture
) -> None:
    async def boom() -> None:
        raise ValueError(SECRET)

    app.add_api_route("/boom", boom)
    with TestClient(app) as client:
        response = client.get("/boom")
    body = assert_outcome(response, 500)
    assert body["issue"][0]["code"] == "exception"
    assert PATIENT_NAME not in response.text
    assert "ValueError" in caplog.text
    assert PATIENT_NAME not in caplog.text


def test_rejected_call_logs_without_patient_data(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    body = hook_body(prefetch=full_prefetch())
    del body["hook"]
    assert_outcome(client.post(service_url(), json=body), 422)
    assert PATIENT_NAME not in caplog.text


def test_hook_instance_cannot_forge_log_lines(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    body = hook_body(prefetch=full_prefetch())
    body["hookInstance"] = "abc\nERROR forged line"
    assert client.post(service_url(), json=body).status_code == 200
    (line,) = [r.getMessage() for r in caplog.records if r.getMessage().startswith("hook_call")]
    assert "hookInstance=abc?ERROR?forged?line " in line
    assert "\n" not in line
