"""The one database of the service (feedback, audit, JWT replay cache): engine and migrations.

``DATABASE_URL`` (or ``CDS_DATABASE_URL``) names it; the embedded default is a SQLite file. A
``postgresql://`` or ``postgres://`` URL, as hosting platforms hand them out, is driven by
psycopg 3 (``postgresql+psycopg://``); a URL that already names a driver is left as it is.

SQLite connections are opened in WAL mode (``PRAGMA journal_mode=WAL`` on every connect):
readers do not block the audit writer's thread nor the other way round, and a commit is one
append to the log. ``synchronous=FULL`` makes a committed transaction survive a power loss, not
only a killed process; ``busy_timeout`` lets the request threads and the audit writer wait for
each other instead of failing with «database is locked».

The schema belongs to Alembic (``cds/migrations``): :func:`upgrade` brings a database to the
newest revision, at start-up (``CDS_DB_MIGRATE_ON_START``, on by default) or by
``cds db upgrade``. The first revision creates only what is missing, so a feedback file that
an older version made with ``create_all`` upgrades in place. Several processes starting together
(``cds serve --workers N``, replicas) migrate one at a time: on PostgreSQL the upgrade holds a
transaction-level advisory lock; on a SQLite file an exclusive ``flock`` on
``<database file>.migrate.lock`` (SQLite's own locking does not cover it: Python's sqlite3 runs
``CREATE TABLE`` outside a transaction, so two processes could both find no ``alembic_version``
and both insert the first revision). ``cds serve`` also migrates once in the parent process
before its workers start (cds/cli.py).
"""

from __future__ import annotations

import fcntl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.pool import StaticPool

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
# Milliseconds a SQLite connection waits for another one's write lock.
_SQLITE_BUSY_TIMEOUT_MS = 5000


def engine_url(url: str) -> str:
    """``url`` with psycopg 3 as the PostgreSQL driver unless the URL names one."""
    for plain in ("postgres://", "postgresql://"):
        if url.startswith(plain):
            return "postgresql+psycopg://" + url[len(plain) :]
    return url


def _in_memory(url: str) -> bool:
    return url in ("sqlite://", "sqlite:///:memory:") or "mode=memory" in url


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")  # in memory SQLite answers "memory": fine
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute(f"PRAGMA busy_timeout={_SQLITE_BUSY_TIMEOUT_MS}")
    finally:
        cursor.close()


class Database:
    """An engine, and the lock that an in-memory SQLite database's single connection needs."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        # An in-memory SQLite database is one connection shared by all threads (StaticPool);
        # sqlite3 connections must not be used by two threads at once.
        self._lock = threading.Lock() if isinstance(engine.pool, StaticPool) else None

    @classmethod
    def from_url(cls, url: str) -> Database:
        """An engine for ``url`` (see the module docstring); no schema change."""
        url = engine_url(url)
        options: dict[str, Any] = {}
        if url.startswith("sqlite"):
            # Requests and the audit writer use the engine from worker threads; sqlite3 would
            # refuse a connection that another thread opened.
            options["connect_args"] = {"check_same_thread": False}
            if _in_memory(url):
                # In memory, every new connection would be a new, empty database.
                options["poolclass"] = StaticPool
        else:
            options["pool_pre_ping"] = True
        engine = create_engine(url, **options)
        if engine.dialect.name == "sqlite":
            event.listen(engine, "connect", _sqlite_pragmas)
        return cls(engine)

    @property
    def dialect(self) -> str:
        """``sqlite``, ``postgresql``, ..."""
        return self.engine.dialect.name

    @contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the in-memory database's lock (no-op for a file or a server)."""
        if self._lock is None:
            yield
            return
        with self._lock:
            yield

    def upgrade(self, revision: str = "head") -> None:
        """Migrate the database to ``revision`` (Alembic)."""
        with self.locked():
            upgrade(self.engine, revision)

    def close(self) -> None:
        """Release the connections."""
        self.engine.dispose()


def alembic_config(engine: Engine | None = None) -> Any:
    """An Alembic ``Config`` for ``cds/migrations``; ``env.py`` takes the connection from it."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["engine"] = engine
    return config


@contextmanager
def _sqlite_file_lock(engine: Engine) -> Iterator[None]:
    """Hold ``<database file>.migrate.lock`` exclusively (no-op off SQLite files)."""
    path = engine.url.database if engine.dialect.name == "sqlite" else None
    if not path or _in_memory(str(engine.url)) or path.startswith("file:"):
        # A server has its own lock; an in-memory database belongs to one process. A "file:"
        # URI (uri=true) is rare enough to be left to SQLite.
        yield
        return
    with open(f"{path}.migrate.lock", "a", encoding="utf-8") as lock_file:
        # Blocks until the process migrating now is done; the lock goes with the file's close
        # (or the process's death), so a killed migration never leaves it held.
        fcntl.flock(lock_file.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock_file.fileno(), fcntl.LOCK_UN)


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Run the migrations up to ``revision`` on ``engine``, in one transaction.

    One process at a time per database (module docstring): the others wait, then find the
    schema at ``revision`` and change nothing.
    """
    from alembic import command

    config = alembic_config(engine)
    with _sqlite_file_lock(engine), engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            # Several workers may start at once: one migrates, the others wait and find it done.
            connection.exec_driver_sql("SELECT pg_advisory_xact_lock(724311)")
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at (``None``: never migrated)."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()
