"""Where each planned control stands (cds/evaluate/followup_schedule.py): both sides of every
window boundary (due from 30 days before, overdue from the 31st day after, missed once the next
window opens), done / booked, and the cards those give (cds/evaluate/followup_notices.py)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from followup_facts import (
    CODEBOOK,
    HIGH_DEEP,
    LOW_SUPERFICIAL,
    PROGRAMME,
    SURGERY,
    appointment,
    at,
    facts,
    order,
    radiology,
    visit,
)

from cds.evaluate.followup import followup_plan
from cds.evaluate.followup_model import FollowupPlan, Instance
from cds.evaluate.followup_notices import notices
from cds.evaluate.followup_schedule import add_months
from cds.facts.model import OrderFact, PatientFacts


def plan_of(f: PatientFacts) -> FollowupPlan:
    plan = followup_plan(PROGRAMME, CODEBOOK, f, f.today)
    assert plan is not None
    return plan


def instance(plan: FollowupPlan, investigation: str, month: int) -> Instance:
    activity = next(a for a in plan.activities if a.investigation == investigation)
    return next(i for i in activity.instances if i.month == month)


def test_add_months_keeps_the_day_or_the_months_last() -> None:
    assert add_months(date(2025, 1, 31), 1) == date(2025, 2, 28)
    assert add_months(date(2025, 11, 15), 3) == date(2026, 2, 15)


@pytest.mark.parametrize(
    ("days", "status"),
    [(-31, "planned"), (-30, "due"), (0, "due"), (30, "due"), (31, "overdue")],
)
def test_window_around_the_planned_date(days: int, status: str) -> None:
    # Group A: month 6, next at 12, so month 6 is overdue until month 12's window opens.
    plan = plan_of(facts(at(6, days), reports=(LOW_SUPERFICIAL,)))
    assert instance(plan, "kontroll", 6).status == status


def test_missed_once_the_next_window_opens() -> None:
    just_before = plan_of(facts(at(12, -31), reports=(LOW_SUPERFICIAL,)))
    assert instance(just_before, "kontroll", 6).status == "overdue"
    opened = plan_of(facts(at(12, -30), reports=(LOW_SUPERFICIAL,)))
    assert instance(opened, "kontroll", 6).status == "missed"
    assert instance(opened, "kontroll", 12).status == "due"


@pytest.mark.parametrize(("days", "done"), [(-31, False), (-30, True), (45, True)])
def test_done_by_a_visit_in_the_window(days: int, done: bool) -> None:
    f = facts(at(6, 50), reports=(LOW_SUPERFICIAL,), encounters=(visit(at(6, days)),))
    status = instance(plan_of(f), "kontroll", 6).status
    assert status == ("done" if done else "overdue")


def test_a_visit_elsewhere_does_not_count() -> None:
    gp = visit(at(6), department="Legekontoret, fastlege")
    f = facts(at(6, 5), reports=(LOW_SUPERFICIAL,), encounters=(gp,))
    assert instance(plan_of(f), "kontroll", 6).status == "due"


def test_one_visit_counts_for_one_instance() -> None:
    # A control two months late counts for month 6; month 12 is then due on its own.
    f = facts(at(12, -5), reports=(LOW_SUPERFICIAL,), encounters=(visit(at(12, -31)),))
    plan = plan_of(f)
    assert instance(plan, "kontroll", 6).status == "done"
    assert instance(plan, "kontroll", 12).status == "due"


def test_imaging_done_by_a_matching_report_only() -> None:
    reports = (HIGH_DEEP, radiology("CT thorax", at(3)), radiology("CT caput", at(3)))
    plan = plan_of(facts(at(3, 10), reports=reports))
    assert instance(plan, "lunger", 3).status == "done"
    assert instance(plan, "kontroll", 3).status == "due"
    mr_head = radiology("MR caput", at(6))
    later = plan_of(facts(at(6, 10), reports=(HIGH_DEEP, mr_head)))
    assert instance(later, "mr_lokal", 6).status == "due"
    mr_thigh = radiology("MR høyre lår", at(6))
    done = plan_of(facts(at(6, 10), reports=(HIGH_DEEP, mr_thigh)))
    assert instance(done, "mr_lokal", 6).status == "done"


def test_booked_by_an_appointment_or_an_active_order() -> None:
    app = appointment(at(6, 5), "Sarkomsenteret, ortopedisk poliklinikk")
    f = facts(at(6), reports=(LOW_SUPERFICIAL,), appointments=(app,))
    assert instance(plan_of(f), "kontroll", 6).status == "booked"
    stale = appointment(at(6, -8), "Sarkomsenteret")
    f = facts(at(6), reports=(LOW_SUPERFICIAL,), appointments=(stale,))
    assert instance(plan_of(f), "kontroll", 6).status == "due"
    ct = order("CT thorax", at(6, -60))
    f = facts(at(6), reports=(HIGH_DEEP,), orders=(*facts(at(6)).orders, ct))
    assert instance(plan_of(f), "lunger", 6).status == "booked"


def test_needs_assessment_is_made_at_the_control() -> None:
    f = facts(at(6, 5), reports=(LOW_SUPERFICIAL,), encounters=(visit(at(6)),))
    assert instance(plan_of(f), "behovsvurdering", 6).status == "done"


# --- cards -------------------------------------------------------------------------------------


# Group B with its month-3 control done at the centre, with the chest CT.
MONTH3 = {"reports": (HIGH_DEEP, radiology("CT thorax", at(3))), "encounters": (visit(at(3)),)}


def test_due_controls_give_one_card_info_then_warning() -> None:
    due = facts(at(6, 30), **MONTH3)
    (card,) = notices(PROGRAMME, plan_of(due), due, CODEBOOK, "patient-view")
    assert (card.kind, card.level) == ("control_due", "info")
    assert {i.investigation for i in card.items} == {"kontroll", "mr_lokal", "lunger"}
    overdue = facts(at(6, 31), **MONTH3)
    (card,) = notices(PROGRAMME, plan_of(overdue), overdue, CODEBOOK, "patient-view")
    assert card.level == "warning"


def test_nothing_due_no_card() -> None:
    f = facts(at(6, -31), **MONTH3)
    assert notices(PROGRAMME, plan_of(f), f, CODEBOOK, "patient-view") == ()


def test_all_done_or_booked_no_card() -> None:
    reports = (HIGH_DEEP, radiology("CT thorax", at(6)), radiology("MR høyre lår", at(6)))
    f = facts(at(6, 10), reports=reports, encounters=(visit(at(6)),))
    assert notices(PROGRAMME, plan_of(f), f, CODEBOOK, "patient-view") == ()


def test_a_booked_control_books_the_needs_assessment_too() -> None:
    reports = (HIGH_DEEP, radiology("CT thorax", at(3)))
    app = appointment(at(3, 10), "Sarkomsenteret")
    f = facts(at(3, 5), reports=reports, appointments=(app,))
    assert instance(plan_of(f), "behovsvurdering", 3).status == "booked"
    assert notices(PROGRAMME, plan_of(f), f, CODEBOOK, "patient-view") == ()


def test_needs_assessment_card_alone_when_only_it_is_due() -> None:
    # A programme whose needs assessment is not made at the control (no done_with).
    inv = PROGRAMME.investigations["behovsvurdering"].model_copy(update={"done_with": ()})
    alone = PROGRAMME.model_copy(
        update={"investigations": {**PROGRAMME.investigations, "behovsvurdering": inv}}
    )
    reports = (HIGH_DEEP, radiology("CT thorax", at(3)))
    f = facts(at(3, 5), reports=reports, encounters=(visit(at(3)),))
    plan = followup_plan(alone, CODEBOOK, f, f.today)
    assert plan is not None
    (card,) = notices(alone, plan, f, CODEBOOK, "patient-view")
    assert card.kind == "needs_assessment"
    # documented in words, it is done
    said = visit(at(3, 1), department="Kreftsykepleier", reason="Behovsvurdering og senfølger")
    f = facts(at(3, 5), reports=reports, encounters=(visit(at(3)), said))
    plan = followup_plan(alone, CODEBOOK, f, f.today)
    assert plan is not None and notices(alone, plan, f, CODEBOOK, "patient-view") == ()


def test_completed_card_for_a_year() -> None:
    done = facts(at(60, 31), reports=(LOW_SUPERFICIAL,), encounters=(visit(at(60)),))
    (card,) = notices(PROGRAMME, plan_of(done), done, CODEBOOK, "patient-view")
    assert (card.kind, card.items) == ("completed", ())
    f = facts(at(60, 181), reports=(LOW_SUPERFICIAL,))
    (card,) = notices(PROGRAMME, plan_of(f), f, CODEBOOK, "patient-view")
    assert card.kind == "completed" and card.items  # the missed last control is named
    gone = facts(at(60, 366), reports=(LOW_SUPERFICIAL,))
    assert notices(PROGRAMME, plan_of(gone), gone, CODEBOOK, "patient-view") == ()


def test_ended_plan_no_card() -> None:
    relapse = radiology("CT thorax", at(6), conclusion="Nye lungemetastaser.")
    f = facts(at(6, 10), reports=(HIGH_DEEP, relapse))
    assert notices(PROGRAMME, plan_of(f), f, CODEBOOK, "patient-view") == ()


def test_not_assigned_card_and_its_silences() -> None:
    ungraded = facts(at(6), reports=())
    (card,) = notices(PROGRAMME, plan_of(ungraded), ungraded, CODEBOOK, "patient-view")
    assert card.kind == "not_assigned" and card.plan.missing == ("grade",)
    # groups A and B both end at month 60 for a sarcoma that is no Ewing/osteosarcoma
    last = facts(at(60), reports=())
    assert notices(PROGRAMME, plan_of(last), last, CODEBOOK, "patient-view")
    after = facts(at(60, 1), reports=())
    assert notices(PROGRAMME, plan_of(after), after, CODEBOOK, "patient-view") == ()
    # no treatment in the record (a GP record of an old sarcoma): said in the plan, no card
    untreated = facts(at(6), reports=(), orders=())
    assert plan_of(untreated).missing == ("grade", "treatment_end")
    assert notices(PROGRAMME, plan_of(untreated), untreated, CODEBOOK, "patient-view") == ()
    # treatment still going on: no card either
    young = facts(SURGERY, orders=())
    assert notices(PROGRAMME, plan_of(young), young, CODEBOOK, "patient-view") == ()


def draft(text: str) -> OrderFact:
    return order(text, date(2026, 1, 1), status="draft", ref="ServiceRequest/utkast")


def test_order_select_imaging_not_due_names_the_next_date() -> None:
    f = facts(at(6, -40), **MONTH3, draft_orders=(draft("CT thorax"),))
    (card,) = notices(PROGRAMME, plan_of(f), f, CODEBOOK, "order-select")
    assert (card.kind, card.next_planned, card.order_ref) == (
        "order_not_due",
        at(6),
        "ServiceRequest/utkast",
    )


def test_order_select_silent_when_due_or_doubt_or_recurrence_words() -> None:
    due = facts(at(6, -30), reports=(HIGH_DEEP,), draft_orders=(draft("CT thorax"),))
    assert notices(PROGRAMME, plan_of(due), due, CODEBOOK, "order-select") == ()
    doubt = radiology("MR høyre lår", at(5), conclusion="Mulig lokalresidiv?")
    reports = (*MONTH3["reports"], doubt)
    f = facts(
        at(6, -40),
        reports=reports,
        encounters=MONTH3["encounters"],
        draft_orders=(draft("CT thorax"),),
    )
    assert notices(PROGRAMME, plan_of(f), f, CODEBOOK, "order-select") == ()
    worded = draft("CT thorax, spørsmål om metastaser")
    f = facts(at(6, -40), **MONTH3, draft_orders=(worded,))
    assert notices(PROGRAMME, plan_of(f), f, CODEBOOK, "order-select") == ()


def test_order_select_imaging_outside_the_groups_schedule() -> None:
    # Group A has no lung imaging at all.
    f = facts(at(7), reports=(LOW_SUPERFICIAL,), draft_orders=(draft("CT thorax"),))
    (card,) = notices(PROGRAMME, plan_of(f), f, CODEBOOK, "order-select")
    assert card.next_planned is None
    other = facts(at(7), reports=(LOW_SUPERFICIAL,), draft_orders=(draft("Blodprøver"),))
    assert notices(PROGRAMME, plan_of(other), other, CODEBOOK, "order-select") == ()


def test_order_select_silent_when_need_not_assessed() -> None:
    from followup_facts import pathology

    undeep = pathology("Høygradig leiomyosarkom i høyre lår.")
    f = facts(at(7), reports=(undeep,), draft_orders=(draft("MR høyre lår"),))
    assert notices(PROGRAMME, plan_of(f), f, CODEBOOK, "order-select") == ()


def test_surgery_date_is_the_start() -> None:
    assert plan_of(facts(at(1), reports=(HIGH_DEEP,))).start == SURGERY
    assert at(0, 1) == SURGERY + timedelta(days=1)


def test_no_reminders_for_a_patient_who_has_died() -> None:
    due = facts(at(6, 31), **MONTH3)
    assert notices(PROGRAMME, plan_of(due), due, CODEBOOK, "patient-view")
    dead = facts(at(6, 31), **MONTH3, deceased=True)
    assert notices(PROGRAMME, plan_of(dead), dead, CODEBOOK, "patient-view") == ()
