"""The situation around a referral: filter tests taken, earlier and draft referrals, content.

* Filter tests: *missing* when no result of any of the test's analytes exists (nor, for an
  examination, a report of its kinds — radiology restricted to its ``modalities`` — whose title
  matches its ``report_title_patterns``), *stale* when the newest is older than ``max_age_days``
  (or undated: its age cannot be shown to be recent). A test for one sex or from ``min_age`` that
  does not apply to the patient is left out entirely; so is one whose condition cannot be checked
  (unknown or «other» sex, unknown age): asking for a PSA we cannot show is indicated would be
  wrong more often than helpful, and the GP decides.
* ``filter_tests_incomplete``: a ``trigger`` test is missing or stale. For a rule that lists
  ``filter_tests``, only those count: its trigger tests, or — when none of them is a trigger —
  any of them.
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

from cds.criteria.codebook import CodeBook
from cds.criteria.expressions import AllTerm, FeatureTerm
from cds.criteria.schema import FilterTest, Pathway
from cds.evaluate.matching import matcher_for, modality_fits, regexes, within
from cds.evaluate.model import FilterState, FilterTestStatus
from cds.facts.model import OrderFact, PatientFacts

# Orders in these states were never sent or were withdrawn: they do not mean «already referred».
NOT_SENT = frozenset({"draft", "revoked", "entered-in-error", "cancelled", "not-done"})
# How old a frailty score may be to count as part of the referral (a yearly assessment is usual
# in geriatric follow-up; older scores no longer describe the patient).
CONTENT_MAX_AGE_DAYS = 365
_DISEASE_WORD = re.compile(r"pakkeforløp\s+for\s+(\w+)", re.IGNORECASE)
_STEM_LENGTH = 6


def filter_test_status(
    tests: Iterable[FilterTest], facts: PatientFacts, today: date
) -> tuple[FilterTestStatus, ...]:
    """The state of every filter test that applies to the patient, in criteria-file order."""
    statuses: list[FilterTestStatus] = []
    for test in tests:
        if not applies(test, facts):
            continue
        # A result whose value cannot be used (unknown unit, absurd number; LabResult.unit_problem)
        # does not count as the test having been taken: it has to be checked or taken again.
        taken = [
            r.when
            for name in test.analytes
            for r in facts.labs.get(name, ())
            if r.unit_problem is None
        ]
        if test.report_kinds:
            titles = regexes(test.report_title_patterns)
            taken.extend(
                report.when
                for report in facts.reports
                if report.kind in test.report_kinds
                and modality_fits(report.kind, report.modality, test.modalities)
                and (not titles or any(t.search(report.title) for t in titles))
            )
        dates = [when for when in taken if when is not None]
        last = max(dates, default=None)
        state: FilterState
        if not taken:
            state = "missing"
        elif last is None or not within(last, today, test.max_age_days):
            state = "stale"
        else:
            state = "ok"
        statuses.append(FilterTestStatus(test.id, test.label, state, last, test.trigger))
    return tuple(statuses)


def applies(test: FilterTest, facts: PatientFacts) -> bool:
    """The test is meant for this patient (sex, ``min_age``); unknown sex or age: it is not."""
    if test.sex is not None and facts.sex != test.sex:
        return False
    return test.min_age is None or (facts.age_years is not None and facts.age_years >= test.min_age)


def filter_tests_incomplete(
    statuses: Iterable[FilterTestStatus], listed: tuple[str, ...] = ()
) -> bool:
    """The ``filter_tests_incomplete`` flag over ``statuses`` (see the module docstring).

    ``listed``: the deciding rule's ``filter_tests``; empty means every trigger test counts.
    """
    considered = [s for s in statuses if not listed or s.test in listed]
    triggers = [s for s in considered if s.trigger]
    if listed and not triggers:
        triggers = considered
    return any(s.state != "ok" for s in triggers)


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
        if order.status in NOT_SENT or order.when is None:
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
            for codeset in source.diagnosis_codesets():
                names.setdefault(codeset)
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
