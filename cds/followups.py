"""The follow-up programmes' part of one hook call: each programme's plan, notices and cards.

``cds.pipeline`` calls :func:`followup_cards` after the pathways' cards are decided. For every
programme of ``criteria/oppfolging/`` (``Registry.followups``) the patient's plan is built
(``cds.evaluate.followup``), the hook's notices chosen (``cds.evaluate.followup_notices``) and
worded (``cds.render.followup_cards``). Rules for all programmes, decided here:

* **The pathway speaks first.** No follow-up card when the programme's pathway (``sarkom``)
  gives a card in this call: a lump in the scar is the pathway's business, not a reminder's.
* **Quiet next to critical.** No follow-up card next to a ``critical`` card.
* **Switchable.** ``CDS_DISABLED_CARDS=followup`` switches all of them off,
  ``followup_not_due`` only the ``order-select`` card about an imaging order that is not due.
* **One programme's failure is its own**: logged (part ``followup``, no patient data), and it
  costs only that programme's cards.

The audit row names each card's notice as ``<programme id>.<kind>`` (``sarkom-oppfolging.
control_due``) among its rules.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from datetime import date

from cds.audit import current_trace
from cds.cdshooks import Card
from cds.criteria.followup import FollowupProgramme
from cds.criteria.registry import Registry
from cds.evaluate.followup import followup_plan
from cds.evaluate.followup_model import FollowupPlan
from cds.evaluate.followup_notices import notices
from cds.facts.model import PatientFacts
from cds.hooks import HookName
from cds.logs import log_exception
from cds.render.followup_cards import followup_card

logger = logging.getLogger(__name__)

# The card type that switches off only the order-select «not due» card.
NOT_DUE_CARD = "followup_not_due"


@dataclass(frozen=True, slots=True)
class CallContext:
    """What the cards of one call need besides the plan."""

    hook: HookName
    hook_instance: str
    user_ref: str | None
    today: date
    disabled: Collection[str]


def plans(
    registry: Registry, facts: PatientFacts, today: date
) -> Iterator[tuple[FollowupProgramme, FollowupPlan]]:
    """Each programme with the patient's plan in it (programmes without one left out; a failure
    is logged and costs that programme only)."""
    for programme in registry.followups:
        try:
            plan = followup_plan(programme, registry.codebook, facts, today)
        except Exception as exc:
            _log_failure(programme, exc)
            continue
        if plan is not None:
            yield programme, plan


def followup_cards(
    registry: Registry,
    facts: PatientFacts,
    call: CallContext,
    *,
    card_pathways: Collection[str],
    critical: bool,
) -> list[Card]:
    """The follow-up cards of this call (see the module docstring)."""
    if "followup" in call.disabled or critical:
        return []
    if call.hook not in ("patient-view", "order-select"):
        return []
    trace = current_trace()
    cards: list[Card] = []
    for programme, plan in plans(registry, facts, call.today):
        if programme.pathway in card_pathways:
            continue
        try:
            chosen = notices(programme, plan, facts, registry.codebook, call.hook)
            for notice in chosen:
                if notice.kind == "order_not_due" and NOT_DUE_CARD in call.disabled:
                    continue
                cards.append(
                    followup_card(
                        programme,
                        notice,
                        hook_instance=call.hook_instance,
                        patient_ref=facts.patient_ref,
                        user_ref=call.user_ref,
                        today=call.today,
                    )
                )
                trace.fired(f"{programme.id}.{notice.kind}")
        except Exception as exc:
            _log_failure(programme, exc)
    return cards


def _log_failure(programme: FollowupProgramme, exc: Exception) -> None:
    """The programme id and the part; the exception's type and frames, never its message."""
    log_exception(logger, f"follow-up failed programme={programme.id} part=followup", exc)
