"""The follow-up plan after cancer treatment (``cds.evaluate.followup``) as a timeline: terminal
lines for ``cds timeline``, plain JSON for ``cds timeline --format json``, and the ``followup``
part of the explain extension (``?explain=true``, ``cds evaluate --explain``). The cards' and
the CarePlan's words are ``cds.render.followup_text``.

Bokmål for the clinicians and practice staff who read it, in the style of
:mod:`cds.render.timeline`. Render only: the plan has decided the group, every date, window and
status; this module only looks up the programme's labels and citations for them.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any, get_args

from cds.criteria.base import Citation
from cds.criteria.followup import FollowupProgramme
from cds.evaluate.followup_model import (
    CharacteristicValue,
    FollowupPlan,
    Instance,
    InstanceStatus,
    PlannedActivity,
    Seen,
)
from cds.render.careplan import careplan
from cds.render.followup_text import characteristic_label, missing_label, status_display
from cds.wording.formats import day

Pair = tuple[FollowupProgramme, FollowupPlan]

STATE_WORDS = {
    "not_assigned": "ikke tildelt gruppe",
    "active": "pågår",
    "ended": "avsluttet før tiden",
    "completed": "fullført – fastlegen overtar",
}
# The cards' words (``followup.status.*``), so the timeline and the cards say the same.
STATUS_WORDS: dict[InstanceStatus, str] = {
    status: status_display(status) for status in get_args(InstanceStatus)
}
OPEN_NOW = ("due", "overdue")  # the instances the explain text lists per activity
KIND_WORDS = {
    "visit": "kontroll",
    "imaging": "bildediagnostikk",
    "needs_assessment": "behovsvurdering og senfølger",
}
_TREATMENT_END_WORDS = "slutt på initial behandling"


def start_words(programme: FollowupProgramme, plan: FollowupPlan) -> str:
    """What the months count from, in words."""
    if plan.start_basis == "long_treatment":
        return (
            f"{programme.long_treatment_days} dager etter start av initial behandling som "
            "fortsatt pågår (langvarig initial behandling)"
        )
    return _TREATMENT_END_WORDS


def _seen(seen: Seen | None) -> str:
    if seen is None:
        return "ingen dokumentasjon"
    return f"{day(seen.when)} ({seen.ref}: «{seen.text}»)"


def _value_lines(programme: FollowupProgramme, values: Sequence[CharacteristicValue]) -> list[str]:
    """The values, one line per piece of evidence (a pathology report usually shows grade, site,
    tissue and depth at once), then those nothing shows (the «absent» value: histology neither
    Ewing nor osteosarcoma)."""
    by_evidence: dict[Seen, list[CharacteristicValue]] = {}
    absent: list[CharacteristicValue] = []
    for found in values:
        if found.evidence is None:
            absent.append(found)
        else:
            by_evidence.setdefault(found.evidence, []).append(found)
    lines: list[str] = []
    for seen, found_here in by_evidence.items():
        named = "; ".join(
            f"{characteristic_label(programme, v.characteristic)}: {v.label}" for v in found_here
        )
        lines.append(f"{named} — {_seen(seen)}")
    for found in absent:
        name = characteristic_label(programme, found.characteristic)
        lines.append(f"{name}: {found.label} (journalen nevner ingen av verdiene)")
    return lines


def _instance_line(instance: Instance) -> str:
    line = (
        f"{instance.month:>3} mnd  {day(instance.planned)}  "
        f"(vindu {day(instance.window_start)}–{day(instance.window_end)}): "
        f"{STATUS_WORDS[instance.status]}"
    )
    if instance.done_by is not None:
        line += f" {day(instance.done_by.when)} ({instance.done_by.ref})"
    elif instance.booked_by is not None:
        line += f" {day(instance.booked_by.when)} ({instance.booked_by.ref})"
    return line


def _activity_lines(programme: FollowupProgramme, activity: PlannedActivity) -> list[str]:
    lines = [f"  {activity.label} ({KIND_WORDS[activity.kind]}):"]
    if activity.unknown:
        names = ", ".join(characteristic_label(programme, c) for c in activity.unknown)
        lines.append(f"    kunne ikke vurderes: journalen viser ikke {names}")
    lines += [f"    {_instance_line(i)}" for i in activity.instances]
    return lines


def end_words(programme: FollowupProgramme, plan: FollowupPlan) -> str | None:
    """«tilbakefall eller spredning» for an ended plan, else None."""
    if plan.end_reason is None:
        return None
    spec = programme.ends.get(plan.end_reason)
    return spec.label if spec is not None else plan.end_reason


def _plan_lines(programme: FollowupProgramme, plan: FollowupPlan) -> list[str]:
    lines = [f"{programme.label} (per {day(plan.today)}): {STATE_WORDS[plan.state]}"]
    lines.append(f"  Diagnose: {_seen(plan.diagnosis)}")
    if plan.group_label is not None:
        lines.append(f"  {plan.group_label}")
    lines += [f"  {line}" for line in _value_lines(programme, plan.values)]
    for name in plan.conflicts:
        lines.append(f"  {characteristic_label(programme, name)}: motstridende opplysninger")
    if plan.missing:
        names = ", ".join(missing_label(programme, m) for m in plan.missing)
        lines.append(f"  Mangler: {names}")
    if plan.treatment is not None:
        lines.append(f"  Initial behandling: {_seen(plan.treatment)}")
    if plan.start is not None:
        span = f"  Start {day(plan.start)} ({start_words(programme, plan)})"
        if plan.end is not None:
            span += f"; siste planlagte {day(plan.end)}"
        lines.append(span)
    if plan.doubt is not None:
        lines.append(f"  Mistanke om tilbakefall: {_seen(plan.doubt)}")
    reason = end_words(programme, plan)
    if reason is not None:
        lines.append(f"  Avsluttet: {reason} — {_seen(plan.end_evidence)}")
        lines.append(f"  Videre: reglene i pakkeforløpet «{programme.pathway}» gjelder.")
    for activity in plan.activities:
        lines += _activity_lines(programme, activity)
    return lines


def followup_text(plans: Sequence[Pair]) -> str:
    """Every plan as text, one block each (``cds timeline``)."""
    return "\n\n".join("\n".join(_plan_lines(p, plan)) for p, plan in plans)


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


def seen_json(seen: Seen | None) -> dict[str, Any] | None:
    """A piece of evidence as ``{reference, date, text}`` (date left out when undated)."""
    if seen is None:
        return None
    out: dict[str, Any] = {"reference": seen.ref, "text": seen.text}
    if seen.when is not None:
        out["date"] = seen.when.isoformat()
    return out


def _instance_json(instance: Instance) -> dict[str, Any]:
    return {
        "month": instance.month,
        "planned": instance.planned.isoformat(),
        "window_start": instance.window_start.isoformat(),
        "window_end": instance.window_end.isoformat(),
        "status": instance.status,
        "done_by": seen_json(instance.done_by),
        "booked_by": seen_json(instance.booked_by),
    }


def followup_json(plans: Sequence[Pair], patient_ref: str | None = None) -> list[dict[str, Any]]:
    """Every plan as plain JSON (dates ISO 8601, snake_case like ``timeline_json``); with
    ``patient_ref``, each assigned plan also as its FHIR ``CarePlan`` (``care_plan``)."""
    out: list[dict[str, Any]] = []
    for programme, plan in plans:
        fhir = careplan(plan, programme, patient_ref=patient_ref) if patient_ref else None
        out.append(
            {
                "programme": plan.programme,
                "version": plan.version,
                "title": programme.label,
                "pathway": plan.pathway,
                "today": plan.today.isoformat(),
                "state": plan.state,
                "diagnosis": seen_json(plan.diagnosis),
                "group": plan.group,
                "values": {
                    v.characteristic: {"value": v.value, "evidence": seen_json(v.evidence)}
                    for v in plan.values
                },
                "missing": list(plan.missing),
                "conflicts": list(plan.conflicts),
                "treatment": seen_json(plan.treatment),
                "treatment_kinds": list(plan.treatment_kinds),
                "start": _iso(plan.start),
                "start_basis": plan.start_basis,
                "end": _iso(plan.end),
                "end_reason": plan.end_reason,
                "end_evidence": seen_json(plan.end_evidence),
                "doubt": seen_json(plan.doubt),
                "window": {
                    "before_days": programme.window.before_days,
                    "after_days": programme.window.after_days,
                },
                "activities": [
                    {
                        "investigation": a.investigation,
                        "kind": a.kind,
                        "unknown": list(a.unknown),
                        "instances": [_instance_json(i) for i in a.instances],
                    }
                    for a in plan.activities
                ],
                **({"care_plan": fhir} if fhir is not None else {}),
            }
        )
    return out


def cite_json(citation: Citation) -> dict[str, str]:
    """A quoted source sentence as the explain view shows it."""
    return {"file": citation.file, "section": citation.section, "quote": citation.quote}


def _activity_sources(programme: FollowupProgramme, plan: FollowupPlan, key: str) -> list[Any]:
    """The schedule rows' citations of one investigation in the plan's group (deduplicated:
    group B's years 6–10 are a second row)."""
    group = programme.groups.get(plan.group) if plan.group is not None else None
    if group is None:
        return []
    cites: list[dict[str, str]] = []
    for row in group.schedule:
        cited = cite_json(row.cite)
        if row.investigation == key and cited not in cites:
            cites.append(cited)
    return cites


def _explain_one(programme: FollowupProgramme, plan: FollowupPlan) -> dict[str, Any]:
    out: dict[str, Any] = {
        "programme": plan.programme,
        "version": plan.version,
        "title": programme.label,
        "pathway": plan.pathway,
        "state": plan.state,
        "stateText": STATE_WORDS[plan.state],
        "diagnosis": seen_json(plan.diagnosis),
        "source": cite_json(programme.source),
        "values": [
            {
                "characteristic": v.characteristic,
                "label": characteristic_label(programme, v.characteristic),
                "value": v.value,
                "valueText": v.label,
                **({"evidence": seen_json(v.evidence)} if v.evidence is not None else {}),
            }
            for v in plan.values
        ],
        "missing": [
            {"id": m, "label": missing_label(programme, m)} for m in plan.missing
        ],
        "conflicts": [
            {"id": c, "label": characteristic_label(programme, c)} for c in plan.conflicts
        ],
    }
    group = programme.groups.get(plan.group) if plan.group is not None else None
    if group is not None:
        out["group"] = {
            "id": plan.group,
            "label": plan.group_label or group.label,
            "sources": [cite_json(c) for c in group.cite],
        }
    if plan.start is not None:
        out["start"] = {
            "date": plan.start.isoformat(),
            "basis": plan.start_basis,
            "text": start_words(programme, plan),
            "treatment": seen_json(plan.treatment),
            "source": cite_json(
                programme.long_treatment_cite
                if plan.start_basis == "long_treatment"
                else programme.treatments_cite
            ),
        }
    if plan.end is not None:
        out["lastPlanned"] = plan.end.isoformat()
    if plan.end_reason is not None:
        spec = programme.ends.get(plan.end_reason)
        out["ended"] = {
            "reason": plan.end_reason,
            "text": end_words(programme, plan),
            "evidence": seen_json(plan.end_evidence),
            **({"source": cite_json(spec.cite)} if spec is not None else {}),
        }
    if plan.doubt is not None:
        out["doubt"] = seen_json(plan.doubt)
    window = programme.window
    out["window"] = {"beforeDays": window.before_days, "afterDays": window.after_days}
    out["activities"] = [
        {
            "investigation": a.investigation,
            "label": a.label,
            "kind": a.kind,
            "kindText": KIND_WORDS[a.kind],
            "unknown": [
                {"id": c, "label": characteristic_label(programme, c)} for c in a.unknown
            ],
            "sources": _activity_sources(programme, plan, a.investigation),
            "instances": [
                {
                    "month": i.month,
                    "planned": i.planned.isoformat(),
                    "windowStart": i.window_start.isoformat(),
                    "windowEnd": i.window_end.isoformat(),
                    "status": i.status,
                    "statusText": STATUS_WORDS[i.status],
                    **({"doneBy": seen_json(i.done_by)} if i.done_by is not None else {}),
                    **({"bookedBy": seen_json(i.booked_by)} if i.booked_by is not None else {}),
                }
                for i in a.instances
            ],
        }
        for a in plan.activities
    ]
    return out


def followup_explanation(
    plans: Sequence[Pair], patient_ref: str | None = None
) -> list[dict[str, Any]]:
    """The ``followup`` part of the explain extension: per plan its group with the values and
    their evidence, what is missing, the start and its basis, the end, and per activity its
    instances with window and status, each with the programme's quoted source; with
    ``patient_ref``, the plan as a FHIR ``CarePlan`` (``carePlan``) an EHR can store."""
    parts = []
    for programme, plan in plans:
        part = _explain_one(programme, plan)
        fhir = careplan(plan, programme, patient_ref=patient_ref) if patient_ref else None
        if fhir is not None:
            part["carePlan"] = fhir
        parts.append(part)
    return parts


def _iso_day(raw: object) -> str:
    """«15.11.2026» from an ISO date of the extension, as the cards write dates."""
    return day(date.fromisoformat(raw)) if isinstance(raw, str) else "udatert"


def followup_explanation_text(parts: Sequence[dict[str, Any]]) -> list[str]:
    """The ``followup`` part as terminal lines (``cds evaluate --explain``). Read with ``get``:
    the response drops empty lists and nulls (``cds.cdshooks.dump``)."""
    lines: list[str] = []
    for part in parts:
        name = f"{part.get('title')} ({part.get('programme')} {part.get('version')})"
        lines.append(f"== {name}: {part.get('stateText', '')}")
        if "group" in part:
            lines.append(f"   {part['group'].get('label', '')}")
        for value in part.get("values", []):
            evidence = value.get("evidence")
            where = ""
            if evidence:
                where = f" — {_iso_day(evidence.get('date'))} ({evidence.get('reference')})"
            lines.append(f"   - {value.get('label')}: {value.get('valueText')}{where}")
        if part.get("missing"):
            lines.append("   mangler: " + ", ".join(m.get("label", "") for m in part["missing"]))
        if "start" in part:
            start = part["start"]
            lines.append(f"   start {_iso_day(start.get('date'))} ({start.get('text')})")
        if "ended" in part:
            lines.append(f"   avsluttet: {part['ended'].get('text')}")
        for activity in part.get("activities", []):
            due = [i for i in activity.get("instances", []) if i.get("status") in OPEN_NOW]
            shown = "; ".join(f"{_iso_day(i.get('planned'))} {i.get('statusText')}" for i in due)
            shown = shown or "ingen nå"
            lines.append(f"   · {activity.get('label')}: {shown}")
    return lines
