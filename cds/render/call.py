"""One pathway's card in one hook call: what every card builder needs (``CardCall``), the
override reasons, the fixed phrases and drop ranks, and the card frame all types share
(``build_card``: summary, source, links, type extension, detail within its budget).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Literal

from cds.cdshooks import Card, Coding, Link, OverrideReason, Source, Suggestion
from cds.criteria.schema import Pathway, Rule
from cds.evaluate.decision import CardDecision
from cds.evaluate.model import Assessment
from cds.facts.model import OrderFact, PatientFacts
from cds.hooks import HookName
from cds.render import unassessed
from cds.render.budget import CARD_TYPE_EXTENSION, DETAIL_BUDGET, Part, fit
from cds.render.format import (
    OVERRIDE_REASON_SYSTEM,
    PATHWAY_CODE_SYSTEM,
    disease_for,
    stable_id,
)
from cds.render.links import card_links
from cds.render.tests_text import QUOTE_RANK

logger = logging.getLogger(__name__)


INDICATOR_RANK = {"critical": 0, "warning": 1, "info": 2}

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
MET = "Kriteriene for begrunnet mistanke er oppfylt:"
NOT_MET = "Kriteriene for begrunnet mistanke er ikke oppfylt:"
# A stop_order card when the record does not (yet) show begrunnet mistanke: no referral offered.
STOP_NOT_YET = (
    "Kriteriene for begrunnet mistanke er ennå ikke oppfylt i journalen: bildediagnostikken "
    "avgjør om pasienten skal henvises."
)
GROUP_SUMMARY = "Begrunnet mistanke: flere pakkeforløp kan være aktuelle – henvis til ett"
ONE_AT_A_TIME = "pasienten henvises til ett pakkeforløp om gangen."
# The diagnostic pathway's own words for its list («Før henvisning foreslås:»,
# 002_4ffeb5e25cae056f.txt «Undersøkelser»): suggested, not filter tests that gate the referral.
BEFORE_REFERRAL = "Før henvisning foreslås – dette mangler eller er for gammelt:"
# Drop ranks (cds.render.budget.Part): when a card is over its length budget, source quotes go
# first, then other relevant findings, the forløpstid, and last notes and the patient
# information the GP must give (the referral letter repeats all of them).
QUOTE_PART, OTHER_FINDINGS_PART, TIMES_PART, PATIENT_INFO_PART, NOTES_PART = QUOTE_RANK, 3, 2, 1, 1


@dataclass(frozen=True, slots=True)
class CardCall:
    """What every card builder needs about one pathway in one hook call."""

    decision: CardDecision
    facts: PatientFacts
    hook: HookName
    hook_instance: str
    user_ref: str | None
    today: date
    # Every pathway referral the record holds within its window (any pathway), from the plan.
    referred: tuple[tuple[Pathway, OrderFact], ...] = ()
    # Parts several suggestions of this card share (the referral's receiver-independent basis,
    # built once: cds.render.suggestions); lives as long as the card's call, no longer.
    shared: dict[str, object] = field(default_factory=dict, compare=False, repr=False)

    @property
    def pathway(self) -> Pathway:
        return self.decision.pathway

    @property
    def assessment(self) -> Assessment:
        return self.decision.assessment

    @property
    def log_fields(self) -> dict[str, str]:
        """What a log line about this card may name: the hook call and the pathway, no patient."""
        return {"hookInstance": self.hook_instance, "pathway": self.pathway.id}

    def id(self, kind: str) -> str:
        return stable_id(self.hook_instance, self.pathway.id, kind)

    @property
    def disease(self) -> str:
        return disease_for(self.pathway)

    @property
    def rule(self) -> Rule | None:
        return self.decision.rule


def build_card(
    call: CardCall,
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
