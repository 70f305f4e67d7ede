"""Length budgets per card type: a card a GP reads in ten seconds.

Every card names its type in ``card.extension`` (:data:`CARD_TYPE_EXTENSION`: the outcome,
``begrunnet_group`` for the merged card of several pathways), so EHRs, logs and the conformance
check (tests/conformance.py, on every response the tests produce) know which budget applies.

Budgets, in characters of ``detail`` (Markdown source), chosen for reading speed: a GP skims
about 200–250 words a minute, so ten seconds is 35–45 words, ≈ 250–300 characters of evidence
plus the headings, dates and fixed lines each card needs. 700 characters holds three to four
evidence bullets, the action and one more line. The card types that must carry more get more,
each for a stated reason (measured on the golden cases):

================  ======  ==============================================================
card type         detail  what it must hold
================  ======  ==============================================================
acute             700     findings, the source's acute sentence («innen 1-2 døgn») and the
                          pre-filled referral; nothing else before the phone call
mistanke          700     findings, an aged-out earlier result, the missing filter tests
begrunnet         800     findings, receiver, what the referral lacks, the patient
                          information the source requires, the forløpstid. At 700 the
                          diagnostic pathway's card (its missing tests) and most myelomatose
                          cards lost the patient information
not_met           800     the unmet criterion (the rule's label is long), what was found,
unsupported_ref.          the missing filter tests
advice            1000    the rule's own advice text from the criteria (up to ≈ 600
                          characters with its quotes) and the findings it rests on
begrunnet_group   1200    two or three pathways: the recommended one's findings, the others'
                          findings not already shown, the receivers, why one is recommended
                          (with the diagnostic pathway's own criterion quoted), one forløpstid
not_assessed      500     which value could not be used and what it might have meant
failed            500     that the pathway was not assessed, and what to do
registration      900     up to six proposed codes (A, S, O, C, F) with dates and evidence
                          (≈ 120 characters each) and the line asking to confirm each one
registr._choice   700     the decision's evidence and why the report cannot choose C*A/C*I
safety_net        700     the deadline with its forløpstid and source, the dated referral
                          (and transfer), what to check; or the decision «ikke påvist kreft»
                          and the findings recorded after it (cds/render/safety_net.py)
followup          1000    the group and the start of the plan with its dated evidence, up
                          to three due controls with date and window (≈ 130 characters
                          each), late effects and referrals, and the programme's Danish
                          quotes with their long section titles (≈ 260 characters each;
                          at 900 the needs-assessment card lost its source sentence)
                          (cds/render/followup_cards.py)
stop_order        1300    the rule's fixed advice text (≈ 450 characters for the sarcoma
                          biopsy stop, criteria/sarkom.yaml), the orders to delete, the
                          findings and the examinations to order instead
================  ======  ==============================================================

Over budget, parts go in a fixed order (cds/render/cards.py: source quotes first, then other
relevant findings, the forløpstid, and last notes and the patient information); the deciding
findings and the action are never dropped.

The summary limit is the spec's («<140-character»): 139 for every type.

Cards are assembled from :class:`Part` s; :func:`fit` drops the optional ones, highest
``drop`` rank first, until the detail fits, and as a last resort (a record with very many
findings) cuts whole lines, so Markdown is never broken inside a line.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from cds.cdshooks import SUMMARY_MAX as SUMMARY_MAX  # the spec's limit, one for every card type
from cds.render.format import one_line

CARD_TYPE_EXTENSION = "no.pakkeforlop-cds.card-type"
GROUP = "begrunnet_group"
DETAIL_BUDGET: dict[str, int] = {
    "acute": 700,
    "mistanke": 700,
    "begrunnet": 800,
    "not_met": 800,
    "unsupported_referral": 800,
    "advice": 1000,
    GROUP: 1200,
    "stop_order": 1300,
    "not_assessed": 500,
    "failed": 500,
    "registration": 900,
    "registration_choice": 700,
    "safety_net": 700,
    "followup": 1000,
}
_SEPARATOR = "\n\n"
# What stands where lines were cut (last resort): the referral and the record hold the rest.
_CUT_MARK = "…"


@dataclass(frozen=True, slots=True)
class Part:
    """One paragraph of a card's detail. ``drop`` 0 is essential; when the card is too long,
    parts with the highest ``drop`` go first (source quotes before patient information ...)."""

    text: str
    drop: int = 0


def fit(parts: Sequence[Part | str], budget: int) -> str:
    """The detail: non-empty parts joined by blank lines, within ``budget`` characters."""
    kept = [p if isinstance(p, Part) else Part(p) for p in parts]
    kept = [p for p in kept if p.text]
    while _length(kept) > budget:
        rank = max(p.drop for p in kept)
        if rank == 0:
            break
        # The last part of the highest rank goes first: earlier parts are the more important.
        index = max(i for i, p in enumerate(kept) if p.drop == rank)
        del kept[index]
    text = _SEPARATOR.join(p.text for p in kept)
    return text if len(text) <= budget else _cut_lines(text, budget)


def _length(parts: list[Part]) -> int:
    return sum(len(p.text) for p in parts) + len(_SEPARATOR) * max(len(parts) - 1, 0)


def _cut_lines(text: str, budget: int) -> str:
    """Whole lines of ``text`` that fit in ``budget`` with the cut mark after them."""
    out: list[str] = []
    size = len(_SEPARATOR) + len(_CUT_MARK)
    for line in text.split("\n"):
        if size + len(line) + 1 > budget:
            break
        out.append(line)
        size += len(line) + 1
    while out and not out[-1].strip():
        out.pop()
    return "\n".join(out) + _SEPARATOR + _CUT_MARK if out else _CUT_MARK


def fit_summary(*candidates: str) -> str:
    """The first candidate that fits the summary limit; the last one shortened otherwise."""
    for text in candidates:
        if len(text) <= SUMMARY_MAX:
            return text
    return one_line(candidates[-1], SUMMARY_MAX)  # cut between words, with «…»
