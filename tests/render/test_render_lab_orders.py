"""Lab orders: only for missing or stale filter tests, coded, valid R4 ServiceRequests."""

from __future__ import annotations

import json
from typing import Any

from fhir.resources.R4B.servicerequest import ServiceRequest
from render_support import HOOK_INSTANCE, TODAY, USER, assessment, decision, facts, filter_status

from cds.criteria.codebook import CodeBook
from cds.criteria.schema import Pathway
from cds.render.format import EMIT_SYSTEMS
from cds.render.lab_orders import build_orders


def orders_for(
    pathway: Pathway,
    codebook: CodeBook,
    states: dict[str, str],
    hook_instance: str = HOOK_INSTANCE,
) -> list[dict[str, Any]]:
    a = assessment(pathway, "mistanke", [], filter_tests=filter_status(pathway, states))
    patient = facts()
    return build_orders(
        decision(pathway, a, patient, codebook),
        patient,
        hook_instance=hook_instance,
        requester=USER,
        today=TODAY,
    )


def test_no_orders_when_every_filter_test_is_recent(pathway: Pathway, codebook: CodeBook) -> None:
    assert orders_for(pathway, codebook, {}) == []


def test_one_order_per_missing_or_stale_test(pathway: Pathway, codebook: CodeBook) -> None:
    first, second, third = pathway.filter_tests[:3]
    orders = orders_for(pathway, codebook, {first.id: "missing", third.id: "stale"})
    assert [o["code"]["text"] for o in orders] == [first.label, third.label]
    assert second.label not in [o["code"]["text"] for o in orders]
    for order in orders:
        ServiceRequest.model_validate(order)
        assert (order["status"], order["intent"]) == ("draft", "order")
        assert order["category"][0]["coding"][0] == {
            "system": "http://snomed.info/sct",
            "code": "108252007",
            "display": "Laboratory procedure",
        }
        assert order["subject"] == {"reference": "Patient/pas-1"}
        assert order["requester"] == {"reference": USER}
        assert order["authoredOn"] == "2026-11-21"
        assert order["text"]["div"].startswith('<div xmlns="http://www.w3.org/1999/xhtml">')


def test_order_code_is_the_first_orderable_analytes_code(
    pathway: Pathway, codebook: CodeBook
) -> None:
    states = {t.id: "missing" for t in pathway.filter_tests}
    orders = {o["code"]["text"]: o for o in orders_for(pathway, codebook, states)}
    for test in pathway.filter_tests:
        expected = next(
            (
                codebook.analytes[a].order
                for a in test.analytes
                if a in codebook.analytes and codebook.analytes[a].order
            ),
            None,
        )
        if expected is None:
            # Nothing to order by (a measurement in the surgery): listed, never ordered.
            assert test.label not in orders
            continue
        (coding,) = orders[test.label]["code"]["coding"]
        assert coding["code"] == expected.code
        assert coding["system"] == EMIT_SYSTEMS[expected.system]
        assert coding["system"] in {
            "urn:oid:2.16.578.1.12.4.1.1.7280",
            "http://loinc.org",
            "http://snomed.info/sct",
        }


def test_order_ids_are_deterministic_and_distinct(pathway: Pathway, codebook: CodeBook) -> None:
    states = {t.id: "missing" for t in pathway.filter_tests[:2]}
    first = [o["id"] for o in orders_for(pathway, codebook, states)]
    assert first == [o["id"] for o in orders_for(pathway, codebook, states)]
    assert len(set(first)) == 2
    other = [o["id"] for o in orders_for(pathway, codebook, states, hook_instance="h2")]
    assert not set(first) & set(other)


def test_lab_orders_never_carry_the_pathway_marking(pathway: Pathway, codebook: CodeBook) -> None:
    # A «Pakkeforløp for …» text would make a lab order look like a labelled pathway referral.
    orders = orders_for(pathway, codebook, {t.id: "missing" for t in pathway.filter_tests})
    assert orders
    assert all(pathway.referral.label.lower() not in json.dumps(o).lower() for o in orders)
