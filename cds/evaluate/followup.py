"""A patient's follow-up plan after sarcoma treatment: group, start, schedule and where each
planned control stands (docs/followup.md).

:func:`followup_plan` is pure: facts, the programme (``criteria/oppfolging/*.yaml``), the code
book and ``today`` in, a :class:`~cds.evaluate.followup_model.FollowupPlan` out.

1. **Who**: a diagnosis of ``programme.diagnosis``; none, no plan (None).
2. **What the tumour is** (``cds.evaluate.followup_profile``): grade, site, tissue, depth,
   histology, each from its newest evidence or unknown.
3. **Group**: the groups whose criteria the known values do not exclude are the candidates;
   exactly one whose criteria are all known and met is the patient's group. Otherwise the plan
   is ``not_assigned`` and ``missing`` names the characteristics that would decide.
4. **Start** (``cds.evaluate.followup_schedule``): the end of initial treatment.
5. **Ends**: an affirmed recurrence, incurable disease or the patient's «no» dated after the
   last treatment ends the plan (``ended``); the newest such evidence is kept.
6. **Schedule**: each activity's instances and their status (``followup_schedule``).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

from cds.criteria.codebook import CodeBook
from cds.criteria.followup import GROUPING, Characteristic, EndReason, FollowupProgramme
from cds.evaluate.followup_model import FollowupPlan, PlannedActivity, PlanState, Seen
from cds.evaluate.followup_profile import (
    Profile,
    all_texts,
    diagnoses,
    indicated,
    profile,
    subject_texts,
)
from cds.evaluate.followup_schedule import activities, treatment_start
from cds.facts.model import PatientFacts

# A plan whose last planned date has passed counts as completed once nothing is overdue, or this
# many days after that date at the latest (an overdue last control stays on the cards that long).
COMPLETED_AFTER_DAYS = 180


def followup_plan(
    programme: FollowupProgramme, codebook: CodeBook, facts: PatientFacts, today: date
) -> FollowupPlan | None:
    """The patient's plan in this programme, or None without a diagnosis of it."""
    diagnosed = diagnoses(programme, codebook, facts)
    if not diagnosed:
        return None
    first = min(diagnosed, key=lambda c: (c.when is None, c.when or date.min, c.ref))
    diagnosis = Seen(first.ref, first.when, first.text)
    found = profile(
        programme, codebook, facts, diagnosed, subject_texts(programme, facts, diagnosed)
    )
    group, missing = assign_group(programme, found)
    start = treatment_start(programme, codebook, facts, diagnosis.when, today)
    base = FollowupPlan(
        programme=programme.id,
        version=programme.version,
        pathway=programme.pathway,
        state="not_assigned",
        diagnosis=diagnosis,
        today=today,
        values=found.values,
        conflicts=found.conflicts,
        treatment=start.last,
        treatment_kinds=start.kinds,
        start=start.start,
        start_basis=start.basis,
    )
    if start.start is None:
        missing = (*missing, "treatment_ongoing" if start.ongoing else "treatment_end")
    if group is None or start.start is None:
        return replace(base, missing=missing, group=group)
    planned = activities(programme, programme.groups[group], found, start.start, facts, today)
    end = max((i.planned for a in planned for i in a.instances), default=start.start)
    plan = replace(
        base,
        state=_state(planned, end, today),
        group=group,
        group_label=programme.groups[group].label,
        end=end,
        activities=planned,
    )
    return _with_ends(programme, codebook, facts, plan)


def assign_group(
    programme: FollowupProgramme, found: Profile
) -> tuple[str | None, tuple[str, ...]]:
    """(group id, ()) when exactly one group fits; (None, characteristics that would decide)
    otherwise — empty when no group can fit at all."""
    candidates: list[tuple[str, tuple[Characteristic, ...]]] = []
    for gid, group in programme.groups.items():
        unknown: list[Characteristic] = []
        excluded = False
        for name in GROUPING:
            wanted: tuple[str, ...] = getattr(group.criteria, name)
            if not wanted:
                continue
            value = found.value(name)
            if value is None:
                unknown.append(name)
            elif value not in wanted:
                excluded = True
        if not excluded:
            candidates.append((gid, tuple(unknown)))
    if len(candidates) == 1 and not candidates[0][1]:
        return candidates[0][0], ()
    decide: list[str] = []
    for _, open_ in candidates:
        decide.extend(name for name in open_ if name not in decide)
    return None, tuple(decide)


def _state(planned: tuple[PlannedActivity, ...], end: date, today: date) -> PlanState:
    """active, or completed (see :data:`COMPLETED_AFTER_DAYS`)."""
    if today <= end:
        return "active"
    overdue = any(i.status in ("due", "overdue") for a in planned for i in a.instances)
    if overdue and today <= end + timedelta(days=COMPLETED_AFTER_DAYS):
        return "active"
    return "completed"


def _with_ends(
    programme: FollowupProgramme, codebook: CodeBook, facts: PatientFacts, plan: FollowupPlan
) -> FollowupPlan:
    """The plan ended early by the newest affirmed end, or kept with a doubtful recurrence."""
    after = plan.treatment.when if plan.treatment and plan.treatment.when else plan.start
    if after is None:
        return plan
    texts = all_texts(facts)
    ended: list[tuple[Seen, EndReason]] = []
    doubt: Seen | None = None
    for reason, spec in programme.ends.items():
        affirmed, doubtful = indicated(spec.indicator, codebook, facts, texts, after=after)
        if affirmed is not None and (affirmed.when is None or affirmed.when <= plan.today):
            ended.append((affirmed, reason))
        if doubtful is not None and spec.uncertain_stops_not_due and doubt is None:
            doubt = doubtful
    if ended:
        evidence, reason = max(ended, key=lambda e: (e[0].when or date.min, e[1]))
        return replace(plan, state="ended", end_reason=reason, end_evidence=evidence, doubt=doubt)
    return replace(plan, doubt=doubt)
