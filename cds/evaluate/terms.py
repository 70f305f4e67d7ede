"""Rule expressions: whether a term holds, and how a failed term is explained in Norwegian.

A term is evaluated against the set of present features, the situation flags (see
``cds.criteria.schema.FlagTerm``), the patient's age and the draft orders each ``draft_order``
match found (computed once per assessment by :func:`draft_matches`). ``unmet_labels`` names the
top-level ``all`` terms of a rule that failed, for not_met / unsupported_referral cards;
``blocking_drafts`` names the draft orders a rule's draft-order terms held on.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

from cds.criteria.schema import (
    AgeTerm,
    AllTerm,
    AnyTerm,
    AtLeastTerm,
    CodeBook,
    DraftOrderMatch,
    DraftOrderTerm,
    Feature,
    FeatureTerm,
    FlagTerm,
    NotTerm,
    Rule,
    Term,
    sub_terms,
)
from cds.evaluate.common import order_matches
from cds.facts.model import OrderFact

FLAG_TEXT: dict[str, str] = {
    "filter_tests_incomplete": "filterprøvene er ikke tatt",
    "draft_labelled": "henvisningen er merket for pakkeforløpet",
    "related_draft_referral": "en henvisning som gjelder funnene er under arbeid",
}


@dataclass(frozen=True, slots=True)
class TermContext:
    """What terms are evaluated against."""

    present: frozenset[str]  # ids of present features
    flags: Mapping[str, bool]
    age_years: int | None = None  # None: unknown, and then no age term holds
    # ids of present features that are new or worse, or do not track change (FeatureHit.changed);
    # None: every present feature counts as changed.
    changed: frozenset[str] | None = None
    # DraftOrderMatch -> refs of the draft orders it matches (empty: none)
    drafts: Mapping[DraftOrderMatch, tuple[str, ...]] = field(default_factory=dict)


def holds(term: Term, ctx: TermContext) -> bool:
    """Whether ``term`` is true for this patient and situation."""
    if isinstance(term, FeatureTerm):
        if term.changed and ctx.changed is not None:
            return term.feature in ctx.changed
        return term.feature in ctx.present
    if isinstance(term, AllTerm):
        return all(holds(t, ctx) for t in term.all)
    if isinstance(term, AnyTerm):
        return any(holds(t, ctx) for t in term.any)
    if isinstance(term, AtLeastTerm):
        return sum(1 for t in term.of if holds(t, ctx)) >= term.at_least
    if isinstance(term, NotTerm):
        return not holds(term.not_, ctx)
    if isinstance(term, FlagTerm):
        return ctx.flags.get(term.flag, False)
    if isinstance(term, AgeTerm):
        return _age_holds(term, ctx.age_years)
    return bool(ctx.drafts.get(term.draft_order))


def _age_holds(term: AgeTerm, age: int | None) -> bool:
    """Both given bounds hold; unknown age never does (the loader requires a bound)."""
    if age is None:
        return False
    if term.age_below is not None and not age < term.age_below:
        return False
    return term.age_at_least is None or age >= term.age_at_least


def draft_order_terms(term: Term, *, under_not: bool = True) -> Iterator[DraftOrderTerm]:
    """Every draft-order term inside ``term``; those under a ``not`` only with ``under_not``."""
    if isinstance(term, DraftOrderTerm):
        yield term
    elif isinstance(term, NotTerm):
        if under_not:
            yield from draft_order_terms(term.not_, under_not=under_not)
    else:
        for part in sub_terms(term):
            yield from draft_order_terms(part, under_not=under_not)


def draft_matches(
    rules: tuple[Rule, ...], codebook: CodeBook, drafts: tuple[OrderFact, ...]
) -> dict[DraftOrderMatch, tuple[str, ...]]:
    """For every draft-order match the rules use: the refs of the draft orders it matches.

    A draft matches when one of its labels (lower-cased texts) matches one of the ``patterns``
    (case-insensitive regex search) or one of its codes is in the ``codeset``, and no label
    matches a negation (``order_matches``).
    """
    found: dict[DraftOrderMatch, tuple[str, ...]] = {}
    for rule in rules:
        for term in draft_order_terms(rule.when):
            match = term.draft_order
            if match in found:
                continue
            found[match] = tuple(
                order.ref for order in drafts if order_matches(match, codebook, order)
            )
    return found


def blocking_drafts(term: Term, ctx: TermContext) -> tuple[str, ...]:
    """Refs of the drafts that the draft-order terms of ``term`` held on, without repeats.

    Terms under a ``not`` are skipped: a draft there is a reason *against* the rule, never one to
    stop.
    """
    refs: dict[str, None] = {}
    for found in draft_order_terms(term, under_not=False):
        if holds(found, ctx):
            refs.update(dict.fromkeys(ctx.drafts.get(found.draft_order, ())))
    return tuple(refs)


def describe(term: Term, features: Mapping[str, Feature]) -> str:
    """The term's Norwegian label, or one composed from its parts when the file gives none."""
    if term.label:
        return term.label
    if isinstance(term, FeatureTerm):
        feature = features.get(term.feature)
        return feature.label if feature is not None else term.feature
    if isinstance(term, AllTerm):
        return " og ".join(describe(t, features) for t in term.all)
    if isinstance(term, AnyTerm):
        return " eller ".join(describe(t, features) for t in term.any)
    if isinstance(term, AtLeastTerm):
        parts = ", ".join(describe(t, features) for t in term.of)
        return f"minst {term.at_least} av: {parts}"
    if isinstance(term, NotTerm):
        return f"ikke {describe(term.not_, features)}"
    if isinstance(term, FlagTerm):
        return FLAG_TEXT.get(term.flag, term.flag)
    if isinstance(term, AgeTerm):
        bounds = []
        if term.age_at_least is not None:
            bounds.append(f"minst {term.age_at_least} år")
        if term.age_below is not None:
            bounds.append(f"under {term.age_below} år")
        return "alder " + " og ".join(bounds)
    if isinstance(term, DraftOrderTerm):
        return "en bestilling under arbeid som gjelder dette"
    return ""


def unmet_labels(rule: Rule, ctx: TermContext, features: Mapping[str, Feature]) -> tuple[str, ...]:
    """Labels of the rule's top-level ``all`` terms that fail (the whole term if not an ``all``)."""
    parts = rule.when.all if isinstance(rule.when, AllTerm) else (rule.when,)
    return tuple(describe(t, features) for t in parts if not holds(t, ctx))
