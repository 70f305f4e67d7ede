"""``POST /cds-services/{id}``: validate the hook call, gather the record, respond with cards.

Status codes: 401 no valid CDS Client JWT (when required), 404 unknown service, 413 body too large,
400 not a JSON object (or nested over about 200 levels), 408 body sent too slowly, 422 not a
valid hook call (or the wrong hook for this service, ``context`` nested over 64 levels, or a
``fhirServer`` the authenticated client did not register), 412 required data unavailable, 503
with ``Retry-After`` when this worker's pipeline queue is full (:mod:`cds.api.admission`),
otherwise 200. Problems on our side (a bug in gather or the pipeline) are logged and answered
``200 {"cards": []}``: the GP's workflow must not break because decision support did (checklist
§1.8 item 42).

One log line and one audit row (cds.audit, written after the answer) per valid hook call:
hookInstance, service, outcome, card indicators, timings per stage (gather, facts, evaluate,
render, total).
"""

from __future__ import annotations

import logging
from collections import Counter
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from cds.api.admission import GateDep, Overloaded, admit
from cds.api.deps import (
    AuditDep,
    CallerDep,
    ClockDep,
    FhirClientDep,
    JsonBodyDep,
    RegistryDep,
    ResponderDep,
    ServiceDep,
    SettingsDep,
    authenticate_client,
)
from cds.api.metrics import observe_call
from cds.api.openapi import error_responses, json_body
from cds.audit import AuditRecord, AuditWriter, CallTrace, traced
from cds.auth.clients import AuthenticatedClient
from cds.auth.fhir_servers import check_fhir_server
from cds.cdshooks import CdsResponse, HookRequest, dump
from cds.errors import DataUnavailable, InvalidRequest, Issue, validation_issues
from cds.logs import bound_hook_instance, log_exception, safe_id
from cds.record.prefetch import gather_record
from cds.services import ServiceSpec
from cds.wirejson import JsonResponse

logger = logging.getLogger(__name__)

router = APIRouter(dependencies=[Depends(authenticate_client)])

NO_CARDS: dict[str, Any] = {"cards": []}


def parse_hook_request(body: dict[str, Any], service: ServiceSpec) -> HookRequest:
    """The validated hook call for ``service``; :class:`InvalidRequest` (422) listing problems.

    What a hook call must be is checked by :class:`~cds.cdshooks.HookRequest` (the context's
    depth before anything walks it, the order hooks' ``draftOrders`` and ``selections``), so the
    CLI gets the same checks; here only what needs the route: the service's hook.
    """
    try:
        request = HookRequest.model_validate(body)
    except ValidationError as exc:
        raise InvalidRequest(validation_issues(exc.errors(include_input=False))) from None
    if request.hook != service.hook:
        raise InvalidRequest(
            [
                Issue(
                    code="invalid",
                    diagnostics=f"hook does not match this service, which answers {service.hook!r}",
                    expression="hook",
                )
            ]
        )
    return request


@router.post(
    "/cds-services/{service_id}",
    response_model=None,
    responses={
        200: {"model": CdsResponse, "description": "Cards (CDS Hooks §CDS Service Response)"},
        **error_responses(400, 401, 404, 408, 412, 413, 422, 503),
    },
    openapi_extra=json_body(HookRequest, "A CDS Hooks 2.0 request for this service's hook"),
)
async def call_service(
    # First: a full queue refuses the call before its body is read (cds.api.admission).
    _admitted: Annotated[None, Depends(admit)],
    gate: GateDep,
    service: ServiceDep,
    body: JsonBodyDep,
    settings: SettingsDep,
    registry: RegistryDep,
    today: ClockDep,
    client: FhirClientDep,
    respond: ResponderDep,
    caller: CallerDep,
    audit_log: AuditDep,
    explain: Annotated[
        bool,
        Query(
            description="Add the explanation of every pathway as the response's `extension` "
            "`no.pakkeforlop-cds.explain` (README «Explain»); the cards are the same."
        ),
    ] = False,
) -> JsonResponse:
    """Answer one hook call with cards (see the module docstring for status codes)."""
    trace = CallTrace()
    request = parse_hook_request(body, service)
    check_fhir_server(caller, request.fhir_server)
    call = _Call(request, service, caller, trace, audit_log)
    with bound_hook_instance(request.hook_instance), traced(trace):
        try:
            with trace.stage("gather"):
                record = await gather_record(request, service, settings, client)
        except DataUnavailable as exc:
            call.done("precondition-failed", missing=exc.keys)
            raise
        except Exception as exc:
            log_exception(logger, "gather failed", exc)
            call.done("error-gather")
            return JsonResponse(NO_CARDS)
        try:
            async with gate.slot():
                # facts, evaluate and render time themselves (cds.pipeline, on the bound trace)
                # Only asked for: the explanation costs about as much again as the cards.
                extra = {"explain": True} if explain else {}
                response: CdsResponse = await run_in_threadpool(
                    respond, request, record, registry, settings, today=today, **extra
                )
                content = dump(response)
        except Overloaded:
            call.done("overloaded", missing=record.missing)
            raise
        except Exception as exc:
            log_exception(logger, "pipeline failed", exc)
            call.done("error-pipeline", missing=record.missing)
            return JsonResponse(NO_CARDS)
        call.done("ok", missing=record.missing, response=response)
        return JsonResponse(content)


class _Call:
    """What the log line and the audit row of one call need, and :meth:`done` to emit both."""

    def __init__(
        self,
        request: HookRequest,
        service: ServiceSpec,
        caller: AuthenticatedClient | None,
        trace: CallTrace,
        audit_log: AuditWriter,
    ) -> None:
        self.request, self.service, self.caller = request, service, caller
        self.trace, self.audit_log = trace, audit_log

    def done(
        self,
        outcome: str,
        *,
        missing: tuple[str, ...] = (),
        response: CdsResponse | None = None,
    ) -> None:
        """The one log line per hook call, and its audit row queued for the writer.

        Only ids we mint or the client's hookInstance, never content. Queuing does no I/O: the
        writer thread stores the row after the answer (cds.audit).
        """
        trace = self.trace
        indicators = [card.indicator for card in response.cards] if response is not None else []
        counts = Counter(indicators)
        logger.info(
            "hook_call hookInstance=%s service=%s outcome=%s cards=%d indicators=%s missing=%s "
            "gather_ms=%.1f facts_ms=%.1f evaluate_ms=%.1f render_ms=%.1f total_ms=%.1f",
            safe_id(self.request.hook_instance),
            self.service.id,
            outcome,
            len(indicators),
            ",".join(f"{k}:{v}" for k, v in sorted(counts.items())) or "-",
            ",".join(missing) or "-",
            trace.ms["gather"],
            trace.ms["facts"],
            trace.ms["evaluate"],
            trace.ms["render"],
            trace.total_ms,
        )
        observe_call(self.service.id, outcome, trace, response)  # /metrics (cds.api.metrics)
        self.audit_log.submit(
            AuditRecord.of_call(
                hook_instance=self.request.hook_instance,
                service_id=self.service.id,
                hook=self.request.hook,
                client_iss=self.caller.iss if self.caller is not None else None,
                outcome=outcome,
                indicators=indicators,
                missing=missing,
                trace=trace,
            )
        )
