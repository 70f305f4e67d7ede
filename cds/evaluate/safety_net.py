"""GP safety-netting (issue 12 §2): a pathway referral followed until the patient has been seen,
and a pathway that ended without cancer while the finding that started it persists.

Pure, like the rest of the stage: the pathway's :class:`~cds.evaluate.clock_model.Timeline`,
its :class:`~cds.evaluate.model.Assessment` and the site's thresholds
(:class:`SafetyNetPolicy`, built by the pipeline from ``cds.settings``) in, a
:class:`SafetyNet` (or nothing) out; render only words it (``cds.render.safety_net``).

Two kinds, both ``patient-view`` only and quiet by default:

* **first_attendance** — the pathway's episode started (a marked referral or an A registration),
  its next event is the first attendance, the deadline (day N, «due today») has passed by more
  than ``info_after_days`` and no time is booked: an ``info`` card; more than
  ``warning_after_days`` past it, a ``warning``. An episode that started more than
  ``first_attendance_lookback_days`` ago is left alone: an attendance that old and still not in
  the GP's record is far more likely missing data (the hospital's note never reached the GP)
  than a patient lost, and a card every time the chart opens would teach GPs to ignore it.
* **not_cancer_persisting** — the pathway ended with a decision «ikke påvist kreft» (C*A/C*I
  registered, or a report after the start denying cancer) within
  ``not_cancer_lookback_days``, and a feature that a ``begrunnet`` or ``mistanke`` rule of the
  pathway uses positively has evidence dated *after* the decision: an ``info`` card naming the
  decision and the persisting finding. Evidence from before the decision is what the hospital
  already assessed.

:func:`select` decides which of them go out next to the other cards of the call: none next to
a critical card (acute, stop order: a safety-net reminder beside «innlegg i dag» is noise), and
no «ended without cancer» card for a pathway that gets its own referral card in this response
(that card already says what to do with the persisting finding).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from cds.criteria.expressions import FeatureTerm, NotTerm, Term, sub_terms
from cds.criteria.identity import by_identity
from cds.criteria.schema import Outcome, Pathway
from cds.evaluate.clock_model import SeenEvent, Timeline
from cds.evaluate.decision import CardPlan
from cds.evaluate.model import Assessment, FeatureHit
from cds.evaluate.safety_net_model import Level, Persisting, SafetyNet

# Rules whose positive features are «the symptom» that led to the referral.
_SYMPTOM_OUTCOMES: frozenset[Outcome] = frozenset({"begrunnet", "mistanke"})
# Cards next to which a safety-net card is left out (see the module docstring).
_CRITICAL: frozenset[Outcome] = frozenset({"acute", "stop_order"})
# Outcomes whose card suggests a referral to its own pathway.
_REFERRAL_CARDS: frozenset[Outcome] = frozenset({"acute", "begrunnet"})


@dataclass(frozen=True, slots=True)
class SafetyNetPolicy:
    """The site's thresholds (``CDS_SAFETY_NET_*``, README «Safety-netting»).

    Days are counted past the deadline (day N of the forløpstid): ``info_after_days`` 0 means a
    card from day N+1, ``warning_after_days`` 14 a warning from day N+15.
    """

    info_after_days: int = 0
    warning_after_days: int = 14
    first_attendance_lookback_days: int = 90
    not_cancer_lookback_days: int = 180


def safety_net(
    pathway: Pathway, timeline: Timeline, assessment: Assessment, policy: SafetyNetPolicy
) -> SafetyNet | None:
    """The pathway's safety-net card, if the timeline calls for one (see the module docstring)."""
    start = timeline.start
    if start is None or assessment.deceased:  # no reminders for a patient who has died
        return None
    ref = next((r for r in start.refs if r.startswith("ServiceRequest/")), None)
    if timeline.next_event == "first_attendance":
        return _first_attendance(timeline, start, ref, policy)
    if timeline.ended == "not_cancer":
        return _not_cancer(pathway, timeline, start, ref, assessment, policy)
    return None


def _first_attendance(
    timeline: Timeline, start: SeenEvent, ref: str | None, policy: SafetyNetPolicy
) -> SafetyNet | None:
    if timeline.status != "overdue" or timeline.booked is not None:
        return None
    if timeline.today - start.when > timedelta(days=policy.first_attendance_lookback_days):
        return None
    if timeline.days_overdue <= policy.info_after_days:
        return None
    level: Level = "warning" if timeline.days_overdue > policy.warning_after_days else "info"
    return SafetyNet(
        pathway=timeline.pathway,
        kind="first_attendance",
        level=level,
        timeline=timeline,
        referral=start,
        referral_ref=ref,
    )


def _not_cancer(
    pathway: Pathway,
    timeline: Timeline,
    start: SeenEvent,
    ref: str | None,
    assessment: Assessment,
    policy: SafetyNetPolicy,
) -> SafetyNet | None:
    decision = timeline.seen("decision")
    if decision is None or decision.when > timeline.today:
        return None
    if timeline.today - decision.when > timedelta(days=policy.not_cancer_lookback_days):
        return None
    persisting = tuple(_after(assessment.hits.values(), symptom_features(pathway), decision.when))
    if not persisting:
        return None
    return SafetyNet(
        pathway=timeline.pathway,
        kind="not_cancer_persisting",
        level="info",
        timeline=timeline,
        referral=start,
        referral_ref=ref,
        decision=decision,
        persisting=persisting,
    )


def _after(hits: Iterable[FeatureHit], features: frozenset[str], day: date) -> Iterable[Persisting]:
    """Per symptom feature, its newest evidence dated after ``day``."""
    for hit in hits:
        if hit.feature not in features:
            continue
        later = [e for e in hit.evidence if e.when is not None and e.when > day]
        if later:
            newest = max(later, key=lambda e: e.when or day)
            yield Persisting(feature=hit.feature, label=hit.label, evidence=newest)


@by_identity
def symptom_features(pathway: Pathway) -> frozenset[str]:
    """Features a begrunnet or mistanke rule of the pathway requires positively (not under a
    ``not``): the findings that make a referral, and so the ones whose persistence matters."""
    return frozenset(
        name
        for rule in pathway.rules
        if rule.outcome in _SYMPTOM_OUTCOMES
        for name in _positive(rule.when)
    )


def _positive(term: Term) -> Iterable[str]:
    if isinstance(term, FeatureTerm):
        yield term.feature
    elif not isinstance(term, NotTerm):
        for sub in sub_terms(term):
            yield from _positive(sub)


def select(nets: Sequence[SafetyNet], plan: CardPlan) -> tuple[SafetyNet, ...]:
    """The safety-net cards to show next to the cards of ``plan`` (see the module docstring)."""
    shown = [*plan.singles, *(m for g in plan.groups for m in g.members)]
    if any(d.assessment.outcome in _CRITICAL for d in shown):
        return ()
    referring = {d.pathway.id for d in shown if d.assessment.outcome in _REFERRAL_CARDS}
    return tuple(
        n for n in nets if n.kind == "first_attendance" or n.pathway not in referring
    )
