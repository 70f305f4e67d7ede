"""Which follow-up cards a plan gives (``cds.render.followup_cards`` words them).

``patient-view``:

* **control_due** — visits and imaging due or overdue and neither done nor booked (one card,
  ``warning`` when one is overdue); a needs assessment due at the same time is one of its items
  (it is made at that control);
* **needs_assessment** — a needs assessment / late-effects screening due or overdue on its own;
* **completed** — the programme has ended (its last planned date passed) within
  :data:`COMPLETED_CARD_DAYS`: the GP takes over («egenkontrol i samarbejde med almen praksis»);
* **not_assigned** — a treated sarcoma (the record shows the end of treatment) whose group
  cannot be determined, while a plan would still run; the card says what is missing.

``order-select``: **order_not_due** — a draft imaging order of one of the programme's
investigations that the plan does not ask for now: not due and not overdue (the next planned
date is given), or not in the patient's schedule at all. Silent when the plan is not active,
when a recurrence is suspected (the plan's ``doubt``, or the draft's own words naming one), when
the investigation's need is not assessed, and when any matching investigation is due.

A plan that ended (recurrence, incurable disease, declined) gives no card: the sarcoma pathway's
own rules speak for a recurrence. The pipeline adds one rule for all: no follow-up card next to
a card of the programme's pathway.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Literal

from cds.criteria.codebook import CodeBook
from cds.criteria.followup import Characteristic, FollowupProgramme
from cds.evaluate.followup_model import DueItem, FollowupNotice, FollowupPlan
from cds.evaluate.followup_profile import lexicon_of
from cds.evaluate.followup_schedule import add_months, order_is
from cds.facts.model import PatientFacts
from cds.facts.text import findings
from cds.hooks import HookName

# The «completed» card is shown until this long after the programme's last planned date (a plan
# whose last control is overdue completes only half a year after it: cds.evaluate.followup).
COMPLETED_CARD_DAYS = 365
_OPEN = ("due", "overdue")
Level = Literal["info", "warning"]


def notices(
    programme: FollowupProgramme,
    plan: FollowupPlan,
    facts: PatientFacts,
    codebook: CodeBook,
    hook: HookName,
) -> tuple[FollowupNotice, ...]:
    """The follow-up cards of one plan for this hook (see the module docstring)."""
    if facts.deceased:  # no reminders of controls for a patient who has died
        return ()
    if hook == "order-select":
        return _not_due(programme, plan, facts, codebook)
    if hook != "patient-view":
        return ()
    if plan.state == "active":
        return _due(programme, plan)
    if plan.state == "completed" and plan.end is not None:
        if plan.today <= plan.end + timedelta(days=COMPLETED_CARD_DAYS):
            return (FollowupNotice(programme.id, "completed", "info", plan, _last_missed(plan)),)
        return ()
    if plan.state == "not_assigned" and _worth_asking(programme, plan):
        return (FollowupNotice(programme.id, "not_assigned", "info", plan),)
    return ()


def _due(programme: FollowupProgramme, plan: FollowupPlan) -> tuple[FollowupNotice, ...]:
    controls: list[DueItem] = []
    assessments: list[DueItem] = []
    for activity in plan.activities:
        current = next((i for i in activity.instances if i.status in _OPEN), None)
        if current is None:
            continue
        item = DueItem(activity.investigation, activity.label, activity.kind, current)
        (assessments if activity.kind == "needs_assessment" else controls).append(item)
    if controls:
        # One card: a needs assessment due with a control is made at that control.
        overdue = any(i.instance.status == "overdue" for i in controls)
        level: Level = "warning" if overdue else "info"
        items = (*controls, *assessments)
        return (FollowupNotice(programme.id, "control_due", level, plan, items),)
    if assessments:
        items = tuple(assessments)
        return (FollowupNotice(programme.id, "needs_assessment", "info", plan, items),)
    return ()


def _last_missed(plan: FollowupPlan) -> tuple[DueItem, ...]:
    """The activities planned for the programme's last date that were not done there (the
    completed card names them)."""
    items: list[DueItem] = []
    for activity in plan.activities:
        last_date = activity.instances[-1].planned if activity.instances else None
        if last_date != plan.end:  # only what was planned for the programme's last date
            continue
        if activity.instances[-1].status in ("missed", "overdue", "due"):
            last = activity.instances[-1]
            items.append(DueItem(activity.investigation, activity.label, activity.kind, last))
    return tuple(items)


def _worth_asking(programme: FollowupProgramme, plan: FollowupPlan) -> bool:
    """A «group cannot be determined» card only where a plan would be running now: the record
    shows the end of treatment (a GP record of an old sarcoma rarely does, and a card for every
    such patient would be noise; the timeline and explain view still say what is missing), and
    today lies within the longest schedule the known values still allow."""
    if plan.start is None:
        return False
    return plan.today <= add_months(plan.start, _longest_possible(programme, plan))


def _longest_possible(programme: FollowupProgramme, plan: FollowupPlan) -> int:
    """The last month of any schedule row the patient's known values do not exclude."""

    def allowed(values: tuple[str, ...], name: Characteristic) -> bool:
        known = plan.value(name)
        return not values or known is None or known in values

    months = [
        month
        for group in programme.groups.values()
        if allowed(group.criteria.grade, "grade") and allowed(group.criteria.site, "site")
        for row in group.schedule
        if all(allowed(values, name) for name, values in row.when.items())
        for month in row.months
    ]
    return max(months, default=0)


def _not_due(
    programme: FollowupProgramme, plan: FollowupPlan, facts: PatientFacts, codebook: CodeBook
) -> tuple[FollowupNotice, ...]:
    if plan.state != "active" or plan.doubt is not None:
        return ()
    recurrence = programme.ends.get("recurrence")
    out: list[FollowupNotice] = []
    for draft in facts.draft_orders:
        if recurrence is not None and any(
            f.assertion != "negated"
            for label in draft.labels
            for f in findings(label, recurrence.indicator.patterns, lexicon_of(codebook))
        ):
            continue
        matched = [
            key
            for key, inv in programme.investigations.items()
            if inv.kind == "imaging" and order_is(inv, draft.labels)
        ]
        if not matched:
            continue
        notice = _draft_notice(programme, plan, draft.ref, draft.name, matched)
        if notice is not None:
            out.append(notice)
    return tuple(out)


def _draft_notice(
    programme: FollowupProgramme,
    plan: FollowupPlan,
    ref: str,
    name: str | None,
    matched: list[str],
) -> FollowupNotice | None:
    """The card for one draft, or None when the plan asks for it now (or cannot tell)."""
    mine = [a for a in plan.activities if a.investigation in matched]
    nexts: list[date] = []
    for activity in mine:
        if activity.unknown and all(i.status == "not_assessed" for i in activity.instances):
            return None
        if any(i.status in _OPEN for i in activity.instances):
            return None
        upcoming = [i.planned for i in activity.instances if i.status == "planned"]
        if upcoming:
            nexts.append(min(upcoming))
    label = name or programme.investigations[matched[0]].label
    return FollowupNotice(
        programme.id,
        "order_not_due",
        "info",
        plan,
        order_ref=ref,
        order_label=label,
        next_planned=min(nexts) if nexts else None,
    )
