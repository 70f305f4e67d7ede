"""The registration cards (cds.render.registration): words, suggestions, and resources that
validate with fhir.resources (R4B) and our profile pakkeforlop-registrering."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from fhir.resources.R4B.observation import Observation
from registration_facts import EPIKRISE, REFERRAL, VISIT, plan

from cds.cdshooks import Card
from cds.profile import validate_against
from cds.render.budget import CARD_TYPE_EXTENSION
from cds.render.registration import REGISTRATION_PROFILE_URL, registration_cards


def _cards(**kw: Any) -> list[Card]:
    return registration_cards(
        plan(**kw), patient_ref="Patient/p", hook_instance="h-1", user_ref="Practitioner/k1"
    )


def _resources(card: Card) -> list[dict[str, Any]]:
    return [a.resource for s in card.suggestions or [] for a in s.actions or [] if a.resource]


def test_one_card_per_pathway_with_one_suggestion_per_code() -> None:
    [card] = _cards(orders=(REFERRAL,), encounters=(VISIT,))
    assert card.summary == "Pakkeforløp for sarkom: 2 registreringer mangler"
    assert card.indicator == "info" and card.selection_behavior == "any"
    assert card.extension == {CARD_TYPE_EXTENSION: "registration"}
    labels = [s.label for s in card.suggestions or []]
    assert labels == [
        "Registrer A36A Start pakkeforløp – henvisning mottatt 20.10.2026",
        "Registrer A36S Utredning start – første fremmøte 27.10.2026",
    ]
    assert "27.10.2026: kontakt knyttet til henvisningen" in (card.detail or "")
    assert card.override_reasons


def test_the_observation_is_dated_linked_and_valid() -> None:
    [card] = _cards(orders=(REFERRAL,), encounters=(VISIT,))
    start, visit = _resources(card)
    for resource in (start, visit):
        Observation.model_validate(resource)  # R4B structure
        assert validate_against(resource, "pakkeforlop-registrering") == []
        assert resource["meta"]["profile"] == [REGISTRATION_PROFILE_URL]
        assert resource["subject"] == {"reference": "Patient/p"}
        assert resource["basedOn"] == [{"reference": "ServiceRequest/r1"}]
        assert resource["performer"] == [{"reference": "Practitioner/k1"}]
    assert visit["code"]["text"] == "A36S Utredning start – første fremmøte"
    assert visit["effectiveDateTime"] == "2026-10-27"
    assert visit["encounter"] == {"reference": "Encounter/e1"}
    assert "encounter" not in start
    assert "Encounter/e1" in visit["note"][0]["text"]


def test_not_cancer_is_its_own_card_with_two_alternatives() -> None:
    cards = _cards(orders=(REFERRAL,), encounters=(VISIT,), reports=(EPIKRISE,))
    assert len(cards) == 2
    choice = cards[1]
    assert choice.extension == {CARD_TYPE_EXTENSION: "registration_choice"}
    assert choice.selection_behavior == "at-most-one"
    assert [r["code"]["coding"][0]["code"] for r in _resources(choice)] == ["A36CA", "A36CI"]
    assert all(r["effectiveDateTime"] == "2026-11-12" for r in _resources(choice))
    assert "skiller ikke" in (choice.detail or "")
    for resource in _resources(choice):
        Observation.model_validate(resource)


def test_ids_are_deterministic_and_distinct() -> None:
    first = _cards(orders=(REFERRAL,), encounters=(VISIT,), reports=(EPIKRISE,))
    again = _cards(orders=(REFERRAL,), encounters=(VISIT,), reports=(EPIKRISE,))
    assert [c.uuid for c in first] == [c.uuid for c in again]
    ids = [s.uuid for c in first for s in c.suggestions or []]
    assert len(ids) == len(set(ids)) == 4


def test_a_profile_violation_is_an_error_not_a_card(monkeypatch: pytest.MonkeyPatch) -> None:
    import cds.render.registration as module

    monkeypatch.setattr(module, "validate_against", lambda *_: ["Observation.note: minimum 1"])
    with pytest.raises(module.RegistrationRenderError):
        _cards(orders=(REFERRAL,))


def test_no_practitioner_no_performer() -> None:
    cards = registration_cards(
        plan(orders=(REFERRAL,)), patient_ref="Patient/p", hook_instance="h", user_ref=None
    )
    assert "performer" not in _resources(cards[0])[0]
    assert date.fromisoformat(_resources(cards[0])[0]["effectiveDateTime"]) == REFERRAL.when
