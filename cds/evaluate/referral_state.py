"""The situation around a referral: filter tests taken, earlier and draft referrals, content.

* Filter tests: *missing* when no result of any of the test's analytes exists, *stale* when the
  newest is older than ``max_age_days`` (or undated: its age cannot be shown to be recent).
* A referral is *labelled* for a pathway when one of its texts contains the pathway's referral
  label («pakkeforløp for myelomatose») or title (case and spacing ignored).
* *Already referred*: a labelled order in the record (not a draft) authored within
  ``referral.already_referred_days``, and not revoked/entered-in-error/cancelled/draft. Undated
  orders do not count: we cannot tell that they are recent.
* *Related draft referral*: a draft referral whose reason codes fall in a code set the pathway's
  features use, whose reason references point at evidence, whose text names the pathway (its
  disease word from the title, by word prefix: «myelom» for «Pakkeforløp for myelomatose») or the
  feature every begrunnet rule requires («M-komponent»), or that is labelled.
* Missing referral content: an item with analytes (frailty) is missing when no result of them is
  dated within a year (or undated); medications and comorbidity come from lists and are never
  reported missing because a list is empty.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date

from cds.criteria.schema import (
    AllTerm,
    CodeBook,
    ConditionCountSource,
    ConditionSource,
    FeatureTerm,
    FilterTest,
    Pathway,
)
from cds.evaluate.features import matcher_for, within
from cds.evaluate.model import FilterState, FilterTestStatus
from cds.facts.model import OrderFact, PatientFacts

# Orders in these states were never sent or were withdrawn: they do not mean «already referred».
_NOT_SENT = frozenset({"draft", "revoked", "entered-in-error", "cancelled", "not-done"})
# How old a frailty score may be to count as part of the referral (a yearly assessment is usual
# in geriatric follow-up; older scores no longer describe the patient).
CONTENT_MAX_AGE_DAYS = 365
_DISEASE_WORD = re.compile(r"pakkeforløp\s+for\s+(\w+)", re.IGNORECASE)
_STEM_LENGTH = 6


def filter_test_status(
    tests: Iterable[FilterTest], facts: PatientFacts, today: date
) -> tuple[FilterTestStatus, ...]:
    """The state of every filter test, in criteria-file order."""
    statuses: list[FilterTestStatus] = []
    for test in tests:
        results = [r for name in test.analytes for r in facts.labs.get(name, ())]
        dates = [r.when for r in results if r.when is not None]
        last = max(dates, default=None)
        state: FilterState
        if not results:
            state = "missing"
        elif last is None or not within(last, today, test.max_age_days):
            state = "stale"
        else:
            state = "ok"
        statuses.append(FilterTestStatus(test.id, test.label, state, last, test.trigger))
    return tuple(statuses)


def _normalise(text: str) -> str:
    return " ".join(text.lower().split())


def _needles(pathway: Pathway) -> tuple[str, ...]:
    """Texts that mark an order as a referral to this pathway, lower-cased."""
    return tuple({_normalise(pathway.referral.label), _normalise(pathway.title)})


def is_labelled(order: OrderFact, pathway: Pathway) -> bool:
    """One of the order's texts carries the pathway's referral label or title."""
    needles = _needles(pathway)
    return any(needle in _normalise(label) for label in order.labels for needle in needles)


def already_referred(pathway: Pathway, facts: PatientFacts, today: date) -> OrderFact | None:
    """The newest labelled order in the record sent within ``already_referred_days``."""
    found: OrderFact | None = None
    for order in facts.orders:
        if order.status in _NOT_SENT or order.when is None:
            continue
        if not within(order.when, today, pathway.referral.already_referred_days):
            continue
        if not is_labelled(order, pathway):
            continue
        if found is None or (found.when is not None and order.when > found.when):
            found = order
    return found


def draft_referral(facts: PatientFacts) -> OrderFact | None:
    """The draft referral to update: a selected referral first, else the first draft referral."""
    selected = set(facts.selections)
    for order in facts.draft_orders:
        if order.is_referral and order.ref in selected:
            return order
    return next((order for order in facts.draft_orders if order.is_referral), None)


def draft_labelled(pathway: Pathway, facts: PatientFacts) -> bool:
    """A draft order is labelled for this pathway (the GP is about to send a pathway referral)."""
    return any(is_labelled(order, pathway) for order in facts.draft_orders)


def related_draft_referral(
    pathway: Pathway, codebook: CodeBook, facts: PatientFacts, evidence_refs: frozenset[str]
) -> bool:
    """A draft referral concerns this pathway's findings (see module docstring)."""
    drafts = [order for order in facts.draft_orders if order.is_referral]
    if not drafts:
        return False
    matchers = [matcher_for(codebook.codesets[name]) for name in _codesets(pathway)]
    keywords = _keywords(pathway)
    for order in drafts:
        if is_labelled(order, pathway):
            return True
        if order.reason_codes and any(m.matches(order.reason_codes) for m in matchers):
            return True
        if evidence_refs.intersection(order.reason_refs):
            return True
        if any(k.search(label) for label in order.labels for k in keywords):
            return True
    return False


def _codesets(pathway: Pathway) -> list[str]:
    """Code sets used by the pathway's condition sources, in file order, without repeats."""
    names: dict[str, None] = {}
    for feature in pathway.features.values():
        for source in feature.sources:
            if isinstance(source, ConditionSource | ConditionCountSource):
                names.setdefault(source.codeset)
    return list(names)


def _keywords(pathway: Pathway) -> list[re.Pattern[str]]:
    """Words in a referral text that name the pathway.

    Derived from data rather than listed in code: the disease word of the title by word prefix
    (the first six letters, so «myelom» and «myelomatose» both match), and the labels of
    features that every begrunnet rule requires at its top level («M-komponent»).
    """
    words: list[str] = []
    match = _DISEASE_WORD.search(pathway.title)
    if match:
        disease = match.group(1).lower()
        words.append(r"\b" + re.escape(disease[:_STEM_LENGTH]))
    required: set[str] | None = None
    for rule in pathway.rules:
        if rule.outcome != "begrunnet":
            continue
        parts = rule.when.all if isinstance(rule.when, AllTerm) else (rule.when,)
        names = {t.feature for t in parts if isinstance(t, FeatureTerm)}
        required = names if required is None else required & names
    for name in sorted(required or ()):
        words.append(re.escape(pathway.features[name].label.lower()))
    return [re.compile(word, re.IGNORECASE) for word in words]


def missing_content(pathway: Pathway, facts: PatientFacts, today: date) -> tuple[str, ...]:
    """Referral content ids the record cannot fill: no recent result (``frailty``) or no data."""
    missing: list[str] = []
    for item in pathway.referral.content:
        if item.id == "medications" and any(k.startswith("medication") for k in facts.unavailable):
            # The medication list could not be fetched: the letter must not say "none".
            missing.append(item.id)
            continue
        if not item.analytes:
            continue
        results = [r for name in item.analytes for r in facts.labs.get(name, ())]
        if not any(r.when is None or within(r.when, today, CONTENT_MAX_AGE_DAYS) for r in results):
            missing.append(item.id)
    return tuple(missing)
