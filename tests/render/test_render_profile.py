"""Our referral profile: a real StructureDefinition, the example conforms, the checker bites."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from fhir.resources.R4B.servicerequest import ServiceRequest
from fhir.resources.R4B.structuredefinition import StructureDefinition

from cds.profile import ProfileError, load_profile, validate_against, validate_profile
from cds.render.format import REFERRAL_PROFILE_URL

PROFILES = Path(__file__).resolve().parents[2] / "fhir_profiles"
EXAMPLE = PROFILES / "examples" / "ServiceRequest-example-myelomatose.json"


@pytest.fixture
def example() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    return data


@pytest.fixture(scope="module")
def profile() -> dict[str, Any]:
    return load_profile()


def test_profile_is_a_valid_structure_definition(profile: dict[str, Any]) -> None:
    StructureDefinition.model_validate(profile)
    assert profile["url"] == REFERRAL_PROFILE_URL
    assert (profile["name"], profile["status"], profile["kind"]) == (
        "PakkeforlopHenvisning",
        "draft",
        "resource",
    )
    assert profile["abstract"] is False
    assert profile["type"] == "ServiceRequest"
    assert profile["baseDefinition"] == "http://hl7.org/fhir/StructureDefinition/ServiceRequest"
    assert profile["derivation"] == "constraint"
    for element in profile["differential"]["element"]:
        assert element["id"] == element["path"]
        assert element["path"].startswith("ServiceRequest")


def test_example_conforms(example: dict[str, Any], profile: dict[str, Any]) -> None:
    ServiceRequest.model_validate(example)
    assert validate_profile(example, profile) == []
    assert example["meta"]["profile"] == [REFERRAL_PROFILE_URL]


@pytest.mark.parametrize(
    "element",
    ["text", "category", "priority", "code", "subject", "authoredOn", "reasonReference", "note"],
)
def test_missing_required_element_is_reported(
    example: dict[str, Any], profile: dict[str, Any], element: str
) -> None:
    del example[element]
    problems = validate_profile(example, profile)
    assert f"ServiceRequest.{element}: minimum 1, found 0" in problems


@pytest.mark.parametrize("element", ["text", "code", "note", "requester"])
def test_the_per_call_check_finds_what_the_full_check_finds(
    example: dict[str, Any], profile: dict[str, Any], element: str
) -> None:
    # render checks each referral with validate_against (rules compiled once, no profile copy)
    assert validate_against(example) == [] == validate_profile(example, profile)
    del example[element]
    assert validate_against(example) == validate_profile(example, profile)
    example["resourceType"] = "Task"
    assert validate_against(example) == validate_profile(example, profile) != []


def test_requester_is_optional(example: dict[str, Any], profile: dict[str, Any]) -> None:
    del example["requester"]
    assert validate_profile(example, profile) == []


def test_nested_cardinality_is_checked(example: dict[str, Any], profile: dict[str, Any]) -> None:
    del example["code"]["text"]
    assert validate_profile(example, profile) == ["ServiceRequest.code.text: minimum 1, found 0"]


def test_empty_list_counts_as_absent(example: dict[str, Any], profile: dict[str, Any]) -> None:
    example["reasonReference"] = []
    assert "ServiceRequest.reasonReference: minimum 1, found 0" in validate_profile(
        example, profile
    )


def test_wrong_fixed_value_is_reported(example: dict[str, Any], profile: dict[str, Any]) -> None:
    example["intent"] = "plan"
    assert validate_profile(example, profile) == [
        'ServiceRequest.intent: must be fixedCode "order"'
    ]


def test_category_must_contain_the_referral_coding(
    example: dict[str, Any], profile: dict[str, Any]
) -> None:
    example["category"] = [{"coding": [{"system": "http://snomed.info/sct", "code": "108252007"}]}]
    (problem,) = validate_profile(example, profile)
    assert problem.startswith("ServiceRequest.category: does not match patternCodeableConcept")
    # Extra codings beside the pattern coding are fine (pattern, not fixed).
    example["category"] = [
        {
            "coding": [
                {"system": "http://ehr.example/k", "code": "H"},
                {
                    "system": "http://snomed.info/sct",
                    "code": "3457005",
                    "display": "Patient referral",
                },
            ]
        }
    ]
    assert validate_profile(example, profile) == []


def test_code_must_carry_the_pathway_code_system(
    example: dict[str, Any], profile: dict[str, Any]
) -> None:
    example["code"]["coding"] = [{"system": "http://ehr.example/henvisningstype", "code": "HEM"}]
    (problem,) = validate_profile(example, profile)
    assert problem.startswith("ServiceRequest.code: does not match")


def test_wrong_resource_type(example: dict[str, Any], profile: dict[str, Any]) -> None:
    example["resourceType"] = "Task"
    assert validate_profile(example, profile) == [
        "resourceType is 'Task', profile needs 'ServiceRequest'"
    ]


def test_max_cardinality_and_choice_elements(example: dict[str, Any]) -> None:
    profile = {
        "resourceType": "StructureDefinition",
        "type": "ServiceRequest",
        "differential": {
            "element": [
                {"id": "ServiceRequest", "path": "ServiceRequest"},
                {"id": "ServiceRequest.note", "path": "ServiceRequest.note", "max": "1"},
                {
                    "id": "ServiceRequest.occurrence[x]",
                    "path": "ServiceRequest.occurrence[x]",
                    "min": 1,
                },
            ]
        },
    }
    example["note"] = [{"text": "a"}, {"text": "b"}]
    assert validate_profile(example, profile) == [
        "ServiceRequest.note: maximum 1, found 2",
        "ServiceRequest.occurrence[x]: minimum 1, found 0",
    ]
    example["note"] = [{"text": "a"}]
    example["occurrenceDateTime"] = "2026-11-22"
    assert validate_profile(example, profile) == []


def test_unsupported_profile_features_raise(example: dict[str, Any]) -> None:
    profile = copy.deepcopy(load_profile())
    profile["differential"]["element"].append(
        {
            "id": "ServiceRequest.category:ref",
            "path": "ServiceRequest.category",
            "sliceName": "ref",
            "min": 1,
        }
    )
    with pytest.raises(ProfileError, match="sliceName"):
        validate_profile(example, profile)


def test_load_profile_returns_a_copy() -> None:
    first = load_profile()
    first["differential"]["element"].clear()
    assert load_profile()["differential"]["element"]
