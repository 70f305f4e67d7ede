"""The follow-up plan (cds/evaluate/followup.py): group, start, ends, on hand-built facts and
the real programme (criteria/oppfolging/sarkom.yaml)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest
from followup_facts import (
    CODEBOOK,
    HIGH_DEEP,
    LOW_SUPERFICIAL,
    PROGRAMME,
    SURGERY,
    at,
    chemo,
    diagnosis,
    facts,
    pathology,
    radiology,
    surgery,
)

from cds.evaluate.followup import followup_plan
from cds.evaluate.followup_model import FollowupPlan
from cds.facts.model import PatientFacts


def plan_of(f: PatientFacts) -> FollowupPlan:
    plan = followup_plan(PROGRAMME, CODEBOOK, f, f.today)
    assert plan is not None
    return plan


def activity_ids(plan: FollowupPlan) -> set[str]:
    return {a.investigation for a in plan.activities}


def test_no_sarcoma_no_plan() -> None:
    f = facts(at(6), conditions=(), reports=(HIGH_DEEP,))
    assert followup_plan(PROGRAMME, CODEBOOK, f, f.today) is None


def test_group_b_high_grade_deep_limb() -> None:
    plan = plan_of(facts(at(6), reports=(HIGH_DEEP,)))
    assert (plan.state, plan.group, plan.start) == ("active", "B", SURGERY)
    assert activity_ids(plan) == {"kontroll", "mr_lokal", "lunger", "behovsvurdering"}
    assert plan.end == at(60)
    assert plan.value("depth") == "deep" and plan.value("tissue") == "soft_tissue"


def test_group_a_low_grade_superficial_has_no_mr_and_no_lungs() -> None:
    plan = plan_of(facts(at(6), reports=(LOW_SUPERFICIAL,)))
    assert plan.group == "A"
    assert activity_ids(plan) == {"kontroll", "behovsvurdering"}
    kontroll = next(a for a in plan.activities if a.investigation == "kontroll")
    assert [i.month for i in kontroll.instances] == [6, 12, 18, 24, 30, 36, 42, 48, 54, 60]


def test_group_a_deep_gets_yearly_mr() -> None:
    report = pathology("Lavgradig liposarkom, dyptliggende i venstre lår.")
    plan = plan_of(facts(at(6), reports=(report,)))
    mr = next(a for a in plan.activities if a.investigation == "mr_lokal")
    assert [i.month for i in mr.instances] == [12, 24, 36, 48, 60]


def test_group_c_retroperitoneal_by_code_needs_no_grade() -> None:
    f = facts(at(3), conditions=(diagnosis("C48.0", "Liposarkom retroperitonealt"),))
    plan = plan_of(f)
    assert plan.group == "C"
    assert activity_ids(plan) == {"kontroll", "mr_abdomen", "lunger", "behovsvurdering"}


def test_group_c_abdominal_gist_gets_ct_abdomen() -> None:
    report = pathology("GIST i ventrikkelen, høy risiko.")
    plan = plan_of(facts(at(3), conditions=(diagnosis("C49.9", "Sarkom"),), reports=(report,)))
    assert plan.group == "C"
    assert "ct_abdomen" in activity_ids(plan) and "mr_abdomen" not in activity_ids(plan)


def test_missing_grade_says_so_and_guesses_no_group() -> None:
    report = pathology("Myxofibrosarkom i høyre lår, frie render.")
    plan = plan_of(facts(at(6), reports=(report,)))
    assert (plan.state, plan.group, plan.missing) == ("not_assigned", None, ("grade",))
    assert plan.activities == ()


def test_negated_grade_is_no_grade() -> None:
    report = pathology("Sarkom i høyre lår, ikke høygradig ifølge første biopsi, gradering pågår.")
    plan = plan_of(facts(at(6), reports=(report,)))
    assert plan.missing == ("grade",)


def test_two_grades_on_one_day_conflict_and_newer_wins() -> None:
    both = (
        pathology("Lavgradig sarkom i lår.", ref="DiagnosticReport/a"),
        pathology("Høygradig sarkom i lår.", ref="DiagnosticReport/b"),
    )
    conflict = plan_of(facts(at(6), reports=both))
    assert conflict.missing == ("grade",) and "grade" in conflict.conflicts
    older = pathology("Lavgradig sarkom i lår.", SURGERY - timedelta(days=30), "DiagnosticReport/a")
    newer = plan_of(facts(at(6), reports=(older, both[1])))
    assert newer.group == "B"


def test_grade_in_a_text_about_something_else_is_not_read() -> None:
    colon = pathology("Tubulært adenom med høygradig dysplasi.", ref="DiagnosticReport/colon")
    plan = plan_of(facts(at(6), reports=(colon,)))
    assert plan.missing == ("grade",)


def test_unknown_depth_makes_the_mr_not_assessed() -> None:
    report = pathology("Høygradig leiomyosarkom i høyre lår.")
    plan = plan_of(facts(at(6), reports=(report,)))
    mr = next(a for a in plan.activities if a.investigation == "mr_lokal")
    assert mr.unknown == ("depth",)
    assert {i.status for i in mr.instances} == {"not_assessed"}


def test_ewing_and_osteosarcoma_continue_to_year_ten() -> None:
    bone = diagnosis("C40.2", "Osteosarkom distale femur")
    report = pathology("Høygradig osteosarkom, distale femur.")
    plan = plan_of(facts(at(6), conditions=(bone,), reports=(report,)))
    assert plan.end == at(120)
    months = {a.investigation: [i.month for i in a.instances] for a in plan.activities}
    assert months["kontroll"][-5:] == [72, 84, 96, 108, 120]
    assert months["rtg_knokkel"][-1] == 120 and months["lunger"][-1] == 120
    assert "mr_lokal" not in months  # bone tumour: the X-ray is the local control
    other = plan_of(facts(at(6), reports=(HIGH_DEEP,)))
    assert other.value("histology") == "other" and other.end == at(60)


def test_start_is_the_last_treatment() -> None:
    rt = replace(
        surgery(SURGERY + timedelta(days=60), "Procedure/rt"),
        codes=frozenset({("snomed", "33195004")}),
    )
    plan = plan_of(facts(at(6), reports=(HIGH_DEEP,), orders=(surgery(), rt)))
    assert plan.start == SURGERY + timedelta(days=60)
    assert plan.treatment_kinds == ("surgery", "radiotherapy")


def test_chemotherapy_end_date_counts() -> None:
    f = facts(at(9), reports=(HIGH_DEEP,), medications=(chemo(SURGERY, at(4)),))
    assert plan_of(f).start == at(4)


def test_long_running_medicine_starts_the_plan_after_90_days() -> None:
    began = SURGERY + timedelta(days=10)
    day90 = began + timedelta(days=90)
    running = (chemo(began, active=True),)
    before = plan_of(facts(day90 - timedelta(days=1), reports=(HIGH_DEEP,), medications=running))
    assert before.state == "not_assigned" and before.missing == ("treatment_ongoing",)
    after = plan_of(facts(day90, reports=(HIGH_DEEP,), medications=running))
    assert (after.start, after.start_basis) == (day90, "long_treatment")


def test_no_treatment_found_says_so() -> None:
    plan = plan_of(facts(at(6), reports=(HIGH_DEEP,), orders=()))
    assert plan.state == "not_assigned" and plan.missing == ("treatment_end",)


def test_treatment_long_before_the_diagnosis_does_not_count() -> None:
    old = surgery(date(2010, 5, 1), "Procedure/old")
    plan = plan_of(facts(at(6), reports=(HIGH_DEEP,), orders=(old,)))
    assert plan.missing == ("treatment_end",)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("Lokalresidiv i operasjonsområdet.", "recurrence"),
        ("Multiple lungemetastaser.", "recurrence"),
        ("Sykdommen er ikke kurabel.", "incurable"),
        ("Pasienten ønsker ikke flere kontroller ved sarkomsenteret.", "declined"),
    ],
)
def test_an_end_after_treatment_ends_the_plan(text: str, reason: str) -> None:
    report = radiology("CT thorax", at(9), conclusion=text)
    plan = plan_of(facts(at(10), reports=(HIGH_DEEP, report)))
    assert (plan.state, plan.end_reason) == ("ended", reason)
    assert plan.end_evidence is not None and plan.end_evidence.ref == report.ref


def test_negated_or_earlier_recurrence_does_not_end_it() -> None:
    negated = radiology("CT thorax", at(9), conclusion="Ingen metastaser. Ingen tegn til residiv.")
    before = radiology("MR lår", SURGERY - timedelta(days=5), conclusion="Residiv av sarkom.")
    plan = plan_of(facts(at(10), reports=(HIGH_DEEP, negated, before)))
    assert plan.state == "active" and plan.doubt is None


def test_doubtful_recurrence_keeps_the_plan_with_doubt() -> None:
    doubt = radiology("MR høyre lår", at(9), conclusion="Mistanke om lokalresidiv.")
    plan = plan_of(facts(at(10), reports=(HIGH_DEEP, doubt)))
    assert plan.state == "active" and plan.doubt is not None


def test_completed_after_the_last_date() -> None:
    late = plan_of(facts(at(60, 181), reports=(HIGH_DEEP,)))
    assert late.state == "completed"
    # the last control overdue: still active until half a year after
    assert plan_of(facts(at(60, 31), reports=(HIGH_DEEP,))).state == "active"


def test_another_problems_note_about_the_old_sarcoma_is_not_read() -> None:
    # The GP's new problem names the old sarcoma: where and what the *new* finding is, not the
    # tumour the programme follows.
    lump = replace(
        diagnosis("S04", "Ny kul venstre overarm", SURGERY + timedelta(days=200)),
        ref="Condition/ny-kul",
        codes=frozenset({("icpc2", "S04")}),
        note="Tidligere høygradig sarkom i lår, nå ny kul overarm.",
    )
    report = pathology("Myxofibrosarkom i høyre lår, frie render.")
    plan = plan_of(facts(at(8), conditions=(diagnosis(), lump), reports=(report,)))
    assert plan.missing == ("grade",)
