"""Words for what could not be assessed: a card's first lines, its headline, and two small cards.

* When a deciding feature could not be assessed (``Assessment.deciding_not_assessed``,
  ``cds.evaluate.unassessed``), every card of the pathway opens with it («Anemi kunne ikke
  vurderes – Hemoglobin 18.11.2026: ukjent enhet «enh»»), and a card that would headline
  «kriteriene er ikke oppfylt» (``not_met``, ``unsupported_referral``) headlines that it could not
  be assessed instead: «not met» would be a claim the record does not support.
* A pathway that says nothing, while a not-assessed feature leaves an action-worthy rule open,
  gets a quiet ``info`` card (type ``not_assessed``): silence would read as «not met».
* A pathway whose evaluation or rendering failed gets a quiet ``info`` card (type ``failed``)
  saying it was not assessed (``cds.pipeline``), so the other pathways' cards are not read as
  the whole answer.
"""

from __future__ import annotations

from cds.cdshooks import Card, Coding, Link, Source
from cds.criteria.schema import Outcome, Pathway
from cds.evaluate.model import Assessment, NotAssessed
from cds.render.budget import CARD_TYPE_EXTENSION, DETAIL_BUDGET, Part, fit, fit_summary
from cds.render.format import (
    PATHWAY_CODE_SYSTEM,
    disease_for,
    join_no,
    lower_first,
    md,
    say,
    stable_id,
)

# What the open rule would have meant, for «… kan … være oppfylt».
_OPEN_MEANING: dict[Outcome, str] = {
    "acute": "kriteriene for akutt innleggelse",
    "begrunnet": "kriteriene for begrunnet mistanke",
    "mistanke": "kriteriene for mistanke",
    "advice": "kriteriene for en anbefaling",
    "stop_order": "kriteriene for å stoppe bestillingen",
}
# Outcomes whose headline says the criteria are not met.
_NOT_MET_HEADLINES: frozenset[Outcome] = frozenset({"not_met", "unsupported_referral"})


def deciding(assessment: Assessment) -> list[NotAssessed]:
    """The not-assessed features the card must name first, in rule order."""
    found = assessment.not_assessed
    return [found[f] for f in assessment.deciding_not_assessed if f in found]


def lead(pathway: Pathway, assessment: Assessment) -> str:
    """The card's first lines when a deciding feature could not be assessed, else ""."""
    items = deciding(assessment)
    if not items:
        return ""
    lines = [
        f"**{md(item.label)} kunne ikke vurderes** – {md(say(item.reason))}." for item in items
    ]
    meaning = _OPEN_MEANING.get(assessment.open_outcome or "begrunnet", "kriteriene")
    lines.append(
        f"Med {'dette funnet' if len(items) == 1 else 'disse funnene'} kan {meaning} for "
        f"{md(pathway.title)} være oppfylt: kontroller verdien i journalen."
    )
    return "\n\n".join(lines)


def summary(pathway: Pathway, assessment: Assessment, default: str) -> str:
    """``default``, or for a «not met» headline with a deciding feature not assessed, that."""
    items = deciding(assessment)
    if not items or assessment.outcome not in _NOT_MET_HEADLINES:
        return default
    labels = _labels(items)
    if assessment.outcome == "unsupported_referral":
        label = pathway.referral.label
        return fit_summary(
            f"Henvisningen er merket «{label}», men {lower_first(labels)} kunne ikke vurderes",
            f"Merket «{label}», men {lower_first(labels)} kunne ikke vurderes",
        )
    return fit_summary(
        f"{labels} kunne ikke vurderes – kriteriene for {pathway.title} er ikke avklart",
        f"{labels} kunne ikke vurderes – kriteriene er ikke avklart",
    )


def unmet_heading(assessment: Assessment, default: str) -> str:
    """The heading over a rule's unmet terms: «not met» is not claimed when a deciding feature
    could not be assessed."""
    if not deciding(assessment):
        return default
    return "Kriteriene for begrunnet mistanke er ikke vist i journalen:"


def not_assessed_card(pathway: Pathway, assessment: Assessment, hook_instance: str) -> Card:
    """The quiet card of a silent pathway whose open rule a not-assessed feature decides."""
    items = deciding(assessment)
    disease = disease_for(pathway)
    return _info_card(
        pathway,
        hook_instance,
        "card:not_assessed",
        fit_summary(
            f"{_labels(items)} kunne ikke vurderes – mulig {disease}",
            f"Kunne ikke vurderes – mulig {disease}",
        ),
        lead(pathway, assessment),
    )


def failed_card(pathway: Pathway, hook_instance: str) -> Card:
    """The quiet card of a pathway whose evaluation or rendering failed."""
    return _info_card(
        pathway,
        hook_instance,
        "card:failed",
        fit_summary(f"{pathway.title} kunne ikke vurderes (feil i beslutningsstøtten)"),
        f"Journalen ble ikke vurdert mot kriteriene for {md(pathway.title)} på grunn av en feil "
        "i beslutningsstøtten. Feilen er logget. Vurder kriteriene selv; de andre kortene "
        "gjelder bare de andre pakkeforløpene.",
    )


def _info_card(pathway: Pathway, hook_instance: str, kind: str, summary: str, detail: str) -> Card:
    card_type = kind.removeprefix("card:")
    return Card.model_validate(
        {
            "uuid": stable_id(hook_instance, pathway.id, kind),
            "summary": summary,
            "detail": fit([Part(detail)], DETAIL_BUDGET[card_type]) or None,
            "extension": {CARD_TYPE_EXTENSION: card_type},
            "indicator": "info",
            "source": Source(
                label=pathway.source.label,
                url=pathway.source.url,
                topic=Coding(system=PATHWAY_CODE_SYSTEM, code=pathway.code, display=pathway.title),
            ),
            "links": [Link(label=pathway.source.label, url=pathway.source.url, type="absolute")],
        }
    )


def _labels(items: list[NotAssessed]) -> str:
    return join_no([items[0].label] + [lower_first(i.label) for i in items[1:]])
