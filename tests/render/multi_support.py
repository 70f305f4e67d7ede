"""Builders for the several-pathways render tests: fixture pathways, drafts, and the full check.

The three pathways come from ``tests/render/fixtures`` (myelomatose, sarkom, diagnostisk) and
never from ``criteria/``, so these tests do not depend on criteria files still being written.
:func:`check` runs the suite's independent CDS Hooks checker (``tests/conformance.py``) on the
response with a request whose ``draftOrders`` hold the drafts, and validates every
ServiceRequest with ``fhir.resources`` R4B and, when it is a pathway referral, our profile.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml
from conformance import assert_conformant
from fhir.resources.R4B.servicerequest import ServiceRequest
from render_support import HOOK_INSTANCE, PATIENT, TODAY, USER, facts, plan

from cds.cdshooks import Card, dump
from cds.criteria.codebook import CodeBook
from cds.criteria.schema import Pathway
from cds.evaluate.model import Assessment
from cds.facts.model import OrderFact, PatientFacts
from cds.hooks import HookName
from cds.profile import load_profile, validate_profile
from cds.render.cards import render_cards
from cds.render.format import PATHWAY_CODE_SYSTEM

FIXTURES = Path(__file__).resolve().parent / "fixtures"


def _load(name: str) -> Any:
    return yaml.safe_load((FIXTURES / name).read_text(encoding="utf-8"))


@cache
def pathways() -> dict[str, Pathway]:
    """The fixture pathways by id: myelomatose, sarkom, diagnostisk."""
    loaded = [
        Pathway.model_validate(_load(f"{name}.yaml"))
        for name in ("myelomatose", "sarkom", "diagnostisk")
    ]
    return {p.id: p for p in loaded}


@cache
def codebook() -> CodeBook:
    base, more = _load("codes.yaml"), _load("codes_more.yaml")
    return CodeBook.model_validate(
        {
            "analytes": {**base.get("analytes", {}), **more.get("analytes", {})},
            "codesets": {**base.get("codesets", {}), **more.get("codesets", {})},
            "regions": more.get("regions", {}),
        }
    )


def draft_json(rid: str, text: str, *, referral: bool = False) -> dict[str, Any]:
    """A draft ServiceRequest as an EHR would send it in draftOrders."""
    category = (
        {"coding": [{"system": "http://snomed.info/sct", "code": "3457005"}], "text": "Henvisning"}
        if referral
        else {"text": "Prosedyre"}
    )
    return {
        "resourceType": "ServiceRequest",
        "id": rid,
        "status": "draft",
        "intent": "order",
        "category": [category],
        "code": {"text": text},
        "subject": {"reference": PATIENT},
        "note": [{"text": "Eget notat fra fastlegen."}],
    }


def draft_fact(raw: dict[str, Any], *, referral: bool = False) -> OrderFact:
    return OrderFact(
        ref=f"ServiceRequest/{raw['id']}",
        resource_type="ServiceRequest",
        when=TODAY,
        status="draft",
        is_referral=referral,
        codes=frozenset(),
        labels=(raw["code"]["text"].lower(),),
        name=raw["code"]["text"],
    )


def with_drafts(*drafts: dict[str, Any], **kw: Any) -> PatientFacts:
    """Facts whose draftOrders are ``drafts`` (first-class OrderFacts plus their raw JSON)."""
    orders = tuple(draft_fact(d, referral=_is_referral(d)) for d in drafts)
    raw = {f"ServiceRequest/{d['id']}": d for d in drafts}
    return facts(draft_orders=orders, draft_resources=raw, **kw)


def _is_referral(draft: dict[str, Any]) -> bool:
    return any(
        c.get("code") == "3457005" for cat in draft["category"] for c in cat.get("coding", [])
    )


def request_for(patient: PatientFacts, hook: HookName = "order-select") -> dict[str, Any]:
    """A hook request carrying the facts' drafts, for update/delete targets."""
    context: dict[str, Any] = {"patientId": PATIENT.partition("/")[2], "userId": USER}
    if patient.draft_resources:
        context["draftOrders"] = {
            "resourceType": "Bundle",
            "type": "collection",
            "entry": [{"resource": r} for r in patient.draft_resources.values()],
        }
    return {"hook": hook, "hookInstance": HOOK_INSTANCE, "context": context}


def render_many(
    results: list[tuple[Pathway, Assessment]],
    patient: PatientFacts | None = None,
    *,
    disabled: frozenset[str] = frozenset(),
    hook: HookName = "order-select",
) -> list[dict[str, Any]]:
    """Render, then check the whole response (conformance, R4B, profile); the cards as JSON."""
    patient = patient or facts()
    cards = render_cards(
        plan(results, patient, codebook()),
        patient,
        hook=hook,
        hook_instance=HOOK_INSTANCE,
        user_ref=USER,
        today=TODAY,
        disabled=disabled,
    )
    assert all(isinstance(c, Card) for c in cards)
    dumped = [dump(c) for c in cards]
    check({"cards": dumped}, request_for(patient, hook))
    return dumped


def check(response: dict[str, Any], request: dict[str, Any]) -> None:
    assert_conformant(response, request)
    for resource in resources(response):
        ServiceRequest.model_validate(resource)
        if is_referral(resource):
            assert validate_profile(resource, load_profile()) == [], resource["code"]


def resources(response: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        action["resource"]
        for card in response["cards"]
        for suggestion in card.get("suggestions", [])
        for action in suggestion.get("actions", [])
        if "resource" in action
    ]


def is_referral(resource: dict[str, Any]) -> bool:
    """A pathway referral: coded in our pathway code system (whatever its label says)."""
    codings = resource.get("code", {}).get("coding", [])
    return any(c.get("system") == PATHWAY_CODE_SYSTEM for c in codings)


def ids_in(cards: list[dict[str, Any]]) -> list[str]:
    """Every card and suggestion uuid in a response."""
    out = []
    for card in cards:
        out.append(card["uuid"])
        out += [s["uuid"] for s in card.get("suggestions", [])]
    return out
