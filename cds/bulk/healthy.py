"""Healthy synthetic patients for :mod:`cds.bulk.synth`: normal labs and ordinary GP problems.

Nothing here may meet a pathway's criteria, alone or together: no lumps or skin swellings
(ICPC-2 S04), no musculoskeletal or pain codes (L, A01), no malaise, tiredness, fever or weight
loss (A03-A05, T08), no antibiotic or analgesic courses (ATC J01, N02), lab values inside the
reference range, and contacts that do not rise (one in the year before the last six months, at
most one within them). ``referred_without_criteria`` adds a sent referral marked «Pakkeforløp for
myelomatose» to such a record.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

from cds.bulk.people import address, person_fields

_NLK = "urn:oid:2.16.578.1.12.4.1.1.7280"
_UCUM = "http://unitsofmeasure.org"
_ICPC2 = "http://hl7.org/fhir/sid/icpc-2"
_ATC = "http://www.whocc.no/atc"
_GP = {"reference": "Practitioner/fastlege-eksempel", "display": "Fastlege Eva Eksempel"}
_PRACTICE = {"reference": "Organization/legekontor-eksempel", "display": "Eksempel legekontor"}

# (NLK code, display, text, unit, UCUM code or None, low, high, decimals): value drawn inside.
_LABS = (
    ("NPU04998", "P-Kreatinin", "Kreatinin", "umol/L", None, 62.0, 98.0, 0),
    ("NPU01443", "P-Kalsium", "Kalsium", "mmol/L", "mmol/L", 2.20, 2.45, 2),
    ("NPU19673", "P-Albumin", "Albumin", "g/L", "g/L", 38.0, 46.0, 0),
    ("NPU03577", "P-TSH", "TSH", "mIU/L", "m[IU]/L", 0.8, 3.5, 1),
    ("NPU02593", "B-Leukocytter", "Leukocytter", "10*9/L", "10*9/L", 4.2, 8.5, 1),
    ("NPU03568", "B-Trombocytter", "Trombocytter", "10*9/L", "10*9/L", 170.0, 340.0, 0),
)
_RANGES = {
    "NPU04998": (60, 105),
    "NPU01443": (2.15, 2.51),
    "NPU19673": (36, 48),
    "NPU03577": (0.4, 4.5),
    "NPU02593": (3.5, 10.0),
    "NPU03568": (145, 390),
}
# (ICPC-2 code, display, text, clinical status, ATC medication or None)
_PROBLEMS = (
    (
        "K86",
        "Hypertensjon ukomplisert",
        "Hypertensjon",
        "active",
        ("C09AA05", "ramipril", "Ramipril 5 mg tablett", "1 tablett daglig"),
    ),
    (
        "T93",
        "Lipidforstyrrelse",
        "Hyperkolesterolemi",
        "active",
        ("C10AA05", "atorvastatin", "Atorvastatin 20 mg tablett", "1 tablett om kvelden"),
    ),
    (
        "R96",
        "Astma",
        "Astma, godt regulert",
        "active",
        ("R03AC02", "salbutamol", "Salbutamol inhalasjonsaerosol", "Ved behov"),
    ),
    ("R74", "Akutt øvre luftveisinfeksjon", "Forkjølelse", "resolved", None),
    ("H71", "Akutt mellomørebetennelse", "Otitt venstre øre", "resolved", None),
    ("P06", "Søvnforstyrrelse", "Innsovningsvansker", "resolved", None),
    (
        "R97",
        "Allergisk rhinitt",
        "Pollenallergi",
        "active",
        ("R06AE07", "cetirizin", "Cetirizin 10 mg tablett", "1 tablett daglig i pollensesongen"),
    ),
    ("F70", "Infeksiøs konjunktivitt", "Øyekatarr", "resolved", None),
)


def _subject(patient_id: str) -> dict[str, str]:
    return {"reference": f"Patient/{patient_id}"}


def _instant(day: date, hour: int) -> str:
    return f"{day.isoformat()}T{hour:02d}:00:00+01:00"


def _quantity(value: float, unit: str, ucum: str | None) -> dict[str, Any]:
    quantity: dict[str, Any] = {"value": value, "unit": unit}
    if ucum is not None:
        quantity |= {"system": _UCUM, "code": ucum}
    return quantity


def _lab(
    patient_id: str,
    rid: str,
    day: date,
    code: str,
    display: str,
    text: str,
    value: dict[str, Any],
    ranges: list[dict[str, Any]],
) -> dict[str, Any]:
    return {
        "resourceType": "Observation",
        "id": rid,
        "status": "final",
        "category": [
            {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/observation-category",
                        "code": "laboratory",
                        "display": "Laboratory",
                    }
                ]
            }
        ],
        "code": {"coding": [{"system": _NLK, "code": code, "display": display}], "text": text},
        "subject": _subject(patient_id),
        "effectiveDateTime": _instant(day, 8),
        "issued": _instant(day, 14),
        "performer": [{"display": "Medisinsk biokjemi, Eksempel sykehus"}],
        "valueQuantity": value,
        "referenceRange": ranges,
    }


def _labs(patient_id: str, gender: str, day: date, rng: random.Random) -> Iterator[dict[str, Any]]:
    """Hb, eGFR, CRP and a few of the usual panel, all inside the reference range."""
    hb_low, hb_high = (13.4, 17.0) if gender == "male" else (11.7, 15.3)
    hb = round(rng.uniform(hb_low + 0.6, hb_high - 0.6), 1)
    g_dl = _quantity(0, "g/dL", "g/dL")
    yield _lab(
        patient_id,
        f"{patient_id}-hb",
        day,
        "NOR05172",
        "B-Hemoglobin",
        "Hemoglobin",
        g_dl | {"value": hb},
        [{"low": g_dl | {"value": hb_low}, "high": g_dl | {"value": hb_high}}],
    )
    yield _lab(
        patient_id,
        f"{patient_id}-egfr",
        day,
        "NOR25909",
        "Nyre-eGFR CKD-EPI Kreatinin (overfl.=1,73m2)",
        "eGFR",
        {"value": rng.randint(75, 110), "unit": "mL/min/1,73m2"},
        [{"text": "> 60"}],
    )
    mg_l = _quantity(0, "mg/L", "mg/L")
    yield _lab(
        patient_id,
        f"{patient_id}-crp",
        day,
        "NPU19748",
        "P-C-Reaktivt protein",
        "CRP",
        mg_l | {"value": rng.randint(1, 4)},
        [{"high": mg_l | {"value": 5}}],
    )
    for code, display, text, unit, ucum, low, high, decimals in rng.sample(_LABS, 3):
        value = round(rng.uniform(low, high), decimals)
        ref_low, ref_high = _RANGES[code]
        ranges = [{"low": _quantity(ref_low, unit, ucum), "high": _quantity(ref_high, unit, ucum)}]
        yield _lab(
            patient_id,
            f"{patient_id}-{code.lower()}",
            day,
            code,
            display,
            text,
            _quantity(int(value) if decimals == 0 else value, unit, ucum),
            ranges,
        )


def _encounter(patient_id: str, rid: str, day: date) -> dict[str, Any]:
    return {
        "resourceType": "Encounter",
        "id": rid,
        "status": "finished",
        "class": {
            "system": "http://terminology.hl7.org/CodeSystem/v3-ActCode",
            "code": "AMB",
            "display": "ambulatory",
        },
        "type": [{"text": "Konsultasjon"}],
        "subject": _subject(patient_id),
        "participant": [{"individual": {"reference": _GP["reference"]}}],
        "period": {"start": _instant(day, 9), "end": f"{day.isoformat()}T09:20:00+01:00"},
        "serviceProvider": {"reference": _PRACTICE["reference"]},
    }


def healthy_resources(patient_id: str, today: date, rng: random.Random) -> Iterator[dict[str, Any]]:
    """One healthy adult's record: Patient, labs, one or two problems, contacts, maybe a booked
    appointment and a vaccination. Every date lies 10 days or more before ``today``."""
    gender = rng.choice(("female", "male"))
    born = today - timedelta(days=rng.randint(18 * 365 + 5, 88 * 365))
    yield {
        "resourceType": "Patient",
        "id": patient_id,
        "meta": {"profile": ["http://hl7.no/fhir/StructureDefinition/no-basis-Patient"]},
        **person_fields(born, gender, rng),
        "active": True,
        "gender": gender,
        "birthDate": born.isoformat(),
        "address": [address(rng)],
        "generalPractitioner": [_GP],
        "managingOrganization": _PRACTICE,
    }
    lab_day = today - timedelta(days=rng.randint(20, 300))
    yield from _labs(patient_id, gender, lab_day, rng)
    for number, problem in enumerate(rng.sample(_PROBLEMS, rng.randint(1, 2))):
        code, display, text, status, medication = problem
        onset = today - timedelta(days=rng.randint(30, 3000))
        yield {
            "resourceType": "Condition",
            "id": f"{patient_id}-c{number}",
            "clinicalStatus": {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/condition-clinical",
                        "code": status,
                    }
                ]
            },
            "verificationStatus": {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/condition-ver-status",
                        "code": "confirmed",
                    }
                ]
            },
            "category": [
                {
                    "coding": [
                        {
                            "system": "http://terminology.hl7.org/CodeSystem/condition-category",
                            "code": "problem-list-item"
                            if status == "active"
                            else "encounter-diagnosis",
                        }
                    ]
                }
            ],
            "code": {
                "coding": [{"system": _ICPC2, "code": code, "display": display}],
                "text": text,
            },
            "subject": _subject(patient_id),
            "onsetDateTime": onset.isoformat(),
            "recordedDate": onset.isoformat(),
        }
        if medication is not None:
            atc, name, product, dose = medication
            yield {
                "resourceType": "MedicationStatement",
                "id": f"{patient_id}-m{number}",
                "status": "active",
                "medicationCodeableConcept": {
                    "coding": [{"system": _ATC, "code": atc, "display": name}],
                    "text": product,
                },
                "subject": _subject(patient_id),
                "effectivePeriod": {"start": onset.isoformat()},
                "dateAsserted": onset.isoformat(),
                "dosage": [{"text": dose}],
            }
    # Contacts that do not rise: one in the year before the last six months, at most one after.
    yield _encounter(patient_id, f"{patient_id}-e0", today - timedelta(days=rng.randint(200, 540)))
    if rng.random() < 0.6:
        yield _encounter(patient_id, f"{patient_id}-e1", lab_day)
    if rng.random() < 0.3:
        yield _vaccination(patient_id, today - timedelta(days=rng.randint(30, 400)))
    if rng.random() < 0.25:
        yield _appointment(patient_id, today + timedelta(days=rng.randint(3, 40)))


def _vaccination(patient_id: str, day: date) -> dict[str, Any]:
    return {
        "resourceType": "Procedure",
        "id": f"{patient_id}-v",
        "status": "completed",
        "code": {
            "coding": [
                {
                    "system": "http://snomed.info/sct",
                    "code": "33879002",
                    "display": "Administration of vaccine to produce active immunity",
                }
            ],
            "text": "Influensavaksine",
        },
        "subject": _subject(patient_id),
        "performedDateTime": _instant(day, 10),
        "performer": [{"actor": {"reference": _GP["reference"]}}],
    }


def _appointment(patient_id: str, day: date) -> dict[str, Any]:
    return {
        "resourceType": "Appointment",
        "id": f"{patient_id}-a",
        "status": "booked",
        "serviceType": [{"text": "Time hos fastlege"}],
        "description": "Kontroll blodtrykk",
        "start": _instant(day, 10),
        "end": f"{day.isoformat()}T10:20:00+01:00",
        "participant": [
            {"actor": {"reference": f"Patient/{patient_id}"}, "status": "accepted"},
            {"actor": _GP, "status": "accepted"},
        ],
    }


def marked_referral(patient_id: str, authored: date) -> dict[str, Any]:
    """A sent referral marked «Pakkeforløp for myelomatose», nothing in the record behind it."""
    return {
        "resourceType": "ServiceRequest",
        "id": f"{patient_id}-henvisning",
        "status": "active",
        "intent": "order",
        "category": [
            {
                "coding": [
                    {
                        "system": "http://snomed.info/sct",
                        "code": "3457005",
                        "display": "Patient referral",
                    }
                ],
                "text": "Henvisning",
            }
        ],
        "priority": "urgent",
        "code": {"text": "Henvisning hematologisk poliklinikk"},
        "subject": _subject(patient_id),
        "authoredOn": authored.isoformat(),
        "requester": _GP,
        "orderDetail": [{"text": "Pakkeforløp for myelomatose"}],
        "note": [{"text": "Henvisningen er merket «Pakkeforløp for myelomatose»."}],
    }
