"""Orders for the filter tests a GP has not taken (or took too long ago): lab tests and imaging.

The pathway's «Filterfunksjon» lists what the GP must take before referring («Ved mistanke om
myelomatose skal fastlegen ta: Proteinelektroforese, Serum/plasma lette kjeder, Hemoglobin, …»,
001_886705ff86f0ea9c.txt); for sarcoma these are examinations («Ved klinisk mistanke om sarkom
skal det gjøres relevante bildediagnostiske undersøkelser før kontakt med sarkomsenter»,
000_29d6fa47ee5f8e28.txt), and the diagnostic pathway lists blood, urine and faecal tests
(«Før henvisning foreslås», 002_4ffeb5e25cae056f.txt). One mechanism serves all three, driven by
the criteria file: we suggest one draft ``ServiceRequest`` per missing or stale filter test,
coded with the test's own ``order`` code when it has one, else the ``order`` code of its first
orderable analyte from ``criteria/codes``, and categorised as a laboratory or an imaging order
(``order_category``). Tests the record already shows as recent are never ordered again, and a
test with no order code at all is listed on the card but not ordered: those are things the GP
does in the surgery (temperature, weight, a frailty score), and an uncoded "lab order" for them
would only confuse the laboratory.

Which tests count is the evaluate stage's decision (``CardDecision.missing_tests``, one definition
of which tests apply: ``cds.evaluate.referral_state.applies``), so the card's list and the orders
always agree; this module only builds the orders. They are built from nothing but our own data,
so they are not validated with ``fhir.resources`` on every call (issue 10): every order any test's
response carries is (``tests/conformance.py``).
"""

from __future__ import annotations

import copy
from datetime import date
from typing import Any

from cds.criteria.schema import FilterTest, Pathway
from cds.evaluate.decision import CardDecision, MissingTest
from cds.facts.model import PatientFacts
from cds.render.format import SNOMED, coding_of, disease_for, stable_id
from cds.render.narrative import LabOrderNarrative, render_lab_order

LAB_CATEGORY: dict[str, Any] = {
    "coding": [{"system": SNOMED, "code": "108252007", "display": "Laboratory procedure"}],
    "text": "Laboratorieprøve",
}
# SNOMED CT 363679005 |Imaging (procedure)|, the «Imaging» entry of FHIR's ServiceRequest category
# example value set, beside 108252007 for laboratory orders.
IMAGING_CATEGORY: dict[str, Any] = {
    "coding": [{"system": SNOMED, "code": "363679005", "display": "Imaging"}],
    "text": "Bildediagnostikk",
}


def build_orders(
    decision: CardDecision,
    facts: PatientFacts,
    *,
    hook_instance: str,
    requester: str | None,
    today: date,
) -> list[dict[str, Any]]:
    """One draft ``ServiceRequest`` per missing/stale filter test the decision names, in
    criteria-file order.

    Raises :class:`cds.render.referral.RenderError` if one does not validate (a bug).
    """
    orders: list[dict[str, Any]] = []
    for missing in decision.missing_tests:
        if missing.test is None:
            continue
        # The first code we can emit, best first («kalsium eller fritt kalsium»).
        coding = next((c for ref in missing.order_codes if (c := coding_of(ref))), None)
        if coding is None:
            continue  # nothing to order by (see the module docstring)
        order = _order(
            decision.pathway, missing.test, missing, coding, facts, hook_instance, requester, today
        )
        orders.append(order)
    return orders


def is_imaging(order: dict[str, Any]) -> bool:
    """True for an order :func:`build_orders` categorised as imaging."""
    return bool(order.get("category")) and order["category"][0] == IMAGING_CATEGORY


def lab_order_id(hook_instance: str, pathway: Pathway, test: FilterTest) -> str:
    """The deterministic id of the order for one filter test in one hook call."""
    return stable_id(hook_instance, pathway.id, f"lab-order:{test.id}")


def _order(
    pathway: Pathway,
    test: FilterTest,
    missing: MissingTest,
    coding: dict[str, str],
    facts: PatientFacts,
    hook_instance: str,
    requester: str | None,
    today: date,
) -> dict[str, Any]:
    code: dict[str, Any] = {"coding": [coding], "text": test.label}
    imaging = test.order_category == "imaging"
    # Deliberately without the «Pakkeforløp for …» marking: that text is what makes an order a
    # pathway referral to the EHR, to our own already-referred check and to the hospital.
    kind = "Bildediagnostisk undersøkelse" if imaging else "Filterprøve"
    reason = f"{kind} ved mistanke om {disease_for(pathway)}."
    narrative = LabOrderNarrative(label=test.label, reason=reason, analytes=missing.analytes)
    order: dict[str, Any] = {
        "resourceType": "ServiceRequest",
        "id": lab_order_id(hook_instance, pathway, test),
        "text": {"status": "generated", "div": render_lab_order(narrative)},
        "status": "draft",
        "intent": "order",
        "category": [copy.deepcopy(IMAGING_CATEGORY if imaging else LAB_CATEGORY)],
        "code": code,
        "subject": {"reference": facts.patient_ref},
        "authoredOn": today.isoformat(),
        "reasonCode": [{"text": reason}],
    }
    if requester:
        order["requester"] = {"reference": requester}
    return order
