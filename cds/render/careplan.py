"""A follow-up plan (``cds.evaluate.followup``) as a FHIR R4 ``CarePlan``: words and FHIR only.

One CarePlan per patient and programme; its id is stable (``stable_id`` of the patient reference
and the programme), so an EHR that stores it updates the same resource on the next call:

* ``status``: ``active`` (in the programme), ``completed`` (its last planned date has passed),
  ``revoked`` (ended early: a note says why, ``supportingInfo`` names the evidence);
  no CarePlan while no group or start can be given (``not_assigned``).
* ``title``/``description`` in Bokmål: the programme, the group, the dates the schedule counts
  from and the characteristics the group rests on.
* ``addresses`` the sarcoma diagnosis (a Condition); ``supportingInfo`` the last treatment.
* one contained ``ServiceRequest`` per planned date (``sr-<investigation>-<month>``, intent
  ``plan``, ``occurrencePeriod`` the window), each an ``activity`` whose outcome is the instance's
  status in our code system :data:`STATUS_SYSTEM` and whose ``outcomeReference`` is what shows it
  done or booked. An activity the record cannot assess says in its ``progress`` which
  characteristic is unknown.

Render decides nothing here: every status and date is the plan's. Tests validate each CarePlan
with fhir.resources R4B.
"""

from __future__ import annotations

import re
from typing import Any

from cds.criteria.followup import FollowupProgramme
from cds.evaluate.followup_model import (
    FollowupPlan,
    Instance,
    InstanceStatus,
    PlannedActivity,
    Seen,
)
from cds.render.followup_text import characteristic_label, status_display
from cds.render.format import one_line, stable_id
from cds.wording import msg, say

STATUS_SYSTEM = "http://pakkeforlop-cds.no/fhir/CodeSystem/oppfolging-status"
# Where a planned date stands -> the contained ServiceRequest's status.
REQUEST_STATUS: dict[InstanceStatus, str] = {
    "done": "completed",
    "booked": "active",
    "missed": "revoked",
    "planned": "draft",
    "due": "draft",
    "overdue": "draft",
    "not_assessed": "draft",
}
_PLAN_STATUS = {"active": "active", "completed": "completed", "ended": "revoked"}
# FHIR ids allow letters, digits, «-» and «.» only: investigation keys have «_».
_NOT_ID = re.compile(r"[^A-Za-z0-9\-.]")


def careplan(
    plan: FollowupPlan, programme: FollowupProgramme, *, patient_ref: str
) -> dict[str, Any] | None:
    """The plan as a CarePlan (JSON), or None when no plan can be given (``not_assigned``)."""
    if plan.state == "not_assigned" or plan.state not in _PLAN_STATUS:
        return None
    group = plan.group_label or plan.group or ""
    resource: dict[str, Any] = {
        "resourceType": "CarePlan",
        "id": stable_id(patient_ref, programme.id, "careplan"),
        "status": _PLAN_STATUS[plan.state],
        "intent": "plan",
        "title": say(msg("followup.plan_title", programme=programme.label, group=group)),
        "description": _description(plan, programme, group),
        "subject": {"reference": patient_ref},
    }
    period = {
        key: when.isoformat()
        for key, when in (("start", plan.start), ("end", plan.end))
        if when is not None
    }
    if period:
        resource["period"] = period
    if plan.diagnosis.ref.startswith("Condition/"):
        resource["addresses"] = [_reference(plan.diagnosis)]
    supporting = [s for s in (plan.treatment, plan.end_evidence) if s is not None]
    if supporting:
        resource["supportingInfo"] = [_reference(s) for s in supporting]
    if plan.state == "ended":
        resource["note"] = [{"text": _ended(plan, programme)}]
    contained, activities = _activities(plan, programme, patient_ref)
    if contained:
        resource["contained"] = contained
        resource["activity"] = activities
    return resource


def _description(plan: FollowupPlan, programme: FollowupProgramme, group: str) -> str:
    basis = say(
        msg(
            f"followup.basis.{plan.start_basis or 'treatment_end'}",
            start=plan.start,
            days=programme.long_treatment_days,
        )
    )
    text = say(
        msg("followup.plan_description", group=group, start=plan.start, end=plan.end, basis=basis)
    )
    values = "; ".join(
        say(
            msg(
                "followup.plan_value",
                characteristic=characteristic_label(programme, v.characteristic),
                value=v.label,
            )
        )
        for v in plan.values
    )
    if values:
        text += " " + say(msg("followup.plan_values", values=values))
    return text


def _ended(plan: FollowupPlan, programme: FollowupProgramme) -> str:
    reason = plan.end_reason
    spec = programme.ends.get(reason) if reason is not None else None
    evidence = plan.end_evidence
    return say(
        msg(
            "followup.plan_ended",
            reason=spec.label if spec is not None else (reason or ""),
            text=one_line(evidence.text, 120) if evidence is not None else "",
            when=evidence.when if evidence is not None else None,
        )
    )


def _activities(
    plan: FollowupPlan, programme: FollowupProgramme, patient_ref: str
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    contained: list[dict[str, Any]] = []
    activities: list[dict[str, Any]] = []
    used: set[str] = set()
    for activity in plan.activities:
        for instance in activity.instances:
            rid = _unique(request_id(activity.investigation, instance.month), used)
            contained.append(_request(rid, activity, instance, programme, patient_ref))
            activities.append(_activity(rid, activity, instance, programme))
    return contained, activities


def request_id(investigation: str, month: int) -> str:
    """The contained ServiceRequest's id: ``sr-mr-lokal-12`` (a FHIR id: no «_»)."""
    return _NOT_ID.sub("-", f"sr-{investigation}-{month}")


def _unique(rid: str, used: set[str]) -> str:
    """``rid``, or ``rid`` with a suffix when two schedule rows share an investigation and month
    (the loader does not forbid it)."""
    candidate, n = rid, 1
    while candidate in used:
        n += 1
        candidate = f"{rid}.{n}"
    used.add(candidate)
    return candidate


def _request(
    rid: str,
    activity: PlannedActivity,
    instance: Instance,
    programme: FollowupProgramme,
    patient_ref: str,
) -> dict[str, Any]:
    investigation = programme.investigations.get(activity.investigation)
    text = (investigation.order_text if investigation else None) or activity.label
    return {
        "resourceType": "ServiceRequest",
        "id": rid,
        "status": REQUEST_STATUS[instance.status],
        "intent": "plan",
        "code": {"text": text},
        "subject": {"reference": patient_ref},
        "occurrencePeriod": {
            "start": instance.window_start.isoformat(),
            "end": instance.window_end.isoformat(),
        },
    }


def _activity(
    rid: str, activity: PlannedActivity, instance: Instance, programme: FollowupProgramme
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "reference": {"reference": f"#{rid}", "display": activity.label},
        "outcomeCodeableConcept": [
            {
                "coding": [
                    {
                        "system": STATUS_SYSTEM,
                        "code": instance.status,
                        "display": status_display(instance.status),
                    }
                ]
            }
        ],
    }
    seen = instance.done_by or instance.booked_by
    if seen is not None:
        out["outcomeReference"] = [_reference(seen)]
    if instance.status == "not_assessed" and activity.unknown:
        items = tuple(characteristic_label(programme, c) for c in activity.unknown)
        out["progress"] = [{"text": say(msg("followup.plan_not_assessed", items=items))}]
    return out


def _reference(seen: Seen) -> dict[str, str]:
    """A Reference with the record's own words as its display (one line, no Markdown)."""
    ref = {"reference": seen.ref}
    text = one_line(seen.text, 120) if seen.text else ""
    if text:
        ref["display"] = text
    return ref
