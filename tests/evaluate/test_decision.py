"""The evaluate stage's card decisions (cds/evaluate/decision.py): what render is handed.

A decision names its deciding rule (looked up once, here), the filter tests still missing, and a
merged group of begrunnet cards carries the diagnostic pathway's own quote about organ-specific
assessment, found by the ``organ_specific_first`` criteria key rather than by searching quotes.
"""

from __future__ import annotations

from datetime import date

from cds.criteria.registry import Registry
from cds.evaluate.decision import decide, plan_cards
from cds.evaluate.model import Assessment
from cds.facts.model import PatientFacts

TODAY = date(2026, 12, 3)


def _facts() -> PatientFacts:
    return PatientFacts(
        patient_ref="Patient/1", today=TODAY, sex="female", birth_date=None, age_years=60
    )


def _begrunnet(registry: Registry, pathway_id: str) -> Assessment:
    pathway = registry.get(pathway_id)
    rule = next(r for r in pathway.rules if r.outcome == "begrunnet")
    return Assessment(pathway=pathway_id, outcome="begrunnet", rule=rule.id, hits={})


def test_silent_assessment_has_no_rule(registry: Registry) -> None:
    pathway = registry.get("myelomatose")
    silent = Assessment(pathway="myelomatose", outcome=None, rule=None, hits={})
    decision = decide(pathway, silent, _facts(), registry.codebook)
    assert decision.rule is None
    assert decision.findings == () and decision.draft is None


def test_decision_carries_the_deciding_rule(registry: Registry) -> None:
    pathway = registry.get("myelomatose")
    a = _begrunnet(registry, "myelomatose")
    decision = decide(pathway, a, _facts(), registry.codebook)
    assert decision.rule is not None and decision.rule.id == a.rule
    plan = plan_cards([decision])
    assert plan.singles == (decision,) and plan.groups == ()


def test_exactly_one_citation_sends_organ_specific_first(registry: Registry) -> None:
    flagged = [
        (p.id, c.quote)
        for p in registry.pathways
        for r in p.rules
        for c in r.cite
        if c.organ_specific_first
    ]
    assert flagged == [
        ("diagnostisk", "Sykdomsbildet tilsier at organspesifikk utredning ikke er hensiktsmessig")
    ]


def test_group_quote_only_with_the_diagnostic_pathway(registry: Registry) -> None:
    decisions = [
        decide(registry.get(pid), _begrunnet(registry, pid), _facts(), registry.codebook)
        for pid in ("myelomatose", "sarkom")
    ]
    organ_only = plan_cards(decisions)
    assert all(g.quote is None for g in organ_only.groups)


def test_group_quote_from_the_diagnostic_pathway(registry: Registry) -> None:
    diagnostisk = registry.get("diagnostisk")
    rule = next(r for r in diagnostisk.rules if any(c.organ_specific_first for c in r.cite))
    decisions = [
        decide(registry.get("myelomatose"), _begrunnet(registry, "myelomatose"), _facts(),
               registry.codebook),
        decide(diagnostisk, Assessment(pathway="diagnostisk", outcome=rule.outcome, rule=rule.id,
                                       hits={}), _facts(), registry.codebook),
    ]
    groups = plan_cards(decisions).groups
    quotes = [g.quote for g in groups if g.quote is not None]
    assert quotes, "a merged group with the diagnostic pathway quotes its organ-specific criterion"
    pathway, quote = quotes[0]
    assert pathway.id == "diagnostisk"
    assert quote.parts == (
        "Sykdomsbildet tilsier at organspesifikk utredning ikke er hensiktsmessig",
    )
