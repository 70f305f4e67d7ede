"""Cards per outcome: indicator, summary, detail, suggestions, ids, source and links."""

from __future__ import annotations

import dataclasses
import re
from typing import Any

import conformance
import pytest
from fhir.resources.R4B.servicerequest import ServiceRequest
from markdown_it import MarkdownIt
from render_support import (
    HB_TEXT,
    HOOK_INSTANCE,
    TODAY,
    USER,
    acute_hits,
    ago,
    assessment,
    begrunnet_hits,
    draft_order,
    draft_resource,
    ev,
    facts,
    filter_status,
    hit,
    plan,
    rich_facts,
    rule_features,
)

from cds.cdshooks import Card, dump
from cds.criteria.codebook import CodeBook
from cds.criteria.schema import Pathway
from cds.evaluate.model import Assessment
from cds.facts.model import OrderFact, PatientFacts
from cds.hooks import HookName
from cds.profile import load_profile, validate_profile
from cds.render.cards import render_cards
from cds.render.format import PATHWAY_CODE_SYSTEM, disease_of, fmt_date, lower_first

OVERRIDE_SYSTEM = "http://pakkeforlop-cds.no/fhir/CodeSystem/override-reason"


def render(
    pathway: Pathway,
    codebook: CodeBook,
    *assessments: Assessment,
    patient: PatientFacts | None = None,
    hook_instance: str = HOOK_INSTANCE,
    disabled: frozenset[str] = frozenset(),
) -> list[dict[str, Any]]:
    patient = patient or rich_facts(pathway)
    cards = render_cards(
        plan([(pathway, a) for a in assessments], patient, codebook),
        patient,
        hook="order-select",
        hook_instance=hook_instance,
        user_ref=USER,
        today=TODAY,
        disabled=disabled,
    )
    assert all(isinstance(c, Card) for c in cards)
    dumped = [dump(c) for c in cards]
    conformance.assert_conformant({"cards": dumped})  # spec rules, length budget, link count
    return dumped


def only(cards: list[dict[str, Any]]) -> dict[str, Any]:
    assert len(cards) == 1
    return cards[0]


def assert_common(card: dict[str, Any], pathway: Pathway) -> None:
    """What every card must carry, whatever the outcome."""
    assert 0 < len(card["summary"]) <= 139
    assert disease_of(pathway.title).lower() in card["summary"].lower()
    assert card["source"]["label"] == pathway.source.label
    assert card["source"]["url"] == pathway.source.url
    assert card["source"]["topic"] == {
        "system": PATHWAY_CODE_SYSTEM,
        "code": pathway.code,
        "display": pathway.title,
    }
    urls = [link["url"] for link in card["links"]]
    assert urls[0] == pathway.source.url
    # At most three links; guidance for the GP before the hospitals' registration guidance.
    assert len(urls) <= 3
    links = pathway.source.links
    ordered = [link.url for link in links if link.kind != "registration"]
    ordered += [link.url for link in links if link.kind == "registration"]
    assert urls[1:] == ordered[:2]
    assert all(link["type"] == "absolute" and "appContext" not in link for link in card["links"])
    first = pathway.times[0]
    if card["summary"].startswith("Begrunnet"):
        # Referral cards state the first pathway time once; the letter carries the rest.
        assert card["detail"].count(f"{lower_first(first.label)} {first.time}") == 1
    elif card["summary"].startswith("Akutt"):
        # The acute card states the source's acute time, not the pathway's first-visit time.
        assert first.time not in card["detail"]
        assert all(t.time in card["detail"] for t in pathway.acute_times)
    elif card["indicator"] != "critical":
        assert first.time not in card["detail"]
    for later in pathway.times[1:]:
        assert later.time not in card["detail"]
    assert ("suggestions" in card) == ("selectionBehavior" in card)
    # GitHub-flavoured Markdown without HTML: nothing in the detail renders as a tag.
    html = MarkdownIt("commonmark", {"html": True}).render(card["detail"])
    tags = set(re.findall(r"<(\w+)", html))
    assert tags <= {"p", "ul", "li", "strong", "blockquote", "em"}


def assert_valid_service_request(resource: dict[str, Any], *, profile: bool) -> None:
    ServiceRequest.model_validate(resource)
    if profile:
        assert validate_profile(resource, load_profile()) == []


def override_codes(card: dict[str, Any]) -> list[str]:
    return [r["code"] for r in card.get("overrideReasons", [])]


# --- begrunnet ------------------------------------------------------------------------------


def test_begrunnet_card_suggests_a_new_referral(pathway: Pathway, codebook: CodeBook) -> None:
    a = assessment(
        pathway,
        "begrunnet",
        begrunnet_hits(pathway),
        missing_content=("frailty",),
        notes=("Ukjent enhet for kalsium – verdien er ikke brukt.",),
    )
    card = only(render(pathway, codebook, a))
    assert_common(card, pathway)
    assert card["indicator"] == "warning"
    assert card["summary"] == (
        f"Begrunnet mistanke om {disease_of(pathway.title)}: henvis til {pathway.referral.label}"
    )
    detail = card["detail"]
    assert "Kriteriene for begrunnet mistanke er oppfylt:" in detail
    assert f"— {HB_TEXT} — {fmt_date(ago(20))}" in detail
    assert "er ikke oppdatert – legg en ny vurdering til i henvisningen." in detail
    assert "Merk: Ukjent enhet for kalsium" in detail
    assert override_codes(card) == ["already-referred", "patient-declines", "criteria-not-met"]
    assert {r["system"] for r in card["overrideReasons"]} == {OVERRIDE_SYSTEM}
    assert card["selectionBehavior"] == "at-most-one"
    (suggestion,) = card["suggestions"]
    assert suggestion["isRecommended"] is True
    assert suggestion["label"] == f"Opprett henvisning: {pathway.referral.label}"
    (action,) = suggestion["actions"]
    assert action["type"] == "create"
    assert action["description"].startswith("Opprett utkast til henvisning")
    resource = action["resource"]
    assert resource["priority"] == "urgent"
    assert resource["requester"] == {"reference": USER}
    assert_valid_service_request(resource, profile=True)


def test_begrunnet_card_updates_the_draft_referral_in_place(
    pathway: Pathway, codebook: CodeBook
) -> None:
    order = draft_order()
    patient = rich_facts(pathway)
    patient = facts(
        **{
            **_fields(patient),
            "draft_orders": (order,),
            "draft_resources": {order.ref: draft_resource()},
        }
    )
    a = assessment(pathway, "begrunnet", begrunnet_hits(pathway), draft_referral=order)
    card = only(render(pathway, codebook, a, patient=patient))
    (suggestion,) = card["suggestions"]
    assert suggestion["label"] == f"Oppdater henvisning: {pathway.referral.label}"
    (action,) = suggestion["actions"]
    assert action["type"] == "update"
    resource = action["resource"]
    assert resource["id"] == "utkast-1"
    # The whole resource: the draft's own elements are kept beside ours.
    assert resource["performer"] == draft_resource()["performer"]
    assert {"text": "Pasienten er sliten og har ryggsmerter."} in resource["note"]
    assert resource["code"]["text"] == pathway.referral.label
    codes = {(c["system"], c["code"]) for c in resource["code"]["coding"]}
    assert (PATHWAY_CODE_SYSTEM, pathway.code) in codes
    assert ("http://ehr.example/henvisningstype", "HEM") in codes
    refs = [r["reference"] for r in resource["reasonReference"]]
    assert len(refs) == len(set(refs)) and "Observation/hb-1" in refs
    assert_valid_service_request(resource, profile=True)


def test_draft_named_but_not_in_the_request_gives_a_create(
    pathway: Pathway, codebook: CodeBook
) -> None:
    a = assessment(pathway, "begrunnet", begrunnet_hits(pathway), draft_referral=draft_order())
    action = only(render(pathway, codebook, a))["suggestions"][0]["actions"][0]
    assert action["type"] == "create"


def test_draft_that_cannot_be_made_valid_falls_back_to_create(
    pathway: Pathway, codebook: CodeBook
) -> None:
    order = draft_order()
    broken = {**draft_resource(), "occurrenceDateTime": "i morgen"}  # not a FHIR dateTime
    patient = facts(draft_orders=(order,), draft_resources={order.ref: broken})
    a = assessment(pathway, "begrunnet", begrunnet_hits(pathway), draft_referral=order)
    action = only(render(pathway, codebook, a, patient=patient))["suggestions"][0]["actions"][0]
    assert action["type"] == "create"
    assert action["resource"]["id"] != "utkast-1"


# --- acute ----------------------------------------------------------------------------------


def test_acute_card_is_critical_and_suggests_an_asap_referral(
    pathway: Pathway, codebook: CodeBook
) -> None:
    hits = acute_hits(pathway)
    card = only(render(pathway, codebook, assessment(pathway, "acute", hits)))
    assert_common(card, pathway)
    assert card["indicator"] == "critical"
    assert card["summary"].startswith("Akutt:")
    assert "henvis telefonisk for akutt innleggelse" in card["summary"]
    _, alternatives = rule_features(pathway, "acute")
    acute_label = pathway.features[alternatives[0]].label
    assert lower_first(acute_label.split(",")[0]) in card["summary"]
    if pathway.referral.acute_instruction:
        assert pathway.referral.acute_instruction in card["detail"]
    for time in pathway.acute_times:
        assert time.time in card["detail"]
    assert fmt_date(ago(2)) in card["detail"]  # the acute finding, dated
    (suggestion,) = card["suggestions"]
    (action,) = suggestion["actions"]
    assert action["resource"]["priority"] == "asap"
    assert_valid_service_request(action["resource"], profile=True)
    assert override_codes(card)


def test_acute_card_when_already_referred_has_no_new_referral(
    pathway: Pathway, codebook: CodeBook
) -> None:
    referred = OrderFact(
        ref="ServiceRequest/sendt-1",
        resource_type="ServiceRequest",
        when=ago(4),
        status="active",
        is_referral=True,
        codes=frozenset(),
        labels=(pathway.referral.label.lower(),),
    )
    a = assessment(pathway, "acute", acute_hits(pathway), already_referred=referred)
    card = only(render(pathway, codebook, a))
    assert_common(card, pathway)
    assert card["indicator"] == "critical"
    assert f"Henvist til pakkeforløp {fmt_date(ago(4))}" in card["detail"]
    assert "suggestions" not in card and "selectionBehavior" not in card


# --- mistanke -------------------------------------------------------------------------------


def test_mistanke_card_names_missing_and_stale_tests_and_orders_them(
    pathway: Pathway, codebook: CodeBook
) -> None:
    tests = pathway.filter_tests
    missing, stale, ok = tests[0], tests[1], tests[2]
    status = filter_status(pathway, {missing.id: "missing", stale.id: "stale"})
    _, alternatives = rule_features(pathway, "mistanke")
    hits = [hit(pathway, alternatives[0], ev("Observation/hb-1", 20, HB_TEXT))]
    card = only(
        render(pathway, codebook, assessment(pathway, "mistanke", hits, filter_tests=status))
    )
    assert_common(card, pathway)
    assert card["indicator"] == "info"
    assert card["summary"] == (
        f"Mulig {disease_of(pathway.title)}: ta filterprøvene før du vurderer henvisning"
    )
    detail = card["detail"]
    assert f"{missing.label} — mangler" in detail
    assert (
        f"{stale.label} — eldre enn {stale.max_age_days} dager, sist tatt "
        f"{fmt_date(ago(stale.max_age_days + 10))}"
    ) in detail
    assert f"{ok.label} —" not in detail
    # The filter-test citation is quoted once, with its section.
    quotes = [line for line in detail.splitlines() if line.startswith(">")]
    assert len(quotes) == 1
    assert f"«{missing.cite.section}»" in quotes[0]
    (suggestion,) = card["suggestions"]
    assert suggestion["label"] == "Bestill manglende prøver"
    assert card["selectionBehavior"] == "at-most-one"
    orders = [a["resource"] for a in suggestion["actions"]]
    assert [a["type"] for a in suggestion["actions"]] == ["create", "create"]
    assert [o["code"]["text"] for o in orders] == [missing.label, stale.label]
    for order in orders:
        assert_valid_service_request(order, profile=False)


def test_mistanke_without_missing_tests_suggests_nothing(
    pathway: Pathway, codebook: CodeBook
) -> None:
    hits = begrunnet_hits(pathway)[-1:]
    a = assessment(pathway, "mistanke", hits, filter_tests=filter_status(pathway, {}))
    card = only(render(pathway, codebook, a))
    assert_common(card, pathway)
    assert "suggestions" not in card and "overrideReasons" not in card


# --- not_met and unsupported_referral -------------------------------------------------------


def test_not_met_card_explains_what_is_missing(pathway: Pathway, codebook: CodeBook) -> None:
    base = begrunnet_hits(pathway)[:1]
    a = assessment(
        pathway, "not_met", base, unmet=("Ingen tilleggsfunn (anemi, skjelettsmerter …)",)
    )
    card = only(render(pathway, codebook, a))
    assert_common(card, pathway)
    assert card["indicator"] == "info"
    assert pathway.title in card["summary"] and "ikke oppfylt" in card["summary"]
    assert card["summary"].startswith(f"{base[0].label} uten tilleggsfunn:")
    assert "Ingen tilleggsfunn (anemi, skjelettsmerter …)" in card["detail"]
    assert base[0].label in card["detail"]
    assert "suggestions" not in card and "overrideReasons" not in card


def test_unsupported_referral_card_warns_without_suggestion(
    pathway: Pathway, codebook: CodeBook
) -> None:
    a = assessment(pathway, "unsupported_referral", [], unmet=("M-komponent er ikke påvist",))
    card = only(render(pathway, codebook, a))
    assert_common(card, pathway)
    assert card["indicator"] == "warning"
    assert card["summary"] == (
        f"Henvisningen er merket «{pathway.referral.label}», men kriteriene er ikke oppfylt"
    )
    assert "M-komponent er ikke påvist" in card["detail"]
    assert "suggestions" not in card
    assert override_codes(card)


# --- across outcomes ------------------------------------------------------------------------


def test_disabled_outcomes_and_no_outcome_give_no_card(
    pathway: Pathway, codebook: CodeBook
) -> None:
    a = assessment(pathway, "begrunnet", begrunnet_hits(pathway))
    assert render(pathway, codebook, a, disabled=frozenset({"begrunnet"})) == []
    assert len(render(pathway, codebook, a, disabled=frozenset({"mistanke"}))) == 1
    assert render(pathway, codebook, assessment(pathway, None, [])) == []


def test_cards_are_ordered_critical_warning_info(pathway: Pathway, codebook: CodeBook) -> None:
    # One pathway with several outcomes (never from evaluate, which gives one): acute beats the
    # others (docs/architecture.md «Several pathways»), so order is checked without it.
    info = assessment(pathway, "not_met", begrunnet_hits(pathway)[:1])
    warning = assessment(pathway, "unsupported_referral", [], unmet=("Mangler M-komponent",))
    cards = render(pathway, codebook, info, warning)
    assert [c["indicator"] for c in cards] == ["warning", "info"]
    assert len({c["uuid"] for c in cards}) == 2
    critical = assessment(pathway, "acute", acute_hits(pathway))
    assert [c["indicator"] for c in render(pathway, codebook, info, warning, critical)] == [
        "critical"
    ]


def test_ids_are_deterministic_per_hook_instance(pathway: Pathway, codebook: CodeBook) -> None:
    a = assessment(pathway, "begrunnet", begrunnet_hits(pathway))
    first = only(render(pathway, codebook, a))
    assert only(render(pathway, codebook, a)) == first
    other = only(render(pathway, codebook, a, hook_instance="0b8c3b4e-other"))

    def ids(card: dict[str, Any]) -> list[str]:
        suggestion = card["suggestions"][0]
        return [card["uuid"], suggestion["uuid"], suggestion["actions"][0]["resource"]["id"]]

    assert all(re.fullmatch(r"[0-9a-f-]{36}", i) for i in ids(first))
    assert len(set(ids(first))) == 3
    assert not set(ids(first)) & set(ids(other))


def test_record_text_is_escaped_in_the_detail(pathway: Pathway, codebook: CodeBook) -> None:
    hits = begrunnet_hits(pathway)
    hits.append(hit(pathway, "fritekst", ev("Observation/x", 3, "<img src=x onerror=alert(1)> **")))
    card = only(render(pathway, codebook, assessment(pathway, "begrunnet", hits)))
    html = MarkdownIt("commonmark", {"html": True}).render(card["detail"])
    assert "<img" not in html and "&lt;img" in html


def test_long_names_still_fit_the_summary(pathway: Pathway, codebook: CodeBook) -> None:
    long_title = "Pakkeforløp for " + "svært sjelden sykdom " * 8
    long = pathway.model_copy(
        update={
            "title": long_title,
            "referral": pathway.referral.model_copy(update={"label": long_title}),
        }
    )
    for outcome in ("begrunnet", "not_met", "unsupported_referral"):
        card = only(render(long, codebook, assessment(long, outcome, begrunnet_hits(pathway))))
        assert len(card["summary"]) <= 139


@pytest.mark.parametrize("hook", ["patient-view", "order-select", "order-sign"])
def test_every_hook_renders(pathway: Pathway, codebook: CodeBook, hook: HookName) -> None:
    cards = render_cards(
        plan([(pathway, assessment(pathway, "begrunnet", begrunnet_hits(pathway)))], facts()),
        facts(),
        hook=hook,
        hook_instance=HOOK_INSTANCE,
        user_ref=None,
        today=TODAY,
        disabled=frozenset(),
    )
    resource = dump(cards[0])["suggestions"][0]["actions"][0]["resource"]
    assert "requester" not in resource  # no userId: no requester, still profile-valid
    assert_valid_service_request(resource, profile=True)


def _fields(patient: PatientFacts) -> dict[str, Any]:
    return {f.name: getattr(patient, f.name) for f in dataclasses.fields(patient) if f.init}


def test_every_outcome_passes_the_suite_conformance_check(
    pathway: Pathway, codebook: CodeBook
) -> None:
    """The whole response, checked by the suite's independent CDS Hooks checker."""
    stale = pathway.filter_tests[0].id
    assessments = [
        assessment(pathway, "acute", acute_hits(pathway)),
        assessment(pathway, "begrunnet", begrunnet_hits(pathway), missing_content=("frailty",)),
        assessment(
            pathway,
            "mistanke",
            begrunnet_hits(pathway)[-1:],
            filter_tests=filter_status(pathway, {stale: "stale"}),
        ),
        assessment(pathway, "not_met", begrunnet_hits(pathway)[:1], unmet=("Mangler funn",)),
        assessment(pathway, "unsupported_referral", [], unmet=("Mangler M-komponent",)),
    ]
    # Rendered one by one: together, the policy would keep only the acute card.
    cards = [only(render(pathway, codebook, a)) for a in assessments]
    conformance.assert_conformant({"cards": cards})


def test_missing_versus_outdated_frailty(pathway: Pathway, codebook: CodeBook) -> None:
    a = assessment(pathway, "begrunnet", begrunnet_hits(pathway), missing_content=("frailty",))
    without = only(render(pathway, codebook, a, patient=facts()))["detail"]
    assert "mangler i journalen – legg den til i henvisningen." in without
    old = only(render(pathway, codebook, a))["detail"]  # rich_facts has an old score
    assert "er ikke oppdatert – legg en ny vurdering til i henvisningen." in old


def test_a_referral_bug_drops_the_suggestion_not_the_card(
    pathway: Pathway, codebook: CodeBook, monkeypatch: pytest.MonkeyPatch
) -> None:
    import cds.render.suggestions as suggestions_module
    from cds.render.referral import RenderError

    def broken(*args: object, **kwargs: object) -> dict[str, Any]:
        raise RenderError("ServiceRequest invalid at code")

    monkeypatch.setattr(suggestions_module, "build_referral", broken)
    card = only(render(pathway, codebook, assessment(pathway, "acute", acute_hits(pathway))))
    assert card["indicator"] == "critical"
    assert "suggestions" not in card and "overrideReasons" not in card
