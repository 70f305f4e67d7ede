"""Golden cases for Pakkeforløp for sarkom (criteria/sarkom.yaml).

Imported by build_cases.py (``CASES``). Each case starts from one of the examples/sarkom-*.json
records and puts it on one side of a boundary the criteria file documents: tumour size 5.0 / 5.1
cm and 50 / 51 mm, deep vs subcutaneous, special locations, growth, age 17 vs 18, MR
malignancy-suspect vs benign / hedged / negated / not musculoskeletal, «uavklart» on skeletal X-ray
(with and without earlier cancer) vs on MR, pathology wording, retroperitoneal tumour vs lymphoma,
imaging and findings at 90 / 91 (MR filter test 180 / 181) days, «already referred» at 90 / 91
days, and which draft orders the biopsy stop does and does not catch. The clock is 2026-11-20.

The golden meta-test names the rule behind a card by (pathway, outcome): all begrunnet rules of
this pathway share one card id, as do the mistanke, advice and stop_order rules. A case that is
*silent* for a rule therefore shows no card of that rule's outcome at all (another outcome is
fine), and which begrunnet rule fired (bone / soft tissue / abdominal) shows in the expected
response's receivers, not in the index.
"""

from __future__ import annotations

import copy
from typing import Any

from build_cases import (
    ICD,
    ICPC,
    SCT,
    TODAY,
    Bundle,
    Case,
    Edit,
    _resource,
    add,
    born,
    day,
    referral,
    remove,
)

PV, OSEL, OSIGN = "patient-view", "order-select", "order-sign"

DYP, S6, S4, MRX, RTG, BARN, BIO, CT, TS, NATT = (
    "sarkom-dyp-lar",
    "sarkom-subkutan-6cm",
    "sarkom-subkutan-4cm",
    "sarkom-mr-malignitetssuspekt",
    "sarkom-rtg-tidligere-brystkreft",
    "sarkom-barn-kul",
    "sarkom-biopsi-utkast",
    "sarkom-retroperitoneal-ct",
    "sarkom-tidligere-sarkom",
    "sarkom-nattesmerter",
)
VOKS, RES = "sarkom-voksende-kul", "sarkom-residiv-etter-lipom"

STOP_BEN, STOP = "sarkom.stopp-biopsi-ben", "sarkom.stopp-biopsi"
BARN_BEG, BARN_KUL = "sarkom.barn.begrunnet", "sarkom.barn.blotvevssvulst"
MR_BEN, MR_BLOT, RTG_BEG = (
    "sarkom.begrunnet.mr-skjelett",
    "sarkom.begrunnet.mr",
    "sarkom.begrunnet.rtg-skjelett",
)
HIST_BEN, HIST_ABD, HIST = (
    "sarkom.begrunnet.histologi-ben",
    "sarkom.begrunnet.histologi-abdominal",
    "sarkom.begrunnet.histologi",
)
TILB_BEN, TILB, ABD = (
    "sarkom.begrunnet.tilbakefall-ben",
    "sarkom.begrunnet.tilbakefall",
    "sarkom.begrunnet.abdominal",
)
RTG_KREFT = "sarkom.rtg-tidligere-kreft"
SIG = "sarkom.signert-uten-grunnlag"
M_BEN, M_BEN_MR, M_BLOT, M_BEKKEN, M_ABD = (
    "sarkom.mistanke.ben",
    "sarkom.mistanke.ben-mr",
    "sarkom.mistanke.blotvev",
    "sarkom.mistanke.bekken",
    "sarkom.mistanke.abdominal",
)
LABEL = "Pakkeforløp for sarkom"
ORTOPED = "Henvisning ortopedisk poliklinikk"
V2_0074 = "http://terminology.hl7.org/CodeSystem/v2-0074"


# --- edits of our own ---------------------------------------------------------------------------


AGE_17 = born("2009-11-21")  # 18 tomorrow
AGE_18 = born("2008-11-20")  # 18 today


def address(*, state: str | None, postal: str | None) -> Edit:
    """Replace the county and postal code of the home address (None: leave the field out)."""

    def apply(bundle: Bundle) -> None:
        for entry in bundle["entry"]:
            resource = entry["resource"]
            if resource["resourceType"] != "Patient":
                continue
            home = resource["address"][0]
            for key, value in (("state", state), ("postalCode", postal)):
                if value is None:
                    home.pop(key, None)
                else:
                    home[key] = value

    return apply


def site(rid: str, text: str, *, note: str | None = None) -> Edit:
    """Set the bodySite text (and optionally the note) of a Condition or Observation."""

    def apply(bundle: Bundle) -> None:
        resource = _resource(bundle, rid)
        if resource["resourceType"] == "Condition":
            resource["bodySite"] = [{"text": text}]
        else:
            resource["bodySite"] = {"text": text}
            resource.pop("method", None)
        if note is not None:
            resource["note"] = [{"text": note}]

    return apply


def size(rid: str, value: float, unit: str) -> Edit:
    """Set a tumour-size Observation's value (on the component when it has one)."""

    def apply(bundle: Bundle) -> None:
        obs = _resource(bundle, rid)
        holder = obs["component"][0] if "component" in obs else obs
        holder["valueQuantity"] = {"value": value, "unit": unit,
                                   "system": "http://unitsofmeasure.org", "code": unit}

    return apply


def dated(*rids: str, days_ago: int) -> Edit:
    """Move Conditions, Observations and reports to ``days_ago``."""

    def apply(bundle: Bundle) -> None:
        when = day(days_ago)
        for rid in rids:
            resource = _resource(bundle, rid)
            if resource["resourceType"] == "Condition":
                resource["onsetDateTime"] = when
                resource["recordedDate"] = when
            else:
                resource["effectiveDateTime"] = when + "T09:00:00+01:00"
                if "issued" in resource:
                    resource["issued"] = when + "T15:30:00+01:00"

    return apply


def lump(rid: str, system: str, code: str, display: str, *, body_site: str, note: str = "",
         days_ago: int = 10) -> Edit:
    """A coded lump/symptom with the GP's bodySite and note."""
    when = day(days_ago)
    resource: dict[str, Any] = {
        "resourceType": "Condition",
        "id": rid,
        "clinicalStatus": {"coding": [{
            "system": "http://terminology.hl7.org/CodeSystem/condition-clinical",
            "code": "active"}]},
        "verificationStatus": {"coding": [{
            "system": "http://terminology.hl7.org/CodeSystem/condition-ver-status",
            "code": "confirmed"}]},
        "code": {"coding": [{"system": system, "code": code, "display": display}],
                 "text": display},
        "bodySite": [{"text": body_site}],
        "onsetDateTime": when,
        "recordedDate": when,
    }
    if note:
        resource["note"] = [{"text": note}]
    return add(resource)


def history(rid: str, system: str, code: str, display: str, *, days_ago: int = 2000) -> Edit:
    """A resolved diagnosis (earlier cancer, earlier sarcoma)."""
    when = day(days_ago)
    return add({
        "resourceType": "Condition",
        "id": rid,
        "clinicalStatus": {"coding": [{
            "system": "http://terminology.hl7.org/CodeSystem/condition-clinical",
            "code": "resolved"}]},
        "verificationStatus": {"coding": [{
            "system": "http://terminology.hl7.org/CodeSystem/condition-ver-status",
            "code": "confirmed"}]},
        "code": {"coding": [{"system": system, "code": code, "display": display}],
                 "text": display},
        "onsetDateTime": when,
        "recordedDate": when,
    })


def report(rid: str, title: str, conclusion: str, *, kind: str = "RAD",
           days_ago: int = 5) -> Edit:
    """A DiagnosticReport: radiology (RAD; the modality is read from the title) or pathology
    (PAT)."""
    when = day(days_ago)
    return add({
        "resourceType": "DiagnosticReport",
        "id": rid,
        "status": "final",
        "category": [{"coding": [{"system": V2_0074, "code": kind}]}],
        "code": {"text": title},
        "effectiveDateTime": when + "T09:00:00+01:00",
        "issued": when + "T15:30:00+01:00",
        "conclusion": conclusion,
    })


def conclusion(rid: str, text: str) -> Edit:
    def apply(bundle: Bundle) -> None:
        _resource(bundle, rid)["conclusion"] = text

    return apply


def recode(rid: str, system: str, code: str, display: str) -> Edit:
    def apply(bundle: Bundle) -> None:
        resource = _resource(bundle, rid)
        resource["code"] = {"coding": [{"system": system, "code": code, "display": display}],
                            "text": display}

    return apply


def draft(rid: str, text: str | None, *, code: tuple[str, str] | None = None,
          note_text: str | None = None,
          body_site: tuple[str | None, str | None] | None = None) -> Edit:
    """A draft order (a procedure or a referral) for the order hooks. ``text`` None: the code
    alone (a coded order with no code.text); ``body_site``: (SNOMED code, display) of a coded
    bodySite, either part may be None."""
    resource: dict[str, Any] = {
        "resourceType": "ServiceRequest",
        "id": rid,
        "status": "draft",
        "intent": "order",
        "priority": "routine",
        "code": {"text": text},
        "authoredOn": TODAY.isoformat(),
        "requester": {"reference": "Practitioner/fastlege-eksempel"},
    }
    if code is not None:
        resource["code"]["coding"] = [{"system": SCT, "code": code[0], "display": code[1]}]
    if text is None:
        del resource["code"]["text"]
    if body_site is not None:
        coding = {"system": SCT, "code": body_site[0], "display": body_site[1]}
        resource["bodySite"] = [{"coding": [{k: v for k, v in coding.items() if v is not None}]}]
    if text is not None and text.lower().startswith("henvisning"):
        resource["category"] = [{"coding": [{"system": SCT, "code": "3457005",
                                             "display": "Patient referral"}],
                                 "text": "Henvisning"}]
    if note_text:
        resource["note"] = [{"text": note_text}]
    return add(copy.deepcopy(resource))


def operation(rid: str, text: str, *, body_site: str, days_ago: int,
              status: str = "completed", coded: bool = True) -> Edit:
    """An earlier Procedure (an excision), for «tilbakefall etter tidligere kirurgi»."""
    resource: dict[str, Any] = {
        "resourceType": "Procedure",
        "id": rid,
        "status": status,
        "code": {"text": text},
        "performedDateTime": day(days_ago),
        "bodySite": [{"text": body_site}],
    }
    if coded:
        resource["code"]["coding"] = [{"system": SCT, "code": "65801008", "display": "Excision"}]
    return add(resource)


# Frequently used edits.
NO_EARLIER_CANCER = remove("brystkreft-rtg", "letrozol-rtg")
BENHARD_KUL = lump("benkul", ICPC, "S04", "Lokalisert hevelse/kul hud",
                   body_site="Høyre legg, proksimale tibia",
                   note="Benhard kul, fiksert til benet, ca 3 cm. Ikke øm.")
BIOPSI_LESJON = draft("biopsi-utkast", "Biopsi av lesjon i høyre legg",
                      code=("86273004", "Biopsy"))
NO_NEW_LUMP = remove("kul-tidligere", "storrelse-tidligere")
RTG_NORMAL_KNE = report("rtg-kne", "Rtg. høyre kne", "Normale skjelettforhold. Ingen destruksjon.",
                        days_ago=10)
MR_NORMAL_KNE = report("mr-kne", "MR høyre kne", "Normale forhold i skjelett og bløtdeler.",
                       days_ago=5)
PELVIC_MASS = lump("bekken", ICD, "R19.0", "Intraabdominal og pelvin hevelse, oppfylling og kul",
                   body_site="Lille bekken", note="Fast oppfylling i lille bekken, venstre side.")
ABDOMINAL_MASS = lump("buk", ICPC, "D24", "Abdominal oppfylling/kul IKA",
                      body_site="Abdomen, venstre flanke", note="Palpabel oppfylling.")
CT_NORMAL = report("ct-normal", "CT thorax/abdomen/bekken", "Ingen patologiske funn.", days_ago=7)


def mr_thigh(text: str, *, days_ago: int = 5, title: str = "MR venstre lår") -> Edit:
    return report("mr-lar", title, text, days_ago=days_ago)


def pathology(title: str, text: str) -> Edit:
    return report("histologi", title, text, kind="PAT", days_ago=7)


CASES: list[Case] = [
    # --- sarkom.stopp-biopsi-ben: bone finding + biopsy/excision draft (order hooks) ------------
    Case(STOP_BEN, "benhard-kul-biopsi-nord-norge-oslo", S4, OSEL, True,
         "benhard kul fiksert til tibia + biopsi (SNOMED) i utkast: stopp; bensarkomsenter, "
         "Nordland -> Oslo universitetssykehus Radiumhospitalet (valgt, se REVIEWER)",
         [BENHARD_KUL, BIOPSI_LESJON]),
    Case(STOP_BEN, "benhard-kul-biopsi-order-sign", S4, OSIGN, True,
         "samme ved signering", [BENHARD_KUL, BIOPSI_LESJON]),
    Case(STOP_BEN, "rtg-uavklart-biopsi", RTG, OSEL, True,
         "uavklart skjelettrøntgen uten tidligere kreft + «biopsi av lytisk lesjon» (bare tekst)",
         [NO_EARLIER_CANCER,
          draft("biopsi-utkast", "Henvisning radiologisk avdeling",
                note_text="Ber om CT-veiledet biopsi av lytisk lesjon i venstre femur.")]),
    Case(STOP_BEN, "tidligere-sarkom-rtg-biopsi", TS, OSEL, True,
         "tidligere sarkom, uavklart skjelettrøntgen og biopsi i utkast: mistanke om tilbakefall, "
         "stopp (selv om tidligere kreft ellers slår av røntgenkriteriet)",
         [NO_NEW_LUMP,
          report("rtg-femur", "Rtg. venstre femur", "Uavklart oppklaring i distale femur."),
          draft("biopsi-utkast", "Biopsi av lesjon i venstre femur")]),
    Case(STOP_BEN, "tidligere-kreft-biopsi-stille", RTG, OSEL, False,
         "samme biopsi, men tidligere brystkreft: metastase må avklares, biopsi er vanlig; "
         "ingen stopp (info om røntgenkriteriet i stedet)",
         [draft("biopsi-utkast", "Henvisning radiologisk avdeling",
                note_text="Ber om CT-veiledet biopsi av lytisk lesjon i venstre femur.")]),
    Case(STOP_BEN, "hudbiopsi-stille", S4, OSEL, False,
         "benhard kul, men utkastet er biopsi av en føflekk: ingen stopp (mistanke: røntgen)",
         [BENHARD_KUL, draft("biopsi-utkast", "Biopsi av føflekk på ryggen")]),
    Case(STOP_BEN, "ikke-biopsert-stille", S4, OSEL, False,
         "benhard kul, henvisningsutkast sier «ikke biopsert» og siterer «skal det ikke utføres "
         "biopsi»: ingen stopp",
         [BENHARD_KUL,
          draft("henvisning-utkast", ORTOPED,
                note_text="Benhard kul over tibia, ikke biopsert. Ved mistanke om sarkom skal "
                          "det ikke utføres biopsi eller operasjon før henvising.")]),
    Case(STOP_BEN, "biopsi-annen-side-stille", S4, OSEL, False,
         "benhard kul i høyre legg, biopsi (SNOMED) av lesjon i venstre legg: en annen lesjon, "
         "ingen stopp (mistanke: røntgen)",
         [BENHARD_KUL, draft("biopsi-utkast", "Biopsi av lesjon i venstre legg",
                             code=("86273004", "Biopsy"))]),
    Case(STOP_BEN, "patient-view-stille", S4, PV, False,
         "patient-view har ingen draftOrders: stopp-regelen gjelder bare bestillingshookene",
         [BENHARD_KUL, BIOPSI_LESJON]),
    # --- sarkom.stopp-biopsi: soft-tissue/abdominal/children's finding + biopsy draft ----------
    Case(STOP, "eksempel-order-select", BIO, OSEL, True,
         "dyp kul 7 cm i låret og «Biopsi av kul i venstre lår» (SNOMED 86273004) i utkast"),
    Case(STOP, "eksempel-order-sign", BIO, OSIGN, True, "samme ved signering"),
    Case(STOP, "eksisjon-tekst", DYP, OSEL, True,
         "dyp kul + «Eksisjon av kul venstre lår» uten kode",
         [draft("eksisjon-utkast", "Eksisjon av kul venstre lår")]),
    Case(STOP, "utkast-avkrefter-eksisjon-stille", DYP, OSEL, False,
         "dyp kul + utkast «MR venstre lår. Eksisjon ikke aktuelt før vurdering ved "
         "sarkomsenter»: teksten avkrefter inngrepet (samme assertion som all annen tekst)",
         [draft("mr-utkast",
                "MR venstre lår. Eksisjon ikke aktuelt før vurdering ved sarkomsenter")]),
    Case(STOP, "utkast-usikker-eksisjon", DYP, OSEL, True,
         "dyp kul + utkast «?eksisjon av kul venstre lår»: et spørsmål om inngrep er fortsatt "
         "en bestilling av det, stopp",
         [draft("eksisjon-utkast", "?Eksisjon av kul venstre lår")]),
    # Where the order is (same_place_as): the deep lump is in the left thigh.
    Case(STOP, "eksisjon-annet-sted-stille", DYP, OSEL, False,
         "dyp kul i venstre lår + «Eksisjon av kul på ryggen»: en annen kul, ingen stopp; "
         "mistanke-kortet (MR) står",
         [draft("eksisjon-utkast", "Eksisjon av kul på ryggen")]),
    Case(STOP, "eksisjon-annen-side-stille", DYP, OSEL, False,
         "dyp kul i venstre lår + «Eksisjon av kul høyre lår»: samme region, andre siden, "
         "ingen stopp",
         [draft("eksisjon-utkast", "Eksisjon av kul høyre lår")]),
    Case(STOP, "eksisjon-annen-arm-stille", DYP, OSEL, False,
         "dyp kul i venstre lår + «Eksisjon av kul på venstre arm»: armen er en annen ekstremitet, "
         "ingen stopp",
         [draft("eksisjon-utkast", "Eksisjon av kul på venstre arm")]),
    Case(STOP, "eksisjon-uten-sted", DYP, OSEL, True,
         "dyp kul i venstre lår + «Eksisjon av kul» uten sted: kan være kulen, stopp",
         [draft("eksisjon-utkast", "Eksisjon av kul")]),
    Case(STOP, "eksisjon-underekstremitet", DYP, OSEL, True,
         "dyp kul i venstre lår + «Eksisjon av kul venstre underekstremitet»: kan være låret, "
         "stopp",
         [draft("eksisjon-utkast", "Eksisjon av kul venstre underekstremitet")]),
    Case(STOP, "kul-uten-sted-eksisjon", DYP, OSEL, True,
         "dyp kul uten registrert sted + «Eksisjon av kul høyre skulder»: kan ikke utelukke at "
         "det er kulen, stopp",
         [recode("kul-dyplar", ICPC, "S04", "Kul"),
          site("kul-dyplar", "Dyp, immobil ved kontraksjon", note="Fast kul ca 4 cm."),
          site("storrelse-dyplar", "Dyp, ikke forskyvelig mot underlaget"),
          draft("eksisjon-utkast", "Eksisjon av kul høyre skulder")]),
    Case(STOP, "annen-kodet-kul-eksisjon-stille", DYP, OSEL, False,
         "dyp kul i venstre lår og en annen kodet kul på høyre skulder (voksen uten tidligere "
         "sarkom: den andre kulen gir ikke mistanke) + eksisjon av skulderkulen: ingen stopp",
         [lump("kul-skulder", ICPC, "S04", "Kul høyre skulder", body_site="Høyre skulder",
               note="Bløt, forskyvelig, ca 2 cm. Trolig lipom."),
          draft("eksisjon-utkast", "Eksisjon av kul høyre skulder")]),
    # The order names the lesion as a skin lesion (skin_lesions), even at the lump's place.
    Case(STOP, "nevus-samme-sted-stille", DYP, OSEL, False,
         "dyp kul i venstre lår + «Eksisjon av nevus venstre lår»: hudlesjon, ingen stopp",
         [draft("eksisjon-utkast", "Eksisjon av nevus venstre lår")]),
    Case(STOP, "seborroisk-keratose-stille", DYP, OSEL, False,
         "dyp kul + «Eksisjon av seborroisk keratose, venstre lår»: hudlesjon, ingen stopp",
         [draft("eksisjon-utkast", "Eksisjon av seborroisk keratose, venstre lår")]),
    Case(STOP, "hudflik-stille", DYP, OSEL, False,
         "dyp kul + «Fjerning av hudflik venstre lår» (SNOMED Excision): hudlesjon, ingen stopp",
         [draft("eksisjon-utkast", "Fjerning av hudflik venstre lår",
                code=("65801008", "Excision"))]),
    Case(STOP, "aterom-stille", DYP, OSEL, False,
         "dyp kul + «Eksisjon av aterom» i notatet: hudlesjon, ingen stopp",
         [draft("eksisjon-utkast", "Eksisjon",
                note_text="Aterom på venstre lår, ønsker fjernet.")]),
    # Only an order of the skin lesion only: a lump named beside it lifts the exception (lump_too).
    Case(STOP, "nevus-og-kul-samme-sted-eksisjon", DYP, OSEL, True,
         "dyp kul i venstre lår + «Eksisjon av nevus og kul venstre lår»: kulen er med, stopp",
         [draft("eksisjon-utkast", "Eksisjon av nevus og kul venstre lår")]),
    Case(STOP, "kul-og-aterom-samme-sted-eksisjon", DYP, OSEL, True,
         "dyp kul + «Eksisjon av kul og aterom venstre lår»: kulen er med, stopp",
         [draft("eksisjon-utkast", "Eksisjon av kul og aterom venstre lår")]),
    Case(STOP, "nevus-og-kul-annet-sted-stille", DYP, OSEL, False,
         "dyp kul i venstre lår + «Eksisjon av nevus og kul høyre overarm»: et annet sted, "
         "ingen stopp",
         [draft("eksisjon-utkast", "Eksisjon av nevus og kul høyre overarm")]),
    Case(STOP, "aterom-kul-beskrivelse-stille", DYP, OSEL, False,
         "dyp kul + «Eksisjon av kul venstre lår, trolig aterom»: kulen er hudlesjonen, "
         "ingen stopp",
         [draft("eksisjon-utkast", "Eksisjon av kul venstre lår, trolig aterom")]),
    Case(STOP, "ikke-aterom-eksisjon", DYP, OSEL, True,
         "dyp kul + «Eksisjon av kul venstre lår, ikke aterom»: hudlesjonen er avkreftet, stopp",
         [draft("eksisjon-utkast", "Eksisjon av kul venstre lår, ikke aterom")]),
    # Coded orders follow the same place rules: SNOMED Excision with a SNOMED bodySite.
    Case(STOP, "snomed-eksisjon-samme-sted", DYP, OSEL, True,
         "dyp kul i venstre lår + SNOMED 65801008 Excision, bodySite SNOMED 61396006 «Structure "
         "of left thigh», ingen tekst: stopp",
         [draft("eksisjon-utkast", None, code=("65801008", "Excision"),
                body_site=("61396006", "Structure of left thigh"))]),
    Case(STOP, "snomed-eksisjon-annet-sted-stille", DYP, OSEL, False,
         "dyp kul i venstre lår + SNOMED Excision, bodySite 11207009 «Structure of right thigh»: "
         "ingen stopp",
         [draft("eksisjon-utkast", None, code=("65801008", "Excision"),
                body_site=("11207009", "Structure of right thigh"))]),
    Case(STOP, "snomed-bodysite-kode-uten-tekst-stille", DYP, OSEL, False,
         "dyp kul i venstre lår + SNOMED Excision, bodySite kode 11207009 uten display: koden "
         "alene sier høyre lår, ingen stopp",
         [draft("eksisjon-utkast", None, code=("65801008", "Excision"),
                body_site=("11207009", None))]),
    Case(STOP, "snomed-bodysite-kode-uten-tekst", DYP, OSEL, True,
         "dyp kul i venstre lår + SNOMED Excision, bodySite kode 61396006 uten display: stopp",
         [draft("eksisjon-utkast", None, code=("65801008", "Excision"),
                body_site=("61396006", None))]),
    Case(STOP, "retroperitoneal-eksisjon-lar-stille", CT, OSEL, False,
         "retroperitoneal tumor på venstre side + «Eksisjon av lipom høyre lår»: andre siden, "
         "ingen stopp",
         [draft("eksisjon-utkast", "Eksisjon av lipom høyre lår")]),
    Case(STOP, "fnac-kode", DYP, OSEL, True,
         "dyp kul + utkast kodet SNOMED 287854007 (finnålsaspirasjon), nøytral tekst",
         [draft("fnac-utkast", "Prøvetaking", code=("287854007",
                                                   "Fine needle aspiration biopsy"))]),
    Case(STOP, "henvisning-for-fjerning", DYP, OSEL, True,
         "dyp kul + henvisning til kirurg «for fjerning av kul»",
         [draft("henvisning-utkast", "Henvisning kirurgisk poliklinikk",
                note_text="Ber om fjerning av kul i venstre lår.")]),
    Case(STOP, "lipom-6cm-eksisjon", S6, OSEL, True,
         "subkutan svulst 6 cm + eksisjon: over 5 cm er mistanke, stopp",
         [draft("eksisjon-utkast", "Eksisjon av lipom på ryggen")]),
    Case(STOP, "lipom-4cm-eksisjon-stille", S4, OSEL, False,
         "subkutant lipom 4 cm på overarmen + eksisjon: ingen mistanke, fastlegen kan fjerne det",
         [draft("eksisjon-utkast", "Eksisjon av lipom venstre overarm")]),
    Case(STOP, "residiv-etter-lipom-eksisjon", RES, OSEL, True,
         "ny kul der et lipom ble fjernet + ny eksisjon i utkast: stopp, MR og sarkomsenter først",
         [draft("eksisjon-utkast", "Eksisjon av kul venstre lår")]),
    Case(STOP, "barn-fjerning-av-kul", BARN, OSEL, True,
         "barn med kul på underarmen + «Fjerning av kul»: stopp går foran barneregelen",
         [draft("fjerning-utkast", "Fjerning av kul høyre underarm")]),
    Case(STOP, "retroperitoneal-biopsi", CT, OSEL, True,
         "retroperitoneal tumor på CT + ultralydveiledet biopsi i utkast",
         [draft("biopsi-utkast", "Ultralydveiledet biopsi av retroperitoneal tumor")]),
    Case(STOP, "patient-view-stille", BIO, PV, False,
         "patient-view: ingen draftOrders, mistanke-kortet (MR) i stedet"),
    Case(STOP, "henvisning-uten-biopsi-stille", DYP, OSEL, False,
         "dyp kul + vanlig ortopedhenvisning uten biopsi: mistanke-kortet (MR)",
         [draft("henvisning-utkast", ORTOPED, note_text="Kul i venstre lår, ber om vurdering.")]),
    Case(STOP, "livmorhalscytologi-stille", DYP, OSEL, False,
         "dyp kul + «Celleprøve fra livmorhals (cytologi)»: ikke biopsi av kulen",
         [draft("cytologi-utkast", "Celleprøve fra livmorhals (cytologi)")]),
    # --- sarkom.barn.begrunnet: under 18 with a begrunnet finding --------------------------------
    Case(BARN_BEG, "mr-malignitetssuspekt-17-ar", MRX, PV, True,
         "malignitetssuspekt MR, pasienten er 17 år: kontakt sarkomsenter/barneonkologi",
         [AGE_17]),
    Case(BARN_BEG, "mr-malignitetssuspekt-18-ar-stille", MRX, PV, False,
         "samme MR, pasienten fyller 18 i dag: voksenregelen (begrunnet, henvisning)",
         [AGE_18]),
    Case(BARN_BEG, "histologi-rabdomyosarkom", BARN, PV, True,
         "barn, patologisvar «Embryonalt rabdomyosarkom»",
         [pathology("Biopsi høyre underarm", "Embryonalt rabdomyosarkom.")]),
    Case(BARN_BEG, "rtg-uavklart-16-ar", NATT, PV, True,
         "16-åring med nattesmerter, røntgen «uavklart lytisk forandring» i tibia",
         [report("rtg-kne", "Rtg. høyre kne",
                 "Uavklart lytisk forandring i proksimale tibiametafyse med periostreaksjon.",
                 days_ago=3)]),
    Case(BARN_BEG, "mr-benign-stille", NATT, PV, False,
         "16-åring, MR kne uten holdepunkt for malignitet: ikke begrunnet (røntgen mangler: "
         "mistanke-kortet)",
         [report("mr-kne", "MR høyre kne", "Ingen holdepunkt for malignitet. Normal benmarg.")]),
    # --- sarkom.barn.blotvevssvulst: under 18 with a soft-tissue lump -------------------------
    Case(BARN_KUL, "eksempel-patient-view", BARN, PV, True,
         "12-åring med fast kul 2 cm på underarmen: henvis til barneavdeling"),
    Case(BARN_KUL, "lipom-4cm-17-ar", S4, PV, True,
         "subkutant lipom 4 cm på overarmen hos en 17-åring: uansett størrelse",
         [AGE_17]),
    Case(BARN_KUL, "lipom-4cm-18-ar-stille", S4, PV, False,
         "samme hos en som fyller 18 i dag: voksen, under 5 cm og subkutant: ingen kort",
         [AGE_18]),
    Case(BARN_KUL, "kul-pa-halsen-stille", BARN, PV, False,
         "kulen sitter på halsen (ikke trunkus/ekstremitet, oftest lymfeknute): ingen kort",
         [site("kul-barn", "Venstre side av halsen"),
          site("storrelse-barn", "Venstre side av halsen")]),
    Case(BARN_KUL, "insektstikk-stille", BARN, PV, False,
         "fastlegen har notert at hevelsen er et insektstikk: ikke en svulst",
         [site("kul-barn", "Høyre underarm", note="Hevelse etter insektstikk for tre dager siden."),
          remove("storrelse-barn")]),
    # --- sarkom.begrunnet.mr-skjelett: malignancy-suspect MR finding in bone ------------------
    Case(MR_BEN, "mr-tibia-nord-norge-oslo", S4, PV, True,
         "MR: intraossøs lesjon i tibia, malignitetssuspekt; bensarkom, Nordland -> Oslo "
         "universitetssykehus Radiumhospitalet (valgt, se REVIEWER), Haukeland som alternativ",
         [report("mr-kne", "MR høyre kne",
                 "Intraossøs lesjon i proksimale tibia med kortikal destruksjon og "
                 "bløtdelskomponent. Funnet er malignitetssuspekt.")]),
    Case(MR_BEN, "mr-femur-helse-vest", MRX, PV, True,
         "MR lår: malignitetssuspekt forandring i femur, Helse Vest -> Haukeland",
         [conclusion("mr-lar-mr", "Malignitetssuspekt forandring i distale femur med "
                                  "periostreaksjon.")]),
    Case(MR_BEN, "mr-enkondrom-stille", S4, PV, False,
         "MR: enkondrom, ikke malignitetssuspekt: ingen kort",
         [report("mr-kne", "MR høyre kne",
                 "Enkondrom i proksimale tibia, ikke malignitetssuspekt.")]),
    # --- sarkom.begrunnet.mr: malignancy-suspect MR of soft tissue ------------------------------
    Case(MR_BLOT, "eksempel-patient-view", MRX, PV, True,
         "MR lår: malignitetssuspekt intramuskulær tumor, Helse Vest -> Haukeland"),
    Case(MR_BLOT, "eksempel-order-select", MRX, OSEL, True,
         "samme; ortopedhenvisningen under arbeid oppdateres og merkes"),
    Case(MR_BLOT, "eksempel-order-sign", MRX, OSIGN, True, "samme ved signering"),
    Case(MR_BLOT, "mr-kan-ikke-utelukke-malignitet", DYP, PV, True,
         "«Kan ikke utelukke malignitet.» teller (hedget funn)",
         [mr_thigh("Solid intramuskulær lesjon, 4 cm. Kan ikke utelukke malignitet.")]),
    Case(MR_BLOT, "mr-benign-men-kan-ikke-utelukkes", DYP, PV, True,
         "«Sannsynlig benign, men malignitet kan ikke utelukkes»: leddet etter «, men» teller",
         [mr_thigh("Sannsynlig benign lesjon, men malignitet kan ikke utelukkes.")]),
    Case(MR_BLOT, "mr-atypisk-lipomatos-tumor", DYP, PV, True,
         "«atypisk lipomatøs tumor» er ikke «lipom»",
         [mr_thigh("Fettholdig tumor med septa, atypisk lipomatøs tumor kan ikke utelukkes.")]),
    Case(MR_BLOT, "mr-blotdel-inntil-femur", S4, PV, True,
         "malignitetssuspekt bløtdelstumor inntil femur: bløtvev (alle fire sentre, Nordland -> "
         "Universitetssykehuset Nord-Norge)",
         [mr_thigh("Malignitetssuspekt bløtdelstumor inntil distale femur, uten periostreaksjon "
                   "eller kortikal affeksjon.")]),
    Case(MR_BLOT, "mr-90-dager", DYP, PV, True, "malignitetssuspekt MR for 90 dager siden",
         [mr_thigh("Intramuskulær tumor, malignitetssuspekt.", days_ago=90)]),
    Case(MR_BLOT, "mr-91-dager-stille", DYP, PV, False,
         "samme MR for 91 dager siden: funnet teller ikke lenger (MR er tatt: ingen mistanke)",
         [mr_thigh("Intramuskulær tumor, malignitetssuspekt.", days_ago=91)]),
    Case(MR_BLOT, "mr-lipom-stille", DYP, PV, False,
         "MR: intramuskulært lipom, ingen holdepunkt for malignitet: ingen kort",
         [mr_thigh("Intramuskulært lipom, 4 cm. Ingen holdepunkt for malignitet.")]),
    Case(MR_BLOT, "mr-uavklart-stille", DYP, PV, False,
         "MR «uavklart» er ikke kriterium (bare på skjelettrøntgen): ingen kort",
         [mr_thigh("Uavklart intramuskulær lesjon. Anbefaler kontroll om tre måneder.")]),
    Case(MR_BLOT, "mr-ikke-malignitetssuspekt-stille", DYP, PV, False,
         "«ikke malignitetssuspekt» er negert",
         [mr_thigh("Intramuskulær lesjon, ikke malignitetssuspekt.")]),
    Case(MR_BLOT, "mr-ikke-behov-for-sarkomsenter-stille", DYP, PV, False,
         "«sarkomsenter» i teksten er ikke et sarkomfunn",
         [mr_thigh("Lipom. Ikke behov for henvisning til sarkomsenter.")]),
    # Assertion (criteria/assertion.yaml): a denied benign word does not cancel; family history
    # is not the patient's finding.
    Case(MR_BLOT, "mr-malignitetssuspekt-ikke-benignt-utseende", DYP, PV, True,
         "«ikke benignt utseende» avkrefter det godartede: utelukkelsen gjelder ikke",
         [mr_thigh("Intramuskulær tumor, malignitetssuspekt og ikke benignt utseende.")]),
    Case(MR_BLOT, "mr-sarkom-hos-mor-stille", DYP, PV, False,
         "«Mor hadde liposarkom» er familieanamnese; funnet er et lipom",
         [mr_thigh("Intramuskulært lipom, 4 cm. Mor hadde liposarkom.")]),
    Case(MR_BLOT, "mr-caput-stille", DYP, PV, False,
         "malignitetssuspekt MR caput er ikke en MR av skjelett/bløtvev (mistanke-kortet for "
         "låret står: MR med tumorprotokoll mangler)",
         [report("mr-caput", "MR caput", "Malignitetssuspekt lesjon i venstre frontallapp.")]),
    Case(MR_BLOT, "allerede-henvist-90-dager-stille", MRX, PV, False,
         "henvisning merket «Pakkeforløp for sarkom» sendt for 90 dager siden (grense 90)",
         [referral("sendt", status="active", days_ago=90, text=ORTOPED, label=LABEL)]),
    Case(MR_BLOT, "allerede-henvist-91-dager", MRX, PV, True,
         "merket henvisning sendt for 91 dager siden: utenfor grensen, kortet vises",
         [referral("sendt", status="active", days_ago=91, text=ORTOPED, label=LABEL)]),
    Case(MR_BLOT, "postnummer-uten-fylke-helse-vest", MRX, PV, True,
         "ingen fylke i adressen, postnummer 4463 (Lund i Rogaland, prefiks 446): Helse Vest -> "
         "Haukeland (prefiksene er omtrentlige, se criteria/codes/regions.yaml)",
         [address(state=None, postal="4463")]),
    Case(MR_BLOT, "postnummer-4400-helse-sor-ost", MRX, PV, True,
         "ingen fylke, postnummer 4400 (Flekkefjord, Agder): Helse Sør-Øst -> Oslo",
         [address(state=None, postal="4400")]),
    Case(MR_BLOT, "gammelt-fylkesnavn-hordaland", MRX, PV, True,
         "fylket står med gammelt navn «Hordaland»: Helse Vest",
         [address(state="Hordaland", postal="5015")]),
    Case(MR_BLOT, "ukjent-adresse", MRX, PV, True,
         "verken fylke eller postnummer: alle fire sentre, med merknad om å velge mottaker",
         [address(state=None, postal=None)]),
    Case(MR_BLOT, "allerede-henvist-umerket", MRX, PV, True,
         "umerket ortopedhenvisning for 20 dager siden teller ikke som pakkeforløp",
         [referral("sendt", status="active", days_ago=20, text=ORTOPED)]),
    # --- sarkom.begrunnet.rtg-skjelett: suspect/unclear skeletal X-ray, no earlier cancer -----
    Case(RTG_BEG, "uavklart-uten-tidligere-kreft-midt-norge-oslo", RTG, PV, True,
         "«Uavklart lytisk forandring» i femur, ingen tidligere kreft; bensarkom, Trøndelag -> "
         "Oslo universitetssykehus Radiumhospitalet (valgt, se REVIEWER)",
         [NO_EARLIER_CANCER]),
    Case(RTG_BEG, "tidligere-basalcellekarsinom", RTG, PV, True,
         "tidligere basalcellekarsinom (C44) slår ikke av røntgenkriteriet",
         [NO_EARLIER_CANCER,
          history("bcc", ICD, "C44.3", "Ondartet svulst i hud i ansiktet")]),
    Case(RTG_BEG, "patologisk-fraktur-i-svar", RTG, PV, True,
         "røntgensvar «patologisk fraktur gjennom lytisk lesjon»",
         [NO_EARLIER_CANCER,
          conclusion("rtg-femur-rtg", "Patologisk fraktur gjennom lytisk lesjon i proksimale "
                                      "femur.")]),
    Case(RTG_BEG, "tidligere-brystkreft-stille", RTG, PV, False,
         "samme røntgen ved tidligere brystkreft: ikke dette kriteriet (info-kortet i stedet)"),
    Case(RTG_BEG, "enkondrom-stille", RTG, PV, False,
         "«Enkondrom ..., ikke malignitetssuspekt»: ingen kort",
         [NO_EARLIER_CANCER,
          conclusion("rtg-femur-rtg", "Enkondrom i proksimale femur, ikke malignitetssuspekt.")]),
    Case(RTG_BEG, "rtg-thorax-stille", RTG, PV, False,
         "uavklart fortetning på røntgen thorax er ikke skjelettrøntgen (skjelettrøntgen "
         "mangler: mistanke-kortet for nattesmertene)",
         [NO_EARLIER_CANCER, remove("rtg-femur-rtg"),
          report("rtg-thorax", "Rtg. thorax", "Uavklart fortetning i høyre lunge.")]),
    # --- sarkom.begrunnet.histologi-ben ---------------------------------------------------------
    Case(HIST_BEN, "osteosarkom", S4, PV, True,
         "patologisvar «Høygradig osteosarkom»: bensarkomsenter",
         [pathology("Biopsi høyre tibia", "Høygradig osteosarkom, konvensjonell type.")]),
    Case(HIST_BEN, "osteokondrom-stille", S4, PV, False,
         "«Osteokondrom uten atypi. Ingen holdepunkt for kondrosarkom.»: ingen kort",
         [pathology("Eksisjonspreparat høyre tibia",
                    "Osteokondrom uten atypi. Ingen holdepunkt for kondrosarkom.")]),
    # --- sarkom.begrunnet.histologi-abdominal -------------------------------------------------
    Case(HIST_ABD, "leiomyosarkom-uterus", S4, PV, True,
         "hysterektomipreparat: «Leiomyosarkom i uterus»",
         [pathology("Hysterektomipreparat", "Leiomyosarkom i uterus, 9 cm.")]),
    Case(HIST_ABD, "gist", S4, PV, True,
         "«Gastrointestinal stromal tumor (GIST) i ventrikkelveggen»",
         [pathology("Reseksjonspreparat ventrikkel",
                    "Gastrointestinal stromal tumor (GIST) i ventrikkelveggen.")]),
    Case(HIST_ABD, "leiomyom-stille", S4, PV, False,
         "«Leiomyom. Ingen holdepunkt for leiomyosarkom.»: ingen kort",
         [pathology("Hysterektomipreparat", "Leiomyom. Ingen holdepunkt for leiomyosarkom.")]),
    # --- sarkom.begrunnet.histologi: unexpected sarcoma in a specimen -------------------------
    Case(HIST, "liposarkom-i-eksisjonspreparat", S4, PV, True,
         "«lipomet» fastlegen fjernet var et myksoid liposarkom",
         [pathology("Eksisjonspreparat venstre overarm", "Myksoid liposarkom, grad 1. "
                                                         "Ikke fri reseksjonsrand.")]),
    Case(HIST, "atypisk-lipomatos-kan-ikke-utelukkes", S4, PV, True,
         "«Lipomatøs tumor; atypisk lipomatøs tumor kan ikke utelukkes.»",
         [pathology("Eksisjonspreparat venstre overarm",
                    "Lipomatøs tumor; atypisk lipomatøs tumor kan ikke utelukkes.")]),
    Case(HIST, "lipom-uten-atypi-stille", S4, PV, False,
         "«Lipom uten atypi. Ingen holdepunkt for liposarkom.»: ingen kort",
         [pathology("Eksisjonspreparat venstre overarm",
                    "Lipom uten atypi. Ingen holdepunkt for liposarkom.")]),
    Case(HIST, "sarkomatoid-karsinom-stille", S4, PV, False,
         "«Sarkomatoid karsinom» er ikke et sarkom",
         [pathology("Biopsi venstre overarm", "Sarkomatoid karsinom.")]),
    # --- sarkom.begrunnet.tilbakefall-ben -------------------------------------------------------
    Case(TILB_BEN, "tidligere-osteosarkom-ny-kul", TS, PV, True,
         "tidligere bensarkom (C40.2) og ny kul i arret: bensarkomsenter, Troms -> Oslo "
         "universitetssykehus Radiumhospitalet (valgt, se REVIEWER)",
         [recode("sarkom-tidligere", ICD, "C40.2",
                 "Ondartet svulst i lange knokler i underekstremitet")]),
    Case(TILB_BEN, "tidligere-bensarkom-uten-ny-kul-stille", TS, PV, False,
         "tidligere bensarkom uten nye funn: ingen kort",
         [recode("sarkom-tidligere", ICD, "C40.2",
                 "Ondartet svulst i lange knokler i underekstremitet"), NO_NEW_LUMP]),
    # --- sarkom.begrunnet.tilbakefall -------------------------------------------------------------
    Case(TILB, "eksempel-patient-view", TS, PV, True,
         "tidligere liposarkom (C49.2, avsluttet) og ny kul i arret: Troms -> "
         "Universitetssykehuset Nord-Norge"),
    Case(TILB, "ny-kul-90-dager", TS, PV, True, "kulen registrert for 90 dager siden",
         [dated("kul-tidligere", "storrelse-tidligere", days_ago=90)]),
    Case(TILB, "ny-kul-91-dager-stille", TS, PV, False,
         "kulen registrert for 91 dager siden: ikke lenger «ny»",
         [dated("kul-tidligere", "storrelse-tidligere", days_ago=91)]),
    Case(TILB, "lymfeknute-stille", TS, PV, False,
         "fastlegen beskriver en forstørret lymfeknute i lysken, ikke en svulst",
         [site("kul-tidligere", "Venstre lyske", note="Forstørret lymfeknute, øm, etter sår på "
                                                      "foten."),
          remove("storrelse-tidligere")]),
    Case(TILB, "tidligere-sarkom-rtg-uavklart", TS, PV, True,
         "tidligere liposarkom, ingen kul, men uavklart skjelettrøntgen",
         [NO_NEW_LUMP, report("rtg-femur", "Rtg. venstre femur",
                              "Uavklart oppklaring i distale femur.")]),
    # --- sarkom.begrunnet.abdominal --------------------------------------------------------------
    Case(ABD, "eksempel-patient-view", CT, PV, True,
         "CT: stor fettholdig retroperitoneal tumor, suspekt på liposarkom; Møre og Romsdal -> "
         "St. Olavs hospital"),
    Case(ABD, "eksempel-order-select", CT, OSEL, True,
         "samme; gastrokirurgisk henvisning under arbeid oppdateres"),
    Case(ABD, "eksempel-order-sign", CT, OSIGN, True, "samme ved signering"),
    Case(ABD, "sarkom-eller-lymfom", CT, PV, True,
         "«Stor retroperitoneal tumor, differensialdiagnostisk sarkom eller lymfom.» teller",
         [conclusion("ct-tab-ct", "Stor retroperitoneal tumor, differensialdiagnostisk sarkom "
                                  "eller lymfom.")]),
    Case(ABD, "lymfom-stille", CT, PV, False,
         "«Retroperitoneal lymfadenopati, forenlig med lymfom.»: ikke sarkom (CT er tatt: ingen "
         "mistanke-kort)",
         [conclusion("ct-tab-ct", "Retroperitoneal lymfadenopati, forenlig med lymfom.")]),
    Case(ABD, "nyretumor-stille", CT, PV, False,
         "«Tumor i høyre nyre, forenlig med nyrecellekarsinom.»: ikke lest som sarkom",
         [conclusion("ct-tab-ct", "Tumor i høyre nyre, forenlig med nyrecellekarsinom.")]),
    Case(ABD, "ingen-tumor-stille", CT, PV, False,
         "«Ingen tumor retroperitonealt. Ingen patologiske funn.»",
         [conclusion("ct-tab-ct", "Ingen tumor retroperitonealt. Ingen patologiske funn.")]),
    # --- sarkom.rtg-tidligere-kreft: suspect X-ray, earlier cancer (info) ---------------------
    Case(RTG_KREFT, "eksempel-patient-view", RTG, PV, True,
         "uavklart lytisk forandring i femur, tidligere brystkreft: røntgenkriteriet gjelder ikke"),
    Case(RTG_KREFT, "uten-tidligere-kreft-stille", RTG, PV, False,
         "uten tidligere kreft er røntgenfunnet begrunnet mistanke (ikke info-kortet)",
         [NO_EARLIER_CANCER]),
    Case(RTG_KREFT, "normal-rtg-stille", RTG, PV, False,
         "normalt røntgen ved tidligere brystkreft: ikke info-kortet (MR etter negativt røntgen)",
         [conclusion("rtg-femur-rtg", "Normale skjelettforhold i venstre femur.")]),
    # --- sarkom.mistanke.ben: bone symptoms, skeletal X-ray missing/stale -----------------------
    Case(M_BEN, "eksempel-nattesmerter-16-ar", NATT, PV, True,
         "16-åring med dype, murrende nattesmerter over tibia, ikke røntget: bestill røntgen"),
    Case(M_BEN, "rtg-91-dager", NATT, PV, True,
         "normalt røntgen for 91 dager siden: for gammelt, røntgen bør gjentas",
         [report("rtg-kne", "Rtg. høyre kne", "Normale skjelettforhold.", days_ago=91),
          MR_NORMAL_KNE]),
    Case(M_BEN, "rtg-90-dager-og-mr-stille", NATT, PV, False,
         "normalt røntgen for 90 dager siden og normal MR: ingen kort",
         [report("rtg-kne", "Rtg. høyre kne", "Normale skjelettforhold.", days_ago=90),
          MR_NORMAL_KNE]),
    Case(M_BEN, "ingen-nattesmerter-stille", NATT, PV, False,
         "kneplager ved aktivitet, «ingen nattesmerter»: ingen kort",
         [site("knesmerter-natt", "Høyre kne",
               note="Smerter ved løping, ingen nattesmerter. Ingen hevelse.")]),
    Case(M_BEN, "patologisk-fraktur", S4, PV, True,
         "kodet patologisk fraktur (M84.4) for 20 dager siden, ikke røntget av oss",
         [lump("fraktur", ICD, "M84.4", "Patologisk brudd IKA", body_site="Høyre humerus",
               days_ago=20)]),
    Case(M_BEN, "osteoporotisk-fraktur-stille", S4, PV, False,
         "osteoporotisk fraktur (M80) er ikke patologisk fraktur i sarkomforstand",
         [lump("fraktur", ICD, "M80.0", "Postmenopausal osteoporose med patologisk brudd",
               body_site="Columna", days_ago=20)]),
    Case(M_BEN, "benhard-kul", S4, PV, True, "benhard kul fiksert til tibia: røntgen",
         [BENHARD_KUL]),
    Case(M_BEN, "tidligere-sarkom-nye-smerter", TS, PV, True,
         "tidligere liposarkom og nye smerter i låret (L14), ingen ny kul: røntgen",
         [NO_NEW_LUMP, lump("larsmerter", ICPC, "L14", "Legg/lår symptomer/plager",
                            body_site="Venstre lår", note="Smerter i låret i tre uker.")]),
    # --- sarkom.mistanke.ben-mr: negative X-ray, symptoms persist -> MR -------------------------
    Case(M_BEN_MR, "rtg-normal-mr-mangler", NATT, PV, True,
         "normalt røntgen for 10 dager siden, nattesmertene står: suppler med MR",
         [RTG_NORMAL_KNE]),
    Case(M_BEN_MR, "rtg-normal-mr-tatt-stille", NATT, PV, False,
         "normalt røntgen og normal MR: ingen kort", [RTG_NORMAL_KNE, MR_NORMAL_KNE]),
    # --- sarkom.mistanke.blotvev: soft-tissue tumour, MR with tumour protocol missing --------
    Case(M_BLOT, "eksempel-dyp-4cm", DYP, PV, True,
         "dyp, immobil kul 4 cm i låret: bestill MR med tumorprotokoll"),
    Case(M_BLOT, "eksempel-subkutan-6cm", S6, PV, True,
         "subkutan svulst 60 mm (komponent 33728-7): over 5 cm"),
    Case(M_BLOT, "subkutan-51-mm", S6, PV, True, "51 mm = 5,1 cm > 5 cm",
         [size("storrelse-subkutan6", 51, "mm")]),
    Case(M_BLOT, "subkutan-50-mm-stille", S6, PV, False, "50 mm = 5,0 cm er ikke over 5 cm",
         [size("storrelse-subkutan6", 50, "mm")]),
    Case(M_BLOT, "subkutan-5.1-cm", S6, PV, True, "5,1 cm > 5 cm",
         [size("storrelse-subkutan6", 5.1, "cm")]),
    Case(M_BLOT, "subkutan-5.0-cm-stille", S6, PV, False, "5,0 cm er ikke over 5 cm",
         [size("storrelse-subkutan6", 5.0, "cm")]),
    Case(M_BLOT, "subkutan-4cm-stille", S4, PV, False,
         "subkutant lipom 4 cm på overarmen, uendret: ingen kort"),
    Case(M_BLOT, "dyp-4cm", S4, PV, True, "samme 4 cm, men dyp (intramuskulær): MR",
         [site("storrelse-subkutan4", "Venstre overarm, dyp, intramuskulær")]),
    Case(M_BLOT, "lyske-4cm", S4, PV, True, "4 cm subkutant i lysken: MR også ved små svulster",
         [site("lipom-subkutan4", "Venstre lyske"),
          site("storrelse-subkutan4", "Venstre lyske, subkutant")]),
    Case(M_BLOT, "lyske-lyskebrokk-stille", S4, PV, False,
         "hevelsen i lysken er et lyskebrokk: ikke en svulst",
         [site("lipom-subkutan4", "Venstre lyske", note="Reponibel hevelse, lyskebrokk."),
          site("storrelse-subkutan4", "Venstre lyske, lyskebrokk")]),
    Case(M_BLOT, "voksende-4cm", S4, PV, True, "«vokst tydelig siste tre måneder»: vekst",
         [site("lipom-subkutan4", "Venstre overarm",
               note="Bløt kul i underhuden, vokst tydelig siste tre måneder.")]),
    # Growth from two measurements (S4: 3.8 cm 220 days ago, 4 cm 17 days ago: +5 %, silent).
    Case(M_BLOT, "eksempel-voksende-kul", VOKS, PV, True,
         "subkutan kul på skulderen målt 25 mm i mai og 3,4 cm nå (+0,9 cm / 36 %): vekst, MR"),
    Case(M_BLOT, "vekst-20-prosent", S4, PV, True,
         "3,5 -> 4,2 cm: +0,7 cm og +20,0 % (begge grenser nådd)",
         [size("storrelse-subkutan4-var", 3.5, "cm"), size("storrelse-subkutan4", 4.2, "cm")]),
    Case(M_BLOT, "vekst-17-prosent-stille", S4, PV, False,
         "3,5 -> 4,1 cm: +0,6 cm, men bare +17,1 %",
         [size("storrelse-subkutan4-var", 3.5, "cm"), size("storrelse-subkutan4", 4.1, "cm")]),
    Case(M_BLOT, "vekst-0.5-cm", S4, PV, True,
         "1,5 -> 2,0 cm: +0,5 cm (grensen) og +33 %",
         [size("storrelse-subkutan4-var", 1.5, "cm"), size("storrelse-subkutan4", 2.0, "cm")]),
    Case(M_BLOT, "vekst-0.4-cm-stille", S4, PV, False,
         "1,6 -> 2,0 cm: +25 %, men bare +0,4 cm (målevariasjon)",
         [size("storrelse-subkutan4-var", 1.6, "cm"), size("storrelse-subkutan4", 2.0, "cm")]),
    Case(M_BLOT, "vekst-mm-til-cm", S4, PV, True,
         "35 mm -> 4,2 cm: enhetene regnes om før sammenligning",
         [size("storrelse-subkutan4-var", 35, "mm"), size("storrelse-subkutan4", 4.2, "cm")]),
    Case(M_BLOT, "vekst-annen-side-stille", S4, PV, False,
         "3,0 cm på høyre overarm og 4,0 cm på venstre: to ulike kuler, ikke vekst",
         [size("storrelse-subkutan4-var", 3.0, "cm"),
          site("storrelse-subkutan4-var", "Høyre overarm, subkutant")]),
    Case(M_BLOT, "vekst-365-dager", S4, PV, True,
         "3,0 cm 365 dager før siste måling (4 cm): sammenlignes",
         [size("storrelse-subkutan4-var", 3.0, "cm"),
          dated("storrelse-subkutan4-var", days_ago=17 + 365)]),
    Case(M_BLOT, "vekst-366-dager-stille", S4, PV, False,
         "3,0 cm 366 dager før siste måling: for gammel til å sammenligne",
         [size("storrelse-subkutan4-var", 3.0, "cm"),
          dated("storrelse-subkutan4-var", days_ago=17 + 366)]),
    # A lump where a tumour was removed (S4: lipoma removed from the OTHER arm in 2019, silent).
    Case(M_BLOT, "eksempel-kul-der-lipom-er-fjernet", RES, PV, True,
         "ny kul i venstre lår der et lipom ble fjernet i 2022 (Procedure): MR"),
    Case(M_BLOT, "operert-samme-sted", S4, PV, True,
         "lipomet på venstre overarm sitter der et lipom ble fjernet i 2019",
         [remove("eksisjon-lipom-2019"),
          operation("eksisjon-2019", "Eksisjon av lipom", body_site="Venstre overarm",
                    days_ago=2636)]),
    Case(M_BLOT, "operert-90-dager-for", S4, PV, True,
         "kulen registrert 90 dager etter eksisjonen på samme sted",
         [remove("eksisjon-lipom-2019"),
          operation("eksisjon-nylig", "Fjerning av kul", body_site="Venstre overarm",
                    days_ago=17 + 90, coded=False)]),
    Case(M_BLOT, "operert-89-dager-for-stille", S4, PV, False,
         "kulen registrert 89 dager etter eksisjonen: postoperativ hevelse, ikke tilbakefall",
         [remove("eksisjon-lipom-2019"),
          operation("eksisjon-nylig", "Fjerning av kul", body_site="Venstre overarm",
                    days_ago=17 + 89, coded=False)]),
    Case(M_BLOT, "operert-hudlesjon-stille", S4, PV, False,
         "en føflekk fjernet på samme sted er ikke en operert svulst",
         [remove("eksisjon-lipom-2019"),
          operation("eksisjon-2019", "Eksisjon av føflekk", body_site="Venstre overarm",
                    days_ago=2636)]),
    Case(M_BLOT, "operasjon-ikke-utfort-stille", S4, PV, False,
         "Procedure med status not-done: ingen tidligere operasjon",
         [remove("eksisjon-lipom-2019"),
          operation("eksisjon-2019", "Eksisjon av lipom", body_site="Venstre overarm",
                    days_ago=2636, status="not-done")]),
    Case(M_BLOT, "residiv-i-notat", S4, PV, True,
         "legens notat: «Residiv av lipom operert 2019» (uten Procedure i journalen)",
         [remove("eksisjon-lipom-2019"),
          site("lipom-subkutan4", "Venstre overarm",
               note="Bløt kul i underhuden. Residiv av lipom operert 2019.")]),
    Case(M_BLOT, "ikke-residiv-i-notat-stille", S4, PV, False,
         "«ikke residiv»: teller ikke",
         [remove("eksisjon-lipom-2019"),
          site("lipom-subkutan4", "Venstre overarm",
               note="Bløt kul i underhuden, ikke residiv.")]),
    Case(M_BLOT, "ultralyd-malignitetssuspekt", S4, PV, True,
         "ultralyd bløtdeler: malignitetssuspekt oppfylling -> MR (ikke henvisning)",
         [report("ul-overarm", "Ultralyd bløtdeler venstre overarm",
                 "Solid, hypervaskulær oppfylling, malignitetssuspekt.")]),
    Case(M_BLOT, "ultralyd-dyp-oppfylling", S4, PV, True,
         "ultralyd: «dyptliggende oppfylling» under fascien",
         [report("ul-overarm", "Ultralyd bløtdeler venstre overarm",
                 "Dyptliggende oppfylling, 3 cm, under muskelfascien.")]),
    Case(M_BLOT, "svulst-i-brystet-stille", S6, PV, False,
         "6 cm svulst i brystet (ikke bløtvev i sarkomforstand): ingen kort",
         [site("kul-subkutan6", "Høyre bryst"), site("storrelse-subkutan6", "Høyre bryst")]),
    Case(M_BLOT, "mr-180-dager-stille", DYP, PV, False,
         "MR lår (lipom) for 180 dager siden: filterundersøkelsen er gyldig",
         [mr_thigh("Intramuskulært lipom.", days_ago=180)]),
    Case(M_BLOT, "mr-181-dager", DYP, PV, True,
         "MR lår for 181 dager siden: for gammel, ny MR",
         [mr_thigh("Intramuskulært lipom.", days_ago=181)]),
    Case(M_BLOT, "dyp-17-ar-stille", DYP, PV, False,
         "17-åring med dyp kul: barneregelen (henvis til barneavdeling), ikke MR-kortet",
         [AGE_17]),
    Case(M_BLOT, "dyp-18-ar", DYP, PV, True, "18 år i dag: voksen, MR", [AGE_18]),
    Case(M_BLOT, "allerede-henvist-stille", DYP, PV, False,
         "merket henvisning for 20 dager siden undertrykker mistanke-kortet",
         [referral("sendt", status="active", days_ago=20, text=ORTOPED, label=LABEL)]),
    Case(M_BLOT, "order-select-henvisning", DYP, OSEL, True,
         "ved order-select med en ortopedhenvisning under arbeid: MR først",
         [draft("henvisning-utkast", ORTOPED, note_text="Kul i venstre lår.")]),
    # --- sarkom.mistanke.bekken: pelvic mass -> CT thorax/abdomen/bekken + MR bekken ----------
    Case(M_BEKKEN, "oppfylling-i-bekkenet", S4, PV, True,
         "oppfylling i lille bekken (R19.0): CT thorax/abdomen/bekken og MR bekken",
         [PELVIC_MASS]),
    Case(M_BEKKEN, "ct-tatt-mr-bekken-mangler", S4, PV, True,
         "CT er tatt og normal, MR bekken mangler", [PELVIC_MASS, CT_NORMAL]),
    Case(M_BEKKEN, "ct-og-mr-tatt-stille", S4, PV, False,
         "CT og MR bekken er tatt: ingen kort",
         [PELVIC_MASS, CT_NORMAL,
          report("mr-bekken", "MR bekken", "Ingen patologiske funn.", days_ago=4)]),
    Case(M_BEKKEN, "17-ar-stille", S4, PV, False,
         "17-åring: abdominal- og bekkenreglene gjelder voksne (barnekortet for lipomet vises)",
         [PELVIC_MASS, AGE_17]),
    # --- sarkom.mistanke.abdominal: abdominal mass -> CT thorax/abdomen/bekken ---------------
    Case(M_ABD, "abdominal-oppfylling", S4, PV, True,
         "palpabel oppfylling i buken (D24): CT thorax/abdomen/bekken", [ABDOMINAL_MASS]),
    Case(M_ABD, "ultralyd-retroperitoneal-oppfylling", S4, PV, True,
         "ultralyd abdomen: uavklart oppfylling retroperitonealt",
         [report("ul-abdomen", "Ultralyd abdomen",
                 "Uavklart solid oppfylling retroperitonealt på venstre side, 8 cm.")]),
    Case(M_ABD, "ct-tatt-stille", S4, PV, False, "CT thorax/abdomen/bekken er tatt (normal)",
         [ABDOMINAL_MASS, CT_NORMAL]),
    Case(M_ABD, "utspilt-abdomen-stille", S4, PV, False,
         "utspilt abdomen (D25) er ikke en oppfylling",
         [lump("buk", ICPC, "D25", "Utspilt abdomen", body_site="Abdomen")]),
    Case(M_ABD, "ovarialcyste-ultralyd-stille", S4, PV, False,
         "ultralyd: cyste i ovariet er ikke en retroperitoneal oppfylling",
         [report("ul-abdomen", "Ultralyd abdomen/bekken",
                 "Uavklart cystisk oppfylling i høyre ovarium, 4 cm.")]),
    # --- sarkom.signert-uten-grunnlag: order-sign, labelled draft, no criterion met ------------
    Case(SIG, "merket-uten-grunnlag", S4, OSIGN, True,
         "utkast merket «Pakkeforløp for sarkom», bare et uendret lipom i journalen: advarsel "
         "uten liste over undersøkelser",
         [referral("utkast-merket", status="draft", text=ORTOPED, label=LABEL)]),
    Case(SIG, "merket-order-select-stille", S4, OSEL, False,
         "samme utkast ved order-select: regelen gjelder bare order-sign",
         [referral("utkast-merket", status="draft", text=ORTOPED, label=LABEL)]),
    Case(SIG, "merket-og-begrunnet-stille", MRX, OSIGN, False,
         "merket utkast og malignitetssuspekt MR: begrunnet-kortet, ikke «uten grunnlag»",
         [remove("henvisning-utkast-mr"),
          referral("utkast-merket", status="draft", text=ORTOPED, label=LABEL)]),
    Case(SIG, "merket-mistanke-stille", DYP, OSIGN, False,
         "merket utkast, dyp kul uten MR: mistanke-kortet (bestill MR) i stedet",
         [referral("utkast-merket", status="draft", text=ORTOPED, label=LABEL)]),
    Case(SIG, "umerket-stille", S4, OSIGN, False,
         "umerket henvisning til ortoped: ingen advarsel",
         [referral("utkast-umerket", status="draft", text=ORTOPED)]),
    # --- silent ----------------------------------------------------------------------------------
    Case("silent", "sarkom-subkutan-4cm-patient-view", S4, PV, False,
         "voksen med subkutant lipom 4 cm på overarmen (3,8 cm i april: +5 %), og et lipom "
         "fjernet fra den andre armen i 2019"),
]
