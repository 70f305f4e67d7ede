"""«Kunne ikke vurderes»: features whose deciding value could not be used, and what they may change.

The facts stage keeps a result it cannot use (unknown unit, a number that is not finite, absurd or
over-precise, a sample date that does not parse or lies in the future) with the reason
(``LabResult.unit_problem``, ``cds.facts.numbers``). Here (criteria/README.md «Values that cannot
be used»):

* **Per source**: unusable results are set aside, so the newest *usable* result in the window
  decides, as if the unusable one were not there: one bad value never removes a finding that an
  earlier usable result shows. When the source does not find the feature and an unusable result
  is in its window and newer than the result that decided (or nothing usable decided), the
  source was not assessed: the unusable result might have shown the finding. An unusable result
  with no usable date counts only when nothing usable decided.
* **Per feature**: a feature that no source finds, and that some source could not assess, is
  *not assessed* (:class:`cds.evaluate.model.NotAssessed`), never silently absent.
* **Per rule** (:func:`could_hold`): rules are decided as before, an unassessed feature counting
  as absent. Then rules are read in three-valued (Kleene) logic, an unassessed feature being
  *unknown*: an earlier rule for this hook that would be unknown rather than false — it might
  have held — is the outcome the unassessed features leave open, and the features it turns on are
  the *deciding* ones the card names in its first lines. A rule that *holds* is never undone by an
  unknown elsewhere (an acute card stays, whatever the Hb).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date
from typing import TYPE_CHECKING

from cds.criteria.expressions import (
    AllTerm,
    AnyTerm,
    AtLeastTerm,
    FeatureTerm,
    NotTerm,
    Term,
    sub_terms,
)
from cds.evaluate.matching import newest_in_window, within
from cds.evaluate.terms import TermContext, holds
from cds.facts.model import LabResult
from cds.wording.message import Message, msg

if TYPE_CHECKING:  # the source kinds import this module
    from cds.evaluate.sources.base import SourceResult


def usable(result: LabResult) -> bool:
    """The result has a number and nothing the facts stage refused about it."""
    return result.value is not None and result.unit_problem is None


def unusable_reason(
    results: Iterable[LabResult],
    label: str,
    today: date,
    window_days: int,
    decided: date | None,
) -> Message | None:
    """Why the source could not be assessed: the newest unusable result that is in the window
    and newer than ``decided`` (the date of the result that decided; None: nothing did), or — when
    nothing usable decided — one without a usable date. None when there is no such result.

    An undated unusable result next to a dated usable one is left alone: it is more likely an old
    garbled entry than today's result, and it would otherwise keep the feature «not assessed» for
    as long as it stays in the record."""
    for result in results:  # newest first, undated last (the facts stage's order)
        if result.unit_problem is None:
            continue
        when = result.when
        if when is None:
            if decided is not None:
                continue
        elif not within(when, today, window_days) or (decided is not None and when <= decided):
            continue
        if when is None:  # the date is the problem (or there is none): no «udatert» then
            return msg("unassessed.undated", label=label, problem=result.unit_problem)
        return msg("unassessed.dated", label=label, when=when, problem=result.unit_problem)
    return None


def could_hold(term: Term, ctx: TermContext, unknown: frozenset[str]) -> bool | None:
    """``term`` in Kleene logic: True/False when decided, None when an unknown feature decides.

    ``unknown``: features not assessed (never present ones: a present feature is known).
    """
    if isinstance(term, FeatureTerm):
        if term.feature in unknown:
            return None
        return holds(term, ctx)
    if isinstance(term, NotTerm):
        inner = could_hold(term.not_, ctx, unknown)
        return None if inner is None else not inner
    if isinstance(term, AllTerm | AnyTerm | AtLeastTerm):
        values = [could_hold(t, ctx, unknown) for t in sub_terms(term)]
        true, open_ = values.count(True), values.count(None)
        if isinstance(term, AllTerm):
            need = len(values)
        elif isinstance(term, AnyTerm):
            need = 1
        else:
            need = term.at_least
        if true >= need:
            return True
        return None if true + open_ >= need else False
    return holds(term, ctx)


def deciding_features(term: Term, ctx: TermContext, unknown: frozenset[str]) -> tuple[str, ...]:
    """The unknown features a term that :func:`could_hold` leaves open turns on, in term order."""
    found: dict[str, None] = {}
    for feature in _open_features(term, ctx, unknown):
        found[feature] = None
    return tuple(found)


def _open_features(term: Term, ctx: TermContext, unknown: frozenset[str]) -> Iterator[str]:
    if could_hold(term, ctx, unknown) is not None:
        return  # decided either way: nothing in it is deciding
    if isinstance(term, FeatureTerm):
        yield term.feature
        return
    if isinstance(term, NotTerm):
        yield from _open_features(term.not_, ctx, unknown)
        return
    for part in sub_terms(term):
        yield from _open_features(part, ctx, unknown)


def lab_based(
    out: SourceResult,
    results: Iterable[LabResult],
    label: str,
    today: date,
    window_days: int,
) -> SourceResult:
    """A change-over-time source (weight loss, growth) that found nothing was not assessed when
    an unusable result among ``results`` (the ones at its site) is newer than every usable one in
    its window (see module doc)."""
    if out.present:
        return out
    results = tuple(results)
    decided = newest_in_window((r for r in results if usable(r)), today, window_days)
    when = decided.when if decided is not None else None
    out.unassessed = unusable_reason(results, label, today, window_days, when)
    return out
