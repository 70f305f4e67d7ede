"""The conformance checker itself: a good response passes, and every rule can fail on its own."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest
from conformance import assert_conformant, problems_in

PATIENT = "Patient/p1"
XHTML = '<div xmlns="http://www.w3.org/1999/xhtml"><p>Pakkeforløp for myelomatose</p></div>'


def referral(resource_id: str = "ny-henvisning") -> dict[str, Any]:
    """A referral that satisfies R4B and our pakkeforløp profile."""
    return {
        "resourceType": "ServiceRequest",
        "id": resource_id,
        "text": {"status": "generated", "div": XHTML},
        "status": "draft",
        "intent": "order",
        "category": [{"coding": [{"system": "http://snomed.info/sct", "code": "3457005"}]}],
        "priority": "urgent",
        "code": {
            "coding": [
                {"system": "http://pakkeforlop-cds.no/fhir/CodeSystem/pakkeforlop", "code": "A04"}
            ],
            "text": "Pakkeforløp for myelomatose",
        },
        "subject": {"reference": PATIENT},
        "authoredOn": "2026-11-20",
        "reasonReference": [{"reference": "Observation/hb-1"}],
        "note": [{"text": "Henvisningen er merket «Pakkeforløp for myelomatose»."}],
    }


REQUEST: dict[str, Any] = {
    "hook": "order-select",
    "hookInstance": "d1577c69-dfbe-44ad-ba6d-3e05e953b2ea",
    "context": {
        "userId": "Practitioner/example-gp",
        "patientId": "p1",
        "selections": ["ServiceRequest/utkast"],
        "draftOrders": {
            "resourceType": "Bundle",
            "type": "collection",
            "entry": [{"resource": referral("utkast")}],
        },
    },
}


def good_response() -> dict[str, Any]:
    return {
        "cards": [
            {
                "uuid": "c1",
                "summary": "Begrunnet mistanke om myelomatose: henvis til pakkeforløp",
                "detail": (
                    "**M-komponent** og anemi.\n\n| funn | dato |\n|---|---|\n| Hb 10,2 | 6.11. |"
                ),
                "indicator": "warning",
                "source": {
                    "label": "Helsedirektoratet: Pakkeforløp for myelomatose",
                    "url": "https://www.helsedirektoratet.no/nasjonale-forlop/myelomatose",
                    "topic": {"system": "http://pakkeforlop-cds.no/topic", "code": "myelomatose"},
                },
                "selectionBehavior": "at-most-one",
                "suggestions": [
                    {
                        "label": "Oppdater henvisningen",
                        "uuid": "s1",
                        "isRecommended": True,
                        "actions": [
                            {
                                "type": "update",
                                "description": "Oppdater utkastet",
                                "resource": referral("utkast"),
                            }
                        ],
                    },
                    {
                        "label": "Ny henvisning",
                        "uuid": "s2",
                        "actions": [
                            {"type": "delete", "description": "Slett utkastet",
                             "resourceId": "ServiceRequest/utkast"},
                            {"type": "create", "description": "Ny", "resource": referral()},
                        ],
                    },
                ],
                "overrideReasons": [
                    {"system": "http://pakkeforlop-cds.no/override", "code": "allerede-henvist",
                     "display": "Allerede henvist"}
                ],
                "links": [
                    {"label": "Pakkeforløpet", "type": "absolute",
                     "url": "https://www.helsedirektoratet.no/nasjonale-forlop/myelomatose"},
                    {"label": "App", "type": "smart", "url": "https://app.example/launch",
                     "appContext": "myelomatose"},
                ],
            }
        ]
    }


def test_good_response_passes() -> None:
    assert_conformant(good_response(), REQUEST)


def test_no_guidance_passes() -> None:
    assert_conformant({"cards": []})


def _card(r: dict[str, Any]) -> dict[str, Any]:
    return r["cards"][0]  # type: ignore[no-any-return]


def _sugg(r: dict[str, Any], i: int = 0) -> dict[str, Any]:
    return _card(r)["suggestions"][i]  # type: ignore[no-any-return]


def _set(path: Callable[[dict[str, Any]], dict[str, Any]], key: str, value: Any) -> Callable[
    [dict[str, Any]], None
]:
    def apply(r: dict[str, Any]) -> None:
        path(r)[key] = value

    return apply


def _drop(path: Callable[[dict[str, Any]], dict[str, Any]], key: str) -> Callable[
    [dict[str, Any]], None
]:
    def apply(r: dict[str, Any]) -> None:
        del path(r)[key]

    return apply


def _action(i: int, a: int) -> Callable[[dict[str, Any]], dict[str, Any]]:
    return lambda r: _sugg(r, i)["actions"][a]


def _resource(i: int, a: int) -> Callable[[dict[str, Any]], dict[str, Any]]:
    return lambda r: _sugg(r, i)["actions"][a]["resource"]


def _both_recommended(r: dict[str, Any]) -> None:
    _sugg(r, 1)["isRecommended"] = True


def _add_system_action(r: dict[str, Any]) -> None:
    r["systemActions"] = [{"type": "create", "resource": referral()}]


def _typed(kind: str | None, length: int) -> Callable[[dict[str, Any]], None]:
    """The card named as ``kind`` in its extension (None: no extension), detail ``length`` long."""

    def apply(response: dict[str, Any]) -> None:
        card = _card(response)
        card["detail"] = "x" * length
        if kind is not None:
            card["extension"] = {"no.pakkeforlop-cds.card-type": kind}

    return apply


def _four_links(response: dict[str, Any]) -> None:
    links = _card(response)["links"]
    links += [{"label": f"L{i}", "type": "absolute", "url": f"https://e.org/{i}"} for i in (1, 2)]


NEGATIVE: list[tuple[str, Callable[[dict[str, Any]], None], str]] = [
    ("cards-missing", lambda r: r.pop("cards"), "'cards' is required"),
    ("cards-not-array", _set(lambda r: r, "cards", {"a": 1}), "'cards' is required"),
    ("unknown-top-level", _set(lambda r: r, "card", [1]), "unknown top-level keys"),
    ("summary-140", _set(_card, "summary", "x" * 140), "must be under 140"),
    ("summary-missing", _drop(_card, "summary"), "summary is required"),
    ("indicator-hard-stop", _set(_card, "indicator", "hard-stop"), "indicator 'hard-stop'"),
    ("source-missing", _drop(_card, "source"), "source is required"),
    ("source-label-missing", _drop(lambda r: _card(r)["source"], "label"), "source.label"),
    ("source-url-relative", _set(lambda r: _card(r)["source"], "url", "/x"), "absolute URL"),
    ("topic-without-code", _drop(lambda r: _card(r)["source"]["topic"], "code"), "topic.code"),
    ("suggestions-without-behaviour", _drop(_card, "selectionBehavior"), "selectionBehavior must"),
    ("behaviour-unknown", _set(_card, "selectionBehavior", "all"), "selectionBehavior must"),
    ("behaviour-without-suggestions", _drop(_card, "suggestions"), "only allowed with suggestions"),
    ("suggestion-label-missing", _drop(lambda r: _sugg(r), "label"), "label is required"),
    ("uuid-card-equals-suggestion", _set(lambda r: _sugg(r), "uuid", "c1"), "not unique"),
    ("uuid-suggestions-equal", _set(lambda r: _sugg(r, 1), "uuid", "s1"), "not unique"),
    ("two-recommended-at-most-one", _both_recommended, "isRecommended suggestions"),
    ("recommended-not-boolean", _set(lambda r: _sugg(r), "isRecommended", "yes"), "boolean"),
    ("override-without-display", _drop(lambda r: _card(r)["overrideReasons"][0], "display"),
     "overrideReasons[0].display"),
    ("override-without-system", _drop(lambda r: _card(r)["overrideReasons"][0], "system"),
     "overrideReasons[0].system"),
    ("link-app-context-on-absolute",
     _set(lambda r: _card(r)["links"][0], "appContext", "x"), "only allowed on smart links"),
    ("link-relative-url", _set(lambda r: _card(r)["links"][0], "url", "pakkeforlop.html"),
     "absolute URL"),
    ("link-type-unknown", _set(lambda r: _card(r)["links"][0], "type", "web"), "links[0].type"),
    ("link-label-missing", _drop(lambda r: _card(r)["links"][1], "label"), "links[1].label"),
    ("null-value", _set(_card, "detail", None), "null or empty"),
    ("empty-string", _set(lambda r: _card(r)["source"], "icon", ""), "null or empty"),
    ("empty-list", _set(_card, "links", []), "null or empty"),
    ("empty-object", _set(_sugg, "extension", {}), "null or empty"),
    ("nested-empty-in-resource", _set(_resource(1, 1), "note", []), "null or empty"),
    ("detail-raw-html", _set(_card, "detail", "Hb <b>10,2</b>"), "raw HTML"),
    ("detail-html-block", _set(_card, "detail", "<div>\nfunn\n</div>"), "raw HTML"),
    ("detail-not-string", _set(_card, "detail", 3), "must be a string"),
    ("action-type-unknown", _set(_action(0, 0), "type", "replace"), "type 'replace'"),
    ("action-description-missing", _drop(_action(0, 0), "description"), "description is required"),
    ("create-without-resource", _drop(_action(1, 1), "resource"), "resource is required"),
    ("create-invalid-r4b", _drop(_resource(1, 1), "intent"), "not a valid R4B ServiceRequest"),
    ("create-stu3-type", _set(_resource(1, 1), "resourceType", "ProcedureRequest"),
     "not a FHIR R4B resource type"),
    ("labelled-referral-off-profile", _drop(_resource(1, 1), "reasonReference"),
     "pakkeforløp referral profile"),
    ("update-target-not-in-draft-orders", _set(_resource(0, 0), "id", "annen"),
     "not in context.draftOrders"),
    ("delete-resource-id-not-relative", _set(_action(1, 0), "resourceId", "utkast"), "Type/id"),
    ("delete-target-not-in-draft-orders", _set(_action(1, 0), "resourceId", "ServiceRequest/x"),
     "not in context.draftOrders"),
    ("system-action-without-description", _add_system_action, "systemActions[0].description"),
    # Our reading-time rules (cds/render/budget.py, cds/render/links.py).
    ("detail-over-its-card-type-budget", _typed("acute", 701), "the budget for acute is 700"),
    ("detail-over-the-largest-budget-without-type", _typed(None, 1301), "without a type is 1300"),
    ("unknown-card-type", _typed("popup", 10), "unknown card type 'popup'"),
    ("four-links", _four_links, "has 4 links; at most 3"),
]


@pytest.mark.parametrize(
    ("mutate", "message"), [pytest.param(m, msg, id=name) for name, m, msg in NEGATIVE]
)
def test_each_rule_can_fail(mutate: Callable[[dict[str, Any]], None], message: str) -> None:
    response = good_response()
    mutate(response)
    problems = problems_in(response, copy.deepcopy(REQUEST))
    assert any(message in p for p in problems), problems
    with pytest.raises(AssertionError, match="not conformant"):
        assert_conformant(response, REQUEST)


@pytest.mark.parametrize(("kind", "length"), [("acute", 700), ("stop_order", 1300), (None, 1300)])
def test_detail_at_its_budget_passes(kind: str | None, length: int) -> None:
    response = good_response()
    _typed(kind, length)(response)
    assert problems_in(response, copy.deepcopy(REQUEST)) == []


def test_update_without_request_is_not_checked_against_draft_orders() -> None:
    response = good_response()
    _resource(0, 0)(response)["id"] = "annen"
    assert problems_in(response) == []


def test_not_an_object() -> None:
    assert problems_in([]) == ["response is not a JSON object"]
