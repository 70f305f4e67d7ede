"""Site text of results and conditions, Encounters, and the dates medication counts rely on."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from facts_fhir import LOINC, coding, observation

from cds.criteria.codebook import CodeBook
from cds.facts.extract import extract_facts
from cds.facts.model import PatientFacts, Quantity
from cds.record.model import Record

TODAY = date(2026, 3, 15)
SNOMED = "http://snomed.info/sct"
ICD10 = "http://hl7.org/fhir/sid/icd-10-no"
ATC = "http://www.whocc.no/atc"
TUMOUR = [coding(LOINC, "21889-1", "Size Tumor")]


def facts_of(codebook: CodeBook, **resources: list[Any]) -> PatientFacts:
    record = Record(patient=None, resources=dict(resources))
    return extract_facts(record, codebook, today=TODAY, context={"patientId": "p1"})


# --- site -----------------------------------------------------------------------------------------


def test_observation_site_joins_body_site_method_and_notes(codebook: CodeBook) -> None:
    obs = observation(
        "t1",
        TUMOUR,
        value=6.2,
        unit="cm",
        bodySite={
            "text": "Venstre lår, dyp",
            "coding": [coding(SNOMED, "61396006", "Left thigh"), coding(SNOMED, "x")],
        },
        method={"text": "MR", "coding": [coding(SNOMED, "113091000", "MR")]},
        note=[{"text": "Under fascien"}, {"text": "Under fascien"}],
    )
    [result] = facts_of(codebook, Observation=[obs]).labs["tumour_size"]
    assert result.site == "venstre lår, dyp\nleft thigh\nmr\nunder fascien"


def test_procedure_site_and_date_for_earlier_operations(codebook: CodeBook) -> None:
    procedure = {
        "resourceType": "Procedure",
        "id": "op1",
        "status": "completed",
        "code": {"coding": [coding(SNOMED, "65801008", "Excision")], "text": "Eksisjon av lipom"},
        "bodySite": [
            {"text": "Venstre lår"},
            {"coding": [coding(SNOMED, "61396006", "Left thigh")]},
        ],
        "performedPeriod": {
            "start": "2022-03-15T10:00:00+01:00",
            "end": "2022-03-15T11:00:00+01:00",
        },
        "note": [{"text": "Lipom 6 cm, fjernet i sin helhet"}],
    }
    [fact] = facts_of(codebook, Procedure=[procedure]).orders
    assert (fact.ref, fact.resource_type, fact.status) == (
        "Procedure/op1",
        "Procedure",
        "completed",
    )
    assert fact.when == date(2022, 3, 15)
    assert fact.site == "venstre lår\nleft thigh\nlipom 6 cm, fjernet i sin helhet"
    assert fact.labels[0] == "eksisjon av lipom"


def test_order_without_body_site_has_an_empty_site(codebook: CodeBook) -> None:
    procedure = {"resourceType": "Procedure", "id": "op2", "status": "completed"}
    [fact] = facts_of(codebook, Procedure=[procedure]).orders
    assert fact.site == ""


def test_component_results_share_the_observation_site(codebook: CodeBook) -> None:
    obs = observation(
        "t2",
        TUMOUR,
        bodySite={"text": "Subkutan, rygg"},
        component=[
            {
                "code": {"coding": [coding(LOINC, "33728-7")]},
                "valueQuantity": {"value": 45, "unit": "mm"},
            }
        ],
    )
    [result] = facts_of(codebook, Observation=[obs]).labs["tumour_size"]
    assert result.value == Quantity(4.5, "cm")
    assert result.site == "subkutan, rygg"


def test_observation_without_site_has_empty_site(codebook: CodeBook) -> None:
    obs = observation("t3", TUMOUR, value=3, unit="cm")
    assert facts_of(codebook, Observation=[obs]).labs["tumour_size"][0].site == ""


def test_condition_site_from_body_site_and_note_not_method(codebook: CodeBook) -> None:
    condition = {
        "resourceType": "Condition",
        "id": "c1",
        "code": {"coding": [coding(ICD10, "R22.4", "Kul i underekstremitet")]},
        "bodySite": [{"coding": [coding(SNOMED, "68367000", "Lår")]}],
        "method": {"text": "ignored"},
        "note": [{"text": "Fast, dyp kul"}],
    }
    [fact] = facts_of(codebook, Condition=[condition]).conditions
    assert fact.site == "lår\nfast, dyp kul"
    assert fact.note == "Fast, dyp kul"  # the GP's words as written, for clinical_notes sources


def test_condition_notes_are_kept_as_written_one_per_line(codebook: CodeBook) -> None:
    condition = {
        "resourceType": "Condition",
        "id": "c1",
        "code": {"coding": [coding("http://hl7.org/fhir/sid/icpc-2", "L02", "Ryggsymptomer")]},
        "note": [{"text": "Kraftsvikt i bena."}, {"text": "Ridebukseanestesi?"}, {"x": 1}],
    }
    [fact] = facts_of(codebook, Condition=[condition]).conditions
    assert fact.note == "Kraftsvikt i bena.\nRidebukseanestesi?"


# --- encounters -----------------------------------------------------------------------------------


def encounter(eid: str, status: str = "finished", **extra: Any) -> dict[str, Any]:
    return {"resourceType": "Encounter", "id": eid, "status": status, **extra}


def test_encounters_newest_first_undated_last(codebook: CodeBook) -> None:
    encounters = [
        encounter(
            "old", period={"start": "2025-05-01T10:00:00+02:00"}, **{"class": {"code": "amb"}}
        ),
        encounter("undated", **{"class": {"code": "VR"}}),
        encounter("new", period={"start": "2026-03-01"}),
        encounter(
            "r5",
            actualPeriod={"start": "2026-01-10"},
            **{"class": [{"coding": [{"code": "HH"}]}]},
        ),
        encounter("same-day-later", period={"start": "2026-03-01T15:00"}),
    ]
    found = facts_of(codebook, Encounter=encounters).encounters
    assert [(e.ref, e.when, e.klass) for e in found] == [
        ("Encounter/same-day-later", date(2026, 3, 1), ""),
        ("Encounter/new", date(2026, 3, 1), ""),
        ("Encounter/r5", date(2026, 1, 10), "HH"),
        ("Encounter/old", date(2025, 5, 1), "AMB"),
        ("Encounter/undated", None, "VR"),
    ]


def test_encounter_reason_texts_are_kept(codebook: CodeBook) -> None:
    reason = [{"text": "Ryggsmerter, urinretensjon"}, {"coding": [{"display": "Ryggsmerter"}]}]
    [found] = facts_of(codebook, Encounter=[encounter("e", reasonCode=reason)]).encounters
    assert found.reason == "Ryggsmerter, urinretensjon\nRyggsmerter"
    [bare] = facts_of(codebook, Encounter=[encounter("e", reasonCode="junk")]).encounters
    assert bare.reason == ""


@pytest.mark.parametrize("status", ["cancelled", "entered-in-error"])
def test_cancelled_and_erroneous_encounters_are_left_out(codebook: CodeBook, status: str) -> None:
    found = facts_of(codebook, Encounter=[encounter("e", status, period={"start": "2026-01-01"})])
    assert found.encounters == ()


@pytest.mark.parametrize("status", ["planned", "in-progress", "arrived", ""])
def test_other_encounter_statuses_are_kept(codebook: CodeBook, status: str) -> None:
    [found] = facts_of(codebook, Encounter=[encounter("e", status)]).encounters
    assert found.status == status


@pytest.mark.parametrize(
    "junk",
    [None, 5, "x", [], {"start": 5}, {"start": "not a date"}],
)
def test_junk_encounter_fields_never_raise(codebook: CodeBook, junk: object) -> None:
    bad = encounter("e", period=junk, actualPeriod=junk, **{"class": junk, "status": junk})
    [found] = facts_of(codebook, Encounter=[bad, "x", None]).encounters  # type: ignore[list-item]
    assert (found.ref, found.when, found.klass) == ("Encounter/e", None, "")


# --- medication dates -----------------------------------------------------------------------------


def test_medication_statement_period_end_is_the_course_end(codebook: CodeBook) -> None:
    # The follow-up plan counts from the end of initial treatment (cds/evaluate/followup.py).
    statement = {
        "resourceType": "MedicationStatement",
        "id": "kjemo",
        "status": "completed",
        "medicationCodeableConcept": {"coding": [coding(ATC, "L01DB01", "Doksorubicin")]},
        "effectivePeriod": {"start": "2026-01-10", "end": "2026-05-02T12:00:00+02:00"},
    }
    open_ended = {**statement, "id": "pagar", "effectivePeriod": {"start": "2026-01-10"}}
    found = facts_of(codebook, MedicationStatement=[statement, open_ended]).medications
    assert [(m.when, m.end) for m in found] == [
        (date(2026, 1, 10), date(2026, 5, 2)),
        (date(2026, 1, 10), None),
    ]


def test_medication_statement_falls_back_to_date_asserted(codebook: CodeBook) -> None:
    statements = [
        {
            "resourceType": "MedicationStatement",
            "id": "s1",
            "status": "completed",
            "medicationCodeableConcept": {"coding": [coding(ATC, "N02AA05", "Oksykodon")]},
            "dateAsserted": "2026-02-03T09:00:00+01:00",
        }
    ]
    requests = [
        {
            "resourceType": "MedicationRequest",
            "id": "q1",
            "status": "completed",
            "medicationCodeableConcept": {"coding": [coding(ATC, "N02AA05", "Oksykodon")]},
            "authoredOn": "2026-01-05",
        }
    ]
    found = facts_of(codebook, MedicationStatement=statements, MedicationRequest=requests)
    assert [(m.ref, m.when, m.active) for m in found.medications] == [
        ("MedicationStatement/s1", date(2026, 2, 3), False),
        ("MedicationRequest/q1", date(2026, 1, 5), False),
    ]
