"""The schema belongs to Alembic: a fresh database, an older feedback file, start-up, CLI."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from storetools import storage_app

from cds.cli import main
from cds.db import Database, current_revision, engine_url
from cds.feedback_store import FeedbackStore, feedback, metadata

HEAD = "0002"


def columns(database: Database, table: str) -> dict[str, dict[str, object]]:
    inspector = sa.inspect(database.engine)
    return {c["name"]: c for c in inspector.get_columns(table)}


def test_fresh_database_gets_every_table(database_url: str) -> None:
    database = Database.from_url(database_url)
    database.upgrade()
    assert current_revision(database.engine) == HEAD
    inspector = sa.inspect(database.engine)
    assert {"feedback", "audit", "jwt_replay"} <= set(inspector.get_table_names())
    assert inspector.get_pk_constraint("jwt_replay")["constrained_columns"] == ["iss", "jti"]
    replay = columns(database, "jwt_replay")
    assert set(replay) == {"iss", "jti", "expires_at"}
    assert not any(c["nullable"] for c in replay.values())
    assert isinstance(replay["iss"]["type"], sa.Text)
    if database.dialect == "postgresql":
        assert str(replay["expires_at"]["type"]) == "TIMESTAMP"
        assert replay["expires_at"]["type"].timezone  # type: ignore[attr-defined]
    uniques = inspector.get_unique_constraints("feedback")
    assert [u["column_names"] for u in uniques] == [
        ["service_id", "card_uuid", "outcome", "outcome_timestamp"]
    ]
    database.close()


def test_migrations_match_the_tables_the_code_writes(database_url: str) -> None:
    database = Database.from_url(database_url)
    database.upgrade()
    assert set(columns(database, "feedback")) == set(feedback.c.keys())
    from cds.audit import audit

    assert set(columns(database, "audit")) == set(audit.c.keys())
    database.close()


def test_upgrade_twice_is_a_no_op(database_url: str) -> None:
    database = Database.from_url(database_url)
    database.upgrade()
    database.upgrade()
    assert current_revision(database.engine) == HEAD
    database.close()


def test_feedback_table_of_an_older_version_is_kept_with_its_rows(database_url: str) -> None:
    """A database that ``create_all`` made (before Alembic) upgrades in place."""
    database = Database.from_url(database_url)
    metadata.create_all(database.engine)  # what FeedbackStore.create_schema did before
    row = {
        "service_id": "pakkeforlop-patient-view",
        "card_uuid": "c1",
        "outcome": "accepted",
        "has_user_comment": False,
        "outcome_timestamp": "2026-11-20T10:00:00+00:00",
        "received_at": datetime(2026, 11, 20, tzinfo=UTC),
    }
    with database.engine.begin() as conn:
        conn.execute(sa.insert(feedback).values(**row))
    assert current_revision(database.engine) is None
    store = FeedbackStore(database)
    store.create_schema()
    assert current_revision(database.engine) == HEAD
    assert [r.card_uuid for r in store.list_feedback()] == ["c1"]
    assert "audit" in sa.inspect(database.engine).get_table_names()
    store.close()


def test_sqlite_file_is_in_wal_mode(tmp_path: Path) -> None:
    database = Database.from_url(f"sqlite:///{tmp_path / 'wal.sqlite3'}")
    with database.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar_one() == "wal"
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar_one() == 2  # FULL
    database.close()


@pytest.mark.parametrize(
    ("given", "used"),
    [
        ("postgresql://u:p@h/db", "postgresql+psycopg://u:p@h/db"),
        ("postgres://u:p@h/db", "postgresql+psycopg://u:p@h/db"),
        ("postgresql+psycopg2://u@h/db", "postgresql+psycopg2://u@h/db"),
        ("sqlite:///x.sqlite3", "sqlite:///x.sqlite3"),
    ],
)
def test_postgres_urls_use_psycopg_3(given: str, used: str) -> None:
    assert engine_url(given) == used


def test_start_up_migrates_unless_switched_off(database_url: str) -> None:
    with TestClient(storage_app(database_url, db_migrate_on_start=False)):
        pass
    database = Database.from_url(database_url)
    assert "feedback" not in sa.inspect(database.engine).get_table_names()
    with TestClient(storage_app(database_url)):
        pass
    assert current_revision(database.engine) == HEAD
    database.close()


def test_cli_upgrade(database_url: str, monkeypatch: pytest.MonkeyPatch,
                     capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("DATABASE_URL", database_url)
    assert main(["db", "upgrade"]) == 0
    assert f"revision {HEAD}" in capsys.readouterr().out
    database = Database.from_url(database_url)
    assert current_revision(database.engine) == HEAD
    database.close()
