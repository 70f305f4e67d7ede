"""Golden cases for the sarcoma follow-up programme (criteria/oppfolging/sarkom.yaml,
cds/evaluate/followup.py). The folders are pseudo-rule ids named by the card's follow-up kind
(tests/golden/projection.py ``FOLLOWUP_RULES``).

The example records (examples/sarkom-oppfolging-*.json) are treated sarcomas:

* ``hoygradig`` — group B: high-grade deep myxofibrosarcoma of the thigh operated 20.05.2026;
  the month-3 control (visit at the sarcoma centre and CT thorax) done in August. Month 6 falls
  on the clock (2026-11-20): control, MR of the thigh and chest imaging due.
* ``retroperitonealt`` — group C: retroperitoneal liposarcoma operated 12.02.2026, months 3 and 6
  done; month 9 (12.11.2026) due.
* ``osteosarkom`` — group B with the years 6–10 extension: chemotherapy ended 20.06.2019; the
  year-7 control (20.06.2026) is overdue.
* ``lavgradig`` — group A: low-grade superficial sarcoma of the upper arm operated 05.10.2021; the
  last control (month 60) done on 07.10.2026: the programme is completed.

Moving every date of a record by *n* days (:func:`moved`) puts the clock at a chosen distance
from a planned date: the window opens 30 days before it and closes 30 days after it.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

from build_cases import (
    SCT,
    TODAY,
    Bundle,
    Case,
    Edit,
    _resource,
    add,
    day,
    hospital_contact,
    radiology,
)

from cds.evaluate.followup_schedule import add_months

PV, OSEL = "patient-view", "order-select"
DUE, UNKNOWN = "oppfolging.kontroll", "oppfolging.gruppe-ukjent"
NOT_DUE, DONE = "oppfolging.ikke-planlagt", "oppfolging.avsluttet"
HIGH, RETRO = "sarkom-oppfolging-hoygradig", "sarkom-oppfolging-retroperitonealt"
OSTEO, LOW = "sarkom-oppfolging-osteosarkom", "sarkom-oppfolging-lavgradig"
_DATE = re.compile(r"^(\d{4}-\d{2}-\d{2})")


def moved(days: int) -> Edit:
    """Every date of the record (not the birth date) ``days`` later: the clock then stands
    ``days`` earlier in the plan."""

    def shift(value: Any) -> Any:
        if isinstance(value, str):
            hit = _DATE.match(value)
            if hit:
                when = date.fromisoformat(hit.group(1)) + timedelta(days=days)
                return when.isoformat() + value[10:]
            return value
        if isinstance(value, list):
            return [shift(v) for v in value]
        if isinstance(value, dict):
            return {
                k: (v if k in ("birthDate", "lastUpdated") else shift(v)) for k, v in value.items()
            }
        return value

    def apply(bundle: Bundle) -> None:
        for entry in bundle["entry"]:
            if entry["resource"]["resourceType"] != "Patient":
                entry["resource"] = shift(entry["resource"])

    return apply


def ahead(start: date, months: int, days: int) -> Edit:
    """Move the record so that ``months`` after ``start`` (the end of its treatment) falls
    ``days`` after the clock (negative: before it) — calendar months, as the plan counts."""
    for shift in range(-400, 4000):
        if add_months(start + timedelta(days=shift), months) == TODAY + timedelta(days=days):
            return moved(shift)
    raise ValueError(f"no shift puts month {months} {days} days from the clock")


def text(rid: str, key: str, value: str) -> Edit:
    """Replace a resource's conclusion or code text."""

    def apply(bundle: Bundle) -> None:
        res = _resource(bundle, rid)
        if key == "code.text":
            res["code"]["text"] = value
        else:
            res[key] = value

    return apply


def imaging_order(rid: str, title: str, *, status: str = "active", days_ago: int = 3) -> Edit:
    """An imaging ServiceRequest (a draft, for order-select, or an active order already sent)."""
    return add(
        {
            "resourceType": "ServiceRequest",
            "id": rid,
            "status": status,
            "intent": "order",
            "category": [
                {
                    "coding": [{"system": SCT, "code": "363679005", "display": "Imaging"}],
                    "text": "Bildediagnostikk",
                }
            ],
            "code": {"text": title},
            "authoredOn": day(days_ago),
            "requester": {"reference": "Practitioner/fastlege-eksempel"},
        }
    )


def diagnosed_before_report(days: int) -> Edit:
    """Date the sarcoma diagnosis ``days`` before the pathology report of the operation."""

    def apply(bundle: Bundle) -> None:
        report = _resource(bundle, "histologi-hoygradig")
        when = date.fromisoformat(report["effectiveDateTime"][:10]) - timedelta(days=days)
        condition = _resource(bundle, "sarkom-hoygradig")
        condition["onsetDateTime"] = condition["recordedDate"] = when.isoformat()

    return apply


HISTOLOGY = "sarkom.begrunnet.histologi"
CENTRE = "Sarkomsenteret, ortopedisk poliklinikk"
OPERATED, RETRO_OPERATED = date(2026, 5, 20), date(2026, 2, 12)
LOW_OPERATED = date(2021, 10, 5)
MONTH6_DONE = [
    hospital_contact("kontroll-6mnd", CENTRE, days_ago=5),
    radiology(
        "mr-lar-6mnd",
        "MR høyre lår",
        "Postoperative forandringer. Ingen tegn til residiv.",
        days_ago=6,
    ),
    radiology("ct-thorax-6mnd", "CT thorax", "Ingen lungemetastaser.", days_ago=6),
]

CASES: list[Case] = [
    # --- group B, month 6: both sides of the window's opening and closing -----------------------
    Case(
        DUE,
        "b-6mnd-planlagt-dato",
        HIGH,
        PV,
        True,
        "group B, month 6 on the clock: control, MR thigh and CT thorax due (info)",
    ),
    Case(
        DUE,
        "b-6mnd-30-dager-for",
        HIGH,
        PV,
        True,
        "planned date 30 days ahead: the window has opened (info)",
        [ahead(OPERATED, 6, 30)],
    ),
    Case(
        DUE,
        "b-6mnd-31-dager-for-stille",
        HIGH,
        PV,
        False,
        "planned date 31 days ahead: not yet due",
        [ahead(OPERATED, 6, 31)],
    ),
    Case(
        DUE,
        "b-6mnd-30-dager-etter",
        HIGH,
        PV,
        True,
        "30 days after the planned date: still due (info)",
        [ahead(OPERATED, 6, -30)],
    ),
    Case(
        DUE,
        "b-6mnd-31-dager-etter-forfalt",
        HIGH,
        PV,
        True,
        "31 days after the planned date: overdue (warning)",
        [ahead(OPERATED, 6, -31)],
    ),
    Case(
        DUE,
        "b-6mnd-utfort-stille",
        HIGH,
        PV,
        False,
        "control, MR and CT done five days ago at the sarcoma centre",
        MONTH6_DONE,
    ),
    Case(
        DUE,
        "b-6mnd-mr-31-dager-for-vinduet",
        HIGH,
        PV,
        True,
        "the MR taken 31 days before the planned date (before the window): MR still due",
        [
            MONTH6_DONE[0],
            MONTH6_DONE[2],
            radiology("mr-lar-tidlig", "MR høyre lår", "Ingen tegn til residiv.", days_ago=31),
        ],
    ),
    Case(
        DUE,
        "b-6mnd-mr-30-dager-for-vinduet-stille",
        HIGH,
        PV,
        False,
        "the MR taken 30 days before the planned date (window open): nothing due",
        [
            MONTH6_DONE[0],
            MONTH6_DONE[2],
            radiology("mr-lar-tidlig", "MR høyre lår", "Ingen tegn til residiv.", days_ago=30),
        ],
    ),
    Case(
        DUE,
        "b-6mnd-bestilt-stille",
        HIGH,
        PV,
        False,
        "a time booked at the centre in ten days, MR and CT ordered: booked, no card",
        [
            hospital_contact("time-6mnd", CENTRE, days_ago=-10, kind="Appointment"),
            imaging_order("mr-bestilt", "MR høyre lår med kontrast"),
            imaging_order("ct-bestilt", "CT thorax"),
        ],
    ),
    Case(
        DUE,
        "b-tilbakefall-stille",
        HIGH,
        PV,
        False,
        "lung metastases on a CT after treatment: the plan ends, the sarcoma pathway's rules apply",
        [radiology("ct-metastaser", "CT thorax", "Multiple nye lungemetastaser.", days_ago=10)],
    ),
    Case(
        DUE,
        "b-3mnd-med-behovsvurdering",
        HIGH,
        PV,
        True,
        "month 3 on the clock: the control is due, and the needs assessment with it",
        [ahead(OPERATED, 3, 0), text("kontroll-3mnd-hoygradig", "status", "planned")],
    ),
    Case(
        DUE,
        "c-retroperitonealt-9mnd",
        RETRO,
        PV,
        True,
        "group C, month 9 due: control, MR abdomen, CT thorax",
    ),
    Case(
        DUE,
        "c-retroperitonealt-9mnd-31-dager-for-stille",
        RETRO,
        PV,
        False,
        "group C, month 9 31 days ahead: not yet due",
        [ahead(RETRO_OPERATED, 9, 31)],
    ),
    Case(
        DUE,
        "b-osteosarkom-ar-7-forfalt",
        OSTEO,
        PV,
        True,
        "osteosarcoma: the year-7 control (years 6-10 extension) is overdue (warning)",
    ),
    Case(
        DUE,
        "b-ewing-ar-7-forfalt",
        OSTEO,
        PV,
        True,
        "the same record as Ewing sarcoma of bone: the years 6-10 extension too",
        [
            text("osteosarkom", "code.text", "Ewings sarkom distale femur venstre"),
            text(
                "histologi-osteosarkom",
                "conclusion",
                "Ewings sarkom, distale femur venstre. God respons på kjemoterapi. Frie render.",
            ),
        ],
    ),
    Case(
        DUE,
        "b-kondrosarkom-ingen-utvidelse-stille",
        OSTEO,
        PV,
        False,
        "the same record as a chondrosarcoma: no years 6-10, the programme ended in 2024",
        [
            text("osteosarkom", "code.text", "Kondrosarkom distale femur venstre"),
            text(
                "histologi-osteosarkom",
                "conclusion",
                "Høygradig kondrosarkom, distale femur venstre. Frie render.",
            ),
        ],
    ),
    # --- the sarcoma pathway's «uventet sarkomdiagnose» after a known sarcoma ---------------------
    Case(
        HISTOLOGY,
        "kjent-sarkom-7-dager-for-preparatet-stille",
        HIGH,
        PV,
        False,
        "a month after the operation: the specimen report of a sarcoma diagnosed 7 days before "
        "it is no unexpected sarcoma diagnosis",
        [ahead(OPERATED, 1, 0), diagnosed_before_report(7)],
    ),
    Case(
        HISTOLOGY,
        "sarkom-kodet-6-dager-for-preparatet",
        HIGH,
        PV,
        True,
        "the sarcoma coded 6 days before the report (the report's own diagnosis): begrunnet",
        [ahead(OPERATED, 1, 0), diagnosed_before_report(6)],
    ),
    # --- the group cannot be determined -----------------------------------------------------------
    Case(
        UNKNOWN,
        "uten-malignitetsgrad",
        HIGH,
        PV,
        True,
        "the pathology gives no grade: no group is guessed, the card says the grade is missing",
        [
            text(
                "histologi-hoygradig",
                "conclusion",
                "Myxofibrosarkom, dyptliggende i høyre lår, 7 cm. Frie reseksjonsrender.",
            )
        ],
    ),
    Case(
        UNKNOWN,
        "negert-grad",
        HIGH,
        PV,
        True,
        "«ikke høygradig» is no grade either",
        [
            text(
                "histologi-hoygradig",
                "conclusion",
                "Myxofibrosarkom i høyre lår, ikke høygradig i biopsien. Endelig gradering følger.",
            )
        ],
    ),
    Case(
        UNKNOWN,
        "med-malignitetsgrad-stille",
        HIGH,
        PV,
        False,
        "the grade is given (FNCLCC 3): group B, no such card",
    ),
    # --- order-select: an imaging order the programme does not ask for now ----------------------
    Case(
        NOT_DUE,
        "b-ct-thorax-40-dager-for",
        HIGH,
        OSEL,
        True,
        "CT thorax ordered 40 days before month 6: not planned before 20.11.2026 (info)",
        [
            ahead(OPERATED, 6, 40),
            imaging_order("utkast-ct", "CT thorax", status="draft", days_ago=0),
        ],
    ),
    Case(
        NOT_DUE,
        "b-ct-thorax-30-dager-for-stille",
        HIGH,
        OSEL,
        False,
        "CT thorax ordered 30 days before month 6: it is due",
        [
            ahead(OPERATED, 6, 30),
            imaging_order("utkast-ct", "CT thorax", status="draft", days_ago=0),
        ],
    ),
    Case(
        NOT_DUE,
        "b-ct-thorax-mistanke-residiv-stille",
        HIGH,
        OSEL,
        False,
        "a doubtful recurrence on a recent MR: extra investigations may be right",
        [
            ahead(OPERATED, 6, 40),
            radiology(
                "mr-usikker",
                "MR høyre lår",
                "Mistanke om lokalresidiv i operasjonsområdet.",
                days_ago=4,
            ),
            imaging_order("utkast-ct", "CT thorax", status="draft", days_ago=0),
        ],
    ),
    Case(
        NOT_DUE,
        "a-ct-thorax-ikke-i-programmet",
        LOW,
        OSEL,
        True,
        "group A has no chest imaging: the order is not part of the programme",
        [moved(3 * 365), imaging_order("utkast-ct", "CT thorax", status="draft", days_ago=0)],
    ),
    Case(
        NOT_DUE,
        "a-blodprover-stille",
        LOW,
        OSEL,
        False,
        "a draft that is no imaging of the programme",
        [
            moved(3 * 365),
            imaging_order("utkast-lab", "Blodprøver: Hb, CRP", status="draft", days_ago=0),
        ],
    ),
    # --- the end of the programme ----------------------------------------------------------------
    Case(
        DONE,
        "a-avsluttet",
        LOW,
        PV,
        True,
        "group A: the month-60 control done, the programme completed: the GP takes over",
    ),
    Case(
        DONE,
        "a-for-siste-kontroll-stille",
        LOW,
        PV,
        False,
        "two weeks before the last planned control: not completed",
        [ahead(LOW_OPERATED, 60, 14)],
    ),
    Case(
        DONE,
        "a-over-ett-ar-etter-stille",
        LOW,
        PV,
        False,
        "more than a year after the programme's end: no card any more",
        [ahead(LOW_OPERATED, 60, -366)],
    ),
]
