"""``POST /cds-services/{id}``: validate the hook call, gather the record, respond with cards.

Status codes: 401 no valid CDS Client JWT (when required), 404 unknown service, 413 body too large,
400 not a JSON object (or nested over about 200 levels), 408 body sent too slowly, 422 not a
valid hook call (or the wrong hook for this service, ``context`` nested over 64 levels, or a
``fhirServer`` the authenticated client did not register), 412 required data unavailable,
otherwise 200. Problems on our side (a bug in gather or the pipeline) are logged and answered
``200 {"cards": []}``: the GP's workflow must not break because decision support did (checklist
§1.8 item 42).

One log line per call: hookInstance, service, outcome, card indicators, timings per phase.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from typing import Any

from fastapi import APIRouter, Depends
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from cds.api.deps import (
    CallerDep,
    ClockDep,
    HttpClientDep,
    JsonBodyDep,
    RegistryDep,
    ResponderDep,
    ServiceDep,
    SettingsDep,
    authenticate_client,
)
from cds.api.openapi import error_responses, json_body
from cds.cdshooks import CdsResponse, HookRequest, dump
from cds.client_auth import check_fhir_server
from cds.errors import DataUnavailable, InvalidRequest, Issue, validation_issues
from cds.logs import bound_hook_instance, log_exception, safe_id
from cds.record.prefetch import gather_record
from cds.services import ServiceSpec
from cds.wirejson import JsonResponse, nesting_exceeds

logger = logging.getLogger(__name__)

router = APIRouter(dependencies=[Depends(authenticate_client)])

NO_CARDS: dict[str, Any] = {"cards": []}


# Levels of objects/arrays allowed in ``context``. FHIR resources nest about ten levels; the
# draft orders are copied and merged into our suggestions by recursive code, and a draft nested
# ~900 levels deep made that raise (the answer was silently empty).
CONTEXT_MAX_DEPTH = 64


def parse_hook_request(body: dict[str, Any], service: ServiceSpec) -> HookRequest:
    """The validated hook call for ``service``; :class:`InvalidRequest` (422) listing problems."""
    if nesting_exceeds(body.get("context"), CONTEXT_MAX_DEPTH):
        raise InvalidRequest(
            [
                Issue(
                    code="too-costly",
                    diagnostics=f"context nests deeper than {CONTEXT_MAX_DEPTH} levels",
                    expression="context",
                )
            ]
        )
    try:
        request = HookRequest.model_validate(body)
    except ValidationError as exc:
        raise InvalidRequest(validation_issues(exc.errors(include_input=False))) from None
    problems: list[Issue] = []
    if request.hook != service.hook:
        problems.append(
            Issue(
                code="invalid",
                diagnostics=f"hook does not match this service, which answers {service.hook!r}",
                expression="hook",
            )
        )
    if service.is_order_hook:
        problems += _order_context_problems(request.context)
    if problems:
        raise InvalidRequest(problems)
    return request


def _order_context_problems(context: dict[str, Any]) -> list[Issue]:
    """``draftOrders`` must be a Bundle and ``selections`` a list of strings, when present."""
    problems = []
    if "draftOrders" in context:
        draft = context["draftOrders"]
        entries = draft.get("entry", []) if isinstance(draft, dict) else None
        if (
            not isinstance(draft, dict)
            or draft.get("resourceType") != "Bundle"
            or not isinstance(entries, list)
            or not all(isinstance(entry, dict) for entry in entries)
        ):
            problems.append(
                Issue(
                    code="structure",
                    diagnostics="context.draftOrders must be a FHIR Bundle",
                    expression="context.draftOrders",
                )
            )
    if "selections" in context:
        selections = context["selections"]
        if not isinstance(selections, list) or not all(isinstance(s, str) for s in selections):
            problems.append(
                Issue(
                    code="structure",
                    diagnostics="context.selections must be a list of references (strings)",
                    expression="context.selections",
                )
            )
    return problems


@router.post(
    "/cds-services/{service_id}",
    response_model=None,
    responses={
        200: {"model": CdsResponse, "description": "Cards (CDS Hooks §CDS Service Response)"},
        **error_responses(400, 401, 404, 408, 412, 413, 422),
    },
    openapi_extra=json_body(HookRequest, "A CDS Hooks 2.0 request for this service's hook"),
)
async def call_service(
    service: ServiceDep,
    body: JsonBodyDep,
    settings: SettingsDep,
    registry: RegistryDep,
    today: ClockDep,
    client: HttpClientDep,
    respond: ResponderDep,
    caller: CallerDep,
) -> JsonResponse:
    """Answer one hook call with cards (see the module docstring for status codes)."""
    timings = _Timings()
    request = parse_hook_request(body, service)
    check_fhir_server(caller, request.fhir_server)
    with bound_hook_instance(request.hook_instance):
        timings.start("gather")
        try:
            record = await gather_record(request, service, settings, client)
        except DataUnavailable as exc:
            _log_call(request, service, "precondition-failed", timings, missing=exc.keys)
            raise
        except Exception as exc:
            log_exception(logger, "gather failed", exc)
            _log_call(request, service, "error-gather", timings)
            return JsonResponse(NO_CARDS)
        timings.start("evaluate")
        try:
            response: CdsResponse = await run_in_threadpool(
                respond, request, record, registry, settings, today=today
            )
            content = dump(response)
        except Exception as exc:
            log_exception(logger, "pipeline failed", exc)
            _log_call(request, service, "error-pipeline", timings, missing=record.missing)
            return JsonResponse(NO_CARDS)
        _log_call(request, service, "ok", timings, missing=record.missing, response=response)
        return JsonResponse(content)


class _Timings:
    """Milliseconds per phase; ``total`` runs from the start of the route."""

    def __init__(self) -> None:
        self.started = time.perf_counter()
        self._phase: tuple[str, float] | None = None
        self.ms: dict[str, float] = {"gather": 0.0, "evaluate": 0.0}

    def start(self, phase: str) -> None:
        """End the running phase, if any, and start ``phase``."""
        self.stop()
        self._phase = (phase, time.perf_counter())

    def stop(self) -> None:
        if self._phase is not None:
            name, since = self._phase
            self.ms[name] = (time.perf_counter() - since) * 1000
            self._phase = None

    @property
    def total_ms(self) -> float:
        return (time.perf_counter() - self.started) * 1000


def _log_call(
    request: HookRequest,
    service: ServiceSpec,
    outcome: str,
    timings: _Timings,
    *,
    missing: tuple[str, ...] = (),
    response: CdsResponse | None = None,
) -> None:
    """The one log line per hook call. Only ids we mint or the client's hookInstance, no content."""
    timings.stop()
    cards = response.cards if response is not None else []
    indicators = Counter(card.indicator for card in cards)
    logger.info(
        "hook_call hookInstance=%s service=%s outcome=%s cards=%d indicators=%s missing=%s "
        "gather_ms=%.1f evaluate_ms=%.1f total_ms=%.1f",
        safe_id(request.hook_instance),
        service.id,
        outcome,
        len(cards),
        ",".join(f"{k}:{v}" for k, v in sorted(indicators.items())) or "-",
        ",".join(missing) or "-",
        timings.ms["gather"],
        timings.ms["evaluate"],
        timings.total_ms,
    )
