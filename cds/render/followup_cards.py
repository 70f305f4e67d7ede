"""Words for the follow-up programme after cancer treatment (``cds.evaluate.followup_notices``
decides; this module only words).

One card per :class:`~cds.evaluate.followup_model.FollowupNotice`, type ``followup``
(``extension["no.pakkeforlop-cds.card-type"]``), with the notice's kind beside it
(:data:`FOLLOWUP_EXTENSION`) so EHRs, logs and the golden projection can tell them apart:

* ``control_due`` — «Oppfølging etter sarkom: MR av tumorområdet forfalt (planlagt
  15.03.2027)»: each item with its planned date, window and when it was last done; one
  suggestion per item (at most :data:`MAX_ORDERS`) creating a draft ``ServiceRequest``.
* ``needs_assessment`` — the needs assessment with the late effects of the treatment the
  patient had and where they are referred; a suggestion to order it.
* ``completed`` — the programme has ended: the handover quote and that the GP now follows the
  patient with the patient (egenkontroll), and what was not done at the last controls.
* ``not_assigned`` — what the record does not show that the group needs.
* ``order_not_due`` (order-select) — the order is not due under the programme; the programme's
  own words that routine imaging is not offered, and that extra investigations may be right.

Every card shows the diagnosis and the last treatment with their dates. The sentences are
phrases of the wording table (``followup.*``, cds/wording/phrases_followup.py).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from cds.cdshooks import Action, Card, OverrideReason, Source, Suggestion
from cds.criteria.followup import FollowupProgramme
from cds.evaluate.followup_model import DueItem, FollowupNotice, FollowupPlan
from cds.render.budget import CARD_TYPE_EXTENSION, DETAIL_BUDGET, Part, fit, fit_summary
from cds.render.evidence import bullets
from cds.render.followup_text import (
    characteristic_label,
    disease_of_programme,
    evidence,
    group_and_start,
    missing_label,
    quote,
    status_display,
    title,
)
from cds.render.format import OVERRIDE_REASON_SYSTEM, lower_first, md, one_line, stable_id
from cds.render.tests_text import QUOTE_RANK
from cds.wording import msg, say

CARD_TYPE = "followup"
FOLLOWUP_EXTENSION = "no.pakkeforlop-cds.followup"
# One order per due item, at most this many (a card a GP reads in seconds).
MAX_ORDERS = 3


def followup_card(
    programme: FollowupProgramme,
    notice: FollowupNotice,
    *,
    hook_instance: str,
    patient_ref: str,
    user_ref: str | None,
    today: date,
) -> Card:
    """The card of one follow-up notice."""
    ids = _Ids(hook_instance, programme.id, notice)
    plan = notice.plan
    suggestions: list[Suggestion] = []
    overrides: list[OverrideReason] = []
    if notice.kind in ("control_due", "needs_assessment"):
        if notice.kind == "control_due":
            summary, parts = _control_due(programme, notice)
        else:
            summary, parts = _needs_assessment(programme, notice)
        suggestions = [
            _order(programme, item, ids, patient_ref, user_ref, today, plan)
            for item in notice.items[:MAX_ORDERS]
        ]
        overrides = [
            _reason("already-booked", "followup.override_booked"),
            _reason("followed-elsewhere", "followup.override_elsewhere"),
        ]
    elif notice.kind == "completed":
        summary, parts = _completed(programme, notice)
    elif notice.kind == "not_assigned":
        summary, parts = _not_assigned(programme, plan)
    else:
        summary, parts = _not_due(programme, notice)
        overrides = [
            _reason("suspected-recurrence", "followup.override_recurrence"),
            _reason("clinically-indicated", "followup.override_clinical"),
            _reason("other-programme", "followup.override_not_relevant"),
        ]
    card: dict[str, Any] = {
        "uuid": ids.of("card"),
        "summary": summary,
        "detail": fit([*parts, *evidence(programme, plan)], DETAIL_BUDGET[CARD_TYPE]),
        "indicator": notice.level,
        "source": Source(label=programme.label),
        "extension": {CARD_TYPE_EXTENSION: CARD_TYPE, FOLLOWUP_EXTENSION: notice.kind},
    }
    if suggestions:
        card["suggestions"] = suggestions
        card["selectionBehavior"] = "any"  # each due control is its own order
    if overrides:
        card["overrideReasons"] = overrides
    return Card.model_validate(card)


class _Ids:
    """Deterministic ids per hook call, programme and notice (cds.render.format); an
    order-select card is one per draft, so the draft is part of its key."""

    def __init__(self, hook_instance: str, programme_id: str, notice: FollowupNotice) -> None:
        self.hook_instance, self.programme_id = hook_instance, programme_id
        self.kind = notice.kind + (f":{notice.order_ref}" if notice.order_ref else "")

    def of(self, what: str) -> str:
        return stable_id(self.hook_instance, self.programme_id, f"{what}:followup:{self.kind}")


def _reason(code: str, phrase: str) -> OverrideReason:
    return OverrideReason(system=OVERRIDE_REASON_SYSTEM, code=code, display=say(msg(phrase)))


# --- control_due and needs_assessment ------------------------------------------------------------


def _control_due(
    programme: FollowupProgramme, notice: FollowupNotice
) -> tuple[str, list[Part | str]]:
    items = list(notice.items)
    if not items:  # never: evaluate gives a control_due notice its items
        raise ValueError("a control_due notice without items")
    # The summary names an overdue item first: it is why the card may be a warning.
    first = next((i for i in items if i.instance.status == "overdue"), items[0])
    heading = title(programme)
    fields: dict[str, Any] = {
        "title": heading,
        "item": first.label,
        "status": status_display(first.instance.status),
        "planned": first.instance.planned,
    }
    one = say(msg("followup.summary_item", **fields))
    summary = fit_summary(
        say(msg("followup.summary_more", more=len(items) - 1, **fields)) if len(items) > 1 else one,
        say(msg("followup.summary_count", title=heading, count=len(items))),
    )
    lines = [_item_line(notice.plan, item) for item in items]
    parts: list[Part | str] = [
        group_and_start(programme, notice.plan),
        bullets(say(msg("followup.due_heading")), lines),
        Part(_schedule_quote(programme, notice.plan, first), QUOTE_RANK),
    ]
    return summary, parts


def _item_line(plan: FollowupPlan, item: DueItem) -> str:
    instance = item.instance
    line = say(
        msg(
            "followup.item",
            label=md(item.label),
            status=status_display(instance.status),
            planned=instance.planned,
            start=instance.window_start,
            end=instance.window_end,
        )
    )
    last = _last_done(plan, item)
    return say(msg("followup.item_last_done", item=line, when=last)) if last else line


def _last_done(plan: FollowupPlan, item: DueItem) -> date | None:
    """The date the previous instance of the item's activity was done, if it was."""
    for activity in plan.activities:
        if activity.investigation != item.investigation:
            continue
        earlier = [i for i in activity.instances if i.planned < item.instance.planned]
        if earlier and earlier[-1].status == "done":
            done = earlier[-1]
            return done.done_by.when if done.done_by and done.done_by.when else done.planned
    return None


def _schedule_quote(programme: FollowupProgramme, plan: FollowupPlan, item: DueItem) -> str:
    """The schedule row's own source sentence for ``item``."""
    group = programme.groups.get(plan.group or "")
    if group is None:
        return ""
    for row in group.schedule:
        if row.investigation == item.investigation and item.instance.month in row.months:
            return quote(programme, row.cite)
    return ""


def _needs_assessment(
    programme: FollowupProgramme, notice: FollowupNotice
) -> tuple[str, list[Part | str]]:
    plan = notice.plan
    first = notice.items[0].instance if notice.items else None
    summary = fit_summary(
        say(
            msg(
                "followup.summary_needs",
                title=title(programme),
                planned=first.planned if first else None,
            )
        )
    )
    parts: list[Part | str] = [group_and_start(programme, plan)]
    if first is not None:
        parts.append(
            say(
                msg(
                    "followup.needs_intro",
                    planned=first.planned,
                    start=first.window_start,
                    end=first.window_end,
                )
            )
        )
    effects = [e for e in programme.late_effects if e.treatment in plan.treatment_kinds]
    late = [
        say(
            msg(
                "followup.late_line",
                treatment=say(msg(f"followup.treatment.{e.treatment}")),
                effects=tuple(e.effects),
            )
        )
        for e in effects
    ]
    parts.append(bullets(say(msg("followup.late_heading")), late))
    referrals = "; ".join(
        say(msg("followup.referral_line", problem=md(r.problem), to=md(r.to)))
        for r in programme.referrals
    )
    if referrals:
        parts.append(Part(say(msg("followup.referrals", items=referrals)), 1))
    if notice.items:
        parts.append(Part(_schedule_quote(programme, plan, notice.items[0]), QUOTE_RANK))
    parts.extend(Part(quote(programme, e.cite), QUOTE_RANK + 1) for e in effects)
    return summary, parts


def _order(
    programme: FollowupProgramme,
    item: DueItem,
    ids: _Ids,
    patient_ref: str,
    user_ref: str | None,
    today: date,
    plan: FollowupPlan,
) -> Suggestion:
    """A draft order of the item's investigation in its window, for the diagnosis."""
    investigation = programme.investigations.get(item.investigation)
    text = (investigation.order_text if investigation else None) or item.label
    key = f"{item.investigation}-{item.instance.month}"
    resource: dict[str, Any] = {
        "resourceType": "ServiceRequest",
        "id": ids.of(f"order:{key}"),
        "status": "draft",
        "intent": "order",
        "code": {"text": text},
        "subject": {"reference": patient_ref},
        "occurrencePeriod": {
            "start": item.instance.window_start.isoformat(),
            "end": item.instance.window_end.isoformat(),
        },
        "authoredOn": today.isoformat(),
    }
    if plan.diagnosis.ref.startswith(("Condition/", "Observation/", "DiagnosticReport/")):
        resource["reasonReference"] = [{"reference": plan.diagnosis.ref}]
    if user_ref:
        resource["requester"] = {"reference": user_ref}
    label = say(msg("followup.order", label=lower_first(item.label)))
    return Suggestion(
        label=one_line(label, 80),
        uuid=ids.of(f"suggestion:{key}"),
        actions=[
            Action(
                type="create",
                resource=resource,
                description=say(msg("followup.order_action", label=text)),
            )
        ],
    )


# --- completed, not_assigned, order_not_due ------------------------------------------------------


def _completed(
    programme: FollowupProgramme, notice: FollowupNotice
) -> tuple[str, list[Part | str]]:
    plan = notice.plan
    disease = disease_of_programme(programme)
    summary = fit_summary(say(msg("followup.summary_completed", disease=disease, end=plan.end)))
    missed = [
        say(
            msg(
                "followup.missed_line",
                label=md(item.label),
                planned=item.instance.planned,
                status=status_display(item.instance.status),
            )
        )
        for item in notice.items
    ]
    parts: list[Part | str] = [
        say(msg("followup.completed_text", disease=disease)),
        quote(programme, programme.handover),
        bullets(say(msg("followup.missed_heading")), missed),
        Part(group_and_start(programme, plan), 1),
    ]
    return summary, parts


def _not_assigned(programme: FollowupProgramme, plan: FollowupPlan) -> tuple[str, list[Part | str]]:
    heading = title(programme)
    missing = tuple(missing_label(programme, m) for m in plan.missing)
    summary = fit_summary(
        say(msg("followup.summary_unassigned", title=heading, missing=", ".join(missing)))
        if missing
        else say(msg("followup.summary_unassigned_none", title=heading)),
        say(msg("followup.summary_unassigned_none", title=heading)),
    )
    parts: list[Part | str] = []
    if missing:
        parts.append(say(msg("followup.unassigned_missing", missing=missing)))
    else:
        parts.append(say(msg("followup.unassigned_no_group")))
    if plan.conflicts:
        conflicts = tuple(characteristic_label(programme, c) for c in plan.conflicts)
        parts.append(say(msg("followup.unassigned_conflict", items=conflicts)))
    parts.append(say(msg("followup.unassigned_advice")))
    return summary, parts


def _not_due(programme: FollowupProgramme, notice: FollowupNotice) -> tuple[str, list[Part | str]]:
    plan = notice.plan
    order = notice.order_label or ""
    group = plan.group_label or ""
    # Not yet planned (the next date is given), or not in this group's schedule at all.
    later = notice.next_planned is not None
    head = msg(
        "followup.summary_not_due" if later else "followup.summary_not_in",
        order=order,
        next=notice.next_planned,
        group=lower_first(group),
    )
    summary = fit_summary(
        say(head),
        say(msg("followup.summary_not_due_short", disease=disease_of_programme(programme))),
    )
    text = msg(
        "followup.not_due_text" if later else "followup.not_in_text",
        group=md(group),
        order=md(lower_first(order)),
        next=notice.next_planned,
    )
    parts: list[Part | str] = [
        say(text),
        quote(programme, programme.not_routine),
        say(msg("followup.extra_allowed")) + "\n\n" + quote(programme, programme.extra_allowed),
    ]
    return summary, parts
