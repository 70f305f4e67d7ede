"""Which receiving units fit a referral, the one serving the patient's health region first.

A pathway may name receivers (sarcoma centres) with the health regions they serve and the kinds
of referral they take. The patient's region comes from the home address (``PatientFacts``):

* the **county** (``address.state``) is looked up in ``CodeBook.regions[*].counties``, ignoring
  case, the word «fylke» («Vestland fylke») and a trailing Sami/Kven name after a dash
  («Troms - Romsa - Tromssa»);
* else (no county, or one no region lists) the **postal code**: the region with the longest
  matching ``postal_prefixes`` entry wins, so a specific «7» in one region and «79» in another
  both work.

Receivers are chosen when the deciding rule names a ``receiver_kind`` (those whose ``kinds`` hold
it, or that take every kind), or — without one — for the outcomes that lead to a referral
(acute, begrunnet, stop_order: every receiver fits). Other outcomes (mistanke, advice, ...) get
none: a «choose a receiver» note on a card that suggests no referral would only confuse. Without
a region the file order is kept and a note asks the GP to choose.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from cds.criteria.codebook import CodeBook, Region
from cds.criteria.schema import Outcome, Pathway, Rule
from cds.evaluate.model import Words
from cds.facts.model import PatientFacts
from cds.wording.message import msg

NO_REGION_NOTE = msg("receiver.no_region")
_REFERRAL_OUTCOMES: frozenset[Outcome] = frozenset({"acute", "begrunnet", "stop_order"})
_COUNTY_WORD = re.compile(r"\bfylke(skommune)?\b", re.IGNORECASE)
_DASH = re.compile(r"\s+[-–—]\s+")


@dataclass(frozen=True, slots=True)
class ReceiverChoice:
    """The fitting receivers (names, region first), the region label, and notes for the GP."""

    names: tuple[str, ...] = ()
    region: str | None = None
    notes: tuple[Words, ...] = ()


def county_key(county: str) -> str:
    """A county name as compared: lower-case, without «fylke», single spaces."""
    return " ".join(_COUNTY_WORD.sub(" ", county).casefold().split())


@lru_cache(maxsize=64)
def _county_keys(region: Region) -> frozenset[str]:
    """The region's counties as compared (built once per frozen Region)."""
    return frozenset(county_key(c) for c in region.counties)


def region_of(codebook: CodeBook, county: str | None, postal_code: str | None) -> str | None:
    """The id of the patient's health region, from the county, else the postal code."""
    if county:
        full = county_key(county)
        candidates = (full, county_key(_DASH.split(county)[0]))
        for region_id, region in codebook.regions.items():
            keys = _county_keys(region)
            if any(c in keys for c in candidates if c):
                return region_id
    digits = "".join(postal_code.split()) if postal_code else ""
    if not digits:
        return None
    best: tuple[int, str] | None = None
    for region_id, region in codebook.regions.items():
        for prefix in region.postal_prefixes:
            if prefix and digits.startswith(prefix) and (best is None or len(prefix) > best[0]):
                best = (len(prefix), region_id)
    return best[1] if best is not None else None


def choose_receivers(
    pathway: Pathway, rule: Rule | None, codebook: CodeBook, facts: PatientFacts
) -> ReceiverChoice:
    """The receivers for the deciding rule's referral (see the module docstring)."""
    if rule is None or not pathway.receivers:
        return ReceiverChoice()
    kind = rule.receiver_kind
    if kind is None and rule.outcome not in _REFERRAL_OUTCOMES:
        return ReceiverChoice()
    fitting = [r for r in pathway.receivers if kind is None or not r.kinds or kind in r.kinds]
    if not fitting:
        return ReceiverChoice()
    region_id = region_of(codebook, facts.county, facts.postal_code)
    if region_id is None:
        return ReceiverChoice(tuple(r.name for r in fitting), None, (NO_REGION_NOTE,))
    serving = [r.name for r in fitting if region_id in r.regions]
    others = [r.name for r in fitting if region_id not in r.regions]
    return ReceiverChoice(tuple(serving + others), codebook.regions[region_id].label)
