"""Card feedback (``POST /cds-services/{id}/feedback``) stored with SQLAlchemy Core.

One row per feedback item. ``UNIQUE(service_id, card_uuid, outcome, outcome_timestamp)`` makes a
repeated report a no-op (insert-or-ignore), because the spec lets a client send the same feedback
again (checklist §1.7 item 37).

``userComment`` is free text typed by the clinician and may name the patient or describe their
situation. It is **not stored**: only ``has_user_comment`` records that there was one. The table
exists to learn which cards help and why they are overridden; coded override reasons serve that,
and a comment store would need a retention policy and access control we do not have. A site that
wants comments adds a column and a policy together.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import (
    Boolean,
    Column,
    Connection,
    DateTime,
    Engine,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    func,
    insert,
    select,
)
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError

from cds.cdshooks import FeedbackItem
from cds.db import Database

metadata = MetaData()

# The table as migration 0001 creates it (cds/migrations/versions/0001_feedback.py).
feedback = Table(
    "feedback",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("service_id", String(100), nullable=False),
    Column("card_uuid", String(100), nullable=False),
    Column("outcome", String(20), nullable=False),
    Column("accepted_suggestions", Text, nullable=True),  # JSON list of suggestion uuids
    Column("override_reason_system", String(300), nullable=True),
    Column("override_reason_code", String(100), nullable=True),
    Column("override_reason_display", String(300), nullable=True),
    Column("has_user_comment", Boolean, nullable=False, default=False),
    Column("outcome_timestamp", String(40), nullable=False),  # normalised UTC ISO 8601
    Column("received_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint(
        "service_id", "card_uuid", "outcome", "outcome_timestamp", name="uq_feedback_report"
    ),
)


@dataclass(frozen=True, slots=True)
class FeedbackRow:
    """One stored feedback item."""

    service_id: str
    card_uuid: str
    outcome: str
    accepted_suggestions: tuple[str, ...]
    override_reason_system: str | None
    override_reason_code: str | None
    override_reason_display: str | None
    has_user_comment: bool
    outcome_timestamp: str
    received_at: datetime


class InvalidFeedback(ValueError):
    """A feedback item we cannot store; the message names the field, never its value."""


def normalise_timestamp(value: str) -> str:
    """``outcomeTimestamp`` as UTC ISO 8601, so one instant written two ways is one report.

    A timestamp without offset is taken as UTC (the spec says UTC). :class:`InvalidFeedback` if
    it is not an ISO 8601 date-time.
    """
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise InvalidFeedback("outcomeTimestamp is not an ISO 8601 date-time") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat()


def _capped(value: str | None, column: str) -> str | None:
    """``value`` if it fits its column; :class:`InvalidFeedback` naming the column otherwise."""
    length = feedback.c[column].type.length  # type: ignore[attr-defined]
    if value is not None and length is not None and len(value) > length:
        raise InvalidFeedback(f"{column} longer than {length} characters")
    return value


def _row(service_id: str, item: FeedbackItem, received_at: datetime) -> dict[str, object]:
    reason = item.override_reason.reason if item.override_reason else None
    accepted = [s.id for s in item.accepted_suggestions or ()]
    return {
        "service_id": service_id,
        "card_uuid": _capped(item.card, "card_uuid"),
        "outcome": item.outcome,
        "accepted_suggestions": json.dumps(accepted) if accepted else None,
        "override_reason_system": _capped(
            reason.system if reason else None, "override_reason_system"
        ),
        "override_reason_code": _capped(reason.code if reason else None, "override_reason_code"),
        "override_reason_display": _capped(
            reason.display if reason else None, "override_reason_display"
        ),
        "has_user_comment": bool(item.override_reason and item.override_reason.user_comment),
        "outcome_timestamp": normalise_timestamp(item.outcome_timestamp),
        "received_at": received_at,
    }


class FeedbackStore:
    """Feedback rows in one database. Methods are blocking: call them from a worker thread."""

    def __init__(self, database: Database) -> None:
        self.database = database
        self._engine = database.engine

    @classmethod
    def from_url(cls, url: str, *, migrate: bool = True) -> FeedbackStore:
        """A store for ``settings.database_url``, migrated to the newest schema unless told not."""
        store = cls(Database.from_url(url))
        if migrate:
            store.create_schema()
        return store

    @property
    def engine(self) -> Engine:
        """The engine, shared with the JWT replay store (cds/auth/replay_store.py)."""
        return self._engine

    def create_schema(self) -> None:
        """Bring the database to the newest schema (Alembic, :func:`cds.db.upgrade`)."""
        self.database.upgrade()

    def close(self) -> None:
        """Release the database connections."""
        self.database.close()

    def _locked(self) -> AbstractContextManager[None]:
        return self.database.locked()

    def add(
        self, service_id: str, items: Sequence[FeedbackItem], received_at: datetime | None = None
    ) -> int:
        """Store the items, ignoring reports already stored; returns how many rows were new.

        :class:`InvalidFeedback` if an ``outcomeTimestamp`` is not ISO 8601 or a value is longer
        than its column (checked before writing anything).
        """
        when = received_at or datetime.now(UTC)
        rows = [_row(service_id, item, when) for item in items]
        with self._locked():
            if self._engine.dialect.name in ("sqlite", "postgresql"):
                with self._engine.begin() as conn:
                    return sum(self._insert_ignore(conn, row) for row in rows)
            return sum(self._insert_or_skip(row) for row in rows)

    def _insert_ignore(self, conn: Connection, row: dict[str, object]) -> int:
        make = sqlite_insert if self._engine.dialect.name == "sqlite" else postgresql_insert
        result = conn.execute(make(feedback).values(**row).on_conflict_do_nothing())
        return result.rowcount

    def _insert_or_skip(self, row: dict[str, object]) -> int:
        # Other databases: one transaction per row, a duplicate fails on the unique constraint.
        try:
            with self._engine.begin() as conn:
                conn.execute(insert(feedback).values(**row))
        except IntegrityError:
            return 0
        return 1

    def count(self) -> int:
        """Number of stored feedback rows."""
        with self._locked(), self._engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(feedback)).scalar_one())

    def list_feedback(self) -> list[FeedbackRow]:
        """All rows, oldest first."""
        with self._locked(), self._engine.connect() as conn:
            result = conn.execute(select(feedback).order_by(feedback.c.id))
            return [
                FeedbackRow(
                    service_id=r.service_id,
                    card_uuid=r.card_uuid,
                    outcome=r.outcome,
                    accepted_suggestions=tuple(json.loads(r.accepted_suggestions or "[]")),
                    override_reason_system=r.override_reason_system,
                    override_reason_code=r.override_reason_code,
                    override_reason_display=r.override_reason_display,
                    has_user_comment=bool(r.has_user_comment),
                    outcome_timestamp=r.outcome_timestamp,
                    received_at=r.received_at,
                )
                for r in result
            ]
