"""Fixtures of the storage tests: every test runs on SQLite, and on PostgreSQL when one is given.

``CDS_TEST_POSTGRES_URL`` names an empty PostgreSQL database the tests may wipe (``.ci/run``
starts one and sets it). Without it the PostgreSQL cases skip with one reason; under CI
(``CI=true``) its absence is a failure, because CI must test both databases.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

POSTGRES_ENV = "CDS_TEST_POSTGRES_URL"
NO_POSTGRES = f"{POSTGRES_ENV} is not set: no PostgreSQL server to test (.ci/run starts one)"
TABLES = ("audit", "feedback", "jwt_replay", "alembic_version")


def postgres_url() -> str:
    """The test PostgreSQL URL; skip (fail under CI) when there is none."""
    url = os.environ.get(POSTGRES_ENV, "").strip()
    if url:
        return _worker_schema(url)
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(NO_POSTGRES)
    pytest.skip(NO_POSTGRES)


@functools.cache
def _worker_schema(url: str) -> str:
    """``url`` confined to a schema of this xdist worker's own (``gw0``, ``gw1``, ...).

    Under ``make test`` two workers run storage tests at once; each wipes its tables, so they
    must not share them. The schema is created once per worker (the test role owns the database).
    """
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not worker:
        return url
    from sqlalchemy import create_engine

    from cds.db import engine_url

    engine = create_engine(engine_url(url))
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql(f'CREATE SCHEMA IF NOT EXISTS "{worker}"')
    finally:
        engine.dispose()
    separator = "&" if "?" in url else "?"
    return f"{url}{separator}options=-csearch_path%3D{worker}"


def wipe_postgres(url: str) -> None:
    """Drop the service's tables, so each test starts from an empty database."""
    from cds.db import Database

    database = Database.from_url(url)
    try:
        with database.engine.begin() as conn:
            conn.exec_driver_sql(f"DROP TABLE IF EXISTS {', '.join(TABLES)} CASCADE")
    finally:
        database.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A URL of an empty database: a SQLite file, or the wiped PostgreSQL test database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'cds.sqlite3'}"
        return
    url = postgres_url()
    wipe_postgres(url)
    yield url
    wipe_postgres(url)
