"""The follow-up plan in words: ``cds timeline`` text, its JSON, and the explain view's
``followup`` part, for plans built by hand against the real sarcoma programme."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from cds.criteria.followup import FollowupProgramme
from cds.criteria.loader import load_registry
from cds.evaluate.followup_model import (
    CharacteristicValue,
    FollowupPlan,
    Instance,
    PlannedActivity,
    Seen,
)
from cds.render.explanation import EXPLAIN_EXTENSION, explanation_extension, explanation_text
from cds.render.followup_timeline import followup_explanation, followup_json, followup_text

REPO = Path(__file__).resolve().parents[2]
TODAY = date(2026, 11, 20)
DIAGNOSIS = Seen("Condition/c1", date(2026, 1, 10), "C49.2 Leiomyosarkom i låret")
SURGERY = Seen("Procedure/p1", date(2026, 2, 15), "Vid reseksjon av sarkom i låret")


@pytest.fixture(scope="module")
def programme() -> FollowupProgramme:
    (found,) = [p for p in load_registry(REPO / "criteria").followups if p.pathway == "sarkom"]
    return found


def _instance(month: int, planned: date, status: str, **kw: Seen) -> Instance:
    return Instance(
        month=month,
        planned=planned,
        window_start=date.fromordinal(planned.toordinal() - 30),
        window_end=date.fromordinal(planned.toordinal() + 30),
        status=status,  # type: ignore[arg-type]
        **kw,
    )


def _group_b() -> FollowupPlan:
    control = PlannedActivity(
        investigation="kontroll",
        label="Klinisk kontroll med palpasjon av tumorområdet",
        kind="visit",
        instances=(
            _instance(
                3,
                date(2026, 5, 15),
                "done",
                done_by=Seen("Encounter/e1", date(2026, 5, 20), "Sarkomsenteret"),
            ),
            _instance(6, date(2026, 8, 15), "missed"),
            _instance(9, date(2026, 11, 15), "due"),
        ),
    )
    mr = PlannedActivity(
        investigation="mr_lokal",
        label="MR av tumorområdet",
        kind="imaging",
        instances=(
            _instance(6, date(2026, 8, 15), "not_assessed"),
            _instance(12, date(2027, 2, 15), "not_assessed"),
        ),
        unknown=("depth",),
    )
    lungs = PlannedActivity(
        investigation="lunger",
        label="Røntgen thorax eller lavdose-CT av lungene",
        kind="imaging",
        instances=(
            _instance(
                9,
                date(2026, 11, 15),
                "booked",
                booked_by=Seen("Appointment/a1", date(2026, 12, 1), "CT thorax"),
            ),
        ),
    )
    return FollowupPlan(
        programme="sarkom-oppfolging",
        version="2026.12-1",
        pathway="sarkom",
        state="active",
        diagnosis=DIAGNOSIS,
        today=TODAY,
        values=(
            CharacteristicValue(
                "grade",
                "high",
                "høymalign (høygradig)",
                Seen("DiagnosticReport/r1", date(2026, 2, 20), "høygradig leiomyosarkom"),
            ),
            CharacteristicValue(
                "site", "extremity_trunk", "ekstremitet, truncus eller hode/hals", DIAGNOSIS
            ),
        ),
        group="B",
        group_label="Gruppe B: høymaligne sarkomer",
        treatment=SURGERY,
        treatment_kinds=("surgery",),
        start=date(2026, 2, 15),
        start_basis="treatment_end",
        end=date(2031, 2, 15),
        activities=(control, mr, lungs),
    )


def _ended() -> FollowupPlan:
    return FollowupPlan(
        programme="sarkom-oppfolging",
        version="2026.12-1",
        pathway="sarkom",
        state="ended",
        diagnosis=DIAGNOSIS,
        today=TODAY,
        group="B",
        group_label="Gruppe B: høymaligne sarkomer",
        start=date(2026, 2, 15),
        start_basis="long_treatment",
        end_reason="recurrence",
        end_evidence=Seen("DiagnosticReport/r9", date(2026, 10, 1), "Lungemetastaser"),
    )


def _not_assigned() -> FollowupPlan:
    return FollowupPlan(
        programme="sarkom-oppfolging",
        version="2026.12-1",
        pathway="sarkom",
        state="not_assigned",
        diagnosis=DIAGNOSIS,
        today=TODAY,
        missing=("grade", "treatment_end"),
        conflicts=("site",),
    )


def test_text_shows_group_values_start_and_each_instance(programme: FollowupProgramme) -> None:
    text = followup_text([(programme, _group_b())])
    lines = text.splitlines()
    assert lines[0] == "Oppfølgingsprogram for sarkom (per 20.11.2026): pågår"
    assert "  Gruppe B: høymaligne sarkomer" in lines
    assert (
        "  malignitetsgrad: høymalign (høygradig) — 20.02.2026 "
        "(DiagnosticReport/r1: «høygradig leiomyosarkom»)" in lines
    )
    assert "  Start 15.02.2026 (slutt på initial behandling); siste planlagte 15.02.2031" in lines
    assert (
        "      3 mnd  15.05.2026  (vindu 15.04.2026–14.06.2026): utført 20.05.2026 "
        "(Encounter/e1)" in lines
    )
    assert (
        "      6 mnd  15.08.2026  (vindu 16.07.2026–14.09.2026): "
        "ikke utført" in lines
    )
    assert "      9 mnd  15.11.2026  (vindu 16.10.2026–15.12.2026): forfaller" in lines
    assert "    kunne ikke vurderes: journalen viser ikke dybde" in lines
    assert any("bestilt 01.12.2026 (Appointment/a1)" in line for line in lines)
    assert "Avsluttet" not in text and "Mangler" not in text


def test_text_of_an_ended_and_an_unassigned_plan(programme: FollowupProgramme) -> None:
    text = followup_text([(programme, _ended()), (programme, _not_assigned())])
    ended, unassigned = text.split("\n\n")
    assert ended.startswith("Oppfølgingsprogram for sarkom (per 20.11.2026): avsluttet før tiden")
    assert (
        "  Avsluttet: tilbakefall eller spredning — 01.10.2026 "
        "(DiagnosticReport/r9: «Lungemetastaser»)" in ended
    )
    assert "reglene i pakkeforløpet «sarkom» gjelder" in ended
    assert "90 dager etter start av initial behandling" in ended
    assert "ikke tildelt gruppe" in unassigned
    assert "  Mangler: malignitetsgrad, dato for avsluttet behandling" in unassigned
    assert "  lokalisasjon: motstridende opplysninger" in unassigned


def test_json_is_plain_and_complete(programme: FollowupProgramme) -> None:
    (entry,) = json.loads(json.dumps(followup_json([(programme, _group_b())])))
    assert entry["programme"] == "sarkom-oppfolging" and entry["group"] == "B"
    assert entry["values"]["grade"]["value"] == "high"
    assert entry["values"]["grade"]["evidence"]["date"] == "2026-02-20"
    assert entry["start"] == "2026-02-15" and entry["start_basis"] == "treatment_end"
    assert entry["window"] == {"before_days": 30, "after_days": 30}
    control, mr, lungs = entry["activities"]
    assert [i["status"] for i in control["instances"]] == ["done", "missed", "due"]
    assert control["instances"][0]["done_by"]["reference"] == "Encounter/e1"
    assert control["instances"][2]["window_end"] == "2026-12-15"
    assert mr["unknown"] == ["depth"]
    assert lungs["instances"][0]["booked_by"]["date"] == "2026-12-01"
    (unassigned,) = followup_json([(programme, _not_assigned())])
    assert unassigned["missing"] == ["grade", "treatment_end"] and unassigned["start"] is None


def test_explanation_quotes_the_group_the_start_and_each_row(
    programme: FollowupProgramme,
) -> None:
    (part,) = followup_explanation([(programme, _group_b())])
    assert part["stateText"] == "pågår"
    assert part["group"]["id"] == "B" and part["group"]["sources"][0]["quote"].startswith(
        "Gruppe B: Højmaligne sarkomer"
    )
    assert part["start"]["source"]["section"] == "1.2 Definitioner"
    control = part["activities"][0]
    # Group B has two control rows (years 1–5 and 6–10 for Ewing/osteosarcoma): both quoted.
    assert len(control["sources"]) == 2
    assert control["instances"][0]["doneBy"]["reference"] == "Encounter/e1"
    assert "bookedBy" not in control["instances"][0]
    assert part["activities"][1]["unknown"] == [{"id": "depth", "label": "dybde"}]
    (ended,) = followup_explanation([(programme, _ended())])
    assert ended["ended"]["reason"] == "recurrence"
    assert ended["ended"]["source"]["section"] == "4.2 Opsporing af resttumor og recidiv"
    assert ended["start"]["source"]["section"] == "1.2 Definitioner"
    assert "group" not in followup_explanation([(programme, _not_assigned())])[0]


def test_the_extension_carries_the_part_only_when_there_is_one(
    programme: FollowupProgramme,
) -> None:
    assert "followup" not in explanation_extension([])[EXPLAIN_EXTENSION]
    parts = followup_explanation([(programme, _group_b())])
    extension = explanation_extension([], followup=parts)
    assert extension[EXPLAIN_EXTENSION]["followup"] == parts
    text = explanation_text(extension)
    assert "== Oppfølgingsprogram for sarkom (sarkom-oppfolging 2026.12-1): pågår" in text
    assert "· Klinisk kontroll med palpasjon av tumorområdet: 15.11.2026 forfaller" in text


def test_explain_and_timeline_json_carry_the_care_plan_as_valid_fhir(
    programme: FollowupProgramme,
) -> None:
    from fhir.resources.R4B.careplan import CarePlan

    (part,) = followup_explanation([(programme, _group_b())], "Patient/p1")
    (entry,) = followup_json([(programme, _group_b())], "Patient/p1")
    assert part["carePlan"] == entry["care_plan"]
    plan = CarePlan.model_validate(part["carePlan"])
    assert plan.subject.reference == "Patient/p1" and plan.status == "active"
    # not assigned: no CarePlan (no schedule to store), and none without a patient reference
    (unassigned,) = followup_explanation([(programme, _not_assigned())], "Patient/p1")
    assert "carePlan" not in unassigned
    assert "care_plan" not in followup_json([(programme, _group_b())])[0]
