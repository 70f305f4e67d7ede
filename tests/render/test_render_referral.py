"""The referral ServiceRequest: content, narrative, draft updates, validity and determinism."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

import pytest
from fhir.resources.R4B.servicerequest import ServiceRequest
from render_support import (
    HB_TEXT,
    HOOK_INSTANCE,
    TODAY,
    USER,
    acute_hits,
    ago,
    assessment,
    begrunnet_hits,
    decision,
    draft_resource,
    ev,
    facts,
    hit,
    rich_facts,
    rule_features,
)

from cds.criteria.schema import Pathway
from cds.evaluate.model import Assessment
from cds.facts.model import PatientFacts
from cds.profile import load_profile, validate_profile
from cds.render.format import PATHWAY_CODE_SYSTEM, REFERRAL_PROFILE_URL, fmt_date
from cds.render.referral import RenderError, build_referral

XHTML = "{http://www.w3.org/1999/xhtml}"


def build(
    pathway: Pathway,
    a: Assessment,
    patient: PatientFacts | None = None,
    *,
    draft: dict[str, Any] | None = None,
    requester: str | None = USER,
    hook_instance: str = HOOK_INSTANCE,
) -> dict[str, Any]:
    patient = patient or rich_facts(pathway)
    resource = build_referral(
        decision(pathway, a, patient),
        patient,
        hook_instance=hook_instance,
        requester=requester,
        today=TODAY,
        draft=draft,
    )
    ServiceRequest.model_validate(resource)
    assert validate_profile(resource, load_profile()) == []
    return resource


def narrative_text(resource: dict[str, Any]) -> str:
    root = ET.fromstring(resource["text"]["div"])  # well-formed XML, or this raises
    assert root.tag == f"{XHTML}div"
    return " ".join(" ".join(root.itertext()).split())


def test_new_referral_carries_the_pathway_marking_and_evidence(pathway: Pathway) -> None:
    resource = build(pathway, assessment(pathway, "begrunnet", begrunnet_hits(pathway)))
    assert resource["resourceType"] == "ServiceRequest"
    assert resource["meta"] == {"profile": [REFERRAL_PROFILE_URL]}
    assert (resource["status"], resource["intent"], resource["priority"]) == (
        "draft",
        "order",
        "urgent",
    )
    assert resource["category"][0]["coding"][0]["code"] == "3457005"
    assert resource["code"]["coding"][0] == {
        "system": PATHWAY_CODE_SYSTEM,
        "code": pathway.code,
        "display": pathway.title,
    }
    assert resource["code"]["text"] == pathway.referral.label
    assert resource["subject"] == {"reference": "Patient/pas-1"}
    assert resource["requester"] == {"reference": USER}
    assert resource["authoredOn"] == "2026-11-21"
    assert resource["performerType"]["text"] == pathway.referral.performer_type
    if pathway.referral.performer_type_code:
        assert resource["performerType"]["coding"][0]["code"] == (
            pathway.referral.performer_type_code.code
        )
    refs = [r["reference"] for r in resource["reasonReference"]]
    assert refs == ["Observation/base-0", "Observation/hb-1", "Observation/hb-0"]
    assert all(r["display"] for r in resource["reasonReference"])
    note = resource["note"][0]["text"]
    assert note.startswith("Begrunnet mistanke om myelomatose:")
    assert f"anemi ({HB_TEXT}, {fmt_date(ago(20))})" in note


def test_letter_cites_a_result_once_even_when_two_features_rest_on_it(pathway: Pathway) -> None:
    # A feature outside the rule resting on the anaemia's own result (as «Hyperkalsemi» rests on
    # the corrected calcium of «Alvorlig hyperkalsemi»): not listed again under other findings.
    used = begrunnet_hits(pathway)
    base, alternatives = rule_features(pathway, "begrunnet")
    spare = next(f for f in pathway.features if f not in {*base, *alternatives})
    other = hit(pathway, spare, ev("Observation/hb-1", 20, "Hb igjen"))
    distinct = hit(pathway, spare, ev("Observation/annet-1", 20, "Eget funn"))
    same = narrative_text(build(pathway, assessment(pathway, "begrunnet", [*used, other])))
    assert "Hb igjen" not in same
    seen = narrative_text(build(pathway, assessment(pathway, "begrunnet", [*used, distinct])))
    assert "Eget funn" in seen


def test_supporting_info_has_active_medications_comorbidity_and_frailty(
    pathway: Pathway,
) -> None:
    resource = build(pathway, assessment(pathway, "begrunnet", begrunnet_hits(pathway)))
    refs = [s["reference"] for s in resource["supportingInfo"]]
    assert refs == ["MedicationStatement/m1", "Condition/k86", "Observation/cfs-1"]


def test_evidence_conditions_are_not_repeated_as_comorbidity(pathway: Pathway) -> None:
    hits = begrunnet_hits(pathway)
    hits.append(hit(pathway, "ekstra", ev("Condition/k86", 30, "Hypertensjon")))
    resource = build(pathway, assessment(pathway, "begrunnet", hits))
    refs = [s["reference"] for s in resource["supportingInfo"]]
    assert "Condition/k86" not in refs
    assert "Condition/k86" in [r["reference"] for r in resource["reasonReference"]]


def test_narrative_is_a_referral_letter(pathway: Pathway) -> None:
    resource = build(pathway, assessment(pathway, "begrunnet", begrunnet_hits(pathway)))
    assert resource["text"]["status"] == "generated"
    text = narrative_text(resource)
    for heading in (
        pathway.referral.label,
        "Begrunnet mistanke",
        "Funn og resultater",
        "Legemidler",
        "Andre tilstander (komorbiditet)",
        "Skrøpelighetsvurdering",
        "Informasjon til pasienten",
        "Forventede forløpstider",
    ):
        assert heading in text
    assert f"{HB_TEXT} ({fmt_date(ago(20))})" in text  # dated evidence
    assert "Albyl-E 75 mg" in text and "Gammel medisin" not in text
    assert "Hypertensjon" in text and "Forkjølelse" not in text
    for item in pathway.referral.patient_information:
        assert " ".join(item.split()) in text
    for time in pathway.times:
        assert f"{time.label}: {time.time}" in text
    # No references, ids or tokens in the text the hospital reads.
    assert "Observation/" not in resource["text"]["div"]
    assert "Patient/" not in resource["text"]["div"]


def test_narrative_says_what_is_absent(pathway: Pathway) -> None:
    a = assessment(pathway, "begrunnet", begrunnet_hits(pathway))
    text = narrative_text(build(pathway, a, facts()))
    assert "Ingen legemidler registrert" in text
    assert "Skrøpelighetsvurdering Ikke registrert – bør legges til" in text
    a = assessment(
        pathway, "begrunnet", begrunnet_hits(pathway), missing_content=("medications", "frailty")
    )
    assert "Legemiddelliste ikke tilgjengelig" in narrative_text(build(pathway, a, facts()))


def test_record_text_is_escaped_in_the_narrative(pathway: Pathway) -> None:
    hits = begrunnet_hits(pathway)
    hits.append(hit(pathway, "ekstra", ev("Observation/x", 3, "Hb <b>lav</b> & fallende")))
    resource = build(pathway, assessment(pathway, "begrunnet", hits))
    div = resource["text"]["div"]
    assert "<b>lav</b>" not in div
    assert "&lt;b&gt;lav&lt;/b&gt; &amp; fallende" in div
    assert "Hb <b>lav</b> & fallende" in narrative_text(resource)


def test_acute_referral_is_asap_and_states_acute_times(pathway: Pathway) -> None:
    resource = build(pathway, assessment(pathway, "acute", acute_hits(pathway)))
    assert resource["priority"] == "asap"
    assert resource["note"][0]["text"].startswith("Akutt:")
    text = narrative_text(resource)
    for time in pathway.acute_times:
        assert time.time in text


def test_update_keeps_the_draft_and_adds_ours(pathway: Pathway) -> None:
    draft = draft_resource()
    resource = build(
        pathway, assessment(pathway, "begrunnet", begrunnet_hits(pathway)), draft=draft
    )
    assert resource["id"] == "utkast-1"
    assert resource["performer"] == draft["performer"]
    assert resource["note"][0] == draft["note"][0] and len(resource["note"]) == 2
    refs = [r["reference"] for r in resource["reasonReference"]]
    assert refs.count("Observation/hb-1") == 1
    assert resource["category"][0]["coding"][0]["code"] == "3457005"
    assert draft == draft_resource()  # the caller's draft is not modified


def test_update_is_idempotent(pathway: Pathway) -> None:
    a = assessment(pathway, "begrunnet", begrunnet_hits(pathway))
    once = build(pathway, a, draft=draft_resource())
    twice = build(pathway, a, draft=once)
    assert twice == once


def test_update_keeps_the_drafts_requester_when_the_hook_has_no_user(pathway: Pathway) -> None:
    draft = {**draft_resource(), "requester": {"reference": "Practitioner/egen"}}
    a = assessment(pathway, "begrunnet", begrunnet_hits(pathway))
    resource = build(pathway, a, draft=draft, requester=None)
    assert resource["requester"] == {"reference": "Practitioner/egen"}


def test_invalid_draft_raises_render_error_without_values(pathway: Pathway) -> None:
    draft = {**draft_resource(), "occurrenceDateTime": "Kari Nordmann"}
    with pytest.raises(RenderError) as err:
        build_referral(
            decision(pathway, assessment(pathway, "begrunnet", begrunnet_hits(pathway))),
            facts(),
            hook_instance=HOOK_INSTANCE,
            requester=USER,
            today=TODAY,
            draft=draft,
        )
    assert "Kari" not in str(err.value)


def test_ids_are_deterministic(pathway: Pathway) -> None:
    a = assessment(pathway, "begrunnet", begrunnet_hits(pathway))
    first = build(pathway, a)
    assert build(pathway, a) == first
    assert build(pathway, a, hook_instance="another-hook")["id"] != first["id"]


def test_an_old_frailty_score_is_shown_as_outdated(pathway: Pathway) -> None:
    a = assessment(pathway, "begrunnet", begrunnet_hits(pathway), missing_content=("frailty",))
    text = narrative_text(build(pathway, a))
    assert "Clinical Frailty Scale 4 – eldre vurdering, bør oppdateres" in text
