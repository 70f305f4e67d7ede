"""The ``jti`` replay guard in the database, shared by every worker process and instance.

Table (SQLAlchemy Core, on its own :data:`REPLAY_METADATA`, so a migration can include it
without importing the feedback store)::

    jwt_replay (iss TEXT NOT NULL, jti TEXT NOT NULL,
                expires_at TIMESTAMP WITH TIME ZONE NOT NULL, PRIMARY KEY (iss, jti))

Insert-if-absent: the first insert of an ``(iss, jti)`` wins, a second one violates the primary
key and is a replay. The database decides, so two processes (or threads) using one token at the
same moment get exactly one success; nothing is checked first and written later. ``expires_at``
is when the token can no longer pass the ``exp`` check (``exp`` + leeway); expired rows are
deleted opportunistically (the row of the pair being inserted always, the whole table at most
once a minute per process), so a row is never deleted while its token could still be used.

Uses the feedback store's engine (``DATABASE_URL``: SQLite by default, PostgreSQL in production).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy import Column, DateTime, Engine, MetaData, Table, Text, delete, insert
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.pool import StaticPool

from cds.auth.replay import ReplayVerdict

logger = logging.getLogger(__name__)

REPLAY_METADATA = MetaData()

jwt_replay = Table(
    "jwt_replay",
    REPLAY_METADATA,
    Column("iss", Text, primary_key=True, nullable=False),
    Column("jti", Text, primary_key=True, nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
)

# Whole-table purge of expired rows at most this often per process: keeps the table at about
# (calls per second) x (token lifetime + leeway) rows without a delete on every call.
PURGE_EVERY_S = 60.0


def _utc(epoch_s: float) -> datetime:
    return datetime.fromtimestamp(epoch_s, UTC)


class SqlReplayStore:
    """``(iss, jti)`` pairs in the ``jwt_replay`` table. Blocking: call from a worker thread."""

    blocking = True

    def __init__(
        self,
        engine: Engine,
        *,
        purge_every_s: float = PURGE_EVERY_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if isinstance(engine.pool, StaticPool):
            # One connection shared by all threads (in-memory SQLite): concurrent transactions on
            # it would interleave. Such a database is private to one process anyway: use
            # cds.auth.replay.ReplayCache there.
            raise ValueError("SqlReplayStore needs a database with a connection pool")
        self._engine = engine
        self._purge_every_s = purge_every_s
        self._clock = clock
        self._last_purge: float | None = None
        self._purge_lock = threading.Lock()

    def create_schema(self) -> None:
        """Create the table if it does not exist (the Alembic migration creates it too)."""
        REPLAY_METADATA.create_all(self._engine)

    def add(self, iss: str, jti: str, *, forget_after: float, now: float) -> ReplayVerdict:
        """``new`` if this process's insert of the pair won, ``replay`` if the pair is stored."""
        moment = _utc(now)
        table = jwt_replay
        expired = table.c.expires_at <= moment
        if not self._purge_due():
            # A pair whose old row has expired may be used again (its token could not pass).
            expired = expired & (table.c.iss == iss) & (table.c.jti == jti)
        try:
            with self._engine.begin() as conn:
                conn.execute(delete(table).where(expired))
                conn.execute(insert(table).values(iss=iss, jti=jti, expires_at=_utc(forget_after)))
        except IntegrityError:
            return "replay"
        except SQLAlchemyError as exc:
            logger.warning("jwt replay store unavailable: %s", type(exc).__name__)
            return "unavailable"
        return "new"

    def _purge_due(self) -> bool:
        with self._purge_lock:
            now = self._clock()
            if self._last_purge is not None and now - self._last_purge < self._purge_every_s:
                return False
            self._last_purge = now
            return True
