"""The audit log: one row per hook call, written by a background thread after the answer.

**What a row holds.** hookInstance (the client's id of this call, a UUID, made log-safe), service
id and hook, the authenticated client's ``iss`` (``None`` when ``CDS_AUTH_REQUIRED`` is off), the
outcome (``ok``, ``precondition-failed``, ``error-gather``, ``error-pipeline``), the number of
cards and of each indicator, the ids of the rules that decided, the prefetch keys that
were missing, and milliseconds per stage: gather, facts, evaluate, render, total. **Never**
patient identifiers, names, free text, card text or tokens: nothing in a row comes from the
record, and the only client-supplied value is the hookInstance. Calls refused before they are a
valid hook call (401, 404, 413, 400, 422) have no row: they have no hookInstance to file under;
the access log covers them.

**Not slowing the answer.** The route only puts the row on a bounded queue
(:meth:`AuditWriter.submit`, no I/O, no lock held while waiting). One writer thread takes what
has accumulated, up to ``batch_size`` rows, and inserts it in one transaction; under load the
batches grow, idle it writes each row within milliseconds. At shutdown (the app's lifespan) the
writer drains the queue before the process exits.

**What can be lost, said plainly.** A full queue (``CDS_AUDIT_QUEUE_SIZE`` rows waiting, i.e. the
database is down or far slower than the traffic) drops the new row: the drop is counted
(:attr:`AuditWriter.dropped`) and logged (the first, then every 100th), and the answer is not
delayed. A failed insert (database down) loses that batch, also counted and logged. A SIGKILL or
power loss loses the rows still in the queue: the calls answered in the moment before the kill
(the writer's lag, milliseconds when idle). Feedback is different: it is written before its
answer, so an acknowledged feedback is stored. ``tests/storage/test_kill.py`` proves both claims
against a real server killed with SIGKILL.

**Retention.** ``CDS_AUDIT_RETENTION_DAYS`` (default 90; 0 keeps rows for ever): the writer
deletes older rows at start and then hourly; ``cds db prune-audit --older-than N`` does it by hand.
"""

from __future__ import annotations

import json
import logging
import queue
import threading
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    delete,
    insert,
)
from sqlalchemy.exc import SQLAlchemyError

from cds.db import Database
from cds.logs import log_exception, safe_id

logger = logging.getLogger(__name__)

# The table as migration 0002 creates it (cds/migrations/versions); Core only, no create_all.
audit = Table(
    "audit",
    MetaData(),
    Column("id", BigInteger().with_variant(Integer(), "sqlite"), primary_key=True),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
    Column("hook_instance", String(64), nullable=False),
    Column("service_id", String(100), nullable=False),
    Column("hook", String(40), nullable=False),
    Column("client_iss", String(300), nullable=True),
    Column("outcome", String(40), nullable=False),
    Column("card_count", Integer, nullable=False),
    Column("cards_critical", Integer, nullable=False),
    Column("cards_warning", Integer, nullable=False),
    Column("cards_info", Integer, nullable=False),
    Column("rules", Text, nullable=True),  # JSON list of rule ids
    Column("missing", Text, nullable=True),  # JSON list of prefetch keys
    Column("gather_ms", Float, nullable=False),
    Column("facts_ms", Float, nullable=False),
    Column("evaluate_ms", Float, nullable=False),
    Column("render_ms", Float, nullable=False),
    Column("total_ms", Float, nullable=False),
)

STAGES = ("gather", "facts", "evaluate", "render")


class CallTrace:
    """Milliseconds per stage of one hook call and the rules that decided; ``total`` from start.

    The route makes one and binds it (:func:`traced`); :mod:`cds.pipeline` adds its stages to
    the bound trace, which reaches the worker thread with the context (``run_in_threadpool``
    copies it). Reading ``perf_counter`` is the only clock: it decides nothing.
    """

    def __init__(self) -> None:
        self.started = time.perf_counter()
        self.ms: dict[str, float] = dict.fromkeys(STAGES, 0.0)
        self.rules: list[str] = []

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        """Add the block's duration to stage ``name``."""
        since = time.perf_counter()
        try:
            yield
        finally:
            self.ms[name] = self.ms.get(name, 0.0) + (time.perf_counter() - since) * 1000

    def fired(self, rule: str | None) -> None:
        """Record that ``rule`` (its id names its pathway) decided a pathway's outcome."""
        if rule is not None:
            self.rules.append(rule)

    @property
    def total_ms(self) -> float:
        return (time.perf_counter() - self.started) * 1000


_current: ContextVar[CallTrace | None] = ContextVar("cds_call_trace", default=None)


@contextmanager
def traced(trace: CallTrace) -> Iterator[CallTrace]:
    """Within the block, :func:`current_trace` is ``trace``."""
    token = _current.set(trace)
    try:
        yield trace
    finally:
        _current.reset(token)


def current_trace() -> CallTrace:
    """The bound trace, or a throw-away one (the CLI, tests calling the pipeline directly)."""
    trace = _current.get()
    return trace if trace is not None else CallTrace()


@dataclass(frozen=True, slots=True)
class AuditRecord:
    """One row of the audit table (see the module docstring for what may go in)."""

    hook_instance: str
    service_id: str
    hook: str
    client_iss: str | None
    outcome: str
    card_count: int
    cards_critical: int
    cards_warning: int
    cards_info: int
    rules: tuple[str, ...]
    missing: tuple[str, ...]
    gather_ms: float
    facts_ms: float
    evaluate_ms: float
    render_ms: float
    total_ms: float
    recorded_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    @classmethod
    def of_call(
        cls,
        *,
        hook_instance: str,
        service_id: str,
        hook: str,
        client_iss: str | None,
        outcome: str,
        indicators: Sequence[str],
        missing: Sequence[str],
        trace: CallTrace,
    ) -> AuditRecord:
        """The row for a finished call; ``indicators``: one per card."""
        counts = Counter(indicators)
        return cls(
            hook_instance=safe_id(hook_instance),
            service_id=service_id,
            hook=hook[:40],
            client_iss=client_iss[:300] if client_iss is not None else None,
            outcome=outcome,
            card_count=len(indicators),
            cards_critical=counts["critical"],
            cards_warning=counts["warning"],
            cards_info=counts["info"],
            rules=tuple(trace.rules),
            missing=tuple(missing),
            gather_ms=round(trace.ms["gather"], 3),
            facts_ms=round(trace.ms["facts"], 3),
            evaluate_ms=round(trace.ms["evaluate"], 3),
            render_ms=round(trace.ms["render"], 3),
            total_ms=round(trace.total_ms, 3),
        )

    def row(self) -> dict[str, object]:
        """The values to insert."""
        values = asdict(self)
        values["rules"] = json.dumps(list(self.rules)) if self.rules else None
        values["missing"] = json.dumps(list(self.missing)) if self.missing else None
        return values


def prune(database: Database, older_than_days: int, *, now: datetime | None = None) -> int:
    """Delete audit rows recorded more than ``older_than_days`` days ago; how many went."""
    if older_than_days < 0:
        raise ValueError("older_than_days must not be negative")
    cutoff = (now or datetime.now(UTC)) - timedelta(days=older_than_days)
    with database.locked(), database.engine.begin() as conn:
        return conn.execute(delete(audit).where(audit.c.recorded_at < cutoff)).rowcount


class AuditWriter:
    """The background writer: a bounded queue, one daemon thread, batched inserts.

    ``submit`` never blocks. ``start``/``stop`` belong to the app's lifespan; ``stop`` drains
    the queue (waiting at most ``drain_timeout_s``) so a normal shutdown loses nothing.
    """

    def __init__(
        self,
        database: Database,
        *,
        queue_size: int = 10_000,
        batch_size: int = 500,
        linger_s: float = 0.05,
        retention_days: int = 0,
        prune_every_s: float = 3600.0,
    ) -> None:
        self._database = database
        # ``None`` is the wake-up ``stop`` puts in, so shutdown does not wait out the poll.
        self._queue: queue.Queue[AuditRecord | None] = queue.Queue(maxsize=queue_size)
        self._batch_size = batch_size
        # After the first row, more are waited for this long: each commit is an fsync
        # (synchronous=FULL), one per hook call cost ~7 % of a busy worker (issue 10 profile).
        self._linger_s = linger_s
        self._retention_days = retention_days
        self._prune_every_s = prune_every_s
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._counts_lock = threading.Lock()
        self.dropped = 0  # rows refused because the queue was full
        self.failed = 0  # rows lost because their insert failed
        self.written = 0

    def start(self) -> None:
        """Start the writer thread."""
        self._thread = threading.Thread(target=self._run, name="cds-audit-writer", daemon=True)
        self._thread.start()

    def submit(self, record: AuditRecord) -> bool:
        """Queue ``record`` for writing; ``False`` (counted, logged) when the queue is full."""
        try:
            self._queue.put_nowait(record)
        except queue.Full:
            with self._counts_lock:
                self.dropped += 1
                dropped = self.dropped
            if dropped == 1 or dropped % 100 == 0:
                logger.warning("audit queue full: %d audit rows dropped so far", dropped)
            return False
        return True

    def stop(self, drain_timeout_s: float = 10.0) -> None:
        """Write what is queued, then end the thread."""
        self._stopping.set()
        try:
            self._queue.put_nowait(None)  # wake a writer waiting for its first row
        except queue.Full:
            pass  # a full queue: the writer is busy, not waiting
        if self._thread is not None:
            self._thread.join(drain_timeout_s)
            if self._thread.is_alive():
                logger.warning("audit writer did not drain in %.0f s", drain_timeout_s)
            self._thread = None
        if self.dropped or self.failed:
            logger.warning("audit rows lost: dropped=%d failed=%d", self.dropped, self.failed)

    def _run(self) -> None:
        next_prune = time.monotonic()
        while True:
            if self._retention_days and time.monotonic() >= next_prune:
                next_prune = time.monotonic() + self._prune_every_s
                self._prune()
            batch = self._take()
            if batch:
                self._write(batch)
            elif self._stopping.is_set():
                return

    def _take(self) -> list[AuditRecord]:
        """What has accumulated (up to a batch), waiting up to 0.2 s for the first row and then
        up to ``linger_s`` for more, so that a busy worker commits once for many calls.

        Once stopping, it does not wait: the queue is drained and then the thread ends.
        """
        try:
            first = self._queue.get(block=not self._stopping.is_set(), timeout=0.2)
        except queue.Empty:
            return []
        if first is None:
            return []
        batch = [first]
        deadline = time.monotonic() + self._linger_s
        while len(batch) < self._batch_size:
            wait = deadline - time.monotonic()
            try:
                if wait > 0 and not self._stopping.is_set():
                    record = self._queue.get(timeout=wait)
                else:
                    record = self._queue.get_nowait()
            except queue.Empty:
                break
            if record is None:  # stop's wake-up: write what there is, then drain
                break
            batch.append(record)
        return batch

    def _write(self, batch: list[AuditRecord]) -> None:
        try:
            with self._database.locked(), self._database.engine.begin() as conn:
                conn.execute(insert(audit), [record.row() for record in batch])
        except SQLAlchemyError as exc:
            self.failed += len(batch)
            log_exception(logger, f"audit batch of {len(batch)} rows not written", exc)
            return
        self.written += len(batch)

    def _prune(self) -> None:
        try:
            deleted = prune(self._database, self._retention_days)
        except SQLAlchemyError as exc:
            log_exception(logger, "audit retention: prune failed", exc)
            return
        if deleted:
            days = self._retention_days
            logger.info("audit retention: %d rows older than %d days deleted", deleted, days)
