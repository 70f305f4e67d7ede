"""``cds.record.fhirclient``: who may receive the token, Bundle unwrapping, and failed reads."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from cds.errors import FhirFetchError
from cds.record.fhirclient import (
    FhirServer,
    bundle_resources,
    get_json,
    has_error_outcome,
    next_link,
)

BASE = "https://ehr.example/fhir"
SERVER = FhirServer(BASE, "secret-token")


@pytest.mark.parametrize(
    "url",
    [
        f"{BASE}/Observation?patient=1&page=2",
        f"{BASE}?_getpages=abc&_offset=10",  # HAPI-style next link on the base itself
        "https://EHR.example:443/fhir/Observation",
        f"{BASE}/",
    ],
)
def test_urls_under_the_server_may_get_the_token(url: str) -> None:
    assert SERVER.owns(url)


@pytest.mark.parametrize(
    "url",
    [
        "https://evil.example/fhir/Observation",
        "http://ehr.example/fhir/Observation",  # downgrade to plain http
        "https://ehr.example:8443/fhir/Observation",
        "https://ehr.example/fhir-other/Observation",  # a prefix that is not a path segment
        "https://ehr.example/other/Observation",
        "https://user@ehr.example/fhir/Observation",
        "https://ehr.example.evil.example/fhir/Observation",
        "https://ehr.example:notaport/fhir",
        "/fhir/Observation",
        "ftp://ehr.example/fhir/Observation",
    ],
)
def test_urls_elsewhere_may_not(url: str) -> None:
    assert not SERVER.owns(url)


@pytest.mark.parametrize(
    "base", [None, "", "ehr.example/fhir", "ftp://ehr.example/fhir", "https://u:p@ehr.example"]
)
def test_unusable_fhir_server_urls_are_refused(base: str | None) -> None:
    assert FhirServer.parse(base, "t") is None


def test_token_is_not_in_repr_and_headers_carry_it() -> None:
    server = FhirServer.parse(BASE + "/", "secret-token")
    assert server is not None
    assert server.base_url == BASE
    assert "secret-token" not in repr(server)
    assert server.headers() == {
        "Accept": "application/fhir+json",
        "Authorization": "Bearer secret-token",
    }
    assert FhirServer(BASE).headers() == {"Accept": "application/fhir+json"}


def test_relative_links_resolve_against_the_server() -> None:
    assert SERVER.resolve("Observation?page=2") == f"{BASE}/Observation?page=2"
    assert SERVER.resolve("https://other.example/x") == "https://other.example/x"


def _outcome(severity: str) -> dict[str, Any]:
    return {"resourceType": "OperationOutcome", "issue": [{"severity": severity, "code": "x"}]}


@pytest.mark.parametrize(
    ("severity", "error"),
    [("fatal", True), ("error", True), ("warning", False), ("information", False)],
)
def test_error_outcome_entries(severity: str, error: bool) -> None:
    bundle = {"resourceType": "Bundle", "entry": [{"resource": _outcome(severity)}]}
    assert has_error_outcome(bundle) is error
    assert bundle_resources(bundle) == []


def test_bundle_unwrapping_tolerates_junk() -> None:
    bundle: dict[str, Any] = {
        "resourceType": "Bundle",
        "entry": [
            {"resource": {"resourceType": "Observation", "id": "o1"}},
            {"resource": {"id": "no-type"}},
            {"fullUrl": "no resource"},
            "not an entry",
            {"resource": ["not", "a", "resource"]},
        ],
        "link": [{"relation": "self", "url": "x"}, {"relation": "next", "url": "y"}],
    }
    assert bundle_resources(bundle) == [{"resourceType": "Observation", "id": "o1"}]
    assert next_link(bundle) == "y"
    assert next_link({"link": "junk"}) is None
    assert bundle_resources({"entry": {}}) == []


def _read(response: httpx.Response | Exception, url: str = f"{BASE}/Patient/1") -> Any:
    async def handler(request: httpx.Request) -> httpx.Response:
        if isinstance(response, Exception):
            raise response
        return response

    async def main() -> Any:
        async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
            return await get_json(client, SERVER, url, timeout_s=1, max_bytes=1000)

    return asyncio.run(main())


@pytest.mark.parametrize(
    ("response", "reason"),
    [
        (httpx.Response(401), "HTTP 401"),
        (httpx.Response(302, headers={"Location": "https://evil.example/x"}), "HTTP 302"),
        (httpx.Response(200, content=b"<html/>"), "not JSON"),
        (httpx.Response(200, json=[1, 2]), "not a FHIR resource"),
        (httpx.Response(200, json={"id": "x"}), "not a FHIR resource"),
        (httpx.Response(200, json=_outcome("warning")), "OperationOutcome"),
        (httpx.Response(200, content=b"[" * 2000), "response too large"),
        (httpx.ConnectError("refused"), "unreachable (ConnectError)"),
        (httpx.ReadTimeout("slow"), "timeout"),
    ],
)
def test_failed_reads_say_why_without_the_url(response: Any, reason: str) -> None:
    with pytest.raises(FhirFetchError) as caught:
        _read(response)
    assert caught.value.reason == reason


def test_a_url_outside_the_server_is_never_requested() -> None:
    with pytest.raises(FhirFetchError, match="refused"):
        _read(AssertionError("must not be called"), url="https://evil.example/fhir/Patient/1")


def test_a_good_read() -> None:
    patient = {"resourceType": "Patient", "id": "1"}
    assert _read(httpx.Response(200, json=patient)) == patient
