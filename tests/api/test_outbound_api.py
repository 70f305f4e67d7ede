"""The outbound policy through the app: what a caller can and cannot make the service call.

Outside development mode the test FHIR server (plain http on 127.0.0.1) must never be reached;
in development mode it is, and a closed port and an HTTP 404 look the same to the caller.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from apptools import Capture, build_app, make_settings
from fake_fhir import FakeFhir, closed_port_url
from fastapi.testclient import TestClient
from hookdata import PATIENT_ID, assert_outcome, full_prefetch, hook_body, patient, service_url

UNAVAILABLE = (
    "required prefetch 'patient' was not prefetched and could not be read from fhirServer: "
    "FHIR server unavailable"
)


@pytest.fixture
def strict_client() -> Iterator[TestClient]:
    """The app as deployed: not in development mode."""
    with TestClient(build_app(make_settings(dev_mode=False), Capture())) as client:
        yield client


def _patient_412(client: TestClient, fhir_server: str) -> list[str]:
    prefetch = full_prefetch()
    del prefetch["patient"]
    response = client.post(
        service_url(), json=hook_body(prefetch=prefetch, fhir_server=fhir_server)
    )
    return [issue["diagnostics"] for issue in assert_outcome(response, 412)["issue"]]


@pytest.mark.parametrize(
    "url",
    [
        "{fhir}",  # http outside development mode
        "https://127.0.0.1:{port}/fhir",  # loopback
        "https://[::1]:{port}/fhir",
        "https://169.254.169.254/fhir",  # cloud metadata
        "https://metadata.google.internal/fhir",
        "https://10.0.0.1/fhir",
        "https://100.64.0.1/fhir",
    ],
)
def test_refused_targets_are_never_contacted(
    strict_client: TestClient, fhir: FakeFhir, url: str
) -> None:
    fhir.patients[PATIENT_ID] = patient()
    target = url.format(fhir=fhir.url, port=fhir.base_url.rsplit(":", 1)[1])
    assert _patient_412(strict_client, target) == [UNAVAILABLE]
    assert fhir.requests() == []


def test_closed_port_and_404_give_the_same_412(client: TestClient, fhir: FakeFhir) -> None:
    # Development mode (the default test settings): loopback is allowed, so both are reached.
    closed = _patient_412(client, closed_port_url())
    not_found = _patient_412(client, fhir.url)  # no patient on the server: HTTP 404
    assert len(fhir.requests()) == 1
    assert closed == not_found == [UNAVAILABLE]


def test_the_log_keeps_the_reason_without_url_or_token(
    client: TestClient, fhir: FakeFhir, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    _patient_412(client, fhir.url)
    err = caplog.text
    assert "patient (HTTP 404)" in err
    assert PATIENT_ID not in err
    assert "good-token" not in err
