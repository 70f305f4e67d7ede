"""Rule expressions (``when:``): feature, all/any/at_least/not, flag, age and draft-order terms.

Documented in criteria/README.md «Rules». Evaluated by ``cds.evaluate.terms``; the walkers here
(:func:`feature_names` and friends) serve the schema's cross-reference checks.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from cds.criteria.base import Strict


class DraftOrderMatch(Strict):
    """Orders whose text matches ``patterns`` or whose codes are in ``codeset``, unless their text
    matches one of ``negations`` or names the lesion as a skin lesion (``skin_lesions``) — unless
    a text also names a lump beside the skin lesion (``lump_too``: «eksisjon av nevus og kul
    venstre lår»), which is then an order for the lump too. Used for draft orders
    (``draftOrders``) and for earlier operations (``lump_after_surgery``).

    ``same_place_as`` (draft-order terms only): feature ids whose evidence locates the suspected
    lump; a draft at another body region or on the other side does not match
    (``cds/evaluate/terms.py``, criteria/README.md «Rules»).
    """

    patterns: tuple[str, ...] = ()
    codeset: str | None = None
    negations: tuple[str, ...] = ()
    skin_lesions: tuple[str, ...] = ()
    lump_too: tuple[str, ...] = ()
    same_place_as: tuple[str, ...] = ()


class FeatureTerm(Strict):
    """The feature is present; with ``changed``, only when it is new or worse (Feature.change)."""

    feature: str
    changed: bool = False
    label: str | None = None


class AllTerm(Strict):
    all: tuple[Term, ...]
    label: str | None = None


class AnyTerm(Strict):
    any: tuple[Term, ...]
    label: str | None = None


class AtLeastTerm(Strict):
    at_least: int
    of: tuple[Term, ...]
    label: str | None = None


class NotTerm(Strict):
    not_: Term = Field(alias="not")
    label: str | None = None


class FlagTerm(Strict):
    """A fact about the situation rather than the patient.

    ``filter_tests_incomplete``: a filter test marked ``trigger`` is missing or stale.
    ``draft_labelled``: a draft order in ``draftOrders`` is labelled with this pathway's title.
    ``related_draft_referral``: a draft referral concerns this pathway's features (its reason codes
    match a feature's code set, its reason references point at evidence, or its text names the
    pathway).
    """

    flag: Literal["filter_tests_incomplete", "draft_labelled", "related_draft_referral"]
    label: str | None = None


class AgeTerm(Strict):
    """The patient's age in whole years is below ``age_below`` / at least ``age_at_least``.

    Unknown age never satisfies an age term.
    """

    age_below: int | None = None
    age_at_least: int | None = None
    label: str | None = None


class DraftOrderTerm(Strict):
    """A draft order matches (e.g. a biopsy or excision of the lump). Matching drafts are kept in
    ``Assessment.blocked_orders`` so a ``stop_order`` card can suggest deleting them."""

    draft_order: DraftOrderMatch
    label: str | None = None


Term = FeatureTerm | AllTerm | AnyTerm | AtLeastTerm | NotTerm | FlagTerm | AgeTerm | DraftOrderTerm


def sub_terms(term: Term) -> tuple[Term, ...]:
    """The parts of an ``all``/``any``/``at_least`` term; () for any other term (the part of a
    ``not`` is ``term.not_``: walkers decide themselves whether to look under a negation)."""
    if isinstance(term, AllTerm):
        return term.all
    if isinstance(term, AnyTerm):
        return term.any
    if isinstance(term, AtLeastTerm):
        return term.of
    return ()


def feature_names(term: Term) -> list[str]:
    """Every feature id a rule expression mentions (a draft-order term's ``same_place_as`` too)."""
    if isinstance(term, FeatureTerm):
        return [term.feature]
    if isinstance(term, DraftOrderTerm):
        return list(term.draft_order.same_place_as)
    if isinstance(term, NotTerm):
        return feature_names(term.not_)
    return [n for t in sub_terms(term) for n in feature_names(t)]


def changed_names(term: Term) -> list[str]:
    """Feature ids a rule expression uses with ``changed: true``."""
    if isinstance(term, FeatureTerm):
        return [term.feature] if term.changed else []
    if isinstance(term, NotTerm):
        return changed_names(term.not_)
    return [n for t in sub_terms(term) for n in changed_names(t)]


def only_features(term: Term) -> bool:
    """The term combines feature terms only."""
    if isinstance(term, FeatureTerm):
        return not term.changed
    if isinstance(term, NotTerm):
        return only_features(term.not_)
    parts = sub_terms(term)
    return bool(parts) and all(only_features(t) for t in parts)


for _model in (AllTerm, AnyTerm, AtLeastTerm, NotTerm):
    _model.model_rebuild()
