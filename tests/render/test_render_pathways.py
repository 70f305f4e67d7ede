"""Cards when several pathways meet (docs/architecture.md «Several pathways») and the new card
types: advice, stop_order, imaging orders, receivers, the diagnostic begrunnet card.

Every response is checked whole by :func:`multi_support.render_many`: CDS Hooks conformance
(with a request whose draftOrders hold the drafts), R4B validity of every ServiceRequest, and our
referral profile for every pathway referral.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from multi_support import (
    codebook,
    draft_fact,
    draft_json,
    ids_in,
    is_referral,
    pathways,
    render_many,
    resources,
    with_drafts,
)
from render_support import ago, ev, facts, hit

from cds.criteria.schema import Outcome, Pathway
from cds.evaluate.decision import decide
from cds.evaluate.model import Assessment, FeatureHit, FilterTestStatus
from cds.facts.model import OrderFact
from cds.render.format import PATHWAY_CODE_SYSTEM, fmt_date
from cds.render.lab_orders import IMAGING_CATEGORY, build_orders

SARKOM_CENTRES = (
    "Haukeland universitetssykehus",
    "Oslo universitetssykehus",
    "St. Olavs Hospital",
    "Universitetssykehuset i Nord-Norge",
)
MR_TEXT = "MR lår: 6 cm dyp, malignitetssuspekt tumor"
HB_TEXT = "Hb 10,1 g/dL (ref. 11,7–15,3)"


@pytest.fixture(scope="module")
def sarkom() -> Pathway:
    return pathways()["sarkom"]


@pytest.fixture(scope="module")
def diag() -> Pathway:
    return pathways()["diagnostisk"]


@pytest.fixture(scope="module")
def myelom() -> Pathway:
    return pathways()["myelomatose"]


def rule_id(pathway: Pathway, outcome: Outcome) -> str:
    return next(r.id for r in pathway.rules if r.outcome == outcome)


def make(
    pathway: Pathway, outcome: Outcome | None, hits: list[FeatureHit], **kw: Any
) -> tuple[Pathway, Assessment]:
    rule = kw.pop("rule", rule_id(pathway, outcome) if outcome else None)
    return pathway, Assessment(
        pathway=pathway.id,
        outcome=outcome,
        rule=rule,
        hits={h.feature: h for h in hits},
        **kw,
    )


def sarkom_hits(sarkom: Pathway) -> list[FeatureHit]:
    return [hit(sarkom, "mr_malign", ev("DiagnosticReport/mr-1", 6, MR_TEXT))]


def diag_hits(diag: Pathway) -> list[FeatureHit]:
    return [
        hit(diag, "anemi", ev("Observation/hb-1", 10, HB_TEXT)),
        hit(diag, "vekttap", ev("Observation/vekt-1", 4, "Vekt 71 kg, ned 8 % på 3 måneder")),
    ]


def myelom_hits(myelom: Pathway) -> list[FeatureHit]:
    return [
        hit(myelom, "m_komponent", ev("Observation/elfo-1", 12, "M-komponent 6 g/L")),
        hit(myelom, "anemi", ev("Observation/hb-1", 10, HB_TEXT)),
    ]


def referral_to(pathway: Pathway, days: int = 10) -> OrderFact:
    return OrderFact(
        ref="ServiceRequest/sendt-1",
        resource_type="ServiceRequest",
        when=ago(days),
        status="active",
        is_referral=True,
        codes=frozenset(),
        labels=(pathway.referral.label.lower(),),
    )


def status(pathway: Pathway, states: dict[str, str]) -> tuple[FilterTestStatus, ...]:
    out = []
    for test in pathway.filter_tests:
        state = states.get(test.id, "ok")
        last = None if state == "missing" else ago(test.max_age_days + 5 if state == "stale" else 2)
        out.append(FilterTestStatus(test.id, test.label, state, last, test.trigger))  # type: ignore[arg-type]
    return tuple(out)


def only(cards: list[dict[str, Any]]) -> dict[str, Any]:
    assert len(cards) == 1, [c["summary"] for c in cards]
    return cards[0]


# --- the policy, rendered ---------------------------------------------------------------------


def test_acute_beats_begrunnet_of_another_pathway(myelom: Pathway, sarkom: Pathway) -> None:
    acute_hits = [
        *myelom_hits(myelom),
        hit(myelom, "hyperkalsemi", ev("Observation/ca-1", 2, "Kalsium 3,1 mmol/L")),
    ]
    cards = render_many(
        [
            make(sarkom, "begrunnet", sarkom_hits(sarkom), receivers=SARKOM_CENTRES),
            make(myelom, "acute", acute_hits),
        ]
    )
    card = only(cards)
    assert card["indicator"] == "critical" and card["summary"].startswith("Akutt:")
    assert "sarkom" not in json.dumps(card).lower()


def test_already_referred_to_diagnostisk_silences_sarkom_begrunnet(
    sarkom: Pathway, diag: Pathway, myelom: Pathway
) -> None:
    results = [
        make(sarkom, "begrunnet", sarkom_hits(sarkom), receivers=SARKOM_CENTRES),
        make(diag, None, diag_hits(diag), already_referred=referral_to(diag)),
        make(myelom, "mistanke", myelom_hits(myelom)[1:]),
    ]
    assert render_many(results) == []


def test_a_referral_elsewhere_is_mentioned_on_an_acute_card(myelom: Pathway, diag: Pathway) -> None:
    acute_hits = [
        *myelom_hits(myelom),
        hit(myelom, "nyresvikt", ev("Observation/egfr-1", 1, "eGFR 22")),
    ]
    cards = render_many(
        [
            make(myelom, "acute", acute_hits),
            make(diag, None, [], already_referred=referral_to(diag, 5)),
        ]
    )
    card = only(cards)
    assert f"Pasienten er henvist til Diagnostisk pakkeforløp {fmt_date(ago(5))}." in card["detail"]
    assert card["suggestions"][0]["actions"][0]["resource"]["priority"] == "asap"


def test_organ_specific_is_recommended_over_diagnostisk_in_one_card(
    sarkom: Pathway, diag: Pathway
) -> None:
    cards = render_many(
        [
            make(diag, "begrunnet", diag_hits(diag), filter_tests=status(diag, {"crp": "missing"})),
            make(
                sarkom,
                "begrunnet",
                sarkom_hits(sarkom),
                receivers=SARKOM_CENTRES,
                region="Helse Vest",
            ),
        ]
    )
    card = only(cards)
    assert card["indicator"] == "warning"
    # The recommended pathway leads the summary; the alternative is named after it.
    assert card["summary"] == (
        "Begrunnet mistanke om sarkom: henvis til Pakkeforløp for sarkom "
        "(alternativ: Diagnostisk pakkeforløp)"
    )
    detail = card["detail"]
    assert (
        "Organspesifikt pakkeforløp går foran Diagnostisk pakkeforløp; pasienten henvises til "
        "ett pakkeforløp om gangen."
    ) in detail
    # Evidence first, policy after: the recommended pathway and its findings open the card.
    assert detail.startswith("**Pakkeforløp for sarkom** (anbefalt) – kriteriene for begrunnet")
    assert detail.index(MR_TEXT) < detail.index("Organspesifikt pakkeforløp går foran")
    assert "Anbefalt:" not in detail
    # One forløpstid line for both pathways, each time with its pathway.
    assert detail.count("Forløpstid") == 1
    assert "8 kalenderdager (Pakkeforløp for sarkom) og 7 kalenderdager (Diagnostisk" in detail
    # The diagnostic rule's own criterion says why, quoted with its source.
    assert "«Sykdomsbildet tilsier at organspesifikk utredning ikke er hensiktsmessig»" in detail
    # Each pathway's evidence, dated.
    assert f"{MR_TEXT} — {fmt_date(ago(6))}" in detail
    assert f"{HB_TEXT} — {fmt_date(ago(10))}" in detail
    assert "Helseregion: Helse Vest (fra adressen)" in detail
    assert detail.index("Pakkeforløp for sarkom** (anbefalt)") < detail.index(
        "**Diagnostisk pakkeforløp** –"
    )
    assert card["selectionBehavior"] == "at-most-one"
    first, second = card["suggestions"]
    assert first["label"] == "Henvis til Pakkeforløp for sarkom – Haukeland universitetssykehus"
    assert first["isRecommended"] is True
    assert second["label"] == "Opprett henvisning: Diagnostisk pakkeforløp"
    assert second["isRecommended"] is False
    sarkom_ref = first["actions"][0]["resource"]
    assert sarkom_ref["performer"] == [{"display": "Haukeland universitetssykehus"}]
    assert sarkom_ref["code"]["text"] == "Pakkeforløp for sarkom"
    diag_ref = second["actions"][0]["resource"]
    assert diag_ref["code"]["text"] == "Diagnostisk pakkeforløp"
    assert diag_ref["code"]["coding"][0]["code"] == "C01"
    assert "performer" not in diag_ref
    # Source of the recommended pathway; at most three links: both pathway pages first.
    assert card["source"]["topic"]["code"] == "A36"
    urls = [link["url"] for link in card["links"]]
    assert urls[:2] == [sarkom.source.url, diag.source.url]
    assert len(set(urls)) == len(urls) == 3


def test_two_organ_specific_begrunnet_share_one_card_without_a_recommendation(
    myelom: Pathway, sarkom: Pathway
) -> None:
    cards = render_many(
        [
            make(myelom, "begrunnet", myelom_hits(myelom)),
            make(sarkom, "begrunnet", sarkom_hits(sarkom), receivers=SARKOM_CENTRES),
        ]
    )
    card = only(cards)
    assert "flere organspesifikke pakkeforløp" in card["detail"]
    assert "velg det som passer best med det kliniske bildet" in card["detail"]
    assert "anbefalt" not in card["detail"]
    labels = [s["label"] for s in card["suggestions"]]
    assert labels == [
        "Opprett henvisning: Pakkeforløp for myelomatose",
        "Henvis til Pakkeforløp for sarkom – Haukeland universitetssykehus",
    ]
    assert not any(s.get("isRecommended") for s in card["suggestions"])
    # The card takes the id the first pathway's begrunnet card would have had.
    alone = only(render_many([make(myelom, "begrunnet", myelom_hits(myelom))]))
    assert card["uuid"] == alone["uuid"]
    assert card["suggestions"][0]["uuid"] == alone["suggestions"][0]["uuid"]


def test_mistanke_is_dropped_next_to_begrunnet_and_advice_kept(
    myelom: Pathway, sarkom: Pathway, diag: Pathway
) -> None:
    fobt = hit(diag, "fobt_positiv", ev("Observation/fobt-1", 3, "Feces for blod: positiv"))
    cards = render_many(
        [
            make(myelom, "mistanke", myelom_hits(myelom)[1:], filter_tests=status(myelom, {})),
            make(sarkom, "begrunnet", sarkom_hits(sarkom), receivers=SARKOM_CENTRES[:1]),
            make(diag, "advice", [fobt]),
        ]
    )
    assert [c["indicator"] for c in cards] == ["warning", "info"]
    begrunnet, advice = cards
    assert begrunnet["summary"].startswith("Begrunnet mistanke om sarkom")
    rule = next(r for r in diag.rules if r.outcome == "advice")
    assert rule.advice is not None
    assert advice["summary"] == rule.advice.summary
    assert advice["indicator"] == rule.advice.indicator
    assert rule.advice.detail in advice["detail"]
    assert (
        f"**Positiv test for blod i feces** — Feces for blod: positiv — {fmt_date(ago(3))}"
        in advice["detail"]
    )
    assert "suggestions" not in advice and "overrideReasons" not in advice
    assert advice["source"]["label"] == diag.source.label
    assert advice["links"][0]["url"] == diag.source.url


@pytest.mark.parametrize(
    ("disabled", "expected"),
    [
        (frozenset(), ["critical"]),
        # Switches apply last: the begrunnet card acute beat does not come back.
        (frozenset({"acute"}), []),
        (frozenset({"begrunnet"}), ["critical"]),
    ],
)
def test_disabled_card_types_apply_after_combination(
    myelom: Pathway, sarkom: Pathway, disabled: frozenset[str], expected: list[str]
) -> None:
    acute_hits = [
        *myelom_hits(myelom),
        hit(myelom, "hyperkalsemi", ev("Observation/ca-1", 2, "Kalsium 3,1 mmol/L")),
    ]
    results = [make(myelom, "acute", acute_hits), make(sarkom, "begrunnet", sarkom_hits(sarkom))]
    cards = render_many(results, disabled=disabled)
    assert [c["indicator"] for c in cards] == expected


@pytest.mark.parametrize("switched_off", ["begrunnet", "advice", "stop_order"])
def test_each_new_card_type_can_be_switched_off(
    sarkom: Pathway, diag: Pathway, switched_off: str
) -> None:
    biopsy = draft_json("biopsi-1", "Biopsi av kul i lår")
    fobt = hit(diag, "fobt_positiv", ev("Observation/fobt-1", 3, "Feces for blod: positiv"))
    group = [
        make(sarkom, "begrunnet", sarkom_hits(sarkom), receivers=SARKOM_CENTRES),
        make(diag, "begrunnet", diag_hits(diag)),
    ]
    cases = {
        "begrunnet": (group, None),
        "advice": ([make(diag, "advice", [fobt])], None),
        "stop_order": (
            [
                make(
                    sarkom,
                    "stop_order",
                    sarkom_hits(sarkom),
                    blocked_orders=("ServiceRequest/biopsi-1",),
                    stop_then="begrunnet",
                )
            ],
            with_drafts(biopsy),
        ),
    }
    results, patient = cases[switched_off]
    assert len(render_many(results, patient)) == 1
    assert render_many(results, patient, disabled=frozenset({switched_off})) == []


# --- stop_order -----------------------------------------------------------------------------------


def test_stop_order_deletes_the_biopsy_and_creates_the_referral(sarkom: Pathway) -> None:
    biopsy = draft_json("biopsi-1", "Biopsi av kul i lår")
    patient = with_drafts(biopsy)
    cards = render_many(
        [
            make(
                sarkom,
                "stop_order",
                sarkom_hits(sarkom),
                blocked_orders=("ServiceRequest/biopsi-1",),
                stop_then="begrunnet",
                receivers=SARKOM_CENTRES,
                region="Helse Vest",
            )
        ],
        patient,
    )
    card = only(cards)
    rule = next(r for r in sarkom.rules if r.outcome == "stop_order")
    assert rule.advice is not None
    assert card["indicator"] == "critical"
    assert card["summary"] == rule.advice.summary
    assert rule.advice.detail in card["detail"]
    assert "- **Biopsi av kul i lår**" in card["detail"]
    assert f"{MR_TEXT} — {fmt_date(ago(6))}" in card["detail"]
    assert "Helseregion: Helse Vest (fra adressen)" in card["detail"]
    assert {r["code"] for r in card["overrideReasons"]} == {
        "agreed-with-receiver",
        "criteria-not-met",
    }
    (suggestion,) = card["suggestions"]
    assert suggestion["isRecommended"] is True
    assert suggestion["label"] == (
        "Slett bestillingen og henvis til Pakkeforløp for sarkom – Haukeland universitetssykehus"
    )
    delete, create = suggestion["actions"]
    assert delete == {
        "type": "delete",
        "resourceId": "ServiceRequest/biopsi-1",
        "description": "Slett bestillingsutkastet «Biopsi av kul i lår»: det skal ikke utføres "
        "før henvisning til Pakkeforløp for sarkom.",
    }
    assert create["type"] == "create"
    resource = create["resource"]
    assert is_referral(resource) and resource["code"]["text"] == "Pakkeforløp for sarkom"
    assert resource["performer"] == [{"display": "Haukeland universitetssykehus"}]
    assert resource["priority"] == "urgent"
    assert resource["note"][0]["text"].startswith("Mistanke om sarkom: malignitetssuspekt funn")


def test_stop_order_replaces_a_separate_draft_referral(sarkom: Pathway) -> None:
    biopsy = draft_json("biopsi-1", "Eksisjon av kul")
    letter = draft_json("henv-1", "Henvisning ortopedi", referral=True)
    patient = with_drafts(biopsy, letter)
    (card,) = render_many(
        [
            make(
                sarkom,
                "stop_order",
                sarkom_hits(sarkom),
                blocked_orders=("ServiceRequest/biopsi-1",),
                stop_then="begrunnet",
                draft_referral=draft_fact(letter, referral=True),
            )
        ],
        patient,
    )
    (suggestion,) = card["suggestions"]
    kinds = [(a["type"], a.get("resourceId")) for a in suggestion["actions"]]
    assert kinds == [
        ("delete", "ServiceRequest/biopsi-1"),
        ("delete", "ServiceRequest/henv-1"),
        ("create", None),
    ]
    created = suggestion["actions"][-1]["resource"]
    assert created["id"] != "henv-1"
    assert {"text": "Eget notat fra fastlegen."} in created["note"]  # the draft's content kept
    assert created["code"]["text"] == "Pakkeforløp for sarkom"
    assert suggestion["label"] == "Slett bestillingen og henvis til Pakkeforløp for sarkom"


def test_stop_order_when_the_draft_referral_is_the_blocked_order(sarkom: Pathway) -> None:
    surgery = draft_json("kir-1", "Henvisning til kirurgisk fjerning av kul", referral=True)
    patient = with_drafts(surgery)
    (card,) = render_many(
        [
            make(
                sarkom,
                "stop_order",
                sarkom_hits(sarkom),
                blocked_orders=("ServiceRequest/kir-1",),
                stop_then="begrunnet",
                draft_referral=draft_fact(surgery, referral=True),
            )
        ],
        patient,
    )
    actions = card["suggestions"][0]["actions"]
    assert [a["type"] for a in actions] == ["delete", "create"]
    assert "Eget notat fra fastlegen." not in json.dumps(actions[1]["resource"])


def test_stop_order_when_already_referred_names_the_referral_and_suggests_nothing(
    sarkom: Pathway,
) -> None:
    patient = with_drafts(draft_json("biopsi-1", "Biopsi av kul i lår"))
    (card,) = render_many(
        [
            make(
                sarkom,
                "stop_order",
                sarkom_hits(sarkom),
                blocked_orders=("ServiceRequest/biopsi-1",),
                stop_then="begrunnet",
                already_referred=referral_to(sarkom, 12),
            )
        ],
        patient,
    )
    assert card["indicator"] == "critical"
    assert f"**Henvist til Pakkeforløp for sarkom {fmt_date(ago(12))}.**" in card["detail"]
    assert "- **Biopsi av kul i lår**" in card["detail"]
    assert "suggestions" not in card and "selectionBehavior" not in card


def test_stop_order_never_deletes_what_the_request_did_not_send(sarkom: Pathway) -> None:
    (card,) = render_many(
        [
            make(
                sarkom,
                "stop_order",
                sarkom_hits(sarkom),
                blocked_orders=("ServiceRequest/ukjent-1", "Procedure/p-1"),
                stop_then="begrunnet",
            )
        ]
    )
    (suggestion,) = card["suggestions"]
    assert [a["type"] for a in suggestion["actions"]] == ["create"]
    assert suggestion["label"] == "Henvis til Pakkeforløp for sarkom"


def test_stop_order_at_the_mistanke_stage_orders_the_examination_not_a_referral(
    sarkom: Pathway,
) -> None:
    # Only the imaging stage is met (a deep lump, no MR yet): the biopsy is replaced by the MR,
    # and no pathway referral is offered (a false referral costs a hospital slot).
    biopsy = draft_json("biopsi-1", "Biopsi av kul i lår")
    hits = [hit(sarkom, "dyp_svulst", ev("DiagnosticReport/ul-1", 8, "UL: dyp svulst i lår"))]
    (card,) = render_many(
        [
            make(
                sarkom,
                "stop_order",
                hits,
                blocked_orders=("ServiceRequest/biopsi-1",),
                filter_tests=status(sarkom, {"mr_tumor": "missing"}),
                receivers=SARKOM_CENTRES,
                region="Helse Vest",
                stop_then="mistanke",
            )
        ],
        with_drafts(biopsy),
    )
    assert card["indicator"] == "critical"
    detail = card["detail"]
    assert "MR med tumorprotokoll — mangler" in detail
    assert "ennå ikke oppfylt" in detail
    assert "Helseregion" not in detail and "Mottaker" not in detail
    (suggestion,) = card["suggestions"]
    assert suggestion["label"] == "Slett bestillingen og bestill MR med tumorprotokoll"
    delete, create = suggestion["actions"]
    assert (delete["type"], delete["resourceId"]) == ("delete", "ServiceRequest/biopsi-1")
    assert create["type"] == "create"
    assert create["resource"]["code"]["text"] == "MR med tumorprotokoll"
    assert not is_referral(create["resource"])


@pytest.mark.parametrize("beneath", [None, "advice"])
def test_stop_order_without_criteria_beneath_only_asks_for_the_deletion(
    sarkom: Pathway, beneath: str | None
) -> None:
    # A child (advice: the paediatric department) or nothing else met: no referral to the adult
    # pathway is created, and a delete alone is not offered (checklist §4.3).
    advice_rule = next(r for r in sarkom.rules if r.outcome == "advice")
    (card,) = render_many(
        [
            make(
                sarkom,
                "stop_order",
                sarkom_hits(sarkom),
                blocked_orders=("ServiceRequest/biopsi-1",),
                stop_then=beneath,
                stop_then_rule=advice_rule.id if beneath else None,
            )
        ],
        with_drafts(draft_json("biopsi-1", "Biopsi av kul i lår")),
    )
    assert card["indicator"] == "critical"
    assert "- **Biopsi av kul i lår**" in card["detail"]
    assert "suggestions" not in card
    assert advice_rule.advice is not None
    instead = f"I stedet: **{advice_rule.advice.summary}**."
    assert (instead in card["detail"]) is (beneath == "advice")


# --- mistanke with imaging ------------------------------------------------------------------------


def test_mistanke_names_and_orders_the_examination(sarkom: Pathway) -> None:
    hits = [hit(sarkom, "dyp_svulst", ev("DiagnosticReport/ul-1", 8, "UL: dyp svulst i lår"))]
    # Both imaging tests are missing, but the rule is about the MR only.
    tests = status(sarkom, {"mr_tumor": "missing", "rtg_skjelett": "missing"})
    (card,) = render_many([make(sarkom, "mistanke", hits, filter_tests=tests)])
    assert card["indicator"] == "info"
    assert card["summary"] == "Mulig sarkom: bestill MR med tumorprotokoll"
    detail = card["detail"]
    assert detail.startswith("Bestill MR med tumorprotokoll.")
    assert "Undersøkelser som mangler eller er for gamle:" in detail
    assert "MR med tumorprotokoll — mangler" in detail
    assert "Røntgen av skjelett" not in detail
    (suggestion,) = card["suggestions"]
    assert suggestion["label"] == "Bestill MR med tumorprotokoll"
    assert suggestion["isRecommended"] is True
    (action,) = suggestion["actions"]
    order = action["resource"]
    assert order["category"] == [IMAGING_CATEGORY]
    assert IMAGING_CATEGORY["coding"][0]["code"] == "363679005"
    assert order["code"] == {
        "coding": [
            {
                "system": "http://snomed.info/sct",
                "code": "113091000",
                "display": "Magnetic resonance imaging",
            }
        ],
        "text": "MR med tumorprotokoll",
    }
    assert action["description"] == (
        "Bestill MR med tumorprotokoll (utkast til rekvisisjon, bildediagnostikk)"
    )
    assert "pakkeforløp for" not in json.dumps(order, ensure_ascii=False).lower()


def test_a_stale_examination_says_when_it_was_done(sarkom: Pathway) -> None:
    hits = [hit(sarkom, "dyp_svulst", ev("DiagnosticReport/ul-1", 8, "UL: dyp svulst i lår"))]
    tests = status(sarkom, {"mr_tumor": "stale"})
    (card,) = render_many([make(sarkom, "mistanke", hits, filter_tests=tests)])
    assert f"eldre enn 90 dager, sist utført {fmt_date(ago(95))}" in card["detail"]


# --- receivers ------------------------------------------------------------------------------------


def test_one_suggestion_per_receiver_the_patients_region_first(sarkom: Pathway) -> None:
    (card,) = render_many(
        [
            make(
                sarkom,
                "begrunnet",
                sarkom_hits(sarkom),
                receivers=SARKOM_CENTRES,
                region="Helse Vest",
            )
        ]
    )
    assert card["summary"] == "Begrunnet mistanke om sarkom: henvis til Pakkeforløp for sarkom"
    assert (
        "Helseregion: Helse Vest (fra adressen). Mottaker: **Haukeland universitetssykehus**; "
        "andre mulige mottakere: Oslo universitetssykehus, St. Olavs Hospital og "
        "Universitetssykehuset i Nord-Norge."
    ) in card["detail"]
    assert card["selectionBehavior"] == "at-most-one"
    suggestions = card["suggestions"]
    assert [s["label"] for s in suggestions] == [
        f"Henvis til Pakkeforløp for sarkom – {centre}" for centre in SARKOM_CENTRES
    ]
    assert [s["isRecommended"] for s in suggestions] == [True, False, False, False]
    assert len({s["uuid"] for s in suggestions}) == 4
    referrals = [s["actions"][0]["resource"] for s in suggestions]
    assert [r["performer"] for r in referrals] == [[{"display": c}] for c in SARKOM_CENTRES]
    assert len({r["id"] for r in referrals}) == 4
    assert (
        "Mottaker: Haukeland universitetssykehus (offentlig sykehus med sarkomsenter)"
        in referrals[0]["text"]["div"]
    )


def test_without_a_region_no_receiver_is_recommended(sarkom: Pathway) -> None:
    (card,) = render_many(
        [make(sarkom, "begrunnet", sarkom_hits(sarkom), receivers=SARKOM_CENTRES[:2])]
    )
    assert (
        "Helseregion: ikke funnet i adressen – velg mottaker: Haukeland universitetssykehus og "
        "Oslo universitetssykehus."
    ) in card["detail"]
    assert [s.get("isRecommended") for s in card["suggestions"]] == [False, False]


def test_receiver_suggestions_update_the_gps_draft(sarkom: Pathway) -> None:
    letter = draft_json("henv-1", "Henvisning ortopedi", referral=True)
    letter["performer"] = [{"reference": "Organization/ous", "display": "Oslo universitetssykehus"}]
    patient = with_drafts(letter)
    (card,) = render_many(
        [
            make(
                sarkom,
                "begrunnet",
                sarkom_hits(sarkom),
                receivers=SARKOM_CENTRES[:2],
                region="Helse Vest",
                draft_referral=draft_fact(letter, referral=True),
            )
        ],
        patient,
    )
    first, second = card["suggestions"]
    assert first["label"] == (
        "Oppdater henvisning: Pakkeforløp for sarkom – Haukeland universitetssykehus"
    )
    updates = [s["actions"][0] for s in (first, second)]
    assert [a["type"] for a in updates] == ["update", "update"]
    assert {a["resource"]["id"] for a in updates} == {"henv-1"}
    assert updates[0]["resource"]["performer"] == [{"display": "Haukeland universitetssykehus"}]
    # The draft already names Oslo: its own reference to it is kept.
    assert updates[1]["resource"]["performer"] == letter["performer"]
    assert "adresser det til Haukeland universitetssykehus" in updates[0]["description"]


# --- diagnostisk begrunnet ------------------------------------------------------------------------


def test_diagnostisk_begrunnet_lists_missing_tests_and_offers_them(diag: Pathway) -> None:
    tests = status(
        diag, {"crp": "missing", "hb": "stale", "psa": "missing", "temperatur": "missing"}
    )
    patient = facts(sex="female")  # PSA is for men over 50: never listed nor ordered here
    (card,) = render_many(
        [make(diag, "begrunnet", diag_hits(diag), filter_tests=tests)], patient, hook="patient-view"
    )
    assert card["indicator"] == "warning"
    assert card["summary"] == (
        "Begrunnet mistanke om alvorlig sykdom som kan være kreft: henvis til Diagnostisk "
        "pakkeforløp"
    )
    detail = card["detail"]
    assert "Før henvisning foreslås – dette mangler eller er for gammelt:" in detail
    assert "CRP — mangler" in detail
    assert f"Hemoglobin — eldre enn 30 dager, sist tatt {fmt_date(ago(35))}" in detail
    assert "PSA —" not in detail
    assert "Temperatur — mangler" in detail  # listed, but nothing to order it by
    assert card["selectionBehavior"] == "any"
    referral, orders = card["suggestions"]
    assert referral["isRecommended"] is True
    assert referral["label"] == "Opprett henvisning: Diagnostisk pakkeforløp"
    assert orders.get("isRecommended") is False
    assert orders["label"] == "Bestill manglende prøver"
    assert [a["resource"]["code"]["text"] for a in orders["actions"]] == ["Hemoglobin", "CRP"]
    resource = referral["actions"][0]["resource"]
    assert resource["code"]["coding"] == [
        {"system": PATHWAY_CODE_SYSTEM, "code": "C01", "display": "Diagnostisk pakkeforløp"}
    ]
    assert resource["code"]["text"] == "Diagnostisk pakkeforløp"
    assert resource["note"][0]["text"].startswith(
        "Begrunnet mistanke om alvorlig sykdom som kan være kreft: uforklarlig anemi"
    )
    for action in orders["actions"]:
        text = json.dumps(action["resource"], ensure_ascii=False)
        assert "Filterprøve ved mistanke om alvorlig sykdom som kan være kreft." in text
        assert "Diagnostisk pakkeforløp" not in text and not is_referral(action["resource"])


@pytest.mark.parametrize(
    ("sex", "age", "ordered"),
    [
        ("male", 60, True),
        ("male", 50, False),  # «menn > 50 år»
        ("female", 60, False),
        # Unknown sex or age: the condition cannot be shown, so no PSA is ordered (the one
        # definition, cds.evaluate.referral_state.applies; render no longer has its own).
        ("unknown", 60, False),
        ("other", 60, False),
        ("male", None, False),
    ],
)
def test_psa_is_ordered_only_for_a_man_over_50(
    diag: Pathway, sex: str, age: int | None, ordered: bool
) -> None:
    _, a = make(diag, "begrunnet", diag_hits(diag), filter_tests=status(diag, {"psa": "missing"}))
    patient = facts(sex=sex, age_years=age)
    orders = build_orders(
        decide(diag, a, patient, codebook()),
        patient,
        hook_instance="h",
        requester=None,
        today=ago(0),
    )
    assert [o["code"]["text"] for o in orders] == (["PSA"] if ordered else [])


def test_diagnostisk_begrunnet_with_every_test_taken_is_a_plain_referral(diag: Pathway) -> None:
    (card,) = render_many([make(diag, "begrunnet", diag_hits(diag), filter_tests=status(diag, {}))])
    assert card["selectionBehavior"] == "at-most-one"
    assert len(card["suggestions"]) == 1
    assert "Før henvisning foreslås" not in card["detail"]


# --- across the new cards -------------------------------------------------------------------------


def test_ids_are_unique_and_deterministic_across_a_busy_response(
    sarkom: Pathway, diag: Pathway, myelom: Pathway
) -> None:
    fobt = hit(diag, "fobt_positiv", ev("Observation/fobt-1", 3, "Feces for blod: positiv"))
    results = [
        make(myelom, "unsupported_referral", [], unmet=("M-komponent er ikke påvist",)),
        make(
            sarkom, "begrunnet", sarkom_hits(sarkom), receivers=SARKOM_CENTRES, region="Helse Vest"
        ),
        make(diag, "advice", [fobt]),
    ]
    first = render_many(results)
    assert [c["indicator"] for c in first] == ["warning", "warning", "info"]
    ids = ids_in(first)
    assert len(ids) == len(set(ids))
    assert render_many(results) == first
    ids_resources = [r["id"] for r in resources({"cards": first})]
    assert len(ids_resources) == len(set(ids_resources))


def test_a_merged_card_names_every_pathways_not_assessed_value(
    myelom: Pathway, diag: Pathway
) -> None:
    from cds.evaluate.model import NotAssessed

    tsh = NotAssessed("alarmerende_lab", "Alarmerende laboratorieprøve", "TSH 10.11.2026: «NaN»")
    cards = render_many(
        [
            make(myelom, "begrunnet", myelom_hits(myelom)),
            make(
                diag,
                "begrunnet",
                diag_hits(diag),
                not_assessed={"alarmerende_lab": tsh},
                open_outcome="begrunnet",
                deciding_not_assessed=("alarmerende_lab",),
            ),
        ]
    )
    detail = only(cards)["detail"]
    assert "**Alarmerende laboratorieprøve kunne ikke vurderes** – TSH 10.11.2026" in detail
