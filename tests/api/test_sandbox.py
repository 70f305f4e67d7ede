"""The sandbox page's routes (cds/api/sandbox.py): page and assets, examples, request builder.

The page itself in a browser: tests/browser/test_sandbox_browser.py.
"""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

import pytest
from apptools import TODAY, Capture
from fastapi.testclient import TestClient

import cds.api.sandbox as sandbox
from cds.record.bundle import request_from_bundle
from cds.services import SERVICES
from cds.settings import REPO_ROOT

EXAMPLES = REPO_ROOT / "examples"
STATIC = REPO_ROOT / "cds" / "static" / "sandbox"
PATIENT_VIEW = next(s.id for s in SERVICES if s.hook == "patient-view")


def _example(name: str) -> dict[str, object]:
    data: dict[str, object] = json.loads((EXAMPLES / f"{name}.json").read_text(encoding="utf-8"))
    return data


def _assert_outcome(response: object, status: int) -> list[dict[str, object]]:
    assert response.status_code == status  # type: ignore[attr-defined]
    body = response.json()  # type: ignore[attr-defined]
    assert body["resourceType"] == "OperationOutcome"
    issues: list[dict[str, object]] = body["issue"]
    return issues


def test_the_page_is_served_at_the_root_with_a_strict_policy(client: TestClient) -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert 'id="explain"' in response.text and "Forklaring" in response.text
    policy = response.headers["content-security-policy"]
    assert "default-src 'none'" in policy and "script-src 'self'" in policy
    assert response.headers["cache-control"] == "no-store"


@pytest.mark.parametrize(
    ("asset", "media_type"), [("app.js", "text/javascript"), ("style.css", "text/css")]
)
def test_the_assets_are_served(client: TestClient, asset: str, media_type: str) -> None:
    response = client.get(f"/static/sandbox/{asset}")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(media_type)
    assert response.content == (STATIC / asset).read_bytes()


@pytest.mark.parametrize("asset", ["index.html.bak", "..%2F..%2Fsettings.py", "app.py"])
def test_only_the_listed_assets_are_served(client: TestClient, asset: str) -> None:
    response = client.get(f"/static/sandbox/{asset}")
    assert response.status_code == 404
    assert response.json()["resourceType"] == "OperationOutcome"


def test_the_page_loads_nothing_from_another_host(client: TestClient) -> None:
    """Offline: no absolute URL in the page, its script or its style sheet; only own files."""
    for name in ("index.html", "app.js", "style.css"):
        text = (STATIC / name).read_text(encoding="utf-8")
        assert re.findall(r"https?://[^\s\"'<>`)]+", text) == [], name
        assert "@import" not in text and "cdn" not in text.lower(), name
    page = client.get("/").text
    references = re.findall(r"""(?:src|href)\s*=\s*["']([^"']*)["']""", page)
    assert references, "the page loads its script and style sheet"
    for reference in references:
        assert reference.startswith(("/static/sandbox/", "#", "data:")), reference


def test_examples_are_listed_with_their_readme_descriptions(client: TestClient) -> None:
    response = client.get("/sandbox/examples")
    assert response.status_code == 200
    examples = {item["name"]: item for item in response.json()["examples"]}
    assert set(examples) == {path.stem for path in EXAMPLES.glob("*.json")}
    begrunnet = examples["myelomatose-begrunnet"]
    assert begrunnet["patient"] == "woman, 71"
    assert "begrunnet (`warning`)" in begrunnet["expected"]
    assert "«Se kommentar» electrophoresis" in begrunnet["record"]
    # No CDS_TODAY in these settings: no date is announced.
    assert "today" not in response.json()


def test_the_examples_list_names_cds_today(tmp_path: Path) -> None:
    from apptools import build_app, make_settings

    app = build_app(make_settings(today=date(2026, 11, 20)), Capture())
    with TestClient(app) as client:
        assert client.get("/sandbox/examples").json()["today"] == "2026-11-20"


def test_without_an_examples_folder_the_list_is_empty(
    client: TestClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sandbox, "EXAMPLES_DIR", tmp_path / "missing")
    assert client.get("/sandbox/examples").json() == {"examples": []}
    _assert_outcome(client.get("/sandbox/examples/myelomatose-begrunnet"), 404)


def test_an_unreadable_readme_leaves_the_descriptions_out(tmp_path: Path) -> None:
    (tmp_path / "frisk.json").write_text("{}", encoding="utf-8")
    (tmp_path / "Not An Example.json").write_text("{}", encoding="utf-8")
    assert sandbox.list_examples(tmp_path) == [{"name": "frisk"}]


def test_one_example_is_its_bundle(client: TestClient) -> None:
    response = client.get("/sandbox/examples/myelomatose-begrunnet")
    assert response.status_code == 200
    assert response.json() == _example("myelomatose-begrunnet")


@pytest.mark.parametrize("name", ["ukjent", "README", "..%2Fpyproject", "Frisk"])
def test_an_unknown_example_is_404(client: TestClient, name: str) -> None:
    [issue] = _assert_outcome(client.get(f"/sandbox/examples/{name}"), 404)
    assert issue["code"] == "not-found"


@pytest.mark.parametrize("hook", ["patient-view", "order-select", "order-sign"])
@pytest.mark.parametrize("name", ["myelomatose-begrunnet", "sarkom-biopsi-utkast", "frisk"])
def test_the_request_is_what_cds_evaluate_builds(client: TestClient, name: str, hook: str) -> None:
    bundle = _example(name)
    response = client.post("/sandbox/request", json={"bundle": bundle, "hook": hook})
    assert response.status_code == 200
    assert response.json() == request_from_bundle(bundle, hook=hook)


def test_order_hooks_carry_the_draft(client: TestClient) -> None:
    bundle = _example("myelomatose-begrunnet")
    body = client.post("/sandbox/request", json={"bundle": bundle, "hook": "order-select"}).json()
    [draft] = body["context"]["draftOrders"]["entry"]
    assert draft["resource"]["status"] == "draft"
    assert body["context"]["selections"] == [f"ServiceRequest/{draft['resource']['id']}"]


@pytest.mark.parametrize(
    ("body", "expression"),
    [
        ({"bundle": {"resourceType": "Bundle"}}, "hook"),
        ({"bundle": {"resourceType": "Bundle"}, "hook": "encounter-start"}, "hook"),
        ({"hook": "patient-view"}, "bundle"),
        ({"bundle": [1, 2], "hook": "patient-view"}, "bundle"),
        ({"bundle": {"resourceType": "Patient"}, "hook": "patient-view"}, "bundle"),
        ({"bundle": {"resourceType": "Bundle", "entry": []}, "hook": "patient-view"}, "bundle"),
    ],
)
def test_a_bad_request_is_refused_naming_the_field(
    client: TestClient, body: dict[str, object], expression: str
) -> None:
    [issue] = _assert_outcome(client.post("/sandbox/request", json=body), 422)
    assert issue["expression"] == [expression]


def test_a_body_that_is_not_an_object_is_400(client: TestClient) -> None:
    _assert_outcome(client.post("/sandbox/request", content=b"[]"), 400)


def test_the_sandbox_call_evaluates_at_the_date_given(client: TestClient, capture: Capture) -> None:
    body = request_from_bundle(_example("frisk"), hook="patient-view")
    url = f"/sandbox/cds-services/{PATIENT_VIEW}"
    assert client.post(url, json=body, params={"today": "2026-11-20"}).status_code == 200
    assert client.post(url, json=body, params={"today": "2030-01-31"}).status_code == 200
    assert client.post(url, json=body).status_code == 200
    # The last one: the service's own clock (pinned to TODAY in these tests).
    assert [today for _, _, today in capture.calls] == [TODAY, date(2030, 1, 31), TODAY]


def test_the_sandbox_call_checks_like_the_service(client: TestClient, capture: Capture) -> None:
    body = request_from_bundle(_example("frisk"), hook="order-sign")
    _assert_outcome(client.post(f"/sandbox/cds-services/{PATIENT_VIEW}", json=body), 422)
    _assert_outcome(client.post("/sandbox/cds-services/ukjent", json=body), 404)
    _assert_outcome(
        client.post(f"/sandbox/cds-services/{PATIENT_VIEW}?today=20.11.2026", json=body), 422
    )
    assert capture.calls == []


def test_a_deployment_can_switch_the_sandbox_off() -> None:
    from apptools import build_app, make_settings

    with TestClient(build_app(make_settings(sandbox=False), Capture())) as off:
        for path in ("/", "/sandbox/examples", "/static/sandbox/app.js"):
            assert off.get(path).status_code == 404, path
        assert off.post("/sandbox/request", json={}).status_code == 404
        assert off.get("/cds-services").status_code == 200  # the service itself is there
