"""Where on the body a finding is, and whether two findings are at the same place.

The facts stage keeps a finding's *site text* (bodySite, method, notes; lower-cased) and an order's
normalised place (``cds.facts.sites``). The code book's ``body_sites``
(criteria/codes/body_sites.yaml) name coarse regions («lår», «rygg»), sides («venstre»,
«høyre») and groups of regions («underekstremitet»: «lår» lies within it) by regex. Two places are:

* **different** when both name a side and share none (left vs right thigh), or both name a region
  and share none (thigh vs back), or one names only a group and the other names no region or group
  of it (arm vs thigh);
* **the same** when both name a region, share one, and their sides do not differ;
* **unknown** otherwise: one of them names no region («venstre arm» vs «venstre underarm»: the arm
  may be the forearm; no place at all).

What «unknown» means is the caller's decision: two measurements of a lump without a recorded place
are taken as the same lump, an operation without a place is never «where the lump is», and a
draft biopsy without a place may be of the lump (``lump_places`` and the draft-order terms).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from cds.criteria.codebook import CodeBook
from cds.evaluate.model import FeatureHit
from cds.facts.model import PatientFacts, Place
from cds.facts.sites import place_of as _place_of

__all__ = ["Place", "lump_places", "place_label", "place_of", "same_place"]


def place_of(site: str, codebook: CodeBook) -> Place:
    """The regions, sides and groups ``site`` names; empty sets when it names none."""
    return _place_of(site, codebook)


def same_place(a: Place, b: Place) -> bool | None:
    """True (same region, sides agree), False (another region or group, or the other side),
    None (unknown)."""
    if a.sides and b.sides and not a.sides & b.sides:
        return False
    if a.regions and b.regions:
        return bool(a.regions & b.regions)
    if (a.groups and not a.regions and (b.regions or b.groups)) or (
        b.groups and not b.regions and (a.regions or a.groups)
    ):
        # One names only a limb: another limb, or a region outside it, is elsewhere.
        return None if a.groups & b.groups else False
    return None


def place_label(place: Place, codebook: CodeBook) -> str:
    """«venstre lår», «rygg», «lår/legg»; "" when no region is named."""
    if not place.regions:
        return ""
    # Code-book order, so that the text does not depend on set iteration order.
    regions = "/".join(
        codebook.body_sites[k].label for k in codebook.body_sites if k in place.regions
    )
    if len(place.sides) == 1:
        (side,) = place.sides
        return f"{codebook.body_sites[side].label} {regions}"
    return regions


def lump_places(
    hits: Mapping[str, FeatureHit],
    feature_ids: Iterable[str],
    facts: PatientFacts,
    codebook: CodeBook,
) -> dict[str, tuple[Place, ...]]:
    """Per present feature of ``feature_ids``: the places its evidence names, without repeats.

    Per evidence reference: an Observation's site text, a Condition's text and site text (the GP
    often writes «Kul venstre lår» as the diagnosis text only), an operation's site text, and for a
    report its title and the clause the evidence quotes («MR venstre lår: «... tumor ...»»).
    Evidence that names no place is left out: it is taken to be about one of the lumps whose place
    is recorded. A feature none of whose evidence names a place gets () (its place is unknown).
    """
    wanted = [f for f in dict.fromkeys(feature_ids) if f in hits]
    if not wanted:
        return {}
    sites = _site_texts(facts)
    places: dict[str, tuple[Place, ...]] = {}
    for feature_id in wanted:
        found: dict[Place, None] = {}
        for evidence in hits[feature_id].evidence:
            text = sites.get(evidence.ref, "")
            if evidence.ref.startswith("DiagnosticReport/"):
                text = f"{text}\n{evidence.quote.lower()}"
            place = place_of(text, codebook)
            if place.named:
                found[place] = None
        places[feature_id] = tuple(found)
    return places


def _site_texts(facts: PatientFacts) -> dict[str, str]:
    """ref -> site text of every lab result, condition, record order and report (its title)."""
    texts: dict[str, str] = {}
    for results in facts.labs.values():
        for result in results:
            if result.site:
                texts[result.ref] = result.site
    for condition in facts.conditions:
        joined = "\n".join(t for t in (condition.text.lower(), condition.site) if t)
        if joined:
            texts[condition.ref] = joined
    for order in facts.orders:
        if order.site:
            texts[order.ref] = order.site
    for report in facts.reports:
        if report.title:
            texts[report.ref] = report.title.lower()
    return texts
