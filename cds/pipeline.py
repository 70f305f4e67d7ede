"""Wires the stages for one hook call: record -> facts -> assessments -> CDS Hooks response.

Routes and the CLI call :func:`respond`; it does no I/O and reads no clock (``today`` is passed
in), so the same request and record always give the same cards. It times its stages (facts,
evaluate, render) and names the deciding rules on the call's trace (:mod:`cds.audit`), which
only the audit row reads.

**One pathway's failure is its own.** Each pathway is evaluated on its own; an exception inside
one (a bug, or a record shape nobody foresaw) drops that pathway's card only: it is logged with
the pathway id and the part that failed (``feature:<id>``, ``render``) but no patient data
(README «Privacy and logging»: exception type and code location, never the message), and a quiet
``info`` card says that the pathway could not be assessed (``cds.render.unassessed``), so the
other pathways' cards are not read as the whole answer. A rendering failure is narrowed to its
pathway by rendering the pathways one at a time (only after the joint rendering failed), and the
rest are rendered together again, so the «Several pathways» policy still applies between them.
A silent pathway whose open rule a not-assessed feature decides gets its quiet ``not_assessed``
card here too (not next to a critical card, nor when a pathway referral is recent; next to an
organ-specific begrunnet mistanke only when the open rule is acute). Both card types can be
switched off with ``CDS_DISABLED_CARDS`` (``not_assessed``, ``failed``).

**Safety-netting** (``patient-view`` only, ``cds.evaluate.safety_net``): each pathway's timeline
(``cds.evaluate.clock``) may give a quiet card — a referral with no first attendance by its
deadline, or a pathway ended without cancer while the finding persists. It is computed and
rendered in its own ``try`` per pathway: a failure there is logged (part ``safety-net``) and
costs only that card, never the pathway's own card, and it gets no ``failed`` card (the pathway
*was* assessed). Which nets are shown is decided with the plan (none next to a critical card);
``CDS_DISABLED_CARDS=safety_net`` switches them off.

**Follow-up after treatment** (``cds.followups``): each follow-up programme's cards come last,
and only where the programme's pathway has no card and no safety net in the answer.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import date
from typing import Any

from cds.audit import current_trace
from cds.cdshooks import Card, CdsResponse, HookRequest
from cds.criteria.codebook import CodeBook
from cds.criteria.followup import FollowupProgramme
from cds.criteria.registry import Registry
from cds.criteria.schema import ALL_HOOKS, Pathway
from cds.evaluate.clock import timeline
from cds.evaluate.decision import CardDecision, CardPlan, decide, plan_cards
from cds.evaluate.engine import EvaluationError, evaluate
from cds.evaluate.explanation import explain_pathway
from cds.evaluate.followup_model import FollowupPlan
from cds.evaluate.model import Assessment
from cds.evaluate.safety_net import SafetyNetPolicy, safety_net, select
from cds.evaluate.safety_net_model import SafetyNet
from cds.facts.extract import extract_facts
from cds.facts.model import PatientFacts
from cds.followups import CallContext, followup_cards
from cds.followups import plans as followup_plans
from cds.hooks import HookName
from cds.logs import log_exception
from cds.record.model import Record
from cds.render import unassessed
from cds.render.cards import render_cards
from cds.render.explanation import explanation_extension
from cds.render.followup_timeline import followup_explanation
from cds.render.safety_net import safety_net_card
from cds.settings import Settings

logger = logging.getLogger(__name__)

# How a safety net is named among the audit row's rule ids (it is no criteria rule).
SAFETY_NET_AUDIT_NAMES = {
    "first_attendance": "forste-fremmote",
    "not_cancer_persisting": "avsluttet-uten-kreft",
}

Result = tuple[Pathway, Assessment]


def respond(
    request: HookRequest,
    record: Record,
    registry: Registry,
    settings: Settings,
    *,
    today: date,
    explain: bool = False,
) -> CdsResponse:
    """The CDS Hooks response for one request; with ``explain``, its explanation as the
    response's ``extension`` (the cards are the same)."""
    if request.hook not in ALL_HOOKS:
        return CdsResponse(cards=[])
    hook = request.hook
    trace = current_trace()  # stage timings for the audit row (cds.audit); decides nothing
    with trace.stage("facts"):
        facts = extract_facts(
            record,
            registry.codebook,
            today=today,
            context=request.context,
            horizons=registry.lab_horizons,
        )
    decisions: list[CardDecision] = []
    failed: list[Pathway] = []
    codebook = registry.codebook
    with trace.stage("evaluate"):
        for pathway in registry.pathways:
            try:
                assessment = evaluate(pathway, codebook, facts, hook=hook, today=today)
                decision = decide(pathway, assessment, facts, codebook)
            except Exception as exc:
                _log_failure(pathway, exc)
                failed.append(pathway)
            else:
                decisions.append(decision)
        # Which assessments become cards is decided here too, for all pathways together.
        plan = _plan(decisions, request.hook_instance, hook)
        nets = select(_safety_nets(decisions, facts, codebook, settings, hook, today), plan)
    for decision in decisions:
        trace.fired(decision.assessment.rule)
    for net in nets:  # the audit row names the safety nets too, as <pathway>.klokke.<kind>
        trace.fired(f"{net.pathway}.klokke.{SAFETY_NET_AUDIT_NAMES[net.kind]}")
    with trace.stage("render"):
        cards = _render(request, facts, settings, plan, failed, hook, today=today, nets=nets)
        cards.extend(
            _followup_cards(request, hook, registry, facts, settings, (plan, nets, cards), today)
        )
    if not explain:
        return CdsResponse(cards=cards)
    # The plans again (explain only): the cards' step keeps none of them.
    plans = list(followup_plans(registry, facts, today))
    extension = _explanation(decisions, facts, codebook, hook, today, plans, nets)
    return CdsResponse(cards=cards, extension=extension)


def _explanation(
    decisions: Sequence[CardDecision],
    facts: PatientFacts,
    codebook: CodeBook,
    hook: HookName,
    today: date,
    plans: Sequence[tuple[FollowupProgramme, FollowupPlan]] = (),
    nets: Sequence[SafetyNet] = (),
) -> dict[str, Any]:
    """The explain extension, with the follow-up plans' part; a pathway whose explanation fails
    is left out of it (logged): the cards must still go out."""
    traces = []
    for decision in decisions:
        try:
            traces.append(
                explain_pathway(
                    decision.pathway, codebook, facts, decision.assessment, hook=hook, today=today
                )
            )
        except Exception as exc:
            _log_failure(decision.pathway, exc, part="explain")
    return explanation_extension(traces, followup_explanation(plans, facts.patient_ref), nets)


def _render(
    request: HookRequest,
    facts: PatientFacts,
    settings: Settings,
    plan: CardPlan,
    failed: list[Pathway],
    hook: HookName,
    *,
    today: date,
    nets: Sequence[SafetyNet] = (),
) -> list[Card]:
    """The cards of the evaluated pathways, each pathway's rendering failure its own."""
    user = request.context.get("userId")
    renderer = _Renderer(
        facts,
        settings,
        hook=hook,
        hook_instance=request.hook_instance,
        user_ref=user if isinstance(user, str) and user else None,
        today=today,
    )
    results = [(d.pathway, d.assessment) for d in plan.decisions]
    cards, broken = renderer.isolated(plan)
    failed.extend(broken)
    cards.extend(_quiet_cards(results, broken, cards, settings, request.hook_instance))
    if not _critical(cards):
        cards.extend(_safety_net_cards(nets, results, renderer))
    disabled = settings.disabled_cards
    if "failed" not in disabled and not _critical(cards):
        cards.extend(unassessed.failed_card(p, request.hook_instance) for p in failed)
    return cards


class _Renderer:
    """``render_cards`` with this call's arguments, and its per-pathway isolation."""

    def __init__(
        self,
        facts: PatientFacts,
        settings: Settings,
        *,
        hook: HookName,
        hook_instance: str,
        user_ref: str | None,
        today: date,
    ) -> None:
        self.facts, self.settings = facts, settings
        self.hook, self.hook_instance = hook, hook_instance
        self.user_ref, self.today = user_ref, today

    def render(self, plan: CardPlan) -> list[Card]:
        return render_cards(
            plan,
            self.facts,
            hook=self.hook,
            hook_instance=self.hook_instance,
            user_ref=self.user_ref,
            today=self.today,
            disabled=self.settings.disabled_cards,
        )

    def isolated(self, plan: CardPlan) -> tuple[list[Card], list[Pathway]]:
        """The cards, and the pathways left out because rendering them failed.

        Only after the joint rendering failed: each pathway is planned and rendered alone, and
        the ones that render are planned together again (the policy is pure and cheap), so one
        pathway's broken card does not silence the others.
        """
        try:
            return self.render(plan), []
        except Exception:
            logger.warning("rendering failed: retrying one pathway at a time")
        kept: list[CardDecision] = []
        broken: list[Pathway] = []
        for decision in plan.decisions:
            try:
                self.render(plan_cards([decision]))
            except Exception as exc:
                _log_failure(decision.pathway, exc, part="render")
                broken.append(decision.pathway)
            else:
                kept.append(decision)
        try:
            return self.render(plan_cards(kept)), broken
        except Exception as exc:  # only together do they fail: say nothing rather than guess
            for decision in kept:
                _log_failure(decision.pathway, exc, part="render-combined")
            return [], broken + [d.pathway for d in kept]


def _plan(decisions: Sequence[CardDecision], hook_instance: str, hook: HookName) -> CardPlan:
    """The «Several pathways» policy over every decision; what it drops is logged (debug)."""
    plan = plan_cards(decisions)
    for dropped in plan.dropped:
        logger.debug(
            "card left out: several pathways",
            extra={
                "hookInstance": hook_instance,
                "hook": hook,
                "pathway": dropped.pathway,
                "outcome": dropped.outcome,
                "reason": dropped.reason,
            },
        )
    return plan


def _quiet_cards(
    results: Sequence[Result],
    broken: Sequence[Pathway],
    cards: Sequence[Card],
    settings: Settings,
    hook_instance: str,
) -> list[Card]:
    """``not_assessed`` cards for silent pathways left open by a not-assessed feature.

    Like the mistanke/not_met cards they are quiet: left out next to a critical card, when any
    pathway referral is recent (one pathway at a time), and when a site switches them off.
    """
    if "not_assessed" in settings.disabled_cards or _critical(cards):
        return []
    if any(a.already_referred is not None for _, a in results):
        return []
    # Next to an organ-specific begrunnet mistanke only an open acute rule is still worth a card
    # (the «Several pathways» rule 4 for mistanke/not_met).
    organ_begrunnet = any(a.outcome == "begrunnet" and p.organ_specific for p, a in results)
    # Organ-specific before diagnostic (rule 3): when an organ-specific pathway's card already
    # names a deciding value that could not be used, the diagnostic pathway does not repeat it.
    organ_open = any(p.organ_specific and a.deciding_not_assessed for p, a in results)
    chosen = [
        (pathway, assessment)
        for pathway, assessment in results
        if assessment.outcome is None
        and assessment.deciding_not_assessed
        and all(pathway is not b for b in broken)
        and (not organ_begrunnet or assessment.open_outcome == "acute")
        and (pathway.organ_specific or not organ_open)
    ]
    return [unassessed.not_assessed_card(p, a, hook_instance) for p, a in chosen]


def _safety_nets(
    decisions: Sequence[CardDecision],
    facts: PatientFacts,
    codebook: CodeBook,
    settings: Settings,
    hook: HookName,
    today: date,
) -> list[SafetyNet]:
    """Each pathway's safety net (``patient-view`` only), a failure costing only that net."""
    if hook != "patient-view" or "safety_net" in settings.disabled_cards:
        return []
    policy = SafetyNetPolicy(
        info_after_days=settings.safety_net_info_after_days,
        warning_after_days=settings.safety_net_warning_after_days,
        first_attendance_lookback_days=settings.safety_net_lookback_days,
        not_cancer_lookback_days=settings.safety_net_not_cancer_lookback_days,
    )
    nets: list[SafetyNet] = []
    for decision in decisions:
        pathway = decision.pathway
        try:
            net = safety_net(
                pathway, timeline(pathway, codebook, facts, today), decision.assessment, policy
            )
        except Exception as exc:
            _log_failure(pathway, exc, part="safety-net")
        else:
            if net is not None:
                nets.append(net)
    return nets


def _safety_net_cards(
    nets: Sequence[SafetyNet], results: Sequence[Result], renderer: _Renderer
) -> list[Card]:
    """The safety-net cards, each rendering failure costing only its card."""
    pathways = {p.id: p for p, _ in results}
    cards: list[Card] = []
    for net in nets:
        pathway = pathways.get(net.pathway)
        if pathway is None:  # its pathway failed to render: the failed card speaks for it
            continue
        try:
            cards.append(
                safety_net_card(
                    pathway,
                    net,
                    hook_instance=renderer.hook_instance,
                    patient_ref=renderer.facts.patient_ref,
                    user_ref=renderer.user_ref,
                    today=renderer.today,
                )
            )
        except Exception as exc:
            _log_failure(pathway, exc, part="safety-net-render")
    return cards


def _followup_cards(
    request: HookRequest,
    hook: HookName,
    registry: Registry,
    facts: PatientFacts,
    settings: Settings,
    answer: tuple[CardPlan, Sequence[SafetyNet], Sequence[Card]],
    today: date,
) -> list[Card]:
    """The follow-up programmes' cards (``cds.followups``): none where the programme's pathway
    already has a card or a safety net in this answer, none next to a critical card."""
    plan, nets, cards = answer
    speaking = {d.pathway.id for d in plan.singles}
    speaking |= {m.pathway.id for g in plan.groups for m in g.members}
    speaking |= {net.pathway for net in nets}
    user = request.context.get("userId")
    call = CallContext(
        hook=hook,
        hook_instance=request.hook_instance,
        user_ref=user if isinstance(user, str) and user else None,
        today=today,
        disabled=settings.disabled_cards,
    )
    return followup_cards(
        registry, facts, call, card_pathways=speaking, critical=_critical(cards)
    )


def _critical(cards: Sequence[Card]) -> bool:
    return any(card.indicator == "critical" for card in cards)


def _log_failure(pathway: Pathway, exc: Exception, part: str | None = None) -> None:
    """The pathway id and the failing part; the exception's type and frames, not its message."""
    if part is None:
        part = exc.part if isinstance(exc, EvaluationError) else "evaluate"
    cause = exc.__cause__ if isinstance(exc, EvaluationError) and exc.__cause__ else exc
    message = f"pathway failed pathway={pathway.id} part={part}"
    log_exception(logger, message, cause if isinstance(cause, Exception) else exc)
