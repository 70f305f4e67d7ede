"""The registration cards of the ``pakkeforlop-registrering`` service (hospital users).

Render only: which codes are proposed, on which dates and from which evidence, was decided by
``cds.evaluate.registration``. Per pathway:

* one ``info`` card (type ``registration``) listing every proposed code with its date and the
  dated evidence, one suggestion per code (``create`` of the registration Observation,
  docs/registration.md), ``selectionBehavior: any``: each proposal is accepted or not on its own;
* for a decision a report shows only as «ikke påvist kreft», a separate ``info`` card (type
  ``registration_choice``) with the two alternatives C*A / C*I, ``at-most-one``, saying that the
  report does not tell them apart.

The service never registers anything itself: an Observation exists only when a user accepts its
suggestion. Each Observation is checked against our profile
(``fhir_profiles/StructureDefinition-pakkeforlop-registrering.json``) before it is offered; the
tests also validate it with ``fhir.resources`` (R4B).
"""

from __future__ import annotations

from typing import Any

from cds.cdshooks import Action, Card, Coding, Link, OverrideReason, Source, Suggestion
from cds.criteria.clock import RegistrationCode
from cds.criteria.schema import Pathway
from cds.evaluate.clock_model import SeenEvent
from cds.evaluate.registration import Choice, RegistrationPlan
from cds.profile import validate_against
from cds.render.budget import CARD_TYPE_EXTENSION, DETAIL_BUDGET, Part, fit, fit_summary
from cds.render.format import (
    OVERRIDE_REASON_SYSTEM,
    PATHWAY_CODE_SYSTEM,
    fmt_date,
    md,
    stable_id,
)
from cds.render.timeline import EVENT_WORDS, EVIDENCE_WORDS

PROFILE_NAME = "pakkeforlop-registrering"
REGISTRATION_PROFILE_URL = f"http://pakkeforlop-cds.no/fhir/StructureDefinition/{PROFILE_NAME}"
CATEGORY_SYSTEM = "http://pakkeforlop-cds.no/fhir/CodeSystem/observation-category"
CATEGORY_CODE = "pakkeforlop-registrering"
CARD_TYPE, CHOICE_TYPE = "registration", "registration_choice"
CARD_TYPES: frozenset[str] = frozenset({CARD_TYPE, CHOICE_TYPE})

# Why a coordinator declines a proposal (CDS Hooks overrideReasons; coded for feedback).
REGISTRATION_OVERRIDES: tuple[OverrideReason, ...] = (
    OverrideReason(
        system=OVERRIDE_REASON_SYSTEM,
        code="registered-elsewhere",
        display="Allerede registrert i det pasientadministrative systemet",
    ),
    OverrideReason(
        system=OVERRIDE_REASON_SYSTEM,
        code="not-this-pathway",
        display="Hendelsen gjelder ikke dette pakkeforløpet",
    ),
    OverrideReason(
        system=OVERRIDE_REASON_SYSTEM, code="wrong-date", display="Feil dato eller hendelse"
    ),
)
_CONFIRM = (
    "Kontroller hvert forslag mot journalen før det registreres: ingenting registreres uten at "
    "du velger det."
)


class RegistrationRenderError(ValueError):
    """A registration resource that does not meet our profile (a bug: the card is left out)."""


def registration_cards(
    plan: RegistrationPlan, *, patient_ref: str, hook_instance: str, user_ref: str | None
) -> list[Card]:
    """The pathway's cards: the proposals card and the not-cancer choice card (each if any)."""
    render = _Render(plan, patient_ref, hook_instance, user_ref)
    cards: list[Card] = []
    if plan.proposals:
        cards.append(render.proposals_card())
    if plan.choice is not None:
        cards.append(render.choice_card(plan.choice))
    return cards


def code_text(code: RegistrationCode) -> str:
    """«A36S Utredning start – første fremmøte»: the code as the pathway document prints it."""
    return f"{code.code} {code.display}"


def evidence_text(event: SeenEvent) -> str:
    """«27.10.2026: kontakt knyttet til henvisningen «ortopedisk poliklinikk»»."""
    words = EVIDENCE_WORDS.get(event.evidence, event.evidence)
    label = event.label.strip()
    return f"{fmt_date(event.when)}: {words}" + (f" «{label}»" if label else "")


class _Render:
    def __init__(
        self, plan: RegistrationPlan, patient_ref: str, hook_instance: str, user_ref: str | None
    ) -> None:
        self.plan, self.patient_ref = plan, patient_ref
        self.hook_instance, self.user_ref = hook_instance, user_ref

    @property
    def pathway(self) -> Pathway:
        return self.plan.pathway

    def _id(self, kind: str) -> str:
        return stable_id(self.hook_instance, self.pathway.id, kind)

    def proposals_card(self) -> Card:
        proposals = self.plan.proposals
        count = len(proposals)
        noun = "registrering mangler" if count == 1 else "registreringer mangler"
        lines = [f"- **{md(code_text(p.code))}** — {md(evidence_text(p.event))}" for p in proposals]
        parts = [
            Part(f"Journalen viser hendelser i {md(self.pathway.title)} som ikke er registrert:"),
            Part("\n".join(lines)),
            Part(_CONFIRM, drop=1),
        ]
        suggestions = [
            self._suggestion(p.event, p.code, f"proposal:{p.code.code}") for p in proposals
        ]
        return self._card(
            CARD_TYPE,
            fit_summary(f"{self.pathway.title}: {count} {noun}", f"{count} {noun}"),
            parts,
            suggestions,
            "any",
        )

    def choice_card(self, choice: Choice) -> Card:
        event = choice.event
        alternatives = " eller ".join(c.code for c in choice.codes)
        parts = [
            Part(
                f"Klinisk beslutning i {md(self.pathway.title)} er ikke registrert:\n"
                f"- {md(evidence_text(event))}"
            ),
            Part(
                "Notatet sier at det ikke er holdepunkt for kreft, men skiller ikke «annen sykdom "
                "enn kreft» fra «ikke påvist sykdom». Velg koden som stemmer, eller ingen."
            ),
            Part(_CONFIRM, drop=1),
        ]
        suggestions = [
            self._suggestion(event, code, f"choice:{code.code}") for code in choice.codes
        ]
        return self._card(
            CHOICE_TYPE,
            fit_summary(
                f"{self.pathway.title}: klinisk beslutning {fmt_date(event.when)} – velg "
                f"{alternatives}",
                f"Klinisk beslutning {fmt_date(event.when)} – velg {alternatives}",
            ),
            parts,
            suggestions,
            "at-most-one",
        )

    def _suggestion(self, event: SeenEvent, code: RegistrationCode, kind: str) -> Suggestion:
        resource = self.observation(event, code, kind)
        return Suggestion(
            label=f"Registrer {code_text(code)} {fmt_date(event.when)}",
            uuid=self._id(f"suggestion:registration:{kind}"),
            actions=[
                Action(
                    type="create",
                    resource=resource,
                    description=(
                        f"Registrer {code_text(code)} med dato {fmt_date(event.when)} (Observation)"
                    ),
                )
            ],
        )

    def observation(self, event: SeenEvent, code: RegistrationCode, kind: str) -> dict[str, Any]:
        """The registration Observation (docs/registration.md), checked against our profile."""
        resource: dict[str, Any] = {
            "resourceType": "Observation",
            "id": self._id(f"registration:{kind}"),
            "meta": {"profile": [REGISTRATION_PROFILE_URL]},
            "status": "final",
            "category": [
                {
                    "coding": [
                        {
                            "system": CATEGORY_SYSTEM,
                            "code": CATEGORY_CODE,
                            "display": "Pakkeforløpsregistrering",
                        }
                    ]
                }
            ],
            "code": {
                "coding": [
                    {"system": PATHWAY_CODE_SYSTEM, "code": code.code, "display": code.display}
                ],
                "text": code_text(code),
            },
            "subject": {"reference": self.patient_ref},
            "effectiveDateTime": event.when.isoformat(),
            "note": [{"text": self._note(event)}],
        }
        if self.plan.referral is not None:
            resource["basedOn"] = [{"reference": self.plan.referral}]
        encounter = next((r for r in event.refs if r.startswith("Encounter/")), None)
        if encounter is not None and event.event == "first_attendance":
            resource["encounter"] = {"reference": encounter}
        if self.user_ref and self.user_ref.startswith(("Practitioner/", "PractitionerRole/")):
            resource["performer"] = [{"reference": self.user_ref}]
        problems = validate_against(resource, PROFILE_NAME)
        if problems:
            raise RegistrationRenderError("; ".join(problems))
        return resource

    def _note(self, event: SeenEvent) -> str:
        refs = ", ".join(event.refs)
        where = f" ({refs})" if refs else ""
        return (
            f"Registrert etter forslag fra Pakkeforløp CDS. Grunnlag i journalen: "
            f"{EVENT_WORDS[event.event]} {evidence_text(event)}{where}."
        )

    def _card(
        self,
        card_type: str,
        summary: str,
        parts: list[Part],
        suggestions: list[Suggestion],
        selection: str,
    ) -> Card:
        pathway = self.pathway
        return Card.model_validate(
            {
                "uuid": self._id(f"card:{card_type}"),
                "summary": summary,
                "detail": fit(parts, DETAIL_BUDGET[card_type]),
                "indicator": "info",
                "source": Source(
                    label=pathway.source.label,
                    url=pathway.source.url,
                    topic=Coding(
                        system=PATHWAY_CODE_SYSTEM, code=pathway.code, display=pathway.title
                    ),
                ),
                "suggestions": suggestions,
                "selectionBehavior": selection,
                "overrideReasons": list(REGISTRATION_OVERRIDES),
                "links": _links(pathway),
                "extension": {CARD_TYPE_EXTENSION: card_type},
            }
        )


def _links(pathway: Pathway) -> list[Link]:
    """The hospital's registration guidance first, then the pathway page (at most two)."""
    found = [(link.label, link.url) for link in pathway.source.links if link.kind == "registration"]
    found.append((pathway.source.label, pathway.source.url))
    return [Link(label=label, url=url, type="absolute") for label, url in found[:2]]
