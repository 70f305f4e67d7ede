"""The pathway clock (cds.evaluate.clock): events, next event, deadline day N and N+1, ends.

Facts are built by hand so that each test shows exactly what the record holds; the criteria are
the real ones (criteria/*.yaml), so the forløpstider are the cited ones.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import pytest

from cds.criteria.loader import load_registry
from cds.evaluate.clock import timeline
from cds.facts.model import (
    AppointmentFact,
    ConditionFact,
    EncounterFact,
    MedicationFact,
    OrderFact,
    PatientFacts,
    RegistrationFact,
    ReportFact,
)

REGISTRY = load_registry(Path(__file__).resolve().parents[2] / "criteria")
SARKOM = REGISTRY.get("sarkom")
MYELOM = REGISTRY.get("myelomatose")
DIAGNOSTISK = REGISTRY.get("diagnostisk")
SENT = date(2026, 10, 20)


def referral(
    when: date = SENT,
    label: str = "pakkeforløp for sarkom",
    ref: str = "ServiceRequest/r1",
    status: str = "active",
    performer: str = "",
) -> OrderFact:
    return OrderFact(
        ref=ref,
        resource_type="ServiceRequest",
        when=when,
        status=status,
        is_referral=True,
        codes=frozenset(),
        labels=(label, "henvisning"),
        performer=performer,
    )


def facts(today: date, **kw: object) -> PatientFacts:
    base = PatientFacts(
        patient_ref="Patient/p", today=today, sex="female", birth_date=None, age_years=60
    )
    return replace(base, **kw)  # type: ignore[arg-type]


def test_no_referral_no_timeline() -> None:
    t = timeline(SARKOM, REGISTRY.codebook, facts(SENT), SENT)
    assert t.start is None and t.next_event is None and t.status == "no_deadline"


@pytest.mark.parametrize(
    ("days", "status", "overdue"),
    [
        (0, "on_time", 0),
        (7, "on_time", 0),
        (8, "due_today", 0),
        (9, "overdue", 1),
        (30, "overdue", 22),
    ],
)
def test_first_attendance_deadline_both_sides(days: int, status: str, overdue: int) -> None:
    today = SENT + timedelta(days=days)
    t = timeline(SARKOM, REGISTRY.codebook, facts(today, orders=(referral(),)), today)
    assert t.start is not None and t.start.evidence == "referral" and t.start.when == SENT
    assert t.next_event == "first_attendance"
    assert t.deadline is not None and t.deadline.due == SENT + timedelta(days=8)  # 8 kalenderdager
    assert t.deadline.time.days == 8 and t.deadline.since == "start"
    assert (t.status, t.days_overdue) == (status, overdue)


def test_myelomatose_counts_seven_days() -> None:
    today = SENT + timedelta(days=8)
    order = referral(label="pakkeforløp for myelomatose")
    t = timeline(MYELOM, REGISTRY.codebook, facts(today, orders=(order,)), today)
    assert t.deadline is not None and t.deadline.due == SENT + timedelta(days=7)
    assert t.status == "overdue"


@pytest.mark.parametrize("status", ["draft", "revoked", "cancelled", "entered-in-error"])
def test_a_referral_never_sent_starts_nothing(status: str) -> None:
    t = timeline(SARKOM, REGISTRY.codebook, facts(SENT, orders=(referral(status=status),)), SENT)
    assert t.start is None


def test_unlabelled_referral_starts_nothing() -> None:
    order = referral(label="henvisning ortopedisk poliklinikk")
    assert timeline(SARKOM, REGISTRY.codebook, facts(SENT, orders=(order,)), SENT).start is None


def test_linked_encounter_is_first_attendance_and_starts_the_decision_clock() -> None:
    seen = SENT + timedelta(days=6)
    enc = EncounterFact(
        ref="Encounter/e1",
        when=seen,
        status="finished",
        klass="AMB",
        based_on=("ServiceRequest/r1",),
    )
    today = seen + timedelta(days=21)
    t = timeline(
        SARKOM, REGISTRY.codebook, facts(today, orders=(referral(),), encounters=(enc,)), today
    )
    first = t.seen("first_attendance")
    assert first is not None and first.evidence == "linked_contact" and first.when == seen
    assert first.source == "record" and first.code == "A36S"
    assert t.next_event == "decision"
    assert t.deadline is not None and t.deadline.due == seen + timedelta(days=21)
    assert t.status == "due_today"
    assert [e.event for e in t.unregistered] == ["start", "first_attendance"]


def test_department_contact_counts_only_after_the_referral() -> None:
    before = EncounterFact(
        ref="Encounter/e0",
        when=SENT - timedelta(days=3),
        status="finished",
        klass="AMB",
        department="ortopedisk poliklinikk",
    )
    t = timeline(
        SARKOM,
        REGISTRY.codebook,
        facts(SENT + timedelta(days=9), orders=(referral(),), encounters=(before,)),
        SENT + timedelta(days=9),
    )
    assert t.seen("first_attendance") is None and t.status == "overdue"
    after = replace(before, ref="Encounter/e2", when=SENT + timedelta(days=2))
    t = timeline(
        SARKOM,
        REGISTRY.codebook,
        facts(SENT + timedelta(days=9), orders=(referral(),), encounters=(after,)),
        SENT + timedelta(days=9),
    )
    seen = t.seen("first_attendance")
    assert seen is not None and seen.evidence == "department_contact"


def test_a_booked_appointment_is_a_time_not_an_attendance() -> None:
    app = AppointmentFact(
        ref="Appointment/a1",
        when=SENT + timedelta(days=12),
        status="booked",
        based_on=("ServiceRequest/r1",),
    )
    today = SENT + timedelta(days=10)
    t = timeline(
        SARKOM, REGISTRY.codebook, facts(today, orders=(referral(),), appointments=(app,)), today
    )
    assert t.seen("first_attendance") is None and t.status == "overdue"
    assert t.booked is not None and t.booked.when == SENT + timedelta(days=12)
    attended = replace(app, status="fulfilled", when=SENT + timedelta(days=5))
    t = timeline(
        SARKOM,
        REGISTRY.codebook,
        facts(today, orders=(referral(),), appointments=(attended,)),
        today,
    )
    assert t.seen("first_attendance") is not None and t.booked is None


def test_registration_wins_and_its_date_counts() -> None:
    regs = (
        RegistrationFact(ref="Observation/a", code="A36A", when=SENT + timedelta(days=1)),
        RegistrationFact(ref="Observation/s", code="A36S", when=SENT + timedelta(days=7)),
    )
    enc = EncounterFact(
        ref="Encounter/e1",
        when=SENT + timedelta(days=3),
        status="finished",
        klass="AMB",
        based_on=("ServiceRequest/r1",),
    )
    today = SENT + timedelta(days=10)
    t = timeline(
        SARKOM,
        REGISTRY.codebook,
        facts(today, orders=(referral(),), registrations=regs, encounters=(enc,)),
        today,
    )
    assert (
        t.start is not None
        and t.start.source == "registration"
        and t.start.when == SENT + timedelta(days=1)
    )
    first = t.seen("first_attendance")
    assert (
        first is not None
        and first.source == "registration"
        and first.when == SENT + timedelta(days=7)
    )
    assert t.unregistered == ()


def test_decision_not_cancer_from_a_report_ends_the_pathway() -> None:
    report = ReportFact(
        ref="DiagnosticReport/d",
        kind="other",
        when=SENT + timedelta(days=20),
        codes=frozenset(),
        conclusion_codes=frozenset(),
        title="Epikrise sarkomsenteret",
        conclusion="Lipom. Ingen holdepunkter for sarkom eller annen malignitet.",
    )
    today = SENT + timedelta(days=40)
    t = timeline(
        SARKOM, REGISTRY.codebook, facts(today, orders=(referral(),), reports=(report,)), today
    )
    decision = t.seen("decision")
    assert decision is not None and decision.outcome == "not_cancer"
    assert t.ended == "not_cancer" and t.next_event is None and t.status == "ended"


@pytest.mark.parametrize(
    "conclusion", ["Høygradig sarkom.", "Mistanke om sarkom, kan ikke utelukkes.", "Lipom."]
)
def test_a_report_that_does_not_deny_cancer_decides_nothing(conclusion: str) -> None:
    report = ReportFact(
        ref="DiagnosticReport/d",
        kind="other",
        when=SENT + timedelta(days=20),
        codes=frozenset(),
        conclusion_codes=frozenset(),
        title="Epikrise",
        conclusion=conclusion,
    )
    today = SENT + timedelta(days=40)
    t = timeline(
        SARKOM, REGISTRY.codebook, facts(today, orders=(referral(),), reports=(report,)), today
    )
    assert t.seen("decision") is None


def test_cancer_decision_waits_for_treatment_with_the_most_lenient_kind() -> None:
    decided = SENT + timedelta(days=20)
    diag = ConditionFact(
        ref="Condition/c",
        codes=frozenset({("icd10", "C900")}),
        when=decided,
        active=True,
        text="Myelomatose",
    )
    today = decided + timedelta(days=5)
    order = referral(label="pakkeforløp for myelomatose")
    t = timeline(
        MYELOM, REGISTRY.codebook, facts(today, orders=(order,), conditions=(diag,)), today
    )
    assert t.seen("decision") is not None and t.next_event == "treatment"
    # drug: min(decision + 3, start + 30) = decision + 3; radiotherapy: min(decision + 14,
    # start + 41) = decision + 14 → the most lenient kind counts.
    assert t.deadline is not None and t.deadline.due == decided + timedelta(days=14)
    assert t.status == "on_time"


def test_treatment_ends_the_clock() -> None:
    decided = SENT + timedelta(days=20)
    diag = ConditionFact(
        ref="Condition/c", codes=frozenset({("icd10", "C900")}), when=decided, active=True
    )
    med = MedicationFact(
        ref="MedicationRequest/m",
        name="Lenalidomid",
        codes=frozenset({("atc", "L04AX04")}),
        when=decided + timedelta(days=2),
        active=True,
    )
    today = decided + timedelta(days=30)
    order = referral(label="pakkeforløp for myelomatose")
    t = timeline(
        MYELOM,
        REGISTRY.codebook,
        facts(today, orders=(order,), conditions=(diag,), medications=(med,)),
        today,
    )
    treatment = t.seen("treatment")
    assert treatment is not None and treatment.treatment == "drug" and treatment.code == "A04FM"
    assert t.ended == "treatment"


def test_transfer_is_a_later_referral_to_another_receiver() -> None:
    first = referral(performer="organization/ous")
    second = referral(
        ref="ServiceRequest/r2", when=SENT + timedelta(days=4), performer="organization/hus"
    )
    today = SENT + timedelta(days=6)
    t = timeline(SARKOM, REGISTRY.codebook, facts(today, orders=(first, second)), today)
    transfer = t.seen("transfer")
    assert transfer is not None and transfer.code == "A36O"
    # A transfer changes nothing in the clock: first attendance is still due 8 days after start.
    assert t.start is not None and t.start.when == SENT
    assert t.deadline is not None and t.deadline.due == SENT + timedelta(days=8)


def test_diagnostic_pathway_counts_the_shorter_time_and_ends_at_its_decision() -> None:
    order = referral(label="diagnostisk pakkeforløp")
    seen = SENT + timedelta(days=10)
    enc = EncounterFact(
        ref="Encounter/e",
        when=seen,
        status="finished",
        klass="AMB",
        department="diagnostisk senter",
    )
    today = seen + timedelta(days=1)
    t = timeline(
        DIAGNOSTISK, REGISTRY.codebook, facts(today, orders=(order,), encounters=(enc,)), today
    )
    # 21 days from first attendance (day 31) against 28 from start (day 28): 28 counts.
    assert t.deadline is not None and t.deadline.due == SENT + timedelta(days=28)
    reg = RegistrationFact(ref="Observation/c", code="C01CI", when=SENT + timedelta(days=25))
    t = timeline(
        DIAGNOSTISK,
        REGISTRY.codebook,
        facts(today + timedelta(days=20), orders=(order,), encounters=(enc,), registrations=(reg,)),
        today + timedelta(days=20),
    )
    assert t.ended == "not_cancer"


def test_exit_registration_ends_the_pathway() -> None:
    reg = RegistrationFact(ref="Observation/x", code="A36X", when=SENT + timedelta(days=3))
    today = SENT + timedelta(days=20)
    t = timeline(
        SARKOM, REGISTRY.codebook, facts(today, orders=(referral(),), registrations=(reg,)), today
    )
    assert t.ended == "exit" and t.status == "ended"


def test_future_and_other_pathway_registrations_are_ignored() -> None:
    regs = (
        RegistrationFact(ref="Observation/s", code="A36S", when=SENT + timedelta(days=30)),
        RegistrationFact(ref="Observation/m", code="A04S", when=SENT + timedelta(days=2)),
    )
    today = SENT + timedelta(days=10)
    t = timeline(
        SARKOM, REGISTRY.codebook, facts(today, orders=(referral(),), registrations=regs), today
    )
    assert t.seen("first_attendance") is None and t.status == "overdue"


def test_newest_episode_counts() -> None:
    old = referral(ref="ServiceRequest/old", when=SENT - timedelta(days=400))
    old_seen = EncounterFact(
        ref="Encounter/old",
        when=SENT - timedelta(days=395),
        status="finished",
        klass="AMB",
        based_on=("ServiceRequest/old",),
    )
    today = SENT + timedelta(days=9)
    t = timeline(
        SARKOM,
        REGISTRY.codebook,
        facts(today, orders=(old, referral()), encounters=(old_seen,)),
        today,
    )
    assert t.start is not None and t.start.when == SENT
    assert t.seen("first_attendance") is None and t.status == "overdue"
