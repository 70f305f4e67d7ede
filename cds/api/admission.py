"""Bounded work per worker: a few pipelines at once, a bounded queue, ``503`` beyond it.

Why: one large record costs several times its JSON size in memory while facts are built, and the
pipeline is CPU work that threads of one process cannot run in parallel (the GIL). Without a
bound, 32 concurrent 10 000-resource calls held ~1 GB in one worker and all finished late
(issue 10). So each worker runs at most ``CDS_PIPELINE_CONCURRENCY`` pipelines (facts, evaluate,
render, serialisation) at once; at most ``CDS_PIPELINE_MAX_QUEUED`` calls wait for one (FIFO, an
``asyncio.Semaphore``'s queue), and a call beyond that is answered at once with
``503 Service Unavailable``, ``Retry-After`` and an ``OperationOutcome`` (``throttled``): the EHR
may call again, and the GP's workflow goes on without cards, as the spec expects of a service that
cannot answer (CDS Hooks: a CDS Client must handle a failed call gracefully).

Calls that wait for the EHR's FHIR server (gather) hold no slot: a slow EHR must not stop the
worker from answering calls that came with their prefetch. A full queue is also checked before a
call's body is read (:func:`admit`), so refused calls are not parsed first.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated

from fastapi import Depends, Request

from cds.errors import HttpError, Issue

logger = logging.getLogger(__name__)

# At most one warning a second: an overload makes hundreds of refusals a second.
_LOG_EVERY_S = 1.0


class Overloaded(HttpError):
    """503: this worker's pipeline queue is full; the client may call again after a moment."""

    status = 503

    def __init__(self, retry_after_s: int) -> None:
        super().__init__(
            [
                Issue(
                    code="throttled",
                    diagnostics="too many hook calls in progress: try again shortly",
                )
            ]
        )
        self.headers["Retry-After"] = str(retry_after_s)


class PipelineGate:
    """At most ``concurrency`` holders of a slot, at most ``max_queued`` waiting for one."""

    def __init__(self, concurrency: int, max_queued: int, retry_after_s: int) -> None:
        self._slots = asyncio.Semaphore(concurrency)
        self._max_queued = max_queued
        self._retry_after_s = retry_after_s
        self._waiting = 0
        self.refused = 0  # refusals so far (logged at most once a second)
        self._last_log = 0.0

    @property
    def full(self) -> bool:
        """Every slot taken and the queue full: a new call would be refused."""
        return self._slots.locked() and self._waiting >= self._max_queued

    def refuse_if_full(self) -> None:
        """Raise :class:`Overloaded` when a new call would have to be refused."""
        if not self.full:
            return
        self.refused += 1
        now = time.monotonic()
        if now - self._last_log >= _LOG_EVERY_S:
            logger.warning("hook calls refused: pipeline queue full (%d so far)", self.refused)
            self._last_log = now
        raise Overloaded(self._retry_after_s)

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        """Hold one pipeline slot for the block; :class:`Overloaded` if the queue is full."""
        self.refuse_if_full()
        self._waiting += 1
        try:
            await self._slots.acquire()
        finally:
            self._waiting -= 1
        try:
            yield
        finally:
            self._slots.release()


async def get_gate(request: Request) -> PipelineGate:
    """The worker's gate (``app.state.pipeline_gate``, made by ``create_app``)."""
    gate: PipelineGate = request.app.state.pipeline_gate
    return gate


GateDep = Annotated[PipelineGate, Depends(get_gate)]


async def admit(gate: GateDep) -> None:
    """Refuse a call before its body is read when the worker's queue is already full.

    Declared before the body dependency of the hook route: FastAPI solves a route's dependencies
    in the order they are declared.
    """
    gate.refuse_if_full()
