"""Builders for the FHIR JSON the facts tests feed to ``extract_facts``."""

from __future__ import annotations

from typing import Any

from cds.facts.model import PatientFacts
from cds.wording import Message, msg, say

NLK = "urn:oid:2.16.578.1.12.4.1.1.7280"
LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
LOCAL = "urn:oid:2.16.578.1.12.4.1.1.8212"


def coding(system: str, code: str, display: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"system": system, "code": code}
    if display is not None:
        out["display"] = display
    return out


def observation(
    oid: str,
    codings: list[dict[str, Any]],
    *,
    value: float | str | None = None,
    unit: str | None = None,
    code: str | None = None,
    when: str | None = "2026-03-01",
    status: str = "final",
    **extra: Any,
) -> dict[str, Any]:
    """An Observation with a valueQuantity (printed ``unit`` and/or UCUM ``code``)."""
    obs: dict[str, Any] = {
        "resourceType": "Observation",
        "id": oid,
        "status": status,
        "code": {"coding": codings},
    }
    if when is not None:
        obs["effectiveDateTime"] = when
    if value is not None:
        quantity: dict[str, Any] = {"value": value}
        if unit is not None:
            quantity["unit"] = unit
        if code is not None:
            quantity["system"] = UCUM
            quantity["code"] = code
        obs["valueQuantity"] = quantity
    obs.update(extra)
    return obs


def worded(problem: Message | None) -> str:
    """A facts-stage reason as a card words it beside the result (the facts stage only names it
    with a phrase id; render words it with ``cds.wording.say``)."""
    return say(msg("value.unused", problem=problem)) if problem is not None else ""


def notes_worded(facts: PatientFacts) -> tuple[str, ...]:
    """The facts' data-quality notes as the cards' «Merk:» lines word them."""
    return tuple(say(note) for note in facts.notes)
