"""CDS Hooks cards (Norwegian bokmål) for the assessments of one hook call.

Which assessments become cards is decided in evaluate, for all pathways together
(:func:`cds.evaluate.decision.plan_cards`, docs/architecture.md «Several pathways»: acute beats
everything, one pathway at a time, organ-specific before diagnostic); the card types a site has
switched off are removed after that. Then there is one card per pathway, or one card for a group of
pathways with begrunnet mistanke; cards are few and short against alert fatigue (checklist §7, §5
«Card rendering»). What each outcome shows (docs/architecture.md «Outcomes and cards»):

=====================  =========  =====================================================
outcome                indicator  suggestion
=====================  =========  =====================================================
acute                  critical   written referral, priority asap (none if already referred)
begrunnet              warning    referral: update of the GP's draft, else create; one per
                                  receiver (sarcoma centres, the patient's region first); a
                                  diagnostic pathway also orders its missing tests
begrunnet (group)      warning    one referral per pathway, organ-specific recommended
mistanke               info       create lab or imaging orders for missing/stale filter tests
not_met                info       none
unsupported_referral   warning    none
advice                 the rule's none (the rule's own text: children, faecal blood)
stop_order             critical   delete the blocked drafts and create the referral (begrunnet
                                  beneath) or the missing examinations (mistanke beneath)
=====================  =========  =====================================================

Every card carries the pathway name in its summary (≤ 139 characters, spec «<140»), the
pathway source (label, url, coded topic), at most three labelled links (``cds.render.links``),
its type in ``extension`` and a detail within that type's length budget (``cds.render.budget``;
GitHub-flavoured Markdown, record text escaped so it can never become HTML). Findings come first
and each once (``cds.render.evidence``), policy and quotes after; the filter-test and
missing-content texts are in ``cds.render.tests_text``. Cards that suggest something carry
override reasons so dismissals can be learnt from.

The parts live beside this module: ``cds.render.call`` (what a card builder needs, override
reasons, fixed phrases, the card frame), ``cds.render.card_parts`` (detail parts several types
share), ``cds.render.suggestions`` (orders, referrals, stop actions) and
``cds.render.group_card`` (the card for several pathways).

A referral or order that fails validation is a bug in this stage: it is logged (hook instance
and pathway only) and the card goes out without that suggestion, because the card itself (perhaps
an acute one) matters more than the pre-filled order.

All ids are deterministic (:func:`cds.render.format.stable_id`): the same request gives the same
response, and feedback on a card or suggestion can be matched to what was shown. A group card
takes the id its first (recommended) pathway's begrunnet card would have had.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date

from cds.cdshooks import Card, Suggestion
from cds.criteria.schema import Outcome
from cds.evaluate.decision import CardDecision, CardPlan
from cds.facts.model import PatientFacts
from cds.hooks import HookName
from cds.render.budget import Part, fit_summary
from cds.render.call import (
    BEFORE_REFERRAL,
    INDICATOR_RANK,
    MET,
    NOTES_PART,
    OTHER_FINDINGS_PART,
    PATIENT_INFO_PART,
    STOP_NOT_YET,
    STOP_ORDER_OVERRIDES,
    SUGGESTION_OVERRIDES,
    TIMES_PART,
    UNSUPPORTED_OVERRIDES,
    CardCall,
    Selection,
    build_card,
)
from cds.render.card_parts import (
    explained_part,
    notes_part,
    other_referrals,
    own_referral,
    receivers_part,
    unmet_parts,
)
from cds.render.evidence import (
    Findings,
    acute_times_line,
    aged_out_line,
    bullets,
    patient_information,
    times_line,
)
from cds.render.format import (
    fmt_date,
    join_no,
    lower_first,
    md,
)
from cds.render.group_card import group_card
from cds.render.suggestions import (
    filter_test_orders,
    order_text,
    orders_suggestion,
    referral_suggestion,
    referral_suggestions,
    stop_advice_text,
    stop_and_examine_suggestion,
    stop_order_suggestion,
)
from cds.render.tests_text import filter_tests as _filter_tests
from cds.render.tests_text import missing_content as _missing_content

logger = logging.getLogger(__name__)


def render_cards(
    plan: CardPlan,
    facts: PatientFacts,
    *,
    hook: HookName,
    hook_instance: str,
    user_ref: str | None,
    today: date,
    disabled: frozenset[str],
) -> list[Card]:
    """The cards for one hook call, ordered critical, warning, info (then registry order).

    ``plan`` (the evaluate stage's :func:`cds.evaluate.decision.plan_cards`) says which cards are
    shown, what each shows and which begrunnet pathways share one card; ``disabled`` (card types
    a site has switched off) applies after that. ``user_ref`` (the hook's ``userId``, e.g.
    ``Practitioner/123``) becomes the requester of suggested orders.
    """
    # Registry position by decision identity: the same pathway may appear twice in tests.
    position = {id(d): i for i, d in enumerate(plan.decisions)}

    def call_for(decision: CardDecision) -> CardCall:
        return CardCall(decision, facts, hook, hook_instance, user_ref, today, plan.referred)

    planned: list[tuple[int, Card]] = []
    for decision in plan.singles:
        outcome = decision.assessment.outcome
        if outcome is None or outcome in disabled:
            continue
        planned.append((position[id(decision)], _BUILDERS[outcome](call_for(decision))))
        _log_rendered(hook_instance, hook, decision.pathway.id, outcome)
    if "begrunnet" not in disabled:
        for group in plan.groups:
            calls = [call_for(d) for d in group.members]
            first = min(position[id(d)] for d in group.members)
            planned.append((first, group_card(calls, group)))
            for d in group.members:
                _log_rendered(hook_instance, hook, d.pathway.id, "begrunnet")
    planned.sort(key=lambda item: (INDICATOR_RANK[item[1].indicator], item[0]))
    return [card for _, card in planned]


def _log_rendered(hook_instance: str, hook: str, pathway: str, outcome: str) -> None:
    logger.debug(
        "card rendered",
        extra={"hookInstance": hook_instance, "hook": hook, "pathway": pathway, "outcome": outcome},
    )


# --- one builder per outcome --------------------------------------------------------------------


def _acute(call: CardCall) -> Card:
    """Evidence first, then the source's acute sentence («… innen 1-2 døgn»): not the 7-day
    forløpstid, which is for the written pathway referral, and no request for a frailty score,
    which must not delay a telephone admission."""
    pathway, assessment, decision = call.pathway, call.assessment, call.decision
    acute = [lower_first(h.label) for h in decision.acute]
    short = [lower_first(h.label.split(",")[0]) for h in decision.acute]
    tail = "henvis telefonisk for akutt innleggelse"
    summary = fit_summary(
        f"Akutt: mistanke om {call.disease} med {join_no(acute)} – {tail}",
        f"Akutt: mistanke om {call.disease} med {join_no(short)} – {tail}",
        f"Akutt: mistanke om {call.disease} – {tail}",
    )
    findings = Findings()
    parts: list[Part | str] = []
    referred = assessment.already_referred
    if referred is not None:
        parts.append(
            f"**Henvist til pakkeforløp {fmt_date(referred.when)}.** "
            "Ved akutte funn må pasienten likevel henvises telefonisk for akutt innleggelse."
        )
    parts.append(other_referrals(call))
    parts.append(bullets("Funn:", findings.bullets(decision.used)))
    others = findings.bullets(decision.others)
    parts.append(Part(bullets("Andre relevante funn:", others), OTHER_FINDINGS_PART))
    if pathway.referral.acute_instruction:
        parts.append(f"> «{md(pathway.referral.acute_instruction)}»")
    parts.append(acute_times_line(pathway))
    suggestions: list[Suggestion] = []
    if referred is None:
        parts.append(_missing_content(call, skip=("frailty",)))
        receiver = assessment.receivers[0] if assessment.receivers else None
        suggestion = referral_suggestion(call, acute=True, receiver=receiver)
        if suggestion is not None:
            suggestions.append(suggestion)
            if suggestion.actions and suggestion.actions[0].type == "update":
                parts.append("Henvisningsutkastet kan oppdateres med prioritet akutt.")
            else:
                parts.append("En skriftlig henvisning med prioritet akutt er forhåndsutfylt.")
    parts.append(explained_part(call))
    parts.append(Part(notes_part(call), NOTES_PART))
    return build_card(
        call, "critical", summary, parts, suggestions, SUGGESTION_OVERRIDES if suggestions else ()
    )


def _begrunnet(call: CardCall) -> Card:
    pathway, assessment = call.pathway, call.assessment
    label = pathway.referral.label
    summary = fit_summary(
        f"Begrunnet mistanke om {call.disease}: henvis til {label}",
        f"Begrunnet mistanke: henvis til {label}",
    )
    # A diagnostic pathway lists what should be done before referral («Før henvisning
    # foreslås»); an organ-specific begrunnet mistanke needs nothing more before referral.
    diagnostic = not pathway.organ_specific
    orders = filter_test_orders(call) if diagnostic else []
    findings = Findings()
    used = findings.bullets(call.decision.used)
    others = findings.bullets(call.decision.others)
    parts: list[Part | str] = [
        bullets(MET, used),
        Part(bullets("Andre relevante funn:", others), OTHER_FINDINGS_PART),
        *(_filter_tests(call, heading=BEFORE_REFERRAL) if diagnostic else []),
        receivers_part(call),
        _missing_content(call, skip=call.decision.listed_content if diagnostic else ()),
        Part(patient_information(pathway.referral.patient_information), PATIENT_INFO_PART),
        Part(times_line([pathway]), TIMES_PART),
        explained_part(call),
        Part(notes_part(call), NOTES_PART),
    ]
    # With "any", two receiver alternatives could both be accepted: beside lab orders, only the
    # patient's own region is offered.
    receivers = assessment.receivers[:1] if orders else assessment.receivers
    suggestions = referral_suggestions(call, receivers)
    selection: Selection = "at-most-one"
    if orders:
        # The referral and the tests may both be wanted, so "any"; the referral stays the
        # recommended step because the criteria are met.
        suggestions.append(orders_suggestion(call, orders, recommended=False))
        selection = "any"
    return build_card(
        call,
        "warning",
        summary,
        parts,
        suggestions,
        SUGGESTION_OVERRIDES if suggestions else (),
        selection=selection,
    )


def _mistanke(call: CardCall) -> Card:
    pathway, assessment = call.pathway, call.assessment
    missing = call.decision.missing_tests
    exams = [m.test for m in missing if m.test is not None and m.test.order_category == "imaging"]
    names = join_no([lower_first(t.label) for t in exams])
    if exams:
        rest = " og ta filterprøvene" if len(exams) < len(missing) else ""
        summary = fit_summary(
            f"Mulig {call.disease}: bestill {names}{rest}",
            f"Mulig {call.disease}: bestill {names}",
            f"Mulig {call.disease}: bestill bildediagnostikk",
        )
    elif missing:
        summary = fit_summary(
            f"Mulig {call.disease}: ta filterprøvene før du vurderer henvisning",
            f"Mulig {call.disease}: ta filterprøvene",
        )
    else:
        summary = fit_summary(
            f"Mulig {call.disease}: vurder kriteriene for {pathway.title}",
            f"Mulig {call.disease}: vurder henvisning",
        )
    parts: list[Part | str] = [
        f"Bestill {md(names)}." if exams else "",
        bullets(
            f"Funn som kan gi mistanke om {call.disease}:",
            # Only the deciding rule's findings: an unrelated lipoma must not read as a reason
            # for the pelvic CT this card orders.
            Findings().bullets(call.decision.used),
        ),
        # An earlier positive result that aged out (evaluate decided): the stale test was
        # positive, which is why it must be taken again.
        "\n\n".join(aged_out_line(item, call.today) for item in assessment.aged_out),
        *_filter_tests(call),
        explained_part(call),
        Part(notes_part(call), NOTES_PART),
    ]
    orders = filter_test_orders(call)
    suggestions = [orders_suggestion(call, orders, recommended=True)] if orders else []
    return build_card(
        call, "info", summary, parts, suggestions, SUGGESTION_OVERRIDES if suggestions else ()
    )


def _not_met(call: CardCall) -> Card:
    pathway = call.pathway
    hits = call.decision.findings
    rest = f"kriteriene for {pathway.title} er ikke oppfylt"
    if len(hits) == 1:
        summary = fit_summary(
            f"{hits[0].label} uten tilleggsfunn: {rest}", rest[0].upper() + rest[1:]
        )
    elif hits:
        found = join_no([hits[0].label] + [lower_first(h.label) for h in hits[1:]])
        summary = fit_summary(f"{found}: {rest}", rest[0].upper() + rest[1:])
    else:
        summary = fit_summary(rest[0].upper() + rest[1:])
    return build_card(call, "info", summary, unmet_parts(call, None), [], ())


def _unsupported(call: CardCall) -> Card:
    label = call.pathway.referral.label
    summary = fit_summary(
        f"Henvisningen er merket «{label}», men kriteriene er ikke oppfylt",
        f"Merket «{label}», men kriteriene er ikke oppfylt",
    )
    advice = (
        "Sjekk om funnene står et annet sted (f.eks. sykehussvar), eller send henvisningen "
        "uten merking for pakkeforløp."
    )
    return build_card(
        call, "warning", summary, unmet_parts(call, advice), [], UNSUPPORTED_OVERRIDES
    )


def _advice(call: CardCall) -> Card:
    """The rule's own advice (children to the paediatric department, faecal blood to the
    colorectal pathway) with the dated findings it rests on; nothing to order from here."""
    advice = call.decision.advice
    summary = fit_summary(advice.summary if advice else f"Vurder {call.pathway.title}")
    parts: list[Part | str] = [
        advice.detail if advice else "",
        bullets("Funn:", Findings().bullets(call.decision.used)),
        explained_part(call),
        Part(notes_part(call), NOTES_PART),
    ]
    return build_card(call, advice.indicator if advice else "info", summary, parts, [], ())


def _stop_order(call: CardCall) -> Card:
    """A draft order the pathway forbids before referral (a biopsy or operation of a lump that
    may be a sarcoma): critical, with one suggestion that deletes it and refers instead."""
    pathway, assessment = call.pathway, call.assessment
    label = pathway.referral.label
    advice = call.decision.advice
    summary = fit_summary(
        advice.summary if advice else f"Stopp bestillingen: henvis til {label} i stedet",
        f"Stopp bestillingen: henvis til {label}",
    )
    blocked = call.decision.blocked
    referred = bool(call.referred)
    # A referral is offered only when the other rules give begrunnet mistanke; at the mistanke
    # stage the examinations come first (the filter function), so the card orders them instead.
    refer = not referred and assessment.stop_then == "begrunnet"
    examine = not referred and assessment.stop_then == "mistanke"
    parts: list[Part | str] = [
        advice.detail if advice else "",
        bullets(
            "Bestillinger som bør slettes:", [f"**{md(order_text(b.name))}**" for b in blocked]
        ),
        bullets("Funn:", Findings().bullets(call.decision.used)),
        own_referral(call),
        other_referrals(call),
        STOP_NOT_YET if examine else "",
        stop_advice_text(call) if not referred and assessment.stop_then == "advice" else "",
        *(_filter_tests(call) if examine else []),
        receivers_part(call) if refer else "",
        _missing_content(call) if refer else "",
        Part(times_line([pathway]), TIMES_PART),
        explained_part(call),
        Part(notes_part(call), NOTES_PART),
    ]
    suggestions: list[Suggestion] = []
    # Already in a pathway (this or another): one pathway at a time, so no new referral; and a
    # delete alone is not offered (a delete must come with a create, checklist §4.3).
    suggestion: Suggestion | None = None
    if refer:
        suggestion = stop_order_suggestion(call)
    elif examine:
        suggestion = stop_and_examine_suggestion(call)
    if suggestion is not None:
        suggestions.append(suggestion)
    return build_card(call, "critical", summary, parts, suggestions, STOP_ORDER_OVERRIDES)


_BUILDERS: dict[Outcome, Callable[[CardCall], Card]] = {
    "acute": _acute,
    "begrunnet": _begrunnet,
    "mistanke": _mistanke,
    "not_met": _not_met,
    "unsupported_referral": _unsupported,
    "advice": _advice,
    "stop_order": _stop_order,
}


# --- several pathways with begrunnet mistanke: one card -----------------------------------------
