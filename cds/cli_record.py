"""The ``cds`` commands that read one patient record Bundle: ``cds evaluate`` (the cards, through
the same gather -> facts -> evaluate -> render stages as the HTTP service, for any service of the
hook, the registration proposals included) and ``cds timeline`` (the pathway clock and the
follow-up plan). Bad input raises :class:`UsageError`, which ``cds.cli`` reports with exit code 2.
"""

from __future__ import annotations

import asyncio
import json
import sys
from datetime import date
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from cds.cli_text import render_text
from cds.record.bundle import BundleError, request_from_bundle

EXIT_OK = 0


class UsageError(Exception):
    """Bad input from the user: reported on stderr with exit code 2."""


def evaluate_command(
    source: str,
    *,
    hook: str,
    today: date | None,
    fmt: str,
    explain: bool,
    service_id: str | None = None,
) -> int:
    """``cds evaluate``: one record Bundle through the service's pipeline; prints the answer."""
    bundle = _read_json(source)
    try:
        body = request_from_bundle(bundle, hook=hook)
    except BundleError as exc:
        raise UsageError(f"{source}: {exc}") from None
    # The CLI is an edge: it may read the clock.
    response = _respond(body, today or date.today(), explain=explain, service_id=service_id)
    if fmt == "json":
        print(json.dumps(response, ensure_ascii=False, indent=2))
    else:
        print(render_text(response))
        if explain:
            from cds.render.explanation import explanation_text

            print()
            print(explanation_text(response.get("extension", {})))
    return EXIT_OK


def _read_json(source: str) -> Any:
    try:
        text = sys.stdin.read() if source == "-" else Path(source).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise UsageError(f"cannot read {source}: {reason}") from None
    from cds.wirejson import json_integer  # over-long integers: see cds.wirejson.parse_json

    if not text.strip():
        raise UsageError(f"{'standard input' if source == '-' else source} is empty")
    try:
        return json.loads(text, parse_int=json_integer)
    except json.JSONDecodeError as exc:
        raise UsageError(
            f"{source} is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
        ) from None


def settings_or_usage_error() -> Any:
    from cds.settings import Settings

    try:
        return Settings()
    except ValidationError as exc:
        problems = "; ".join(str(e["msg"]) for e in exc.errors())
        raise UsageError(f"invalid settings: {problems}") from None


def _gathered(
    body: dict[str, Any], service_id: str | None = None
) -> tuple[Any, Any, Any, Any, Any]:
    """(request, record, registry, settings, service) for one request body, gathered as the
    service does (full prefetch: no FHIR server is called). The service is the hook's first
    unless ``service_id`` names another one for the same hook (the registration proposals)."""
    from cds.cdshooks import HookRequest

    try:
        request = HookRequest.model_validate(body)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise UsageError(f"the record gives no valid hook request: {problems}") from None
    settings = settings_or_usage_error()

    # Imported only now: the pipeline pulls in fhir.resources, which is slow to import.
    from cds.criteria.loader import load_registry
    from cds.record.fhirpool import make_fhir_client
    from cds.record.prefetch import gather_record
    from cds.services import SERVICES

    if service_id is not None and service_id not in {s.id for s in SERVICES}:
        known = ", ".join(s.id for s in SERVICES)
        raise UsageError(f"unknown service {service_id!r} (one of {known})")
    service = next(
        (s for s in SERVICES if s.id == service_id)
        if service_id is not None
        else (s for s in SERVICES if s.hook == request.hook)
    )
    if service.hook != request.hook:
        raise UsageError(f"service {service.id} answers {service.hook}, not {request.hook}")
    registry = load_registry(settings.criteria_dir)

    async def gather() -> Any:
        # Gather still decodes the prefetch like the service (and with the service's client, so
        # the outbound policy would hold if a server were called).
        async with make_fhir_client(settings) as client:
            return await gather_record(request, service, settings, client)

    return request, asyncio.run(gather()), registry, settings, service


def _respond(
    body: dict[str, Any], today: date, *, explain: bool = False, service_id: str | None = None
) -> dict[str, Any]:
    """The response JSON for one request body, through the same stages as the HTTP service."""
    from cds import registration
    from cds.cdshooks import dump
    from cds.pipeline import respond

    request, record, registry, settings, service = _gathered(body, service_id)
    answer = registration.respond if service.pipeline == "registration" else respond
    return dump(answer(request, record, registry, settings, today=today, explain=explain))


def timeline_command(source: str, *, today: date | None, fmt: str, pathway: str | None) -> int:
    """``cds timeline``: the pathway clock of one patient record."""
    bundle = _read_json(source)
    try:
        body = request_from_bundle(bundle, hook="patient-view")
    except BundleError as exc:
        raise UsageError(f"{source}: {exc}") from None
    request, record, registry, _, _ = _gathered(body)
    if pathway is not None and pathway not in {p.id for p in registry.pathways}:
        known = ", ".join(p.id for p in registry.pathways)
        raise UsageError(f"unknown pathway {pathway!r} (one of {known})")
    from cds.evaluate.clock import timeline
    from cds.facts.extract import extract_facts
    from cds.render.timeline import timeline_json, timeline_text

    day = today or date.today()  # the CLI is an edge: it may read the clock
    facts = extract_facts(record, registry.codebook, today=day, context=request.context)
    pairs = [
        (p, timeline(p, registry.codebook, facts, day))
        for p in registry.pathways
        if pathway is None or p.id == pathway
    ]
    from cds.followups import plans as followup_plans
    from cds.render.followup_timeline import followup_json, followup_text

    # Follow-up programmes after treatment, under the pathway that takes over at a recurrence
    # (``--pathway sarkom`` shows the sarcoma programme too); no diagnosis of one: no block.
    plans = [
        (f, plan)
        for f, plan in followup_plans(registry, facts, day)
        if pathway is None or f.pathway == pathway
    ]
    if fmt == "json":
        entries = timeline_json(pairs) + followup_json(plans, facts.patient_ref)
        print(json.dumps(entries, ensure_ascii=False, indent=2))
    else:
        print("\n\n".join(filter(None, (timeline_text(pairs), followup_text(plans)))))
    return EXIT_OK
