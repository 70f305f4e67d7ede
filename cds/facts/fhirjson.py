"""Defensive readers for parsed FHIR JSON (plain dicts and lists, never ``fhir.resources``).

Incoming records are only parsed, never validated (docs/architecture.md «Speed»), so any field
may be missing or of the wrong type. Every helper here accepts ``object`` and returns a safe,
typed value instead of raising; callers then skip what is unusable.
"""

from __future__ import annotations

from typing import Any


def as_dict(value: object) -> dict[str, Any] | None:
    """``value`` when it is a JSON object, else None."""
    return value if isinstance(value, dict) else None


def dicts(value: object) -> list[dict[str, Any]]:
    """The JSON objects in a list field.

    A lone object where a list is expected is taken as a one-item list: senders that get the
    cardinality wrong still mean the item, and reading it cannot mislead.
    """
    if value is None:  # the usual case for optional fields; checked first on the hot path
        return []
    if isinstance(value, dict):
        return [value]
    if isinstance(value, list):
        return [item for item in value if isinstance(item, dict)]
    return []


def text(value: object) -> str | None:
    """A stripped, non-empty string, else None."""
    if isinstance(value, str):
        stripped = value.strip()
        return stripped or None
    return None


def get_text(obj: object, key: str) -> str | None:
    """``obj[key]`` as a stripped non-empty string, when ``obj`` is an object."""
    return text(obj.get(key)) if isinstance(obj, dict) else None


def concept_texts(concept: object) -> list[str]:
    """Human texts of a CodeableConcept (or a list of them): ``text`` first, then displays.

    Duplicates are dropped (many senders repeat the display as text), order is kept.
    """
    found: list[str] = []
    for item in dicts(concept):
        candidates = [item.get("text")]
        candidates.extend(coding.get("display") for coding in dicts(item.get("coding")))
        for candidate in candidates:
            value = text(candidate)
            if value and value not in found:
                found.append(value)
    return found


def concept_title(concept: object) -> str:
    """``text`` or the first display of a CodeableConcept, or ""."""
    # The first item concept_texts() would give, without building the list: called for every
    # lab result of a record, so the helpers are inlined.
    if isinstance(concept, dict):
        concept = [concept]
    elif not isinstance(concept, list):
        return ""
    for item in concept:
        if not isinstance(item, dict):
            continue
        value = item.get("text")
        if isinstance(value, str) and (value := value.strip()):
            return value
        codings = item.get("coding")
        if isinstance(codings, dict):
            codings = [codings]
        elif not isinstance(codings, list):
            continue
        for coding in codings:
            if isinstance(coding, dict):
                value = coding.get("display")
                if isinstance(value, str) and (value := value.strip()):
                    return value
    return ""


def raw_codes(concept: object) -> set[str]:
    """Every coding code of a CodeableConcept, lower-cased, whatever its system.

    Used for status-like concepts (clinicalStatus, verificationStatus) whose codes are the
    same words under several systems and versions.
    """
    found: set[str] = set()
    for item in dicts(concept):
        for coding in dicts(item.get("coding")):
            code = text(coding.get("code"))
            if code:
                found.add(code.lower())
    return found


def status_of(resource: dict[str, Any], key: str = "status") -> str:
    """A resource's status code, lower-cased ("" when absent or malformed)."""
    value = text(resource.get(key))
    return value.lower() if value else ""


def ref_of(resource_type: str, resource: dict[str, Any]) -> str:
    """Relative reference ``Type/id``, or "" when the resource has no usable id.

    We never invent an id: a made-up reference would end up in a ``reasonReference``.
    """
    rid = text(resource.get("id"))
    return f"{resource_type}/{rid}" if rid else ""


def note_texts(resource: dict[str, Any]) -> list[str]:
    """The texts of ``note[]`` (Annotation)."""
    found: list[str] = []
    for note in dicts(resource.get("note")):
        value = text(note.get("text"))
        if value:
            found.append(value)
    return found


def reference_of(value: object) -> str | None:
    """``Reference.reference`` as a string, else None."""
    return get_text(value, "reference")


def of_type(resources: object, resource_type: str) -> list[dict[str, Any]]:
    """Resources of one type in ``Record.resources``, minus items filed under the wrong type."""
    if not isinstance(resources, dict):
        return []
    found: list[dict[str, Any]] = []
    for item in dicts(resources.get(resource_type)):
        declared = item.get("resourceType")
        if declared is None or declared == resource_type:
            found.append(item)
    return found
