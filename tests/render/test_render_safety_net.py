"""Safety-net cards worded (cds.render.safety_net): the summary, the detail, the two suggestions
with FHIR R4B resources (validated), stable ids, override reasons and the card type."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from fhir.resources.R4B import get_fhir_model_class

from cds.cdshooks import Card
from cds.criteria.loader import load_registry
from cds.evaluate.clock import timeline
from cds.evaluate.model import Assessment, Evidence, FeatureHit
from cds.evaluate.safety_net import SafetyNetPolicy, safety_net, symptom_features
from cds.evaluate.safety_net_model import SafetyNet
from cds.facts.model import OrderFact, PatientFacts, RegistrationFact
from cds.render.budget import CARD_TYPE_EXTENSION, DETAIL_BUDGET, SUMMARY_MAX
from cds.render.safety_net import SAFETY_NET_EXTENSION, safety_net_card

REGISTRY = load_registry(Path(__file__).resolve().parents[2] / "criteria")
SARKOM = REGISTRY.get("sarkom")
SENT = date(2026, 10, 20)


def _facts(today: date, **kw: object) -> PatientFacts:
    order = OrderFact(
        ref="ServiceRequest/r1", resource_type="ServiceRequest", when=SENT, status="active",
        is_referral=True, codes=frozenset(), labels=("pakkeforløp for sarkom",),
        name="Henvisning sarkomsenteret",
    )
    base = PatientFacts(
        patient_ref="Patient/p", today=today, sex="female", birth_date=None, age_years=60
    )
    return replace(base, orders=(order,), **kw)  # type: ignore[arg-type]


def _first(today: date) -> SafetyNet:
    t = timeline(SARKOM, REGISTRY.codebook, _facts(today), today)
    empty = Assessment(pathway="sarkom", outcome=None, rule=None, hits={})
    net = safety_net(SARKOM, t, empty, SafetyNetPolicy())
    assert net is not None
    return net


def _card(net: SafetyNet, today: date, hook_instance: str = "hi-1") -> Card:
    return safety_net_card(SARKOM, net, hook_instance=hook_instance, patient_ref="Patient/p",
                           user_ref="Practitioner/gp", today=today)


def _resources(card: Card) -> list[dict[str, Any]]:
    return [a.resource for s in card.suggestions or [] for a in s.actions or [] if a.resource]


def _valid(resource: dict[str, Any]) -> None:
    get_fhir_model_class(resource["resourceType"]).model_validate(resource)


def test_no_first_attendance_card_words_the_deadline() -> None:
    today = SENT + timedelta(days=12)  # day 12: 4 days past 28.10
    card = _card(_first(today), today)
    assert card.indicator == "info"
    assert card.summary == "Henvist Pakkeforløp for sarkom 20.10.2026 – ingen time registrert"
    detail = card.detail or ""
    assert "**Første fremmøte skulle vært innen 28.10.2026** (8 kalenderdager" in detail
    assert "Ingen time eller fremmøte er registrert i journalen." in detail
    assert "Fristen er passert med 4 dager." in detail
    assert "- **Henvisning sarkomsenteret**, merket «Pakkeforløp for sarkom» — 20.10.2026" in detail
    assert len(detail) <= DETAIL_BUDGET["safety_net"] and len(card.summary) <= SUMMARY_MAX
    assert card.extension == {CARD_TYPE_EXTENSION: "safety_net",
                              SAFETY_NET_EXTENSION: "first_attendance"}
    assert card.source.label == SARKOM.source.label
    assert [r.code for r in card.override_reasons or []] == ["already-contacted",
                                                             "has-appointment"]


def test_long_overdue_is_a_warning_that_says_how_long() -> None:
    today = SENT + timedelta(days=31)
    card = _card(_first(today), today)
    assert card.indicator == "warning"
    assert card.summary.endswith("ingen time registrert, 23 dager over fristen")


def test_suggestions_create_valid_communication_and_task() -> None:
    today = SENT + timedelta(days=12)
    card = _card(_first(today), today)
    labels = [s.label for s in card.suggestions or []]
    assert labels == ["Dokumenter at pasienten er kontaktet", "Lag påminnelse"]
    communication, task = _resources(card)
    for resource in (communication, task):
        _valid(resource)
    assert communication["resourceType"] == "Communication"
    assert communication["status"] == "completed"
    assert communication["about"] == [{"reference": "ServiceRequest/r1"}]
    assert communication["subject"] == {"reference": "Patient/p"}
    assert "20.10.2026" in communication["payload"][0]["contentString"]
    assert task["resourceType"] == "Task"
    assert (task["status"], task["intent"]) == ("requested", "plan")
    assert task["for"] == {"reference": "Patient/p"}
    assert task["focus"] == {"reference": "ServiceRequest/r1"}
    assert task["restriction"]["period"]["end"] == "2026-11-08"  # today + 7


def test_ids_are_stable_per_hook_instance() -> None:
    today = SENT + timedelta(days=12)
    net = _first(today)
    one, again, other = _card(net, today), _card(net, today), _card(net, today, "hi-2")
    assert one.uuid == again.uuid != other.uuid
    assert [s.uuid for s in one.suggestions or []] == [s.uuid for s in again.suggestions or []]
    ids = {one.uuid, *(s.uuid for s in one.suggestions or []),
           *(r["id"] for r in _resources(one))}
    assert len(ids) == 5


def test_ended_without_cancer_names_the_decision_and_the_finding() -> None:
    decided = SENT + timedelta(days=20)
    today = decided + timedelta(days=10)
    regs = (RegistrationFact(ref="Observation/s", code="A36S", when=SENT + timedelta(days=4)),
            RegistrationFact(ref="Observation/ci", code="A36CI", when=decided))
    t = timeline(SARKOM, REGISTRY.codebook, _facts(today, registrations=regs), today)
    feature = "dyp_svulst"
    assert feature in symptom_features(SARKOM)
    hit = FeatureHit(feature=feature, label="Dyp svulst (uansett størrelse)", evidence=(
        Evidence(ref="Observation/size", when=today - timedelta(days=2),
                 says="Tumorstørrelse 6 cm"),
    ))
    assessment = Assessment(pathway="sarkom", outcome=None, rule=None, hits={feature: hit})
    net = safety_net(SARKOM, t, assessment, SafetyNetPolicy())
    assert net is not None
    card = _card(net, today)
    assert card.indicator == "info"
    assert card.summary == ("Pakkeforløp for sarkom avsluttet uten påvist kreft 09.11.2026 – "
                            "dyp svulst (uansett størrelse) fortsatt registrert")
    detail = card.detail or ""
    assert "09.11.2026 uten påvist kreft** (registrert A36CI: Klinisk beslutning" in detail
    assert "- **Dyp svulst (uansett størrelse)** — Tumorstørrelse 6 cm — 17.11.2026" in detail
    assert "Vurder ny utredning" in detail
    assert card.extension[SAFETY_NET_EXTENSION] == "not_cancer_persisting"  # type: ignore[index]
    (task,) = _resources(card)
    _valid(task)
    assert "dyp svulst" in task["description"]


def test_a_long_past_booking_without_attendance_is_said_not_hidden() -> None:
    """A booked time more than BOOKED_GRACE_DAYS past, with no attendance recorded, no longer
    silences the card; the card says the time was booked but no attendance is recorded."""
    from cds.evaluate.clock import BOOKED_GRACE_DAYS
    from cds.facts.model import AppointmentFact

    today = SENT + timedelta(days=30)
    booked_day = today - timedelta(days=BOOKED_GRACE_DAYS + 1)
    app = AppointmentFact(
        ref="Appointment/a1", when=booked_day, status="booked", based_on=("ServiceRequest/r1",)
    )
    t = timeline(SARKOM, REGISTRY.codebook, _facts(today, appointments=(app,)), today)
    assert t.booked is None and t.missed is not None and t.missed.when == booked_day
    empty = Assessment(pathway="sarkom", outcome=None, rule=None, hits={})
    net = safety_net(SARKOM, t, empty, SafetyNetPolicy())
    assert net is not None
    detail = _card(net, today).detail or ""
    assert f"Time {booked_day:%d.%m.%Y} er registrert, men ikke fremmøte" in detail
    assert "Ingen time eller fremmøte er registrert" not in detail
    # One day later in the grace period it is still a booked time: no card.
    recent = replace(app, when=booked_day + timedelta(days=1))
    t = timeline(SARKOM, REGISTRY.codebook, _facts(today, appointments=(recent,)), today)
    assert t.booked is not None and t.missed is None
    assert safety_net(SARKOM, t, empty, SafetyNetPolicy()) is None
