"""Where a finding is: the lower-cased «site text» of an Observation or a Condition.

Tumour-size criteria depend on where and how deep a lump lies («dyp», «under fascien»,
«subkutan», «lyske», «lår»). Records carry that in ``bodySite`` (text and coding displays), in
Observation ``method`` (an ultrasound or MR measurement often says «dyp» there) and in free-text
notes (record-conventions.md «Diagnoses, symptoms and findings»: tumour size «with bodySite»).
The parts are joined with line breaks so that a site pattern cannot match across two of them.

``place_of`` normalises a site text (and bodySite codes) into a ``Place``: the body regions, sides
and region groups of ``CodeBook.body_sites`` (criteria/codes/body_sites.yaml) it names. Lumps are
placed from their site text at evaluation (``cds.evaluate.places``); an order's place is read
here, from its own fields (``order_place``), because an order says where in several of them.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from cds.criteria.codebook import BodySite, CodeBook
from cds.facts import fhirjson as fj
from cds.facts.codes import CodeMatcher, codes_of
from cds.facts.model import NO_PLACE, Code, Place


def site_text(resource: dict[str, Any], *, with_method: bool) -> str:
    """bodySite texts/displays, ``method`` texts (when ``with_method``) and note texts, lower-cased.

    "" when the resource says nothing about a site; duplicates (a display repeated as text, the
    same note twice) are dropped, order is kept.
    """
    # Most Observations have none of the three: answer without building lists (hot path).
    if "bodySite" not in resource and "note" not in resource:
        if not with_method or "method" not in resource:
            return ""
    parts = fj.concept_texts(resource.get("bodySite"))
    if with_method:
        parts.extend(fj.concept_texts(resource.get("method")))
    parts.extend(fj.note_texts(resource))
    if not parts:
        return ""
    return "\n".join(dict.fromkeys(part.lower() for part in parts))


@lru_cache(maxsize=256)
def _reader(site: BodySite) -> tuple[tuple[re.Pattern[str], ...], CodeMatcher | None]:
    """Compiled patterns and code matcher of one body site (criteria models are hashable)."""
    patterns = tuple(re.compile(p, re.IGNORECASE) for p in site.patterns)
    return patterns, (CodeMatcher(site.codes) if site.codes else None)


def place_of(site: str, codebook: CodeBook, codes: frozenset[Code] = frozenset()) -> Place:
    """The regions, sides and groups ``site`` (or one of the bodySite ``codes``) names."""
    if not site and not codes:
        return NO_PLACE
    found: dict[str, set[str]] = {"region": set(), "side": set(), "group": set()}
    for key, body_site in codebook.body_sites.items():
        patterns, matcher = _reader(body_site)
        if (site and any(p.search(site) for p in patterns)) or (
            matcher is not None and codes and matcher.matches(codes)
        ):
            found[body_site.kind].add(key)
    groups = found["group"] | {
        within for key in found["region"] if (within := codebook.body_sites[key].within) is not None
    }
    if not (found["region"] or found["side"] or groups):
        return NO_PLACE
    return Place(frozenset(found["region"]), frozenset(found["side"]), frozenset(groups))


# The order fields that may say where (besides bodySite), in the order they are read.
_ORDER_PLACE_FIELDS = ("code", "orderDetail", "reasonCode")


def order_place(resource: dict[str, Any], codebook: CodeBook) -> Place:
    """Where an order (ServiceRequest/Procedure) is about.

    The coded bodySite decides when it names a region (the structured place is the one the GP
    chose); otherwise every place named by the bodySite, the code, orderDetail and reasonCode texts
    and the notes counts (a text naming two places names both; the evaluator's comparison then
    errs towards «may be the same place»).
    """
    body_codes = codes_of(resource.get("bodySite"))
    body_text = "\n".join(t.lower() for t in fj.concept_texts(resource.get("bodySite")))
    coded = place_of(body_text, codebook, body_codes)
    if coded.regions:
        return coded
    parts = [body_text] if body_text else []
    for key in _ORDER_PLACE_FIELDS:
        parts.extend(t.lower() for t in fj.concept_texts(resource.get(key)))
    parts.extend(t.lower() for t in fj.note_texts(resource))
    return place_of("\n".join(dict.fromkeys(parts)), codebook, body_codes)
