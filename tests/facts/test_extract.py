"""extract_facts: labs, conditions, reports, medications, orders, drafts, patient; never raises."""

from __future__ import annotations

import base64
import copy
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from facts_fhir import LOCAL, LOINC, NLK, coding, notes_worded, observation, worded

from cds.criteria.codebook import CodeBook
from cds.facts.extract import extract_facts
from cds.facts.model import PatientFacts, Quantity
from cds.record.model import Record
from cds.wording import msg

TODAY = date(2026, 3, 15)
SNOMED = "http://snomed.info/sct"
V2_0074 = "http://terminology.hl7.org/CodeSystem/v2-0074"
ICD10 = "http://hl7.org/fhir/sid/icd-10-no"
ATC = "http://www.whocc.no/atc"
HB = [coding(NLK, "NOR05172", "B-Hemoglobin")]
CREAT = [coding(NLK, "NPU04998", "P-Kreatinin")]
CALCIUM = [coding(LOINC, "17861-6")]
EGFR = [coding(NLK, "NOR25909")]
SPEP = [coding(NLK, "NPU03300", "P-Proteinelektroforese"), coding(LOCAL, "ELFO")]
CONTEXT = {"patientId": "p1", "userId": "Practitioner/gp"}


def facts_of(
    codebook: CodeBook,
    patient: dict[str, Any] | None = None,
    context: dict[str, Any] | None = None,
    **resources: list[Any],
) -> PatientFacts:
    record = Record(patient=patient, resources=dict(resources))
    return extract_facts(
        record, codebook, today=TODAY, context=CONTEXT if context is None else context
    )


# --- labs ----------------------------------------------------------------------------------------


def test_hb_indexed_under_nlk_alias_ignoring_local_code(codebook: CodeBook) -> None:
    obs = observation(
        "hb1",
        [coding("urn:oid:2.16.578.1.12.4.1.1.7230", "NOR05172"), coding(LOCAL, "HB")],
        value=11.2,
        unit="g/dl",
    )
    facts = facts_of(codebook, Observation=[obs])
    result = facts.latest("hemoglobin")
    assert result is not None
    assert result.ref == "Observation/hb1"
    assert result.analyte == "hemoglobin"
    assert result.when == date(2026, 3, 1)
    assert result.value == Quantity(11.2, "g/dL")
    assert result.unit_problem is None
    assert facts.notes == ()


@pytest.mark.parametrize(
    ("codings", "value", "unit", "analyte", "expected"),
    [
        (HB, 120, "g/L", "hemoglobin", Quantity(12.0, "g/dL")),
        (HB, 7.0, "mmol/L", "hemoglobin", Quantity(11.2798, "g/dL")),
        ([coding(LOINC, "2160-0")], 2.0, "mg/dL", "creatinine", Quantity(176.803394625, "umol/L")),
        (CREAT, 180, "µmol/L", "creatinine", Quantity(180.0, "umol/L")),
        (CREAT, 180, "μmol/L", "creatinine", Quantity(180.0, "umol/L")),
        (CALCIUM, 11.0, "mg/dL", "calcium", Quantity(2.74451097804, "mmol/L")),
        (EGFR, 45, "mL/min/1,73m2", "egfr", Quantity(45.0, "mL/min/{1.73_m2}")),
        (EGFR, 45, "ml/min/1.73m2", "egfr", Quantity(45.0, "mL/min/{1.73_m2}")),
        (SPEP, 4, "g/l", "spep", Quantity(4.0, "g/L")),
    ],
)
def test_values_converted_to_the_analyte_unit(
    codebook: CodeBook,
    codings: list[dict[str, Any]],
    value: float,
    unit: str,
    analyte: str,
    expected: Quantity,
) -> None:
    facts = facts_of(codebook, Observation=[observation("o1", codings, value=value, unit=unit)])
    result = facts.latest(analyte)
    assert result is not None and result.value is not None
    assert result.value.unit == expected.unit
    assert result.value.value == pytest.approx(expected.value, rel=1e-9)


def test_ucum_code_is_used_when_the_printed_unit_is_odd(codebook: CodeBook) -> None:
    obs = observation("o1", HB, value=11.0, unit="gram/desiliter", code="g/dL")
    result = facts_of(codebook, Observation=[obs]).latest("hemoglobin")
    assert result is not None and result.value == Quantity(11.0, "g/dL")


def test_conflicting_ucum_code_and_unit_are_refused(codebook: CodeBook) -> None:
    obs = observation("o1", HB, value=11.0, unit="g/L", code="g/dL")
    facts = facts_of(codebook, Observation=[obs])
    result = facts.latest("hemoglobin")
    assert result is not None and result.value is None
    assert "motstridende" in worded(result.unit_problem)


def test_unknown_unit_is_refused_and_noted(codebook: CodeBook) -> None:
    obs = observation("o1", HB, value=11.0, unit="xyz")
    facts = facts_of(codebook, Observation=[obs])
    result = facts.latest("hemoglobin")
    assert result is not None
    assert result.value is None
    assert result.unit_problem == msg("unit.unknown", unit="xyz")  # named, not worded
    assert worded(result.unit_problem) == "ukjent enhet «xyz» – verdien er ikke brukt"
    assert notes_worded(facts) == (
        "Hemoglobin 01.03.2026: ukjent enhet «xyz» – verdien er ikke brukt",
    )


def test_missing_unit_is_refused(codebook: CodeBook) -> None:
    facts = facts_of(codebook, Observation=[observation("o1", HB, value=11.0)])
    result = facts.latest("hemoglobin")
    assert result is not None and result.value is None
    assert "enhet mangler" in worded(result.unit_problem)


def test_inconvertible_unit_is_refused(codebook: CodeBook) -> None:
    facts = facts_of(codebook, Observation=[observation("o1", EGFR, value=45, unit="mL/min")])
    result = facts.latest("egfr")
    assert result is not None and result.value is None
    assert "kan ikke regnes om" in worded(result.unit_problem)
    assert len(facts.notes) == 1


@pytest.mark.parametrize(("raw", "expected"), [("11.5", 11.5), (11, 11.0), (1.15e1, 11.5)])
def test_numbers_as_strings_with_a_point_are_read(
    codebook: CodeBook, raw: object, expected: float
) -> None:
    obs = observation("o1", HB, value=0, unit="g/dL")
    obs["valueQuantity"]["value"] = raw
    result = facts_of(codebook, Observation=[obs]).latest("hemoglobin")
    assert result is not None and result.value == Quantity(expected, "g/dL")


@pytest.mark.parametrize("raw", ["11,5", "elleve", True, [11], {"v": 11}, "NaN"])
def test_non_numbers_are_refused_and_noted(codebook: CodeBook, raw: object) -> None:
    obs = observation("o1", HB, value=0, unit="g/dL")
    obs["valueQuantity"]["value"] = raw
    facts = facts_of(codebook, Observation=[obs])
    result = facts.latest("hemoglobin")
    assert result is not None and result.value is None
    assert "ikke et tall" in worded(result.unit_problem)
    assert len(facts.notes) == 1


def test_comparator_keeps_the_number_and_notes_it(codebook: CodeBook) -> None:
    obs = observation("o1", CREAT, value=40, unit="umol/L")
    obs["valueQuantity"]["comparator"] = "<"
    facts = facts_of(codebook, Observation=[obs])
    result = facts.latest("creatinine")
    assert result is not None and result.value == Quantity(40.0, "umol/L")
    assert len(facts.notes) == 1 and "«<40 umol/L»" in notes_worded(facts)[0]


def test_reference_range_is_converted(codebook: CodeBook) -> None:
    obs = observation(
        "o1",
        HB,
        value=105,
        unit="g/L",
        referenceRange=[
            {"low": {"value": 117, "unit": "g/L"}, "high": {"value": 153, "unit": "g/L"}}
        ],
    )
    result = facts_of(codebook, Observation=[obs]).latest("hemoglobin")
    assert result is not None
    assert result.value == Quantity(10.5, "g/dL")
    assert result.ref_low == Quantity(11.7, "g/dL")
    assert result.ref_high == Quantity(15.3, "g/dL")


def test_reference_range_in_mg_dl_is_converted_with_molar_mass(codebook: CodeBook) -> None:
    obs = observation(
        "o1",
        CALCIUM,
        value=2.6,
        unit="mmol/L",
        referenceRange=[
            {"low": {"value": 8.6, "unit": "mg/dL"}, "high": {"value": 10.2, "unit": "mg/dL"}}
        ],
    )
    result = facts_of(codebook, Observation=[obs]).latest("calcium")
    assert result is not None and result.ref_low is not None and result.ref_high is not None
    assert result.ref_low.value == pytest.approx(2.1457, abs=1e-4)
    assert result.ref_high.value == pytest.approx(2.5449, abs=1e-4)


def test_reference_range_without_unit_takes_the_value_unit(codebook: CodeBook) -> None:
    obs = observation("o1", HB, value=105, unit="g/L", referenceRange=[{"low": {"value": 117}}])
    result = facts_of(codebook, Observation=[obs]).latest("hemoglobin")
    assert result is not None and result.ref_low == Quantity(11.7, "g/dL")
    assert result.ref_high is None


def test_reference_range_for_the_patients_sex_is_chosen(codebook: CodeBook) -> None:
    ranges = [
        {
            "low": {"value": 13.4, "unit": "g/dL"},
            "appliesTo": [{"coding": [coding(SNOMED, "248153007", "Male")]}],
        },
        {"low": {"value": 11.7, "unit": "g/dL"}, "appliesTo": [{"text": "Kvinner"}]},
    ]
    obs = observation("o1", HB, value=12.0, unit="g/dL", referenceRange=ranges)
    female = facts_of(
        codebook, {"resourceType": "Patient", "id": "p1", "gender": "female"}, Observation=[obs]
    )
    male = facts_of(
        codebook, {"resourceType": "Patient", "id": "p1", "gender": "male"}, Observation=[obs]
    )
    unknown = facts_of(codebook, None, Observation=[obs])
    assert female.labs["hemoglobin"][0].ref_low == Quantity(11.7, "g/dL")
    assert male.labs["hemoglobin"][0].ref_low == Quantity(13.4, "g/dL")
    assert unknown.labs["hemoglobin"][0].ref_low == Quantity(13.4, "g/dL")  # first range


def test_reference_range_for_another_age_band_is_skipped(codebook: CodeBook) -> None:
    ranges = [
        {"low": {"value": 2.17, "unit": "mmol/L"}, "age": {"high": {"value": 49, "unit": "a"}}},
        {"low": {"value": 2.20, "unit": "mmol/L"}, "age": {"low": {"value": 50, "code": "a"}}},
    ]
    obs = observation(
        "o1", [coding(LOINC, "2000-8")], value=2.6, unit="mmol/L", referenceRange=ranges
    )
    patient = {"resourceType": "Patient", "id": "p1", "birthDate": "1950-01-01"}
    result = facts_of(codebook, patient, Observation=[obs]).latest("calcium")
    assert result is not None and result.ref_low == Quantity(2.20, "mmol/L")


def test_interpretation_codes_and_norwegian_flags(codebook: CodeBook) -> None:
    obs = observation(
        "o1",
        HB,
        value=9.0,
        unit="g/dL",
        interpretation=[
            {
                "coding": [
                    coding(
                        "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation", "LL"
                    )
                ]
            },
            {"text": "Lav"},
            {"coding": [{"code": "weird"}]},
        ],
    )
    result = facts_of(codebook, Observation=[obs]).latest("hemoglobin")
    assert result is not None and result.interpretation == frozenset({"LL", "L"})


def test_hoy_flag_from_display(codebook: CodeBook) -> None:
    obs = observation(
        "o1",
        CREAT,
        value=200,
        unit="umol/L",
        interpretation={"coding": [{"code": "X", "display": "Høy"}]},
    )
    result = facts_of(codebook, Observation=[obs]).latest("creatinine")
    assert result is not None and result.interpretation == frozenset({"H"})


def test_text_result_joins_value_string_coded_value_and_notes(codebook: CodeBook) -> None:
    obs = observation(
        "o1",
        SPEP,
        valueString="Se kommentar",
        note=[{"text": "Liten M-komponent i gammaområdet, ca 4 g/L"}, {"text": ""}],
    )
    coded = observation(
        "o2",
        SPEP,
        when="2026-02-01",
        valueCodeableConcept={"text": "Påvist", "coding": [{"display": "Positiv"}]},
    )
    facts = facts_of(codebook, Observation=[obs, coded])
    first, second = facts.labs["spep"]
    assert first.value is None and first.unit_problem is None
    assert first.text == "Se kommentar\nLiten M-komponent i gammaområdet, ca 4 g/L"
    assert first.display == "P-Proteinelektroforese"
    assert second.text == "Påvist\nPositiv"
    assert facts.notes == ()


def test_results_sorted_newest_first_undated_last(codebook: CodeBook) -> None:
    observations = [
        observation("undated", HB, value=10.0, unit="g/dL", when=None),
        observation("old", HB, value=11.0, unit="g/dL", when="2025"),
        observation("partial", HB, value=12.0, unit="g/dL", when="2026-02"),
        observation("morning", HB, value=13.0, unit="g/dL", when="2026-03-01T08:00:00+01:00"),
        observation("evening", HB, value=14.0, unit="g/dL", when="2026-03-01T20:00:00+01:00"),
        observation(
            "period",
            HB,
            value=15.0,
            unit="g/dL",
            when=None,
            effectivePeriod={"start": "2026-03-02"},
        ),
        observation(
            "issued", HB, value=16.0, unit="g/dL", when=None, issued="2026-01-10T10:00:00Z"
        ),
    ]
    results = facts_of(codebook, Observation=observations).labs["hemoglobin"]
    assert [r.ref.split("/")[1] for r in results] == [
        "period",
        "evening",
        "morning",
        "partial",
        "issued",
        "old",
        "undated",
    ]
    assert results[3].when == date(2026, 2, 1)
    assert results[-1].when is None


@pytest.mark.parametrize("status", ["entered-in-error", "cancelled"])
def test_cancelled_and_erroneous_results_are_skipped(codebook: CodeBook, status: str) -> None:
    obs = observation("o1", HB, value=9.0, unit="g/dL", status=status)
    assert facts_of(codebook, Observation=[obs]).labs == {}


@pytest.mark.parametrize("status", ["final", "amended", "corrected", "preliminary", ""])
def test_other_statuses_are_kept(codebook: CodeBook, status: str) -> None:
    obs = observation("o1", HB, value=9.0, unit="g/dL", status=status)
    assert "hemoglobin" in facts_of(codebook, Observation=[obs]).labs


def test_unmatched_observations_are_not_indexed(codebook: CodeBook) -> None:
    obs = observation(
        "o1", [coding(LOCAL, "NOR05172"), coding(LOINC, "2345-7")], value=5.0, unit="mmol/L"
    )
    assert facts_of(codebook, Observation=[obs]).labs == {}


def test_observation_indexed_under_every_matching_analyte(codebook: CodeBook) -> None:
    obs = observation(
        "o1", [coding(NLK, "NPU19673"), coding(LOINC, "33358-3")], value=4.0, unit="g/L"
    )
    labs = facts_of(codebook, Observation=[obs]).labs
    assert set(labs) == {"albumin", "spep"}


def test_component_value_is_used_for_tumour_size(codebook: CodeBook) -> None:
    obs = observation(
        "t1",
        [coding(LOINC, "21889-1", "Size Tumor")],
        component=[
            {
                "code": {"coding": [coding(LOINC, "33728-7")]},
                "valueQuantity": {"value": 62, "unit": "mm"},
            },
        ],
    )
    result = facts_of(codebook, Observation=[obs]).latest("tumour_size")
    assert result is not None and result.value == Quantity(6.2, "cm")
    assert result.ref == "Observation/t1"


# --- conditions --------------------------------------------------------------------------------


def condition(cid: str, code: str, **extra: Any) -> dict[str, Any]:
    return {
        "resourceType": "Condition",
        "id": cid,
        "code": {"coding": [coding(ICD10, code, "Tekst")]},
        **extra,
    }


def test_conditions(codebook: CodeBook) -> None:
    conditions = [
        condition("c1", "D64.9", onsetDateTime="2026-01-05T10:00:00+01:00"),
        condition(
            "c2",
            "C90.0",
            clinicalStatus={"coding": [{"code": "resolved"}]},
            onsetPeriod={"start": "2019-05"},
        ),
        condition("c3", "R53", verificationStatus={"coding": [{"code": "refuted"}]}),
        condition("c4", "R53", verificationStatus={"coding": [{"code": "entered-in-error"}]}),
        condition(
            "c5",
            "R63.4",
            recordedDate="2026-02-01",
            clinicalStatus={"coding": [{"code": "remission"}]},
        ),
        condition("c6", "N18", clinicalStatus={"coding": [{"code": "active"}]}),
    ]
    facts = facts_of(codebook, Condition=conditions)
    by_ref = {c.ref: c for c in facts.conditions}
    assert set(by_ref) == {"Condition/c1", "Condition/c2", "Condition/c5", "Condition/c6"}
    assert by_ref["Condition/c1"].codes == frozenset({("icd10", "D649")})
    assert by_ref["Condition/c1"].when == date(2026, 1, 5)
    assert by_ref["Condition/c1"].active
    assert by_ref["Condition/c1"].text == "Tekst"
    assert not by_ref["Condition/c2"].active and by_ref["Condition/c2"].when == date(2019, 5, 1)
    assert not by_ref["Condition/c5"].active and by_ref["Condition/c5"].when == date(2026, 2, 1)
    assert by_ref["Condition/c6"].active and by_ref["Condition/c6"].when is None


# --- reports -----------------------------------------------------------------------------------


def report(rid: str, **extra: Any) -> dict[str, Any]:
    return {"resourceType": "DiagnosticReport", "id": rid, "status": "final", **extra}


def b64(text: str, encoding: str = "utf-8") -> str:
    return base64.b64encode(text.encode(encoding)).decode("ascii")


def test_radiology_report_by_category(codebook: CodeBook) -> None:
    rad = report(
        "r1",
        category=[{"coding": [coding(V2_0074, "RAD")]}],
        code={"text": "MR lår"},
        effectiveDateTime="2026-03-02",
        conclusion="Malignitetssuspekt oppfylling.",
        conclusionCode=[{"coding": [coding(SNOMED, "363346000")]}],
        presentedForm=[{"contentType": "text/plain; charset=utf-8", "data": b64("Tumor 8 cm.")}],
    )
    (fact,) = facts_of(codebook, DiagnosticReport=[rad]).reports
    assert fact.kind == "radiology"
    assert fact.modality == "MR"
    assert fact.title == "MR lår"
    assert fact.when == date(2026, 3, 2)
    assert fact.conclusion == "Malignitetssuspekt oppfylling.\nTumor 8 cm."
    assert fact.conclusion_codes == frozenset({("snomed", "363346000")})


@pytest.mark.parametrize(
    ("extra", "kind", "modality"),
    [
        ({"code": {"text": "CT thorax"}}, "radiology", "CT"),
        ({"code": {"text": "Rtg. columna lumbalis"}}, "radiology", "RTG"),
        ({"code": {"text": "Røntgen thorax"}}, "radiology", "RTG"),
        ({"code": {"text": "Ultralyd bløtdeler"}}, "radiology", "UL"),
        ({"code": {"text": "UL hals"}}, "radiology", "UL"),
        (
            {"code": {"coding": [coding(LOINC, "18748-4", "Diagnostic imaging study")]}},
            "radiology",
            None,
        ),
        ({"category": [{"coding": [coding(V2_0074, "CT")]}]}, "radiology", "CT"),
        (
            {"category": [{"coding": [coding(V2_0074, "PAT")]}], "code": {"text": "Histologi"}},
            "pathology",
            None,
        ),
        ({"category": [{"coding": [coding(V2_0074, "SP")]}]}, "pathology", None),
        ({"code": {"text": "Histologisk undersøkelse"}}, "pathology", None),
        (
            {
                "category": [{"coding": [coding(V2_0074, "LAB")]}],
                "code": {"text": "Proteinelektroforese"},
            },
            "laboratory",
            None,
        ),
        ({"category": [{"coding": [coding(V2_0074, "HM")]}]}, "laboratory", None),
        ({"code": {"text": "Tumorgjennomgang"}}, "other", None),
        ({}, "other", None),
    ],
)
def test_report_kind_and_modality(
    codebook: CodeBook, extra: dict[str, Any], kind: str, modality: str | None
) -> None:
    (fact,) = facts_of(codebook, DiagnosticReport=[report("r1", **extra)]).reports
    assert (fact.kind, fact.modality) == (kind, modality)


def test_presented_form_guards(codebook: CodeBook) -> None:
    rad = report(
        "r1",
        conclusion="Konklusjon",
        presentedForm=[
            {"contentType": "application/pdf", "data": b64("%PDF")},
            {"contentType": "text/plain", "data": "***not base64***"},
            {"contentType": "text/plain", "data": 5},
            {"contentType": "text/plain", "data": "A" * 500_000},
            {
                "contentType": "text/plain; charset=iso-8859-1",
                "data": b64("Lipom i lår", "latin-1"),
            },
            {"contentType": "text/plain; charset=nonsense", "data": b64("Benign")},
            {"contentType": "text/plain", "data": b64("Konklusjon")},  # duplicate of conclusion
        ],
    )
    (fact,) = facts_of(codebook, DiagnosticReport=[rad]).reports
    assert fact.conclusion == "Konklusjon\nLipom i lår\nBenign"


@pytest.mark.parametrize("status", ["entered-in-error", "cancelled"])
def test_reports_status_filter(codebook: CodeBook, status: str) -> None:
    assert facts_of(codebook, DiagnosticReport=[report("r1", status=status)]).reports == ()


def test_report_dates_fall_back_to_issued(codebook: CodeBook) -> None:
    (fact,) = facts_of(
        codebook, DiagnosticReport=[report("r1", issued="2026-03-03T09:00:00Z")]
    ).reports
    assert fact.when == date(2026, 3, 3)


# --- medications -------------------------------------------------------------------------------


def test_medications(codebook: CodeBook) -> None:
    statements = [
        {
            "resourceType": "MedicationStatement",
            "id": "s1",
            "status": "active",
            "medicationCodeableConcept": {"text": "Albyl-E", "coding": [coding(ATC, "B01AC06")]},
            "effectivePeriod": {"start": "2025-01-01"},
        },
        {
            "resourceType": "MedicationStatement",
            "id": "s2",
            "status": "stopped",
            "medicationCodeableConcept": {"coding": [coding(ATC, "M01AE01", "Ibuprofen")]},
            "effectiveDateTime": "2025-06",
        },
        {
            "resourceType": "MedicationStatement",
            "id": "s3",
            "status": "entered-in-error",
            "medicationCodeableConcept": {"text": "Feil"},
        },
    ]
    requests = [
        {
            "resourceType": "MedicationRequest",
            "id": "q1",
            "status": "on-hold",
            "medicationReference": {"reference": "Medication/m1"},
            "authoredOn": "2026-02-01",
        },
        {
            "resourceType": "MedicationRequest",
            "id": "q2",
            "status": "completed",
            "medicationReference": {"reference": "#med"},
            "contained": [
                {
                    "resourceType": "Medication",
                    "id": "med",
                    "code": {"coding": [coding(ATC, "H02AB06", "Prednisolon")]},
                }
            ],
        },
        {
            "resourceType": "MedicationRequest",
            "id": "q3",
            "medicationReference": {
                "reference": "Medication/unknown",
                "display": "Ukjent preparat",
            },
        },
        {
            "resourceType": "MedicationRequest",
            "id": "q4",
            "status": "cancelled",
            "medicationCodeableConcept": {"text": "Aldri startet"},
        },
    ]
    medications = [
        {
            "resourceType": "Medication",
            "id": "m1",
            "code": {"text": "Metformin", "coding": [coding(ATC, "A10BA02")]},
        }
    ]
    facts = facts_of(
        codebook, MedicationStatement=statements, MedicationRequest=requests, Medication=medications
    )
    summary = [(m.ref, m.name, m.codes, m.when, m.active) for m in facts.medications]
    assert summary == [
        (
            "MedicationStatement/s1",
            "Albyl-E",
            frozenset({("atc", "B01AC06")}),
            date(2025, 1, 1),
            True,
        ),
        (
            "MedicationStatement/s2",
            "Ibuprofen",
            frozenset({("atc", "M01AE01")}),
            date(2025, 6, 1),
            False,
        ),
        (
            "MedicationRequest/q1",
            "Metformin",
            frozenset({("atc", "A10BA02")}),
            date(2026, 2, 1),
            True,
        ),
        ("MedicationRequest/q2", "Prednisolon", frozenset({("atc", "H02AB06")}), None, False),
        ("MedicationRequest/q3", "Ukjent preparat", frozenset(), None, True),
    ]


# --- orders and drafts -------------------------------------------------------------------------


def service_request(sid: str, **extra: Any) -> dict[str, Any]:
    return {
        "resourceType": "ServiceRequest",
        "id": sid,
        "status": "active",
        "intent": "order",
        **extra,
    }


def test_orders_in_the_record(codebook: CodeBook) -> None:
    orders = [
        service_request(
            "sr1",
            category=[{"coding": [coding(SNOMED, "3457005", "Patient referral")]}],
            code={"text": "Pakkeforløp for myelomatose"},
            authoredOn="2026-03-01T10:00:00+01:00",
            note=[{"text": "Hb 9,8"}],
            orderDetail=[{"text": "Haster"}],
            reasonCode=[{"coding": [coding(ICD10, "D64.9", "Anemi")]}],
            reasonReference=[{"reference": "Observation/hb1"}, {"display": "no ref"}, "x"],
        ),
        service_request(
            "sr2",
            status="revoked",
            code={"text": "Henvisning til hematolog"},
            occurrenceDateTime="2026-02",
        ),
        service_request("sr3", status="entered-in-error", code={"text": "Feil"}),
        service_request("sr4", code={"coding": [coding(LOINC, "718-7", "Hemoglobin")]}),
    ]
    procedures = [
        {
            "resourceType": "Procedure",
            "id": "p1",
            "status": "completed",
            "code": {"text": "Biopsi av kul i lår"},
            "performedPeriod": {"start": "2026-01-10"},
        }
    ]
    facts = facts_of(codebook, ServiceRequest=orders, Procedure=procedures)
    by_ref = {o.ref: o for o in facts.orders}
    assert list(by_ref) == [
        "ServiceRequest/sr1",
        "ServiceRequest/sr2",
        "ServiceRequest/sr4",
        "Procedure/p1",
    ]
    sr1 = by_ref["ServiceRequest/sr1"]
    assert sr1.is_referral and sr1.status == "active" and sr1.resource_type == "ServiceRequest"
    assert sr1.when == date(2026, 3, 1)
    assert sr1.labels == (
        "pakkeforløp for myelomatose",
        "patient referral",
        "haster",
        "anemi",
        "hb 9,8",
    )
    assert sr1.reason_codes == frozenset({("icd10", "D649")})
    assert sr1.reason_refs == ("Observation/hb1",)
    sr2 = by_ref["ServiceRequest/sr2"]
    assert sr2.is_referral and sr2.status == "revoked" and sr2.when == date(2026, 2, 1)
    assert not by_ref["ServiceRequest/sr4"].is_referral
    assert by_ref["ServiceRequest/sr4"].codes == frozenset({("loinc", "718-7")})
    p1 = by_ref["Procedure/p1"]
    assert p1.resource_type == "Procedure" and p1.when == date(2026, 1, 10)
    assert p1.labels == ("biopsi av kul i lår",) and not p1.is_referral


def test_draft_orders_and_selections(codebook: CodeBook) -> None:
    draft = service_request(
        "draft1", status="draft", code={"text": "Henvisning til hematologisk poliklinikk"}
    )
    no_id = {"resourceType": "ServiceRequest", "status": "draft", "code": {"text": "CT thorax"}}
    med = {"resourceType": "MedicationRequest", "id": "mr1", "status": "draft"}
    context = {
        "patientId": "p1",
        "draftOrders": {
            "resourceType": "Bundle",
            "entry": [
                {"resource": draft},
                {"resource": no_id},
                {"resource": med},
                {"resource": "x"},
                5,
                {"fullUrl": "urn:uuid:1"},
            ],
        },
        "selections": ["ServiceRequest/draft1", 5, None, " "],
    }
    facts = facts_of(codebook, context=context)
    assert [(d.ref, d.resource_type) for d in facts.draft_orders] == [
        ("ServiceRequest/draft1", "ServiceRequest"),
        ("", "ServiceRequest"),
        ("MedicationRequest/mr1", "MedicationRequest"),
    ]
    assert facts.draft_orders[0].is_referral and facts.draft_orders[0].status == "draft"
    assert facts.draft_resources == {"ServiceRequest/draft1": draft, "MedicationRequest/mr1": med}
    assert facts.draft_resources["ServiceRequest/draft1"] is draft  # raw JSON, for update actions
    assert facts.selections == ("ServiceRequest/draft1",)
    assert facts.orders == ()


@pytest.mark.parametrize(
    "draft_orders", [None, 5, "x", [], {}, {"entry": "x"}, {"resourceType": "Bundle"}]
)
def test_malformed_draft_orders(codebook: CodeBook, draft_orders: object) -> None:
    facts = facts_of(
        codebook,
        context={"patientId": "p1", "draftOrders": draft_orders, "selections": "ServiceRequest/x"},
    )
    assert facts.draft_orders == () and facts.draft_resources == {} and facts.selections == ()


# --- patient -----------------------------------------------------------------------------------


def test_patient(codebook: CodeBook) -> None:
    patient = {
        "resourceType": "Patient",
        "id": "pat-9",
        "gender": "female",
        "birthDate": "1951-03-16",
        "address": [
            {"use": "old", "postalCode": "0001", "city": "Oslo"},
            {
                "use": "home",
                "postalCode": "5003",
                "city": "Bergen",
                "district": "Bergen kommune",
                "state": "Vestland",
            },
        ],
    }
    facts = facts_of(codebook, patient)
    assert facts.patient_ref == "Patient/pat-9"
    assert facts.today == TODAY
    assert facts.sex == "female"
    assert facts.birth_date == date(1951, 3, 16)
    assert facts.age_years == 74  # birthday tomorrow
    assert (facts.postal_code, facts.municipality, facts.county) == (
        "5003",
        "Bergen kommune",
        "Vestland",
    )


def test_patient_address_falls_back_to_city_and_non_old(codebook: CodeBook) -> None:
    patient = {
        "resourceType": "Patient",
        "id": "p",
        "gender": "MALE",
        "address": [{"use": "old", "city": "Oslo"}, {"postalCode": "9008", "city": "Tromsø"}],
    }
    facts = facts_of(codebook, patient)
    assert facts.sex == "male"
    assert (facts.postal_code, facts.municipality, facts.county) == ("9008", "Tromsø", None)


def test_no_patient_uses_context(codebook: CodeBook) -> None:
    facts = facts_of(codebook, None, context={"patientId": "123"})
    assert facts.patient_ref == "Patient/123"
    assert (facts.sex, facts.birth_date, facts.age_years) == ("unknown", None, None)
    assert (
        facts_of(codebook, None, context={"patientId": "Patient/123"}).patient_ref == "Patient/123"
    )
    assert facts_of(codebook, None, context={}).patient_ref == ""


@pytest.mark.parametrize("gender", ["x", 5, None, "ukjent"])
def test_odd_gender_is_unknown(codebook: CodeBook, gender: object) -> None:
    facts = facts_of(codebook, {"resourceType": "Patient", "id": "p", "gender": gender})
    assert facts.sex == "unknown"


# --- malformed input never raises --------------------------------------------------------------

JUNK: list[object] = [None, 5, -1.5, True, "x", "", [], {}, [None, 5, "x"], {"x": {"y": []}}]


def full_record() -> tuple[dict[str, Any], dict[str, list[Any]], dict[str, Any]]:
    """A record touching every field the facts stage reads."""
    patient = {
        "resourceType": "Patient",
        "id": "p1",
        "gender": "female",
        "birthDate": "1950-05-05",
        "address": [{"use": "home", "postalCode": "0150", "district": "Oslo", "state": "Oslo"}],
    }
    obs = observation(
        "o1",
        HB,
        value=9.0,
        unit="g/dL",
        code="g/dL",
        effectivePeriod={"start": "2026-01-01"},
        issued="2026-01-02",
        referenceRange=[
            {
                "low": {"value": 11.7, "unit": "g/dL"},
                "high": {"value": 15.3},
                "appliesTo": [{"text": "kvinner"}],
                "age": {"low": {"value": 18}},
            }
        ],
        interpretation=[{"coding": [{"code": "L"}], "text": "Lav"}],
        note=[{"text": "Se kommentar"}],
        valueString="x",
        bodySite={"text": "Lår", "coding": [coding(SNOMED, "68367000", "Thigh")]},
        method={"text": "Ultralyd"},
        component=[
            {
                "code": {"coding": [coding(LOINC, "33728-7")]},
                "valueQuantity": {"value": 5, "unit": "cm", "comparator": ">"},
            }
        ],
    )
    resources: dict[str, list[Any]] = {
        "Observation": [obs],
        "Condition": [
            condition(
                "c1",
                "C90.0",
                onsetPeriod={"start": "2026"},
                clinicalStatus={"coding": [{"code": "active"}], "text": "Aktiv"},
                verificationStatus={"coding": [{"code": "confirmed"}]},
                bodySite=[{"text": "Lår"}],
                note=[{"text": "dyp"}],
            )
        ],
        "Encounter": [
            {
                "resourceType": "Encounter",
                "id": "e1",
                "status": "finished",
                "class": {"code": "AMB"},
                "period": {"start": "2026-01-01"},
            }
        ],
        "DiagnosticReport": [
            report(
                "r1",
                category=[{"coding": [coding(V2_0074, "RAD")], "text": "Radiologi"}],
                code={"text": "MR", "coding": [coding(LOINC, "18748-4")]},
                effectivePeriod={"start": "2026-01-01"},
                conclusion="Suspekt",
                conclusionCode=[{"coding": [coding(SNOMED, "1")]}],
                presentedForm=[{"contentType": "text/plain", "data": b64("tekst")}],
            )
        ],
        "MedicationStatement": [
            {
                "resourceType": "MedicationStatement",
                "id": "s1",
                "status": "active",
                "medicationReference": {"reference": "Medication/m1", "display": "X"},
                "effectivePeriod": {"start": "2025"},
                "dateAsserted": "2025",
            }
        ],
        "MedicationRequest": [
            {
                "resourceType": "MedicationRequest",
                "id": "q1",
                "medicationReference": {"reference": "#c"},
                "contained": [{"resourceType": "Medication", "id": "c"}],
                "authoredOn": "2026",
            }
        ],
        "Medication": [{"resourceType": "Medication", "id": "m1", "code": {"text": "Y"}}],
        "ServiceRequest": [
            service_request(
                "sr1",
                category=[{"coding": [coding(SNOMED, "3457005")]}],
                code={"text": "Henvisning"},
                authoredOn="2026",
                occurrencePeriod={"start": "2026"},
                note=[{"text": "n"}],
                orderDetail=[{"text": "d"}],
                reasonCode=[{"text": "r"}],
                reasonReference=[{"reference": "Observation/o1"}],
            )
        ],
        "Procedure": [
            {
                "resourceType": "Procedure",
                "id": "pr1",
                "status": "completed",
                "code": {"text": "Biopsi"},
                "performedDateTime": "2026",
            }
        ],
    }
    context = {
        "patientId": "p1",
        "userId": "u",
        "draftOrders": {"resourceType": "Bundle", "entry": [{"resource": service_request("d1")}]},
        "selections": ["ServiceRequest/d1"],
    }
    return patient, resources, context


def paths(value: object, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every key/index path inside a JSON value."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield (*prefix, key)
            yield from paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield (*prefix, index)
            yield from paths(item, (*prefix, index))


def replaced(root: Any, path: tuple[Any, ...], junk: object) -> Any:
    clone = copy.deepcopy(root)
    target = clone
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = junk
    return clone


def test_full_record_is_read(codebook: CodeBook) -> None:
    patient, resources, context = full_record()
    record = Record(patient=patient, resources=resources)
    facts = extract_facts(record, codebook, today=TODAY, context=context)
    assert facts.labs["hemoglobin"][0].ref_low == Quantity(11.7, "g/dL")
    assert facts.labs["hemoglobin"][0].ref_high == Quantity(15.3, "g/dL")
    assert facts.labs["tumour_size"][0].value == Quantity(5.0, "cm")
    assert len(facts.conditions) == len(facts.reports) == len(facts.orders) - 1 == 1
    assert len(facts.medications) == 2 and len(facts.draft_orders) == 1
    assert facts.labs["hemoglobin"][0].site == "lår\nthigh\nultralyd\nse kommentar"
    assert facts.conditions[0].site == "lår\ndyp"
    assert [(e.ref, e.when, e.klass) for e in facts.encounters] == [
        ("Encounter/e1", date(2026, 1, 1), "AMB")
    ]


def test_every_field_replaced_by_junk_never_raises(codebook: CodeBook) -> None:
    patient, resources, context = full_record()
    root = {"patient": patient, "resources": resources, "context": context}
    count = 0
    for path in paths(root):
        for junk in JUNK:
            mutated = replaced(root, path, junk)
            record = Record(patient=mutated["patient"], resources=mutated["resources"])
            context_value = mutated["context"]
            facts = extract_facts(
                record,
                codebook,
                today=TODAY,
                context=context_value if isinstance(context_value, dict) else {},
            )
            assert isinstance(facts, PatientFacts)
            count += 1
    assert count > 1000


@pytest.mark.parametrize(
    "resources",
    [
        {},
        {"Observation": None},
        {"Observation": "x"},
        {"Observation": [None, 5, "x", [], {}]},
        {"Observation": {"resourceType": "Observation"}},
        {"Observation": [{"resourceType": "Condition", "code": {"coding": HB}}]},
        {
            "Condition": [{}],
            "DiagnosticReport": [{}],
            "MedicationStatement": [{}],
            "MedicationRequest": [{}],
            "ServiceRequest": [{}],
            "Procedure": [{}],
        },
    ],
)
def test_malformed_resource_lists(codebook: CodeBook, resources: dict[str, Any]) -> None:
    facts = facts_of(codebook, **resources)
    assert facts.labs == {}


def test_junk_patient_and_context(codebook: CodeBook) -> None:
    record = Record(patient="x", resources="x")  # type: ignore[arg-type]
    facts = extract_facts(record, codebook, today=TODAY, context="x")  # type: ignore[arg-type]
    assert facts.patient_ref == "" and facts.sex == "unknown" and facts.labs == {}


def test_coded_conclusions_are_read_as_conclusion_text() -> None:
    from cds.facts.reports import extract_reports

    report = {
        "resourceType": "DiagnosticReport",
        "id": "mr-1",
        "status": "final",
        "code": {"text": "MR lår"},
        "effectiveDateTime": "2026-11-10",
        "conclusion": "Tumor i m. vastus lateralis.",
        "conclusionCode": [
            {
                "coding": [
                    {
                        "system": "http://snomed.info/sct",
                        "code": "424413001",
                        "display": "Malignitetssuspekt bløtvevstumor",
                    }
                ]
            }
        ],
    }
    (fact,) = extract_reports([report])
    assert fact.conclusion == "Tumor i m. vastus lateralis.\nMalignitetssuspekt bløtvevstumor"
    assert ("snomed", "424413001") in fact.conclusion_codes


@pytest.mark.parametrize(
    ("field", "dead"),
    [
        ({}, False),
        ({"deceasedBoolean": False}, False),
        ({"deceasedBoolean": True}, True),
        ({"deceasedDateTime": "2026-10-01T12:00:00+02:00"}, True),
        ({"deceasedDateTime": "ukjent"}, False),
    ],
)
def test_deceased(field: dict[str, object], dead: bool) -> None:
    from cds.facts.patient import patient_info

    patient = {"resourceType": "Patient", "id": "p1", "birthDate": "1950-01-01", **field}
    assert patient_info(patient, {}, date(2026, 11, 20)).deceased is dead
