"""The example records (examples/*.json), their request files, and the Bundle -> request builder."""

from __future__ import annotations

import copy
import importlib.util
import json
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from fhir.resources.R4B import get_fhir_model_class

from cds.cdshooks import HookRequest
from cds.record.bundle import BundleError, request_from_bundle
from cds.services import PREFETCH

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
BUNDLES = sorted(EXAMPLES.glob("*.json"))
REQUESTS = sorted((EXAMPLES / "requests").glob("*.json"))
FNR = "urn:oid:2.16.578.1.12.4.1.4.1"
TODAY = date(2026, 11, 20)
REQUIRED_EXAMPLES = {
    "myelomatose-begrunnet", "myelomatose-akutt", "myelomatose-mgus", "myelomatose-mistanke",
    "frisk", "myelomatose-allerede-henvist", "myelomatose-ukjent-enhet",
}


def load(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def resources(bundle: dict[str, Any], kind: str | None = None) -> list[dict[str, Any]]:
    found = [e["resource"] for e in bundle.get("entry", [])]
    return [r for r in found if kind is None or r["resourceType"] == kind]


def make_requests() -> ModuleType:
    spec = importlib.util.spec_from_file_location("make_requests", EXAMPLES / "make_requests.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# --- the records --------------------------------------------------------------------------------


def test_the_required_examples_exist() -> None:
    assert REQUIRED_EXAMPLES <= {p.stem for p in BUNDLES}


@pytest.mark.parametrize("path", BUNDLES, ids=[p.stem for p in BUNDLES])
def test_example_is_a_valid_r4_collection(path: Path) -> None:
    bundle = load(path)
    get_fhir_model_class("Bundle").model_validate(bundle)
    assert bundle["type"] == "collection"
    ids = [f"{r['resourceType']}/{r['id']}" for r in resources(bundle)]
    assert len(ids) == len(set(ids)), "resource ids must be unique"


@pytest.mark.parametrize("path", BUNDLES, ids=[p.stem for p in BUNDLES])
def test_patient_is_fictional_and_complete(path: Path) -> None:
    [patient] = resources(load(path), "Patient")
    [fnr] = [i["value"] for i in patient["identifier"] if i["system"] == FNR]
    # Synthetic numbers (Test-Norge convention) add 80 to the month: no real person has one.
    assert len(fnr) == 11 and fnr.isdigit() and int(fnr[2:4]) > 80
    female = int(fnr[8]) % 2 == 0
    assert patient["gender"] == ("female" if female else "male")
    assert f"{fnr[:2]}{int(fnr[2:4]) - 80:02d}{fnr[4:6]}" == (
        patient["birthDate"][8:10] + patient["birthDate"][5:7] + patient["birthDate"][2:4]
    )
    [address] = patient["address"]
    assert {"postalCode", "city", "district", "state"} <= set(address)
    assert patient["generalPractitioner"]


def _dates(resource: dict[str, Any]) -> list[str]:
    keys = ("effectiveDateTime", "issued", "onsetDateTime", "recordedDate", "authoredOn")
    return [resource[k] for k in keys if k in resource]


@pytest.mark.parametrize("path", BUNDLES, ids=[p.stem for p in BUNDLES])
def test_nothing_is_dated_after_today(path: Path) -> None:
    for resource in resources(load(path)):
        for value in _dates(resource):
            assert date.fromisoformat(value[:10]) <= TODAY, (resource["id"], value)


@pytest.mark.parametrize("path", BUNDLES, ids=[p.stem for p in BUNDLES])
def test_lab_results_are_recent(path: Path) -> None:
    """The newest result of each test is recent; older ones are history (e.g. earlier weights)."""
    labs = [r for r in resources(load(path), "Observation") if "effectiveDateTime" in r]
    assert labs
    newest: dict[str, date] = {}
    for lab in labs:
        code = lab["code"].get("text") or lab["code"]["coding"][0]["code"]
        when = date.fromisoformat(lab["effectiveDateTime"][:10])
        newest[code] = max(when, newest.get(code, when))
    for when in newest.values():
        assert TODAY - when <= timedelta(weeks=6)


def test_the_already_referred_example_was_referred_20_days_ago() -> None:
    bundle = load(EXAMPLES / "myelomatose-allerede-henvist.json")
    [sent] = [r for r in resources(bundle, "ServiceRequest") if r["status"] == "active"]
    assert date.fromisoformat(sent["authoredOn"]) == TODAY - timedelta(days=20)
    assert "Pakkeforløp for myelomatose" in json.dumps(sent, ensure_ascii=False)


# --- request files ------------------------------------------------------------------------------


def test_request_files_are_up_to_date() -> None:
    assert make_requests().main(["--check"]) == 0, "run `make examples`"


@pytest.mark.parametrize("path", REQUESTS, ids=[p.stem for p in REQUESTS])
def test_request_file_is_a_valid_hook_request(path: Path) -> None:
    body = load(path)
    request = HookRequest.model_validate(body)
    assert path.stem.endswith(request.hook)
    assert "fhirServer" not in body
    assert set(body["prefetch"]) == {key.key for key in PREFETCH}


def test_every_example_has_a_patient_view_request() -> None:
    assert {p.stem for p in BUNDLES} == {
        p.name.removesuffix(".patient-view.json") for p in REQUESTS if ".patient-view." in p.name
    }


@pytest.mark.parametrize("path", REQUESTS, ids=[p.stem for p in REQUESTS])
def test_example_request_is_answered_conformantly(
    path: Path, hook: Callable[..., Any]
) -> None:
    response = hook(load(path))
    assert response.status_code == 200, response.text


# --- request_from_bundle ------------------------------------------------------------------------


@pytest.fixture
def begrunnet() -> dict[str, Any]:
    return load(EXAMPLES / "myelomatose-begrunnet.json")


def test_patient_view_prefetch_has_every_key(begrunnet: dict[str, Any]) -> None:
    body = request_from_bundle(begrunnet, hook="patient-view")
    prefetch = body["prefetch"]
    assert prefetch["patient"]["id"] == body["context"]["patientId"] == "myelomatose-begrunnet"
    observations = prefetch["observations"]
    assert observations["type"] == "searchset"
    assert observations["total"] == len(observations["entry"]) == len(
        resources(begrunnet, "Observation")
    )
    assert {e["search"]["mode"] for e in observations["entry"]} == {"match"}
    # Empty searches say so with total 0 and no entry array (no [] in FHIR or CDS Hooks JSON).
    assert prefetch["medicationRequests"] == {
        "resourceType": "Bundle", "type": "searchset", "total": 0
    }


def test_drafts_are_left_out_of_patient_view(begrunnet: dict[str, Any]) -> None:
    body = request_from_bundle(begrunnet, hook="patient-view")
    assert "draftOrders" not in body["context"]
    assert "entry" not in body["prefetch"]["serviceRequests"]


def test_order_select_moves_drafts_to_context(begrunnet: dict[str, Any]) -> None:
    body = request_from_bundle(begrunnet, hook="order-select")
    draft = "ServiceRequest/henvisning-utkast-begrunnet"
    assert body["context"]["selections"] == [draft]
    [entry] = body["context"]["draftOrders"]["entry"]
    assert f"ServiceRequest/{entry['resource']['id']}" == draft
    assert "entry" not in body["prefetch"]["serviceRequests"]


def test_order_sign_has_draft_orders_but_no_selections(begrunnet: dict[str, Any]) -> None:
    body = request_from_bundle(begrunnet, hook="order-sign")
    assert "selections" not in body["context"]  # not a context field of order-sign
    assert len(body["context"]["draftOrders"]["entry"]) == 1


def test_signed_orders_stay_in_the_record() -> None:
    bundle = load(EXAMPLES / "myelomatose-allerede-henvist.json")
    body = request_from_bundle(bundle, hook="order-sign")
    assert "entry" not in body["context"]["draftOrders"]
    [entry] = body["prefetch"]["serviceRequests"]["entry"]
    assert entry["resource"]["status"] == "active"


def test_hook_instance_is_deterministic_per_hook_and_content(begrunnet: dict[str, Any]) -> None:
    first = request_from_bundle(begrunnet, hook="patient-view")["hookInstance"]
    assert first == request_from_bundle(begrunnet, hook="patient-view")["hookInstance"]
    assert first != request_from_bundle(begrunnet, hook="order-sign")["hookInstance"]
    changed = copy.deepcopy(begrunnet)
    changed["entry"].pop()
    assert first != request_from_bundle(changed, hook="patient-view")["hookInstance"]
    given = request_from_bundle(begrunnet, hook="patient-view", hook_instance="abc")
    assert given["hookInstance"] == "abc"


def test_input_is_not_changed(begrunnet: dict[str, Any]) -> None:
    begrunnet["entry"].append(
        {"resource": {"resourceType": "ServiceRequest", "status": "draft", "intent": "order"}}
    )
    before = copy.deepcopy(begrunnet)
    body = request_from_bundle(begrunnet, hook="order-select")
    assert begrunnet == before
    # The id-less draft got a stable id so that selections can point at it.
    assert len(set(body["context"]["selections"])) == 2


def test_medications_ride_along_as_included_entries() -> None:
    bundle = {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [
            {"resource": {"resourceType": "Patient", "id": "p"}},
            {"resource": {"resourceType": "Medication", "id": "m1"}},
            {"resource": {"resourceType": "Medication", "id": "unused"}},
            {"resource": {"resourceType": "MedicationRequest", "id": "r1", "status": "active",
                          "medicationReference": {"reference": "Medication/m1"}}},
        ],
    }
    body = request_from_bundle(bundle, hook="patient-view", user_id="Practitioner/x")
    prefetch = body["prefetch"]
    entries = prefetch["medicationRequests"]["entry"]
    modes = [(e["resource"]["id"], e["search"]["mode"]) for e in entries]
    assert modes == [("r1", "match"), ("m1", "include")]
    assert prefetch["medicationRequests"]["total"] == 1
    assert "entry" not in prefetch["medicationStatements"]


def _patients(*ids: str) -> dict[str, Any]:
    entries = [{"resource": {"resourceType": "Patient", "id": i}} for i in ids]
    return {"resourceType": "Bundle", "entry": entries}


@pytest.mark.parametrize(
    ("bundle", "hook_name", "message"),
    [
        ({"resourceType": "Patient"}, "patient-view", "not a FHIR Bundle"),
        ({"resourceType": "Bundle", "entry": {}}, "patient-view", "must be a list"),
        (_patients("a", "b"), "patient-view", "found 2"),
        (_patients("a"), "medication-prescribe", "unknown hook"),
    ],
    ids=["not-bundle", "entry-not-list", "two-patients", "unknown-hook"],
)
def test_unusable_bundles_are_refused(bundle: Any, hook_name: str, message: str) -> None:
    with pytest.raises(BundleError, match=message):
        request_from_bundle(bundle, hook=hook_name)


# --- feedback examples ----------------------------------------------------------------------------

FEEDBACK = sorted((EXAMPLES / "feedback").glob("*.json"))


@pytest.mark.parametrize("path", FEEDBACK, ids=[p.stem for p in FEEDBACK])
def test_feedback_example_names_a_real_card(
    path: Path, hook: Callable[..., Any], client: Any
) -> None:
    """The feedback bodies refer to the card (and suggestion) the example request produces."""
    example, hook_name = path.name.split(".")[:2]
    response = hook(load(EXAMPLES / "requests" / f"{example}.{hook_name}.json")).json()
    body = load(path)
    cards = {card["uuid"]: card for card in response["cards"]}
    for item in body["feedback"]:
        card = cards[item["card"]]
        suggestions = {s["uuid"] for s in card.get("suggestions", [])}
        assert {s["id"] for s in item.get("acceptedSuggestions", [])} <= suggestions
        if "overrideReason" in item:
            assert item["overrideReason"]["reason"] in card["overrideReasons"]
    stored = client.post(f"/cds-services/pakkeforlop-{hook_name}/feedback", json=body)
    assert stored.status_code == 200, stored.text


def test_prefetch_follows_the_templates_status_and_sort() -> None:
    """Every key follows its template: medication requests newest first (all statuses, so a rise
    in antibiotic use is visible), observations and serviceRequests newest first."""
    bundle = _patients("p")
    bundle["entry"] += [
        {"resource": {"resourceType": "MedicationRequest", "id": "stopped", "status": "stopped",
                      "authoredOn": "2026-03-01"}},
        {"resource": {"resourceType": "MedicationRequest", "id": "active", "status": "active",
                      "authoredOn": "2026-10-01"}},
        {"resource": {"resourceType": "Observation", "id": "old",
                      "effectiveDateTime": "2026-01-02"}},
        {"resource": {"resourceType": "Observation", "id": "undated"}},
        {"resource": {"resourceType": "Observation", "id": "new",
                      "effectivePeriod": {"start": "2026-11-01"}}},
        {"resource": {"resourceType": "ServiceRequest", "id": "a", "status": "active",
                      "authoredOn": "2025-05-05"}},
        {"resource": {"resourceType": "ServiceRequest", "id": "b", "status": "completed",
                      "authoredOn": "2026-05-05"}},
    ]
    prefetch = request_from_bundle(bundle, hook="patient-view")["prefetch"]

    def ids(key: str) -> list[str]:
        return [e["resource"]["id"] for e in prefetch[key].get("entry", [])]

    assert ids("medicationRequests") == ["active", "stopped"]
    assert ids("observations") == ["new", "old", "undated"]
    assert ids("serviceRequests") == ["b", "a"]


def test_encounters_are_prefetched_newest_first() -> None:
    """The encounters template sorts by date: Encounter.period.start."""
    bundle = _patients("p")
    bundle["entry"] += [
        {"resource": {"resourceType": "Encounter", "id": "old", "status": "finished",
                      "period": {"start": "2025-01-02"}}},
        {"resource": {"resourceType": "Encounter", "id": "new", "status": "finished",
                      "period": {"start": "2026-10-01"}}},
    ]
    prefetch = request_from_bundle(bundle, hook="patient-view")["prefetch"]
    assert [e["resource"]["id"] for e in prefetch["encounters"]["entry"]] == ["new", "old"]


# --- earlier operations (optional prefetch key) --------------------------------------------------


def test_earlier_operation_is_prefetched_and_read(hook: Callable[..., Any]) -> None:
    body = request_from_bundle(
        load(EXAMPLES / "sarkom-residiv-etter-lipom.json"), hook="patient-view"
    )
    [entry] = body["prefetch"]["procedures"]["entry"]
    assert entry["resource"]["code"]["text"] == "Eksisjon av lipom"
    [card] = hook(body).json()["cards"]
    assert "Kul der en svulst er operert bort tidligere" in card["detail"]
    assert "eksisjon av lipom 15.03.2022" in card["detail"]


def test_without_procedures_the_recurrence_is_not_assumed(hook: Callable[..., Any]) -> None:
    # The lump alone (3 cm, subcutaneous, thigh) is no sarcoma criterion; without the optional
    # `procedures` key (and no fhirServer to fetch it from) the earlier excision is unknown.
    body = request_from_bundle(
        load(EXAMPLES / "sarkom-residiv-etter-lipom.json"), hook="patient-view"
    )
    del body["prefetch"]["procedures"]
    body.pop("fhirServer", None)
    body.pop("fhirAuthorization", None)
    response = hook(body)
    assert response.status_code == 200
    assert response.json() == {"cards": []}
