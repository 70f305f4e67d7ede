"""Shared words of the follow-up cards (``cds.render.followup_cards``) and the CarePlan
(``cds.render.careplan``): statuses, characteristic names, the programme's quotes and the dated
evidence (diagnosis, last treatment, the values the group rests on) every card shows.
"""

from __future__ import annotations

import re

from cds.criteria.base import Citation
from cds.criteria.followup import FollowupProgramme
from cds.evaluate.followup_model import CharacteristicValue, FollowupPlan, InstanceStatus, Seen
from cds.render.budget import Part
from cds.render.evidence import bullets
from cds.render.format import md, one_line
from cds.wording import PHRASES, msg, say

# Drop rank (cds.render.budget.Part) of the values the group rests on: after the quotes.
VALUES_RANK = 2
# A line break the text extraction of the source left inside a word («sar- kom»); a suspended
# hyphen («knogle- og bløddelssarkomer») is left as it is.
_HYPHEN = re.compile(r"(\w)- (?!(?:og|eller|samt|til)\b)(\w)")


def status_display(status: InstanceStatus) -> str:
    """«planlagt», «forfaller», «forfalt», «ikke utført», «bestilt», «utført», «ikke vurdert»."""
    return say(msg(f"followup.status.{status}"))


def characteristic_label(programme: FollowupProgramme, characteristic: str) -> str:
    """The programme's Bokmål name of a characteristic («malignitetsgrad»), else its id."""
    spec = programme.characteristics.get(characteristic)  # type: ignore[call-overload]
    return spec.label if spec is not None else characteristic


def disease_of_programme(programme: FollowupProgramme) -> str:
    """«Oppfølgingsprogram for sarkom» -> «sarkom» (the label itself otherwise)."""
    found = re.search(r"\bfor\s+(.+)$", programme.label)
    return found.group(1).strip() if found else programme.label


def title(programme: FollowupProgramme) -> str:
    return say(msg("followup.title", disease=disease_of_programme(programme)))


def quote(programme: FollowupProgramme, cite: Citation) -> str:
    """A source sentence quoted with «Kilde: …» (the extraction's split words joined)."""
    text = _HYPHEN.sub(r"\1\2", one_line(cite.quote))
    return say(
        msg(
            "followup.quote",
            quote=md(text),
            label=md(programme.label),
            section=md(one_line(cite.section)),
        )
    )


# --- the dated evidence every card shows -------------------------------------------------------


def evidence(programme: FollowupProgramme, plan: FollowupPlan) -> list[Part | str]:
    """«Grunnlag:» the diagnosis and the last treatment with their dates, then (dropped first
    of the two) what the tumour's characteristics rest on: one bullet per piece of evidence."""
    lines = [
        say(msg("followup.ev_diagnosis", text=_text(plan.diagnosis), when=plan.diagnosis.when))
    ]
    if plan.treatment is not None:
        lines.append(
            say(msg("followup.ev_treatment", text=_text(plan.treatment), when=plan.treatment.when))
        )
    by_ref: dict[str, list[CharacteristicValue]] = {}
    for value in plan.values:
        if value.evidence is not None:
            by_ref.setdefault(value.evidence.ref, []).append(value)
    values = []
    for found in by_ref.values():
        seen = found[0].evidence
        if seen is None:  # never: grouped by it
            continue
        named = "; ".join(
            say(
                msg(
                    "followup.plan_value",
                    characteristic=md(characteristic_label(programme, v.characteristic)),
                    value=md(v.label),
                )
            )
            for v in found
        )
        values.append(
            say(msg("followup.ev_values", values=named, text=_text(seen), when=seen.when))
        )
    return [
        bullets(say(msg("followup.evidence_heading")), lines),
        Part(bullets(say(msg("followup.values_heading")), values), VALUES_RANK),
    ]


def _text(seen: Seen) -> str:
    return md(one_line(seen.text, 80))


def group_and_start(programme: FollowupProgramme, plan: FollowupPlan) -> str:
    """«**Gruppe B: …**. Planen regnes fra avsluttet behandling 01.03.2026.» (the treatment
    itself is an evidence line of the card)."""
    group = say(msg("followup.group_line", group=md(plan.group_label or "")))
    if plan.start is None:
        return group
    phrase = "followup.start_long" if plan.start_basis == "long_treatment" else "followup.start_end"
    start = say(msg(phrase, start=plan.start, days=programme.long_treatment_days))
    return f"{group} {start}"


def missing_label(programme: FollowupProgramme, missing: str) -> str:
    """A characteristic's label, or the phrase for «treatment_end» and the like."""
    if missing in programme.characteristics:
        return characteristic_label(programme, missing)
    code = f"followup.missing.{missing}"
    return say(msg(code)) if code in PHRASES else missing
