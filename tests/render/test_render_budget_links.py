"""Length budgets (cds.render.budget) and links (cds.render.links): what is dropped first, that
Markdown lines are never cut, at most three links with registration guidance last."""

from __future__ import annotations

import pytest

from cds.criteria.schema import LinkInfo, Pathway
from cds.render.budget import DETAIL_BUDGET, Part, fit
from cds.render.links import MAX_LINKS, card_links
from cds.render.registration import CARD_TYPES as REGISTRATION_CARD_TYPES
from cds.settings import ALL_CARD_TYPES


def test_everything_fits_unchanged() -> None:
    assert fit(["a", Part("b", 3), "", Part("", 2)], 100) == "a\n\nb"


def test_highest_rank_goes_first_then_the_later_of_equal_rank() -> None:
    parts = ["x" * 10, Part("quote" * 4, 4), Part("first", 1), Part("second", 1)]
    assert fit(parts, 35) == "x" * 10 + "\n\nfirst\n\nsecond"
    assert fit(parts, 20) == "x" * 10 + "\n\nfirst"
    assert fit(parts, 10) == "x" * 10


def test_essential_parts_over_budget_are_cut_at_whole_lines() -> None:
    text = "Funn:\n\n" + "\n".join(f"- **Funn {i}** — verdi {i}" for i in range(40))
    out = fit([text], 200)
    assert len(out) <= 200
    assert out.endswith("\n\n…")
    kept = out[: -len("\n\n…")].split("\n")
    assert all(line in text.split("\n") for line in kept)  # no line cut in the middle


def test_every_card_type_has_a_budget_and_single_cards_the_smallest() -> None:
    # Every card type a site can switch off, plus the merged card of several pathways and the
    # registration service's cards.
    # («followup_not_due» is a switch for one kind of the followup card, not a card type.)
    card_types = ALL_CARD_TYPES - {"followup_not_due"}
    assert set(DETAIL_BUDGET) == card_types | {"begrunnet_group"} | REGISTRATION_CARD_TYPES
    assert DETAIL_BUDGET["acute"] == DETAIL_BUDGET["mistanke"] == 700
    assert DETAIL_BUDGET["begrunnet_group"] > DETAIL_BUDGET["begrunnet"]


def _with_links(pathway: Pathway, links: list[LinkInfo]) -> Pathway:
    return pathway.model_copy(
        update={"source": pathway.source.model_copy(update={"links": tuple(links)})}
    )


REG = LinkInfo(label="Metodebok: registrering", url="https://example.org/reg", kind="registration")
GUIDE = [
    LinkInfo(label=f"Veileder {i}", url=f"https://example.org/g{i}", kind="guideline")
    for i in range(3)
]


@pytest.mark.parametrize("count", [0, 1, 2, 3])
def test_at_most_three_links_registration_last(pathway: Pathway, count: int) -> None:
    links = card_links([_with_links(pathway, [REG, *GUIDE[:count]])])
    urls = [link.url for link in links]
    assert len(urls) == min(MAX_LINKS, count + 2)
    assert urls[0] == pathway.source.url
    assert urls[1 : 1 + min(count, 2)] == [g.url for g in GUIDE[: min(count, 2)]]
    assert (REG.url in urls) == (count <= 1)
    assert all(link.type == "absolute" for link in links)


def test_a_merged_card_links_each_pathway_page_first(pathway: Pathway) -> None:
    other = pathway.model_copy(
        update={
            "source": pathway.source.model_copy(
                update={"url": "https://example.org/annen", "links": tuple(GUIDE)}
            )
        }
    )
    urls = [link.url for link in card_links([_with_links(pathway, [REG]), other])]
    assert urls == [pathway.source.url, "https://example.org/annen", GUIDE[0].url]


def test_the_same_url_is_linked_once(pathway: Pathway) -> None:
    same = LinkInfo(label="Igjen", url=pathway.source.url)
    assert len(card_links([_with_links(pathway, [same])])) == 1


def test_repository_links_say_what_they_are(repo_registry) -> None:  # type: ignore[no-untyped-def]
    for p in repo_registry.pathways:
        for link in p.source.links:
            if "metodebok" in link.url:
                # The Metodebok page under «Det skal registreres» is registration guidance.
                assert link.kind == "registration"
                assert "registrering" in link.label.lower()
        assert len(card_links([p])) <= MAX_LINKS


def test_a_link_tied_to_rules_shows_only_on_their_cards(pathway: Pathway) -> None:
    rule = pathway.rules[0].id
    tied = LinkInfo(label="Bare for regelen", url="https://example.org/regel", rules=(rule,))
    tagged = _with_links(pathway, [tied])
    assert "https://example.org/regel" in [lk.url for lk in card_links([tagged], [rule])]
    assert "https://example.org/regel" not in [lk.url for lk in card_links([tagged], [None])]
    assert "https://example.org/regel" not in [lk.url for lk in card_links([tagged], ["annen"])]
