"""The links under a card: at most three, each labelled by what it is.

A card is read in seconds; six links (a merged card used to carry every pathway's) are a list
nobody reads. The order says what a GP needs most: the pathway page of each pathway the card is
about (the recommended one first), then the pathways' guideline and related pages in criteria-file
order, and the hospitals' registration guidance (the Metodebok page under «Det skal registreres»,
kind ``registration``) last. Labels come from the criteria file (``source.links[].label``), which
names the kind of page, not only the pathway.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence

from cds.cdshooks import Link
from cds.criteria.schema import Pathway

MAX_LINKS = 3


def card_links(pathways: Sequence[Pathway], rules: Collection[str | None] = ()) -> list[Link]:
    """At most :data:`MAX_LINKS` absolute links for a card about ``pathways`` (lead first), decided
    by ``rules`` (a link listing rules is shown only on their cards)."""
    out: list[Link] = []
    seen: set[str] = set()
    for label, url in _candidates(pathways, frozenset(r for r in rules if r)):
        if url in seen:
            continue
        seen.add(url)
        out.append(Link(label=label, url=url, type="absolute"))
        if len(out) == MAX_LINKS:
            break
    return out


def _candidates(pathways: Sequence[Pathway], rules: frozenset[str]) -> Iterator[tuple[str, str]]:
    for pathway in pathways:
        yield pathway.source.label, pathway.source.url
    for registration in (False, True):
        for pathway in pathways:
            for link in pathway.source.links:
                if link.rules and not rules.intersection(link.rules):
                    continue
                if (link.kind == "registration") == registration:
                    yield link.label, link.url
