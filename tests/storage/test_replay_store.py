"""The ``jti`` replay guard in the database (issue 8 §2): shared by workers, atomic, expiring.

Runs on SQLite and on PostgreSQL (the ``database_url`` fixture of tests/storage/conftest.py), since
the race the guard must win is decided by each database's own primary-key check. Two
:class:`SqlReplayStore` instances, each on its own engine and connection pool as a second worker
process would have, stand for two workers; the schema comes from the Alembic migrations, as at
start-up.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import DateTime, create_engine, func, select
from sqlalchemy.pool import StaticPool

from cds.auth.replay import ReplayVerdict
from cds.auth.replay_store import REPLAY_METADATA, SqlReplayStore, jwt_replay
from cds.db import Database

ISS = "https://ehr.example.no"

Worker = Callable[..., SqlReplayStore]


@pytest.fixture
def worker(database_url: str) -> Iterator[Worker]:
    """Replay stores on ``database_url``, each with an engine of its own (a worker process)."""
    migrator = Database.from_url(database_url)
    migrator.upgrade()
    databases: list[Database] = [migrator]

    def make(**options: object) -> SqlReplayStore:
        database = Database.from_url(database_url)
        databases.append(database)
        return SqlReplayStore(database.engine, **options)  # type: ignore[arg-type]

    yield make
    for database in databases:
        database.close()


def rows(store: SqlReplayStore) -> int:
    with store._engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(jwt_replay)).scalar_one())


def test_table_is_defined_as_agreed() -> None:
    table = REPLAY_METADATA.tables["jwt_replay"]
    assert [c.name for c in table.primary_key.columns] == ["iss", "jti"]
    assert [(c.name, c.nullable) for c in table.columns] == [
        ("iss", False),
        ("jti", False),
        ("expires_at", False),
    ]
    expires_at = table.c.expires_at.type
    assert isinstance(expires_at, DateTime) and expires_at.timezone


def test_a_replay_is_refused_across_two_workers(worker: Worker) -> None:
    first, second = worker(), worker()
    assert first.add(ISS, "j-1", forget_after=1000, now=0) == "new"
    assert second.add(ISS, "j-1", forget_after=1000, now=1) == "replay"
    assert first.add(ISS, "j-1", forget_after=1000, now=2) == "replay"
    # The pair is (iss, jti): another client may use the same jti.
    assert second.add("https://other.example", "j-1", forget_after=1000, now=3) == "new"


def test_exactly_one_of_many_simultaneous_uses_succeeds(worker: Worker) -> None:
    stores = [worker(), worker()]
    threads_n = 16
    barrier = threading.Barrier(threads_n)
    verdicts: list[ReplayVerdict] = []
    lock = threading.Lock()

    def use(i: int) -> None:
        barrier.wait()
        verdict = stores[i % 2].add(ISS, "same-jti", forget_after=1000, now=0)
        with lock:
            verdicts.append(verdict)

    threads = [threading.Thread(target=use, args=(i,)) for i in range(threads_n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert Counter(verdicts) == {"new": 1, "replay": threads_n - 1}
    assert rows(stores[0]) == 1


def test_expired_rows_are_deleted_and_live_ones_kept(worker: Worker) -> None:
    clock = [0.0]
    store = worker(clock=lambda: clock[0])
    assert store.add(ISS, "short", forget_after=100, now=0) == "new"  # purges (first call)
    assert store.add(ISS, "long", forget_after=1000, now=0) == "new"
    # Past its expiry the same pair may be used again: its token could no longer pass exp.
    assert store.add(ISS, "short", forget_after=300, now=150) == "new"
    assert rows(store) == 2
    assert store.add(ISS, "other", forget_after=200, now=150) == "new"
    # A minute on, the whole table is purged of expired rows; a live row is never deleted.
    clock[0] += 61
    assert store.add(ISS, "late", forget_after=2000, now=400) == "new"
    assert rows(store) == 2  # "long" and "late"; "short" and "other" expired
    assert store.add(ISS, "long", forget_after=1000, now=400) == "replay"


def test_a_broken_database_refuses_rather_than_accepts(tmp_path: Path) -> None:
    database = Database.from_url(f"sqlite:///{tmp_path / 'no-such-folder' / 'cds.sqlite3'}")
    try:
        store = SqlReplayStore(database.engine)
        assert store.add(ISS, "j", forget_after=1000, now=0) == "unavailable"
    finally:
        database.close()


def test_an_in_memory_database_is_not_used() -> None:
    # One shared connection (StaticPool) cannot hold concurrent transactions; such a database is
    # private to the process, and the app keeps the in-process cache for it.
    with pytest.raises(ValueError, match="connection pool"):
        SqlReplayStore(create_engine("sqlite://", poolclass=StaticPool))
