"""Wires the ``pakkeforlop-registrering`` service: record -> facts -> timelines -> proposals ->
cards (docs/registration.md).

The hospital-side counterpart of :mod:`cds.pipeline`, called by the same hook route (the route
picks the pipeline by the service, ``ServiceSpec.pipeline``), so prefetch and the FHIR fallback,
authentication, admission, the audit row and the bad-input answers are the route's. Like
``cds.pipeline.respond`` it does no I/O and reads no clock, and it times its stages and names on
the call's trace what decided: here the pseudo-rule id of each proposal shown
(``cds.evaluate.registration.proposal_rule``).

**One pathway's failure is its own**: each pathway's timeline, proposals and cards are built in
their own ``try``; a failing one is logged (pathway id and part, never patient data) and gets the
quiet ``failed`` card the criteria pipeline uses, the others' cards are still shown.
**Suggestions only**: nothing is registered here; each card's suggestions create a registration
when the user accepts one.
"""

from __future__ import annotations

import logging
from datetime import date
from typing import Any

from cds.audit import current_trace
from cds.cdshooks import Card, CdsResponse, HookRequest
from cds.criteria.registry import Registry
from cds.criteria.schema import Pathway
from cds.evaluate.clock import timeline
from cds.evaluate.registration import RegistrationPlan, propose
from cds.facts.extract import extract_facts
from cds.logs import log_exception
from cds.record.model import Record
from cds.render import unassessed
from cds.render.budget import CARD_TYPE_EXTENSION
from cds.render.registration import registration_cards
from cds.render.timeline import timeline_json
from cds.settings import Settings

logger = logging.getLogger(__name__)

EXPLAIN_EXTENSION = "no.pakkeforlop-cds.explain"


def respond(
    request: HookRequest,
    record: Record,
    registry: Registry,
    settings: Settings,
    *,
    today: date,
    explain: bool = False,
) -> CdsResponse:
    """The registration proposals for one ``patient-view`` call; with ``explain``, every
    started pathway's timeline as the response's ``extension`` (the cards are the same)."""
    trace = current_trace()
    with trace.stage("facts"):
        facts = extract_facts(
            record,
            registry.codebook,
            today=today,
            context=request.context,
            horizons=registry.lab_horizons,
        )
    plans: list[RegistrationPlan] = []
    failed: list[Pathway] = []
    with trace.stage("evaluate"):
        for pathway in registry.pathways:
            try:
                plans.append(
                    propose(pathway, timeline(pathway, registry.codebook, facts, today), facts)
                )
            except Exception as exc:
                _log_failure(pathway, exc, "evaluate")
                failed.append(pathway)
    user = request.context.get("userId")
    cards: list[Card] = []
    with trace.stage("render"):
        for plan in plans:
            if plan.empty:
                continue
            try:
                shown = registration_cards(
                    plan,
                    patient_ref=facts.patient_ref,
                    hook_instance=request.hook_instance,
                    user_ref=user if isinstance(user, str) and user else None,
                )
            except Exception as exc:
                _log_failure(plan.pathway, exc, "render")
                failed.append(plan.pathway)
                continue
            # A site switch (CDS_DISABLED_CARDS) leaves a card type out, as for every card.
            cards.extend(c for c in shown if _card_type(c) not in settings.disabled_cards)
            for rule in plan.rules:  # the proposals made (audit row, golden cases)
                trace.fired(rule)
        if "failed" not in settings.disabled_cards:
            cards.extend(unassessed.failed_card(p, request.hook_instance) for p in failed)
    if not explain:
        return CdsResponse(cards=cards)
    pairs = [(plan.pathway, plan.timeline) for plan in plans if plan.timeline.start is not None]
    timelines = _pruned(timeline_json(pairs))
    extension: dict[str, Any] = {EXPLAIN_EXTENSION: {"timelines": timelines or []}}
    return CdsResponse(cards=cards, extension=extension if timelines else None)


def _pruned(value: Any) -> Any:
    """``value`` without null or empty members (CDS Hooks: no null or empty values on the wire)."""
    if isinstance(value, dict):
        kept = {k: _pruned(v) for k, v in value.items()}
        return {k: v for k, v in kept.items() if v not in (None, "", [], {})}
    if isinstance(value, list):
        items = [_pruned(v) for v in value]
        return [v for v in items if v not in (None, "", [], {})]
    return value


def _card_type(card: Card) -> str:
    extension = (card.model_extra or {}).get("extension") or {}
    return str(extension.get(CARD_TYPE_EXTENSION, ""))


def _log_failure(pathway: Pathway, exc: Exception, part: str) -> None:
    """The pathway id and the failing part; the exception's type and frames, not its message."""
    log_exception(logger, f"pathway failed pathway={pathway.id} part={part}", exc)
