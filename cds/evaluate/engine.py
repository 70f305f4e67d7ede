"""The evaluate stage: one pathway's criteria applied to one patient's facts -> ``Assessment``.

Pure: no I/O and no clock (``today`` is passed in). Every feature is evaluated once (cheap), then
the rules are tried in file order for this hook; the first that holds decides. A labelled
referral already sent within ``referral.already_referred_days`` silences begrunnet, mistanke and
not_met (the patient is in the pathway); acute and unsupported_referral still speak.

Per rule: a rule that lists ``filter_tests`` sees a ``filter_tests_incomplete`` flag computed
over those tests only (``referral_state.filter_tests_incomplete``), and when it decides, the
assessment carries only those tests. The deciding rule's draft-order terms give
``blocked_orders``; its ``receiver_kind`` chooses the receivers (``cds.evaluate.receivers``).
A draft-order term with ``same_place_as`` compares each draft's place with the places the
evidence of the rule's supporting features names (``cds.evaluate.terms.placed_drafts``).
A ``mistanke`` also carries earlier positive results that aged out of their windows
(``cds.evaluate.aged_out``), so the card can say that the stale filter test was positive.
A ``stop_order`` also records what the other rules conclude (``Assessment.stop_then``), so that
the card offers a referral only when begrunnet mistanke holds, and the examinations otherwise.

Features that could not be assessed (a deciding value the facts stage could not use) are kept in
``Assessment.not_assessed``; the first earlier rule they leave open in three-valued logic, and
the features it turns on, in ``open_rule``/``deciding_not_assessed`` (``cds.evaluate.unassessed``).
A feature whose evaluation raises is reported as ``EvaluationError`` naming it, for the log.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

from cds.criteria.codebook import CodeBook
from cds.criteria.expressions import feature_names
from cds.criteria.schema import Outcome, Pathway, Rule
from cds.evaluate import referral_state as rs
from cds.evaluate.aged_out import aged_out
from cds.evaluate.features import evaluate_feature
from cds.evaluate.model import (
    Assessment,
    Evidence,
    Explained,
    FeatureHit,
    FilterTestStatus,
    NotAssessed,
    Words,
)
from cds.evaluate.places import lump_places
from cds.evaluate.receivers import choose_receivers
from cds.evaluate.terms import (
    TermContext,
    blocking_drafts,
    compares_places,
    draft_matches,
    holds,
    same_place_features,
    supporting_features,
    unmet_labels,
)
from cds.evaluate.unassessed import could_hold, deciding_features
from cds.facts.model import PatientFacts
from cds.hooks import HookName
from cds.wording.message import msg

# Outcomes an earlier pathway referral makes redundant.
_SUPPRESSED_WHEN_REFERRED: frozenset[Outcome] = frozenset({"begrunnet", "mistanke", "not_met"})


def evaluate(
    pathway: Pathway, codebook: CodeBook, facts: PatientFacts, *, hook: HookName, today: date
) -> Assessment:
    """What the service should conclude about ``pathway`` for this patient in this hook.

    Raises only :class:`EvaluationError`, naming the feature or rule that failed (for the log).
    """
    try:
        return _evaluate(pathway, codebook, facts, hook=hook, today=today)
    except EvaluationError:
        raise
    except _RuleFailed as exc:
        raise EvaluationError(pathway.id, f"rule:{exc.rule}") from exc.__cause__
    except Exception as exc:
        raise EvaluationError(pathway.id, "assessment") from exc


def _evaluate(
    pathway: Pathway, codebook: CodeBook, facts: PatientFacts, *, hook: HookName, today: date
) -> Assessment:
    hits: dict[str, FeatureHit] = {}
    not_assessed: dict[str, NotAssessed] = {}
    notes: dict[Words, None] = {}  # ordered set: the same remark from two sources is shown once
    for feature_id, feature in pathway.features.items():
        try:
            result = evaluate_feature(feature_id, feature, codebook, facts, today)
        except Exception as exc:  # a bug must name its feature (logged by cds.pipeline)
            raise EvaluationError(pathway.id, f"feature:{feature_id}") from exc
        notes.update(dict.fromkeys(result.notes))
        if result.hit is not None:
            hits[feature_id] = result.hit
        elif result.unassessed is not None:
            not_assessed[feature_id] = NotAssessed(feature_id, feature.label, result.unassessed)
    try:
        explained = explain(pathway, hits, facts.age_years)
    except Exception as exc:  # as for features: name the part (logged by cds.pipeline)
        raise EvaluationError(pathway.id, "explained_by") from exc
    for feature_id in explained:
        del hits[feature_id]

    filter_tests = rs.filter_test_status(pathway.filter_tests, facts, today)
    ctx = term_context(pathway, codebook, facts, hits, filter_tests)

    rule = _deciding_rule(pathway.rules, ctx, filter_tests, hook)
    referred = rs.already_referred(pathway, facts, today)
    if rule is not None and referred is not None and rule.outcome in _SUPPRESSED_WHEN_REFERRED:
        rule = None
    if facts.deceased:
        # No pathway is suggested for a patient the record says has died (a practice audit would
        # otherwise list the dead); the findings stay visible in the explain view.
        rule = None
        notes[msg("patient.deceased")] = None

    # The deciding rule's own context, before filter_tests is narrowed below.
    rule_ctx = rule_context(rule, ctx, filter_tests) if rule is not None else ctx
    unmet: tuple[Words, ...] = ()
    blocked: tuple[str, ...] = ()
    stop_then: Outcome | None = None
    stop_then_rule: str | None = None
    if rule is not None and rule.outcome == "stop_order":
        # What to offer instead of the stopped order depends on what the patient meets without
        # it: a referral only at begrunnet mistanke, otherwise the examinations first.
        others = tuple(r for r in pathway.rules if r.outcome != "stop_order")
        beneath = _deciding_rule(others, ctx, filter_tests, hook)
        if beneath is not None:
            stop_then, stop_then_rule = beneath.outcome, beneath.id
            if beneath.filter_tests:
                filter_tests = tuple(t for t in filter_tests if t.test in beneath.filter_tests)
    if rule is not None:
        if rule.unmet_of is not None:
            target = next(r for r in pathway.rules if r.id == rule.unmet_of)
            unmet = unmet_labels(target, rule_context(target, ctx, filter_tests), pathway.features)
        blocked = blocking_drafts(rule.when, rule_ctx)
        if rule.filter_tests:
            filter_tests = tuple(t for t in filter_tests if t.test in rule.filter_tests)
        if not rule.show_filter_tests:
            filter_tests = ()
    receivers = choose_receivers(pathway, rule, codebook, facts)
    outcome = rule.outcome if rule is not None else None
    earlier = (
        # Explained findings are not «absent»: they have no aged-out history to report.
        aged_out(
            pathway,
            codebook,
            facts,
            today,
            {**hits, **{f: e.hit for f, e in explained.items()}},
            filter_tests,
        )
        if outcome == "mistanke"
        else ()
    )
    notes.update(dict.fromkeys(receivers.notes))
    open_rule, deciding = _left_open(pathway.rules, rule, ctx, filter_tests, hook, not_assessed)
    if open_rule is not None and referred is not None:
        if open_rule.outcome in _SUPPRESSED_WHEN_REFERRED:
            open_rule, deciding = None, ()
    if facts.deceased:
        open_rule, deciding = None, ()

    return Assessment(
        pathway=pathway.id,
        outcome=outcome,
        rule=rule.id if rule is not None else None,
        hits=hits,
        filter_tests=filter_tests,
        unmet=unmet,
        already_referred=referred,
        draft_referral=rs.draft_referral(facts),
        missing_content=rs.missing_content(pathway, facts, today),
        notes=tuple(notes),
        blocked_orders=blocked,
        receivers=receivers.names,
        region=receivers.region,
        stop_then=stop_then,
        stop_then_rule=stop_then_rule,
        explained=explained,
        aged_out=earlier,
        not_assessed=not_assessed,
        open_rule=open_rule.id if open_rule is not None else None,
        open_outcome=open_rule.outcome if open_rule is not None else None,
        deciding_not_assessed=deciding,
        deceased=facts.deceased,
    )


def explain(
    pathway: Pathway, hits: dict[str, FeatureHit], age_years: int | None
) -> dict[str, Explained]:
    """Present findings with a recorded explanation that holds (the first that holds wins).

    Explanations name only plain features (the schema refuses chains), so one pass over the
    hits as found is enough and the order of features does not matter.
    """
    out: dict[str, Explained] = {}
    ctx = TermContext(present=frozenset(hits), flags={}, age_years=age_years)
    for feature_id, hit in hits.items():
        for explanation in pathway.features[feature_id].explained_by:
            if holds(explanation.when, ctx):
                because = tuple(
                    e
                    for name in feature_names(explanation.when)
                    if name in hits
                    for e in hits[name].evidence
                )
                days = explanation.cause_days_before
                if explanation.cause_first and not _cause_first(hit, because, days):
                    continue
                out[feature_id] = Explained(hit, explanation.label, because)
                break
    return out


def _cause_first(hit: FeatureHit, because: tuple[Evidence, ...], days: int = 0) -> bool:
    """Some evidence of the cause is dated on or before the finding's newest evidence, or is
    undated (nothing shows it came later); a finding without dates cannot be compared. With
    ``days``, the cause must be dated at least that long before (an undated one does not show
    it)."""
    newest = max((e.when for e in hit.evidence if e.when is not None), default=None)
    if newest is None:
        return True
    if days:
        latest = newest - timedelta(days=days)
        return any(e.when is not None and e.when <= latest for e in because)
    return any(e.when is None or e.when <= newest for e in because)


class EvaluationError(Exception):
    """A failure inside one pathway's evaluation, naming the pathway and the part (no values)."""

    def __init__(self, pathway: str, part: str) -> None:
        super().__init__(f"{pathway} {part}")
        self.pathway = pathway
        self.part = part


# Outcomes an open (not assessed) rule is worth telling the GP about: those that ask for action.
_WORTH_SAYING: frozenset[Outcome] = frozenset(
    {"acute", "begrunnet", "mistanke", "advice", "stop_order"}
)


def term_context(
    pathway: Pathway,
    codebook: CodeBook,
    facts: PatientFacts,
    hits: dict[str, FeatureHit],
    filter_tests: tuple[FilterTestStatus, ...],
) -> TermContext:
    """What the pathway's rule terms are evaluated against: the present (not explained) features,
    the situation flags, the age, and the draft orders with their places."""
    evidence_refs = frozenset(e.ref for hit in hits.values() for e in hit.evidence)
    ctx = TermContext(
        present=frozenset(hits),
        changed=frozenset(f for f, hit in hits.items() if hit.changed),
        flags={
            "filter_tests_incomplete": rs.filter_tests_incomplete(filter_tests),
            "draft_labelled": rs.draft_labelled(pathway, facts),
            "related_draft_referral": rs.related_draft_referral(
                pathway, codebook, facts, evidence_refs
            ),
        },
        age_years=facts.age_years,
        drafts=draft_matches(pathway.rules, codebook, facts.draft_orders),
    )
    if facts.draft_orders:
        # Where the drafts and the suspected lumps are, for draft-order terms with same_place_as
        # (only the order hooks carry drafts; patient-view skips this).
        ctx = replace(
            ctx,
            draft_places={order.ref: order.place for order in facts.draft_orders},
            feature_places=lump_places(hits, same_place_features(pathway.rules), facts, codebook),
        )
    return ctx


def _left_open(
    rules: tuple[Rule, ...],
    decided: Rule | None,
    ctx: TermContext,
    filter_tests: tuple[FilterTestStatus, ...],
    hook: HookName,
    not_assessed: dict[str, NotAssessed],
) -> tuple[Rule | None, tuple[str, ...]]:
    """The first rule before the deciding one that the not-assessed features leave open, and the
    features it turns on (cds.evaluate.unassessed); (None, ()) when nothing is left open."""
    if not not_assessed:
        return None, ()
    unknown = frozenset(not_assessed)
    for rule in rules:
        if rule is decided:
            break
        if hook not in rule.hooks or rule.outcome not in _WORTH_SAYING:
            continue
        rule_ctx = rule_context(rule, ctx, filter_tests)
        if could_hold(rule.when, rule_ctx, unknown) is None:
            return rule, deciding_features(rule.when, rule_ctx, unknown)
    return None, ()


def rule_context(
    rule: Rule, ctx: TermContext, filter_tests: tuple[FilterTestStatus, ...]
) -> TermContext:
    """``ctx`` as this rule sees it: its own ``filter_tests_incomplete`` when it lists tests, and,
    when it compares a draft's place with the lump's, the features that make it hold."""
    if rule.filter_tests:
        flags = dict(ctx.flags)
        flags["filter_tests_incomplete"] = rs.filter_tests_incomplete(
            filter_tests, rule.filter_tests
        )
        ctx = replace(ctx, flags=flags)
    if ctx.draft_places and compares_places(rule):
        ctx = replace(ctx, support=supporting_features(rule.when, ctx))
    return ctx


def _deciding_rule(
    rules: tuple[Rule, ...],
    ctx: TermContext,
    filter_tests: tuple[FilterTestStatus, ...],
    hook: HookName,
) -> Rule | None:
    """The first rule for this hook whose expression holds."""
    for rule in rules:
        try:
            if hook in rule.hooks and holds(rule.when, rule_context(rule, ctx, filter_tests)):
                return rule
        except Exception as exc:
            raise _RuleFailed(rule.id) from exc
    return None


class _RuleFailed(Exception):
    """A rule's expression raised; :func:`evaluate` names it in its ``EvaluationError``."""

    def __init__(self, rule: str) -> None:
        super().__init__(rule)
        self.rule = rule
