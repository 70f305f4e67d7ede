"""CDS Hooks cards (Norwegian bokmål) for the assessments of one hook call.

Which assessments become cards is decided first, for all pathways together, by
:func:`cds.evaluate.combine.combine` (docs/architecture.md «Several pathways»: acute beats
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

A referral or order that fails validation is a bug in this stage: it is logged (hook instance
and pathway only) and the card goes out without that suggestion, because the card itself (perhaps
an acute one) matters more than the pre-filled order.

All ids are deterministic (:func:`cds.render.format.stable_id`): the same request gives the same
response, and feedback on a card or suggestion can be matched to what was shown. A group card
takes the id its first (recommended) pathway's begrunnet card would have had.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

from cds.cdshooks import Action, Card, Coding, Link, OverrideReason, Source, Suggestion
from cds.criteria.schema import Outcome, Pathway, Rule
from cds.evaluate.decision import CardDecision, CardPlan, GroupDecision
from cds.evaluate.model import Assessment
from cds.facts.model import OrderFact, PatientFacts
from cds.hooks import HookName
from cds.render import unassessed
from cds.render.budget import CARD_TYPE_EXTENSION, DETAIL_BUDGET, GROUP, Part, fit, fit_summary
from cds.render.evidence import (
    Findings,
    acute_times_line,
    aged_out_line,
    bullets,
    patient_information,
    times_line,
)
from cds.render.explained import explained_lines
from cds.render.format import (
    OVERRIDE_REASON_SYSTEM,
    PATHWAY_CODE_SYSTEM,
    disease_for,
    fmt_date,
    join_no,
    lower_first,
    md,
    one_line,
    stable_id,
)
from cds.render.lab_orders import build_orders, is_imaging
from cds.render.links import card_links
from cds.render.referral import RenderError, build_referral
from cds.render.tests_text import QUOTE_RANK
from cds.render.tests_text import filter_tests as _filter_tests
from cds.render.tests_text import missing_content as _missing_content

logger = logging.getLogger(__name__)

_INDICATOR_RANK = {"critical": 0, "warning": 1, "info": 2}

Selection = Literal["at-most-one", "any"]


def _reason(code: str, display: str) -> OverrideReason:
    """One override reason of our code system (Norwegian display, shown in the EHR's list)."""
    return OverrideReason(system=OVERRIDE_REASON_SYSTEM, code=code, display=display)


_CRITERIA_NOT_MET = _reason("criteria-not-met", "Klinisk vurdert: kriteriene er ikke oppfylt")

# Why a GP dismissed a card that suggested something (CDS Hooks overrideReasons, checklist §7).
SUGGESTION_OVERRIDES: tuple[OverrideReason, ...] = (
    _reason("already-referred", "Allerede henvist"),
    _reason("patient-declines", "Pasienten ønsker ikke henvisning"),
    _CRITERIA_NOT_MET,
)
# Why a GP keeps a pakkeforløp referral the criteria do not support: the findings may be outside
# this record (hospital results), or the GP judges the suspicion justified on clinical grounds.
UNSUPPORTED_OVERRIDES: tuple[OverrideReason, ...] = (
    _reason("findings-elsewhere", "Funnene står utenfor journalen (f.eks. sykehussvar)"),
    _reason("clinically-justified", "Klinisk vurdert: henvisning til pakkeforløp er begrunnet"),
)
# Why a GP keeps an order a stop_order card objects to: the sarcoma source lets a sarcoma centre
# take part in the filter function («et sarkomsenter også kunne inngå i filterfunksjonen før
# eventuelt henvisning til pakkeforløp», 000_29d6fa47ee5f8e28.txt «Filterfunksjon»), so the
# order may have been agreed with it; or the GP judges that there is no suspicion.
STOP_ORDER_OVERRIDES: tuple[OverrideReason, ...] = (
    _reason("agreed-with-receiver", "Avtalt med sykehuset som skal utrede"),
    _CRITERIA_NOT_MET,
)

# Card detail headings and fixed phrases, kept together so wording is reviewed in one place.
_MET = "Kriteriene for begrunnet mistanke er oppfylt:"
_NOT_MET = "Kriteriene for begrunnet mistanke er ikke oppfylt:"
# A stop_order card when the record does not (yet) show begrunnet mistanke: no referral offered.
_STOP_NOT_YET = (
    "Kriteriene for begrunnet mistanke er ennå ikke oppfylt i journalen: bildediagnostikken "
    "avgjør om pasienten skal henvises."
)
_GROUP_SUMMARY = "Begrunnet mistanke: flere pakkeforløp kan være aktuelle – henvis til ett"
_ONE_AT_A_TIME = "pasienten henvises til ett pakkeforløp om gangen."
# The diagnostic pathway's own words for its list («Før henvisning foreslås:»,
# 002_4ffeb5e25cae056f.txt «Undersøkelser»): suggested, not filter tests that gate the referral.
_BEFORE_REFERRAL = "Før henvisning foreslås – dette mangler eller er for gammelt:"
# Drop ranks (cds.render.budget.Part): when a card is over its length budget, source quotes go
# first, then other relevant findings, the forløpstid, and last notes and the patient
# information the GP must give (the referral letter repeats all of them).
_QUOTE, _OTHER_FINDINGS, _TIMES, _PATIENT_INFO, _NOTES = QUOTE_RANK, 3, 2, 1, 1


@dataclass(frozen=True, slots=True)
class _Call:
    """What every card builder needs about one pathway in one hook call."""

    decision: CardDecision
    facts: PatientFacts
    hook: HookName
    hook_instance: str
    user_ref: str | None
    today: date
    # Every pathway referral the record holds within its window (any pathway), from the plan.
    referred: tuple[tuple[Pathway, OrderFact], ...] = ()

    @property
    def pathway(self) -> Pathway:
        return self.decision.pathway

    @property
    def assessment(self) -> Assessment:
        return self.decision.assessment

    def id(self, kind: str) -> str:
        return stable_id(self.hook_instance, self.pathway.id, kind)

    @property
    def disease(self) -> str:
        return disease_for(self.pathway)

    @property
    def rule(self) -> Rule | None:
        return self.decision.rule


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

    def call_for(decision: CardDecision) -> _Call:
        return _Call(decision, facts, hook, hook_instance, user_ref, today, plan.referred)

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
            planned.append((first, _group_card(calls, group)))
            for d in group.members:
                _log_rendered(hook_instance, hook, d.pathway.id, "begrunnet")
    planned.sort(key=lambda item: (_INDICATOR_RANK[item[1].indicator], item[0]))
    return [card for _, card in planned]


def _log_rendered(hook_instance: str, hook: str, pathway: str, outcome: str) -> None:
    logger.debug(
        "card rendered",
        extra={"hookInstance": hook_instance, "hook": hook, "pathway": pathway, "outcome": outcome},
    )


# --- one builder per outcome --------------------------------------------------------------------


def _acute(call: _Call) -> Card:
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
    parts.append(_other_referrals(call))
    parts.append(bullets("Funn:", findings.bullets(decision.used)))
    others = findings.bullets(decision.others)
    parts.append(Part(bullets("Andre relevante funn:", others), _OTHER_FINDINGS))
    if pathway.referral.acute_instruction:
        parts.append(f"> «{md(pathway.referral.acute_instruction)}»")
    parts.append(acute_times_line(pathway))
    suggestions: list[Suggestion] = []
    if referred is None:
        parts.append(_missing_content(call, skip=("frailty",)))
        receiver = assessment.receivers[0] if assessment.receivers else None
        suggestion = _referral_suggestion(call, acute=True, receiver=receiver)
        if suggestion is not None:
            suggestions.append(suggestion)
            if suggestion.actions and suggestion.actions[0].type == "update":
                parts.append("Henvisningsutkastet kan oppdateres med prioritet akutt.")
            else:
                parts.append("En skriftlig henvisning med prioritet akutt er forhåndsutfylt.")
    parts.append(_explained(call))
    parts.append(Part(_notes(call), _NOTES))
    return _card(
        call, "critical", summary, parts, suggestions, SUGGESTION_OVERRIDES if suggestions else ()
    )


def _begrunnet(call: _Call) -> Card:
    pathway, assessment = call.pathway, call.assessment
    label = pathway.referral.label
    summary = fit_summary(
        f"Begrunnet mistanke om {call.disease}: henvis til {label}",
        f"Begrunnet mistanke: henvis til {label}",
    )
    # A diagnostic pathway lists what should be done before referral («Før henvisning
    # foreslås»); an organ-specific begrunnet mistanke needs nothing more before referral.
    diagnostic = not pathway.organ_specific
    orders = _orders(call) if diagnostic else []
    findings = Findings()
    used = findings.bullets(call.decision.used)
    others = findings.bullets(call.decision.others)
    parts: list[Part | str] = [
        bullets(_MET, used),
        Part(bullets("Andre relevante funn:", others), _OTHER_FINDINGS),
        *(_filter_tests(call, heading=_BEFORE_REFERRAL) if diagnostic else []),
        _receivers(call),
        _missing_content(call, skip=call.decision.listed_content if diagnostic else ()),
        Part(patient_information(pathway.referral.patient_information), _PATIENT_INFO),
        Part(times_line([pathway]), _TIMES),
        _explained(call),
        Part(_notes(call), _NOTES),
    ]
    # With "any", two receiver alternatives could both be accepted: beside lab orders, only the
    # patient's own region is offered.
    receivers = assessment.receivers[:1] if orders else assessment.receivers
    suggestions = _referral_suggestions(call, receivers)
    selection: Selection = "at-most-one"
    if orders:
        # The referral and the tests may both be wanted, so "any"; the referral stays the
        # recommended step because the criteria are met.
        suggestions.append(_orders_suggestion(call, orders, recommended=False))
        selection = "any"
    return _card(
        call,
        "warning",
        summary,
        parts,
        suggestions,
        SUGGESTION_OVERRIDES if suggestions else (),
        selection=selection,
    )


def _mistanke(call: _Call) -> Card:
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
        _explained(call),
        Part(_notes(call), _NOTES),
    ]
    orders = _orders(call)
    suggestions = [_orders_suggestion(call, orders, recommended=True)] if orders else []
    return _card(
        call, "info", summary, parts, suggestions, SUGGESTION_OVERRIDES if suggestions else ()
    )


def _not_met(call: _Call) -> Card:
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
    return _card(call, "info", summary, _unmet_parts(call, None), [], ())


def _unsupported(call: _Call) -> Card:
    label = call.pathway.referral.label
    summary = fit_summary(
        f"Henvisningen er merket «{label}», men kriteriene er ikke oppfylt",
        f"Merket «{label}», men kriteriene er ikke oppfylt",
    )
    advice = (
        "Sjekk om funnene står et annet sted (f.eks. sykehussvar), eller send henvisningen "
        "uten merking for pakkeforløp."
    )
    return _card(call, "warning", summary, _unmet_parts(call, advice), [], UNSUPPORTED_OVERRIDES)


def _advice(call: _Call) -> Card:
    """The rule's own advice (children to the paediatric department, faecal blood to the
    colorectal pathway) with the dated findings it rests on; nothing to order from here."""
    advice = call.decision.advice
    summary = fit_summary(advice.summary if advice else f"Vurder {call.pathway.title}")
    parts: list[Part | str] = [
        advice.detail if advice else "",
        bullets("Funn:", Findings().bullets(call.decision.used)),
        _explained(call),
        Part(_notes(call), _NOTES),
    ]
    return _card(call, advice.indicator if advice else "info", summary, parts, [], ())


def _stop_order(call: _Call) -> Card:
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
            "Bestillinger som bør slettes:", [f"**{md(_order_text(b.name))}**" for b in blocked]
        ),
        bullets("Funn:", Findings().bullets(call.decision.used)),
        _own_referral(call),
        _other_referrals(call),
        _STOP_NOT_YET if examine else "",
        _stop_advice(call) if not referred and assessment.stop_then == "advice" else "",
        *(_filter_tests(call) if examine else []),
        _receivers(call) if refer else "",
        _missing_content(call) if refer else "",
        Part(times_line([pathway]), _TIMES),
        _explained(call),
        Part(_notes(call), _NOTES),
    ]
    suggestions: list[Suggestion] = []
    # Already in a pathway (this or another): one pathway at a time, so no new referral; and a
    # delete alone is not offered (a delete must come with a create, checklist §4.3).
    suggestion: Suggestion | None = None
    if refer:
        suggestion = _stop_order_suggestion(call)
    elif examine:
        suggestion = _stop_and_examine_suggestion(call)
    if suggestion is not None:
        suggestions.append(suggestion)
    return _card(call, "critical", summary, parts, suggestions, STOP_ORDER_OVERRIDES)


_BUILDERS: dict[Outcome, Callable[[_Call], Card]] = {
    "acute": _acute,
    "begrunnet": _begrunnet,
    "mistanke": _mistanke,
    "not_met": _not_met,
    "unsupported_referral": _unsupported,
    "advice": _advice,
    "stop_order": _stop_order,
}


# --- several pathways with begrunnet mistanke: one card -----------------------------------------


def _group_card(calls: list[_Call], group: GroupDecision) -> Card:
    """One warning card for several begrunnet pathways, one referral suggestion each.

    ``calls`` are ordered organ-specific first (evaluate's plan); ``group.recommended`` is the
    index of the one to mark ``isRecommended``, None when no pathway stands out. Evidence first,
    policy after: the recommended pathway and its findings open the card, the other pathways follow
    with only the findings not already shown, then why one pathway is recommended; patient
    information and the forløpstid come once.
    """
    recommended = group.recommended
    lead = calls[recommended if recommended is not None else 0]
    ordered = [lead, *(c for c in calls if c is not lead)]
    findings = Findings()
    # _card puts the lead pathway's «kunne ikke vurderes» lines first; the others' follow.
    parts: list[Part | str] = [
        Part(unassessed.lead(c.pathway, c.assessment)) for c in ordered if c is not lead
    ]
    for call in ordered:
        label = f"**{md(call.pathway.referral.label)}**"
        shown = findings.bullets(call.decision.used)
        if call is lead:
            mark = " (anbefalt)" if recommended is not None else ""
            parts.append(bullets(f"{label}{mark} – {_MET[0].lower()}{_MET[1:]}", shown))
        elif shown:
            parts.append(bullets(f"{label} – kriteriene er også oppfylt:", shown))
        else:
            parts.append(f"{label} – kriteriene er også oppfylt (funnene over).")
        parts.append(_receivers(call))
    parts += [
        _group_reason(calls, recommended),
        Part(_group_quote(group), _QUOTE),
        _missing_content(lead),
        Part(patient_information(lead.pathway.referral.patient_information), _PATIENT_INFO),
        Part(times_line([c.pathway for c in ordered]), _TIMES),
        _explained(*calls),
        Part(_notes(*calls), _NOTES),
    ]
    suggestions: list[Suggestion] = []
    for i, call in enumerate(calls):
        # Keep it to one choice per pathway: the recommended receiver (the patient's region).
        receiver = call.assessment.receivers[0] if call.assessment.receivers else None
        suggestion = _referral_suggestion(
            call, acute=False, receiver=receiver, recommended=i == recommended
        )
        if suggestion is not None:
            suggestions.append(suggestion)
    return _card(
        lead,
        "warning",
        _group_summary(calls, recommended),
        parts,
        suggestions,
        SUGGESTION_OVERRIDES if suggestions else (),
        links=card_links([c.pathway for c in ordered], [c.assessment.rule for c in ordered]),
        card_type=GROUP,
    )


def _group_reason(calls: list[_Call], recommended: int | None) -> str:
    """Why one pathway is recommended (or why the GP must choose)."""
    organ = [c.pathway.referral.label for c in calls if c.pathway.organ_specific]
    other = [c.pathway.referral.label for c in calls if not c.pathway.organ_specific]
    if organ and other:
        first = "Organspesifikt pakkeforløp" if len(organ) == 1 else "Organspesifikke pakkeforløp"
        text = f"{first} går foran {md(join_no(other))}; {_ONE_AT_A_TIME}"
    else:
        text = _ONE_AT_A_TIME[0].upper() + _ONE_AT_A_TIME[1:]
    if recommended is not None:
        return text  # the recommended pathway opens the card, marked «(anbefalt)»
    if len(organ) > 1:
        # Nothing in the sources ranks one organ-specific pathway above another.
        return (
            f"{text} Kriteriene er oppfylt for flere organspesifikke pakkeforløp "
            f"({md(join_no(organ))}): velg det som passer best med det kliniske bildet."
        )
    return f"{text} Velg det som passer best med det kliniske bildet."


def _group_quote(group: GroupDecision) -> str:
    """The diagnostic pathway's criterion about organ-specific assessment that evaluate chose."""
    if group.quote is None:
        return ""
    pathway, quote = group.quote
    return (
        f"> «{md(one_line(quote.parts[0]))}» ({md(pathway.source.label)}, "
        f"«{md(one_line(quote.section))}»)"
    )


# --- shared pieces ------------------------------------------------------------------------------


def _card(
    call: _Call,
    indicator: str,
    summary: str,
    parts: list[Part | str],
    suggestions: list[Suggestion],
    overrides: Sequence[OverrideReason],
    *,
    selection: Selection = "at-most-one",
    links: list[Link] | None = None,
    card_type: str | None = None,
) -> Card:
    """The card, its detail fitted to its type's length budget (cds.render.budget)."""
    pathway = call.pathway
    outcome = call.assessment.outcome
    kind = card_type or str(outcome)
    # A deciding feature that could not be assessed comes first (cds.render.unassessed).
    parts = [Part(unassessed.lead(pathway, call.assessment)), *parts]
    return Card.model_validate(
        {
            "uuid": call.id(f"card:{outcome}"),
            "summary": unassessed.summary(pathway, call.assessment, summary),
            "detail": fit(parts, DETAIL_BUDGET[kind]),
            "indicator": indicator,
            "source": Source(
                label=pathway.source.label,
                url=pathway.source.url,
                topic=Coding(system=PATHWAY_CODE_SYSTEM, code=pathway.code, display=pathway.title),
            ),
            "suggestions": suggestions or None,
            "selectionBehavior": selection if suggestions else None,
            "overrideReasons": list(overrides) or None,
            "links": links or card_links([pathway], [call.assessment.rule]),
            "extension": {CARD_TYPE_EXTENSION: kind},
        }
    )


def _group_summary(calls: list[_Call], recommended: int | None) -> str:
    """Name the recommended pathway first, so the summary alone tells the GP what to do."""
    if recommended is None:
        return fit_summary(_GROUP_SUMMARY)
    best = calls[recommended]
    others = " / ".join(c.pathway.referral.label for i, c in enumerate(calls) if i != recommended)
    label = best.pathway.referral.label
    return fit_summary(
        f"Begrunnet mistanke om {best.disease}: henvis til {label} (alternativ: {others})",
        f"Begrunnet mistanke om {best.disease}: henvis til {label} (se alternativ)",
        _GROUP_SUMMARY,
    )


def _notes(*calls: _Call) -> str:
    notes: dict[str, None] = {}  # ordered, deduplicated (a group shares the facts' notes)
    for call in calls:
        notes.update(dict.fromkeys([*call.assessment.notes, *call.facts.notes]))
    return "\n\n".join(f"Merk: {md(note)}" for note in notes)


def _explained(*calls: _Call) -> Part:
    """Findings a recorded cause explains, and why (never dropped for length: it is why a
    card is not acute, or why a finding the GP sees in the record was not counted)."""
    lines: dict[str, None] = {}
    for call in calls:
        lines.update(dict.fromkeys(explained_lines(call.assessment)))
    return Part("\n\n".join(f"Forklart: {line}" for line in lines))


def _receivers(call: _Call) -> str:
    """Which health region the address gave, and which receiver that means (or that none did)."""
    receivers = [md(r) for r in call.assessment.receivers]
    if not receivers:
        return ""
    region = call.assessment.region
    if region is None:
        if len(receivers) == 1:
            return f"Helseregion: ikke funnet i adressen. Mottaker: **{receivers[0]}**."
        return f"Helseregion: ikke funnet i adressen – velg mottaker: {join_no(receivers)}."
    text = f"Helseregion: {md(region)} (fra adressen). Mottaker: **{receivers[0]}**"
    if len(receivers) > 1:
        return f"{text}; andre mulige mottakere: {join_no(receivers[1:])}."
    return f"{text}."


def _own_referral(call: _Call) -> str:
    referred = call.assessment.already_referred
    if referred is None:
        return ""
    return (
        f"**Henvist til {md(call.pathway.referral.label)} {fmt_date(referred.when)}.** "
        "Videre utredning skjer i pakkeforløpet."
    )


def _other_referrals(call: _Call) -> str:
    """Referrals to other pathways: the GP should know the patient is already in one."""
    return "\n\n".join(
        f"Pasienten er henvist til {md(pathway.referral.label)} {fmt_date(order.when)}."
        for pathway, order in call.referred
        if pathway.id != call.pathway.id
    )


def _unmet_parts(call: _Call, advice: str | None) -> list[Part | str]:
    pathway, assessment = call.pathway, call.assessment
    unmet = [md(u) for u in assessment.unmet]
    hits = Findings().bullets(call.decision.findings)
    return [
        bullets(unassessed.unmet_heading(assessment, _NOT_MET), unmet)
        if unmet
        else unassessed.unmet_heading(assessment, _NOT_MET).rstrip(":") + ".",
        bullets("Funnet i journalen:", hits)
        if hits
        else f"Ingen funn for {md(pathway.title)} i journalen.",
        *_filter_tests(call),
        advice or "",
        _explained(call),
        Part(_notes(call), _NOTES),
    ]


# --- suggestions --------------------------------------------------------------------------------


def _orders(call: _Call) -> list[dict[str, Any]]:
    """Draft orders for the missing/stale filter tests ([] if none, or if one is invalid)."""
    try:
        return build_orders(
            call.decision,
            call.facts,
            hook_instance=call.hook_instance,
            requester=call.user_ref,
            today=call.today,
        )
    except RenderError:
        # A bug on our side: the card still tells the GP which tests are missing.
        logger.error(
            "lab order failed validation; card sent without suggestion",
            extra={"hookInstance": call.hook_instance, "pathway": call.pathway.id},
        )
        return []


def _orders_suggestion(
    call: _Call, orders: list[dict[str, Any]], *, recommended: bool
) -> Suggestion:
    imaging = [o for o in orders if is_imaging(o)]
    if len(orders) == 1 and imaging:
        label = f"Bestill {lower_first(orders[0]['code']['text'])}"
    elif imaging and len(imaging) == len(orders):
        label = "Bestill manglende undersøkelser"
    elif imaging:
        label = "Bestill manglende prøver og undersøkelser"
    else:
        label = "Bestill manglende prøver"
    actions = [
        Action(
            type="create",
            resource=order,
            # Lab descriptions keep the test's own capitals (golden-tested wording); an
            # examination reads as a phrase («Bestill røntgen av skjelettet»).
            description=(
                f"Bestill {lower_first(order['code']['text'])} (utkast til rekvisisjon, "
                "bildediagnostikk)"
                if is_imaging(order)
                else f"Bestill {order['code']['text']} (utkast til rekvisisjon)"
            ),
        )
        for order in orders
    ]
    return Suggestion(
        label=label,
        uuid=call.id(f"suggestion:{call.assessment.outcome}:lab-orders"),
        is_recommended=recommended,
        actions=actions,
    )


def _referral_suggestions(call: _Call, receivers: Sequence[str]) -> list[Suggestion]:
    """One referral suggestion, or one per receiver (the patient's region first).

    The first receiver is recommended only when the address gave a region (or it is the only
    one): without a region the service has no ground to prefer a centre.
    """
    if not receivers:
        suggestion = _referral_suggestion(call, acute=False)
        return [suggestion] if suggestion is not None else []
    recommend = call.assessment.region is not None or len(receivers) == 1
    out = []
    for i, receiver in enumerate(receivers):
        suggestion = _referral_suggestion(
            call,
            acute=False,
            receiver=receiver,
            variant=None if i == 0 else receiver,
            recommended=recommend and i == 0,
        )
        if suggestion is not None:
            out.append(suggestion)
    return out


def _referral_suggestion(
    call: _Call,
    *,
    acute: bool,
    receiver: str | None = None,
    variant: str | None = None,
    recommended: bool = True,
) -> Suggestion | None:
    """The referral suggestion: update the GP's draft when we have it, else create one.

    ``variant`` (an alternative receiver) makes the suggestion's and resource's ids differ from
    the first one's. None only if the referral we built fails validation (a bug, logged).
    """
    action = _referral_action(call, receiver=receiver, variant=variant)
    if action is None:
        return None
    label = call.pathway.referral.label
    target = f"{label} – {receiver}" if receiver else label
    if action.type == "update":
        text = f"Oppdater henvisning: {target}"
    elif receiver:
        text = f"Henvis til {target}"
    else:
        text = f"Opprett henvisning: {label}"
    if acute:
        text = f"{text} (akutt)"
    kind = f"suggestion:{call.assessment.outcome}:referral"
    return Suggestion(
        label=text,
        uuid=call.id(kind if variant is None else f"{kind}:{variant}"),
        is_recommended=recommended,
        actions=[action],
    )


def _referral_action(call: _Call, *, receiver: str | None, variant: str | None) -> Action | None:
    """``update`` of the GP's draft referral if possible, else ``create``; None on a bug."""
    label = call.pathway.referral.label
    draft = _draft(call)
    resource: dict[str, Any] | None = None
    if draft is not None:
        try:
            resource = _referral(call, draft, receiver=receiver, variant=variant)
        except RenderError:
            # The draft holds something our validation rejects; a new referral is still useful.
            logger.warning(
                "draft referral could not be updated; offering a new one",
                extra={"hookInstance": call.hook_instance, "pathway": call.pathway.id},
            )
    if resource is not None:
        to = f", adresser det til {receiver}" if receiver else ""
        return Action(
            type="update",
            resource=resource,
            description=f"Oppdater henvisningsutkastet: merk det «{label}»{to} og fyll inn "
            "begrunnet mistanke, legemidler, komorbiditet og forløpstider.",
        )
    created = _created_referral(call, receiver=receiver, variant=variant)
    if created is None:
        return None
    to = f" til {receiver}" if receiver else ""
    return Action(
        type="create",
        resource=created,
        description=f"Opprett utkast til henvisning{to} merket «{label}» med begrunnet mistanke, "
        "legemidler, komorbiditet og forløpstider.",
    )


def _created_referral(
    call: _Call, *, receiver: str | None, variant: str | None = None
) -> dict[str, Any] | None:
    try:
        return _referral(call, None, receiver=receiver, variant=variant)
    except RenderError:
        # A bug on our side. The card itself (possibly an acute one) must still reach the GP,
        # so it goes out without the suggestion rather than failing the whole response.
        logger.error(
            "referral failed validation; card sent without suggestion",
            extra={"hookInstance": call.hook_instance, "pathway": call.pathway.id},
        )
        return None


def _stop_order_suggestion(call: _Call) -> Suggestion | None:
    """Delete the blocked drafts and refer instead, as one suggestion.

    CDS Hooks test kits require a ``delete`` to come with a ``create`` of the same resource type
    in the same suggestion (checklist §4.3), so the referral is always *created*: a separate
    draft referral of the GP's is replaced — deleted, and created again with its content kept
    (performer, notes, codes) plus ours — rather than updated. Only ServiceRequest drafts that
    the request carries are deleted; anything else is left to the GP (the card names it).
    """
    pathway = call.pathway
    label = pathway.referral.label
    receiver = call.assessment.receivers[0] if call.assessment.receivers else None
    blocked = call.decision.blocked
    deletable = [b for b in blocked if b.deletable]
    actions = [
        Action(
            type="delete",
            resource_id=b.ref,
            description=f"Slett bestillingsutkastet «{_order_text(b.name)}»: det skal ikke "
            f"utføres før henvisning til {label}.",
        )
        for b in deletable
    ]
    draft = _draft(call)
    draft_ref = call.assessment.draft_referral.ref if call.assessment.draft_referral else None
    resource: dict[str, Any] | None = None
    if draft is not None and draft_ref is not None and all(b.ref != draft_ref for b in blocked):
        if not deletable:
            # Nothing to delete: the ordinary update of the GP's draft is the right action.
            action = _referral_action(call, receiver=receiver, variant=None)
            return _stop_suggestion(call, [action] if action else [], receiver, deleted=0)
        content = {k: v for k, v in draft.items() if k != "id"}
        try:
            resource = _referral(call, content, receiver=receiver)
            actions.append(
                Action(
                    type="delete",
                    resource_id=draft_ref,
                    description="Slett henvisningsutkastet "
                    f"«{_order_text(call.decision.draft_name)}»; det erstattes av henvisningen "
                    f"merket «{label}» med samme innhold.",
                )
            )
        except RenderError:
            logger.warning(
                "draft referral could not be replaced; offering a new one",
                extra={"hookInstance": call.hook_instance, "pathway": pathway.id},
            )
    if resource is None:
        resource = _created_referral(call, receiver=receiver)
    if resource is None:
        return None
    to = f" til {receiver}" if receiver else ""
    actions.append(
        Action(
            type="create",
            resource=resource,
            description=f"Opprett utkast til henvisning{to} merket «{label}» med mistanken, "
            "legemidler, komorbiditet og forløpstider.",
        )
    )
    return _stop_suggestion(call, actions, receiver, deleted=len(deletable))


def _stop_advice(call: _Call) -> str:
    """The advice the patient meets beneath the stop (a child: the paediatric department), as
    the step to take instead of the stopped order."""
    advice = call.decision.stop_advice
    return f"I stedet: **{md(advice.summary)}**." if advice is not None else ""


def _stop_and_examine_suggestion(call: _Call) -> Suggestion | None:
    """Delete the blocked drafts and order the missing examinations, as one suggestion.

    At the mistanke stage the source asks for imaging before contact with the receiver, so the
    stopped biopsy is replaced by the examination (a ServiceRequest ``create``, which also keeps
    the delete from standing alone, checklist §4.3). None when nothing can be deleted or ordered.
    """
    deletable = [b for b in call.decision.blocked if b.deletable]
    orders = _orders(call)
    if not deletable or not orders:
        return None
    label = call.pathway.referral.label
    examine = _orders_suggestion(call, orders, recommended=True)
    deletes = [
        Action(
            type="delete",
            resource_id=b.ref,
            description=f"Slett bestillingsutkastet «{_order_text(b.name)}»: det skal ikke "
            f"utføres før bildediagnostikken er vurdert og eventuelt henvisning til {label}.",
        )
        for b in deletable
    ]
    what = "bestillingen" if len(deletable) == 1 else "bestillingene"
    return Suggestion(
        label=f"Slett {what} og {lower_first(examine.label)}",
        uuid=call.id("suggestion:stop_order:examine"),
        is_recommended=True,
        actions=deletes + list(examine.actions or []),
    )


def _stop_suggestion(
    call: _Call, actions: list[Action], receiver: str | None, *, deleted: int
) -> Suggestion | None:
    if not actions:
        return None
    target = call.pathway.referral.label + (f" – {receiver}" if receiver else "")
    what = "bestillingen" if deleted == 1 else "bestillingene"
    return Suggestion(
        label=f"Slett {what} og henvis til {target}" if deleted else f"Henvis til {target}",
        uuid=call.id("suggestion:stop_order:referral"),
        is_recommended=True,
        actions=actions,
    )


def _referral(
    call: _Call,
    draft: dict[str, Any] | None,
    *,
    receiver: str | None = None,
    variant: str | None = None,
) -> dict[str, Any]:
    return build_referral(
        call.decision,
        call.facts,
        hook_instance=call.hook_instance,
        requester=call.user_ref,
        today=call.today,
        draft=draft,
        receiver=receiver,
        variant=variant,
    )


def _draft(call: _Call) -> dict[str, Any] | None:
    """The GP's draft referral (raw JSON) to return in an ``update``, with its id."""
    raw = call.decision.draft
    order = call.assessment.draft_referral
    if order is None or not isinstance(raw, dict) or raw.get("resourceType") != "ServiceRequest":
        return None
    draft: dict[str, Any] = dict(raw)
    if not draft.get("id"):
        draft["id"] = order.ref.partition("/")[2]  # the id is what makes it an update
    return draft if draft["id"] else None


def _order_text(name: str | None) -> str:
    """A draft order's own name («Biopsi av kul i lår»), for the GP to recognise it."""
    return one_line(name, 120) if name and name.strip() else "bestillingsutkast"
