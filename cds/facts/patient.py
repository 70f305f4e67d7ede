"""The Patient resource -> reference, sex, birth date, age and where the patient lives.

Address fields follow record-conventions.md «People and places»: postal code, municipality
(``address.district``, else ``city``) and county (``address.state``) from the home address.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from cds.facts import fhirjson as fj
from cds.facts.dates import age_years, parse_date
from cds.facts.model import Sex

_SEXES: dict[str, Sex] = {
    "female": "female",
    "male": "male",
    "other": "other",
    "unknown": "unknown",
}


@dataclass(frozen=True, slots=True)
class PatientInfo:
    """The Patient-derived fields of ``PatientFacts``."""

    ref: str
    sex: Sex
    birth_date: date | None
    age_years: int | None
    postal_code: str | None
    municipality: str | None
    county: str | None
    # Patient.deceasedBoolean true or a deceasedDateTime: reminders for the living stop.
    deceased: bool = False


def _patient_ref(patient: dict[str, Any] | None, context: Mapping[str, Any]) -> str:
    """``Patient/<id>`` from the resource, else ``context.patientId``; "" when neither has one."""
    pid = fj.text(patient.get("id")) if patient is not None else None
    pid = pid or fj.text(context.get("patientId"))
    if not pid:
        return ""
    return pid if pid.startswith("Patient/") else f"Patient/{pid}"


def _home_address(patient: dict[str, Any]) -> dict[str, Any] | None:
    """The first home address, else the first that is not marked old, else the first."""
    addresses = fj.dicts(patient.get("address"))
    for wanted in ("home", None):
        for address in addresses:
            use = fj.text(address.get("use"))
            if (wanted and use == wanted) or (wanted is None and use != "old"):
                return address
    return addresses[0] if addresses else None


def patient_info(patient: object, context: Mapping[str, Any], today: date) -> PatientInfo:
    """What we know about the person; every field degrades to unknown/None."""
    resource = fj.as_dict(patient)
    if resource is not None and resource.get("resourceType") not in (None, "Patient"):
        resource = None
    ref = _patient_ref(resource, context)
    if resource is None:
        return PatientInfo(ref, "unknown", None, None, None, None, None)
    gender = fj.text(resource.get("gender"))
    birth = parse_date(resource.get("birthDate"))
    address = _home_address(resource) or {}
    return PatientInfo(
        ref=ref,
        sex=_SEXES.get(gender.lower(), "unknown") if gender else "unknown",
        birth_date=birth,
        age_years=age_years(birth, today),
        postal_code=fj.text(address.get("postalCode")),
        municipality=fj.text(address.get("district")) or fj.text(address.get("city")),
        county=fj.text(address.get("state")),
        deceased=resource.get("deceasedBoolean") is True
        or parse_date(resource.get("deceasedDateTime")) is not None,
    )
