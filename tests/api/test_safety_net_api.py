"""Safety-netting over HTTP with the real pipeline: the example record referred 20.10.2026 with no
first attendance gets its card in patient-view (clock 2026-11-20), not in order hooks, and a
site switches the card type off with CDS_DISABLED_CARDS."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conformance import assert_conformant
from fastapi import FastAPI
from fastapi.testclient import TestClient

from cds.record.bundle import request_from_bundle
from cds.settings import Settings

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
CARD_TYPE = "no.pakkeforlop-cds.card-type"


def _body(name: str, hook: str = "patient-view") -> dict[str, Any]:
    bundle = json.loads((EXAMPLES / f"{name}.json").read_text(encoding="utf-8"))
    return request_from_bundle(bundle, hook=hook)


def _post(
    app_factory: Callable[[Settings], FastAPI], tmp_path: Path, body: dict[str, Any],
    service: str = "pakkeforlop-patient-view", **settings: Any,
) -> list[dict[str, Any]]:
    app = app_factory(Settings(database_url=f"sqlite:///{tmp_path / 'cds.sqlite3'}", **settings))
    with TestClient(app) as client:
        response = client.post(f"/cds-services/{service}", json=body)
    assert response.status_code == 200, response.text
    data = response.json()
    assert_conformant(data, body)
    return data["cards"]  # type: ignore[no-any-return]


def test_no_first_attendance_card_over_http(
    app_factory: Callable[[Settings], FastAPI], tmp_path: Path
) -> None:
    cards = _post(app_factory, tmp_path, _body("sarkom-henvist-ingen-time"))
    assert [(c["extension"][CARD_TYPE], c["indicator"]) for c in cards] == [
        ("safety_net", "warning")
    ]
    actions = [a["resource"]["resourceType"] for s in cards[0]["suggestions"] for a in s["actions"]]
    assert actions == ["Communication", "Task"]


def test_ended_without_cancer_card_over_http(
    app_factory: Callable[[Settings], FastAPI], tmp_path: Path
) -> None:
    cards = _post(app_factory, tmp_path, _body("sarkom-avsluttet-uten-kreft"))
    assert [c["extension"].get("no.pakkeforlop-cds.safety-net") for c in cards] == [
        "not_cancer_persisting"
    ]


def test_order_hooks_have_no_safety_net(
    app_factory: Callable[[Settings], FastAPI], tmp_path: Path
) -> None:
    bundle = json.loads((EXAMPLES / "sarkom-henvist-ingen-time.json").read_text(encoding="utf-8"))
    bundle["entry"].append({"resource": {
        "resourceType": "ServiceRequest", "id": "utkast", "status": "draft", "intent": "order",
        "code": {"text": "Blodprøver"},
        "subject": {"reference": "Patient/sarkom-henvist-ingen-time"},
    }})
    body = request_from_bundle(bundle, hook="order-select")
    cards = _post(app_factory, tmp_path, body, service="pakkeforlop-order-select")
    assert all(c["extension"][CARD_TYPE] != "safety_net" for c in cards)


@pytest.mark.parametrize("name", ["sarkom-henvist-ingen-time", "sarkom-avsluttet-uten-kreft"])
def test_site_switch_turns_it_off(
    app_factory: Callable[[Settings], FastAPI], tmp_path: Path, name: str
) -> None:
    assert _post(app_factory, tmp_path, _body(name), disabled_cards="safety_net") == []


def test_thresholds_are_settings(
    app_factory: Callable[[Settings], FastAPI], tmp_path: Path
) -> None:
    body = _body("sarkom-henvist-ingen-time")  # 23 days past its deadline
    cards = _post(app_factory, tmp_path, body, safety_net_warning_after_days=23)
    assert [c["indicator"] for c in cards] == ["info"]
    assert _post(app_factory, tmp_path, body, safety_net_info_after_days=23,
                 safety_net_warning_after_days=30) == []


def test_warning_below_info_threshold_is_refused() -> None:
    with pytest.raises(ValueError, match="CDS_SAFETY_NET_WARNING_AFTER_DAYS"):
        Settings(safety_net_info_after_days=5, safety_net_warning_after_days=4)


def test_a_safety_net_failure_costs_only_that_card(
    app_factory: Callable[[Settings], FastAPI], tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture,
) -> None:
    def broken(*args: object) -> None:
        raise RuntimeError("boom 12345678901")  # a message that must not reach the log

    body = _body("myelomatose-begrunnet")
    before = _post(app_factory, tmp_path, body)
    assert before
    monkeypatch.setattr("cds.pipeline.safety_net", broken)
    assert _post(app_factory, tmp_path, body) == before  # the same cards, no «failed» card
    assert "part=safety-net" in caplog.text and "12345678901" not in caplog.text
