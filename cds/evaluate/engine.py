"""The evaluate stage: one pathway's criteria applied to one patient's facts -> ``Assessment``.

Pure: no I/O and no clock (``today`` is passed in). Every feature is evaluated once (cheap), then
the rules are tried in file order for this hook; the first that holds decides. A labelled
referral already sent within ``referral.already_referred_days`` silences begrunnet, mistanke and
not_met (the patient is in the pathway); acute and unsupported_referral still speak.
"""

from __future__ import annotations

from datetime import date

from cds.criteria.schema import CodeBook, HookName, Outcome, Pathway, Rule
from cds.evaluate import referral_state as rs
from cds.evaluate.features import evaluate_feature
from cds.evaluate.model import Assessment, FeatureHit
from cds.evaluate.terms import TermContext, holds, unmet_labels
from cds.facts.model import PatientFacts

# Outcomes an earlier pathway referral makes redundant.
_SUPPRESSED_WHEN_REFERRED: frozenset[Outcome] = frozenset({"begrunnet", "mistanke", "not_met"})


def evaluate(
    pathway: Pathway, codebook: CodeBook, facts: PatientFacts, *, hook: HookName, today: date
) -> Assessment:
    """What the service should conclude about ``pathway`` for this patient in this hook."""
    hits: dict[str, FeatureHit] = {}
    notes: dict[str, None] = {}  # ordered set: the same remark from two sources is shown once
    for feature_id, feature in pathway.features.items():
        result = evaluate_feature(feature_id, feature, codebook, facts, today)
        notes.update(dict.fromkeys(result.notes))
        if result.hit is not None:
            hits[feature_id] = result.hit

    filter_tests = rs.filter_test_status(pathway.filter_tests, facts, today)
    evidence_refs = frozenset(e.ref for hit in hits.values() for e in hit.evidence)
    ctx = TermContext(
        present=frozenset(hits),
        flags={
            "filter_tests_incomplete": any(t.trigger and t.state != "ok" for t in filter_tests),
            "draft_labelled": rs.draft_labelled(pathway, facts),
            "related_draft_referral": rs.related_draft_referral(
                pathway, codebook, facts, evidence_refs
            ),
        },
    )

    rule = _deciding_rule(pathway.rules, ctx, hook)
    referred = rs.already_referred(pathway, facts, today)
    if rule is not None and referred is not None and rule.outcome in _SUPPRESSED_WHEN_REFERRED:
        rule = None

    unmet: tuple[str, ...] = ()
    if rule is not None and rule.unmet_of is not None:
        target = next(r for r in pathway.rules if r.id == rule.unmet_of)
        unmet = unmet_labels(target, ctx, pathway.features)

    return Assessment(
        pathway=pathway.id,
        outcome=rule.outcome if rule is not None else None,
        rule=rule.id if rule is not None else None,
        hits=hits,
        filter_tests=filter_tests,
        unmet=unmet,
        already_referred=referred,
        draft_referral=rs.draft_referral(facts),
        missing_content=rs.missing_content(pathway, facts, today),
        notes=tuple(notes),
    )


def _deciding_rule(rules: tuple[Rule, ...], ctx: TermContext, hook: HookName) -> Rule | None:
    """The first rule for this hook whose expression holds."""
    for rule in rules:
        if hook in rule.hooks and holds(rule.when, ctx):
            return rule
    return None
