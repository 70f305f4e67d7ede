"""CDS Hooks cards (Norwegian bokmål) for the assessments of one hook call.

One card per pathway with an outcome, at most; cards are few and short against alert fatigue
(checklist §7, §5 «Card rendering»). What each outcome shows (docs/architecture.md «Outcomes and
cards»):

=====================  =========  =====================================================
outcome                indicator  suggestion
=====================  =========  =====================================================
acute                  critical   written referral, priority asap (none if already referred)
begrunnet              warning    referral: update of the GP's draft, else create
mistanke               info       create lab orders for missing/stale filter tests
not_met                info       none
unsupported_referral   warning    none
=====================  =========  =====================================================

Every card carries the pathway name in its summary (≤ 139 characters, spec «<140»), the
pathway source (label, url, coded topic), absolute links to the pathway documents, and the pathway
times in its detail (GitHub-flavoured Markdown, record text escaped so it can never become HTML).
Cards that suggest something carry override reasons so dismissals can be learnt from.

A referral or lab order that fails validation is a bug in this stage: it is logged (hook instance
and pathway only) and the card goes out without that suggestion, because the card itself (perhaps
an acute one) matters more than the pre-filled order.

All ids are deterministic (:func:`cds.render.format.stable_id`): the same request gives the same
response, and feedback on a card or suggestion can be matched to what was shown.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from cds.cdshooks import SUMMARY_MAX, Action, Card, Coding, Link, OverrideReason, Source, Suggestion
from cds.criteria.schema import CodeBook, HookName, Outcome, Pathway, ReferralContent
from cds.evaluate.model import Assessment, FeatureHit
from cds.facts.model import PatientFacts
from cds.render.format import (
    OVERRIDE_REASON_SYSTEM,
    PATHWAY_CODE_SYSTEM,
    disease_of,
    fmt_date,
    join_no,
    lower_first,
    md,
    one_line,
    stable_id,
)
from cds.render.lab_orders import build_lab_orders
from cds.render.referral import (
    RenderError,
    acute_hits,
    build_referral,
    newest,
    ordered_hits,
    other_hits,
    used_hits,
)

logger = logging.getLogger(__name__)

_INDICATOR_RANK = {"critical": 0, "warning": 1, "info": 2}

# Why a GP dismissed a card that suggested something (CDS Hooks overrideReasons, checklist §7).
SUGGESTION_OVERRIDES: tuple[OverrideReason, ...] = (
    OverrideReason(
        system=OVERRIDE_REASON_SYSTEM, code="already-referred", display="Allerede henvist"
    ),
    OverrideReason(
        system=OVERRIDE_REASON_SYSTEM,
        code="patient-declines",
        display="Pasienten ønsker ikke henvisning",
    ),
    OverrideReason(
        system=OVERRIDE_REASON_SYSTEM,
        code="criteria-not-met",
        display="Klinisk vurdert: kriteriene er ikke oppfylt",
    ),
)
# Why a GP keeps a pakkeforløp referral the criteria do not support: the findings may be outside
# this record (hospital results), or the GP judges the suspicion justified on clinical grounds.
UNSUPPORTED_OVERRIDES: tuple[OverrideReason, ...] = (
    OverrideReason(
        system=OVERRIDE_REASON_SYSTEM,
        code="findings-elsewhere",
        display="Funnene står utenfor journalen (f.eks. sykehussvar)",
    ),
    OverrideReason(
        system=OVERRIDE_REASON_SYSTEM,
        code="clinically-justified",
        display="Klinisk vurdert: henvisning til pakkeforløp er begrunnet",
    ),
)

# Card detail headings and fixed phrases, kept together so wording is reviewed in one place.
_MET = "Kriteriene for begrunnet mistanke er oppfylt:"
_NOT_MET = "Kriteriene for begrunnet mistanke er ikke oppfylt:"
_MISSING_CONTENT_TAIL = {
    "frailty": "legg den til i henvisningen.",
    "medications": "legg dem til i henvisningen.",
    "comorbidity": "legg dem til i henvisningen.",
}


@dataclass(frozen=True, slots=True)
class _Call:
    """What every card builder needs about one pathway in one hook call."""

    pathway: Pathway
    assessment: Assessment
    facts: PatientFacts
    codebook: CodeBook
    hook: HookName
    hook_instance: str
    user_ref: str | None
    today: date

    def id(self, kind: str) -> str:
        return stable_id(self.hook_instance, self.pathway.id, kind)

    @property
    def disease(self) -> str:
        return disease_of(self.pathway.title)


def render_cards(
    results: Sequence[tuple[Pathway, Assessment]],
    facts: PatientFacts,
    *,
    codebook: CodeBook,
    hook: HookName,
    hook_instance: str,
    user_ref: str | None,
    today: date,
    disabled: frozenset[str],
) -> list[Card]:
    """Cards for every pathway with an outcome not switched off, ordered critical, warning, info.

    ``user_ref`` (the hook's ``userId``, e.g. ``Practitioner/123``) becomes the requester of
    suggested orders; ``disabled`` holds outcome names a site has switched off.
    """
    cards: list[Card] = []
    for pathway, assessment in results:
        outcome = assessment.outcome
        if outcome is None or outcome in disabled:
            continue
        call = _Call(pathway, assessment, facts, codebook, hook, hook_instance, user_ref, today)
        cards.append(_BUILDERS[outcome](call))
        logger.debug(
            "card rendered",
            extra={
                "hookInstance": hook_instance,
                "hook": hook,
                "pathway": pathway.id,
                "outcome": outcome,
            },
        )
    # sorted() is stable, so pathways keep registry order within one indicator.
    return sorted(cards, key=lambda c: _INDICATOR_RANK[c.indicator])


# --- one builder per outcome --------------------------------------------------------------------


def _acute(call: _Call) -> Card:
    pathway, assessment = call.pathway, call.assessment
    acute = [lower_first(h.label) for h in acute_hits(pathway, assessment)]
    short = [lower_first(h.label.split(",")[0]) for h in acute_hits(pathway, assessment)]
    tail = "henvis telefonisk for akutt innleggelse"
    summary = _fit(
        f"Akutt: mistanke om {call.disease} med {join_no(acute)} – {tail}",
        f"Akutt: mistanke om {call.disease} med {join_no(short)} – {tail}",
        f"Akutt: mistanke om {call.disease} – {tail}",
    )
    parts: list[str] = []
    referred = assessment.already_referred
    if referred is not None:
        parts.append(
            f"**Henvist til pakkeforløp {fmt_date(referred.when)}.** "
            "Ved akutte funn må pasienten likevel henvises telefonisk for akutt innleggelse."
        )
    if pathway.referral.acute_instruction:
        parts.append(f"> «{md(pathway.referral.acute_instruction)}»")
    parts.append(_bullets("Funn:", [_evidence_bullet(h) for h in used_hits(pathway, assessment)]))
    parts.append(
        _bullets(
            "Andre relevante funn:", [_evidence_bullet(h) for h in other_hits(pathway, assessment)]
        )
    )
    suggestions: list[Suggestion] = []
    if referred is None:
        parts.append(_missing_content(call))
        suggestion = _referral_suggestion(call, acute=True)
        if suggestion is not None:
            suggestions.append(suggestion)
            if suggestion.actions and suggestion.actions[0].type == "update":
                parts.append("Henvisningsutkastet kan oppdateres med prioritet akutt.")
            else:
                parts.append("En skriftlig henvisning med prioritet akutt er forhåndsutfylt.")
    parts.append(_times(pathway, acute=True))
    parts.append(_notes(call))
    return _card(
        call, "critical", summary, parts, suggestions, SUGGESTION_OVERRIDES if suggestions else ()
    )


def _begrunnet(call: _Call) -> Card:
    pathway, assessment = call.pathway, call.assessment
    label = pathway.referral.label
    summary = _fit(
        f"Begrunnet mistanke om {call.disease}: henvis til {label}",
        f"Begrunnet mistanke: henvis til {label}",
    )
    parts = [
        _bullets(_MET, [_evidence_bullet(h) for h in used_hits(pathway, assessment)]),
        _bullets(
            "Andre relevante funn:", [_evidence_bullet(h) for h in other_hits(pathway, assessment)]
        ),
        _missing_content(call),
        _patient_information(call),
        _times(pathway, acute=False),
        _notes(call),
    ]
    suggestion = _referral_suggestion(call, acute=False)
    suggestions = [suggestion] if suggestion is not None else []
    return _card(
        call, "warning", summary, parts, suggestions, SUGGESTION_OVERRIDES if suggestions else ()
    )


def _mistanke(call: _Call) -> Card:
    pathway, assessment = call.pathway, call.assessment
    missing = assessment.missing_filter_tests
    if missing:
        summary = _fit(
            f"Mulig {call.disease}: ta filterprøvene før du vurderer henvisning",
            f"Mulig {call.disease}: ta filterprøvene",
        )
    else:
        summary = _fit(
            f"Mulig {call.disease}: vurder kriteriene for {pathway.title}",
            f"Mulig {call.disease}: vurder henvisning",
        )
    parts = [
        _bullets(
            f"Funn som kan gi mistanke om {call.disease}:",
            [_evidence_bullet(h) for h in ordered_hits(pathway, assessment)],
        ),
        _filter_tests(call),
        _notes(call),
    ]
    suggestions: list[Suggestion] = []
    try:
        orders = build_lab_orders(
            pathway,
            call.codebook,
            assessment,
            call.facts,
            hook_instance=call.hook_instance,
            requester=call.user_ref,
            today=call.today,
        )
    except RenderError:
        # A bug on our side: the card still tells the GP which tests are missing.
        logger.error(
            "lab order failed validation; card sent without suggestion",
            extra={"hookInstance": call.hook_instance, "pathway": pathway.id},
        )
        orders = []
    if orders:
        actions = [
            Action(
                type="create",
                resource=order,
                description=f"Bestill {order['code']['text']} (utkast til rekvisisjon)",
            )
            for order in orders
        ]
        suggestions.append(
            Suggestion(
                label="Bestill manglende prøver",
                uuid=call.id("suggestion:mistanke:lab-orders"),
                is_recommended=True,
                actions=actions,
            )
        )
    return _card(
        call, "info", summary, parts, suggestions, SUGGESTION_OVERRIDES if suggestions else ()
    )


def _not_met(call: _Call) -> Card:
    pathway, assessment = call.pathway, call.assessment
    hits = ordered_hits(pathway, assessment)
    rest = f"kriteriene for {pathway.title} er ikke oppfylt"
    if len(hits) == 1:
        summary = _fit(f"{hits[0].label} uten tilleggsfunn: {rest}", rest[0].upper() + rest[1:])
    elif hits:
        found = join_no([hits[0].label] + [lower_first(h.label) for h in hits[1:]])
        summary = _fit(f"{found}: {rest}", rest[0].upper() + rest[1:])
    else:
        summary = _fit(rest[0].upper() + rest[1:])
    return _card(call, "info", summary, _unmet_parts(call, None), [], ())


def _unsupported(call: _Call) -> Card:
    label = call.pathway.referral.label
    summary = _fit(
        f"Henvisningen er merket «{label}», men kriteriene er ikke oppfylt",
        f"Merket «{label}», men kriteriene er ikke oppfylt",
    )
    advice = (
        "Sjekk om funnene står et annet sted (f.eks. sykehussvar), eller send henvisningen "
        "uten merking for pakkeforløp."
    )
    return _card(call, "warning", summary, _unmet_parts(call, advice), [], UNSUPPORTED_OVERRIDES)


_BUILDERS: dict[Outcome, Callable[[_Call], Card]] = {
    "acute": _acute,
    "begrunnet": _begrunnet,
    "mistanke": _mistanke,
    "not_met": _not_met,
    "unsupported_referral": _unsupported,
}


# --- shared pieces ------------------------------------------------------------------------------


def _card(
    call: _Call,
    indicator: str,
    summary: str,
    parts: list[str],
    suggestions: list[Suggestion],
    overrides: Sequence[OverrideReason],
) -> Card:
    pathway = call.pathway
    outcome = call.assessment.outcome
    return Card.model_validate(
        {
            "uuid": call.id(f"card:{outcome}"),
            "summary": summary,
            "detail": "\n\n".join(p for p in parts if p),
            "indicator": indicator,
            "source": Source(
                label=pathway.source.label,
                url=pathway.source.url,
                topic=Coding(system=PATHWAY_CODE_SYSTEM, code=pathway.code, display=pathway.title),
            ),
            "suggestions": suggestions or None,
            "selectionBehavior": "at-most-one" if suggestions else None,
            "overrideReasons": list(overrides) or None,
            "links": _links(pathway),
        }
    )


def _fit(*candidates: str) -> str:
    """The first candidate that fits the summary limit; the last one shortened otherwise."""
    for text in candidates:
        if len(text) <= SUMMARY_MAX:
            return text
    return candidates[-1][: SUMMARY_MAX - 1].rstrip() + "…"


def _links(pathway: Pathway) -> list[Link]:
    links = [Link(label=pathway.source.label, url=pathway.source.url, type="absolute")]
    seen = {pathway.source.url}
    for link in pathway.source.links:
        if link.url not in seen:
            seen.add(link.url)
            links.append(Link(label=link.label, url=link.url, type="absolute"))
    return links


def _bullets(heading: str, items: list[str]) -> str:
    if not items:
        return ""
    return heading + "\n\n" + "\n".join(f"- {item}" for item in items)


def _evidence_bullet(hit: FeatureHit) -> str:
    """«**Anemi** — Hb 10,9 g/dL (ref. 11,7–15,3) — 01.11.2026»."""
    ev = newest(hit)
    if ev is None:
        return f"**{md(hit.label)}**"
    return f"**{md(hit.label)}** — {md(ev.text)} — {fmt_date(ev.when)}"


def _times(pathway: Pathway, *, acute: bool) -> str:
    lines = []
    if acute:
        quoted = _squash(pathway.referral.acute_instruction or "")
        for t in pathway.acute_times:
            # Criteria may quote the same source sentence as the acute instruction, which the
            # card already shows; repeating it word for word would only lengthen the card.
            if _squash(f"{t.label} {t.time}") not in quoted:
                lines.append(f"{md(t.label)}: **{md(t.time)}**")
    # Only the first pathway time (referral received -> first attendance) is the GP's concern;
    # the referral letter lists them all. Keeps cards short.
    lines += [f"{md(t.label)}: {md(t.time)}" for t in pathway.times[:1]]
    return _bullets(f"Forløpstid ({md(pathway.title)}):", lines)


def _squash(text: str) -> str:
    return " ".join(text.lower().split())


def _notes(call: _Call) -> str:
    notes = dict.fromkeys([*call.assessment.notes, *call.facts.notes])  # ordered, deduplicated
    return "\n\n".join(f"Merk: {md(note)}" for note in notes)


def _missing_content(call: _Call) -> str:
    specs: dict[str, ReferralContent] = {c.id: c for c in call.pathway.referral.content}
    lines = []
    for content_id in call.assessment.missing_content:
        spec = specs.get(content_id)
        if spec is None:
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


def _patient_information(call: _Call) -> str:
    """What the source says the patient is told at referral, as a reminder to the GP."""
    items = [md(one_line(item)) for item in call.pathway.referral.patient_information]
    return _bullets("Informer pasienten om:", items)


def _filter_tests(call: _Call) -> str:
    """Exactly which filter tests are missing or stale, and the source sentence, once."""
    pathway, assessment = call.pathway, call.assessment
    max_age = {t.id: t.max_age_days for t in pathway.filter_tests}
    lines = []
    for status in assessment.missing_filter_tests:
        if status.state == "stale":
            age = max_age.get(status.test)
            older = f"eldre enn {age} dager" if age is not None else "for gammel"
            lines.append(f"{md(status.label)} — {older}, sist tatt {fmt_date(status.last)}")
        else:
            lines.append(f"{md(status.label)} — mangler")
    if not lines:
        return ""
    text = _bullets("Filterprøver som mangler eller er for gamle:", lines)
    citation = _filter_citation(call)
    return f"{text}\n\n{citation}" if citation else text


def _filter_citation(call: _Call) -> str:
    """The source's filter-test sentence as one quote with its section.

    Criteria files cite each filter test by its own list item («Proteinelektroforese») and the
    rule by the sentence that introduces the list («Ved mistanke om myelomatose skal fastlegen
    ta:»). The introducing sentence says *why* the tests are listed, so it wins; without it the
    tests' own quotes are shown, joined with «…» to mark the omitted text between them.
    """
    pathway, assessment = call.pathway, call.assessment
    missing = {s.test for s in assessment.missing_filter_tests}
    tests = [t for t in pathway.filter_tests if t.id in missing]
    if not tests:
        return ""
    section = tests[0].cite.section
    rule = next((r for r in pathway.rules if r.id == assessment.rule), None)
    intro = [c.quote for c in (rule.cite if rule else ()) if c.section == section]
    quotes = intro[:1] or list(
        dict.fromkeys(t.cite.quote for t in tests if t.cite.section == section)
    )
    quote = " … ".join(one_line(q) for q in quotes)
    return f"> «{md(quote)}» ({md(pathway.source.label)}, «{md(one_line(section))}»)"


def _unmet_parts(call: _Call, advice: str | None) -> list[str]:
    pathway, assessment = call.pathway, call.assessment
    unmet = [md(u) for u in assessment.unmet]
    hits = [_evidence_bullet(h) for h in ordered_hits(pathway, assessment)]
    return [
        _bullets(_NOT_MET, unmet) if unmet else _NOT_MET.rstrip(":") + ".",
        _bullets("Funnet i journalen:", hits)
        if hits
        else f"Ingen funn for {md(pathway.title)} i journalen.",
        _filter_tests(call),
        advice or "",
        _notes(call),
    ]


def _referral_suggestion(call: _Call, *, acute: bool) -> Suggestion | None:
    """The referral suggestion: update the GP's draft when we have it, else create one.

    None only if the referral we built fails validation (a bug, logged).
    """
    label = call.pathway.referral.label
    draft = _draft(call)
    resource: dict[str, Any] | None = None
    if draft is not None:
        try:
            resource = _referral(call, draft)
        except RenderError:
            # The draft holds something our validation rejects; a new referral is still useful.
            logger.warning(
                "draft referral could not be updated; offering a new one",
                extra={"hookInstance": call.hook_instance, "pathway": call.pathway.id},
            )
    if resource is not None:
        action = Action(
            type="update",
            resource=resource,
            description=f"Oppdater henvisningsutkastet: merk det «{label}» og fyll inn begrunnet "
            "mistanke, legemidler, komorbiditet og forløpstider.",
        )
        text = f"Oppdater henvisning: {label}"
    else:
        try:
            created = _referral(call, None)
        except RenderError:
            # A bug on our side. The card itself (possibly an acute one) must still reach the GP,
            # so it goes out without the suggestion rather than failing the whole response.
            logger.error(
                "referral failed validation; card sent without suggestion",
                extra={"hookInstance": call.hook_instance, "pathway": call.pathway.id},
            )
            return None
        action = Action(
            type="create",
            resource=created,
            description=f"Opprett utkast til henvisning merket «{label}» med begrunnet mistanke, "
            "legemidler, komorbiditet og forløpstider.",
        )
        text = f"Opprett henvisning: {label}"
    if acute:
        text = f"{text} (akutt)"
    return Suggestion(
        label=text,
        uuid=call.id(f"suggestion:{call.assessment.outcome}:referral"),
        is_recommended=True,
        actions=[action],
    )


def _referral(call: _Call, draft: dict[str, Any] | None) -> dict[str, Any]:
    return build_referral(
        call.pathway,
        call.assessment,
        call.facts,
        hook_instance=call.hook_instance,
        requester=call.user_ref,
        today=call.today,
        draft=draft,
    )


def _draft(call: _Call) -> dict[str, Any] | None:
    """The raw draft referral to update, if evaluate named one and the request carried it."""
    order = call.assessment.draft_referral
    if order is None:
        return None
    raw = call.facts.draft_resources.get(order.ref)
    if not isinstance(raw, dict) or raw.get("resourceType") != "ServiceRequest":
        return None
    draft: dict[str, Any] = dict(raw)
    if not draft.get("id"):
        draft["id"] = order.ref.partition("/")[2]  # the id is what makes it an update
    return draft if draft["id"] else None
