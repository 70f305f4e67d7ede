"""One absurd value, or one broken pathway, never costs the GP the other cards (issue 7 §6).

Through the HTTP app, as an EHR calls it (every response is checked for conformance by the
autouse fixture in conftest.py): an unusable lab value next to acute findings keeps the acute
card; a failure inside one pathway's evaluation or rendering drops that pathway only, is logged
with its id and no patient data, and a quiet card says it was not assessed; a property test
puts arbitrary JSON values into a result and checks that nothing raises and the acute card stays.
"""

from __future__ import annotations

import copy
import json
import logging
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from conformance import assert_conformant
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

REQUESTS = Path(__file__).resolve().parents[2] / "examples" / "requests"
ACUTE = json.loads((REQUESTS / "myelomatose-akutt.patient-view.json").read_text(encoding="utf-8"))
BEGRUNNET = json.loads(
    (REQUESTS / "myelomatose-begrunnet.patient-view.json").read_text(encoding="utf-8")
)
# What the patient data of these requests look like: none of it may reach a log line.
PATIENT_WORDS = ("myelomatose-akutt", "myelomatose-begrunnet", "02865821568", "Nordmann", "11.8")
# Stands for a number JSON can write but Python's json cannot produce: replaced after dumping.
_INF_TOKEN = "__1e400__"


def _resource(body: dict[str, Any], rid: str) -> dict[str, Any]:
    for value in body["prefetch"].values():
        if isinstance(value, dict) and value.get("resourceType") == "Bundle":
            for entry in value.get("entry", []):
                if entry["resource"].get("id") == rid:
                    return entry["resource"]  # type: ignore[no-any-return]
    raise KeyError(rid)


def _post(client: TestClient, body: dict[str, Any]) -> dict[str, Any]:
    raw = json.dumps(body, ensure_ascii=False).replace(f'"{_INF_TOKEN}"', "1e400")
    response = client.post(
        "/cds-services/pakkeforlop-patient-view",
        content=raw.encode("utf-8"),
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()
    assert_conformant(data)
    return data


def _summaries(response: dict[str, Any]) -> list[str]:
    return [card["summary"] for card in response["cards"]]


def _with_hb(body: dict[str, Any], value: object, rid: str = "hb-akutt") -> dict[str, Any]:
    changed = copy.deepcopy(body)
    _resource(changed, rid)["valueQuantity"]["value"] = value
    return changed


# --- one absurd value ---------------------------------------------------------------------------

ABSURD: list[object] = [
    1e308,
    -1e308,
    _INF_TOKEN,  # 1e400 in the body: JSON parsers read it as infinity
    10**30,
    -(10**30),
    123456789012345678901234567890,
    "NaN",
    "Infinity",
    "1e999",
    "1e308",
    0.123456789012345678901,
    "12,5",
    True,
    [1],
    {"value": 1},
]


@pytest.mark.parametrize("value", ABSURD, ids=repr)
def test_an_unusable_hb_keeps_the_acute_card(client: TestClient, value: object) -> None:
    response = _post(client, _with_hb(ACUTE, value))
    assert [card["indicator"] for card in response["cards"]] == ["critical"]
    assert _summaries(response)[0].startswith("Akutt: mistanke om myelomatose")


@pytest.mark.parametrize("value", [1e308, 123456789012345678901234567890, "NaN"], ids=repr)
def test_an_unusable_hb_is_not_assessed_never_not_met(client: TestClient, value: object) -> None:
    # The Hb decided begrunnet mistanke: now the card says it could not be assessed.
    response = _post(client, _with_hb(BEGRUNNET, value, "hb-begrunnet"))
    card = next(c for c in response["cards"] if "myelomatose" in c["summary"])
    assert card["summary"] == "Anemi kunne ikke vurderes – mulig myelomatose"
    assert card["detail"].startswith("**Anemi kunne ikke vurderes** – Hemoglobin ")
    assert "ikke oppfylt" not in card["detail"]


@pytest.mark.parametrize(
    "when", ["9999-12-31", "0000-01-01", "2026-13-45", "i går", "2026-02-30T10:00:00Z"]
)
def test_an_unusable_hb_date_keeps_the_acute_card(client: TestClient, when: str) -> None:
    body = copy.deepcopy(ACUTE)
    hb = _resource(body, "hb-akutt")
    hb["effectiveDateTime"] = when
    hb["issued"] = when
    response = _post(client, body)
    assert [card["indicator"] for card in response["cards"]] == ["critical"]


def test_an_absurd_reference_range_is_dropped_not_used(client: TestClient) -> None:
    body = copy.deepcopy(ACUTE)
    _resource(body, "hb-akutt")["referenceRange"] = [
        {"low": {"value": 1e308, "unit": "g/dL"}, "high": {"value": _INF_TOKEN, "unit": "g/dL"}}
    ]
    assert [c["indicator"] for c in _post(client, body)["cards"]] == ["critical"]


# --- one broken pathway -------------------------------------------------------------------------


@pytest.fixture
def errors(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    with caplog.at_level(logging.INFO, logger="cds"):
        yield caplog


def _break_feature(monkeypatch: pytest.MonkeyPatch, feature: str) -> None:
    import cds.evaluate.engine as engine

    original = engine.evaluate_feature

    def boom(feature_id: str, *args: Any, **kwargs: Any) -> Any:
        if feature_id == feature:
            raise ValueError("Hb 11.8 hos Kari Nordmann, 02865821568")  # a message quoting data
        return original(feature_id, *args, **kwargs)

    monkeypatch.setattr(engine, "evaluate_feature", boom)


def test_a_failing_pathway_evaluation_drops_only_its_card(
    client: TestClient, monkeypatch: pytest.MonkeyPatch, errors: pytest.LogCaptureFixture
) -> None:
    before = _summaries(_post(client, BEGRUNNET))
    assert any("myelomatose" in s for s in before)
    _break_feature(monkeypatch, "vekttap")  # a feature of the diagnostic pathway only
    response = _post(client, BEGRUNNET)
    summaries = _summaries(response)
    assert "Begrunnet mistanke om myelomatose: henvis til Pakkeforløp for myelomatose" in summaries
    assert "Diagnostisk pakkeforløp kunne ikke vurderes (feil i beslutningsstøtten)" in summaries
    assert "pathway failed pathway=diagnostisk part=feature:vekttap exc=ValueError" in errors.text
    # Timings (``total_ms=11.8``) and the access log's clock (``13:57:11.899``) are ours, not the
    # patient's, and may spell a patient value (this test once failed at 11.8 s past the minute).
    logged = re.sub(r'_ms(=|": )[\d.]+', "", errors.text)
    logged = re.sub(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?([+-]\d{2}:\d{2}|Z)?", "", logged)
    for word in PATIENT_WORDS:
        assert word not in logged


def test_a_failing_rule_is_logged_with_its_id(
    client: TestClient,
    monkeypatch: pytest.MonkeyPatch,
    errors: pytest.LogCaptureFixture,
    repo_registry: Any,
) -> None:
    import cds.evaluate.engine as engine

    rule = next(r for r in repo_registry.get("sarkom").rules if "patient-view" in r.hooks)
    original = engine.holds

    def fragile(term: Any, ctx: Any) -> bool:
        if term is rule.when:
            raise ZeroDivisionError
        return original(term, ctx)

    monkeypatch.setattr(engine, "holds", fragile)
    summaries = _summaries(_post(client, BEGRUNNET))
    assert any("myelomatose" in s and "henvis" in s for s in summaries)
    assert "Pakkeforløp for sarkom kunne ikke vurderes (feil i beslutningsstøtten)" in summaries
    assert f"pathway failed pathway=sarkom part=rule:{rule.id} exc=ZeroDivisionError" in (
        errors.text
    )


def test_a_failing_pathway_next_to_an_acute_card_stays_quiet(
    client: TestClient, monkeypatch: pytest.MonkeyPatch, errors: pytest.LogCaptureFixture
) -> None:
    _break_feature(monkeypatch, "vekttap")
    response = _post(client, ACUTE)
    assert [card["indicator"] for card in response["cards"]] == ["critical"]  # acute hides all
    assert "pathway failed pathway=diagnostisk" in errors.text


def test_a_failing_pathway_rendering_drops_only_its_card(
    client: TestClient, monkeypatch: pytest.MonkeyPatch, errors: pytest.LogCaptureFixture
) -> None:
    import cds.pipeline as pipeline

    original: Callable[..., Any] = pipeline.render_cards

    def fragile(plan: Any, *args: Any, **kwargs: Any) -> Any:
        if any(decision.pathway.id == "myelomatose" for decision in plan.decisions):
            raise KeyError("Kari Nordmann")
        return original(plan, *args, **kwargs)

    monkeypatch.setattr(pipeline, "render_cards", fragile)
    summaries = _summaries(_post(client, BEGRUNNET))
    assert "Pakkeforløp for myelomatose kunne ikke vurderes (feil i beslutningsstøtten)" in (
        summaries
    )
    assert any("Diagnostisk pakkeforløp" in s and "henvis" in s for s in summaries)
    assert "pathway failed pathway=myelomatose part=render exc=KeyError" in errors.text
    assert "Nordmann" not in errors.text


def test_failed_and_not_assessed_cards_can_be_switched_off(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, today: Any, repo_registry: Any
) -> None:
    from cds.api.deps import get_registry, get_today
    from cds.app import create_app
    from cds.settings import Settings

    quiet = Settings(
        database_url=f"sqlite:///{tmp_path / 'feedback.sqlite3'}",
        disabled_cards=frozenset({"failed", "not_assessed"}),
    )
    app = create_app(quiet)
    app.dependency_overrides[get_today] = lambda: today
    app.dependency_overrides[get_registry] = lambda: repo_registry
    _break_feature(monkeypatch, "vekttap")
    with TestClient(app) as client:
        summaries = _summaries(_post(client, BEGRUNNET))
        assert any("myelomatose" in s for s in summaries)
        assert not any("kunne ikke vurderes" in s for s in summaries)
        unassessed = _summaries(_post(client, _with_hb(BEGRUNNET, 1e308, "hb-begrunnet")))
    assert not any("kunne ikke vurderes" in s for s in unassessed)


# --- property: no value in a lab result raises ----------------------------------------------------

_JSON_VALUES = st.one_of(
    st.floats(allow_nan=False, allow_infinity=False),
    st.integers(min_value=-(10**60), max_value=10**60),
    st.text(max_size=24),
    st.sampled_from(["NaN", "Infinity", "-Infinity", "1e999", "-1e400", "0x1F", _INF_TOKEN]),
    st.booleans(),
    st.none(),
    st.lists(st.integers(), max_size=2),
)
# Where in the Hb the value goes: its number, its unit, a range bound, its date, its code.
_PLACES = st.sampled_from(["value", "unit", "low", "date", "code", "comparator"])


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(place=_PLACES, value=_JSON_VALUES)
def test_no_value_in_a_lab_result_raises_and_the_acute_card_survives(
    client: TestClient, place: str, value: object
) -> None:
    body = copy.deepcopy(ACUTE)
    hb = _resource(body, "hb-akutt")
    if place == "value":
        hb["valueQuantity"]["value"] = value
    elif place == "unit":
        hb["valueQuantity"]["unit"] = value
    elif place == "low":
        hb["referenceRange"] = [{"low": {"value": value, "unit": "g/dL"}}]
    elif place == "date":
        hb["effectiveDateTime"] = value
    elif place == "code":
        hb["code"]["coding"][0]["code"] = value
    else:
        hb["valueQuantity"]["comparator"] = value
    response = _post(client, body)
    assert [card["indicator"] for card in response["cards"]] == ["critical"]


def test_an_absurd_number_in_a_draft_referral_is_not_echoed(client: TestClient) -> None:
    # The draft is sent back in an update action: one that does not validate becomes a create.
    body = json.loads(
        (REQUESTS / "myelomatose-begrunnet.order-select.json").read_text(encoding="utf-8")
    )
    draft = body["context"]["draftOrders"]["entry"][0]["resource"]
    draft["extension"] = [
        {"url": "http://example.org/a", "valueDecimal": _INF_TOKEN},
        {"url": "http://example.org/b", "valueInteger": 123456789012345678901234567890},
    ]
    raw = json.dumps(body, ensure_ascii=False).replace(f'"{_INF_TOKEN}"', "1e400")
    response = client.post(
        "/cds-services/pakkeforlop-order-select",
        content=raw.encode("utf-8"),
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 200
    data = response.json()
    assert_conformant(data, body)
    actions = [a for c in data["cards"] for s in c.get("suggestions", []) for a in s["actions"]]
    assert actions and all(a["type"] == "create" for a in actions)
