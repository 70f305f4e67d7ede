"""POST /cds-services/{id}/feedback (checklist F1): stored, idempotent, validated, persistent."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest
from apptools import Capture, build_app, make_settings
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hookdata import assert_outcome

from cds.api.deps import get_store
from cds.feedback_store import FeedbackStore

URL = "/cds-services/pakkeforlop-order-sign/feedback"
CARD = "9b4f2a3e-6d1c-4a77-8a53-5f5b2f6c0d11"
SUGGESTION = "0f4c6c7e-2b9b-4a56-9b3f-3f5e0b7d7c22"
WHEN = "2026-11-20T10:15:00Z"
COMMENT = "Kari Nordmann er allerede henvist fra legevakten"
REASON = {
    "system": "http://pakkeforlop-cds.no/override",
    "code": "already-referred",
    "display": "Allerede henvist",
}


def item(outcome: str = "accepted", **extra: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"card": CARD, "outcome": outcome, "outcomeTimestamp": WHEN}
    if outcome == "accepted":
        out["acceptedSuggestions"] = [{"id": SUGGESTION}]
    out.update(extra)
    return out


def store_of(app: FastAPI) -> FeedbackStore:
    store: FeedbackStore = app.state.store
    return store


@pytest.mark.parametrize(
    ("feedback", "reason_code", "has_comment"),
    [
        (item("accepted"), None, False),
        (
            item("overridden", overrideReason={"reason": REASON, "userComment": COMMENT}),
            "already-referred",
            True,
        ),
        (item("overridden", overrideReason={"reason": REASON}), "already-referred", False),
        (item("overridden"), None, False),
        (item("overridden", overrideReason={"userComment": COMMENT}), None, True),
    ],
    ids=[
        "accepted",
        "overridden-reason-comment",
        "overridden-reason",
        "overridden-bare",
        "comment-only",
    ],
)
def test_feedback_is_stored(
    app: FastAPI,
    client: TestClient,
    feedback: dict[str, Any],
    reason_code: str | None,
    has_comment: bool,
) -> None:
    response = client.post(URL, json={"feedback": [feedback]})
    assert response.status_code == 200
    assert response.json() == {"received": 1, "stored": 1}
    (row,) = store_of(app).list_feedback()
    assert row.service_id == "pakkeforlop-order-sign"
    assert row.card_uuid == CARD
    assert row.outcome == feedback["outcome"]
    assert row.override_reason_code == reason_code
    assert row.has_user_comment is has_comment
    assert row.outcome_timestamp == "2026-11-20T10:15:00+00:00"
    if feedback["outcome"] == "accepted":
        assert row.accepted_suggestions == (SUGGESTION,)


def test_duplicates_are_idempotent(app: FastAPI, client: TestClient) -> None:
    body = {"feedback": [item("accepted"), item("overridden")]}
    assert client.post(URL, json=body).json() == {"received": 2, "stored": 2}
    assert client.post(URL, json=body).json() == {"received": 2, "stored": 0}
    # The same instant written another way is the same report.
    again = item("accepted", outcomeTimestamp="2026-11-20T11:15:00+01:00")
    assert client.post(URL, json={"feedback": [again]}).json()["stored"] == 0
    assert store_of(app).count() == 2


def test_same_card_reported_later_is_a_new_row(app: FastAPI, client: TestClient) -> None:
    client.post(URL, json={"feedback": [item("accepted")]})
    later = item("accepted", outcomeTimestamp="2026-11-21T08:00:00Z")
    assert client.post(URL, json={"feedback": [later]}).json()["stored"] == 1
    assert store_of(app).count() == 2


def test_unknown_card_uuid_is_accepted(app: FastAPI, client: TestClient) -> None:
    response = client.post(URL, json={"feedback": [item("overridden", card="never-issued")]})
    assert response.status_code == 200
    assert store_of(app).count() == 1


@pytest.mark.parametrize(
    "body",
    [
        {"feedback": [item("accepted", acceptedSuggestions=None)]},
        {"feedback": [{k: v for k, v in item("accepted").items() if k != "acceptedSuggestions"}]},
        {"feedback": [item("accepted", acceptedSuggestions=[])]},
        {"feedback": []},
        {"feedback": [item("ignored")]},
        {"feedback": [item("accepted", outcomeTimestamp="yesterday")]},
        # valid ISO 8601, but not representable in UTC (year 10000 / year 0): was a 500
        {"feedback": [item("accepted", outcomeTimestamp="9999-12-31T23:59:59-14:00")]},
        {"feedback": [item("accepted", outcomeTimestamp="0001-01-01T00:00:00+14:00")]},
        {"feedback": [item("accepted", card="x" * 500)]},
        {"feedback": [{"outcome": "overridden", "outcomeTimestamp": WHEN}]},
        {"feedback": "accepted"},
        {},
    ],
)
def test_invalid_feedback_is_422(app: FastAPI, client: TestClient, body: Any) -> None:
    assert_outcome(client.post(URL, json=body), 422)
    assert store_of(app).count() == 0


def test_the_latest_representable_instant_is_stored(app: FastAPI, client: TestClient) -> None:
    body = {"feedback": [item("accepted", outcomeTimestamp="9999-12-31T23:59:59+14:00")]}
    assert client.post(URL, json=body).json() == {"received": 1, "stored": 1}
    assert store_of(app).count() == 1


def test_bad_json_is_400(client: TestClient) -> None:
    assert_outcome(client.post(URL, content=b"{feedback"), 400)
    assert_outcome(client.post(URL, content=b"[]"), 400)


def test_unknown_service_is_404(client: TestClient) -> None:
    response = client.post("/cds-services/12345678901/feedback", json={"feedback": [item()]})
    assert_outcome(response, 404)
    assert "12345678901" not in response.text  # the path segment is not echoed


def test_database_failure_is_503(app: FastAPI, client: TestClient) -> None:
    broken = FeedbackStore.from_url("sqlite://")
    with broken._engine.begin() as conn:  # the table disappears under the store
        conn.exec_driver_sql("DROP TABLE feedback")
    app.dependency_overrides[get_store] = lambda: broken
    assert_outcome(client.post(URL, json={"feedback": [item()]}), 503)


def test_comment_is_neither_stored_nor_logged(
    tmp_path: Path, capture: Capture, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    db = tmp_path / "feedback.sqlite3"
    app = build_app(make_settings(database_url=f"sqlite:///{db}"), capture)
    body = {"feedback": [item("overridden", overrideReason={"userComment": COMMENT})]}
    with TestClient(app) as client:
        assert client.post(URL, json=body).status_code == 200
    files = list(tmp_path.glob("feedback.sqlite3*"))  # the database and WAL files, if any
    assert db in files
    assert not any(b"Nordmann" in f.read_bytes() for f in files)
    assert "Nordmann" not in caplog.text


def test_feedback_persists_across_app_instances(tmp_path: Path, capture: Capture) -> None:
    settings = make_settings(database_url=f"sqlite:///{tmp_path / 'feedback.sqlite3'}")
    with TestClient(build_app(settings, capture)) as client:
        assert client.post(URL, json={"feedback": [item()]}).json()["stored"] == 1
    second = build_app(settings, capture)
    with TestClient(second) as client:
        assert store_of(second).count() == 1
        assert client.post(URL, json={"feedback": [item()]}).json()["stored"] == 0
        assert store_of(second).count() == 1
