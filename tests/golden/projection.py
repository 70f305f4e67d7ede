"""The compact projection of a golden response: what a refactor must not change, in few lines.

Most golden cases are compared by this projection instead of the full response (only the cases of
``representative.py`` keep a full ``.expected.json``). Per card it keeps the uuid, card type,
indicator, summary, the rule that made it, each suggestion's label and actions (type and resource
type, or the id a ``delete`` names) and the evidence lines of the detail (the lines that start with
``- ``). Per case it keeps the rules that decided (the audit row's ``rules``, in pathway order).

The rule of a card is the deciding rule of the card's pathway whose outcome gives the card's uuid
(``stable_id(hookInstance, pathway, "card:<outcome>")``, cds.render.format); a card no deciding
rule made (a pathway that could not be assessed or failed) has ``rule: null``.

Safety-net cards (card type ``safety_net``, cds.render.safety_net) come from the pathway clock,
not from a criteria rule: their «rule» is a pseudo-rule id named by the card's safety-net kind
(:data:`SAFETY_NET_RULES`), which is also their golden folder (tests/golden/cases_clock.py).
Follow-up cards (card type ``followup``, cds.render.followup_cards) likewise, by their follow-up
kind (:data:`FOLLOWUP_RULES`, tests/golden/cases_followup.py).
"""

from __future__ import annotations

from typing import Any

from cds.criteria.registry import Registry
from cds.render.format import stable_id

CARD_TYPE = "no.pakkeforlop-cds.card-type"
SAFETY_NET_KIND = "no.pakkeforlop-cds.safety-net"
# Safety-net kind -> the pseudo-rule id its golden cases are filed under.
SAFETY_NET_RULES: dict[str, str] = {
    "first_attendance": "klokke.forste-fremmote",
    "not_cancer_persisting": "klokke.avsluttet-uten-kreft",
}
FOLLOWUP_KIND = "no.pakkeforlop-cds.followup"
# Follow-up card kind (cds.evaluate.followup_notices) -> its golden folder (cases_followup.py).
FOLLOWUP_RULES: dict[str, str] = {
    "control_due": "oppfolging.kontroll",
    "needs_assessment": "oppfolging.kontroll",
    "not_assigned": "oppfolging.gruppe-ukjent",
    "order_not_due": "oppfolging.ikke-planlagt",
    "completed": "oppfolging.avsluttet",
}
PSEUDO_RULES: frozenset[str] = frozenset(SAFETY_NET_RULES.values()) | frozenset(
    FOLLOWUP_RULES.values()
)


def project(
    response: dict[str, Any], rules: list[str], hook_instance: str, registry: Registry
) -> dict[str, Any]:
    """The projection of ``response`` to the request ``hook_instance``; ``rules`` decided."""
    by_uuid = _card_rules(rules, hook_instance, registry)
    return {
        "rules": list(rules),
        "cards": [_card(card, by_uuid) for card in response["cards"]],
    }


def _card_rules(rules: list[str], hook_instance: str, registry: Registry) -> dict[str, str]:
    """Card uuid -> id of the deciding rule that gives it."""
    found: dict[str, str] = {}
    for pathway in registry.pathways:
        for rule in pathway.rules:
            if rule.id in rules:
                found[stable_id(hook_instance, pathway.id, f"card:{rule.outcome}")] = rule.id
    return found


def _card(card: dict[str, Any], by_uuid: dict[str, str]) -> dict[str, Any]:
    detail = str(card.get("detail", ""))
    extension = card.get("extension", {})
    rule = (
        by_uuid.get(card["uuid"])
        or SAFETY_NET_RULES.get(extension.get(SAFETY_NET_KIND))
        or FOLLOWUP_RULES.get(extension.get(FOLLOWUP_KIND))
    )
    return {
        "uuid": card["uuid"],
        "type": card.get("extension", {}).get(CARD_TYPE),
        "indicator": card["indicator"],
        "rule": rule,
        "summary": card["summary"],
        "suggestions": [
            {"label": s.get("label"), "actions": [_action(a) for a in s.get("actions", [])]}
            for s in card.get("suggestions", [])
        ],
        "evidence": [line for line in detail.splitlines() if line.startswith("- ")],
    }


def _action(action: dict[str, Any]) -> str:
    """«create ServiceRequest», «update ServiceRequest», «delete ServiceRequest/<draft id>»."""
    target = action.get("resource", {}).get("resourceType") or action.get("resourceId")
    return f"{action['type']} {target}"
