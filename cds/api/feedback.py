"""``POST /cds-services/{id}/feedback``: store what the GP did with our cards.

400 not a JSON object, 408 body sent too slowly, 413 body too large, 422 not a valid feedback
body (e.g. ``accepted`` without ``acceptedSuggestions``, or an ``outcomeTimestamp`` whose UTC form
is outside years 1–9999), 404 unknown service, 503 if the database fails, otherwise 200. Repeated
reports are stored once. We do not keep a list of the cards we issued, so feedback on a card uuid
we do not know is stored like any other (the spec gives the service no way to refuse it usefully).
Logged: service, counts and outcomes; never card content, reasons or comments.
"""

from __future__ import annotations

import logging
from collections import Counter

from fastapi import APIRouter, Depends
from pydantic import ValidationError
from sqlalchemy.exc import SQLAlchemyError
from starlette.concurrency import run_in_threadpool

from cds.api.deps import JsonBodyDep, ServiceDep, StoreDep, authenticate_client
from cds.api.openapi import FeedbackAnswer, error_responses, json_body
from cds.cdshooks import FeedbackRequest
from cds.errors import InvalidRequest, Issue, StorageUnavailable, validation_issues
from cds.feedback_store import InvalidFeedback
from cds.logs import log_exception
from cds.wirejson import JsonResponse

logger = logging.getLogger(__name__)

router = APIRouter(dependencies=[Depends(authenticate_client)])


@router.post(
    "/cds-services/{service_id}/feedback",
    response_model=None,
    responses={
        200: {"model": FeedbackAnswer, "description": "Feedback received"},
        **error_responses(400, 401, 404, 408, 413, 422, 503),
    },
    openapi_extra=json_body(FeedbackRequest, "CDS Hooks §Feedback: what the user did with cards"),
)
async def post_feedback(service: ServiceDep, body: JsonBodyDep, store: StoreDep) -> JsonResponse:
    """Store the feedback items; answer how many were received and how many were new."""
    try:
        request = FeedbackRequest.model_validate(body)
    except ValidationError as exc:
        raise InvalidRequest(validation_issues(exc.errors(include_input=False))) from None
    try:
        stored = await run_in_threadpool(store.add, service.id, request.feedback)
    except InvalidFeedback as exc:
        raise InvalidRequest(
            [Issue(code="invalid", diagnostics=str(exc), expression="feedback")]
        ) from None
    except SQLAlchemyError as exc:
        log_exception(logger, "feedback not stored", exc)
        raise StorageUnavailable() from None
    outcomes = Counter(item.outcome for item in request.feedback)
    logger.info(
        "feedback service=%s items=%d new=%d outcomes=%s",
        service.id,
        len(request.feedback),
        stored,
        ",".join(f"{k}:{v}" for k, v in sorted(outcomes.items())),
    )
    return JsonResponse({"received": len(request.feedback), "stored": stored})
