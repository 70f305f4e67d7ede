"""Card suggestions: lab and imaging orders for missing filter tests, the pathway referral
(update of the GP's draft or create, one per receiver), and the stop_order card's delete and
replace actions. A suggestion that fails validation is logged and left out (cards.py).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from cds.cdshooks import Action, Suggestion
from cds.render.call import CardCall
from cds.render.format import (
    lower_first,
    md,
    one_line,
)
from cds.render.lab_orders import build_orders, is_imaging
from cds.render.referral import ReferralBasis, RenderError, build_referral, referral_basis

logger = logging.getLogger(__name__)


def filter_test_orders(call: CardCall) -> list[dict[str, Any]]:
    """Draft orders for the missing/stale filter tests ([] if none)."""
    return build_orders(
        call.decision,
        call.facts,
        hook_instance=call.hook_instance,
        requester=call.user_ref,
        today=call.today,
    )


def orders_suggestion(
    call: CardCall, orders: list[dict[str, Any]], *, recommended: bool
) -> Suggestion:
    imaging = [o for o in orders if is_imaging(o)]
    if len(orders) == 1 and imaging:
        label = f"Bestill {lower_first(orders[0]['code']['text'])}"
    elif imaging and len(imaging) == len(orders):
        label = "Bestill manglende undersøkelser"
    elif imaging:
        label = "Bestill manglende prøver og undersøkelser"
    else:
        label = "Bestill manglende prøver"
    actions = [
        Action(
            type="create",
            resource=order,
            # Lab descriptions keep the test's own capitals (golden-tested wording); an
            # examination reads as a phrase («Bestill røntgen av skjelettet»).
            description=(
                f"Bestill {lower_first(order['code']['text'])} (utkast til rekvisisjon, "
                "bildediagnostikk)"
                if is_imaging(order)
                else f"Bestill {order['code']['text']} (utkast til rekvisisjon)"
            ),
        )
        for order in orders
    ]
    return Suggestion(
        label=label,
        uuid=call.id(f"suggestion:{call.assessment.outcome}:lab-orders"),
        is_recommended=recommended,
        actions=actions,
    )


def referral_suggestions(call: CardCall, receivers: Sequence[str]) -> list[Suggestion]:
    """One referral suggestion, or one per receiver (the patient's region first).

    The first receiver is recommended only when the address gave a region (or it is the only
    one): without a region the service has no ground to prefer a centre.
    """
    if not receivers:
        suggestion = referral_suggestion(call, acute=False)
        return [suggestion] if suggestion is not None else []
    recommend = call.assessment.region is not None or len(receivers) == 1
    out = []
    for i, receiver in enumerate(receivers):
        suggestion = referral_suggestion(
            call,
            acute=False,
            receiver=receiver,
            variant=None if i == 0 else receiver,
            recommended=recommend and i == 0,
        )
        if suggestion is not None:
            out.append(suggestion)
    return out


def referral_suggestion(
    call: CardCall,
    *,
    acute: bool,
    receiver: str | None = None,
    variant: str | None = None,
    recommended: bool = True,
) -> Suggestion | None:
    """The referral suggestion: update the GP's draft when we have it, else create one.

    ``variant`` (an alternative receiver) makes the suggestion's and resource's ids differ from
    the first one's. None only if the referral we built fails validation (a bug, logged).
    """
    action = _referral_action(call, receiver=receiver, variant=variant)
    if action is None:
        return None
    label = call.pathway.referral.label
    target = f"{label} – {receiver}" if receiver else label
    if action.type == "update":
        text = f"Oppdater henvisning: {target}"
    elif receiver:
        text = f"Henvis til {target}"
    else:
        text = f"Opprett henvisning: {label}"
    if acute:
        text = f"{text} (akutt)"
    kind = f"suggestion:{call.assessment.outcome}:referral"
    return Suggestion(
        label=text,
        uuid=call.id(kind if variant is None else f"{kind}:{variant}"),
        is_recommended=recommended,
        actions=[action],
    )


def _referral_action(call: CardCall, *, receiver: str | None, variant: str | None) -> Action | None:
    """``update`` of the GP's draft referral if possible, else ``create``; None on a bug."""
    label = call.pathway.referral.label
    draft = _draft(call)
    resource: dict[str, Any] | None = None
    if draft is not None:
        try:
            resource = _referral(call, draft, receiver=receiver, variant=variant)
        except RenderError:
            # The draft holds something our validation rejects; a new referral is still useful.
            logger.warning(
                "draft referral could not be updated; offering a new one",
                extra=call.log_fields,
            )
    if resource is not None:
        to = f", adresser det til {receiver}" if receiver else ""
        return Action(
            type="update",
            resource=resource,
            description=f"Oppdater henvisningsutkastet: merk det «{label}»{to} og fyll inn "
            "begrunnet mistanke, legemidler, komorbiditet og forløpstider.",
        )
    created = _created_referral(call, receiver=receiver, variant=variant)
    if created is None:
        return None
    to = f" til {receiver}" if receiver else ""
    return Action(
        type="create",
        resource=created,
        description=f"Opprett utkast til henvisning{to} merket «{label}» med begrunnet mistanke, "
        "legemidler, komorbiditet og forløpstider.",
    )


def _created_referral(
    call: CardCall, *, receiver: str | None, variant: str | None = None
) -> dict[str, Any] | None:
    try:
        return _referral(call, None, receiver=receiver, variant=variant)
    except RenderError:
        # A bug on our side. The card itself (possibly an acute one) must still reach the GP,
        # so it goes out without the suggestion rather than failing the whole response.
        logger.error(
            "referral failed validation; card sent without suggestion",
            extra=call.log_fields,
        )
        return None


def stop_order_suggestion(call: CardCall) -> Suggestion | None:
    """Delete the blocked drafts and refer instead, as one suggestion.

    CDS Hooks test kits require a ``delete`` to come with a ``create`` of the same resource type
    in the same suggestion (checklist §4.3), so the referral is always *created*: a separate
    draft referral of the GP's is replaced — deleted, and created again with its content kept
    (performer, notes, codes) plus ours — rather than updated. Only ServiceRequest drafts that
    the request carries are deleted; anything else is left to the GP (the card names it).
    """
    pathway = call.pathway
    label = pathway.referral.label
    receiver = call.assessment.receivers[0] if call.assessment.receivers else None
    blocked = call.decision.blocked
    deletable = [b for b in blocked if b.deletable]
    actions = [
        Action(
            type="delete",
            resource_id=b.ref,
            description=f"Slett bestillingsutkastet «{order_text(b.name)}»: det skal ikke "
            f"utføres før henvisning til {label}.",
        )
        for b in deletable
    ]
    draft = _draft(call)
    draft_ref = call.assessment.draft_referral.ref if call.assessment.draft_referral else None
    resource: dict[str, Any] | None = None
    if draft is not None and draft_ref is not None and all(b.ref != draft_ref for b in blocked):
        if not deletable:
            # Nothing to delete: the ordinary update of the GP's draft is the right action.
            action = _referral_action(call, receiver=receiver, variant=None)
            return _stop_suggestion(call, [action] if action else [], receiver, deleted=0)
        content = {k: v for k, v in draft.items() if k != "id"}
        try:
            resource = _referral(call, content, receiver=receiver)
            actions.append(
                Action(
                    type="delete",
                    resource_id=draft_ref,
                    description="Slett henvisningsutkastet "
                    f"«{order_text(call.decision.draft_name)}»; det erstattes av henvisningen "
                    f"merket «{label}» med samme innhold.",
                )
            )
        except RenderError:
            logger.warning(
                "draft referral could not be replaced; offering a new one",
                extra=call.log_fields,
            )
    if resource is None:
        resource = _created_referral(call, receiver=receiver)
    if resource is None:
        return None
    to = f" til {receiver}" if receiver else ""
    actions.append(
        Action(
            type="create",
            resource=resource,
            description=f"Opprett utkast til henvisning{to} merket «{label}» med mistanken, "
            "legemidler, komorbiditet og forløpstider.",
        )
    )
    return _stop_suggestion(call, actions, receiver, deleted=len(deletable))


def stop_advice_text(call: CardCall) -> str:
    """The advice the patient meets beneath the stop (a child: the paediatric department), as
    the step to take instead of the stopped order."""
    advice = call.decision.stop_advice
    return f"I stedet: **{md(advice.summary)}**." if advice is not None else ""


def stop_and_examine_suggestion(call: CardCall) -> Suggestion | None:
    """Delete the blocked drafts and order the missing examinations, as one suggestion.

    At the mistanke stage the source asks for imaging before contact with the receiver, so the
    stopped biopsy is replaced by the examination (a ServiceRequest ``create``, which also keeps
    the delete from standing alone, checklist §4.3). None when nothing can be deleted or ordered.
    """
    deletable = [b for b in call.decision.blocked if b.deletable]
    orders = filter_test_orders(call)
    if not deletable or not orders:
        return None
    label = call.pathway.referral.label
    examine = orders_suggestion(call, orders, recommended=True)
    deletes = [
        Action(
            type="delete",
            resource_id=b.ref,
            description=f"Slett bestillingsutkastet «{order_text(b.name)}»: det skal ikke "
            f"utføres før bildediagnostikken er vurdert og eventuelt henvisning til {label}.",
        )
        for b in deletable
    ]
    what = "bestillingen" if len(deletable) == 1 else "bestillingene"
    return Suggestion(
        label=f"Slett {what} og {lower_first(examine.label)}",
        uuid=call.id("suggestion:stop_order:examine"),
        is_recommended=True,
        actions=deletes + list(examine.actions or []),
    )


def _stop_suggestion(
    call: CardCall, actions: list[Action], receiver: str | None, *, deleted: int
) -> Suggestion | None:
    if not actions:
        return None
    target = call.pathway.referral.label + (f" – {receiver}" if receiver else "")
    what = "bestillingen" if deleted == 1 else "bestillingene"
    return Suggestion(
        label=f"Slett {what} og henvis til {target}" if deleted else f"Henvis til {target}",
        uuid=call.id("suggestion:stop_order:referral"),
        is_recommended=True,
        actions=actions,
    )


def _referral(
    call: CardCall,
    draft: dict[str, Any] | None,
    *,
    receiver: str | None = None,
    variant: str | None = None,
) -> dict[str, Any]:
    basis = call.shared.get("referral_basis")
    if not isinstance(basis, ReferralBasis):
        basis = call.shared["referral_basis"] = referral_basis(call.decision, call.facts)
    return build_referral(
        call.decision,
        call.facts,
        hook_instance=call.hook_instance,
        requester=call.user_ref,
        today=call.today,
        draft=draft,
        receiver=receiver,
        variant=variant,
        basis=basis,
    )


def _draft(call: CardCall) -> dict[str, Any] | None:
    """The GP's draft referral (raw JSON) to return in an ``update``, with its id."""
    raw = call.decision.draft
    order = call.assessment.draft_referral
    if order is None or not isinstance(raw, dict) or raw.get("resourceType") != "ServiceRequest":
        return None
    draft: dict[str, Any] = dict(raw)
    if not draft.get("id"):
        draft["id"] = order.ref.partition("/")[2]  # the id is what makes it an update
    return draft if draft["id"] else None


def order_text(name: str | None) -> str:
    """A draft order's own name («Biopsi av kul i lår»), for the GP to recognise it."""
    return one_line(name, 120) if name and name.strip() else "bestillingsutkast"
