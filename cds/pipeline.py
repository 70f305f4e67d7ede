"""Wires the stages for one hook call: record -> facts -> assessments -> CDS Hooks response.

Routes and the CLI call :func:`respond`; it does no I/O and reads no clock (``today`` is passed
in), so the same request and record always give the same cards.
"""

from __future__ import annotations

from datetime import date

from cds.cdshooks import CdsResponse, HookRequest
from cds.criteria.registry import Registry
from cds.criteria.schema import ALL_HOOKS
from cds.evaluate.engine import evaluate
from cds.facts.extract import extract_facts
from cds.record.model import Record
from cds.render.cards import render_cards
from cds.settings import Settings


def respond(
    request: HookRequest, record: Record, registry: Registry, settings: Settings, *, today: date
) -> CdsResponse:
    """The CDS Hooks response for one request."""
    if request.hook not in ALL_HOOKS:
        return CdsResponse(cards=[])
    hook = request.hook
    facts = extract_facts(record, registry.codebook, today=today, context=request.context)
    results = [
        (pathway, evaluate(pathway, registry.codebook, facts, hook=hook, today=today))
        for pathway in registry.pathways
    ]
    user = request.context.get("userId")
    cards = render_cards(
        results,
        facts,
        codebook=registry.codebook,
        hook=hook,
        hook_instance=request.hook_instance,
        user_ref=user if isinstance(user, str) and user else None,
        today=today,
        disabled=settings.disabled_cards,
    )
    return CdsResponse(cards=cards)
