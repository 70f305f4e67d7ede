"""Example records as templates for :mod:`cds.bulk.synth`: re-id, date shift, export filter.

A template is one of ``examples/*.json`` (a patient's record as a FHIR ``Bundle``). For each
synthetic patient it is copied with every resource given a new pseudonymous id and every
reference rewritten to it, every date and dateTime moved by the same number of days, and the
Patient given a new name and fødselsnummer; what a bulk export does not hold is dropped (draft
orders: unsigned, they are not on the EHR's FHIR server; Practitioner and Organization: not
resource types of this export).
"""

from __future__ import annotations

import copy
import json
import random
import re
from collections.abc import Iterator
from datetime import date, timedelta
from functools import cache
from pathlib import Path
from typing import Any

from cds.bulk.people import person_fields

EXAMPLES_DIR = Path(__file__).resolve().parents[2] / "examples"
# The day every example is written for (examples/README.md).
TEMPLATE_TODAY = date(2026, 11, 20)

EXPORT_TYPES = (
    "Patient",
    "Condition",
    "Observation",
    "DiagnosticReport",
    "ServiceRequest",
    "Procedure",
    "Encounter",
    "MedicationStatement",
    "Appointment",
)

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_DATETIME = re.compile(
    r"(\d{4}-\d{2}-\d{2})(T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2})?)"
)
_REFERENCE = re.compile(r"(?:.*/)?([A-Za-z]+)/([A-Za-z0-9\-.]{1,64})")


@cache
def _load(name: str, folder: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((folder / f"{name}.json").read_text(encoding="utf-8"))
    return data


def shift_date(value: str, days: int) -> str:
    """``value`` moved by ``days`` if it is a FHIR date or dateTime; any other string unchanged."""
    if _DATE.fullmatch(value):
        return (date.fromisoformat(value) + timedelta(days=days)).isoformat()
    match = _DATETIME.fullmatch(value)
    if match is None:
        return value
    day = date.fromisoformat(match.group(1)) + timedelta(days=days)
    return day.isoformat() + match.group(2)


def _rewrite(node: Any, ids: dict[str, str], days: int) -> Any:
    """A copy of ``node`` with references re-pointed (``ids``: old ``Type/id`` -> new) and
    dates shifted. Free text is never touched: a date in a note stays as the GP wrote it."""
    if isinstance(node, dict):
        out: dict[str, Any] = {}
        for key, value in node.items():
            if key == "reference" and isinstance(value, str):
                match = _REFERENCE.fullmatch(value)
                local = f"{match.group(1)}/{match.group(2)}" if match else value
                out[key] = ids.get(local, value)
            elif key in ("text", "div", "display", "conclusion", "valueString"):
                out[key] = copy.deepcopy(value)
            else:
                out[key] = _rewrite(value, ids, days)
        return out
    if isinstance(node, list):
        return [_rewrite(item, ids, days) for item in node]
    if isinstance(node, str):
        return shift_date(node, days)
    return node


def template_resources(
    name: str,
    patient_id: str,
    days: int,
    rng: random.Random,
    *,
    folder: Path = EXAMPLES_DIR,
) -> Iterator[dict[str, Any]]:
    """The exported resources of template ``name`` for ``patient_id``, dates moved by ``days``.

    Resource ids become ``<patient_id>-NN`` in the template's order; references to resources the
    export drops (the GP, the practice) are kept as they are, as an EHR's export would.
    """
    bundle = _load(name, folder)
    kept = [
        entry["resource"]
        for entry in bundle.get("entry", [])
        if entry["resource"]["resourceType"] in EXPORT_TYPES
        and not (
            entry["resource"]["resourceType"] == "ServiceRequest"
            and entry["resource"].get("status") == "draft"
        )
    ]
    ids: dict[str, str] = {}
    for number, resource in enumerate(kept):
        new = patient_id if resource["resourceType"] == "Patient" else f"{patient_id}-{number:02d}"
        ids[f"{resource['resourceType']}/{resource['id']}"] = f"{resource['resourceType']}/{new}"
    for resource in kept:
        out: dict[str, Any] = _rewrite(resource, ids, days)
        out["id"] = ids[f"{resource['resourceType']}/{resource['id']}"].split("/", 1)[1]
        if out["resourceType"] == "Patient":
            born = date.fromisoformat(out["birthDate"])
            out.update(person_fields(born, out.get("gender", "unknown"), rng))
        yield out
