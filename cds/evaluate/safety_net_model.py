"""The safety-net decisions (``cds.evaluate.safety_net``) as plain frozen dataclasses: what
render words (``cds.render.safety_net``) without importing the deciding code."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from cds.evaluate.clock_model import SeenEvent, Timeline
from cds.evaluate.model import Evidence

SafetyNetKind = Literal["first_attendance", "not_cancer_persisting"]
Level = Literal["info", "warning"]


@dataclass(frozen=True, slots=True)
class Persisting:
    """A finding of the pathway recorded again after the decision: its newest such evidence."""

    feature: str
    label: str
    evidence: Evidence


@dataclass(frozen=True, slots=True)
class SafetyNet:
    """One safety-net card, decided.

    ``referral`` is the episode's start (the marked referral, or the registration «henvisning
    mottatt»); ``referral_ref`` the ServiceRequest a Communication or Task may point at (None
    when the record shows only a registration). ``decision`` and ``persisting`` only for
    ``not_cancer_persisting``.
    """

    pathway: str
    kind: SafetyNetKind
    level: Level
    timeline: Timeline
    referral: SeenEvent
    referral_ref: str | None
    decision: SeenEvent | None = None
    persisting: tuple[Persisting, ...] = ()
