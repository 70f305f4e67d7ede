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

Which tests count (:func:`missing_tests`): those evaluate found missing or stale, narrowed to the
deciding rule's ``filter_tests`` when it names any, and never a test meant for the other sex or an
older patient (PSA: men over 50), so the card's list and the orders always agree.
"""

from __future__ import annotations

import copy
from datetime import date
from typing import Any

from cds.criteria.codebook import CodeBook
from cds.criteria.schema import FilterTest, Pathway
from cds.evaluate.model import Assessment, FilterTestStatus
from cds.facts.model import PatientFacts
from cds.render.format import SNOMED, coding_of, disease_for, stable_id
from cds.render.narrative import LabOrderNarrative, render_lab_order
from cds.render.referral import check_resource

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


def missing_tests(
    pathway: Pathway, assessment: Assessment, facts: PatientFacts
) -> tuple[FilterTestStatus, ...]:
    """Missing/stale filter tests this card is about, in criteria-file order.

    Evaluate may already have narrowed the list to the rule's tests; narrowing again is harmless
    and keeps the card right if it has not. Sex and age are checked only when known: with an
    unknown sex, evaluate's verdict stands.
    """
    rule = next((r for r in pathway.rules if r.id == assessment.rule), None)
    wanted = set(rule.filter_tests) if rule is not None and rule.filter_tests else None
    tests = {t.id: t for t in pathway.filter_tests}
    out = []
    for status in assessment.missing_filter_tests:
        if wanted is not None and status.test not in wanted:
            continue
        test = tests.get(status.test)
        if test is not None and not _applies(test, facts):
            continue
        out.append(status)
    return tuple(out)


def missing_filter_tests(
    pathway: Pathway, assessment: Assessment, facts: PatientFacts
) -> list[tuple[FilterTestStatus, FilterTest]]:
    """:func:`missing_tests` with each test's definition (tests the criteria lack are left out)."""
    tests = {t.id: t for t in pathway.filter_tests}
    return [
        (status, tests[status.test])
        for status in missing_tests(pathway, assessment, facts)
        if status.test in tests
    ]


def build_orders(
    pathway: Pathway,
    codebook: CodeBook,
    assessment: Assessment,
    facts: PatientFacts,
    *,
    hook_instance: str,
    requester: str | None,
    today: date,
) -> list[dict[str, Any]]:
    """One draft ``ServiceRequest`` per missing/stale filter test, in criteria-file order.

    Raises :class:`cds.render.referral.RenderError` if one does not validate (a bug).
    """
    orders: list[dict[str, Any]] = []
    for _, test in missing_filter_tests(pathway, assessment, facts):
        coding = coding_of(test.order) if test.order else _analyte_order(codebook, test)
        if coding is None:
            continue  # nothing to order by (see the module docstring)
        order = _order(pathway, codebook, test, coding, facts, hook_instance, requester, today)
        check_resource(order, profile=False)
        orders.append(order)
    return orders


# The name the myelomatose code and its tests know; lab and imaging orders are built alike.
build_lab_orders = build_orders


def is_imaging(order: dict[str, Any]) -> bool:
    """True for an order :func:`build_orders` categorised as imaging."""
    return bool(order.get("category")) and order["category"][0] == IMAGING_CATEGORY


def lab_order_id(hook_instance: str, pathway: Pathway, test: FilterTest) -> str:
    """The deterministic id of the order for one filter test in one hook call."""
    return stable_id(hook_instance, pathway.id, f"lab-order:{test.id}")


def _applies(test: FilterTest, facts: PatientFacts) -> bool:
    """False for a test meant for the other sex or an older patient (when those are known)."""
    if test.sex is not None and facts.sex in ("female", "male") and facts.sex != test.sex:
        return False
    return not (
        test.min_age is not None and facts.age_years is not None and facts.age_years < test.min_age
    )


def _analyte_order(codebook: CodeBook, test: FilterTest) -> dict[str, str] | None:
    """The order code of the test's first orderable analyte («kalsium eller fritt kalsium»)."""
    for analyte_id in test.analytes:
        analyte = codebook.analytes.get(analyte_id)
        coding = coding_of(analyte.order) if analyte and analyte.order else None
        if coding:
            return coding
    return None


def _order(
    pathway: Pathway,
    codebook: CodeBook,
    test: FilterTest,
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
    labels = tuple(codebook.analytes[a].label for a in test.analytes if a in codebook.analytes)
    narrative = LabOrderNarrative(label=test.label, reason=reason, analytes=labels)
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
