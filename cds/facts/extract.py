"""The facts stage entry point: ``Record`` (raw FHIR JSON) + code book -> ``PatientFacts``.

This is the only place the service walks incoming FHIR JSON (docs/architecture.md). It never
validates with ``fhir.resources`` and never raises on a bad shape: unusable parts are skipped,
and values we refuse to interpret (unknown units, non-numbers) are noted in Norwegian in
``PatientFacts.notes``. Per resource type the work lives in ``labs``, ``clinical``, ``reports``,
``orders``, ``encounters`` and ``patient``; this module wires them.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from datetime import date
from typing import Any

from cds.criteria.codebook import CodeBook
from cds.facts import fhirjson as fj
from cds.facts.analyte_index import AnalyteIndex
from cds.facts.clinical import MedicationResolver, extract_conditions, extract_medications
from cds.facts.encounters import extract_encounters
from cds.facts.labs import extract_labs
from cds.facts.model import PatientFacts
from cds.facts.orders import extract_drafts, extract_orders
from cds.facts.pathway_events import extract_appointments, extract_registrations
from cds.facts.patient import patient_info
from cds.facts.reports import extract_reports
from cds.record.model import Record
from cds.wording.message import Message

# The code book is loaded once at start-up; building its analyte index per request would cost
# more than indexing the labs. Keyed by identity (CodeBook holds dicts, so it is not hashable);
# the cached entry keeps the code book alive, so an id cannot be reused while cached.
_index_lock = threading.Lock()
_index_cache: tuple[CodeBook, AnalyteIndex] | None = None


def analyte_index(codebook: CodeBook) -> AnalyteIndex:
    """The (cached) analyte index for a code book."""
    global _index_cache
    cached = _index_cache
    if cached is not None and cached[0] is codebook:
        return cached[1]
    index = AnalyteIndex(codebook)
    with _index_lock:
        _index_cache = (codebook, index)
    return index


def extract_facts(
    record: Record,
    codebook: CodeBook,
    *,
    today: date,
    context: Mapping[str, Any],
    horizons: Mapping[str, int] | None = None,
) -> PatientFacts:
    """Everything the evaluators may know about the patient, from the record and hook context.

    ``horizons`` (``Registry.lab_horizons``): per analyte, how many days back results are read in
    full (``cds.facts.labs``); None reads them all.
    """
    ctx: Mapping[str, Any] = context if isinstance(context, Mapping) else {}
    resources = record.resources
    person = patient_info(record.patient, ctx, today)
    notes: list[Message] = []
    unmatched: list[dict[str, Any]] = []  # Observations of no analyte: registrations are there
    labs = extract_labs(
        fj.of_type(resources, "Observation"),
        codebook,
        analyte_index(codebook),
        sex=person.sex,
        age=person.age_years,
        notes=notes,
        today=today,
        horizons=horizons,
        unmatched=unmatched,
    )
    drafts, draft_resources, selections = extract_drafts(ctx, codebook)
    return PatientFacts(
        patient_ref=person.ref,
        today=today,
        sex=person.sex,
        birth_date=person.birth_date,
        age_years=person.age_years,
        deceased=person.deceased,
        labs=labs,
        conditions=extract_conditions(fj.of_type(resources, "Condition")),
        reports=extract_reports(fj.of_type(resources, "DiagnosticReport")),
        medications=extract_medications(
            fj.of_type(resources, "MedicationStatement"),
            fj.of_type(resources, "MedicationRequest"),
            MedicationResolver(fj.of_type(resources, "Medication")),
        ),
        orders=extract_orders(
            fj.of_type(resources, "ServiceRequest"), fj.of_type(resources, "Procedure")
        ),
        encounters=extract_encounters(fj.of_type(resources, "Encounter")),
        appointments=extract_appointments(fj.of_type(resources, "Appointment")),
        registrations=extract_registrations(resources, unmatched),
        draft_orders=drafts,
        selections=selections,
        draft_resources=draft_resources,
        postal_code=person.postal_code,
        municipality=person.municipality,
        county=person.county,
        notes=tuple(dict.fromkeys(notes)),
        unavailable=tuple(record.missing),
    )
