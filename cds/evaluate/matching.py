"""Matching record items against criteria: code sets, regexes, windows, sites, orders.

Was ``cds.evaluate.common``. Every source kind, the filter tests and the rule terms ask the same
questions — is this code in the set, does this text match, is this date within the window, is
this site the source's site, does this order order it, which lab result is the newest — and get
one answer here. Criteria objects are frozen pydantic models (hashable when they hold no dicts),
so matchers and compiled regexes are built once per criteria object and reused by every request
(docs/architecture.md «Speed»).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date
from functools import lru_cache
from typing import TypeVar

from cds.criteria.codebook import CodeBook, CodeSet
from cds.criteria.expressions import DraftOrderMatch
from cds.criteria.identity import by_identity
from cds.facts.codes import CodeIndex, CodeMatcher
from cds.facts.model import (
    Code,
    ConditionFact,
    LabResult,
    MedicationFact,
    OrderFact,
    PatientFacts,
    Quantity,
)
from cds.facts.text import findings
from cds.wording import formats as fmt


@by_identity
def matcher_for(codeset: CodeSet) -> CodeMatcher:
    """One matcher per code set, built once (cached by identity: ``cds.criteria.identity``)."""
    return CodeMatcher(codeset.codes)


def matching_conditions(facts: PatientFacts, codeset: CodeSet) -> list[tuple[ConditionFact, Code]]:
    """The patient's conditions the code set covers, in record order, each with the code that
    matched (:meth:`CodeMatcher.match`, what the evidence shows)."""
    return _matching(facts, "conditions", facts.conditions, codeset)


def matching_medications(
    facts: PatientFacts, codeset: CodeSet
) -> list[tuple[MedicationFact, Code]]:
    """The patient's medicines the code set covers, in record order, each with its code."""
    return _matching(facts, "medications", facts.medications, codeset)


_Item = TypeVar("_Item", ConditionFact, MedicationFact)


def _matching(
    facts: PatientFacts, key: str, items: tuple[_Item, ...], codeset: CodeSet
) -> list[tuple[_Item, Code]]:
    # One index of the items' codes per call (PatientFacts.derived), then a few lookups per code
    # of the list: testing every code list against every item was a third of evaluate.
    cached = facts.derived.get(key)
    if isinstance(cached, tuple) and cached[0] is items:
        index = cached[1]
    else:
        index = CodeIndex([item.codes for item in items])
        facts.derived[key] = (items, index)
    matcher = matcher_for(codeset)
    found = []
    for position in matcher.positions(index):
        item = items[position]
        code = matcher.match(item.codes)
        if code is not None:
            found.append((item, code))
    return found


@lru_cache(maxsize=1024)
def regex(pattern: str) -> re.Pattern[str]:
    """A criteria regex, compiled case-insensitively once (the loader has checked it compiles)."""
    return re.compile(pattern, re.IGNORECASE)


@lru_cache(maxsize=512)
def regexes(patterns: tuple[str, ...]) -> tuple[re.Pattern[str], ...]:
    """Every pattern of a criteria tuple, compiled once per tuple."""
    return tuple(regex(p) for p in patterns)


# How far after ``today`` a date may lie and still count (clock skew between EHR and service).
_SKEW_DAYS = 1


def within(when: date, today: date, window_days: int) -> bool:
    """``when`` is at most ``window_days`` before ``today``, and at most a day after it.

    A date further in the future (``9999-12-31`` on a diagnosis, a typo'd year) is not evidence
    of anything now: it counts in no window. Lab results with such dates are already unusable
    (cds.facts.dates.sample_date_problem); this covers diagnoses, reports, medicines, orders.
    """
    return -_SKEW_DAYS <= (today - when).days <= window_days


def site_matches(site: str, patterns: tuple[str, ...], negations: tuple[str, ...]) -> bool:
    """The site text passes a source's ``site_patterns`` / ``site_negations``.

    With patterns, one must match (an empty site matches none); no negation may match anywhere in
    the site text. A source without either accepts every result.
    """
    if patterns and not any(p.search(site) for p in regexes(patterns)):
        return False
    return not (negations and any(n.search(site) for n in regexes(negations)))


def site_shown(site: str, patterns: tuple[str, ...]) -> str:
    """The part of a site text that made the result count («dyp, venstre lår»), shortened.

    The first line a pattern matches; with only negations, the first line. "" without a site.
    """
    lines = [line for line in site.split("\n") if line.strip()]
    compiled = regexes(patterns)
    for line in lines:
        if not compiled or any(p.search(line) for p in compiled):
            return fmt.snippet(line, limit=60)
    return ""


def modality_fits(kind: str, modality: str | None, modalities: tuple[str, ...]) -> bool:
    """``modalities`` restrict radiology reports only; an unrecognised modality never fits them.

    Pathology and other reports have no modality, so a list of modalities does not exclude them.
    """
    return not modalities or kind != "radiology" or modality in modalities


def order_matches(match: DraftOrderMatch, codebook: CodeBook, order: OrderFact) -> bool:
    """One of the order's labels matches a pattern, or one of its codes is in the code set, and
    no label matches a negation or names the lesion as a skin lesion (a skin biopsy coded
    «Biopsy» is still a skin biopsy). Where the order is (``same_place_as``) is the term's
    business (``cds.evaluate.terms``): it needs the features."""
    matcher = matcher_for(codebook.codesets[match.codeset]) if match.codeset else None
    hit = any(_orders_it(label, match.patterns, codebook) for label in order.labels) or (
        matcher is not None and matcher.matches(order.codes)
    )
    if not hit:
        return False
    negations = regexes(match.negations)
    if any(n.search(label) for label in order.labels for n in negations):
        return False
    # A skin lesion may be named in the bodySite text too («Nevus, venstre skulder»). The
    # exception is for an order of the skin lesion only: one that names a lump beside it
    # («eksisjon av nevus og kul venstre lår») is an order for the lump as well.
    texts = (*order.labels, order.site) if order.site else order.labels
    if any(p.search(text) for text in texts for p in regexes(match.lump_too)):
        return True
    return not any(s.search(text) for text in texts for s in regexes(match.skin_lesions))


def newest_dated(results: Iterable[LabResult]) -> LabResult | None:
    """The newest dated result (facts keep labs newest first; equal dates keep that order)."""
    best: LabResult | None = None
    for result in results:
        if result.when is None:
            continue
        if best is None or best.when is None or result.when > best.when:
            best = result
    return best


def extreme_value(results: Iterable[LabResult], *, largest: bool) -> LabResult | None:
    """The dated result with the largest (or smallest) number; on a tie the newer one, which is
    the closer baseline for a change (the heaviest weight, the smallest size of a lump)."""
    best: LabResult | None = None
    best_key: tuple[float, object] | None = None
    for result in results:
        if result.value is None or result.when is None:
            continue
        key = (result.value.value if largest else -result.value.value, result.when)
        if best_key is None or key > best_key:
            best, best_key = result, key
    return best


def newest_in_window(
    results: Iterable[LabResult], today: date, window_days: int
) -> LabResult | None:
    """The newest dated result within the window; on that date one with a number is preferred."""
    best: LabResult | None = None
    for result in results:
        if result.when is None or not within(result.when, today, window_days):
            continue
        if best is None or best.when is None or result.when > best.when:
            best = result
        elif result.when == best.when and best.value is None and result.value is not None:
            best = result
    return best


def usable_value(result: LabResult, unit: str) -> Quantity | None:
    if result.value is None or result.value.unit != unit:
        return None
    return result.value


def dated_newest_first(results: Iterable[LabResult], today: date, days: int) -> list[LabResult]:
    """Dated results within ``days``, newest first."""
    dated = [r for r in results if r.when is not None and within(r.when, today, days)]
    return sorted(dated, key=lambda r: r.when or date.min, reverse=True)


# What an order text may say about the procedure and still order it: «?biopsi» is a biopsy.
_ORDERING: frozenset[str] = frozenset({"affirmed", "uncertain"})


def _orders_it(label: str, patterns: tuple[str, ...], codebook: CodeBook) -> bool:
    """A pattern matches the order text and the text does not deny it, read by the same
    assertion mechanism as every other text (criteria/assertion.yaml): «Ikke biopsi før MR,
    henvis sarkomsenter» does not order a biopsy."""
    if codebook.assertion is None:  # a hand-built code book without the lexicon: plain regexes
        return any(p.search(label) for p in regexes(patterns))
    return any(f.assertion in _ORDERING for f in findings(label, patterns, codebook.assertion))
