"""Operations: offline /docs and /redoc, /healthz and /readyz, /metrics, the version everywhere."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

import pytest
from fake_fhir import FakeFhir
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hookdata import (
    PATIENT_ID,
    PATIENT_NAME,
    assert_outcome,
    full_prefetch,
    hook_body,
    patient,
    service_url,
)
from prometheus_client import REGISTRY
from sqlalchemy.exc import OperationalError

from cds.api.deps import get_registry, get_responder
from cds.cdshooks import Card, CdsResponse, Coding, Source
from cds.render.format import PATHWAY_CODE_SYSTEM
from cds.version import VERSION_EXTENSION, _pyproject_version, service_version

SERVICE = "pakkeforlop-patient-view"
# Every URL an HTML page can load: src/href attributes and JavaScript string literals with a scheme.
_ATTR_URL = re.compile(r"""(?:src|href)\s*=\s*["']([^"']+)["']""")
_ANY_URL = re.compile(r"""["'`]((?:https?:)?//[^"'`]+)["'`]""")


def _sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


@pytest.mark.parametrize("path", ["/docs", "/redoc"])
def test_docs_pages_load_only_local_assets(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    html = response.text
    assert _ANY_URL.findall(html) == []  # no absolute URL at all: no CDN, no Google Fonts
    assets = [url for url in _ATTR_URL.findall(html) if url]
    assert any(url.endswith(".js") for url in assets), assets
    for url in assets:
        parts = urlsplit(url)
        assert not parts.scheme and not parts.netloc, url
        assert url.startswith("/static/vendor/"), url
        asset = client.get(url)
        assert asset.status_code == 200, url
        assert len(asset.content) > 500, url
    assert "/openapi.json" in html
    assert "validator.swagger.io" not in html


def test_vendored_assets_may_be_cached_and_answers_may_not(client: TestClient) -> None:
    # Third-party files without patient data: a day in the browser cache instead of 3 MB per
    # visit. Everything else (hook answers, the docs pages, a missing asset) stays no-store.
    asset = client.get("/static/vendor/redoc/redoc.standalone.js")
    assert asset.headers["cache-control"] == "public, max-age=86400"
    assert asset.headers["x-content-type-options"] == "nosniff"
    for path in ("/docs", "/healthz", "/static/vendor/nothing.js", "/cds-services"):
        assert client.get(path).headers["cache-control"] == "no-store", path


def test_swagger_ui_validator_is_off(client: TestClient) -> None:
    assert '"validatorUrl": null' in client.get("/docs").text


def test_fastapi_default_docs_are_gone(app: FastAPI) -> None:
    # Our routes replace FastAPI's: exactly one route each, and none with a CDN page.
    paths = [getattr(route, "path", None) for route in app.routes]
    assert paths.count("/docs") == 1 and paths.count("/redoc") == 1
    assert app.docs_url is None and app.redoc_url is None


def test_vendored_assets_are_package_data() -> None:
    import tomllib
    from pathlib import Path

    from cds.api.docs_ui import STATIC_DIR

    root = Path(__file__).resolve().parents[2]
    patterns = tomllib.loads((root / "pyproject.toml").read_text())["tool"]["setuptools"][
        "package-data"
    ]["cds"]
    files = [p for p in STATIC_DIR.rglob("*") if p.is_file()]
    assert files
    package = root / "cds"  # package-data patterns are relative to the package
    for file in files:
        relative = file.relative_to(package)
        assert any(relative.match(pattern) for pattern in patterns), relative


def test_healthz_names_the_version(client: TestClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "version": service_version()}
    assert re.fullmatch(r"\d+\.\d+\.\d+.*", service_version())


def test_version_falls_back_to_pyproject(tmp_path: Any) -> None:
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text('[project]\nname = "x"\nversion = "9.8.7"\n')
    assert _pyproject_version(pyproject) == "9.8.7"
    assert _pyproject_version(tmp_path / "missing.toml") == "0+unknown"


def test_discovery_carries_the_version(client: TestClient) -> None:
    body = client.get("/cds-services").json()
    assert body["extension"] == {VERSION_EXTENSION: service_version()}
    assert set(body) == {"services", "extension"}


def test_openapi_names_the_version(client: TestClient) -> None:
    assert client.get("/openapi.json").json()["info"]["version"] == service_version()


def test_readyz_ready(client: TestClient) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ready"
    assert body["version"] == service_version()


def test_readyz_503_when_database_does_not_answer(
    client: TestClient, app: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise OperationalError("SELECT 1", {}, Exception("connection refused"))

    monkeypatch.setattr(app.state.store.engine, "connect", refuse)
    body = assert_outcome(client.get("/readyz"), 503)
    assert [i["diagnostics"] for i in body["issue"]] == ["feedback database does not answer"]
    assert client.get("/healthz").status_code == 200  # alive all the same


def test_readyz_503_without_registry(client: TestClient, app: FastAPI) -> None:
    del app.dependency_overrides[get_registry]  # as if the lifespan had not loaded criteria
    body = assert_outcome(client.get("/readyz"), 503)
    assert [i["diagnostics"] for i in body["issue"]] == ["criteria registry not loaded"]


def _one_card(*args: Any, **kwargs: Any) -> CdsResponse:
    topic = Coding(system=PATHWAY_CODE_SYSTEM, code="ops-test-pathway", display="Test")
    card = Card(
        uuid="c-1",
        summary="Vurder pakkeforløp",
        indicator="warning",
        source=Source(label="Helsedirektoratet", topic=topic),
    )
    return CdsResponse(cards=[card])


def test_metrics_after_one_hook_call(app: FastAPI, fhir: FakeFhir) -> None:
    app.dependency_overrides[get_responder] = lambda: _one_card
    fhir.patients[PATIENT_ID] = patient()
    fhir.fail["Procedure"] = 500  # optional: the call still answers
    prefetch = full_prefetch()
    del prefetch["patient"], prefetch["procedures"]  # read from the FHIR server
    before_reads = _sample("cds_fhir_reads_total")
    before_5xx = _sample("cds_fhir_read_failures_total", kind="http_5xx")
    before_cards = _sample("cds_cards_total", indicator="warning", pathway="ops-test-pathway")
    with TestClient(app) as client:
        response = client.post(
            service_url(), json=hook_body(prefetch=prefetch, fhir_server=fhir.url)
        )
        status = str(response.status_code)
        before_calls = _sample("cds_hook_requests_total", service=SERVICE, status="404")
        client.post("/cds-services/no-such-service", json=hook_body())
        client.post(f"/cds-services/{PATIENT_ID}", json=hook_body())
        text = client.get("/metrics").text
    assert status == "200", response.text
    assert _sample("cds_hook_requests_total", service=SERVICE, status=status) >= 1
    assert _sample("cds_hook_requests_total", service="unknown", status="404") >= 2
    assert _sample("cds_hook_requests_total", service=SERVICE, status="404") == before_calls
    assert _sample("cds_hook_stage_seconds_count", service=SERVICE, stage="total") >= 1
    for stage in ("gather", "facts", "evaluate", "render", "total"):
        labels = f'le="0.005",service="{SERVICE}",stage="{stage}"'
        assert f"cds_hook_stage_seconds_bucket{{{labels}}}" in text
    assert _sample("cds_fhir_reads_total") > before_reads
    assert _sample("cds_fhir_read_failures_total", kind="http_5xx") > before_5xx
    assert (
        _sample("cds_cards_total", indicator="warning", pathway="ops-test-pathway")
        == before_cards + 1
    )
    assert "cds_hook_requests_total" in text and "cds_fhir_reads_total" in text
    # Labels hold ids we define, never the record or the URL.
    assert PATIENT_ID not in text
    assert PATIENT_NAME not in text
    assert fhir.url not in text


def test_metrics_counts_cards_per_indicator_and_pathway(app: FastAPI) -> None:
    app.dependency_overrides[get_responder] = lambda: _one_card
    before = _sample("cds_cards_total", indicator="warning", pathway="ops-test-pathway")
    before_ok = _sample("cds_hook_calls_total", service=SERVICE, outcome="ok")
    with TestClient(app) as client:
        response = client.post(service_url(), json=hook_body(prefetch=full_prefetch()))
        assert response.status_code == 200
        text = client.get("/metrics").text
    assert _sample("cds_cards_total", indicator="warning", pathway="ops-test-pathway") == before + 1
    assert _sample("cds_hook_calls_total", service=SERVICE, outcome="ok") == before_ok + 1
    assert 'cds_cards_total{indicator="warning",pathway="ops-test-pathway"}' in text
    assert PATIENT_ID not in text and PATIENT_NAME not in text
