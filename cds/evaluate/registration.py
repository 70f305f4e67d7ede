"""Registration proposals: which registration codes the record supports but nobody registered.

A pure decision over one pathway's timeline (``cds.evaluate.clock``): every event of
``Timeline.unregistered`` that means a registration code becomes a :class:`Proposal` of that
code on the event's date; a decision the record shows only as a report denying cancer
(outcome ``not_cancer``) becomes a :class:`Choice` between the pathway's «annen sykdom» (C*A) and
«ikke påvist sykdom» (C*I) codes, because the report does not tell them apart. Nothing is ever
registered here: render turns the proposals into suggestions a coordinator accepts or rejects
(docs/registration.md).

Each proposal has a *pseudo-rule id* (``<pathway>.registrering.<event>``, :func:`proposal_rule`)
that the pipeline names on the call's trace like a deciding rule, so the audit row and the golden
cases say which proposals were made.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from cds.criteria.clock import EventKind, RegistrationCode
from cds.criteria.schema import Pathway
from cds.evaluate.clock import SAME_EPISODE_DAYS
from cds.evaluate.clock_evidence import pathway_referrals
from cds.evaluate.clock_model import SeenEvent, Timeline
from cds.facts.model import PatientFacts

# The last part of a proposal's pseudo-rule id, per event kind (Bokmål, like the rule ids).
RULE_SUFFIX: dict[EventKind, str] = {
    "start": "start",
    "first_attendance": "fremmote",
    "transfer": "overforing",
    "decision": "beslutning",
    "treatment": "behandling",
    "exit": "avslutning",
}
NOT_CANCER_SUFFIX = "ikke-kreft"
# The decision outcomes a report denying cancer may mean: «annen sykdom» or «ikke påvist sykdom».
_NOT_CANCER_OUTCOMES = ("other_disease", "no_disease")


@dataclass(frozen=True, slots=True)
class Proposal:
    """One registration code the record supports, on the event's date."""

    event: SeenEvent
    code: RegistrationCode
    rule: str  # pseudo-rule id, e.g. "sarkom.registrering.fremmote"


@dataclass(frozen=True, slots=True)
class Choice:
    """A decision the record shows without its outcome: one of ``codes`` (C*A, C*I) applies."""

    event: SeenEvent
    codes: tuple[RegistrationCode, ...]
    rule: str


@dataclass(frozen=True, slots=True)
class RegistrationPlan:
    """One pathway's proposals. ``referral`` is the pathway referral the registrations are
    based on (``ServiceRequest/…``), when the record holds one."""

    pathway: Pathway
    timeline: Timeline
    proposals: tuple[Proposal, ...]
    choice: Choice | None
    referral: str | None

    @property
    def rules(self) -> tuple[str, ...]:
        """The pseudo-rule ids of every proposal, in card order."""
        found = [p.rule for p in self.proposals]
        if self.choice is not None:
            found.append(self.choice.rule)
        return tuple(found)

    @property
    def empty(self) -> bool:
        return not self.proposals and self.choice is None


def proposal_rule(pathway_id: str, event: EventKind, *, not_cancer: bool = False) -> str:
    """``<pathway>.registrering.<event>`` (``…ikke-kreft`` for an undecided not-cancer outcome)."""
    suffix = NOT_CANCER_SUFFIX if not_cancer else RULE_SUFFIX[event]
    return f"{pathway_id}.registrering.{suffix}"


def proposal_rules(pathways: tuple[Pathway, ...] | list[Pathway]) -> frozenset[str]:
    """Every pseudo-rule id a proposal of these pathways can have."""
    found: set[str] = set()
    for pathway in pathways:
        kinds = {c.event for c in pathway.registration_codes}
        found.update(proposal_rule(pathway.id, kind) for kind in kinds)
        if _not_cancer_codes(pathway):
            found.add(proposal_rule(pathway.id, "decision", not_cancer=True))
    return frozenset(found)


def propose(pathway: Pathway, timeline: Timeline, facts: PatientFacts) -> RegistrationPlan:
    """The proposals for one pathway's timeline (none when every event shown is registered)."""
    by_code = {c.code: c for c in pathway.registration_codes}
    proposals: list[Proposal] = []
    choice: Choice | None = None
    for event in timeline.unregistered:
        if event.event == "decision" and event.outcome == "not_cancer":
            codes = _not_cancer_codes(pathway)
            if codes:
                rule = proposal_rule(pathway.id, "decision", not_cancer=True)
                choice = Choice(event=event, codes=codes, rule=rule)
            continue
        code = by_code.get(event.code or "")
        if code is None:  # evidence of an event the pathway has no code for
            continue
        proposals.append(
            Proposal(event=event, code=code, rule=proposal_rule(pathway.id, event.event))
        )
    return RegistrationPlan(
        pathway=pathway,
        timeline=timeline,
        proposals=tuple(proposals),
        choice=choice,
        referral=_referral(pathway, timeline, facts),
    )


def _not_cancer_codes(pathway: Pathway) -> tuple[RegistrationCode, ...]:
    """The pathway's C*A and C*I codes, in that order."""
    return tuple(
        c
        for outcome in _NOT_CANCER_OUTCOMES
        for c in pathway.registration_codes
        if c.event == "decision" and c.outcome == outcome
    )


def _referral(pathway: Pathway, timeline: Timeline, facts: PatientFacts) -> str | None:
    """The referral that started the episode: the start's own evidence, or else the newest
    marked referral no later than SAME_EPISODE_DAYS after a registered start."""
    start = timeline.start
    if start is None:
        return None
    own = next((r for r in start.refs if r.startswith("ServiceRequest/")), None)
    if own is not None:
        return own
    latest = start.when + timedelta(days=SAME_EPISODE_DAYS)
    found = [
        o
        for o in pathway_referrals(pathway, facts, timeline.today)
        if o.when is not None and o.when <= latest and o.ref
    ]
    return found[-1].ref if found else None
