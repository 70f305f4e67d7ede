"""``GET /metrics`` (Prometheus text format) and what feeds it from the HTTP layer.

The metrics themselves, and why their labels can hold no patient data, are in :mod:`cds.metrics`.
Here:

* :class:`HookStatusMiddleware` counts every ``POST /cds-services/{id}`` answer per service and
  HTTP status, including those refused before they are a valid hook call (401, 404, 413, 422, ...);
  an id that names no service is counted as ``unknown`` (a caller must not grow the label set);
* :func:`observe_call`, called from the one log line per call (``cds.api.hooks._Call.done``):
  the outcome, the stage timings and the cards per indicator and pathway code (the card's
  ``source.topic``; a group card counts for its lead pathway).

``/metrics`` is public like ``/healthz`` (no JWT): it holds counts only. Restrict it at the
reverse proxy if the counts themselves are sensitive in a deployment.
"""

from __future__ import annotations

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from cds.audit import STAGES, CallTrace
from cds.cdshooks import CdsResponse
from cds.metrics import CARDS, HOOK_CALLS, HOOK_REQUESTS, STAGE_SECONDS
from cds.render.format import PATHWAY_CODE_SYSTEM
from cds.services import get_service

_PREFIX = "/cds-services/"


def observe_call(
    service_id: str, outcome: str, trace: CallTrace, response: CdsResponse | None
) -> None:
    """Count one finished hook call: outcome, seconds per stage and in total, its cards."""
    HOOK_CALLS.labels(service_id, outcome).inc()
    for stage in STAGES:
        STAGE_SECONDS.labels(service_id, stage).observe(trace.ms[stage] / 1000)
    STAGE_SECONDS.labels(service_id, "total").observe(trace.total_ms / 1000)
    for card in response.cards if response is not None else ():
        topic = card.source.topic
        pathway = topic.code if topic is not None and topic.system == PATHWAY_CODE_SYSTEM else "-"
        CARDS.labels(card.indicator, pathway).inc()


def _service_label(path: str) -> str | None:
    """The service id of a hook call's path, ``unknown`` for other ids, ``None`` off the route."""
    if not path.startswith(_PREFIX):
        return None
    rest = path[len(_PREFIX) :]
    if not rest or "/" in rest:
        return None  # discovery, or the feedback route (/cds-services/{id}/feedback)
    return rest if get_service(rest) is not None else "unknown"


class HookStatusMiddleware:
    """Count the HTTP status of every hook call (pure ASGI, like cds.api.middleware)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        service = (
            _service_label(scope["path"])
            if scope["type"] == "http" and scope["method"] == "POST"
            else None
        )
        if service is None:
            await self.app(scope, receive, send)
            return
        status = 500  # an exception before the answer started: the server answers 500

        async def send_counted(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_counted)
        finally:
            HOOK_REQUESTS.labels(service, str(status)).inc()


async def metrics(_request: Request) -> Response:
    """This process's metrics in the Prometheus text format (see cds.metrics on workers)."""
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
