"""Rule expressions: whether a term holds, and how a failed term is described (as a message).

A term is evaluated against the set of present features, the situation flags (see
``cds.criteria.schema.FlagTerm``), the patient's age and the draft orders each ``draft_order``
match found (computed once per assessment by :func:`draft_matches`). ``unmet_labels`` names the
top-level ``all`` terms of a rule that failed, for not_met / unsupported_referral cards;
``blocking_drafts`` names the draft orders a rule's draft-order terms held on.

A draft-order match with ``same_place_as`` holds only on drafts that may be of the suspected lump
(``placed_drafts``): the lump is where the evidence of those features, among the features that
make the rule hold (``supporting_features``), places it. A draft at another region or on the other
side is elsewhere; a draft that names no place, or a lump whose place no evidence names, cannot be
told apart and counts (criteria/README.md «Rules»).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

from cds.criteria.codebook import CodeBook
from cds.criteria.expressions import (
    AgeTerm,
    AllTerm,
    AnyTerm,
    AtLeastTerm,
    DraftOrderMatch,
    DraftOrderTerm,
    FeatureTerm,
    FlagTerm,
    NotTerm,
    Term,
    sub_terms,
)
from cds.criteria.identity import by_identity
from cds.criteria.schema import Feature, Rule
from cds.evaluate.matching import order_matches
from cds.evaluate.model import Words
from cds.evaluate.places import same_place
from cds.facts.model import NO_PLACE, OrderFact, Place
from cds.wording.message import Message, msg

# Situation flags with a phrase of their own (``term.flag.<flag>`` in cds.wording.phrases); any
# other flag is shown by its id.
_WORDED_FLAGS = frozenset({"filter_tests_incomplete", "draft_labelled", "related_draft_referral"})


@dataclass(frozen=True, slots=True)
class TermContext:
    """What terms are evaluated against."""

    present: frozenset[str]  # ids of present features
    flags: Mapping[str, bool]
    age_years: int | None = None  # None: unknown, and then no age term holds
    # ids of present features that are new or worse, or do not track change (FeatureHit.changed);
    # None: every present feature counts as changed.
    changed: frozenset[str] | None = None
    # DraftOrderMatch -> refs of the draft orders it matches by text and code (empty: none)
    drafts: Mapping[DraftOrderMatch, tuple[str, ...]] = field(default_factory=dict)
    # draft ref -> where the draft is (OrderFact.place)
    draft_places: Mapping[str, Place] = field(default_factory=dict)
    # feature id -> the places its evidence names (``cds.evaluate.places.lump_places``)
    feature_places: Mapping[str, tuple[Place, ...]] = field(default_factory=dict)
    # the present features that make the rule being tried hold (``supporting_features``);
    # None: every present feature
    support: frozenset[str] | None = None


def holds(term: Term, ctx: TermContext, *, assume_drafts: bool = False) -> bool:
    """Whether ``term`` is true for this patient and situation (with ``assume_drafts``, every
    draft-order term is taken to hold: what the rule says apart from the orders)."""
    if isinstance(term, FeatureTerm):
        if term.changed and ctx.changed is not None:
            return term.feature in ctx.changed
        return term.feature in ctx.present
    if isinstance(term, AllTerm):
        return all(holds(t, ctx, assume_drafts=assume_drafts) for t in term.all)
    if isinstance(term, AnyTerm):
        return any(holds(t, ctx, assume_drafts=assume_drafts) for t in term.any)
    if isinstance(term, AtLeastTerm):
        held = sum(1 for t in term.of if holds(t, ctx, assume_drafts=assume_drafts))
        return held >= term.at_least
    if isinstance(term, NotTerm):
        return not holds(term.not_, ctx, assume_drafts=assume_drafts)
    if isinstance(term, FlagTerm):
        return ctx.flags.get(term.flag, False)
    if isinstance(term, AgeTerm):
        return _age_holds(term, ctx.age_years)
    return assume_drafts or bool(placed_drafts(term.draft_order, ctx))


def supporting_features(term: Term, ctx: TermContext) -> frozenset[str]:
    """The present features whose terms make ``term`` hold, draft-order terms taken as holding.

    Only parts that hold count (the lump of an ``all: [tidligere_sarkom, kul]`` branch that fails
    is not the rule's lump); nothing under a ``not`` supports anything.
    """
    if isinstance(term, FeatureTerm):
        return frozenset({term.feature}) if holds(term, ctx) else frozenset()
    parts = sub_terms(term)
    if not parts or not holds(term, ctx, assume_drafts=True):
        return frozenset()
    return frozenset().union(*(supporting_features(part, ctx) for part in parts))


def placed_drafts(match: DraftOrderMatch, ctx: TermContext) -> tuple[str, ...]:
    """Refs of the drafts ``match`` holds on: by text and code, and with ``same_place_as`` only
    those that may be of the suspected lump."""
    refs = ctx.drafts.get(match, ())
    if not match.same_place_as or not refs:
        return refs
    support = ctx.present if ctx.support is None else ctx.support
    lumps = [
        place
        for feature in match.same_place_as
        if feature in support
        for place in ctx.feature_places.get(feature, ())
    ]
    if not lumps:
        return refs  # no evidence says where the lump is: no draft can be shown to be elsewhere
    return tuple(ref for ref in refs if _may_be_lump(ctx.draft_places.get(ref, NO_PLACE), lumps))


def _may_be_lump(order: Place, lumps: list[Place]) -> bool:
    """An order naming no place may be of the lump; else it must not be elsewhere than all."""
    return not order.named or any(same_place(order, lump) is not False for lump in lumps)


def _age_holds(term: AgeTerm, age: int | None) -> bool:
    """Both given bounds hold; unknown age never does (the loader requires a bound)."""
    if age is None:
        return False
    if term.age_below is not None and not age < term.age_below:
        return False
    return term.age_at_least is None or age >= term.age_at_least


def draft_order_terms(term: Term, *, under_not: bool = True) -> tuple[DraftOrderTerm, ...]:
    """Every draft-order term inside ``term``; those under a ``not`` only with ``under_not``.

    Asked for every rule on every call: worked out once per term (``cds.criteria.identity``).
    """
    return _all_draft_terms(term) if under_not else _draft_terms_outside_not(term)


def _walk_draft_terms(term: Term, under_not: bool) -> Iterator[DraftOrderTerm]:
    if isinstance(term, DraftOrderTerm):
        yield term
    elif isinstance(term, NotTerm):
        if under_not:
            yield from _walk_draft_terms(term.not_, under_not)
    else:
        for part in sub_terms(term):
            yield from _walk_draft_terms(part, under_not)


@by_identity
def _all_draft_terms(term: Term) -> tuple[DraftOrderTerm, ...]:
    return tuple(_walk_draft_terms(term, True))


@by_identity
def _draft_terms_outside_not(term: Term) -> tuple[DraftOrderTerm, ...]:
    return tuple(_walk_draft_terms(term, False))


def same_place_features(rules: tuple[Rule, ...]) -> tuple[str, ...]:
    """Every feature id a draft-order term of ``rules`` compares places with, without repeats."""
    found: dict[str, None] = {}
    for rule in rules:
        for term in draft_order_terms(rule.when):
            found.update(dict.fromkeys(term.draft_order.same_place_as))
    return tuple(found)


def compares_places(rule: Rule) -> bool:
    """A draft-order term of ``rule`` (not under a ``not``) has ``same_place_as``."""
    return any(t.draft_order.same_place_as for t in draft_order_terms(rule.when, under_not=False))


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
        refs.update(dict.fromkeys(placed_drafts(found.draft_order, ctx)))
    return tuple(refs)


def describe(term: Term, features: Mapping[str, Feature]) -> Words:
    """The term's label from the criteria file, or a message composed from its parts when the file
    gives none (worded by render: «minst 2 av: anemi, nyresvikt»)."""
    if term.label:
        return term.label
    if isinstance(term, FeatureTerm):
        feature = features.get(term.feature)
        return feature.label if feature is not None else term.feature
    if isinstance(term, AllTerm):
        return msg("term.all", parts=tuple(describe(t, features) for t in term.all))
    if isinstance(term, AnyTerm):
        return msg("term.any", parts=tuple(describe(t, features) for t in term.any))
    if isinstance(term, AtLeastTerm):
        parts = tuple(describe(t, features) for t in term.of)
        return msg("term.at_least", n=term.at_least, parts=parts)
    if isinstance(term, NotTerm):
        return msg("term.not", term=describe(term.not_, features))
    if isinstance(term, FlagTerm):
        return msg(f"term.flag.{term.flag}") if term.flag in _WORDED_FLAGS else term.flag
    if isinstance(term, AgeTerm):
        bounds: list[Message] = []
        if term.age_at_least is not None:
            bounds.append(msg("term.age_at_least", years=term.age_at_least))
        if term.age_below is not None:
            bounds.append(msg("term.age_below", years=term.age_below))
        return msg("term.age", bounds=tuple(bounds))
    if isinstance(term, DraftOrderTerm):
        return msg("term.draft_order")
    return ""


def unmet_labels(
    rule: Rule, ctx: TermContext, features: Mapping[str, Feature]
) -> tuple[Words, ...]:
    """Labels of the rule's top-level ``all`` terms that fail (the whole term if not an ``all``)."""
    parts = rule.when.all if isinstance(rule.when, AllTerm) else (rule.when,)
    return tuple(describe(t, features) for t in parts if not holds(t, ctx))
