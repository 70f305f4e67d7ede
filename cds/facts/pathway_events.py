"""What a record says about the course of a pathway: appointments, registration codes, and the
department and links of a contact.

The pathway clock (``cds.evaluate.clock``) needs to know when the patient was first seen at the
receiving department and which pathway events a hospital has already registered. This module
reads, without judging:

* ``Appointment`` → :class:`AppointmentFact` (start date, status, department texts, ``basedOn``).
  Cancelled and entered-in-error appointments never happened and are left out.
* registration codes (family ``pakkeforlop``, cds/criteria/codesystems.py) on an Observation's
  ``code`` (the representation this service proposes: docs/registration.md), an EpisodeOfCare's
  ``type``, an Encounter's ``type`` or a Procedure's ``code`` → :class:`RegistrationFact`.
  Entered-in-error, cancelled and not-done resources are left out; a code is registered on its
  resource's date (effective, period start, performed).
* the department and ``basedOn`` of an Encounter (:func:`department_text`, :func:`based_on`),
  used by ``cds.facts.encounters``.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from cds.criteria.codesystems import SYSTEM_FAMILIES
from cds.facts import fhirjson as fj
from cds.facts.codes import normalise_code
from cds.facts.dates import first_date
from cds.facts.model import AppointmentFact, RegistrationFact

_SKIP_STATUS = frozenset({"entered-in-error", "cancelled", "not-done", "revoked"})
# Where a contact took place: concepts and references whose texts name the department.
_DEPARTMENT_CONCEPTS = ("serviceType", "type", "specialty", "appointmentType", "serviceCategory")
_REGISTRATION_FAMILY = "pakkeforlop"
_REGISTRATION_URIS = frozenset(
    uri for uri, family in SYSTEM_FAMILIES.items() if family == _REGISTRATION_FAMILY
)
# (resource type, the element holding the code, the date elements in order of preference)
_REGISTRATION_CARRIERS: tuple[tuple[str, str], ...] = (
    ("Observation", "code"),
    ("EpisodeOfCare", "type"),
    ("Encounter", "type"),
    ("Procedure", "code"),
)


def relative_reference(value: object) -> str | None:
    """``Type/id`` of a Reference, also when it is absolute (``https://fhir.x/ServiceRequest/1``)
    or versioned (``…/_history/2``); None when it has no reference."""
    ref = fj.reference_of(value)
    if not ref:
        return None
    parts = [p for p in ref.split("/") if p]
    if "_history" in parts:
        parts = parts[: parts.index("_history")]
    return "/".join(parts[-2:]) if len(parts) >= 2 else ref


def based_on(resource: dict[str, Any]) -> tuple[str, ...]:
    """The relative references of ``basedOn`` (and R4 Encounter's ``incomingReferral``)."""
    refs = (
        relative_reference(item)
        for key in ("basedOn", "incomingReferral")
        for item in fj.dicts(resource.get(key))
    )
    return tuple(dict.fromkeys(ref for ref in refs if ref))


def department_text(resource: dict[str, Any]) -> str:
    """Where a contact took place, lower-cased, one text per line: service type, type,
    specialty, the serviceProvider's and locations' displays, participants' displays."""
    texts: list[str] = []
    for key in _DEPARTMENT_CONCEPTS:
        texts.extend(fj.concept_texts(resource.get(key)))
    provider = fj.get_text(resource.get("serviceProvider"), "display")
    if provider:
        texts.append(provider)
    for location in fj.dicts(resource.get("location")):
        display = fj.get_text(location.get("location"), "display")
        if display:
            texts.append(display)
    for participant in fj.dicts(resource.get("participant")):
        display = fj.get_text(participant.get("actor"), "display")
        if display:
            texts.append(display)
    return "\n".join(dict.fromkeys(t.lower() for t in texts))


def extract_appointments(appointments: Iterable[dict[str, Any]]) -> tuple[AppointmentFact, ...]:
    """Every Appointment that was not cancelled or entered in error, in record order."""
    facts: list[AppointmentFact] = []
    for appointment in appointments:
        status = fj.status_of(appointment)
        if status in _SKIP_STATUS:
            continue
        facts.append(
            AppointmentFact(
                ref=fj.ref_of("Appointment", appointment),
                when=first_date(appointment.get("start")),
                status=status,
                department=department_text(appointment),
                based_on=based_on(appointment),
            )
        )
    return tuple(facts)


def _registration_date(resource: dict[str, Any]) -> date | None:
    period = fj.as_dict(resource.get("period")) or {}
    effective = fj.as_dict(resource.get("effectivePeriod")) or {}
    performed = fj.as_dict(resource.get("performedPeriod")) or {}
    return first_date(
        resource.get("effectiveDateTime"),
        effective.get("start"),
        resource.get("performedDateTime"),
        performed.get("start"),
        period.get("start"),
        resource.get("issued"),
    )


def extract_registrations(
    resources: dict[str, list[dict[str, Any]]] | object,
    observations: Iterable[dict[str, Any]] | None = None,
) -> tuple[RegistrationFact, ...]:
    """Every pathway registration code carried by an Observation, EpisodeOfCare, Encounter or
    Procedure, in that order (record order within each type). ``observations``: the ones to
    read instead of all of ``resources``' (the lab stage's Observations that name no analyte:
    a registration never does)."""
    found: list[RegistrationFact] = []
    for resource_type, element in _REGISTRATION_CARRIERS:
        if resource_type == "Observation" and observations is not None:
            carriers: Iterable[dict[str, Any]] = observations
        else:
            carriers = fj.of_type(resources, resource_type)
        for resource in carriers:
            codes = _registration_codes(resource.get(element))
            if not codes or fj.status_of(resource) in _SKIP_STATUS:
                continue
            when = _registration_date(resource)
            ref = fj.ref_of(resource_type, resource)
            found.extend(RegistrationFact(ref=ref, code=code, when=when) for code in codes)
    return tuple(found)


def _registration_codes(concept: object) -> list[str]:
    """The registration-family codes of a CodeableConcept (or list), sorted: a plain loop with
    a set lookup, not ``codes_of`` (most concepts it sees carry none)."""
    found: set[str] = set()
    concepts = concept if isinstance(concept, list) else (concept,)
    for item in concepts:
        codings = item.get("coding") if isinstance(item, dict) else None
        if not isinstance(codings, list):
            continue
        for coding in codings:
            if not isinstance(coding, dict) or coding.get("system") not in _REGISTRATION_URIS:
                continue
            code = fj.text(coding.get("code"))
            if code:
                found.add(normalise_code(_REGISTRATION_FAMILY, code))
    return sorted(found)
