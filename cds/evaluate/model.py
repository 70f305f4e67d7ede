"""What the evaluate stage concludes about one pathway for one patient: the input to render.

Plain frozen dataclasses, no FHIR. ``Assessment.outcome`` is ``None`` when the service should say
nothing about this pathway.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Literal, TypeAlias

from cds.criteria.base import Citation
from cds.criteria.schema import Outcome
from cds.facts.model import OrderFact
from cds.wording.message import Message
from cds.wording.phrases import say

# What evaluate says to the GP: a phrase of the wording layer (``cds.wording``: id and fields,
# worded by render), or criteria text passed through as it is (a label, an advice text).
Words: TypeAlias = Message | str


@dataclass(frozen=True, slots=True)
class Evidence:
    """One dated piece of evidence for a feature.

    ``says`` is what render words as one self-contained line, e.g. the phrase ``ev.lab_range``
    worded «Hb 10,9 g/dL (ref. 11,7–15,3)»; the date is kept apart so cards and the referral can
    format it the same way. ``quote`` holds the record's own words the evidence rests on (the
    quoted clause of a report or note, a diagnosis text): what evaluate's own text checks read
    (``cds.evaluate.places``, ``cds.evaluate.change``), never the worded line.
    """

    ref: str  # "Observation/hb-1"
    when: date | None
    says: Words
    quote: str = ""

    @property
    def text(self) -> str:
        """The line in bokmål, for render and tests (evaluate itself never reads it)."""
        return say(self.says)


@dataclass(frozen=True, slots=True)
class Uncounted:
    """Something a source read for a feature that does not count (the explain view): a clause
    whose assertion is negated, uncertain, historical or someone else's (``why`` is that
    assertion), or the newest result of an analyte, older than the source's window
    (``why="out_of_window"``, with ``window_days``)."""

    ref: str
    when: date | None
    says: Words  # the clause (record text) or the result as a message
    why: str
    window_days: int | None = None


Change = Literal["new", "worse", "stable"]


@dataclass(frozen=True, slots=True)
class FeatureHit:
    """A feature that is present, with all evidence found for it (newest first).

    ``change`` (only for features with a ``change:`` block, else ``None``): whether the finding
    is new, worse than the patient's own baseline, or long-standing and stable
    (``cds.evaluate.change``).
    ``since`` is the earliest dated evidence of the finding; ``baseline`` the earlier value a
    worsening was measured against.
    """

    feature: str
    label: str
    evidence: tuple[Evidence, ...]
    change: Change | None = None
    since: date | None = None
    baseline: Evidence | None = None

    @property
    def changed(self) -> bool:
        """New or worse, or a feature that does not track change (always counts)."""
        return self.change != "stable"


@dataclass(frozen=True, slots=True)
class Explained:
    """A present finding that a recorded cause explains (Feature.explained_by): it counts in no
    rule, and cards that speak about the pathway say why («Vekttap: planlagt vektreduksjon»)."""

    hit: FeatureHit
    reason: str  # Explanation.label, Norwegian
    because: tuple[Evidence, ...]  # the evidence of the explaining features, newest first


@dataclass(frozen=True, slots=True)
class AgedOut:
    """An earlier positive result of an absent feature, older than the feature's window
    (``cds.evaluate.aged_out``): the filter-test card says the old test was positive and that
    ``test`` should be taken again."""

    feature: str
    label: str
    evidence: Evidence
    test: str  # FilterTest.id
    test_label: str


@dataclass(frozen=True, slots=True)
class NotAssessed:
    """A feature no source found and some source could not assess («kunne ikke vurderes»).

    ``reason`` names the value that could not be used (a message render words as «Hemoglobin
    18.11.2026: ukjent enhet «enh»», ``cds.evaluate.unassessed``).
    """

    feature: str
    label: str
    reason: Words


FilterState = Literal["ok", "missing", "stale"]


@dataclass(frozen=True, slots=True)
class FilterTestStatus:
    """Whether a filter test was taken recently enough."""

    test: str  # FilterTest.id
    label: str
    state: FilterState
    last: date | None  # date of the newest result, if any
    trigger: bool


@dataclass(frozen=True, slots=True)
class Assessment:
    """The evaluate stage's verdict on one pathway.

    ``outcome``/``rule`` come from the first rule that held for this hook (``None``: say nothing).
    ``hits`` holds every present feature, whether or not the deciding rule used it, so the
    referral can describe relevant findings. ``unmet`` describes (criteria labels or messages)
    which top-level terms of the referral rule failed (for not_met / unsupported_referral cards).
    """

    pathway: str
    outcome: Outcome | None
    rule: str | None
    hits: dict[str, FeatureHit]
    filter_tests: tuple[FilterTestStatus, ...] = ()
    unmet: tuple[Words, ...] = ()
    already_referred: OrderFact | None = None  # a labelled referral within already_referred_days
    draft_referral: OrderFact | None = None  # the draft referral to update, if any
    missing_content: tuple[str, ...] = ()  # referral content ids absent from the record ("frailty")
    notes: tuple[Words, ...] = ()  # data-quality remarks (unknown units, unknown sex, ...)
    # Draft orders (refs) a DraftOrderTerm of the deciding rule matched: a stop_order card
    # suggests deleting them (e.g. a biopsy before a sarcoma referral).
    blocked_orders: tuple[str, ...] = ()
    # Receivers that fit the deciding rule (Pathway.receivers by rule.receiver_kind), the one for
    # the patient's region first; region is its label, None when the address gives none.
    receivers: tuple[str, ...] = ()
    region: str | None = None
    # For a stop_order: what the other rules conclude for the same patient. «begrunnet»: the card
    # refers instead of the stopped order; «mistanke»: it orders the missing examinations instead
    # (filter_tests are then that rule's); otherwise it only asks for the deletion.
    stop_then: Outcome | None = None
    stop_then_rule: str | None = None  # the rule that gave stop_then
    # Present findings a recorded cause explains (feature id -> why); not in ``hits``.
    explained: dict[str, Explained] = field(default_factory=dict)
    # For a mistanke: earlier positive results that aged out of their windows (newest each).
    aged_out: tuple[AgedOut, ...] = ()
    # Features that could not be assessed (feature id -> why), whatever they decide.
    not_assessed: dict[str, NotAssessed] = field(default_factory=dict)
    # The earlier rule for this hook that the not-assessed features leave open (it might have
    # held), its outcome, and the not-assessed features it turns on, in rule order: what a card
    # names first («Hemoglobin … kunne ikke vurderes»). None/() when nothing is left open.
    open_rule: str | None = None
    open_outcome: Outcome | None = None
    deciding_not_assessed: tuple[str, ...] = ()
    # The record says the patient has died (Patient.deceased[x]): no rule decides, no safety net.
    deceased: bool = False

    @property
    def missing_filter_tests(self) -> tuple[FilterTestStatus, ...]:
        """Filter tests not taken or too old, in criteria-file order."""
        return tuple(t for t in self.filter_tests if t.state != "ok")


# --- the explain view (cds.evaluate.explanation builds these, cds.render.explanation words them)

FeatureStatus = Literal["present", "explained", "not_assessed", "absent"]


@dataclass(frozen=True, slots=True)
class FeatureTrace:
    """One feature: present with its evidence, explained by a recorded cause, not assessed (and
    why), or absent (with the texts that named it but did not count, and an aged-out result)."""

    feature: str
    label: str
    status: FeatureStatus
    cite: Citation
    evidence: tuple[Evidence, ...] = ()
    reason: Words | None = None  # why not assessed, or the explanation's label
    uncounted: tuple[Uncounted, ...] = ()
    aged_out: Evidence | None = None  # an earlier positive result, older than the window


@dataclass(frozen=True, slots=True)
class RuleTrace:
    """One rule, in file order: whether it applies to this hook, held, and decided."""

    rule: str
    outcome: Outcome
    for_hook: bool
    held: bool | None  # None: not tried (another hook's rule)
    deciding: bool
    not_met: tuple[Words, ...]  # its top-level terms that failed (empty when it held)
    cite: tuple[Citation, ...]


@dataclass(frozen=True, slots=True)
class PathwayTrace:
    """The explanation of one pathway's assessment."""

    pathway: str
    version: str
    title: str
    outcome: Outcome | None
    rule: str | None
    # A pathway referral sent recently silences the card although a rule held.
    already_referred: bool
    rules: tuple[RuleTrace, ...]
    features: tuple[FeatureTrace, ...]
    # The record says the patient has died: no rule decides (Assessment.deceased).
    deceased: bool = False
