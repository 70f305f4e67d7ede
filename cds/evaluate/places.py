"""Where on the body a finding is, and whether two findings are at the same place.

The facts stage keeps a finding's *site text* (bodySite, method, notes; lower-cased). The code
book's ``body_sites`` (criteria/codes/body_sites.yaml) name coarse regions («lår», «rygg») and sides
(«venstre», «høyre») by regex. Two places are:

* **different** when both name a side and share none (left vs right thigh), or both name a region
  and share none (thigh vs back);
* **the same** when both name a region, share one, and their sides do not differ;
* **unknown** otherwise: one of them names no region.

What «unknown» means is the caller's decision: two measurements of a lump without a recorded place
are taken as the same lump, but an operation without a place is never «where the lump is».
"""

from __future__ import annotations

from dataclasses import dataclass

from cds.criteria.schema import CodeBook
from cds.evaluate.common import regexes


@dataclass(frozen=True, slots=True)
class Place:
    """The body regions and sides a site text names (ids from CodeBook.body_sites)."""

    regions: frozenset[str]
    sides: frozenset[str]


def place_of(site: str, codebook: CodeBook) -> Place:
    """The regions and sides ``site`` names; empty sets when it names none."""
    regions: set[str] = set()
    sides: set[str] = set()
    if site:
        for key, body_site in codebook.body_sites.items():
            if any(p.search(site) for p in regexes(body_site.patterns)):
                (regions if body_site.kind == "region" else sides).add(key)
    return Place(frozenset(regions), frozenset(sides))


def same_place(a: Place, b: Place) -> bool | None:
    """True (same region, sides agree), False (another region or the other side), None (unknown)."""
    if a.sides and b.sides and not a.sides & b.sides:
        return False
    if a.regions and b.regions:
        return bool(a.regions & b.regions)
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
