"""The follow-up programme worded (cds.render.followup_cards, cds.render.careplan): each card
kind's summary and detail, warning vs info, suggestions as valid R4B ServiceRequests, stable
ids, and the CarePlan valid R4B with the plan's statuses and periods. Plans are built by hand
(followup_factory): no evaluate code runs."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

import conformance
import followup_factory as f
import pytest
from fhir.resources.R4B.careplan import CarePlan
from fhir.resources.R4B.servicerequest import ServiceRequest

from cds.cdshooks import dump
from cds.criteria.base import Citation
from cds.evaluate.followup_model import FollowupNotice, FollowupPlan
from cds.render.budget import CARD_TYPE_EXTENSION, DETAIL_BUDGET
from cds.render.careplan import STATUS_SYSTEM, careplan, request_id
from cds.render.followup_cards import FOLLOWUP_EXTENSION, MAX_ORDERS, followup_card
from cds.render.followup_text import quote

TODAY = date(2026, 8, 20)


def _card(notice: FollowupNotice, hook_instance: str = f.HOOK_INSTANCE) -> dict[str, Any]:
    card = followup_card(
        f.programme(),
        notice,
        hook_instance=hook_instance,
        patient_ref=f.PATIENT,
        user_ref=f.USER,
        today=TODAY,
    )
    dumped = dump(card)
    conformance.assert_conformant({"cards": [dumped]})  # spec rules, budget, valid resources
    assert dumped["extension"] == {CARD_TYPE_EXTENSION: "followup", FOLLOWUP_EXTENSION: notice.kind}
    assert len(dumped.get("detail", "")) <= DETAIL_BUDGET["followup"]
    assert dumped["source"]["label"] == "Oppfølgingsprogram for sarkom"
    return dumped


def _resources(card: dict[str, Any]) -> list[dict[str, Any]]:
    return [a["resource"] for s in card.get("suggestions", []) for a in s["actions"]]


def _due(p: FollowupPlan | None = None, level: str = "warning") -> FollowupNotice:
    p = p or f.plan()
    items = (f.item(p, "mr_lokal", 6), f.item(p, "kontroll", 6))
    return f.notice("control_due", p, level, items=items)


# --- control_due --------------------------------------------------------------------------------


def test_control_due_names_the_overdue_item_and_counts_the_rest() -> None:
    card = _card(_due())
    assert card["indicator"] == "warning"
    assert card["summary"] == (
        "Oppfølging etter sarkom: MR av tumorområdet forfalt (planlagt 01.09.2026) + 1 til"
    )
    detail = card["detail"]
    assert detail.startswith("**Gruppe B: høymaligne sarkomer**")
    assert "Planen regnes fra avsluttet behandling 01.03.2026" in detail
    assert (
        "- **MR av tumorområdet** — forfalt, planlagt 01.09.2026 "
        "(tidsvindu 02.08.2026–01.10.2026)\n"
    ) in detail
    # The control at month 3 was done on 03.06.2026: the card says so.
    assert (
        "forfaller, planlagt 01.09.2026 (tidsvindu 02.08.2026–01.10.2026); sist utført 03.06.2026"
        in detail
    )
    assert "- **Diagnose:** Høygradig leiomyosarkom i låret — 10.12.2025" in detail
    assert "- **Siste behandling:** Reseksjon av bløtvevssarkom i låret — 01.03.2026" in detail


def test_control_due_without_overdue_is_info_and_names_one_item() -> None:
    p = f.plan()
    notice = f.notice("control_due", p, "info", items=(f.item(p, "kontroll", 6),))
    card = _card(notice)
    assert card["indicator"] == "info"
    assert card["summary"] == (
        "Oppfølging etter sarkom: Klinisk kontroll med palpasjon av tumorområdet forfaller "
        "(planlagt 01.09.2026)"
    )
    assert "sist utført" in card["detail"]


def test_control_due_orders_each_item_as_a_valid_draft_service_request() -> None:
    card = _card(_due())
    assert card["selectionBehavior"] == "any"
    assert [s["label"] for s in card["suggestions"]] == [
        "Bestill MR av tumorområdet",
        "Bestill klinisk kontroll med palpasjon av tumorområdet",
    ]
    mr, control = _resources(card)
    for resource in (mr, control):
        ServiceRequest.model_validate(resource)
        assert (resource["status"], resource["intent"]) == ("draft", "order")
        assert resource["subject"] == {"reference": f.PATIENT}
        assert resource["reasonReference"] == [{"reference": "Condition/sarkom-1"}]
        assert resource["requester"] == {"reference": f.USER}
        assert resource["occurrencePeriod"] == {"start": "2026-08-02", "end": "2026-10-01"}
    assert mr["code"] == {"text": "MR av tumorområdet (oppfølging etter sarkom)"}
    assert control["code"]["text"] == "Kontroll ved sarkomsenteret (oppfølgingsprogram for sarkom)"
    assert [r["code"] for r in card["overrideReasons"]] == ["already-booked", "followed-elsewhere"]


def test_at_most_three_orders() -> None:
    p = f.plan()
    items = tuple(f.item(p, inv, 6) for inv in ("kontroll", "mr_lokal", "lunger", "kontroll"))
    card = _card(f.notice("control_due", p, "warning", items=items))
    assert len(card["suggestions"]) == MAX_ORDERS == 3
    assert card["summary"].endswith("+ 3 til")


def test_ids_are_stable_per_hook_instance_and_unique() -> None:
    one, again, other = _card(_due()), _card(_due()), _card(_due(), "another-call")
    assert one["uuid"] == again["uuid"] != other["uuid"]
    ids = [
        one["uuid"],
        *(s["uuid"] for s in one["suggestions"]),
        *(r["id"] for r in _resources(one)),
    ]
    assert len(set(ids)) == len(ids) == 5
    assert [r["id"] for r in _resources(one)] == [r["id"] for r in _resources(again)]


# --- needs_assessment ---------------------------------------------------------------------------


def test_needs_assessment_lists_late_effects_of_the_treatments_and_referrals() -> None:
    p = f.plan(treatment_kinds=("surgery", "radiotherapy"))
    notice = f.notice("needs_assessment", p, items=(f.item(p, "behovsvurdering", 12),))
    card = _card(notice)
    assert card["indicator"] == "info"
    assert card["summary"] == (
        "Oppfølging etter sarkom: behovsvurdering og senfølger (planlagt 01.03.2027)"
    )
    detail = card["detail"]
    assert "- Etter kirurgi: funksjonstap og arrvev" in detail
    assert (
        "- Etter strålebehandling: fantomsmerter eller nevrogene smerter, strålefibrose" in detail
    )
    assert "- Etter medikamentell behandling" not in detail  # no chemotherapy given
    assert "; lymfødem → lymfødembehandling;" in detail
    (order,) = _resources(card)
    ServiceRequest.model_validate(order)
    assert order["code"]["text"].startswith("Behovsvurdering og kartlegging av senfølger")
    assert order["occurrencePeriod"] == {"start": "2027-01-30", "end": "2027-03-31"}


def test_needs_assessment_quotes_the_source_when_there_is_room() -> None:
    p = f.plan(values=(), treatment_kinds=("drug",))
    card = _card(f.notice("needs_assessment", p, items=(f.item(p, "behovsvurdering", 12),)))
    assert "— Kilde: Oppfølgingsprogram for sarkom, «4.4 Kommunikation" in card["detail"]


# --- completed ----------------------------------------------------------------------------------


def test_completed_hands_over_to_the_gp_with_the_quote_and_the_missed_items() -> None:
    p = f.plan(state="completed", today=date(2031, 4, 1))
    card = _card(f.notice("completed", p, items=(f.item(p, "lunger", 3),)))
    assert card["indicator"] == "info"
    assert card["summary"] == "Oppfølgingsprogrammet for sarkom ble avsluttet 01.03.2031"
    detail = card["detail"]
    assert "Pasienten går nå over til egenkontroll i samarbeid med fastlegen" in detail
    assert "Nye symptomer vurderes mot kriteriene i pakkeforløpet for sarkom." in detail
    assert (
        "> «Herefter overgår patienten til egenkontrol i samarbejde med almen praksis.» — Kilde: "
        "Oppfølgingsprogram for sarkom, «4.5 Opgavefordeling og koordination»"
    ) in detail
    assert (
        "- **Røntgen thorax eller lavdose-CT av lungene** — planlagt 01.06.2026 (ikke utført)"
        in detail
    )
    assert "suggestions" not in card


def test_completed_without_missed_items_has_no_missed_heading() -> None:
    p = f.plan(state="completed")
    card = _card(f.notice("completed", p))
    assert "Ikke utført" not in card["detail"]


# --- not_assigned -------------------------------------------------------------------------------


def _unassigned(**kw: Any) -> FollowupPlan:
    return f.plan(state="not_assigned", group=None, group_label=None, activities=(), end=None, **kw)


def test_not_assigned_words_what_is_missing() -> None:
    p = _unassigned(missing=("grade",), values=(f.value("site", "extremity_trunk", f.PATHOLOGY),))
    card = _card(f.notice("not_assigned", p))
    assert (
        card["summary"]
        == "Oppfølging etter sarkom: gruppe kan ikke fastsettes (mangler: malignitetsgrad)"
    )
    detail = card["detail"]
    assert "Journalen viser ikke malignitetsgrad" in detail
    assert "lokalisasjon: ekstremitet, truncus eller hode/hals — Høygradig leiomyosarkom" in detail
    assert "suggestions" not in card and "overrideReasons" not in card


def test_not_assigned_names_treatment_end_and_conflicts() -> None:
    p = _unassigned(missing=("grade", "treatment_end"), conflicts=("grade",), treatment=None)
    card = _card(f.notice("not_assigned", p))
    assert card["summary"].endswith("(mangler: malignitetsgrad, dato for avsluttet behandling)")
    assert "Motstridende opplysninger om malignitetsgrad." in card["detail"]
    assert "Siste behandling" not in card["detail"]


def test_not_assigned_with_nothing_to_name() -> None:
    card = _card(f.notice("not_assigned", _unassigned()))
    assert card["summary"] == "Oppfølging etter sarkom: gruppe kan ikke fastsettes"
    assert "passer ikke til noen gruppe" in card["detail"]


# --- order_not_due ------------------------------------------------------------------------------


def test_order_not_due_gives_the_next_date_and_quotes_the_programme() -> None:
    notice = f.notice(
        "order_not_due",
        order_ref="ServiceRequest/draft-1",
        order_label="MR lår",
        next_planned=date(2027, 3, 1),
    )
    card = _card(notice)
    assert card["indicator"] == "info"
    assert card["summary"] == "MR lår er ikke planlagt før 01.03.2027 i oppfølgingsprogrammet"
    detail = card["detail"]
    assert "«Patienter skal derfor ikke tilbydes billeddiagnostiske rutinekontroller" in detail
    assert "Ved mistanke om tilbakefall kan ekstra undersøkelser være riktig." in detail
    assert "ved mistanke om recidiv suppleres med yderligere undersøgelser" in detail
    assert "- **Diagnose:** Høygradig leiomyosarkom i låret — 10.12.2025" in detail
    assert "suggestions" not in card
    assert "suspected-recurrence" in [r["code"] for r in card["overrideReasons"]]


def test_order_not_in_the_schedule_names_the_group() -> None:
    notice = f.notice("order_not_due", order_ref="ServiceRequest/d2", order_label="MR abdomen")
    card = _card(notice)
    assert card["summary"] == (
        "MR abdomen er ikke en del av oppfølgingsprogrammet for gruppe B: høymaligne sarkomer"
    )


def test_two_order_cards_have_their_own_ids() -> None:
    one = _card(f.notice("order_not_due", order_ref="ServiceRequest/a", order_label="MR lår"))
    two = _card(f.notice("order_not_due", order_ref="ServiceRequest/b", order_label="MR lår"))
    assert one["uuid"] != two["uuid"]


def test_long_record_text_keeps_the_card_in_budget() -> None:
    long = replace(f.DIAGNOSIS, text="Høygradig <sarkom> " * 40)
    card = _card(_due(f.plan(diagnosis=long)))
    assert "\\<sarkom\\>" in card["detail"]  # record text never becomes HTML


# --- the CarePlan --------------------------------------------------------------------------------


def _careplan(p: FollowupPlan) -> dict[str, Any]:
    resource = careplan(p, f.programme(), patient_ref=f.PATIENT)
    assert resource is not None
    CarePlan.model_validate(resource)
    for contained in resource.get("contained", []):
        ServiceRequest.model_validate(contained)
    return resource


def _activity(resource: dict[str, Any], rid: str) -> dict[str, Any]:
    return next(a for a in resource["activity"] if a["reference"]["reference"] == f"#{rid}")


def test_careplan_is_valid_and_says_the_plan() -> None:
    resource = _careplan(f.plan())
    assert (resource["status"], resource["intent"]) == ("active", "plan")
    assert resource["title"] == "Oppfølgingsprogram for sarkom: Gruppe B: høymaligne sarkomer"
    assert resource["period"] == {"start": "2026-03-01", "end": "2031-03-01"}
    assert resource["subject"] == {"reference": f.PATIENT}
    assert resource["addresses"][0]["reference"] == "Condition/sarkom-1"
    assert resource["supportingInfo"][0]["reference"] == "Procedure/op-1"
    assert "regnet fra avsluttet behandling 01.03.2026" in resource["description"]
    assert "malignitetsgrad: høymalign (høygradig)" in resource["description"]
    assert resource["id"] == _careplan(f.plan(today=date(2026, 12, 1)))["id"]  # stable


def test_careplan_requests_and_activities_carry_each_instance_status() -> None:
    resource = _careplan(f.plan())
    # Every activity points at a contained request, and every contained request is used.
    refs = [a["reference"]["reference"] for a in resource["activity"]]
    assert refs == [f"#{r['id']}" for r in resource["contained"]]
    requests = {r["id"]: r for r in resource["contained"]}
    assert len(requests) == len(resource["activity"]) == 9
    expected = {
        "sr-kontroll-3": ("completed", "done", "utført"),
        "sr-kontroll-6": ("draft", "due", "forfaller"),
        "sr-mr-lokal-6": ("draft", "overdue", "forfalt"),
        "sr-lunger-3": ("revoked", "missed", "ikke utført"),
        "sr-lunger-6": ("active", "booked", "bestilt"),
        "sr-mr-lokal-12": ("draft", "planned", "planlagt"),
    }
    for rid, (request_status, code, display) in expected.items():
        assert requests[rid]["status"] == request_status, rid
        assert requests[rid]["intent"] == "plan"
        coding = _activity(resource, rid)["outcomeCodeableConcept"][0]["coding"][0]
        assert coding == {"system": STATUS_SYSTEM, "code": code, "display": display}
    assert requests["sr-mr-lokal-6"]["occurrencePeriod"] == {
        "start": "2026-08-02",
        "end": "2026-10-01",
    }
    assert (
        requests["sr-mr-lokal-6"]["code"]["text"] == "MR av tumorområdet (oppfølging etter sarkom)"
    )
    assert _activity(resource, "sr-kontroll-3")["outcomeReference"] == [
        {"reference": "Encounter/e1", "display": "Sarkomsenteret"}
    ]
    assert (
        _activity(resource, "sr-lunger-6")["outcomeReference"][0]["reference"] == "Appointment/a1"
    )
    assert "outcomeReference" not in _activity(resource, "sr-mr-lokal-6")


def test_careplan_not_assessed_activity_says_what_is_unknown() -> None:
    unknown = f.activity(
        "mr_lokal",
        f.instance(6, "not_assessed"),
        f.instance(12, "not_assessed"),
        unknown=("depth",),
    )
    resource = _careplan(f.plan(activities=(unknown,)))
    activity = _activity(resource, "sr-mr-lokal-6")
    assert activity["outcomeCodeableConcept"][0]["coding"][0]["display"] == "ikke vurdert"
    assert "journalen viser ikke dybde" in activity["progress"][0]["text"]
    assert {r["status"] for r in resource["contained"]} == {"draft"}


def test_careplan_completed_and_ended() -> None:
    assert _careplan(f.plan(state="completed"))["status"] == "completed"
    recurrence = f.Seen("DiagnosticReport/mr-9", date(2026, 11, 2), "Lokalt residiv i låret")
    ended = _careplan(f.plan(state="ended", end_reason="recurrence", end_evidence=recurrence))
    assert ended["status"] == "revoked"
    assert ended["note"][0]["text"] == (
        "Oppfølgingsprogrammet ble avsluttet før tiden: tilbakefall eller spredning "
        "(Lokalt residiv i låret, 02.11.2026)."
    )
    assert {"reference": "DiagnosticReport/mr-9", "display": "Lokalt residiv i låret"} in ended[
        "supportingInfo"
    ]


def test_no_careplan_without_a_group() -> None:
    assert careplan(_unassigned(missing=("grade",)), f.programme(), patient_ref=f.PATIENT) is None


def test_a_diagnosis_that_is_no_condition_is_not_addressed() -> None:
    seen = f.Seen("DiagnosticReport/pat-1", date(2025, 12, 8), "Høygradig sarkom")
    assert "addresses" not in _careplan(f.plan(diagnosis=seen))


@pytest.mark.parametrize(("investigation", "month", "rid"), [("mr_lokal", 12, "sr-mr-lokal-12")])
def test_request_ids_are_fhir_ids(investigation: str, month: int, rid: str) -> None:
    assert request_id(investigation, month) == rid


def test_long_treatment_start_is_said_as_such() -> None:
    p = f.plan(start=date(2026, 5, 30), start_basis="long_treatment")
    card = _card(_due(p))
    assert (
        "Planen regnes fra 30.05.2026, 90 dager etter at langvarig behandling startet."
        in card["detail"]
    )
    description = _careplan(p)["description"]
    assert "regnet fra 30.05.2026, 90 dager etter oppstart av langvarig behandling." in description


def test_quotes_join_words_the_text_extraction_split() -> None:
    cite = Citation(file="x.txt", section="2", quote="et sar- kom; knogle- og bløddelssarkomer")
    text = quote(f.programme(), cite)
    assert "«et sarkom; knogle- og bløddelssarkomer»" in text
