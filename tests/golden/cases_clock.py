"""Golden cases for GP safety-netting (the pathway clock, cds/evaluate/safety_net.py).

Imported by build_cases.py (``CASES``). The folders are pseudo-rule ids (tests/golden/
projection.py ``SAFETY_NET_RULES``): a card of type ``safety_net`` is filed by its kind.

* ``klokke.forste-fremmote`` — examples/sarkom-henvist-ingen-time.json: a referral marked
  «Pakkeforløp for sarkom» and no first attendance. Sarcoma's forløpstid is 8 calendar days, so
  with the referral sent *d* days before the clock (2026-11-20) day 8 is the deadline: d = 7 and
  8 are silent, d = 9 (N+1) an info card, d = 22 (N+14) still info, d = 23 (N+15) a warning
  (``CDS_SAFETY_NET_WARNING_AFTER_DAYS`` 14); the look-back 90 / 91 days; a booked Appointment,
  an attended Encounter linked to the referral (basedOn) or at the receiving department silence
  it; a transfer (a second marked referral to another centre) leaves the clock unchanged.
* ``klokke.avsluttet-uten-kreft`` — examples/sarkom-avsluttet-uten-kreft.json: referral,
  attendance, an epikrise «ikke holdepunkt for sarkom» on 2026-10-20 and the lump measured again
  on 2026-11-16. Silent without the later measurement, with it dated on the decision day, and
  with the decision older than the look-back (180 / 181 days); the same from a registered A36CI.

The clock is 2026-11-20 like every golden case.
"""

from __future__ import annotations

from typing import Any

from build_cases import (
    Bundle,
    Case,
    Edit,
    _resource,
    add,
    day,
    hospital_contact,
    radiology,
    remove,
)

from cds.criteria.codesystems import PATHWAY_CODE_SYSTEM

PV = "patient-view"
FIRST, ENDED = "klokke.forste-fremmote", "klokke.avsluttet-uten-kreft"
SN, SA = "sarkom-henvist-ingen-time", "sarkom-avsluttet-uten-kreft"
REF_SN = "henvisning-sarkom-henvist"
REF_SA = "henvisning-sarkom-avsluttet"


def sent(rid: str, days_ago: int) -> Edit:
    """Move a referral's authoredOn."""

    def apply(bundle: Bundle) -> None:
        _resource(bundle, rid)["authoredOn"] = day(days_ago)

    return apply


def dated(rid: str, days_ago: int) -> Edit:
    """Move whatever dates a resource has (period, effective, issued, onset) to ``days_ago``."""

    def apply(bundle: Bundle) -> None:
        res = _resource(bundle, rid)
        when = day(days_ago)
        if "period" in res:
            res["period"] = {"start": when + "T09:00:00+01:00", "end": when + "T10:00:00+01:00"}
        for key in ("effectiveDateTime", "issued"):
            if key in res:
                res[key] = when + "T12:00:00+01:00"
        for key in ("onsetDateTime", "recordedDate", "authoredOn"):
            if key in res:
                res[key] = when

    return apply


def transfer(rid: str, receiver: str, *, days_ago: int) -> Edit:
    """A second referral marked for the pathway, to another centre (registration O)."""
    res: dict[str, Any] = {
        "resourceType": "ServiceRequest",
        "id": rid,
        "status": "active",
        "intent": "order",
        "category": [{"coding": [{"system": "http://snomed.info/sct", "code": "3457005",
                                  "display": "Patient referral"}], "text": "Henvisning"}],
        "code": {"text": "Henvisning videresendt til sarkomsenter"},
        "orderDetail": [{"text": "Pakkeforløp for sarkom"}],
        "authoredOn": day(days_ago),
        "performer": [{"display": receiver}],
    }
    return add(res)


def registered(rid: str, code: str, display: str, *, days_ago: int) -> Edit:
    """A pathway registration as an Observation coded in our registration code system."""
    return add({
        "resourceType": "Observation",
        "id": rid,
        "status": "final",
        "code": {"coding": [{"system": PATHWAY_CODE_SYSTEM, "code": code, "display": display}]},
        "effectiveDateTime": day(days_ago) + "T12:00:00+01:00",
    })


# The «ended without cancer» example with its dates moved ``shift`` days further back.
def _older(shift: int) -> list[Edit]:
    # example: referral 50, attendance 45, epikrise 31, first lump 57 days ago
    return [sent(REF_SA, 50 + shift), dated("fremmote-avsluttet", 45 + shift),
            dated("epikrise-avsluttet", 31 + shift), dated("kul-avsluttet", 57 + shift),
            dated("storrelse-avsluttet-1", 57 + shift)]


OUS_DEPARTMENT = "Sarkomsenteret, ortopedisk poliklinikk"
CI = ("A36CI", "Klinisk beslutning – Ikke påvist sykdom")

CASES: list[Case] = [
    # --- klokke.forste-fremmote: referral, no first attendance by its deadline ----------------
    Case(FIRST, "eksempel-dag-31-varsel", SN, PV, True,
         "henvist 20.10.2026, frist 28.10: 23 dager over fristen (> 14): advarsel"),
    Case(FIRST, "dag-7-i-tide-stille", SN, PV, False,
         "henvist for 7 dager siden: fristen (dag 8) er ikke nådd", [sent(REF_SN, 7)]),
    Case(FIRST, "dag-8-frist-i-dag-stille", SN, PV, False,
         "dag 8 er siste dag i tide: ingen påminnelse ennå", [sent(REF_SN, 8)]),
    Case(FIRST, "dag-9-over-fristen-info", SN, PV, True,
         "dag 9 (N+1): første fremmøte er ikke registrert innen fristen: info", [sent(REF_SN, 9)]),
    Case(FIRST, "dag-22-fjorten-dager-over-info", SN, PV, True,
         "dag 22 (N+14): 14 dager over fristen, fortsatt info (advarsel etter 14)",
         [sent(REF_SN, 22)]),
    Case(FIRST, "dag-23-femten-dager-over-varsel", SN, PV, True,
         "dag 23 (N+15): 15 dager over fristen: advarsel", [sent(REF_SN, 23)]),
    Case(FIRST, "dag-90-tilbakeblikk-varsel", SN, PV, True,
         "henvist for 90 dager siden: innenfor tilbakeblikket på 90 dager (82 dager over "
         "fristen)", [sent(REF_SN, 90)]),
    Case(FIRST, "dag-91-utenfor-tilbakeblikk-stille", SN, PV, False,
         "henvist for 91 dager siden: for gammelt (trolig mangler fremmøtet i journalen); "
         "henvisningen er også utenfor sin 90-dagersgrense, så begrunnet-kortet vises igjen",
         [sent(REF_SN, 91)]),
    Case(FIRST, "time-bestilt-stille", SN, PV, False,
         "en bestilt time (Appointment booked) ved sarkomsenteret: pasienten har fått time",
         [hospital_contact("time-sarkom", OUS_DEPARTMENT, days_ago=-5, kind="Appointment",
                           based_on=f"ServiceRequest/{REF_SN}")]),
    Case(FIRST, "fremmote-koblet-stille", SN, PV, False,
         "et fremmøte (Encounter) med basedOn til henvisningen: første fremmøte har skjedd",
         [hospital_contact("fremmote-sarkom", "Poliklinikk", days_ago=25,
                           based_on=f"ServiceRequest/{REF_SN}")]),
    Case(FIRST, "fremmote-avdeling-stille", SN, PV, False,
         "et fremmøte ved sarkomsenteret uten basedOn: avdelingen viser første fremmøte",
         [hospital_contact("fremmote-sarkom", OUS_DEPARTMENT, days_ago=25)]),
    Case(FIRST, "videresendt-klokken-uendret-varsel", SN, PV, True,
         "henvisningen videresendt (O) til Haukeland 25.10.2026: fristen regnes fortsatt fra "
         "20.10.2026, advarsel",
         [transfer("henvisning-videresendt", "Sarkomsenteret, Haukeland universitetssykehus",
                   days_ago=26)]),
    # --- klokke.avsluttet-uten-kreft: ended «ikke påvist kreft», the finding persists ---------
    Case(ENDED, "eksempel-epikrise-kul-etterpa-info", SA, PV, True,
         "epikrise 20.10.2026 «ikke holdepunkt for sarkom»; dyp kul målt 6 cm 16.11.2026"),
    Case(ENDED, "uten-nytt-funn-stille", SA, PV, False,
         "ingen måling etter avslutningen: funnene er de sykehuset vurderte",
         [remove("storrelse-avsluttet-2")]),
    Case(ENDED, "funn-samme-dag-stille", SA, PV, False,
         "ny måling samme dag som epikrisen: ikke etter beslutningen",
         [dated("storrelse-avsluttet-2", 31)]),
    Case(ENDED, "registrert-a36ci-info", SA, PV, True,
         "registrert A36CI 19.10.2026 i stedet for epikrisen: kortet nevner koden",
         [remove("epikrise-avsluttet"), registered("reg-a36ci", *CI, days_ago=32)]),
    Case(ENDED, "beslutning-180-dager-info", SA, PV, True,
         "beslutning for 180 dager siden: innenfor tilbakeblikket",
         _older(149)),
    Case(ENDED, "beslutning-181-dager-stille", SA, PV, False,
         "beslutning for 181 dager siden: utenfor tilbakeblikket på 180 dager",
         _older(150)),
    Case(ENDED, "eget-henvisningskort-stille", SA, PV, False,
         "avsluttet for 91 dager siden, ny MR 15.11.2026 malignitetssuspekt: begrunnet-kortet "
         "for sarkom vises (henvisningen er over 90 dager gammel) og sier selv hva som skal "
         "gjøres, så sikkerhetsnettet tier",
         [*_older(60), radiology("mr-etterpa", "MR høyre lår (tumorprotokoll)",
                                 "7 cm stor intramuskulær tumor. Funnet er malignitetssuspekt.",
                                 days_ago=5)]),
]
