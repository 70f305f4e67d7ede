"""Seeded, realistic patient records of a given size for the benchmark (``bench/run.py``).

Each record is one of the example Bundles (examples/*.json, "today" 2026-11-20) as its clinical
core, padded with seeded, clinically neutral history up to the requested number of resources:

* lab Observations over ten years: analytes the criteria read (Hb, creatinine, eGFR, calcium,
  albumin, CRP, leukocytes, platelets, ...; NLK and LOINC codings, canonical units, reference
  ranges) with normal values, and unrelated analytes (lipids, glucose, ferritin, B12, ...);
* body-weight Observations, unrelated ICPC-2 / ICD-10 Conditions, MedicationStatements with
  unrelated ATC codes, Encounters, and DiagnosticReports (lab panels, old normal imaging).

Neutral means the padding must not change the answer, so it respects the rules' windows:

* a read analyte is padded only with normal values at least 100 days old (outside the 30- and
  90-day "newest result" windows) and older than the core's oldest result of that analyte, so
  the core's results stay the newest ones inside the look-back windows;
* weights are at least 300 days old (outside «newest weight <= 90 days, highest weight of the
  180 days before it»), Encounters at least 600 days old (outside «contacts in the last 180 days
  after <= 2 in the 365 days before»), imaging reports at least 1200 days old;
* no padded code is in a criteria code set (ICPC-2/ICD-10/ATC) or analyte list by accident.

``bench/run.py`` checks this on every size: firing patients keep their card, silent ones get
``{"cards": []}``. The same (patient, size, seed) always gives byte-identical JSON.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from pathlib import Path
from typing import Any

from cds.record.bundle import request_from_bundle

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
TODAY = date(2026, 11, 20)
SIZES: tuple[int, ...] = (100, 300, 1000, 3000, 10000)
SEED = 20261120


@dataclass(frozen=True)
class Patient:
    """A benchmark patient: the example Bundle that is its clinical core and what it expects."""

    name: str
    example: str
    pathway: str
    fires: bool


PATIENTS: tuple[Patient, ...] = (
    Patient("myelomatose-fires", "myelomatose-begrunnet", "myelomatose", fires=True),
    Patient("myelomatose-silent", "myelomatose-mgus", "myelomatose", fires=False),
    Patient("sarkom-fires", "sarkom-mr-malignitetssuspekt", "sarkom", fires=True),
    Patient("sarkom-silent", "sarkom-subkutan-4cm", "sarkom", fires=False),
    Patient("diagnostisk-fires", "diagnostisk-begrunnet", "diagnostisk", fires=True),
    Patient("diagnostisk-silent", "diagnostisk-tretthet", "diagnostisk", fires=False),
    Patient("frisk-silent", "frisk", "-", fires=False),
)
PATIENT_BY_NAME = {p.name: p for p in PATIENTS}

NLK = "urn:oid:2.16.578.1.12.4.1.1.7280"
LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
ICPC2 = "http://hl7.org/fhir/sid/icpc-2"
ICD10 = "http://hl7.org/fhir/sid/icd-10-no"
ATC = "http://www.whocc.no/atc"


@dataclass(frozen=True)
class Analyte:
    """A lab test: codes, canonical unit, a normal value's mean and spread, reference range."""

    key: str
    nlk: str
    loinc: str
    display: str
    unit: str
    mean: float
    spread: float
    low: float
    high: float
    read: bool  # one the criteria read (criteria/codes/analytes.yaml)


_A = Analyte
# Normal values, clipped to [low, high] (the common range of both sexes where they differ).
ANALYTES: tuple[Analyte, ...] = (
    _A("hb", "NOR05172", "718-7", "B-Hemoglobin", "g/dL", 14.2, 0.4, 13.6, 15.0, True),
    _A("krea", "NPU04998", "14682-9", "P-Kreatinin", "umol/L", 75, 6, 62, 88, True),
    _A("egfr", "NOR25909", "62238-1", "Nyre-eGFR", "mL/min/{1.73_m2}", 85, 5, 75, 95, True),
    _A("ca", "NPU01443", "2000-8", "P-Kalsium", "mmol/L", 2.35, 0.05, 2.22, 2.45, True),
    _A("alb", "NPU19673", "1751-7", "P-Albumin", "g/L", 42, 2, 38, 46, True),
    _A("crp", "NPU19748", "1988-5", "P-CRP", "mg/L", 2, 1, 0.5, 4, True),
    _A("lpk", "NPU02593", "26464-8", "B-Leukocytter", "10*9/L", 6.5, 0.8, 4.5, 8.5, True),
    _A("neut", "NPU02902", "751-8", "B-Neutrofile", "10*9/L", 3.5, 0.6, 2.0, 5.0, True),
    _A("tpk", "NPU03568", "777-3", "B-Trombocytter", "10*9/L", 250, 25, 180, 320, True),
    _A("na", "NPU03429", "2951-2", "P-Natrium", "mmol/L", 140, 1.2, 137, 143, True),
    _A("k", "NPU03230", "2823-3", "P-Kalium", "mmol/L", 4.1, 0.2, 3.7, 4.5, True),
    _A("alat", "NPU19651", "1742-6", "P-ALAT", "U/L", 22, 5, 10, 40, True),
    _A("alp", "NPU53077", "6768-6", "P-ALP", "U/L", 70, 10, 40, 100, True),
    _A("tsh", "NPU03577", "3016-3", "P-TSH", "mU/L", 1.8, 0.5, 0.6, 3.5, True),
    _A("mcv", "NPU01944", "787-2", "Erc-MCV", "fL", 90, 2.5, 84, 96, True),
    _A("ld", "NPU19658", "2532-0", "P-LD", "U/L", 180, 15, 120, 220, True),
    _A("kol", "NPU01566", "2093-3", "P-Kolesterol", "mmol/L", 5.0, 0.5, 3.5, 6.5, False),
    _A("ldl", "NPU01568", "13457-7", "P-LDL-kolesterol", "mmol/L", 3.0, 0.4, 1.8, 4.2, False),
    _A("hdl", "NPU01567", "2085-9", "P-HDL-kolesterol", "mmol/L", 1.4, 0.2, 0.9, 2.0, False),
    _A("tg", "NPU04094", "2571-8", "P-Triglyserid", "mmol/L", 1.2, 0.3, 0.5, 2.0, False),
    _A("gluk", "NPU02192", "2345-7", "P-Glukose", "mmol/L", 5.3, 0.4, 4.2, 6.1, False),
    _A("ferr", "NPU19763", "2276-4", "S-Ferritin", "ug/L", 90, 25, 30, 200, False),
    _A("b12", "NPU01700", "2132-9", "S-Kobalaminer", "pmol/L", 350, 60, 200, 600, False),
    _A("gt", "NPU19657", "2324-2", "P-GT", "U/L", 25, 7, 10, 45, False),
    _A("urat", "NPU03688", "3084-1", "P-Urat", "umol/L", 300, 35, 200, 400, False),
    _A("vitd", "NPU10267", "62292-8", "S-25-OH-Vitamin D", "nmol/L", 70, 12, 50, 120, False),
)
_READ = [a for a in ANALYTES if a.read]
_UNRELATED = [a for a in ANALYTES if not a.read]

# Codes in no criteria code set (checked against criteria/codes/codesets.yaml).
_CONDITIONS: tuple[tuple[str, str, str], ...] = (
    (ICPC2, "K86", "Hypertensjon ukomplisert"),
    (ICPC2, "T90", "Diabetes type 2"),
    (ICPC2, "S88", "Kontaktdermatitt/allergisk eksem"),
    (ICPC2, "H71", "Akutt mellomørebetennelse"),
    (ICPC2, "F70", "Infeksiøs konjunktivitt"),
    (ICPC2, "K95", "Varikøse vener i bena"),
    (ICPC2, "R96", "Astma"),
    (ICPC2, "U71", "Cystitt/urinveisinfeksjon"),
    (ICPC2, "P76", "Depresjon"),
    (ICD10, "I10", "Essensiell hypertensjon"),
    (ICD10, "E11.9", "Diabetes mellitus type 2 uten komplikasjoner"),
    (ICD10, "J45.9", "Astma, uspesifisert"),
    (ICD10, "N39.0", "Urinveisinfeksjon"),
    (ICD10, "K21.9", "Gastroøsofageal reflukssykdom"),
    (ICD10, "E78.0", "Ren hyperkolesterolemi"),
)
_MEDICATIONS: tuple[tuple[str, str], ...] = (
    ("C09AA05", "Ramipril 5 mg tablett"),
    ("C10AA01", "Simvastatin 20 mg tablett"),
    ("A10BA02", "Metformin 500 mg tablett"),
    ("R03AC02", "Salbutamol inhalasjonspulver"),
    ("H03AA01", "Levotyroksin 50 mikrog tablett"),
    ("A02BC01", "Omeprazol 20 mg kapsel"),
    ("C07AB02", "Metoprolol 50 mg depottablett"),
)
_IMAGING: tuple[tuple[str, str], ...] = (
    ("Rtg. thorax", "Normal hjertestørrelse. Ingen infiltrater eller pleuravæske."),
    ("UL abdomen", "Normal lever, galleveier, nyrer og milt."),
    ("Rtg. kne", "Lett innsnevret mediale leddspalte, ellers normale forhold."),
    ("Rtg. ankel", "Ingen fraktur. Bløtdelshevelse lateralt."),
)
# Share of the padding per kind of resource (a GP record: lab results dominate).
_MIX: tuple[tuple[str, float], ...] = (
    ("lab_read", 0.38),
    ("lab_other", 0.30),
    ("weight", 0.03),
    ("condition", 0.09),
    ("medication", 0.07),
    ("encounter", 0.08),
    ("report", 0.05),
)


@cache
def _core(example: str) -> str:
    return (EXAMPLES / f"{example}.json").read_text(encoding="utf-8")


def _instant(day: date, rng: random.Random) -> str:
    offset = "+02:00" if 4 <= day.month <= 10 else "+01:00"  # Norwegian summer time, roughly
    clock = f"{rng.randint(7, 15):02d}:{rng.choice((0, 15, 30, 45)):02d}:00"
    return f"{day.isoformat()}T{clock}{offset}"


def _codes_of(resource: dict[str, Any]) -> set[str]:
    return {c.get("code", "") for c in resource.get("code", {}).get("coding", [])}


def _oldest_day(resources: list[dict[str, Any]], analyte: Analyte) -> date | None:
    """The date of the core's oldest result of ``analyte`` (None when it has none)."""
    days = [
        date.fromisoformat(r["effectiveDateTime"][:10])
        for r in resources
        if r.get("resourceType") == "Observation"
        and {analyte.nlk, analyte.loinc} & _codes_of(r)
        and "effectiveDateTime" in r
    ]
    return min(days) if days else None


class _Padder:
    """Makes the padding resources of one record (all randomness from one seeded RNG)."""

    def __init__(self, core: list[dict[str, Any]], patient_id: str, rng: random.Random) -> None:
        self.rng = rng
        self.subject = {"reference": f"Patient/{patient_id}"}
        self.n = 0
        self.lab_ids: list[tuple[str, date]] = []
        # Oldest-allowed age (days) per read analyte: >= 100 and older than the core's oldest.
        self.min_age = {}
        for analyte in _READ:
            oldest = _oldest_day(core, analyte)
            age = (TODAY - oldest).days + 1 if oldest else 0
            self.min_age[analyte.key] = max(100, age)

    def _id(self, kind: str) -> str:
        self.n += 1
        return f"bench-{kind}-{self.n}"

    def _day(self, min_age: int, max_age: int = 3650) -> date:
        return TODAY - timedelta(days=self.rng.randint(min_age, max(min_age, max_age)))

    def make(self, kind: str) -> dict[str, Any]:
        return getattr(self, f"_{kind}")()

    def _observation(self, analyte: Analyte, day: date) -> dict[str, Any]:
        rng = self.rng
        value = min(analyte.high, max(analyte.low, rng.gauss(analyte.mean, analyte.spread)))
        value = round(value, 2 if analyte.mean < 10 else 0)
        quantity = {"value": value, "unit": analyte.unit, "system": UCUM, "code": analyte.unit}
        coding = []
        which = rng.random()  # labs send NLK, LOINC or both
        if which < 0.8:
            coding.append({"system": NLK, "code": analyte.nlk, "display": analyte.display})
        if which > 0.6:
            coding.append({"system": LOINC, "code": analyte.loinc})
        oid = self._id(analyte.key)
        self.lab_ids.append((oid, day))
        limit = {"unit": analyte.unit, "system": UCUM, "code": analyte.unit}
        return {
            "resourceType": "Observation",
            "id": oid,
            "status": "final",
            "category": [{"coding": [{
                "system": "http://terminology.hl7.org/CodeSystem/observation-category",
                "code": "laboratory"}]}],
            "code": {"coding": coding, "text": analyte.display},
            "subject": self.subject,
            "effectiveDateTime": _instant(day, rng),
            "performer": [{"display": "Medisinsk biokjemi, Eksempel sykehus"}],
            "valueQuantity": quantity,
            "referenceRange": [{
                "low": {"value": analyte.low, **limit},
                "high": {"value": analyte.high, **limit},
            }],
        }

    def _lab_read(self) -> dict[str, Any]:
        analyte = self.rng.choice(_READ)
        return self._observation(analyte, self._day(self.min_age[analyte.key]))

    def _lab_other(self) -> dict[str, Any]:
        return self._observation(self.rng.choice(_UNRELATED), self._day(1))

    def _weight(self) -> dict[str, Any]:
        day = self._day(300)
        return {
            "resourceType": "Observation",
            "id": self._id("vekt"),
            "status": "final",
            "category": [{"coding": [{
                "system": "http://terminology.hl7.org/CodeSystem/observation-category",
                "code": "vital-signs"}]}],
            "code": {"coding": [{"system": LOINC, "code": "29463-7", "display": "Body weight"}],
                     "text": "Vekt"},
            "subject": self.subject,
            "effectiveDateTime": _instant(day, self.rng),
            "valueQuantity": {"value": round(self.rng.gauss(76, 0.8), 1), "unit": "kg",
                              "system": UCUM, "code": "kg"},
        }

    def _condition(self) -> dict[str, Any]:
        system, code, display = self.rng.choice(_CONDITIONS)
        day = self._day(30)
        status = "active" if self.rng.random() < 0.3 else "resolved"
        return {
            "resourceType": "Condition",
            "id": self._id("cond"),
            "clinicalStatus": {"coding": [{
                "system": "http://terminology.hl7.org/CodeSystem/condition-clinical",
                "code": status}]},
            "category": [{"coding": [{
                "system": "http://terminology.hl7.org/CodeSystem/condition-category",
                "code": "encounter-diagnosis"}]}],
            "code": {"coding": [{"system": system, "code": code, "display": display}],
                     "text": display},
            "subject": self.subject,
            "onsetDateTime": day.isoformat(),
            "recordedDate": day.isoformat(),
        }

    def _medication(self) -> dict[str, Any]:
        code, text = self.rng.choice(_MEDICATIONS)
        start = self._day(30)
        active = self.rng.random() < 0.4
        period: dict[str, str] = {"start": start.isoformat()}
        if not active:
            end = start + timedelta(days=self.rng.randint(14, 365))
            period["end"] = min(TODAY, end).isoformat()
        return {
            "resourceType": "MedicationStatement",
            "id": self._id("med"),
            "status": "active" if active else "completed",
            "medicationCodeableConcept": {"coding": [{"system": ATC, "code": code}], "text": text},
            "subject": self.subject,
            "effectivePeriod": period,
            "dateAsserted": start.isoformat(),
            "dosage": [{"text": "1 tablett daglig"}],
        }

    def _encounter(self) -> dict[str, Any]:
        day = self._day(600)
        start = _instant(day, self.rng)
        return {
            "resourceType": "Encounter",
            "id": self._id("kontakt"),
            "status": "finished",
            "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "AMB"},
            "subject": self.subject,
            "period": {"start": start, "end": start},
        }

    def _report(self) -> dict[str, Any]:
        rng = self.rng
        if self.lab_ids and rng.random() < 0.7:
            # A lab panel: results already in the record, no text.
            picks = rng.sample(self.lab_ids, min(len(self.lab_ids), rng.randint(2, 5)))
            day = max(d for _, d in picks)
            return {
                "resourceType": "DiagnosticReport",
                "id": self._id("rapport"),
                "status": "final",
                "category": [{"coding": [{
                    "system": "http://terminology.hl7.org/CodeSystem/v2-0074", "code": "LAB"}]}],
                "code": {"text": "Laboratoriesvar"},
                "subject": self.subject,
                "effectiveDateTime": _instant(day, rng),
                "result": [{"reference": f"Observation/{oid}"} for oid, _ in picks],
            }
        title, conclusion = rng.choice(_IMAGING)
        return {
            "resourceType": "DiagnosticReport",
            "id": self._id("bilde"),
            "status": "final",
            "category": [{"coding": [{
                "system": "http://terminology.hl7.org/CodeSystem/v2-0074", "code": "RAD"}]}],
            "code": {"coding": [{"system": LOINC, "code": "18748-4"}], "text": title},
            "subject": self.subject,
            "effectiveDateTime": _instant(self._day(1200), rng),
            "conclusion": conclusion,
        }


def bundle(patient: Patient, size: int, seed: int = SEED) -> dict[str, Any]:
    """The patient's example Bundle padded to ``size`` resources (never fewer than the core)."""
    record = json.loads(_core(patient.example))
    entries = record["entry"]
    core = [e["resource"] for e in entries]
    patient_id = next(r["id"] for r in core if r["resourceType"] == "Patient")
    # Synthetic data, not secrets: a seeded PRNG is the point (same seed, same record).
    rng = random.Random(f"{seed}:{patient.name}:{size}")  # noqa: S311
    padder = _Padder(core, patient_id, rng)
    kinds = [k for k, _ in _MIX]
    weights = [w for _, w in _MIX]
    base = "https://ehr.legekontor.example/fhir"
    for _ in range(max(0, size - len(entries))):
        resource = padder.make(rng.choices(kinds, weights)[0])
        entries.append({"fullUrl": f"{base}/{resource['resourceType']}/{resource['id']}",
                        "resource": resource})
    return record


def request(patient: Patient, size: int, seed: int = SEED) -> dict[str, Any]:
    """The patient-view hook request (complete prefetch) for the padded record."""
    return request_from_bundle(bundle(patient, size, seed), hook="patient-view")


def request_bytes(patient: Patient, size: int, seed: int = SEED) -> bytes:
    """The request body as an EHR would send it (compact UTF-8 JSON)."""
    body = json.dumps(request(patient, size, seed), ensure_ascii=False, separators=(",", ":"))
    return body.encode("utf-8")
