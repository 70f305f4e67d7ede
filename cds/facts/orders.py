"""ServiceRequests and Procedures (in the record or in ``draftOrders``) -> ``OrderFact``.

A referral is a ServiceRequest with category SNOMED 3457005 «Patient referral» and/or a referral
code or text; an earlier referral labelled «Pakkeforløp for …» counts as already referred
(record-conventions.md «Orders»). We keep every status except entered-in-error (and the
non-standard cancelled) and carry it: whether a revoked or not-done order counts is the
evaluator's decision.

Draft orders also carry their normalised place (``cds.facts.sites.order_place``): whether a
biopsy or excision being ordered is of the suspected lump depends on where it is.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from cds.criteria.codebook import CodeBook
from cds.facts import fhirjson as fj
from cds.facts.codes import codes_of
from cds.facts.dates import first_date
from cds.facts.model import NO_PLACE, OrderFact
from cds.facts.sites import order_place, site_text

_SKIP_STATUS = frozenset({"entered-in-error", "cancelled"})

# SNOMED CT 3457005 «Patient referral» (record-conventions.md); 306206005 «Referral to service».
_REFERRAL_CODES = frozenset({("snomed", "3457005"), ("snomed", "306206005")})
_REFERRAL_WORDS = re.compile(r"(henvis|referral)", re.IGNORECASE)

# The CodeableConcept fields whose texts become labels, in the order they are read.
_LABEL_CONCEPTS = ("code", "category", "orderDetail", "reasonCode")


def _labels(resource: dict[str, Any]) -> tuple[str, ...]:
    """Every human text of an order, lower-cased, without duplicates, in a stable order."""
    texts: list[str] = []
    for key in _LABEL_CONCEPTS:
        texts.extend(fj.concept_texts(resource.get(key)))
    texts.extend(fj.note_texts(resource))
    return tuple(dict.fromkeys(t.lower() for t in texts))


def order_fact(
    resource: dict[str, Any], resource_type: str, codebook: CodeBook | None = None
) -> OrderFact | None:
    """One order, or None when it is entered in error (or cancelled). With ``codebook`` the
    order's place is read too (draft orders; record orders do not need it)."""
    status = fj.status_of(resource)
    if status in _SKIP_STATUS:
        return None
    codes = codes_of(resource.get("code"))
    category_codes = codes_of(resource.get("category"))
    occurrence = fj.as_dict(resource.get("occurrencePeriod")) or {}
    performed = fj.as_dict(resource.get("performedPeriod")) or {}
    when = first_date(
        resource.get("authoredOn"),
        resource.get("occurrenceDateTime"),
        occurrence.get("start"),
        resource.get("performedDateTime"),
        performed.get("start"),
    )
    heading = fj.concept_texts(resource.get("category")) + fj.concept_texts(resource.get("code"))
    is_referral = bool((codes | category_codes) & _REFERRAL_CODES) or any(
        _REFERRAL_WORDS.search(t) for t in heading
    )
    reason_refs = tuple(
        ref
        for ref in (fj.reference_of(r) for r in fj.dicts(resource.get("reasonReference")))
        if ref
    )
    return OrderFact(
        ref=fj.ref_of(resource_type, resource),
        resource_type=resource_type,
        when=when,
        status=status,
        is_referral=is_referral,
        codes=codes,
        labels=_labels(resource),
        reason_codes=codes_of(resource.get("reasonCode")),
        reason_refs=reason_refs,
        site=site_text(resource, with_method=False),
        place=order_place(resource, codebook) if codebook is not None else NO_PLACE,
        name=_name(resource),
        performer=_performer(resource),
    )


def _performer(resource: dict[str, Any]) -> str:
    """Performer references and displays, lower-cased, one per line (ServiceRequest.performer;
    Procedure.performer[].actor)."""
    texts: list[str] = []
    for item in fj.dicts(resource.get("performer")):
        for ref in (item, fj.as_dict(item.get("actor")) or {}):
            for key in ("reference", "display"):
                value = fj.get_text(ref, key)
                if value:
                    texts.append(value.lower())
    return "\n".join(dict.fromkeys(texts))


def _name(resource: dict[str, Any]) -> str | None:
    """``code.text``, else the first coding's display (as written: cards show it)."""
    code = fj.as_dict(resource.get("code"))
    if code is None:
        return None
    if fj.text(code.get("text")):
        return str(code["text"])
    for coding in fj.dicts(code.get("coding")):
        if isinstance(coding.get("display"), str):
            return str(coding["display"])
    return None


def extract_orders(
    service_requests: Iterable[dict[str, Any]], procedures: Iterable[dict[str, Any]]
) -> tuple[OrderFact, ...]:
    """ServiceRequests then Procedures in the record, in record order."""
    facts: list[OrderFact] = []
    for resource_type, resources in (
        ("ServiceRequest", service_requests),
        ("Procedure", procedures),
    ):
        for resource in resources:
            fact = order_fact(resource, resource_type)
            if fact is not None:
                facts.append(fact)
    return tuple(facts)


def _draft_entries(draft_orders: object) -> list[dict[str, Any]]:
    """Resources of ``context.draftOrders``: a Bundle (a list or a lone resource is tolerated)."""
    if isinstance(draft_orders, dict):
        if "entry" in draft_orders or draft_orders.get("resourceType") == "Bundle":
            entries = fj.dicts(draft_orders.get("entry"))
        else:
            entries = [draft_orders]  # a lone resource instead of a Bundle
    else:
        entries = fj.dicts(draft_orders)
    resources: list[dict[str, Any]] = []
    for entry in entries:
        resource = fj.as_dict(entry.get("resource"))
        if resource is None and isinstance(entry.get("resourceType"), str):
            resource = entry  # a list of resources rather than Bundle entries
        if resource is not None and fj.text(resource.get("resourceType")):
            resources.append(resource)
    return resources


def extract_drafts(
    context: Mapping[str, Any], codebook: CodeBook | None = None
) -> tuple[tuple[OrderFact, ...], dict[str, dict[str, object]], tuple[str, ...]]:
    """(draft orders in the order sent, raw drafts by ``Type/id``, selections) from the context."""
    drafts: list[OrderFact] = []
    raw: dict[str, dict[str, object]] = {}
    for resource in _draft_entries(context.get("draftOrders")):
        resource_type = fj.text(resource.get("resourceType")) or ""
        ref = fj.ref_of(resource_type, resource)
        if ref:
            raw[ref] = resource
        fact = order_fact(resource, resource_type, codebook)
        if fact is not None:
            drafts.append(fact)
    selections_value = context.get("selections")
    selections = (
        tuple(s.strip() for s in selections_value if isinstance(s, str) and s.strip())
        if isinstance(selections_value, list)
        else ()
    )
    return tuple(drafts), raw, selections
