"""How the pathways meet: which assessments become cards when several pathways speak at once.

Each pathway is evaluated on its own (:func:`cds.evaluate.engine.evaluate`); this module decides,
as a pure function of all the assessments of one hook call, what the GP sees (docs/architecture.md
«Several pathways»). The pathways' own texts say why: a patient is referred to one pathway at a
time, and «Ikke-organspesifikke symptomer/funn» with «Sykdomsbildet tilsier at organspesifikk
utredning ikke er hensiktsmessig» are the entry to the diagnostic pathway
(002_4ffeb5e25cae056f.txt «Begrunnet mistanke - kriterier for henvisning til pakkeforløp»), so an
organ-specific begrunnet mistanke goes first. The policy, in order:

1. **Acute beats everything**: if any pathway is ``acute`` or ``stop_order`` (both critical),
   only those are shown.
2. **One pathway at a time**: a labelled referral to *any* pathway within its
   ``already_referred_days`` silences ``begrunnet``, ``mistanke``, ``not_met`` and ``advice`` of
   every pathway. ``unsupported_referral`` is about the order being signed, not about referring,
   so it stays (as the engine keeps it for the referred pathway itself).
3. **Organ-specific before diagnostic**: several ``begrunnet`` become one group (one card, one
   suggestion per pathway, at most one chosen); organ-specific pathways first, and the single
   organ-specific one is the recommended choice. A diagnostic ``begrunnet`` next to an
   organ-specific one is therefore never a card of its own.
4. While an organ-specific pathway is ``begrunnet``, other pathways' ``mistanke``/``not_met``
   are dropped. While only the diagnostic pathway is ``begrunnet``, an organ-specific
   ``mistanke``/``not_met`` is kept: its filter tests may show that organ-specific work-up *is*
   appropriate, which the diagnostic pathway's own entry criterion asks the GP to consider.
   ``advice`` (children, faecal blood) and ``unsupported_referral`` are always kept.

Site switches (``CDS_DISABLED_CARDS``) are not applied here: the render stage applies them to the
result, last, so switching a card type off never brings back a card this policy dropped.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from cds.criteria.schema import Outcome, Pathway
from cds.evaluate.model import Assessment

Result = tuple[Pathway, Assessment]

_CRITICAL: frozenset[Outcome] = frozenset({"acute", "stop_order"})
# What a referral to any pathway silences (rule 2).
_SILENCED_BY_REFERRAL: frozenset[Outcome] = frozenset(
    {"begrunnet", "mistanke", "not_met", "advice"}
)
# What a begrunnet mistanke of some pathway makes redundant in the others (rule 4).
_SILENCED_BY_BEGRUNNET: frozenset[Outcome] = frozenset({"mistanke", "not_met"})


@dataclass(frozen=True, slots=True)
class BegrunnetGroup:
    """Several pathways with begrunnet mistanke, shown as one card with one choice each.

    ``members`` are ordered organ-specific first (then registry order); ``recommended`` is the
    member to mark ``isRecommended`` — the one organ-specific pathway — or None when no member
    stands out (two organ-specific pathways: the service has no ground to rank them).
    """

    members: tuple[Result, ...]
    recommended: Result | None


@dataclass(frozen=True, slots=True)
class Dropped:
    """An outcome the policy kept from the GP, and which rule did (for logs and tests)."""

    pathway: str
    outcome: Outcome
    reason: str  # "acute", "already_referred", "begrunnet"


@dataclass(frozen=True, slots=True)
class Combined:
    """What to render for one hook call.

    ``singles``: assessments rendered as one card each, by their own outcome, in registry order.
    ``groups``: begrunnet groups, each rendered as one merged card (at most one group today).
    ``referred``: every pathway with a labelled referral within its window, whether or not it
    has an outcome, so cards can mention it. ``dropped``: what the policy silenced.
    ``results``: every assessment combined, in registry order (cards are ordered by it).
    """

    singles: tuple[Result, ...] = ()
    groups: tuple[BegrunnetGroup, ...] = ()
    referred: tuple[Result, ...] = ()
    dropped: tuple[Dropped, ...] = ()
    results: tuple[Result, ...] = field(default=(), compare=False)


def combine(results: Sequence[tuple[Pathway, Assessment]]) -> Combined:
    """Apply the «Several pathways» policy to every pathway's assessment (registry order)."""
    return replace(_combine(results), results=tuple(results))


def _combine(results: Sequence[tuple[Pathway, Assessment]]) -> Combined:
    referred = tuple(r for r in results if r[1].already_referred is not None)
    speaking = [r for r in results if r[1].outcome is not None]
    dropped: list[Dropped] = []

    def drop(result: Result, reason: str) -> None:
        outcome = result[1].outcome
        if outcome is not None:  # always true: only results with an outcome reach here
            dropped.append(Dropped(result[0].id, outcome, reason))

    critical = [r for r in speaking if r[1].outcome in _CRITICAL]
    if critical:
        for result in speaking:
            if result[1].outcome not in _CRITICAL:
                drop(result, "acute")
        return Combined(singles=tuple(critical), referred=referred, dropped=tuple(dropped))

    if referred:
        kept = []
        for result in speaking:
            if result[1].outcome in _SILENCED_BY_REFERRAL:
                drop(result, "already_referred")
            else:
                kept.append(result)
        speaking = kept

    begrunnet = [r for r in speaking if r[1].outcome == "begrunnet"]
    if not begrunnet:
        return Combined(singles=tuple(speaking), referred=referred, dropped=tuple(dropped))

    organ_begrunnet = any(r[0].organ_specific for r in begrunnet)
    singles: list[Result] = []
    for result in speaking:
        silenced = organ_begrunnet or not result[0].organ_specific
        if result[1].outcome in _SILENCED_BY_BEGRUNNET and silenced:
            drop(result, "begrunnet")
        elif result[1].outcome != "begrunnet" or len(begrunnet) == 1:
            singles.append(result)
    groups: tuple[BegrunnetGroup, ...] = ()
    if len(begrunnet) > 1:
        groups = (_group(begrunnet),)
    return Combined(
        singles=tuple(singles), groups=groups, referred=referred, dropped=tuple(dropped)
    )


def _group(begrunnet: list[Result]) -> BegrunnetGroup:
    organ = [r for r in begrunnet if r[0].organ_specific]
    other = [r for r in begrunnet if not r[0].organ_specific]
    return BegrunnetGroup(
        members=(*organ, *other),
        recommended=organ[0] if len(organ) == 1 else None,
    )
