"""Why a pathway said what it said: every rule in order, every feature with its evidence or why it
did not count (the explain view: ``?explain=true``, ``cds evaluate --explain``, the sandbox page).

Pure, like the engine: a function of the pathway, the facts, the engine's own assessment and the
clock. It asks the same questions the engine asked (the same term context, ``holds`` and
``unmet_labels``), so the explanation cannot tell a different story from the card; and it asks
the source kinds that can say so what they read but did not count (a negated or hedged clause:
``SourceKind.uncounted``). Render words it (``cds.render.explanation``); it changes no card.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from cds.criteria.codebook import CodeBook
from cds.criteria.schema import Pathway
from cds.evaluate import referral_state as rs
from cds.evaluate.engine import rule_context, term_context
from cds.evaluate.model import (
    Assessment,
    FeatureTrace,
    PathwayTrace,
    RuleTrace,
    Uncounted,
    Words,
)
from cds.evaluate.sources import kind_of
from cds.evaluate.terms import holds, unmet_labels
from cds.facts.model import PatientFacts
from cds.hooks import HookName


def explain_pathway(
    pathway: Pathway,
    codebook: CodeBook,
    facts: PatientFacts,
    assessment: Assessment,
    *,
    hook: HookName,
    today: date,
) -> PathwayTrace:
    """The explanation of ``assessment`` (the engine's verdict on ``pathway`` for these facts)."""
    hits = dict(assessment.hits)
    filter_tests = rs.filter_test_status(pathway.filter_tests, facts, today)
    ctx = term_context(pathway, codebook, facts, hits, filter_tests)
    rules: list[RuleTrace] = []
    for rule in pathway.rules:
        for_hook = hook in rule.hooks
        held: bool | None = None
        not_met: tuple[Words, ...] = ()
        if for_hook:
            rule_ctx = rule_context(rule, ctx, filter_tests)
            held = holds(rule.when, rule_ctx)
            if not held:
                not_met = unmet_labels(rule, rule_ctx, pathway.features)
        rules.append(
            RuleTrace(
                rule=rule.id,
                outcome=rule.outcome,
                for_hook=for_hook,
                held=held,
                deciding=rule.id == assessment.rule,
                not_met=not_met,
                cite=rule.cite,
            )
        )
    aged = {item.feature: item.evidence for item in assessment.aged_out}
    features: list[FeatureTrace] = []
    for feature_id, feature in pathway.features.items():
        base = FeatureTrace(feature_id, feature.label, "absent", feature.cite)
        if feature_id in assessment.hits:
            hit = assessment.hits[feature_id]
            features.append(replace(base, status="present", evidence=hit.evidence))
        elif feature_id in assessment.explained:
            explained = assessment.explained[feature_id]
            features.append(
                replace(
                    base,
                    status="explained",
                    evidence=explained.hit.evidence,
                    reason=explained.reason,
                )
            )
        elif feature_id in assessment.not_assessed:
            reason = assessment.not_assessed[feature_id].reason
            features.append(replace(base, status="not_assessed", reason=reason))
        else:
            uncounted: list[Uncounted] = []
            for source in feature.sources:
                kind = kind_of(source)
                if kind.uncounted is not None:
                    uncounted.extend(kind.uncounted(source, codebook, facts, today))
            features.append(
                replace(
                    base, uncounted=tuple(dict.fromkeys(uncounted)), aged_out=aged.get(feature_id)
                )
            )
    return PathwayTrace(
        pathway=pathway.id,
        version=pathway.version,
        title=pathway.title,
        outcome=assessment.outcome,
        rule=assessment.rule,
        already_referred=assessment.already_referred is not None,
        rules=tuple(rules),
        features=tuple(features),
        deceased=assessment.deceased,
    )
