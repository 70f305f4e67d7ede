"""The one card for several pathways with begrunnet mistanke (docs/architecture.md «Several
pathways»): one referral suggestion per pathway, organ-specific recommended, at most one chosen.
"""

from __future__ import annotations

import logging

from cds.cdshooks import Card, Suggestion
from cds.evaluate.decision import GroupDecision
from cds.render import unassessed
from cds.render.budget import GROUP, Part
from cds.render.call import (
    MET,
    NOTES_PART,
    ONE_AT_A_TIME,
    PATIENT_INFO_PART,
    QUOTE_PART,
    SUGGESTION_OVERRIDES,
    TIMES_PART,
    CardCall,
    build_card,
)
from cds.render.card_parts import explained_part, group_summary, notes_part, receivers_part
from cds.render.evidence import (
    Findings,
    bullets,
    patient_information,
    times_line,
)
from cds.render.format import (
    join_no,
    md,
    one_line,
)
from cds.render.links import card_links
from cds.render.suggestions import referral_suggestion
from cds.render.tests_text import missing_content as _missing_content

logger = logging.getLogger(__name__)


def group_card(calls: list[CardCall], group: GroupDecision) -> Card:
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
    # build_card puts the lead pathway's «kunne ikke vurderes» lines first; the others' follow.
    parts: list[Part | str] = [
        Part(unassessed.lead(c.pathway, c.assessment)) for c in ordered if c is not lead
    ]
    for call in ordered:
        label = f"**{md(call.pathway.referral.label)}**"
        shown = findings.bullets(call.decision.used)
        if call is lead:
            mark = " (anbefalt)" if recommended is not None else ""
            parts.append(bullets(f"{label}{mark} – {MET[0].lower()}{MET[1:]}", shown))
        elif shown:
            parts.append(bullets(f"{label} – kriteriene er også oppfylt:", shown))
        else:
            parts.append(f"{label} – kriteriene er også oppfylt (funnene over).")
        parts.append(receivers_part(call))
    parts += [
        _group_reason(calls, recommended),
        Part(_group_quote(group), QUOTE_PART),
        _missing_content(lead),
        Part(patient_information(lead.pathway.referral.patient_information), PATIENT_INFO_PART),
        Part(times_line([c.pathway for c in ordered]), TIMES_PART),
        explained_part(*calls),
        Part(notes_part(*calls), NOTES_PART),
    ]
    suggestions: list[Suggestion] = []
    for i, call in enumerate(calls):
        # Keep it to one choice per pathway: the recommended receiver (the patient's region).
        receiver = call.assessment.receivers[0] if call.assessment.receivers else None
        suggestion = referral_suggestion(
            call, acute=False, receiver=receiver, recommended=i == recommended
        )
        if suggestion is not None:
            suggestions.append(suggestion)
    return build_card(
        lead,
        "warning",
        group_summary(calls, recommended),
        parts,
        suggestions,
        SUGGESTION_OVERRIDES if suggestions else (),
        links=card_links([c.pathway for c in ordered], [c.assessment.rule for c in ordered]),
        card_type=GROUP,
    )


def _group_reason(calls: list[CardCall], recommended: int | None) -> str:
    """Why one pathway is recommended (or why the GP must choose)."""
    organ = [c.pathway.referral.label for c in calls if c.pathway.organ_specific]
    other = [c.pathway.referral.label for c in calls if not c.pathway.organ_specific]
    if organ and other:
        first = "Organspesifikt pakkeforløp" if len(organ) == 1 else "Organspesifikke pakkeforløp"
        text = f"{first} går foran {md(join_no(other))}; {ONE_AT_A_TIME}"
    else:
        text = ONE_AT_A_TIME[0].upper() + ONE_AT_A_TIME[1:]
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
