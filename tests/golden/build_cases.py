"""The golden cases: each one is a hook request that this module builds, named by rule and boundary.

Each case starts from an example record (examples/<name>.json), applies a few small edits that put
it on one side of a clinical boundary, and is turned into a hook request with
:func:`cds.record.bundle.request_from_bundle`. Case names state the boundary
(``hb-11.6-kvinne-henvis`` / ``hb-11.7-kvinne-stille``); ``index.json`` (committed) records, per
case, the hook, whether the folder's rule is expected to fire, and why, for the meta-tests in
test_golden.py. The clock of every case is 2026-11-20 (examples/README.md).

The test session builds the requests in memory (the output is deterministic), so they are not
committed. ``python tests/golden/build_cases.py`` (``make golden``) rewrites index.json and writes
every request to the git-ignored ``tests/golden/.requests/<rule-id>/<case>.request.json``, to read
or to post by hand. Expected results are written by ``pytest tests/golden --update-golden``.
"""

from __future__ import annotations

import copy
import importlib
import json
import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from cds.record.bundle import request_from_bundle

HERE = Path(__file__).resolve().parent
EXAMPLES = HERE.parent.parent / "examples"
REQUESTS = HERE / ".requests"  # git-ignored: written by main() for reading, never by the tests
TODAY = date(2026, 11, 20)

Bundle = dict[str, Any]
Edit = Callable[[Bundle], None]

NLK = "urn:oid:2.16.578.1.12.4.1.1.7280"
LOINC = "http://loinc.org"
ICD = "http://hl7.org/fhir/sid/icd-10-no"
ICPC = "http://hl7.org/fhir/sid/icpc-2"
SCT = "http://snomed.info/sct"


# --- edits --------------------------------------------------------------------------------------


def _resource(bundle: Bundle, rid: str) -> dict[str, Any]:
    for entry in bundle["entry"]:
        if entry["resource"].get("id") == rid:
            return entry["resource"]  # type: ignore[no-any-return]
    raise KeyError(rid)


def day(days: int) -> str:
    """The ISO date ``days`` before the suite's clock (2026-11-20)."""
    return (TODAY - timedelta(days=days)).isoformat()


def lab(rid: str, value: float | None = None, *, unit: str | None = None, flag: str | None = "keep",
        ref: str = "keep", days_ago: int | None = None) -> Edit:
    """Change a result: ``value``; ``flag=None`` drops the interpretation; ``ref="drop"``
    drops the reference range; ``days_ago`` moves the sample date."""

    def apply(bundle: Bundle) -> None:
        obs = _resource(bundle, rid)
        if value is not None:
            obs["valueQuantity"]["value"] = value
        if unit is not None:
            obs["valueQuantity"]["unit"] = unit
            obs["valueQuantity"].pop("code", None)
            obs["valueQuantity"].pop("system", None)
        if flag is None:
            obs.pop("interpretation", None)
        elif flag != "keep":
            system = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"
            obs["interpretation"] = [{"coding": [{"system": system, "code": flag}]}]
        if ref == "drop":
            obs.pop("referenceRange", None)
        if days_ago is not None:
            when = day(days_ago)
            obs["effectiveDateTime"] = when + "T08:30:00+01:00"
            obs["issued"] = when + "T14:00:00+01:00"

    return apply


def normal(rid: str, value: float) -> Edit:
    """A normal result: new value, no flag (the reference range stays)."""
    return lab(rid, value, flag=None)


def raw_value(rid: str, value: object, *, flag: bool = False) -> Edit:
    """Put any JSON value in the result's valueQuantity.value (1e308, a 30-digit integer,
    "1e999"): values the service cannot use (cds/facts/numbers.py). The flag goes unless kept."""

    def apply(bundle: Bundle) -> None:
        obs = _resource(bundle, rid)
        obs["valueQuantity"]["value"] = value
        if not flag:
            obs.pop("interpretation", None)

    return apply


def raw_date(rid: str, text: str) -> Edit:
    """Set the result's effectiveDateTime and issued to ``text`` (unparsable or far-future)."""

    def apply(bundle: Bundle) -> None:
        obs = _resource(bundle, rid)
        obs["effectiveDateTime"] = text
        obs["issued"] = text

    return apply


def ref_low(rid: str, value: float) -> Edit:
    """Set the lower limit of the result's own reference range."""

    def apply(bundle: Bundle) -> None:
        _resource(bundle, rid)["referenceRange"][0]["low"]["value"] = value

    return apply


def note(rid: str, text: str) -> Edit:
    def apply(bundle: Bundle) -> None:
        _resource(bundle, rid)["note"] = [{"text": text}]

    return apply


def remove(*rids: str) -> Edit:
    def apply(bundle: Bundle) -> None:
        bundle["entry"] = [e for e in bundle["entry"] if e["resource"].get("id") not in rids]

    return apply


def add(resource: dict[str, Any]) -> Edit:
    def apply(bundle: Bundle) -> None:
        patient = next(e["resource"]["id"] for e in bundle["entry"]
                       if e["resource"]["resourceType"] == "Patient")
        res = copy.deepcopy(resource)
        if res["resourceType"] != "Patient":
            res["subject"] = {"reference": f"Patient/{patient}"}
        bundle["entry"].append({"resource": res})

    return apply


def born(birth_date: str) -> Edit:
    """Give the patient another birth date (age on 2026-11-20 follows from it)."""

    def apply(bundle: Bundle) -> None:
        for entry in bundle["entry"]:
            if entry["resource"]["resourceType"] == "Patient":
                entry["resource"]["birthDate"] = birth_date

    return apply


def sex(gender: str) -> Edit:
    def apply(bundle: Bundle) -> None:
        for entry in bundle["entry"]:
            if entry["resource"]["resourceType"] == "Patient":
                entry["resource"]["gender"] = gender

    return apply


def observation(rid: str, codes: list[tuple[str, str, str]], *, days_ago: int = 10,
                value: float | None = None, unit: str | None = None,
                value_string: str | None = None, text_note: str | None = None,
                low: float | None = None, high: float | None = None,
                code_text: str | None = None) -> Edit:
    """A laboratory Observation; a reference range from ``low`` and ``high``, or ``high`` alone."""
    when = day(days_ago)
    res: dict[str, Any] = {
        "resourceType": "Observation",
        "id": rid,
        "status": "final",
        "category": [{"coding": [{
            "system": "http://terminology.hl7.org/CodeSystem/observation-category",
            "code": "laboratory"}]}],
        "code": {"coding": [{"system": s, "code": c, "display": d} for s, c, d in codes]},
        "effectiveDateTime": when + "T08:30:00+01:00",
        "issued": when + "T14:00:00+01:00",
    }
    if code_text is not None:
        res["code"]["text"] = code_text
    if value is not None:
        res["valueQuantity"] = {"value": value, "unit": unit}
    if value_string is not None:
        res["valueString"] = value_string
    if text_note:
        res["note"] = [{"text": text_note}]
    if low is not None and high is not None:
        res["referenceRange"] = [{"low": {"value": low, "unit": unit},
                                  "high": {"value": high, "unit": unit}}]
    elif high is not None:
        res["referenceRange"] = [{"high": {"value": high, "unit": unit}}]
    return add(res)


def condition(rid: str, system: str, code: str, display: str, *, days_ago: int = 10,
              status: str = "active") -> Edit:
    when = day(days_ago)
    return add({
        "resourceType": "Condition",
        "id": rid,
        "clinicalStatus": {"coding": [{
            "system": "http://terminology.hl7.org/CodeSystem/condition-clinical", "code": status}]},
        "verificationStatus": {"coding": [{
            "system": "http://terminology.hl7.org/CodeSystem/condition-ver-status",
            "code": "confirmed"}]},
        "code": {"coding": [{"system": system, "code": code, "display": display}],
                 "text": display},
        "onsetDateTime": when,
        "recordedDate": when,
    })


def radiology(rid: str, title: str, conclusion: str, *, days_ago: int = 10) -> Edit:
    """A final radiology DiagnosticReport with a Norwegian conclusion."""
    when = day(days_ago)
    return add({
        "resourceType": "DiagnosticReport", "id": rid, "status": "final",
        "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0074",
                                  "code": "RAD"}]}],
        "code": {"text": title},
        "effectiveDateTime": when + "T10:00:00+01:00",
        "issued": when + "T15:00:00+01:00",
        "conclusion": conclusion,
    })


def gp_note(rid: str, code: str, display: str, text: str, *, days_ago: int = 3) -> list[Edit]:
    """A GP-coded ICPC-2 problem with the GP's own words in its note."""
    return [condition(rid, ICPC, code, display, days_ago=days_ago), note(rid, text)]


def encounter(rid: str, reason: str, *, days_ago: int = 2) -> Edit:
    """A finished GP contact whose reason the GP wrote as text."""
    return add({
        "resourceType": "Encounter", "id": rid, "status": "finished",
        "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "AMB"},
        "period": {"start": day(days_ago) + "T09:00:00+01:00",
                   "end": day(days_ago) + "T09:20:00+01:00"},
        "reasonCode": [{"text": reason}],
    })


def hospital_contact(rid: str, department: str, *, days_ago: int, based_on: str | None = None,
                     kind: str = "Encounter", status: str | None = None) -> Edit:
    """A contact at a hospital department (the pathway clock's first attendance): a finished
    Encounter, or an Appointment (``status`` booked by default: a time given, not yet
    attended); ``based_on`` names the referral it answers («ServiceRequest/…»)."""
    when = day(days_ago)
    res: dict[str, Any] = {"resourceType": kind, "id": rid,
                           "serviceType": {"text": department}}
    if kind == "Encounter":
        res |= {"status": status or "finished",
                "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode",
                          "code": "AMB"},
                "period": {"start": when + "T09:00:00+01:00", "end": when + "T10:00:00+01:00"}}
    else:
        res |= {"status": status or "booked",
                "start": when + "T09:00:00+01:00", "end": when + "T09:30:00+01:00"}
    if based_on:
        res["basedOn"] = [{"reference": based_on}]
    edit = add(res)

    def apply(bundle: Bundle) -> None:
        edit(bundle)
        if kind == "Appointment":  # an Appointment names its patient as a participant
            added = bundle["entry"][-1]["resource"]
            subject = added.pop("subject")
            added["participant"] = [{"actor": subject, "status": "accepted"}]

    return apply


def referral(rid: str, *, status: str, days_ago: int = 0, text: str,
             label: str | None = None, reason: tuple[str, str, str] | None = None,
             note_text: str | None = None) -> Edit:
    """A referral ServiceRequest; ``label`` goes in orderDetail (e.g. «Pakkeforløp for …»)."""
    res: dict[str, Any] = {
        "resourceType": "ServiceRequest",
        "id": rid,
        "status": status,
        "intent": "order",
        "category": [{"coding": [{"system": SCT, "code": "3457005",
                                  "display": "Patient referral"}], "text": "Henvisning"}],
        "priority": "routine",
        "code": {"text": text},
        "authoredOn": day(days_ago),
        "requester": {"reference": "Practitioner/fastlege-eksempel"},
    }
    if label:
        res["orderDetail"] = [{"text": label}]
    if reason:
        system, code, display = reason
        res["reasonCode"] = [{"coding": [{"system": system, "code": code, "display": display}]}]
    if note_text:
        res["note"] = [{"text": note_text}]
    return add(res)


ATC_SYSTEM = "http://www.whocc.no/atc"


def medicine(rid: str, atc: str, display: str, *, days_ago: int = 30,
             status: str = "active") -> Edit:
    """A MedicationStatement by ATC code, taken since ``days_ago`` days ago."""
    when = day(days_ago)
    return add({
        "resourceType": "MedicationStatement",
        "id": rid,
        "status": status,
        "medicationCodeableConcept": {
            "coding": [{"system": ATC_SYSTEM, "code": atc, "display": display}],
            "text": display},
        "effectivePeriod": {"start": when},
        "dateAsserted": when,
    })


def operation(rid: str, text: str, *, days_ago: int = 200) -> Edit:
    """A completed Procedure described by text only (as GP systems often record it)."""
    return add({
        "resourceType": "Procedure",
        "id": rid,
        "status": "completed",
        "code": {"text": text},
        "performedDateTime": day(days_ago),
    })


PATHWAY = "Pakkeforløp for myelomatose"
HEMATOLOGI = "Henvisning hematologisk poliklinikk"
SPEP = [(NLK, "NPU03300", "P-Proteinelektroforese")]
FLC = [(LOINC, "48378-4", "Kappa/Lambda free [Mass Ratio] in Serum")]
ICA = [(NLK, "NPU04144", "P-Kalsium, fritt (pH 7,4)")]
NO_M = "Ingen M-komponent påvist."
OLD_M = "Liten M-komponent i gammaområdet, ca 3 g/L. Anbefaler kontroll om ett år."

# Edits that take the begrunnet example's only additional element (anaemia) away.
HB_NORMAL_BEGRUNNET = normal("hb-begrunnet", 13.0)
# The akutt example without its acute elements: normal calcium, kidney function acceptable.
AKUTT_CA_NORMAL = [normal("ca-akutt", 2.30), normal("alb-akutt", 40)]
AKUTT_KIDNEY_OK = [normal("egfr-akutt", 75), normal("krea-akutt", 95)]
EGFR = [(NLK, "NOR25909", "eGFR")]
KREA = [(NLK, "NPU04998", "P-Kreatinin")]
HB = [(NLK, "NOR05172", "B-Hemoglobin")]


def OLD_KIDNEY(*results: tuple[int, float, float]) -> list[Edit]:
    """Earlier eGFR and creatinine results, ``(days_ago, egfr, creatinine)``, without flags or
    reference ranges (the thresholds decide)."""
    return [edit for days_ago, egfr, krea in results for edit in (
        observation(f"egfr-{days_ago}", EGFR, value=egfr, unit="mL/min/{1.73_m2}",
                    days_ago=days_ago),
        observation(f"krea-{days_ago}", KREA, value=krea, unit="umol/L", days_ago=days_ago))]


# The mistanke example with anaemia as its only symptom.
MISTANKE_ONLY_ANAEMIA = [normal("egfr-mistanke", 75), normal("krea-mistanke", 95),
                         remove("ryggsmerter-mistanke")]


# --- cases --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    """One golden case: ``folder`` is a rule id (or ``silent``); ``fires`` says whether that
    rule's card is expected. ``service`` names the CDS service to call when it is not the hook's
    own (the registration proposals, whose folders are pseudo-rule ids such as
    ``sarkom.registrering.fremmote``: cds.evaluate.registration)."""

    folder: str
    name: str
    base: str
    hook: str
    fires: bool
    why: str
    edits: list[Edit] = field(default_factory=list)
    service: str | None = None


B, A, G, M, F = ("myelomatose-begrunnet", "myelomatose-akutt", "myelomatose-mgus",
                 "myelomatose-mistanke", "frisk")
PV, OSEL, OSIGN = "patient-view", "order-select", "order-sign"
BEG, AKU, SIG = "myelomatose.begrunnet", "myelomatose.akutt", "myelomatose.signert-uten-grunnlag"
MGUS, MPV, MBE = "myelomatose.mgus", "myelomatose.mistanke.patient-view", \
    "myelomatose.mistanke.bestilling"

CASES: list[Case] = [
    # --- myelomatose.begrunnet: M-component + one element -------------------------------------
    Case(BEG, "eksempel-patient-view", B, PV, True,
         "M-komponent i notat + Hb 10,2 g/dL flagget L hos kvinne"),
    Case(BEG, "hb-11.6-kvinne-henvis", B, PV, True,
         "Hb 11,6 < 11,7 (kvinne), uten flagg og referanseområde: terskelen avgjør",
         [lab("hb-begrunnet", 11.6, flag=None, ref="drop")]),
    Case(BEG, "hb-11.7-kvinne-stille", B, PV, False,
         "Hb 11,7 er ikke under 11,7: M-komponent alene gir ikke kort i patient-view",
         [lab("hb-begrunnet", 11.7, flag=None, ref="drop")]),
    Case(BEG, "hb-13.3-mann-henvis", B, PV, True,
         "Hb 13,3 < 13,4 (mann), uten flagg og referanseområde",
         [sex("male"), lab("hb-begrunnet", 13.3, flag=None, ref="drop")]),
    Case(BEG, "hb-13.4-mann-stille", B, PV, False,
         "Hb 13,4 er ikke under 13,4 (mann)",
         [sex("male"), lab("hb-begrunnet", 13.4, flag=None, ref="drop")]),
    Case(BEG, "hb-12.2-lab-referanse-12.5-henvis", B, PV, True,
         "laboratoriets egen nedre grense (12,5) går foran terskelen 11,7",
         [lab("hb-begrunnet", 12.2, flag=None), ref_low("hb-begrunnet", 12.5)]),
    Case(BEG, "hb-90-dager-henvis", B, PV, True,
         "Hb-svaret er 90 dager gammelt: innenfor vinduet på 90 dager",
         [lab("hb-begrunnet", days_ago=90)]),
    Case(BEG, "hb-91-dager-stille", B, PV, False,
         "Hb-svaret er 91 dager gammelt: utenfor vinduet, anemi teller ikke",
         [lab("hb-begrunnet", days_ago=91)]),
    Case(BEG, "egfr-59-henvis", B, PV, True,
         "eGFR 59 < 60: redusert nyrefunksjon",
         [HB_NORMAL_BEGRUNNET, lab("egfr-begrunnet", 59)]),
    Case(BEG, "egfr-60-stille", B, PV, False,
         "eGFR 60 er ikke under 60",
         [HB_NORMAL_BEGRUNNET, lab("egfr-begrunnet", 60)]),
    Case(BEG, "kreatinin-106-mann-henvis", B, PV, True,
         "kreatinin 106 > 105 µmol/L (mann), uten referanseområde",
         [sex("male"), normal("hb-begrunnet", 14.5), lab("krea-begrunnet", 106, ref="drop")]),
    Case(BEG, "kreatinin-105-mann-stille", B, PV, False,
         "kreatinin 105 er ikke over 105 (mann)",
         [sex("male"), normal("hb-begrunnet", 14.5), lab("krea-begrunnet", 105, ref="drop")]),
    Case(BEG, "kreatinin-91-kvinne-henvis", B, PV, True,
         "kreatinin 91 > 90 µmol/L (kvinne), uten referanseområde",
         [HB_NORMAL_BEGRUNNET, lab("krea-begrunnet", 91, ref="drop")]),
    Case(BEG, "m-komponent-tekst-negert-stille", B, PV, False,
         "«Ingen M-komponent påvist»: ingen M-komponent, bare anemi (ett funn) gir ikke kort",
         [note("elfo-begrunnet", NO_M)]),
    Case(BEG, "m-komponent-i-rapportkonklusjon-henvis", B, PV, True,
         "M-komponenten står i DiagnosticReport.conclusion, ikke i notatet",
         [note("elfo-begrunnet", "Se rapport."), add({
             "resourceType": "DiagnosticReport", "id": "elfo-rapport", "status": "final",
             "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0074",
                                       "code": "LAB"}]}],
             "code": {"coding": [{"system": NLK, "code": "NPU03300"}],
                      "text": "Proteinelektroforese"},
             "effectiveDateTime": "2026-11-06T08:40:00+01:00",
             "issued": "2026-11-10T11:20:00+01:00",
             "result": [{"reference": "Observation/elfo-begrunnet"}],
             "conclusion": "Liten M-komponent i gammaområdet, ca 4 g/L."})]),
    Case(BEG, "m-komponent-kvantifisert-loinc-henvis", B, PV, True,
         "M-komponent som tall (LOINC 33358-3, 4 g/L) i stedet for tekst",
         [remove("elfo-begrunnet"),
          observation("m-protein", [(LOINC, "33358-3", "Protein.monoclonal")], days_ago=14,
                      value=4, unit="g/L")]),
    # Assertion (criteria/assertion.yaml): each finding of a text judged on its own.
    Case(BEG, "m-komponent-utelukket-stille", B, PV, False,
         "«M-komponent utelukket ved immunfiksering»: ingen M-komponent, anemi alene gir ikke kort",
         [note("elfo-begrunnet", "M-komponent utelukket ved immunfiksering.")]),
    Case(BEG, "m-komponent-ikke-monoklonal-stille", B, PV, False,
         "«Ikke monoklonal, polyklonal økning av IgG»: ingen M-komponent",
         [note("elfo-begrunnet", "Svakt bånd i gammaområdet. Ikke monoklonal, polyklonal "
                                 "økning av IgG.")]),
    Case(BEG, "m-komponent-polyklonal-okning-stille", B, PV, False,
         "«Polyklonal økning av gammaglobuliner, ingen M-komponent»",
         [note("elfo-begrunnet", "Polyklonal økning av gammaglobuliner, ingen M-komponent.")]),
    Case(BEG, "m-komponent-kan-ikke-utelukkes-henvis", B, PV, True,
         "«Svak M-komponent kan ikke utelukkes»: usikker, teller som M-komponent (hedged: count)",
         [note("elfo-begrunnet", "Svak M-komponent kan ikke utelukkes. "
                                 "Anbefaler immunfiksering.")]),
    Case(BEG, "m-komponent-pa-polyklonal-bakgrunn-henvis", B, PV, True,
         "«Liten M-komponent på polyklonal bakgrunn»: M-komponent påvist",
         [note("elfo-begrunnet", "Liten M-komponent i gammaområdet på polyklonal bakgrunn, "
                                 "ca 3 g/L.")]),
    Case(BEG, "m-komponent-hos-mor-stille", B, PV, False,
         "«Mor hadde M-komponent» er familieanamnese, ikke pasientens funn",
         [note("elfo-begrunnet", "Normalt proteinmønster. Mor hadde M-komponent.")]),
    Case(BEG, "kompresjonsfraktur-ingen-osteolyse-henvis", B, PV, True,
         "«Kompresjonsfraktur Th12, ingen osteolyse»: bruddet teller, selv om osteolyse avkreftes",
         [HB_NORMAL_BEGRUNNET, radiology("rtg-th", "Rtg columna thoracalis",
                                         "Kompresjonsfraktur Th12, ingen osteolyse.")]),
    Case(BEG, "ingen-osteolyse-fraktur-eller-sammenfall-stille", B, PV, False,
         "«Ingen osteolyse, kompresjonsfraktur eller sammenfall»: hele listen avkreftes",
         [HB_NORMAL_BEGRUNNET, radiology("rtg-th", "Rtg columna thoracalis",
                                         "Ingen osteolyse, kompresjonsfraktur eller sammenfall. "
                                         "Degenerative forandringer.")]),
    Case(BEG, "ingen-osteolyse-og-kompresjonsfraktur-th12-henvis", B, PV, True,
         "«Ingen osteolyse og kompresjonsfraktur Th12»: bruddet med egne ord er et nytt utsagn",
         [HB_NORMAL_BEGRUNNET, radiology("rtg-th", "Rtg columna thoracalis",
                                         "Ingen osteolyse og kompresjonsfraktur Th12.")]),
    Case(BEG, "ingen-osteolyse-og-sammenfall-stille", B, PV, False,
         "«Ingen osteolyse og sammenfall»: en avkreftet liste",
         [HB_NORMAL_BEGRUNNET, radiology("rtg-th", "Rtg columna thoracalis",
                                         "Ingen osteolyse og sammenfall.")]),
    Case(BEG, "osteolyse-ikke-sikkert-pavist-henvis", B, PV, True,
         "«Osteolyse ikke sikkert påvist»: usikker, ikke avkreftet (hedged: count)",
         [HB_NORMAL_BEGRUNNET, radiology("rtg-bekken", "Rtg bekken",
                                         "Osteolyse i os ilium ikke sikkert påvist. "
                                         "Anbefaler MR.")]),
    Case(BEG, "m-komponent-ikke-med-sikkerhet-pavist-henvis", B, PV, True,
         "«M-komponent ikke med sikkerhet påvist»: usikker, teller som M-komponent (hedged: count)",
         [note("elfo-begrunnet", "M-komponent ikke med sikkerhet påvist. "
                                 "Anbefaler immunfiksering.")]),
    Case(BEG, "gammel-kompresjonsfraktur-stille", B, PV, False,
         "«Gammel kompresjonsfraktur Th8, uendret»: tidligere funn, ikke nytt (history: ignore)",
         [HB_NORMAL_BEGRUNNET, radiology("rtg-th", "Rtg columna thoracalis",
                                         "Gammel kompresjonsfraktur Th8, uendret.")]),
    Case(BEG, "kjent-myelomatose-stille", B, PV, False,
         "kjent myelomatose (C90.0 i remisjon): tilbakefall henvises ikke til nytt pakkeforløp",
         [condition("myelom", ICD, "C90.0", "Myelomatose", days_ago=900, status="remission")]),
    Case(BEG, "kjent-myelomatose-icpc2-b74-stille", B, PV, False,
         "fastlegens egen kode B74 (ondartet svulst blod/lymfe): kjent sykdom, ikke nytt forløp",
         [condition("myelom-b74", ICPC, "B74", "Ondartet svulst blod/lymfesystem IKA",
                    days_ago=800)]),
    Case(BEG, "kjent-myelomatose-snomed-stille", B, PV, False,
         "SNOMED CT 109989006 Multiple myeloma: kjent sykdom",
         [condition("myelom-sct", SCT, "109989006", "Multiple myeloma", days_ago=800)]),
    Case(BEG, "kjent-myelomatose-lenalidomid-stille", B, PV, False,
         "lenalidomid (L04AX04) i legemiddellisten uten diagnosekode: behandlet myelomatose",
         [medicine("lenalidomid", "L04AX04", "Lenalidomid", days_ago=120)]),
    Case(BEG, "melfalan-avsluttet-for-elleve-aar-henvis", B, PV, True,
         "melfalan avsluttet for elleve år siden (utenfor ti år): teller ikke som kjent sykdom",
         [medicine("melfalan", "L01AA03", "Melfalan", days_ago=4000, status="completed")]),
    Case(BEG, "mgus-kjent-fraktur-uendret-stille", G, PV, False,
         "kjent MGUS og rtg-svar «Kjent kompresjonsfraktur L1, uendret»: stabilt funn, ikke nytt",
         [radiology("rtg-l", "Rtg columna lumbalis",
                    "Kjent kompresjonsfraktur L1, uendret sammenlignet med 2023.")]),
    Case(BEG, "mgus-ny-kompresjonsfraktur-henvis", G, PV, True,
         "kjent MGUS og ny kompresjonsfraktur Th12 på rtg: nytt funn, henvis",
         [radiology("rtg-th", "Rtg columna thoracalis", "Ny kompresjonsfraktur Th12.")]),
    Case(BEG, "mgus-og-nye-ryggsmerter-henvis", G, PV, True,
         "kjent MGUS + ryggsmerter (L03) siste 180 dager: M-komponent + skjelettsmerter",
         [condition("rygg", ICPC, "L03", "Korsrygg symptomer/plager", days_ago=12)]),
    Case(BEG, "allerede-henvist-59-dager-stille", B, PV, False,
         "merket henvisning sendt for 59 dager siden (grense 60): ikke foreslå ny",
         [referral("sendt", status="active", days_ago=59, text=HEMATOLOGI, label=PATHWAY)]),
    Case(BEG, "allerede-henvist-60-dager", B, PV, False,
         "merket henvisning sendt for nøyaktig 60 dager siden: fortsatt innenfor grensen",
         [referral("sendt", status="active", days_ago=60, text=HEMATOLOGI, label=PATHWAY)]),
    Case(BEG, "allerede-henvist-61-dager-henvis", B, PV, True,
         "merket henvisning sendt for 61 dager siden: utenfor grensen, kortet vises igjen",
         [referral("sendt", status="active", days_ago=61, text=HEMATOLOGI, label=PATHWAY)]),
    Case(BEG, "allerede-henvist-umerket-henvis", B, PV, True,
         "en umerket henvisning til hematolog for 20 dager siden teller ikke som pakkeforløp",
         [referral("sendt", status="active", days_ago=20, text=HEMATOLOGI)]),
    Case(BEG, "order-select-utkast-oppdateres", B, OSEL, True,
         "begrunnet + utkast til henvisning: forslaget er update av utkastet"),
    Case(BEG, "order-sign-begrunnet", B, OSIGN, True,
         "begrunnet ved signering av umerket utkast: foreslå merking og innhold"),
    Case(BEG, "order-sign-merket-og-begrunnet", B, OSIGN, True,
         "utkastet er allerede merket «Pakkeforløp for myelomatose» og kriteriet er oppfylt",
         [remove("henvisning-utkast-begrunnet"),
          referral("utkast-merket", status="draft", text=HEMATOLOGI, label=PATHWAY)]),
    # --- myelomatose.akutt: M-component + hypercalcaemia / kidney failure / cord compression ----
    Case(AKU, "eksempel-patient-view", A, PV, True,
         "korrigert Ca 2,89 (Ca 2,78, albumin 36) og eGFR 24 med M-komponent i rapport"),
    Case(AKU, "eksempel-order-sign", A, OSIGN, True, "akutt også ved signering"),
    Case(AKU, "egfr-29-akutt", A, PV, True, "eGFR 29 < 30: nyresvikt",
         [*AKUTT_CA_NORMAL, lab("egfr-akutt", 29), normal("krea-akutt", 150)]),
    Case(AKU, "egfr-30-ikke-akutt", A, PV, False,
         "eGFR 30 er ikke nyresvikt, men redusert nyrefunksjon: begrunnet (warning)",
         [*AKUTT_CA_NORMAL, lab("egfr-akutt", 30), normal("krea-akutt", 150)]),
    Case(AKU, "kreatinin-178-akutt", A, PV, True, "kreatinin 178 > 177 µmol/L: nyresvikt",
         [*AKUTT_CA_NORMAL, normal("egfr-akutt", 35), lab("krea-akutt", 178)]),
    Case(AKU, "kreatinin-177-ikke-akutt", A, PV, False,
         "kreatinin 177 er ikke over 177: redusert nyrefunksjon gir begrunnet",
         [*AKUTT_CA_NORMAL, normal("egfr-akutt", 35), lab("krea-akutt", 177)]),
    # Hypercalcaemia is acute only when severe: corrected/total Ca > 2.75, ionized > 1.48.
    Case(AKU, "korrigert-kalsium-2.76-akutt", A, PV, True,
         "Ca 2,65 og albumin 36: korrigert 2,756 → 2,76 > 2,75 (alvorlig hyperkalsemi)",
         [*AKUTT_KIDNEY_OK, normal("ca-akutt", 2.65), lab("alb-akutt", 36)]),
    Case(AKU, "kalsium-kritisk-flagg-akutt", A, PV, True,
         "totalkalsium 2,70 uten albumin, merket HH (laboratoriets kritiske grense): alvorlig",
         [*AKUTT_KIDNEY_OK, remove("alb-akutt"), lab("ca-akutt", 2.70, flag="HH")]),
    Case(AKU, "kalsium-h-flagg-ikke-akutt", A, PV, False,
         "totalkalsium 2,70 uten albumin, merket H: forhøyet, ikke alvorlig – begrunnet",
         [*AKUTT_KIDNEY_OK, remove("alb-akutt"), lab("ca-akutt", 2.70, flag="H")]),
    Case(AKU, "alvorlig-hyperkalsemi-kjent-phpt-ikke-akutt", A, PV, False,
         "korrigert kalsium 2,76 med kjent primær hyperparatyreoidisme (E21.0): forklart, "
         "begrunnet-kort som sier hvorfor ikke akutt",
         [*AKUTT_KIDNEY_OK, normal("ca-akutt", 2.65), lab("alb-akutt", 36),
          condition("phpt", ICD, "E21.0", "Primær hyperparatyreoidisme", days_ago=400)]),
    Case(AKU, "alvorlig-hyperkalsemi-operert-phpt-akutt", A, PV, True,
         "samme, men hyperparatyreoidismen er operert (resolved): ikke lenger en forklaring",
         [*AKUTT_KIDNEY_OK, normal("ca-akutt", 2.65), lab("alb-akutt", 36),
          condition("phpt", ICD, "E21.0", "Primær hyperparatyreoidisme", days_ago=400,
                    status="resolved")]),
    Case(AKU, "korrigert-kalsium-2.75-ikke-akutt", A, PV, False,
         "Ca 2,64 og albumin 36: korrigert 2,746 → 2,75, ikke over 2,75: begrunnet (warning)",
         [*AKUTT_KIDNEY_OK, normal("ca-akutt", 2.64), lab("alb-akutt", 36)]),
    Case(AKU, "korrigert-kalsium-2.52-ikke-akutt", A, PV, False,
         "korrigert 2,52 er over normalgrensen 2,51, men ikke alvorlig: begrunnet, ikke akutt",
         [*AKUTT_KIDNEY_OK, normal("ca-akutt", 2.41), lab("alb-akutt", 36)]),
    Case(AKU, "korrigert-kalsium-lik-2.51-ikke-akutt", A, PV, False,
         "Ca 2,40 og albumin 36: korrigert 2,506 → 2,51, ikke over 2,51",
         [*AKUTT_KIDNEY_OK, normal("ca-akutt", 2.40), lab("alb-akutt", 36)]),
    Case(AKU, "ionisert-1.49-akutt", A, PV, True,
         "fritt kalsium 1,49 > 1,48 (ingen totalkalsium/albumin)",
         [*AKUTT_KIDNEY_OK, remove("ca-akutt", "alb-akutt"),
          observation("ica", ICA, value=1.49, unit="mmol/L", low=1.15, high=1.35, days_ago=3)]),
    Case(AKU, "ionisert-1.48-ikke-akutt", A, PV, False,
         "fritt kalsium 1,48 er ikke over 1,48: hyperkalsemi gir begrunnet, ikke akutt",
         [*AKUTT_KIDNEY_OK, remove("ca-akutt", "alb-akutt"),
          observation("ica", ICA, value=1.48, unit="mmol/L", low=1.15, high=1.35, days_ago=3)]),
    Case(AKU, "totalkalsium-2.76-uten-albumin-akutt", A, PV, True,
         "totalkalsium 2,76 uten albumin å korrigere med: reserveregelen, over 2,75",
         [*AKUTT_KIDNEY_OK, remove("alb-akutt"), lab("ca-akutt", 2.76, flag=None, ref="drop")]),
    Case(AKU, "totalkalsium-2.75-uten-albumin-ikke-akutt", A, PV, False,
         "totalkalsium 2,75 uten albumin: ikke over 2,75, begrunnet",
         [*AKUTT_KIDNEY_OK, remove("alb-akutt"), lab("ca-akutt", 2.75, flag=None, ref="drop")]),
    # Kidney failure is acute only when new (first seen ≤ 30 days ago) or worse than the
    # patient's own baseline (eGFR −25 %, creatinine +50 %), not stable chronic CKD 4–5.
    Case(AKU, "nyresvikt-30-dager-akutt", A, PV, True,
         "eGFR 24 i dag og for 30 dager siden, ingen eldre svar: ny nyresvikt",
         [*AKUTT_CA_NORMAL, *OLD_KIDNEY((30, 24, 221))]),
    Case(AKU, "nyresvikt-31-dager-ikke-akutt", A, PV, False,
         "eGFR 24 i dag og for 31 dager siden, uendret: kjent nyresvikt, begrunnet (warning)",
         [*AKUTT_CA_NORMAL, *OLD_KIDNEY((31, 24, 221))]),
    Case(AKU, "stabil-ckd4-ikke-akutt", A, PV, False,
         "eGFR 25 og kreatinin 215 for 200 dager siden, nå 24 og 221: stabil, ikke akutt",
         [*AKUTT_CA_NORMAL, *OLD_KIDNEY((200, 25, 215))]),
    Case(AKU, "egfr-fall-25-prosent-akutt", A, PV, True,
         "eGFR 32 (400 d), 28 (200 d), nå 24: fall 25 % fra beste verdi – forverret nyresvikt",
         [*AKUTT_CA_NORMAL, *OLD_KIDNEY((200, 28, 205), (400, 32, 160))]),
    Case(AKU, "egfr-fall-24-prosent-ikke-akutt", A, PV, False,
         "eGFR 31,5 (400 d), 28 (200 d), nå 24: fall 23,8 % < 25 %; kreatinin +38 % < 50 %",
         [*AKUTT_CA_NORMAL, *OLD_KIDNEY((200, 28, 205), (400, 31.5, 160))]),
    Case(AKU, "kreatinin-stigning-52-prosent-akutt", A, PV, True,
         "kreatinin 145 (400 d), 205 (200 d), nå 221: +52 % ≥ 50 % – forverret",
         [*AKUTT_CA_NORMAL, *OLD_KIDNEY((200, 28, 205), (400, 29, 145))]),
    Case(AKU, "kjent-ckd4-kode-ikke-akutt", A, PV, False,
         "kronisk nyresykdom stadium 4 kodet for 400 dager siden, ingen eldre svar: ikke akutt",
         [*AKUTT_CA_NORMAL,
          condition("ckd4", ICD, "N18.4", "Kronisk nyresykdom, stadium 4", days_ago=400)]),
    Case(AKU, "medullakompresjon-g95.2-akutt", B, PV, True,
         "M-komponent + G95.2 registrert for 5 dager siden",
         [condition("medulla", ICD, "G95.2", "Uspesifisert kompresjon av ryggmargen",
                    days_ago=5)]),
    Case(AKU, "medullakompresjon-31-dager-ikke-akutt", B, PV, False,
         "G95.2 registrert for 31 dager siden: utenfor 30-dagersvinduet (anemi gir begrunnet)",
         [condition("medulla", ICD, "G95.2", "Uspesifisert kompresjon av ryggmargen",
                    days_ago=31)]),
    # Suspected cord compression in the GP's words: both legs / saddle / retention + back pain.
    Case(AKU, "kraftsvikt-i-bena-og-ryggsmerter-akutt", B, PV, True,
         "notat til L02: «Ryggsmerter … tiltagende kraftsvikt i bena og nummenhet i setet»",
         gp_note("rygg", "L02", "Ryggsymptomer/plager",
                 "Ryggsmerter siste 3 uker, nå tiltagende kraftsvikt i bena og nummenhet i "
                 "setet.")),
    # Issue 7 audit: the course of a complaint is no denial; «og» + a finding with its own words.
    Case(AKU, "ikke-bedring-ryggsmerter-ny-kraftsvikt-akutt", B, PV, True,
         "«Ikke bedring av ryggsmertene, ny kraftsvikt i bena»: «ikke bedring» avkrefter ikke",
         gp_note("rygg", "L02", "Ryggsymptomer/plager",
                 "Ikke bedring av ryggsmertene, ny kraftsvikt i bena.")),
    Case(AKU, "ryggsmerter-som-ikke-gir-seg-og-kraftsvikt-akutt", B, PV, True,
         "«Ryggsmerter som ikke gir seg og kraftsvikt i bena»: «ikke» når ikke forbi «og»",
         gp_note("rygg", "L02", "Ryggsymptomer/plager",
                 "Ryggsmerter som ikke gir seg og kraftsvikt i bena.")),
    Case(AKU, "ryggsmerter-og-kraftsvikt-akutt", B, PV, True,
         "kontroll: «Ryggsmerter og kraftsvikt i bena.»",
         gp_note("rygg", "L02", "Ryggsymptomer/plager", "Ryggsmerter og kraftsvikt i bena.")),
    Case(AKU, "ryggsmerter-ingen-kraftsvikt-og-nummenhet-ikke-akutt", B, PV, False,
         "«Ryggsmerter. Ingen kraftsvikt og nummenhet i bena»: listen avkreftes (begrunnet)",
         gp_note("rygg", "L02", "Ryggsymptomer/plager",
                 "Ryggsmerter. Ingen kraftsvikt og nummenhet i bena.")),
    Case(AKU, "urinretensjon-og-ryggsmerter-kontaktarsak-akutt", B, PV, True,
         "kontaktårsak «Sterke ryggsmerter, urinretensjon siden i går»",
         [encounter("kontakt", "Sterke ryggsmerter, urinretensjon siden i går")]),
    Case(AKU, "nummenhet-i-fingrene-ikke-akutt", B, PV, False,
         "ryggsmerter og nummenhet i fingrene: ikke nevrologiske symptomer fra underekstremiteter",
         gp_note("rygg", "L02", "Ryggsymptomer/plager",
                 "Ryggsmerter. Nummenhet i fingrene om natten.")),
    Case(AKU, "kraftsvikt-i-bena-uten-ryggsmerter-ikke-akutt", B, PV, False,
         "kontaktårsak «Kraftsvikt i bena, ingen ryggsmerter»: kombinasjonen mangler",
         [encounter("kontakt", "Kraftsvikt i bena etter hjerneslag, ingen ryggsmerter")]),
    Case(AKU, "ryggsmerter-ingen-kraftsvikt-ikke-akutt", B, PV, False,
         "«Ryggsmerter. Ingen kraftsvikt eller nummenhet i bena»: avkreftet",
         gp_note("rygg", "L02", "Ryggsymptomer/plager",
                 "Ryggsmerter. Ingen kraftsvikt eller nummenhet i bena, normal vannlating.")),
    Case(AKU, "medullakompresjon-hos-far-ikke-akutt", B, PV, False,
         "«Far hadde medullakompresjon»: familieanamnese, ikke pasientens funn",
         gp_note("tretthet", "A04", "Slapphet/tretthet",
                 "Far hadde medullakompresjon ved prostatakreft.")),
    Case(AKU, "mistanke-om-medullakompresjon-i-notat-akutt", B, PV, True,
         "notat «Mistanke om medullakompresjon, henvist MR»: legens kliniske mistanke teller",
         gp_note("rygg", "L02", "Ryggsymptomer/plager",
                 "Mistanke om medullakompresjon, henvist MR som øyeblikkelig hjelp.")),
    Case(AKU, "hyperkalsemi-uten-m-komponent-ikke-akutt", A, PV, False,
         "hyperkalsemi og nyresvikt uten M-komponent: ikke akutt-kortet (lette kjeder mangler)",
         [remove("elfo-rapport-akutt"), note("elfo-akutt", NO_M)]),
    Case(AKU, "kjent-myelomatose-fortsatt-akutt", A, PV, True,
         "kjent myelomatose utelukker ikke akutt-kortet",
         [condition("myelom", ICD, "C90.0", "Myelomatose", days_ago=700, status="remission")]),
    Case(AKU, "allerede-henvist-fortsatt-akutt", A, PV, True,
         "merket henvisning for 20 dager siden: akutt vises likevel (uten ny skriftlig henvisning)",
         [referral("sendt", status="active", days_ago=20, text=HEMATOLOGI, label=PATHWAY)]),
    # --- myelomatose.signert-uten-grunnlag: order-sign, labelled draft, criterion not met -----
    Case(SIG, "order-sign-merket-uten-grunnlag", M, OSIGN, True,
         "utkast merket «Pakkeforløp for myelomatose», ingen M-komponent i journalen"),
    Case(SIG, "order-sign-merket-frisk", F, OSIGN, True,
         "frisk pasient, utkast merket for pakkeforløp: kortet lister hva som mangler",
         [referral("utkast-merket", status="draft", text=HEMATOLOGI, label=PATHWAY)]),
    Case(SIG, "order-select-merket-frisk-stille", F, OSEL, False,
         "samme utkast ved order-select: regelen gjelder bare order-sign",
         [remove("henvisning-utkast-frisk"),
          referral("utkast-merket", status="draft", text=HEMATOLOGI, label=PATHWAY)]),
    Case(SIG, "order-sign-umerket-frisk-stille", F, OSIGN, False,
         "umerket ortopedihenvisning for kneplager: ingenting å si"),
    Case(SIG, "order-sign-merket-og-begrunnet-stille", B, OSIGN, False,
         "merket og begrunnet: begrunnet-kortet, ikke «uten grunnlag»",
         [remove("henvisning-utkast-begrunnet"),
          referral("utkast-merket", status="draft", text=HEMATOLOGI, label=PATHWAY)]),
    # --- myelomatose.mgus: M-component without additional elements, related draft --------------
    Case(MGUS, "mgus-patient-view-stille", G, PV, False,
         "MGUS alene gir ikke kort i patient-view"),
    # A GP-followed MGUS (D47.2 since May 2025) with long-standing, unchanged findings.
    Case(BEG, "mgus-stabil-ckd3-stille", G, PV, False,
         "MGUS siden 2025 og eGFR 50–52 i to år: kjente, stabile funn gir ikke kort",
         [lab("egfr-mgus", 50), observation("egfr-700", EGFR, value=52,
                                            unit="mL/min/{1.73_m2}", days_ago=700)]),
    Case(BEG, "mgus-okende-m-komponent-tekst-ckd3-henvis", G, PV, True,
         "MGUS siden 2025, stabil eGFR 50–52, men laboratoriet skriver «Økende M-komponent, nå "
         "12 g/L»: M-komponenten er forverret (worsening_patterns), henvis",
         [lab("egfr-mgus", 50), observation("egfr-700", EGFR, value=52,
                                            unit="mL/min/{1.73_m2}", days_ago=700),
          note("elfo-mgus", "Økende M-komponent i gammaområdet, nå 12 g/L.")]),
    Case(BEG, "mgus-ikke-okende-m-komponent-tekst-ckd3-stille", G, PV, False,
         "samme med «M-komponent ca 3 g/L, ikke økende»: stabil, ingen kort",
         [lab("egfr-mgus", 50), observation("egfr-700", EGFR, value=52,
                                            unit="mL/min/{1.73_m2}", days_ago=700),
          note("elfo-mgus", "M-komponent ca 3 g/L i gammaområdet, ikke økende.")]),
    Case(MGUS, "mgus-stabil-ckd3-order-select-info", G, OSEL, True,
         "samme ved henvisning: stille info-kort om at kriteriet ikke er oppfylt",
         [lab("egfr-mgus", 50), observation("egfr-700", EGFR, value=52,
                                            unit="mL/min/{1.73_m2}", days_ago=700)]),
    Case(BEG, "mgus-ny-redusert-nyrefunksjon-henvis", G, PV, True,
         "MGUS siden 2025, eGFR 50 første gang (ingen eldre svar): nytt funn gir begrunnet",
         [lab("egfr-mgus", 50)]),
    Case(BEG, "mgus-egfr-fall-25-prosent-henvis", G, PV, True,
         "MGUS, eGFR 52–55 i to år (< 60 hele tiden), nå 39: fall 29 % fra 55 – forverret",
         [lab("egfr-mgus", 39), observation("egfr-400", EGFR, value=55,
                                            unit="mL/min/{1.73_m2}", days_ago=400),
          observation("egfr-700", EGFR, value=52, unit="mL/min/{1.73_m2}", days_ago=700)]),
    Case(BEG, "mgus-hb-fall-2-henvis", G, PV, True,
         "MGUS, Hb 11,0 (lav i 200 dager) og 13,0 for 400 dager siden: fall 2,0 g/dL – forverret",
         [lab("hb-mgus", 11.0, flag=None, ref="drop"),
          observation("hb-200", HB, value=11.2, unit="g/dL", days_ago=200),
          observation("hb-400", HB, value=13.0, unit="g/dL", days_ago=400)]),
    Case(BEG, "mgus-hb-fall-1.9-stille", G, PV, False,
         "MGUS, Hb 11,0 (lav i 200 dager) og 12,9 for 400 dager siden: fall 1,9 – stabil",
         [lab("hb-mgus", 11.0, flag=None, ref="drop"),
          observation("hb-200", HB, value=11.2, unit="g/dL", days_ago=200),
          observation("hb-400", HB, value=12.9, unit="g/dL", days_ago=400)]),
    Case("myelomatose.kjent-sykdom", "kjent-myelomatose-order-select-info", G, OSEL, True,
         "MGUS-pasient på lenalidomid, henvisning under arbeid: info om at nytt pakkeforløp "
         "ikke er aktuelt",
         [medicine("lenalidomid", "L04AX04", "Lenalidomid", days_ago=120)]),
    Case("myelomatose.kjent-sykdom", "kjent-myelomatose-patient-view-stille", G, PV, False,
         "samme pasient ved åpning av journalen: ingen kort (hematologen følger sykdommen)",
         [medicine("lenalidomid", "L04AX04", "Lenalidomid", days_ago=120)]),
    Case(MGUS, "mgus-order-select-info", G, OSEL, True,
         "henvisning med årsak D47.2: kriteriet for pakkeforløp er ikke oppfylt (info)"),
    Case(MGUS, "mgus-order-sign-info", G, OSIGN, True, "samme ved signering"),
    Case(MGUS, "mgus-urelatert-henvisning-stille", G, OSEL, False,
         "henvisning til ortoped for kneartrose: ikke relatert, ingen kort",
         [remove("henvisning-utkast-mgus"),
          referral("utkast-kne", status="draft", text="Henvisning ortopedisk poliklinikk",
                   reason=(ICPC, "L90", "Kneartrose"))]),
    Case(MGUS, "m-komponent-uten-tilleggsfunn-order-select", B, OSEL, True,
         "M-komponent, normal Hb: utkastet gjelder funnene, men kriteriet er ikke oppfylt",
         [HB_NORMAL_BEGRUNNET]),
    Case(MGUS, "ukjent-hb-enhet-order-select", "myelomatose-ukjent-enhet", OSEL, True,
         "Hb med ukjent enhet («enh») kan ikke brukes: M-komponent uten tilleggsfunn + merknad"),
    # --- myelomatose.mistanke.patient-view: >= 2 symptoms, filter tests missing ----------------
    Case(MPV, "eksempel-3-funn", M, PV, True, "ryggsmerter, anemi og eGFR 52; ingen elektroforese"),
    Case(MPV, "mistanke-2-funn", M, PV, True, "ryggsmerter og anemi (eGFR normal)",
         [normal("egfr-mistanke", 75), normal("krea-mistanke", 95)]),
    Case(MPV, "mistanke-1-funn-stille", M, PV, False,
         "bare anemi: ett funn er for lite for et kort i patient-view (policy: minst to)",
         [*MISTANKE_ONLY_ANAEMIA]),
    Case(MPV, "tre-luftveisinfeksjoner-og-anemi", M, PV, True,
         "tre luftveisinfeksjoner siste år (økt infeksjonstendens) + anemi",
         [*MISTANKE_ONLY_ANAEMIA,
          condition("inf-1", ICPC, "R74", "Akutt øvre luftveisinfeksjon", days_ago=300,
                    status="resolved"),
          condition("inf-2", ICPC, "R78", "Akutt bronkitt/bronkiolitt", days_ago=150,
                    status="resolved"),
          condition("inf-3", ICPC, "R81", "Lungebetennelse", days_ago=40, status="resolved")]),
    Case(MPV, "filterprover-tatt-stille", M, PV, False,
         "elektroforese og lette kjeder tatt og normale: filterfunksjonen er gjort",
         [observation("spep", SPEP, value_string="Se kommentar", text_note=NO_M),
          observation("flc", FLC, value=1.1, unit="1", low=0.26, high=1.65)]),
    Case(MPV, "lette-kjeder-mangler", M, PV, True,
         "elektroforese normal, men lette kjeder ikke tatt",
         [observation("spep", SPEP, value_string="Se kommentar", text_note=NO_M)]),
    # An earlier positive electrophoresis that aged out of its window (365 days) is named on the
    # card, within the three-year look-back (cds/evaluate/aged_out.py); older, or negative: not.
    Case(MPV, "m-komponent-14-mnd-siden-ta-ny", M, PV, True,
         "M-komponent påvist for 14 mnd siden (utenfor vinduet): kortet ber om ny elektroforese",
         [observation("spep-gammel", SPEP, days_ago=430, value_string="Se kommentar",
                      text_note=OLD_M)]),
    Case(MPV, "m-komponent-37-mnd-siden-uten-merknad", M, PV, True,
         "M-komponent for 37 mnd siden: utenfor tre års tilbakeblikk, kortet nevner den ikke",
         [observation("spep-gammel", SPEP, days_ago=1130, value_string="Se kommentar",
                      text_note=OLD_M)]),
    Case(MPV, "elektroforese-normal-14-mnd-siden-uten-merknad", M, PV, True,
         "normal elektroforese for 14 mnd siden: ingen tidligere positiv å nevne",
         [observation("spep-gammel", SPEP, days_ago=430, value_string="Se kommentar",
                      text_note=NO_M)]),
    Case(MPV, "allerede-henvist-stille", M, PV, False,
         "merket henvisning for 20 dager siden undertrykker mistanke-kortet",
         [referral("sendt", status="active", days_ago=20, text=HEMATOLOGI, label=PATHWAY)]),
    # --- myelomatose.mistanke.bestilling: order hooks, >= 1 symptom, related draft ------------
    Case(MBE, "eksempel-order-select", M, OSEL, True,
         "utkast merket for pakkeforløp, filterprøvene mangler"),
    Case(MBE, "order-select-1-funn-henvisning", M, OSEL, True,
         "bare anemi, men henvisningen gjelder myelomatose: ett funn holder ved bestilling",
         [*MISTANKE_ONLY_ANAEMIA]),
    Case(MBE, "order-select-urelatert-henvisning-stille", M, OSEL, False,
         "anemi, men utkastet er en ortopedihenvisning for kneplager: ikke relatert",
         [*MISTANKE_ONLY_ANAEMIA,
          remove("henvisning-utkast-mistanke"),
          referral("utkast-kne", status="draft", text="Henvisning ortopedisk poliklinikk",
                   reason=(ICPC, "L15", "Kne symptomer/plager"))]),
    Case(MBE, "order-sign-umerket-henvisning-anemi", M, OSIGN, True,
         "umerket henvisning med årsak anemi (D64.9) ved signering",
         [remove("henvisning-utkast-mistanke"),
          referral("utkast-anemi", status="draft", text=HEMATOLOGI,
                   reason=(ICD, "D64.9", "Uspesifisert anemi"))]),
    Case(MBE, "fysioterapi-for-ryggsmerter-alene", M, OSEL, True,
         "bare ryggsmerter (Hb og nyrefunksjon normale), henvisning til fysioterapi med årsak L03:"
         " regnes som relatert og gir kortet (se REVIEWER i kriteriene)",
         [normal("hb-mistanke", 14.6), normal("egfr-mistanke", 75), normal("krea-mistanke", 95),
          remove("henvisning-utkast-mistanke"),
          referral("utkast-fysio", status="draft", text="Henvisning fysioterapi",
                   reason=(ICPC, "L03", "Korsrygg symptomer/plager"))]),
    Case(MBE, "order-sign-merket-stille", M, OSIGN, False,
         "merket utkast ved signering: «uten grunnlag» går foran (regelrekkefølge)"),
    # --- silent: nothing to say ----------------------------------------------------------------
    Case("silent", "frisk-patient-view", F, PV, False, "frisk 45-åring, normale prøver"),
    Case("silent", "frisk-order-select", F, OSEL, False, "urelatert ortopedihenvisning"),
    Case("silent", "frisk-order-sign", F, OSIGN, False, "urelatert ortopedihenvisning"),
    Case("silent", "anemi-alene-patient-view", F, PV, False,
         "bare lav Hb (flagget L), ingen andre funn",
         [lab("hb-frisk", 12.8, flag="L")]),
    Case("silent", "allerede-henvist-patient-view", "myelomatose-allerede-henvist", PV, False,
         "begrunnet, men merket henvisning sendt for 20 dager siden, og pasienten har møtt ved "
         "hematologisk poliklinikk (uten fremmøte: klokke.forste-fremmote)",
         [hospital_contact("fremmote-hematologi", "Hematologisk poliklinikk", days_ago=14,
                           based_on="ServiceRequest/henvisning-sendt-henvist")]),
    # --- values that cannot be used: «kunne ikke vurderes», never «ikke oppfylt» ---------------
    Case(BEG, "ukjent-hb-enhet-kunne-ikke-vurderes-patient-view", "myelomatose-ukjent-enhet", PV,
         False, "M-komponent, Hb med ukjent enhet: ikke begrunnet, men et info-kort sier at anemi "
         "ikke kunne vurderes"),
    Case(BEG, "hb-1e308-kunne-ikke-vurderes", B, PV, False,
         "Hb 1e308 er urimelig stor: anemi kunne ikke vurderes (info-kort), ikke «ikke oppfylt»",
         [raw_value("hb-begrunnet", 1e308)]),
    Case(BEG, "hb-30-sifre-kunne-ikke-vurderes", B, PV, False,
         "Hb med 30 sifre: flere enn 15 gjeldende sifre, anemi kunne ikke vurderes",
         [raw_value("hb-begrunnet", 123456789012345678901234567890)]),
    Case(BEG, "hb-dato-9999-kunne-ikke-vurderes", B, PV, False,
         "Hb datert 31.12.9999 (fram i tid): anemi kunne ikke vurderes",
         [raw_date("hb-begrunnet", "9999-12-31T08:30:00+01:00")]),
    Case(BEG, "ny-hb-ukjent-enhet-eldre-anemi-henvis", B, PV, True,
         "nyere Hb med ukjent enhet settes til side: eldre Hb 10,2 avgjør, begrunnet + merknad",
         [lab("hb-begrunnet", days_ago=30),
          observation("hb-ny-ukjent", HB, days_ago=2,
                      value=12.0, unit="enh")]),
    Case(SIG, "order-sign-merket-hb-1e308-kunne-ikke-vurderes", B, OSIGN, True,
         "merket utkast, M-komponent, Hb 1e308: «uten grunnlag»-kortet sier at anemi ikke kunne "
         "vurderes i stedet for «kriteriene er ikke oppfylt»",
         [remove("henvisning-utkast-begrunnet"),
          referral("utkast-merket", status="draft", text=HEMATOLOGI, label=PATHWAY),
          raw_value("hb-begrunnet", 1e308)]),
    Case(AKU, "hb-1e308-akutt-beholdes", A, PV, True,
         "Hb 1e308 kan ikke brukes, men nyresvikt og alvorlig hyperkalsemi gir fortsatt akutt",
         [raw_value("hb-akutt", 1e308)]),
    Case(AKU, "kalsium-1e999-kunne-ikke-vurderes", A, PV, False,
         "nyrefunksjon normal, kalsium «1e999»: ikke akutt; begrunnet-kortet sier først at "
         "alvorlig hyperkalsemi ikke kunne vurderes",
         [*AKUTT_KIDNEY_OK, raw_value("ca-akutt", "1e999")]),
]


def _pathway_cases() -> list[Case]:
    """Cases of further pathways: every tests/golden/cases_*.py exports ``CASES``.

    One module per pathway keeps their authors out of each other's way; they import the edit
    helpers and ``Case`` from this module.
    """
    if str(HERE) not in sys.path:
        sys.path.insert(0, str(HERE))
    sys.modules.setdefault("build_cases", sys.modules[__name__])
    found: list[Case] = []
    for path in sorted(HERE.glob("cases_*.py")):
        module = importlib.import_module(path.stem)
        found.extend(module.CASES)
    return found


CASES += _pathway_cases()


def build(case: Case) -> dict[str, Any]:
    """The request body of one case."""
    bundle = json.loads((EXAMPLES / f"{case.base}.json").read_text(encoding="utf-8"))
    for edit in case.edits:
        edit(bundle)
    return request_from_bundle(bundle, hook=case.hook)


def render(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


def index() -> dict[str, Any]:
    """``index.json``: per case, its rule (``None`` in ``silent/``), hook, base, fires and why."""
    return {
        f"{case.folder}/{case.name}": {
            "rule": None if case.folder == "silent" else case.folder,
            "hook": case.hook,
            "base": case.base,
            "fires": case.fires,
            "why": case.why,
            **({"service": case.service} if case.service else {}),
        }
        for case in CASES
    }


def main() -> int:
    """Write index.json and every case's request into ``.requests/`` (emptied first)."""
    names = [f"{c.folder}/{c.name}" for c in CASES]
    duplicates = {n for n in names if names.count(n) > 1}
    if duplicates:
        sys.stderr.write(f"duplicate case names: {sorted(duplicates)}\n")
        return 1
    shutil.rmtree(REQUESTS, ignore_errors=True)
    for case in CASES:
        folder = REQUESTS / case.folder
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{case.name}.request.json").write_text(render(build(case)), encoding="utf-8")
    (HERE / "index.json").write_text(render(index()), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
