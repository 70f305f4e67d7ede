"""Facts for the pathway clock (cds.facts.pathway_events): registration codes wherever they are
carried, appointments, and an Encounter's department and basedOn."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from cds.criteria.codesystems import PATHWAY_CODE_SYSTEM
from cds.criteria.loader import load_registry
from cds.facts.extract import extract_facts
from cds.facts.pathway_events import extract_appointments, relative_reference
from cds.record.model import Record

REGISTRY = load_registry(Path(__file__).resolve().parents[2] / "criteria")
TODAY = date(2026, 11, 20)


def _record(*resources: dict[str, Any]) -> Record:
    by_type: dict[str, list[dict[str, Any]]] = {}
    for r in resources:
        by_type.setdefault(r["resourceType"], []).append(r)
    patient = {"resourceType": "Patient", "id": "p", "gender": "female"}
    return Record(patient=patient, resources=by_type)


def _registration(rid: str, code: str, when: str, **kw: Any) -> dict[str, Any]:
    return {
        "resourceType": "Observation",
        "id": rid,
        "status": kw.get("status", "final"),
        "code": {"coding": [{"system": PATHWAY_CODE_SYSTEM, "code": code}]},
        "effectiveDateTime": when,
    }


def test_registrations_are_read_beside_lab_results() -> None:
    hb = {
        "resourceType": "Observation",
        "id": "hb",
        "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": "718-7"}]},
        "valueQuantity": {"value": 12.0, "unit": "g/dL"},
        "effectiveDateTime": "2026-11-01",
    }
    encounter = {
        "resourceType": "Encounter",
        "id": "e",
        "status": "finished",
        "type": [{"coding": [{"system": PATHWAY_CODE_SYSTEM, "code": "a36s"}]}],
        "period": {"start": "2026-10-27T09:00:00+01:00"},
        "serviceType": {"text": "Ortopedisk poliklinikk"},
        "basedOn": [{"reference": "https://fhir.example/ServiceRequest/r1/_history/2"}],
    }
    record = _record(
        hb,
        _registration("a", "A36A", "2026-10-21"),
        _registration("x", "A36X", "2026-11-02", status="entered-in-error"),
        encounter,
    )
    facts = extract_facts(record, REGISTRY.codebook, today=TODAY, context={})
    assert [(r.ref, r.code, r.when) for r in facts.registrations] == [
        ("Observation/a", "A36A", date(2026, 10, 21)),
        ("Encounter/e", "A36S", date(2026, 10, 27)),
    ]
    assert facts.labs  # the Hb is still a lab result
    (enc,) = facts.encounters
    assert enc.based_on == ("ServiceRequest/r1",)
    assert "ortopedisk poliklinikk" in enc.department


def test_appointments_keep_status_and_link_and_drop_cancelled() -> None:
    apps = extract_appointments(
        [
            {
                "resourceType": "Appointment",
                "id": "a1",
                "status": "booked",
                "start": "2026-11-25T08:00:00+01:00",
                "basedOn": [{"reference": "ServiceRequest/r1"}],
                "serviceType": [{"text": "Sarkomsenteret"}],
            },
            {
                "resourceType": "Appointment",
                "id": "a2",
                "status": "cancelled",
                "start": "2026-11-24T08:00:00+01:00",
            },
        ]
    )
    assert [(a.ref, a.status, a.when, a.based_on) for a in apps] == [
        ("Appointment/a1", "booked", date(2026, 11, 25), ("ServiceRequest/r1",))
    ]
    assert apps[0].department == "sarkomsenteret"


def test_relative_reference_forms() -> None:
    assert relative_reference({"reference": "ServiceRequest/1"}) == "ServiceRequest/1"
    assert (
        relative_reference({"reference": "https://x/fhir/ServiceRequest/1"}) == "ServiceRequest/1"
    )
    assert relative_reference({"display": "no reference"}) is None
