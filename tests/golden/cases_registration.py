"""Golden cases for the registration proposals (service ``pakkeforlop-registrering``,
docs/registration.md), on the hospital example examples/sarkom-sykehus-registrering.json.

Imported by build_cases.py (``CASES``). Folders are pseudo-rule ids
(``sarkom.registrering.<event>``, cds.evaluate.registration): a case *fires* when the call
proposes that event's code. The example holds the received referral (20.10.2026, 31 days before
the clock), a visit linked to it (27.10.2026) and an epikrise denying sarcoma (12.11.2026), so it
proposes A36A and A36S and offers A36CA / A36CI. Each event kind fires once or more; each is
silent when already registered, and on the other side of its boundary: evidence dated tomorrow,
a contact at another department that is not linked to the referral, a second referral to the
same receiver, a diagnosis before the start, a hedged epikrise, a procedure not yet done.
"""

from __future__ import annotations

from typing import Any

from build_cases import (
    ICD,
    SCT,
    Bundle,
    Case,
    Edit,
    _resource,
    add,
    condition,
    day,
    medicine,
    remove,
)

E = "sarkom-sykehus-registrering"
PV = "patient-view"
SERVICE = "pakkeforlop-registrering"
PATHWAY_SYSTEM = "http://pakkeforlop-cds.no/fhir/CodeSystem/pakkeforlop"
START, VISIT, TRANSFER = (
    "sarkom.registrering.start",
    "sarkom.registrering.fremmote",
    "sarkom.registrering.overforing",
)
DECISION, NOT_CANCER, TREATMENT = (
    "sarkom.registrering.beslutning",
    "sarkom.registrering.ikke-kreft",
    "sarkom.registrering.behandling",
)
NO_EPIKRISE = remove("epikrise-beslutning")


def registered(code: str, *, days_ago: int) -> Edit:
    """A registration Observation of ``code`` (docs/registration.md) on that day."""
    return add({
        "resourceType": "Observation", "id": f"registrert-{code.lower()}", "status": "final",
        "code": {"coding": [{"system": PATHWAY_SYSTEM, "code": code}]},
        "effectiveDateTime": day(days_ago),
    })


def visit(
    *, days_ago: int | None = None, linked: bool = True, department: str | None = None
) -> Edit:
    """Change the first visit: its day, its link to the referral, its department."""

    def apply(bundle: Bundle) -> None:
        enc = _resource(bundle, "forste-fremmote")
        if days_ago is not None:
            start = day(days_ago)
            enc["period"] = {"start": f"{start}T09:30:00+01:00", "end": f"{start}T10:15:00+01:00"}
        if not linked:
            enc.pop("basedOn", None)
        if department is not None:
            enc["serviceType"] = {"text": department}
            enc["serviceProvider"] = {"display": department}

    return apply


def second_referral(performer: str, *, days_ago: int = 5) -> Edit:
    """A later referral marked «Pakkeforløp for sarkom» to ``performer``."""
    return add({
        "resourceType": "ServiceRequest", "id": "henvisning-videre", "status": "active",
        "intent": "order",
        "category": [{"coding": [{"system": SCT, "code": "3457005",
                                  "display": "Patient referral"}], "text": "Henvisning"}],
        "priority": "urgent", "code": {"text": "Pakkeforløp for sarkom"},
        "authoredOn": day(days_ago), "orderDetail": [{"text": "Pakkeforløp for sarkom"}],
        "performer": [{"display": performer}],
    })


def epikrise(conclusion: str) -> Edit:
    def apply(bundle: Bundle) -> None:
        _resource(bundle, "epikrise-beslutning")["conclusion"] = conclusion

    return apply


def excision(*, status: str = "completed", days_ago: int = 3) -> Edit:
    procedure: dict[str, Any] = {
        "resourceType": "Procedure", "id": "eksisjon", "status": status,
        "code": {"coding": [{"system": SCT, "code": "65801008", "display": "Excision"}],
                 "text": "Ekstirpasjon av tumor venstre lår"},
        "performedDateTime": day(days_ago),
    }
    return add(procedure)


SARCOMA = condition("sarkom-diagnose", ICD, "C49.2",
                    "Ondartet svulst i bindevev og bløtvev i underekstremitet", days_ago=5)


def case(folder: str, name: str, fires: bool, why: str, edits: list[Edit] | None = None) -> Case:
    return Case(folder, name, E, PV, fires, why, edits or [], service=SERVICE)


CASES: list[Case] = [
    # --- A: henvisning mottatt ------------------------------------------------------------------
    case(START, "henvisning-mottatt-foreslas", True,
         "mottatt henvisning merket «Pakkeforløp for sarkom» 20.10.2026, ingen registrering: A36A"),
    case(START, "a36a-registrert", False,
         "A36A er registrert (Observation 20.10.2026): ikke foreslått igjen",
         [registered("A36A", days_ago=31)]),
    # --- S: første fremmøte ---------------------------------------------------------------------
    case(VISIT, "kontakt-knyttet-til-henvisningen", True,
         "poliklinisk kontakt 27.10.2026 med basedOn henvisningen: A36S"),
    case(VISIT, "kontakt-i-dag", True,
         "kontakten er i dag (20.11.2026): A36S med dagens dato", [visit(days_ago=0)]),
    case(VISIT, "kontakt-i-morgen", False,
         "kontakten er datert i morgen (21.11.2026): ingen bevis ennå", [visit(days_ago=-1)]),
    case(VISIT, "kontakt-ved-sarkomsenteret-uten-kobling", True,
         "kontakt ved sarkomsenteret uten basedOn: avdelingen er den utredende, A36S",
         [visit(linked=False)]),
    case(VISIT, "ukoblet-kontakt-annen-avdeling", False,
         "kontakt ved øyeavdelingen uten basedOn: ikke første fremmøte i forløpet",
         [visit(linked=False, department="Øyepoliklinikken, Eksempel sykehus")]),
    case(VISIT, "a36s-registrert", False,
         "A36S er registrert (Observation 27.10.2026): ikke foreslått igjen",
         [registered("A36S", days_ago=24)]),
    # --- O: overført ----------------------------------------------------------------------------
    case(TRANSFER, "ny-henvisning-annen-mottaker", True,
         "ny henvisning merket for sarkom 15.11.2026 til Haukeland: A36O",
         [second_referral("Haukeland universitetssykehus, sarkomsenteret")]),
    case(TRANSFER, "ny-henvisning-samme-mottaker", False,
         "ny henvisning 15.11.2026 til samme mottaker: en kopi, ingen overføring",
         [second_referral("Oslo universitetssykehus, sarkomsenteret")]),
    # --- C: klinisk beslutning med kodet diagnose ---------------------------------------------
    case(DECISION, "sarkom-diagnose-kodet", True,
         "C49.2 ført 15.11.2026 etter start (ingen epikrise): A36CK",
         [NO_EPIKRISE, SARCOMA]),
    case(DECISION, "sarkom-diagnose-for-start", False,
         "C49.2 ført 40 dager før henvisningen ble mottatt: ikke en beslutning i dette forløpet",
         [NO_EPIKRISE, condition("sarkom-diagnose", ICD, "C49.2",
                                 "Ondartet svulst i bløtvev", days_ago=40)]),
    # --- C: ikke påvist kreft (to alternativer) -------------------------------------------------
    case(NOT_CANCER, "epikrise-uten-holdepunkt-for-sarkom", True,
         "epikrise 12.11.2026 «Ikke holdepunkt for sarkom»: A36CA eller A36CI, ett valg"),
    case(NOT_CANCER, "epikrise-usikker", False,
         "epikrisen sier «mulig lavgradig sarkom»: ingen beslutning",
         [epikrise("MR og biopsi: mulig lavgradig sarkom, avventer endelig svar.")]),
    case(NOT_CANCER, "a36ci-registrert", False,
         "A36CI er registrert 12.11.2026: beslutningen er registrert",
         [registered("A36CI", days_ago=8)]),
    # --- F: behandling start --------------------------------------------------------------------
    case(TREATMENT, "eksisjon-utfort", True,
         "C49.2 ført og eksisjon (SNOMED 65801008) utført 17.11.2026: A36CK og A36FK",
         [NO_EPIKRISE, SARCOMA, excision()]),
    case(TREATMENT, "cellegift-startet", True,
         "C49.2 ført og cisplatin (ATC L01XA01) startet 16.11.2026: A36FM",
         [NO_EPIKRISE, SARCOMA, medicine("cisplatin", "L01XA01", "Cisplatin", days_ago=4)]),
    case(TREATMENT, "eksisjon-planlagt", False,
         "eksisjonen er planlagt (status preparation), ikke utført: ingen behandlingsstart",
         [NO_EPIKRISE, SARCOMA, excision(status="preparation", days_ago=-3)]),
]
