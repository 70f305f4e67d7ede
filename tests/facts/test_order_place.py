"""Where a draft order is about: ``cds.facts.sites.order_place`` with the real body sites.

The coded bodySite decides when it names a region (by display or, without one, by SNOMED CT code);
otherwise every place the bodySite, code, orderDetail, reasonCode texts and notes name counts.
Record orders carry no place (only drafts are compared with the lump).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from cds.criteria.codebook import CodeBook
from cds.criteria.loader import load_registry
from cds.facts.model import NO_PLACE, Place
from cds.facts.orders import extract_drafts, extract_orders
from cds.facts.sites import order_place, place_of

REPO = Path(__file__).resolve().parents[2]
SNOMED = "http://snomed.info/sct"
UE, OE = "underekstremitet", "overekstremitet"
EXCISION = {"coding": [{"system": SNOMED, "code": "65801008", "display": "Excision"}]}


@pytest.fixture(scope="module")
def real_codebook() -> CodeBook:
    return load_registry(REPO / "criteria").codebook


def place(regions: set[str], sides: set[str], groups: set[str]) -> Place:
    return Place(frozenset(regions), frozenset(sides), frozenset(groups))


def request(**fields: Any) -> dict[str, Any]:
    return {"resourceType": "ServiceRequest", "id": "s1", "status": "draft", **fields}


def body_site(code: str | None, display: str | None = None, text: str | None = None) -> list[Any]:
    coding = {"system": SNOMED, "code": code, "display": display}
    concept: dict[str, Any] = {"coding": [{k: v for k, v in coding.items() if v is not None}]}
    if text is not None:
        concept["text"] = text
    return [concept]


@pytest.mark.parametrize(
    ("resource", "expected"),
    [
        # The code text alone says where.
        (request(code={"text": "Eksisjon av kul venstre lår"}), place({"lar"}, {"venstre"}, {UE})),
        # A note says where (a referral «for fjerning»).
        (
            request(
                code={"text": "Henvisning kirurgisk poliklinikk"},
                note=[{"text": "Ber om fjerning av kul i høyre skulder."}],
            ),
            place({"skulder"}, {"hoyre"}, {OE}),
        ),
        # A coded bodySite with its SNOMED display.
        (
            request(code=EXCISION, bodySite=body_site("61396006", "Structure of left thigh")),
            place({"lar"}, {"venstre"}, {UE}),
        ),
        # A coded bodySite without a display: the SNOMED code names region and side.
        (request(code=EXCISION, bodySite=body_site("11207009")), place({"lar"}, {"hoyre"}, {UE})),
        (request(code=EXCISION, bodySite=body_site("68367000")), place({"lar"}, set(), {UE})),
        # The coded bodySite wins over a text naming another place.
        (
            request(
                code={"text": "Eksisjon, se også kul på ryggen"},
                bodySite=body_site("368208006", "Left upper arm structure"),
            ),
            place({"overarm"}, {"venstre"}, {OE}),
        ),
        # A bodySite naming only a side: the texts add the region.
        (
            request(
                code={"text": "Eksisjon av kul i låret"}, bodySite=body_site("7771000", "Left")
            ),
            place({"lar"}, {"venstre"}, {UE}),
        ),
        # The reason text says where.
        (
            request(code=EXCISION, reasonCode=[{"text": "Kul høyre legg"}]),
            place({"legg"}, {"hoyre"}, {UE}),
        ),
        # Only the limb.
        (request(code={"text": "Fjerning av kul på venstre arm"}), place(set(), {"venstre"}, {OE})),
        # Nothing that says where.
        (request(code={"text": "Eksisjon av kul"}), NO_PLACE),
        (request(code=EXCISION), NO_PLACE),
        (request(code={"text": "Ultralydveiledet biopsi av retroperitoneal tumor"}), NO_PLACE),
        (request(code={"text": "Biopsi av benet"}), NO_PLACE),  # «ben» may be bone: no limb
    ],
)
def test_order_place(real_codebook: CodeBook, resource: dict[str, Any], expected: Place) -> None:
    assert order_place(resource, real_codebook) == expected


def test_unknown_body_site_code_names_nothing(real_codebook: CodeBook) -> None:
    assert place_of("", real_codebook, frozenset({("snomed", "123")})) == NO_PLACE
    assert not NO_PLACE.named
    assert place(set(), {"venstre"}, set()).named


def test_drafts_carry_their_place_record_orders_do_not(real_codebook: CodeBook) -> None:
    draft = request(code={"text": "Eksisjon av kul venstre lår"})
    drafts, _, _ = extract_drafts(
        {"draftOrders": {"resourceType": "Bundle", "entry": [{"resource": draft}]}},
        real_codebook,
    )
    assert drafts[0].place == place({"lar"}, {"venstre"}, {UE})
    (recorded,) = extract_orders([dict(draft, status="completed")], [])
    assert recorded.place == NO_PLACE
