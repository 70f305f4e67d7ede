"""A fourth pathway is data: a dummy pathway loaded from a temporary criteria folder gets its card.

The folder holds the shared vocabularies (``codes/``, ``assertion.yaml``) and one new file,
``dummy.yaml``, made from the myelomatose file's data: one lab feature (low Hb) and one
begrunnet rule. The real app factory loads it through ``CDS_CRITERIA_DIR`` at start-up, and the
real endpoint answers. No code in ``cds/`` knows the pathway (docs/architecture.md, «Adding a
pathway»).
"""

from __future__ import annotations

import copy
import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from conformance import assert_conformant
from fastapi import FastAPI
from fastapi.testclient import TestClient

from cds.criteria.loader import load_registry
from cds.settings import Settings

REPO = Path(__file__).resolve().parents[2]
REQUEST = REPO / "examples" / "requests" / "myelomatose-begrunnet.patient-view.json"
TITLE = "Pakkeforløp for dummytilstand"


def dummy_pathway() -> dict[str, Any]:
    """A small pathway built from myelomatose's data: Hb below its limit → begrunnet mistanke."""
    source = yaml.safe_load((REPO / "criteria" / "myelomatose.yaml").read_text(encoding="utf-8"))
    anemi = copy.deepcopy(source["features"]["anemi"])
    anemi["sources"] = [s for s in anemi["sources"] if s["kind"] == "lab"]
    anemi.pop("change", None)
    begrunnet = next(r for r in source["rules"] if r["id"] == "myelomatose.begrunnet")
    referral = copy.deepcopy(source["referral"])
    referral["label"] = TITLE
    return {
        "id": "dummy",
        "version": "1.0.0",
        "effective": source["effective"],
        "title": TITLE,
        "code": "Z99",
        # The myelomatose codes under the dummy's own prefix (its times run between them).
        "registration_codes": [
            {**c, "code": "Z99" + c["code"][3:]} for c in source["registration_codes"]
        ],
        "source": {"label": "Dummy", "url": "https://example.org/dummy"},
        "features": {"anemi": anemi},
        "rules": [
            {
                "id": "dummy.begrunnet",
                "outcome": "begrunnet",
                "hooks": ["patient-view", "order-select", "order-sign"],
                "cite": begrunnet["cite"],
                "when": {"feature": "anemi"},
            }
        ],
        "referral": referral,
        "times": source["times"],
    }


@pytest.fixture
def criteria_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "criteria"
    folder.mkdir()
    shutil.copytree(REPO / "criteria" / "codes", folder / "codes")
    shutil.copy(REPO / "criteria" / "assertion.yaml", folder / "assertion.yaml")
    text = yaml.safe_dump(dummy_pathway(), allow_unicode=True, sort_keys=False)
    (folder / "dummy.yaml").write_text(text, encoding="utf-8")
    return folder


@pytest.fixture
def client(criteria_dir: Path, tmp_path: Path, app_factory: Callable[[Settings], FastAPI]) -> Any:
    settings = Settings(
        criteria_dir=criteria_dir, database_url=f"sqlite:///{tmp_path / 'feedback.sqlite3'}"
    )
    with TestClient(app_factory(settings)) as test_client:
        yield test_client


def request_with_hb(value: float) -> dict[str, Any]:
    body: dict[str, Any] = json.loads(REQUEST.read_text(encoding="utf-8"))
    for entry in body["prefetch"]["observations"]["entry"]:
        if entry["resource"]["id"] == "hb-begrunnet":
            entry["resource"]["valueQuantity"]["value"] = value
            entry["resource"].pop("interpretation", None)
            entry["resource"].pop("referenceRange", None)
    return body


def cards(client: TestClient, body: dict[str, Any]) -> list[dict[str, Any]]:
    response = client.post("/cds-services/pakkeforlop-patient-view", json=body)
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    assert_conformant(answer, body)
    return answer["cards"]  # type: ignore[no-any-return]


def test_the_dummy_pathway_loads_beside_no_other(criteria_dir: Path) -> None:
    registry = load_registry(criteria_dir)
    assert [p.id for p in registry.pathways] == ["dummy"]


def test_hb_below_the_limit_gives_the_dummy_pathways_referral_card(client: TestClient) -> None:
    # Unknown-sex default limit 11.7 g/dL; the example patient is a woman (limit 11.7).
    (card,) = cards(client, request_with_hb(11.6))
    assert TITLE in card["summary"]
    assert card["indicator"] == "warning"
    resources = [
        action["resource"]
        for suggestion in card.get("suggestions", [])
        for action in suggestion["actions"]
    ]
    assert any(
        r["resourceType"] == "ServiceRequest" and TITLE in json.dumps(r, ensure_ascii=False)
        for r in resources
    )


def test_hb_at_the_limit_is_silent(client: TestClient) -> None:
    assert cards(client, request_with_hb(11.7)) == []
