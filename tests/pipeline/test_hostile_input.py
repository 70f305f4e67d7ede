"""Input that made the service answer 5xx or silently nothing (issue 8 §4), via the pipeline.

* a lone UTF-16 surrogate (``"\\ud800"``) in data echoed into a card: the answer could not be
  encoded (500 after the route had finished). Now replaced by U+FFFD where the JSON is parsed,
  and once more where a response is serialised;
* a draft order nested ~900 levels deep: ``RecursionError`` in the referral merge, and the GP got
  ``{"cards": []}``. Now the body is refused over about 200 levels (400) and ``context`` over 64
  (422), and a draft nested within the limit is merged as before.

(The feedback ``outcomeTimestamp`` overflow is in tests/api/test_feedback.py.)
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from conformance import assert_conformant
from fastapi.testclient import TestClient

from cds.cdshooks import CONTEXT_MAX_DEPTH
from cds.wirejson import JsonResponse

REQUESTS = Path(__file__).resolve().parents[2] / "examples" / "requests"
PATIENT_VIEW = "/cds-services/pakkeforlop-patient-view"
ORDER_SELECT = "/cds-services/pakkeforlop-order-select"


def _example(name: str) -> dict[str, Any]:
    return json.loads((REQUESTS / name).read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def _post_raw(client: TestClient, url: str, body: dict[str, Any]) -> Any:
    # json.dumps writes a lone surrogate as the escape "\ud800" (httpx's json= would refuse it).
    raw = json.dumps(body).encode("ascii")
    return client.post(url, content=raw, headers={"content-type": "application/json"})


def _with_unknown_unit(body: dict[str, Any], unit: str) -> dict[str, Any]:
    """Every quantity in ``body`` with ``unit`` and no UCUM code: the card quotes the unit."""
    out = copy.deepcopy(body)
    for entry in out["prefetch"]["observations"]["entry"]:
        quantity = entry["resource"].get("valueQuantity")
        if quantity:
            quantity["unit"] = unit
            quantity.pop("code", None)
            quantity.pop("system", None)
    return out


def test_a_lone_surrogate_echoed_into_a_card_is_replaced_not_a_500(client: TestClient) -> None:
    body = _with_unknown_unit(_example("myelomatose-begrunnet.patient-view.json"), "enh\ud800")
    response = _post_raw(client, PATIENT_VIEW, body)
    assert response.status_code == 200, response.text
    response.content.decode("utf-8")  # strict: valid UTF-8
    cards = response.json()["cards"]
    assert_conformant(response.json(), body)
    # The unit is quoted in the «kunne ikke vurderes» card, with the broken character replaced.
    assert any("enh\ufffd" in card.get("detail", "") for card in cards), cards


def test_the_same_unit_without_a_surrogate_gives_the_same_card(client: TestClient) -> None:
    body = _with_unknown_unit(_example("myelomatose-begrunnet.patient-view.json"), "enh\ufffd")
    clean = _post_raw(client, PATIENT_VIEW, body).json()
    broken = _post_raw(
        client,
        PATIENT_VIEW,
        _with_unknown_unit(_example("myelomatose-begrunnet.patient-view.json"), "enh\ud800"),
    ).json()
    assert clean == broken


def test_a_response_holding_a_lone_surrogate_is_still_valid_utf8() -> None:
    # Strings that reach a card another way (a FHIR server's answer) are repaired here.
    rendered = JsonResponse({"cards": [{"detail": "a\ud800b", "ok": "\U0001f600"}]}).body
    assert json.loads(rendered) == {"cards": [{"detail": "a\ufffdb", "ok": "\U0001f600"}]}


def _nested(depth: int) -> dict[str, Any]:
    """An extension nested ``depth`` object levels deep (an object in a list per level)."""
    inner: dict[str, Any] = {"url": "http://example.org/x", "valueString": "innerst"}
    for _ in range(depth - 1):
        inner = {"url": "http://example.org/x", "extension": [inner]}
    return inner


def _order_select_with_draft_extension(levels: int) -> dict[str, Any]:
    body = _example("myelomatose-begrunnet.order-select.json")
    draft = body["context"]["draftOrders"]["entry"][0]["resource"]
    # context > draftOrders > entry > [0] > resource > extension > [0]: 7 levels before _nested
    draft["extension"] = [_nested(max(1, (levels - 7) // 2))]
    return body


def _raw_nested_draft(body: dict[str, Any], pairs: int) -> bytes:
    # json.dumps cannot write what json.loads cannot read back: build the deep part as text.
    marker = '"__deep__"'
    body = copy.deepcopy(body)
    body["context"]["draftOrders"]["entry"][0]["resource"]["extension"] = "__deep__"
    deep = '[{"url": "u", "extension": ' * pairs + "[]" + "}]" * pairs
    return json.dumps(body).replace(marker, deep).encode()


def test_a_draft_nested_900_levels_is_refused_not_an_empty_answer(client: TestClient) -> None:
    raw = _raw_nested_draft(_example("myelomatose-begrunnet.order-select.json"), 450)
    response = client.post(ORDER_SELECT, content=raw, headers={"content-type": "application/json"})
    assert response.status_code == 400, response.text
    assert response.json()["resourceType"] == "OperationOutcome"


@pytest.mark.parametrize("levels", [CONTEXT_MAX_DEPTH + 6, 150])
def test_context_nested_over_the_limit_is_422(client: TestClient, levels: int) -> None:
    body = _order_select_with_draft_extension(levels)
    response = client.post(ORDER_SELECT, json=body)
    assert response.status_code == 422, response.text
    issue = response.json()["issue"][0]
    assert issue["expression"] == ["context"]
    assert "64" in issue["diagnostics"]
    assert issue["code"] == "too-costly"


def test_a_draft_nested_within_the_limit_is_merged_into_the_suggestion(client: TestClient) -> None:
    body = _order_select_with_draft_extension(CONTEXT_MAX_DEPTH - 2)
    response = client.post(ORDER_SELECT, json=body)
    assert response.status_code == 200, response.text
    actions = [
        action
        for card in response.json()["cards"]
        for suggestion in card.get("suggestions", [])
        for action in suggestion.get("actions", [])
    ]
    updated = [a for a in actions if a["type"] == "update"]
    assert updated, actions
    # The GP's deep extension is kept in the draft we suggest to update (the merge ran).
    assert updated[0]["resource"]["extension"][0]["url"] == "http://example.org/x"
