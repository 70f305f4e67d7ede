"""Rule expressions: whether a term holds, and how a failed term is explained in Norwegian.

A term is evaluated against the set of present features and the situation flags (see
``cds.criteria.schema.FlagTerm``). ``unmet_labels`` names the top-level ``all`` terms of a rule
that failed, for not_met / unsupported_referral cards.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from cds.criteria.schema import (
    AllTerm,
    AnyTerm,
    AtLeastTerm,
    Feature,
    FeatureTerm,
    FlagTerm,
    NotTerm,
    Rule,
    Term,
)

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


def holds(term: Term, ctx: TermContext) -> bool:
    """Whether ``term`` is true for this patient and situation."""
    if isinstance(term, FeatureTerm):
        return term.feature in ctx.present
    if isinstance(term, AllTerm):
        return all(holds(t, ctx) for t in term.all)
    if isinstance(term, AnyTerm):
        return any(holds(t, ctx) for t in term.any)
    if isinstance(term, AtLeastTerm):
        return sum(1 for t in term.of if holds(t, ctx)) >= term.at_least
    if isinstance(term, NotTerm):
        return not holds(term.not_, ctx)
    return ctx.flags.get(term.flag, False)


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
    return ""


def unmet_labels(rule: Rule, ctx: TermContext, features: Mapping[str, Feature]) -> tuple[str, ...]:
    """Labels of the rule's top-level ``all`` terms that fail (the whole term if not an ``all``)."""
    parts = rule.when.all if isinstance(rule.when, AllTerm) else (rule.when,)
    return tuple(describe(t, features) for t in parts if not holds(t, ctx))
