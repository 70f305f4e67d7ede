"""Parts of a card detail shared by the card types: notes, explained findings, receivers, the
referrals the record already holds, the unmet-criteria list, and a group card's summary.
"""

from __future__ import annotations

import logging

from cds.evaluate.model import Words
from cds.render import unassessed
from cds.render.budget import Part, fit_summary
from cds.render.call import GROUP_SUMMARY, NOT_MET, NOTES_PART, CardCall
from cds.render.evidence import (
    Findings,
    bullets,
)
from cds.render.explained import explained_lines
from cds.render.format import (
    fmt_date,
    join_no,
    md,
    say,
)
from cds.render.tests_text import filter_tests as _filter_tests

logger = logging.getLogger(__name__)


def group_summary(calls: list[CardCall], recommended: int | None) -> str:
    """Name the recommended pathway first, so the summary alone tells the GP what to do."""
    if recommended is None:
        return fit_summary(GROUP_SUMMARY)
    best = calls[recommended]
    others = " / ".join(c.pathway.referral.label for i, c in enumerate(calls) if i != recommended)
    label = best.pathway.referral.label
    return fit_summary(
        f"Begrunnet mistanke om {best.disease}: henvis til {label} (alternativ: {others})",
        f"Begrunnet mistanke om {best.disease}: henvis til {label} (se alternativ)",
        GROUP_SUMMARY,
    )


def notes_part(*calls: CardCall) -> str:
    notes: dict[Words, None] = {}  # ordered, deduplicated (a group shares the facts' notes)
    for call in calls:
        notes.update(dict.fromkeys([*call.assessment.notes, *call.facts.notes]))
    return "\n\n".join(f"Merk: {md(say(note))}" for note in notes)


def explained_part(*calls: CardCall) -> Part:
    """Findings a recorded cause explains, and why (never dropped for length: it is why a
    card is not acute, or why a finding the GP sees in the record was not counted)."""
    lines: dict[str, None] = {}
    for call in calls:
        lines.update(dict.fromkeys(explained_lines(call.assessment)))
    return Part("\n\n".join(f"Forklart: {line}" for line in lines))


def receivers_part(call: CardCall) -> str:
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


def own_referral(call: CardCall) -> str:
    referred = call.assessment.already_referred
    if referred is None:
        return ""
    return (
        f"**Henvist til {md(call.pathway.referral.label)} {fmt_date(referred.when)}.** "
        "Videre utredning skjer i pakkeforløpet."
    )


def other_referrals(call: CardCall) -> str:
    """Referrals to other pathways: the GP should know the patient is already in one."""
    return "\n\n".join(
        f"Pasienten er henvist til {md(pathway.referral.label)} {fmt_date(order.when)}."
        for pathway, order in call.referred
        if pathway.id != call.pathway.id
    )


def unmet_parts(call: CardCall, advice: str | None) -> list[Part | str]:
    pathway, assessment = call.pathway, call.assessment
    unmet = [md(say(u)) for u in assessment.unmet]
    hits = Findings().bullets(call.decision.findings)
    return [
        bullets(unassessed.unmet_heading(assessment, NOT_MET), unmet)
        if unmet
        else unassessed.unmet_heading(assessment, NOT_MET).rstrip(":") + ".",
        bullets("Funnet i journalen:", hits)
        if hits
        else f"Ingen funn for {md(pathway.title)} i journalen.",
        *_filter_tests(call),
        advice or "",
        explained_part(call),
        Part(notes_part(call), NOTES_PART),
    ]


# --- suggestions --------------------------------------------------------------------------------
