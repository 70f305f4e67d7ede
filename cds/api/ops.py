"""Operations routes: ``/healthz`` (alive), ``/readyz`` (ready for traffic), ``/metrics``.

``/healthz`` only says the process answers (a liveness probe must not fail because the database
is down: restarting the process would not help). ``/readyz`` says whether this instance can
serve: the criteria registry is loaded and the feedback database answers ``SELECT 1``; otherwise
503 with an ``OperationOutcome`` naming the failed check, so a load balancer or Kubernetes takes
the instance out of rotation until it recovers. None of them needs a JWT, and none returns
anything about a patient.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from starlette.concurrency import run_in_threadpool

from cds.api.deps import get_registry
from cds.api.metrics import metrics
from cds.errors import Issue, error_response
from cds.feedback_store import FeedbackStore
from cds.logs import log_exception
from cds.version import service_version
from cds.wirejson import JsonResponse

logger = logging.getLogger(__name__)


async def healthz() -> dict[str, str]:
    """Liveness: the process answers; and which version answers."""
    return {"status": "ok", "version": service_version()}


def _database_answers(store: FeedbackStore) -> bool:
    """``SELECT 1`` on the feedback database (blocking: run in a worker thread)."""
    try:
        with store.database.locked(), store.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        log_exception(logger, "readiness: feedback database does not answer", exc)
        return False
    return True


async def readyz(request: Request) -> JsonResponse:
    """Readiness: 200 when the registry is loaded and the database answers, else 503."""
    state = request.app.state
    issues: list[Issue] = []
    # Tests replace the registry dependency instead of loading one (cds.app lifespan).
    overridden = get_registry in request.app.dependency_overrides
    if getattr(state, "registry", None) is None and not overridden:
        issues.append(Issue(code="exception", diagnostics="criteria registry not loaded"))
    store: FeedbackStore | None = getattr(state, "store", None)
    if store is None or not await run_in_threadpool(_database_answers, store):
        issues.append(Issue(code="exception", diagnostics="feedback database does not answer"))
    if issues:
        return error_response(503, issues)
    return JsonResponse(
        {"status": "ready", "version": service_version(), "checks": ["registry", "database"]}
    )


def install_ops_routes(app: FastAPI) -> None:
    """Add ``/healthz``, ``/readyz`` and ``/metrics`` (not in the OpenAPI document)."""
    app.add_api_route("/healthz", healthz, methods=["GET"], include_in_schema=False)
    app.add_api_route("/readyz", readyz, methods=["GET"], include_in_schema=False)
    app.add_api_route("/metrics", metrics, methods=["GET"], include_in_schema=False)
