"""Lab orders for the filter tests a GP has not taken (or took too long ago).

The pathway's «Filterfunksjon» lists what the GP must take before referring («Ved mistanke om
myelomatose skal fastlegen ta: Proteinelektroforese, Serum/plasma lette kjeder, Hemoglobin, …»,
001_886705ff86f0ea9c.txt). For a ``mistanke`` card we suggest one draft ``ServiceRequest`` per
missing or stale filter test, coded with the ``order`` code of the test's first orderable analyte
from ``criteria/codes``. Tests the record already shows as recent are never ordered again.
"""

from __future__ import annotations

import copy
from datetime import date
from typing import Any

from cds.criteria.schema import CodeBook, FilterTest, Pathway
from cds.evaluate.model import Assessment
from cds.facts.model import PatientFacts
from cds.render.format import SNOMED, coding_of, disease_of, stable_id
from cds.render.narrative import LabOrderNarrative, render_lab_order
from cds.render.referral import check_resource

LAB_CATEGORY: dict[str, Any] = {
    "coding": [{"system": SNOMED, "code": "108252007", "display": "Laboratory procedure"}],
    "text": "Laboratorieprøve",
}


def build_lab_orders(
    pathway: Pathway,
    codebook: CodeBook,
    assessment: Assessment,
    facts: PatientFacts,
    *,
    hook_instance: str,
    requester: str | None,
    today: date,
) -> list[dict[str, Any]]:
    """One draft lab ``ServiceRequest`` per missing/stale filter test, in criteria-file order."""
    tests = {t.id: t for t in pathway.filter_tests}
    orders: list[dict[str, Any]] = []
    for status in assessment.missing_filter_tests:
        test = tests.get(status.test)
        if test is None:
            continue  # evaluate named a test the criteria do not define: nothing to order
        order = _lab_order(pathway, codebook, test, facts, hook_instance, requester, today)
        check_resource(order, profile=False)
        orders.append(order)
    return orders


def lab_order_id(hook_instance: str, pathway: Pathway, test: FilterTest) -> str:
    """The deterministic id of the order for one filter test in one hook call."""
    return stable_id(hook_instance, pathway.id, f"lab-order:{test.id}")


def _lab_order(
    pathway: Pathway,
    codebook: CodeBook,
    test: FilterTest,
    facts: PatientFacts,
    hook_instance: str,
    requester: str | None,
    today: date,
) -> dict[str, Any]:
    code: dict[str, Any] = {"text": test.label}
    for analyte_id in test.analytes:
        analyte = codebook.analytes.get(analyte_id)
        coding = coding_of(analyte.order) if analyte and analyte.order else None
        if coding:
            # The first orderable analyte stands for the test («kalsium eller fritt kalsium»).
            code["coding"] = [coding]
            break
    # Deliberately without the «Pakkeforløp for …» marking: that text is what makes an order a
    # pathway referral to the EHR, to our own already-referred check and to the hospital.
    reason = f"Filterprøve ved mistanke om {disease_of(pathway.title)}."
    labels = tuple(codebook.analytes[a].label for a in test.analytes if a in codebook.analytes)
    narrative = LabOrderNarrative(label=test.label, reason=reason, analytes=labels)
    order: dict[str, Any] = {
        "resourceType": "ServiceRequest",
        "id": lab_order_id(hook_instance, pathway, test),
        "text": {"status": "generated", "div": render_lab_order(narrative)},
        "status": "draft",
        "intent": "order",
        "category": [copy.deepcopy(LAB_CATEGORY)],
        "code": code,
        "subject": {"reference": facts.patient_ref},
        "authoredOn": today.isoformat(),
        "reasonCode": [{"text": reason}],
    }
    if requester:
        order["requester"] = {"reference": requester}
    return order
