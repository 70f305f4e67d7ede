"""A patient the record says has died (Patient.deceasedBoolean / deceasedDateTime) gets no pathway
suggestion and no safety-net reminder, in every hook and in the practice audit; the explain view
says why. The same records alive give their cards (the silent side of each case is the deceased
one, the firing side the living one)."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from httpx import Response

from cds.bulk.patient import audit_patient
from cds.criteria.registry import Registry

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
TODAY = date(2026, 11, 20)
DEATHS: list[dict[str, Any]] = [
    {"deceasedBoolean": True},
    {"deceasedDateTime": "2026-11-18"},
]


def _request(name: str, death: dict[str, Any] | None = None) -> dict[str, Any]:
    body = json.loads((EXAMPLES / "requests" / f"{name}.json").read_text(encoding="utf-8"))
    if death is not None:
        body = copy.deepcopy(body)
        body["prefetch"]["patient"].update(death)
    return body


# begrunnet, acute, mistanke, the safety net of a referral without an appointment, an order hook
CASES = [
    "myelomatose-begrunnet.patient-view",
    "myelomatose-akutt.patient-view",
    "myelomatose-mistanke.patient-view",
    "sarkom-henvist-ingen-time.patient-view",
    "diagnostisk-begrunnet.order-select",
]


@pytest.mark.parametrize("name", CASES)
@pytest.mark.parametrize("death", DEATHS, ids=["boolean", "datetime"])
def test_no_card_for_a_patient_who_has_died(
    name: str, death: dict[str, Any], hook: Callable[..., Response]
) -> None:
    alive = hook(_request(name)).json()["cards"]
    assert alive, name  # the firing side: the same record, alive
    assert hook(_request(name, death)).json()["cards"] == []


def test_deceased_false_is_alive(hook: Callable[..., Response]) -> None:
    body = _request("myelomatose-begrunnet.patient-view", {"deceasedBoolean": False})
    assert hook(body).json()["cards"]


def test_the_explain_view_says_the_patient_is_registered_dead(client: Any) -> None:
    body = _request("myelomatose-begrunnet.patient-view", DEATHS[0])
    response = client.post("/cds-services/pakkeforlop-patient-view?explain=true", json=body)
    extension = response.json()["extension"]
    pathways = next(v for v in extension.values() if isinstance(v, dict) and "pathways" in v)
    myelom = next(p for p in pathways["pathways"] if p["pathway"] == "myelomatose")
    assert myelom["deceased"] is True and "rule" not in myelom
    # the findings are still shown: only the suggestion is withheld
    assert any(f["status"] == "present" for f in myelom["features"])


def _resources(name: str, death: dict[str, Any] | None) -> list[dict[str, Any]]:
    bundle = json.loads((EXAMPLES / f"{name}.json").read_text(encoding="utf-8"))
    resources = [e["resource"] for e in bundle["entry"] if e["resource"].get("status") != "draft"]
    if death is not None:
        next(r for r in resources if r["resourceType"] == "Patient").update(death)
    return resources


@pytest.mark.parametrize(
    ("name", "outcome"),
    [
        ("myelomatose-begrunnet", "begrunnet_not_referred"),
        ("myelomatose-mistanke", "mistanke_missing_tests"),
        ("sarkom-henvist-ingen-time", "pathway_deadline_overdue"),
    ],
)
def test_the_practice_audit_does_not_list_the_dead(
    name: str, outcome: str, repo_registry: Registry
) -> None:
    ref = "Patient/" + next(
        r["id"] for r in _resources(name, None) if r["resourceType"] == "Patient"
    )
    alive = audit_patient(ref, _resources(name, None), repo_registry, TODAY)
    assert outcome in {row.outcome for row in alive}
    assert audit_patient(ref, _resources(name, DEATHS[0]), repo_registry, TODAY) == []


def test_a_referral_without_criteria_is_still_found_after_the_patient_died(
    repo_registry: Registry,
) -> None:
    """Read as on the day it was written, when the patient was alive."""
    from cds.bulk.synth import patient_resources

    resources = list(patient_resources(0, 0, TODAY, ("referred_without_criteria", "")))
    ref = "Patient/" + next(r["id"] for r in resources if r["resourceType"] == "Patient")
    alive = {row.outcome for row in audit_patient(ref, resources, repo_registry, TODAY)}
    assert "referred_without_criteria" in alive
    next(r for r in resources if r["resourceType"] == "Patient")["deceasedBoolean"] = True
    dead = {row.outcome for row in audit_patient(ref, resources, repo_registry, TODAY)}
    assert dead == {"referred_without_criteria"}
