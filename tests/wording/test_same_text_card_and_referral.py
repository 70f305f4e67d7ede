"""One lab result reads the same in the card and in the referral it pre-fills (issue 9 §3).

Both are worded by ``cds.wording`` from the same structured evidence; if either stage wrote its
own number, unit, flag, range or date, the two texts would drift apart again.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

REQUEST = (
    Path(__file__).resolve().parents[2]
    / "examples"
    / "requests"
    / "myelomatose-begrunnet.order-select.json"
)
# The example's Hb: 10.2 g/dL flagged L, reference range 11.7–15.3, taken 6 November 2026.
HB = "Hemoglobin 10,2 g/dL (merket lav av laboratoriet; ref. 11,7–15,3)"
DATE = "06.11.2026"


def _referral(card: dict[str, Any]) -> dict[str, Any]:
    for suggestion in card["suggestions"]:
        for action in suggestion["actions"]:
            resource = action.get("resource") or {}
            if resource.get("resourceType") == "ServiceRequest":
                return resource  # type: ignore[no-any-return]
    raise AssertionError("no referral suggested")


def test_one_lab_result_reads_the_same_in_card_and_referral(client: TestClient) -> None:
    body = json.loads(REQUEST.read_text(encoding="utf-8"))
    response = client.post("/cds-services/pakkeforlop-order-select", json=body)
    assert response.status_code == 200
    (card,) = response.json()["cards"]
    card_lines = [line for line in card["detail"].splitlines() if "Hemoglobin" in line]
    assert card_lines == [f"- **Anemi** — {HB} — {DATE}"]
    referral = _referral(card)
    narrative = re.sub(r"<[^>]+>", "\n", referral["text"]["div"])
    assert f"{HB} ({DATE})" in narrative
    reason = " ".join(note["text"] for note in referral.get("note", []))
    assert f"anemi ({HB}, {DATE})" in reason
