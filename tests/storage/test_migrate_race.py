"""Several processes migrating one fresh SQLite file at once (``cds serve --workers 2``).

Each worker used to run the migrations at start-up; on a fresh file two of them could both find
no ``alembic_version`` table and both insert the first revision, and one start-up died of
``UNIQUE constraint failed: alembic_version.version_num``. :func:`cds.db.upgrade` now holds a file
lock next to the database on SQLite (PostgreSQL has its advisory lock), so every process ends with
the schema at head. Two long-lived processes are started once; each round both wait at a barrier
and then upgrade a new fresh file together.
"""

from __future__ import annotations

import multiprocessing
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Barrier
from pathlib import Path

import pytest
import sqlalchemy as sa

from cds.db import Database, current_revision

HEAD = "0002"
ROUNDS = 8
PROCESSES = 2


def _migrator(tasks: Queue[str | None], results: Queue[str], barrier: Barrier) -> None:
    """In a child process: upgrade each file named on ``tasks`` together with the others."""
    for path in iter(tasks.get, None):
        barrier.wait(timeout=60)
        database = Database.from_url(f"sqlite:///{path}")
        try:
            database.upgrade()
            results.put("ok")
        except Exception as exc:  # reported to the test, which names it
            results.put(f"{type(exc).__name__}: {exc}")
        finally:
            database.close()


@pytest.mark.timing  # races processes (about 10 s of process start-ups and migrations)
def test_concurrent_upgrades_of_a_fresh_sqlite_file_all_succeed(tmp_path: Path) -> None:
    # spawn, not fork: the test process may run threads (xdist, other tests' servers).
    context = multiprocessing.get_context("spawn")
    tasks = [context.Queue() for _ in range(PROCESSES)]
    results = context.Queue()
    barrier = context.Barrier(PROCESSES)
    workers = [
        context.Process(target=_migrator, args=(queue, results, barrier), daemon=True)
        for queue in tasks
    ]
    for worker in workers:
        worker.start()
    outcomes: list[str] = []
    try:
        for round_no in range(ROUNDS):
            path = tmp_path / f"round-{round_no}.sqlite3"
            for queue in tasks:
                queue.put(str(path))
            outcomes += [results.get(timeout=120) for _ in range(PROCESSES)]
    finally:
        for queue in tasks:
            queue.put(None)
        for worker in workers:
            worker.join(timeout=30)
    assert outcomes == ["ok"] * (ROUNDS * PROCESSES), [o for o in outcomes if o != "ok"]
    for round_no in range(ROUNDS):
        database = Database.from_url(f"sqlite:///{tmp_path / f'round-{round_no}.sqlite3'}")
        try:
            assert current_revision(database.engine) == HEAD
            tables = set(sa.inspect(database.engine).get_table_names())
            assert {"feedback", "audit", "jwt_replay", "alembic_version"} <= tables
            with database.engine.connect() as conn:
                versions = conn.exec_driver_sql("SELECT version_num FROM alembic_version")
                assert [row[0] for row in versions] == [HEAD]
        finally:
            database.close()
