"""Follow-up plans and notices built by hand for the render tests (cds.render.careplan,
cds.render.followup_cards): the evaluate stage is not run, so each test says exactly which plan
it words.

The default plan: group B (high-grade sarcoma of the thigh, deep, soft tissue), surgery ended
01.03.2026, so month 3 is 01.06.2026, month 6 01.09.2026, month 12 01.03.2027, and a 30-day
window on each side.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from functools import cache
from pathlib import Path
from typing import Any

from cds.criteria.followup import FollowupProgramme
from cds.criteria.loader import load_registry
from cds.evaluate.followup_model import (
    CharacteristicValue,
    DueItem,
    FollowupNotice,
    FollowupPlan,
    Instance,
    InstanceStatus,
    PlannedActivity,
    Seen,
)

REPO = Path(__file__).resolve().parents[2]
START = date(2026, 3, 1)
PATIENT = "Patient/pas-1"
USER = "Practitioner/gp-1"
HOOK_INSTANCE = "8c3e3f2a-2f7e-4c41-9d7c-1f4d0e6b9a10"
DIAGNOSIS = Seen("Condition/sarkom-1", date(2025, 12, 10), "Høygradig leiomyosarkom i låret")
SURGERY = Seen("Procedure/op-1", START, "Reseksjon av bløtvevssarkom i låret")
MONTHS = {3: date(2026, 6, 1), 6: date(2026, 9, 1), 9: date(2026, 12, 1), 12: date(2027, 3, 1)}


@cache
def programme() -> FollowupProgramme:
    """The sarcoma programme as the service loads it (criteria/oppfolging/sarkom.yaml)."""
    registry = load_registry(REPO / "criteria")
    return next(p for p in registry.followups if p.id == "sarkom-oppfolging")


def instance(month: int, status: InstanceStatus, **kw: Any) -> Instance:
    planned = MONTHS[month]
    return Instance(
        month=month,
        planned=planned,
        window_start=planned - timedelta(days=30),
        window_end=planned + timedelta(days=30),
        status=status,
        **kw,
    )


def activity(investigation: str, *instances: Instance, **kw: Any) -> PlannedActivity:
    inv = programme().investigations[investigation]
    return PlannedActivity(investigation, inv.label, inv.kind, tuple(instances), **kw)


def value(characteristic: str, value_id: str, evidence: Seen | None = None) -> CharacteristicValue:
    spec = programme().characteristics[characteristic]  # type: ignore[index]
    label = spec.absent if value_id == "other" else spec.values[value_id].label
    return CharacteristicValue(characteristic, value_id, label or value_id, evidence)  # type: ignore[arg-type]


PATHOLOGY = Seen(
    "DiagnosticReport/pat-1", date(2025, 12, 8), "Høygradig leiomyosarkom, dyptliggende"
)


def plan(**kw: Any) -> FollowupPlan:
    """Group B, active on 20.06.2026 (month 3 overdue-ish: status as given by the test)."""
    base = FollowupPlan(
        programme="sarkom-oppfolging",
        version=programme().version,
        pathway="sarkom",
        state="active",
        diagnosis=DIAGNOSIS,
        today=date(2026, 8, 20),
        values=(
            value("grade", "high", PATHOLOGY),
            value("site", "extremity_trunk", PATHOLOGY),
            value("tissue", "soft_tissue", PATHOLOGY),
            value("depth", "deep", PATHOLOGY),
            value("histology", "other"),
        ),
        group="B",
        group_label=programme().groups["B"].label,
        treatment=SURGERY,
        treatment_kinds=("surgery",),
        start=START,
        start_basis="treatment_end",
        end=date(2031, 3, 1),
        activities=(
            activity(
                "kontroll",
                instance(
                    3, "done", done_by=Seen("Encounter/e1", date(2026, 6, 3), "Sarkomsenteret")
                ),
                instance(6, "due"),
                instance(9, "planned"),
            ),
            activity(
                "mr_lokal",
                instance(6, "overdue"),
                instance(12, "planned"),
            ),
            activity(
                "lunger",
                instance(3, "missed"),
                instance(
                    6, "booked", booked_by=Seen("Appointment/a1", date(2026, 9, 2), "CT thorax")
                ),
            ),
            activity("behovsvurdering", instance(3, "done"), instance(12, "planned")),
        ),
    )
    return replace(base, **kw)


def item(p: FollowupPlan, investigation: str, month: int) -> DueItem:
    """The DueItem of ``investigation`` at ``month`` in plan ``p``."""
    act = next(a for a in p.activities if a.investigation == investigation)
    inst = next(i for i in act.instances if i.month == month)
    return DueItem(act.investigation, act.label, act.kind, inst)


def notice(
    kind: str, p: FollowupPlan | None = None, level: str = "info", **kw: Any
) -> FollowupNotice:
    return FollowupNotice("sarkom-oppfolging", kind, level, p or plan(), **kw)  # type: ignore[arg-type]
