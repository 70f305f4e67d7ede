"""What a card says about the filter tests and the referral's missing content.

Moved out of ``cds.render.cards`` (which stays the card builders): which filter tests are missing
or stale — as bullets, or as one sentence when there are many (the diagnostic pathway's list, to
keep the card within its length budget, cds/render/budget.py) — with the source's sentence as a
quote that a card over budget drops first; and what the referral must carry that the record
lacks, each thing asked for once (the frailty score a diagnostic card already lists among its
tests is not asked for again, and the acute card does not ask for it before a phone call).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from cds.criteria.schema import Pathway, ReferralContent, Rule
from cds.evaluate.model import Assessment
from cds.facts.model import PatientFacts
from cds.render.budget import Part
from cds.render.evidence import bullets
from cds.render.format import fmt_date, join_no, lower_first, md, one_line
from cds.render.lab_orders import missing_filter_tests, missing_tests

# The drop rank of source quotes (cds.render.budget.Part): the first thing a long card leaves out.
QUOTE_RANK = 4


class CardCall(Protocol):
    """What these texts need of a card builder's call (cds.render.cards._Call)."""

    @property
    def pathway(self) -> Pathway: ...
    @property
    def assessment(self) -> Assessment: ...
    @property
    def facts(self) -> PatientFacts: ...
    @property
    def rule(self) -> Rule | None: ...


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
        if spec.analytes and any(call.facts.labs.get(a) for a in spec.analytes):
            # An old result exists (evaluate counts only recent ones): say so, do not deny it.
            lines.append(
                f"{md(spec.label)} i journalen er ikke oppdatert – legg en ny vurdering til i "
                "henvisningen."
            )
            continue
        tail = _MISSING_CONTENT_TAIL.get(content_id, "legg det til i henvisningen.")
        lines.append(f"{md(spec.label)} mangler i journalen – {tail}")
    return "\n\n".join(lines)


def listed_content(call: CardCall) -> tuple[str, ...]:
    """Referral content the card's filter-test list already asks for (a diagnostic pathway
    lists the frailty score among the tests before referral): said once."""
    listed = {
        a
        for _, test in missing_filter_tests(call.pathway, call.assessment, call.facts)
        for a in test.analytes
    }
    return tuple(c.id for c in call.pathway.referral.content if listed.intersection(c.analytes))


def filter_tests(call: CardCall, heading: str | None = None) -> list[Part | str]:
    """Exactly which filter tests are missing or stale, and the source sentence, once.

    Up to :data:`_LISTED_TESTS` tests are bullets; more (the diagnostic pathway's long list)
    become one sentence, so the card stays within its length budget. The source quote is the
    first thing a card over budget leaves out.
    """
    pathway = call.pathway
    tests = {t.id: t for t in pathway.filter_tests}
    lines = []
    kinds: set[str] = set()
    for status in missing_tests(pathway, call.assessment, call.facts):
        test = tests.get(status.test)
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
    """The source's filter-test sentence as one quote with its section.

    Criteria files cite each filter test by its own list item («Proteinelektroforese») and the
    rule by the sentence that introduces the list («Ved mistanke om myelomatose skal fastlegen
    ta:»). The introducing sentence says *why* the tests are listed, so it wins; without it the
    tests' own quotes are shown, joined with «…» to mark the omitted text between them.
    """
    pathway = call.pathway
    missing = {s.test for s in missing_tests(pathway, call.assessment, call.facts)}
    tests = [t for t in pathway.filter_tests if t.id in missing]
    if not tests:
        return ""
    section = tests[0].cite.section
    rule = call.rule
    intro = [c.quote for c in (rule.cite if rule else ()) if c.section == section]
    quotes = intro[:1] or list(
        dict.fromkeys(t.cite.quote for t in tests if t.cite.section == section)
    )
    quote = " … ".join(one_line(q) for q in quotes)
    return f"> «{md(quote)}» ({md(pathway.source.label)}, «{md(one_line(section))}»)"
