"""The audit log: one row per hook call, what it holds (and never holds), the writer, retention."""

from __future__ import annotations

import json
import logging
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from storetools import REPO, storage_app

from cds.audit import AuditRecord, AuditWriter, CallTrace, audit, prune
from cds.cli import main
from cds.db import Database

EXAMPLES = REPO / "examples" / "requests"


def example(name: str) -> dict[str, Any]:
    body: dict[str, Any] = json.loads((EXAMPLES / f"{name}.json").read_text(encoding="utf-8"))
    body["hookInstance"] = str(uuid.uuid4())
    return body


def rows(database_url: str) -> list[dict[str, Any]]:
    database = Database.from_url(database_url)
    try:
        with database.engine.connect() as conn:
            result = conn.execute(sa.select(audit).order_by(audit.c.id))
            return [dict(r._mapping) for r in result]
    finally:
        database.close()


def record(hook_instance: str = "h", when: datetime | None = None) -> AuditRecord:
    values = AuditRecord.of_call(
        hook_instance=hook_instance,
        service_id="pakkeforlop-patient-view",
        hook="patient-view",
        client_iss=None,
        outcome="ok",
        indicators=["warning"],
        missing=(),
        trace=CallTrace(),
    )
    if when is None:
        return values
    from dataclasses import replace

    return replace(values, recorded_at=when)


def migrated(database_url: str) -> Database:
    database = Database.from_url(database_url)
    database.upgrade()
    return database


def test_a_hook_call_leaves_one_row_with_stages_cards_and_rules(database_url: str) -> None:
    body = example("myelomatose-begrunnet.patient-view")
    with TestClient(storage_app(database_url)) as client:
        response = client.post("/cds-services/pakkeforlop-patient-view", json=body)
        assert response.status_code == 200
    cards = response.json()["cards"]
    (row,) = rows(database_url)  # the shutdown drained the writer's queue
    assert row["hook_instance"] == body["hookInstance"]
    assert (row["service_id"], row["hook"], row["outcome"]) == (
        "pakkeforlop-patient-view",
        "patient-view",
        "ok",
    )
    assert row["client_iss"] is None  # auth is off
    assert row["card_count"] == len(cards) > 0
    indicators = [c["indicator"] for c in cards]
    assert row["cards_warning"] == indicators.count("warning")
    assert row["cards_critical"] == indicators.count("critical")
    assert row["cards_info"] == indicators.count("info")
    assert any(rule.startswith("myelomatose.") for rule in json.loads(row["rules"]))
    for stage in ("gather", "facts", "evaluate", "render"):
        assert 0 < row[f"{stage}_ms"] <= row["total_ms"]


def test_a_silent_call_names_no_rule(database_url: str) -> None:
    with TestClient(storage_app(database_url)) as client:
        body = example("frisk.patient-view")
        assert client.post("/cds-services/pakkeforlop-patient-view", json=body).json() == {
            "cards": []
        }
    (row,) = rows(database_url)
    assert (row["card_count"], row["rules"]) == (0, None)


def test_no_patient_data_reaches_the_audit_table(database_url: str) -> None:
    body = example("myelomatose-begrunnet.patient-view")
    with TestClient(storage_app(database_url)) as client:
        assert client.post("/cds-services/pakkeforlop-patient-view", json=body).status_code == 200
    (row,) = rows(database_url)
    stored = json.dumps(row, default=str)
    patient = body["prefetch"]["patient"]
    for secret in (
        patient["id"],
        patient["identifier"][0]["value"],
        patient["name"][0]["family"],
        patient["name"][0]["given"][0],
        patient["birthDate"],
        patient["address"][0]["line"][0],
        body["context"]["userId"],
    ):
        assert secret not in stored


def test_precondition_failure_is_audited_and_invalid_calls_are_not(database_url: str) -> None:
    body = example("frisk.patient-view")
    del body["prefetch"]  # no prefetch and no fhirServer: 412
    with TestClient(storage_app(database_url)) as client:
        assert client.post("/cds-services/pakkeforlop-patient-view", json=body).status_code == 412
        assert client.post("/cds-services/pakkeforlop-patient-view", json={}).status_code == 422
    (row,) = rows(database_url)
    assert row["outcome"] == "precondition-failed"
    assert json.loads(row["missing"])


def test_stop_writes_what_is_queued(database_url: str) -> None:
    database = migrated(database_url)
    writer = AuditWriter(database, batch_size=7)
    for n in range(50):
        assert writer.submit(record(f"h{n}"))
    writer.start()
    writer.stop()
    assert writer.written == 50
    assert [r["hook_instance"] for r in rows(database_url)] == [f"h{n}" for n in range(50)]
    database.close()


def test_rows_arriving_close_together_share_one_commit(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # One commit (an fsync) per hook call was ~7 % of a busy worker: rows that arrive within
    # linger_s of the first are written together.
    database = migrated(database_url)
    writer = AuditWriter(database, linger_s=5.0)
    batches: list[int] = []
    write = writer._write
    monkeypatch.setattr(writer, "_write", lambda batch: (batches.append(len(batch)), write(batch)))
    writer.start()
    for n in range(3):
        assert writer.submit(record(f"h{n}"))
    writer.stop()  # wakes the lingering writer: what is queued is written at once
    assert writer.written == 3
    assert batches == [3]
    database.close()


def test_a_full_queue_drops_counts_and_logs(
    database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    database = migrated(database_url)
    writer = AuditWriter(database, queue_size=3)  # not started: nothing drains the queue
    accepted = [writer.submit(record(f"h{n}")) for n in range(5)]
    assert accepted == [True, True, True, False, False]
    assert writer.dropped == 2
    assert "audit queue full" in caplog.text
    writer.start()
    writer.stop()
    assert len(rows(database_url)) == 3
    database.close()


def test_a_failed_insert_is_counted_and_the_writer_goes_on(
    database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    database = Database.from_url(database_url)  # not migrated: no audit table
    writer = AuditWriter(database)
    writer.start()
    writer.submit(record())
    writer.stop()
    assert (writer.failed, writer.written) == (1, 0)
    assert "audit batch of 1 rows not written" in caplog.text
    database.close()


NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def seed_ages(database_url: str) -> Database:
    """Rows recorded 31 days and 29 days before :data:`NOW`."""
    database = migrated(database_url)
    writer = AuditWriter(database)
    writer.submit(record("old", NOW - timedelta(days=31)))
    writer.submit(record("new", NOW - timedelta(days=29)))
    writer.start()
    writer.stop()
    return database


def test_prune_deletes_older_rows_and_keeps_newer_ones(database_url: str) -> None:
    database = seed_ages(database_url)
    assert prune(database, 30, now=NOW) == 1
    assert [r["hook_instance"] for r in rows(database_url)] == ["new"]
    assert prune(database, 30, now=NOW) == 0
    database.close()


def test_cli_prune_audit_both_sides(
    database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    database = migrated(database_url)
    writer = AuditWriter(database)
    now = datetime.now(UTC)
    writer.submit(record("old", now - timedelta(days=10, hours=1)))
    writer.submit(record("new", now - timedelta(days=9, hours=23)))
    writer.start()
    writer.stop()
    monkeypatch.setenv("DATABASE_URL", database_url)
    assert main(["db", "prune-audit", "--older-than", "10"]) == 0
    assert "deleted 1 audit rows older than 10 days" in capsys.readouterr().out
    assert [r["hook_instance"] for r in rows(database_url)] == ["new"]
    assert main(["db", "prune-audit", "--older-than", "-1"]) == 2
    database.close()


def test_retention_setting_prunes_at_start_up(database_url: str) -> None:
    database = migrated(database_url)
    writer = AuditWriter(database)
    now = datetime.now(UTC)
    writer.submit(record("old", now - timedelta(days=8)))
    writer.submit(record("new", now - timedelta(days=6)))
    writer.start()
    writer.stop()
    database.close()
    with TestClient(storage_app(database_url, audit_retention_days=7)):
        pass
    assert [r["hook_instance"] for r in rows(database_url)] == ["new"]


def test_retention_zero_keeps_everything(database_url: str) -> None:
    database = migrated(database_url)
    writer = AuditWriter(database)
    writer.submit(record("ancient", datetime.now(UTC) - timedelta(days=4000)))
    writer.start()
    writer.stop()
    database.close()
    with TestClient(storage_app(database_url, audit_retention_days=0)):
        pass
    assert [r["hook_instance"] for r in rows(database_url)] == ["ancient"]


def test_queue_size_must_be_positive() -> None:
    from pydantic import ValidationError

    from cds.settings import Settings

    with pytest.raises(ValidationError, match="positive"):
        Settings(database_url="sqlite://", audit_queue_size=0)
    with pytest.raises(ValidationError, match="CDS_AUDIT_RETENTION_DAYS"):
        Settings(database_url="sqlite://", audit_retention_days=-1)


def test_writer_logs_nothing_per_row(database_url: str, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="cds.audit")
    database = migrated(database_url)
    writer = AuditWriter(database)
    writer.start()
    writer.submit(record("quiet"))
    writer.stop()
    assert "quiet" not in caplog.text
    database.close()


def test_the_authenticated_clients_iss_is_recorded(database_url: str) -> None:
    """With auth on the verified caller's ``iss`` goes into the row (the JWT itself is tested in
    tests/auth/test_client_auth.py; here the verifier is replaced by its result)."""
    from cds.api.deps import authenticate_client
    from cds.auth.clients import AuthenticatedClient, TrustedClient

    caller = AuthenticatedClient(TrustedClient(iss="https://ehr.example.no", jku="https://ehr.example.no/jwks"))
    app = storage_app(database_url)
    app.dependency_overrides[authenticate_client] = lambda: caller
    with TestClient(app) as client:
        body = example("frisk.patient-view")
        assert client.post("/cds-services/pakkeforlop-patient-view", json=body).status_code == 200
    (row,) = rows(database_url)
    assert row["client_iss"] == "https://ehr.example.no"
