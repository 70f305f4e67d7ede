"""What a card says about the filter tests and the referral's missing content.

Words only: which filter tests are missing or stale, and the quote to show, come from the
evaluate stage's decision (``cds.evaluate.decision.CardDecision``). Written as bullets, or as one
sentence when there are many (the diagnostic pathway's list, to keep the card within its length
budget, cds/render/budget.py), with the source's sentence as a quote that a card over budget
drops first; and what the referral must carry that the record lacks, each thing asked for once
(the frailty score a diagnostic card already lists among its tests is not asked for again, and
the acute card does not ask for it before a phone call).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from cds.criteria.schema import Pathway, ReferralContent
from cds.evaluate.decision import CardDecision
from cds.evaluate.model import Assessment
from cds.render.budget import Part
from cds.render.evidence import bullets
from cds.render.format import fmt_date, join_no, lower_first, md, one_line

# The drop rank of source quotes (cds.render.budget.Part): the first thing a long card leaves out.
QUOTE_RANK = 4


class CardCall(Protocol):
    """What these texts need of a card builder's call (cds.render.cards._Call)."""

    @property
    def pathway(self) -> Pathway: ...
    @property
    def assessment(self) -> Assessment: ...
    @property
    def decision(self) -> CardDecision: ...


# More missing tests than this are one sentence instead of a bullet list.
_LISTED_TESTS = 4
_MISSING_CONTENT_TAIL = {
    "frailty": "legg den til i henvisningen.",
    "medications": "legg dem til i henvisningen.",
    "comorbidity": "legg dem til i henvisningen.",
}


def missing_content(call: CardCall, skip: Sequence[str] = ()) -> str:
    """What the referral must carry and the record lacks; ``skip``: content ids not to ask for
    here (the acute card's frailty score, a test the card already lists)."""
    specs: dict[str, ReferralContent] = {c.id: c for c in call.pathway.referral.content}
    lines = []
    for content_id in call.assessment.missing_content:
        spec = specs.get(content_id)
        if spec is None or content_id in skip:
            continue
        if content_id in call.decision.outdated_content:
            # An old result exists (evaluate counts only recent ones): say so, do not deny it.
            lines.append(
                f"{md(spec.label)} i journalen er ikke oppdatert – legg en ny vurdering til i "
                "henvisningen."
            )
            continue
        tail = _MISSING_CONTENT_TAIL.get(content_id, "legg det til i henvisningen.")
        lines.append(f"{md(spec.label)} mangler i journalen – {tail}")
    return "\n\n".join(lines)


def filter_tests(call: CardCall, heading: str | None = None) -> list[Part | str]:
    """Exactly which filter tests are missing or stale, and the source sentence, once.

    Up to :data:`_LISTED_TESTS` tests are bullets; more (the diagnostic pathway's long list)
    become one sentence, so the card stays within its length budget. The source quote is the
    first thing a card over budget leaves out.
    """
    lines = []
    kinds: set[str] = set()
    for missing in call.decision.missing_tests:
        status, test = missing.status, missing.test
        kind = test.order_category if test is not None else "laboratory"
        kinds.add(kind)
        if status.state == "stale":
            older = f"eldre enn {test.max_age_days} dager" if test is not None else "for gammel"
            done = "sist utført" if kind == "imaging" else "sist tatt"
            lines.append((md(status.label), f"{older}, {done} {fmt_date(status.last)}"))
        else:
            lines.append((md(status.label), "mangler"))
    if not lines:
        return []
    if heading is None:
        what = {
            frozenset({"laboratory"}): "Filterprøver",
            frozenset({"imaging"}): "Undersøkelser",
        }.get(frozenset(kinds), "Filterprøver og undersøkelser")
        heading = f"{what} som mangler eller er for gamle:"
    if len(lines) <= _LISTED_TESTS:
        text = bullets(heading, [f"{label} — {state}" for label, state in lines])
    else:
        items = [
            lower_first(label) + ("" if state == "mangler" else f" ({state})")
            for label, state in lines
        ]
        text = f"{heading} {join_no(items)}."
    return [text, Part(_filter_citation(call), QUOTE_RANK)]


def _filter_citation(call: CardCall) -> str:
    """The source's filter-test sentence evaluate chose (``CardDecision.filter_quote``) as one
    quote with its section; several list items are joined with «…» for the text between them."""
    quote = call.decision.filter_quote
    if quote is None:
        return ""
    text = " … ".join(one_line(q) for q in quote.parts)
    return f"> «{md(text)}» ({md(call.pathway.source.label)}, «{md(one_line(quote.section))}»)"
