"""Rules end to end: outcome per hook for the clinical patterns of the myeloma pathway."""

from __future__ import annotations

import pytest
from factories import (
    Run,
    condition,
    facts,
    filter_panel,
    lab,
    m_component,
    order,
)

from cds.facts.model import ConditionFact, LabResult
from cds.hooks import HookName

BACK_PAIN = ("icpc2", "L03")
ANAEMIA = ("icpc2", "B82")
MGUS = ("icd10", "D472")
MYELOMA = ("icd10", "C900")
CORD_COMPRESSION = ("icd10", "G952")
LABEL = "Pakkeforløp for myelomatose"
M_COMPONENT_UNMET = "påvist M-komponent i serum og/eller urin"


# --- begrunnet -----------------------------------------------------------------------------


def test_m_component_and_anaemia_is_begrunnet(run: Run) -> None:
    record = facts(labs=[m_component(), lab("hemoglobin", 10.9, "g/dL")])
    assessment = run(record)
    assert (assessment.outcome, assessment.rule) == ("begrunnet", "myelomatose.begrunnet")
    assert {"m_komponent", "anemi"} <= set(assessment.hits)
    assert assessment.missing_content == ("frailty",)


@pytest.mark.parametrize("hook", ["patient-view", "order-select", "order-sign"])
def test_begrunnet_in_every_hook(run: Run, hook: HookName) -> None:
    record = facts(labs=[m_component()], conditions=[condition(BACK_PAIN)])
    assert run(record, hook).outcome == "begrunnet"


def test_frailty_score_is_not_missing_when_recorded(run: Run) -> None:
    record = facts(
        labs=[m_component(), lab("hemoglobin", 10.9, "g/dL"), lab("frailty_score", 4, "1")]
    )
    assert run(record).missing_content == ()


def test_known_myeloma_is_not_referred_again(run: Run) -> None:
    record = facts(
        labs=[m_component(), lab("hemoglobin", 10.0, "g/dL")],
        conditions=[condition(MYELOMA, days_ago=2000, active=False)],
    )
    assert run(record).outcome is None


# --- MGUS pattern --------------------------------------------------------------------------


def test_mgus_alone_is_silent_in_patient_view(run: Run) -> None:
    assessment = run(facts(labs=[m_component()], conditions=[condition(MGUS, days_ago=400)]))
    assert assessment.outcome is None


def test_mgus_with_related_draft_referral_is_not_met(run: Run) -> None:
    draft = order("Henvisning hematolog: M-komponent 4 g/L")
    assessment = run(facts(labs=[m_component()], drafts=[draft]), "order-select")
    assert (assessment.outcome, assessment.rule) == ("not_met", "myelomatose.mgus")
    assert len(assessment.unmet) == 1
    assert assessment.unmet[0].startswith("minst ett tilleggsfunn")
    assert assessment.draft_referral == draft


def test_mgus_with_unrelated_draft_referral_is_silent(run: Run) -> None:
    draft = order("Henvisning ortoped: kneartrose")
    assert run(facts(labs=[m_component()], drafts=[draft]), "order-select").outcome is None


def test_draft_referral_reason_reference_to_evidence_is_related(run: Run) -> None:
    spep = m_component()
    draft = order("Henvisning indremedisin", reason_refs=[spep.ref])
    assert run(facts(labs=[spep], drafts=[draft]), "order-select").outcome == "not_met"


# --- acute ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("extra_labs", "extra_conditions", "feature"),
    [
        ([lab("calcium_ionized", 1.52, "mmol/L")], [], "hyperkalsemi"),
        ([lab("egfr", 22, "mL/min/{1.73_m2}")], [], "nyresvikt"),
        ([], [condition(CORD_COMPRESSION, days_ago=2)], "medullakompresjon"),
    ],
)
def test_acute_with_m_component(
    run: Run, extra_labs: list[LabResult], extra_conditions: list[ConditionFact], feature: str
) -> None:
    record = facts(labs=[m_component(), *extra_labs], conditions=extra_conditions)
    assessment = run(record)
    assert (assessment.outcome, assessment.rule) == ("acute", "myelomatose.akutt")
    assert feature in assessment.hits


def test_hypercalcaemia_without_m_component_is_not_acute(run: Run) -> None:
    assessment = run(facts(labs=[lab("calcium_ionized", 1.52, "mmol/L")]))
    assert assessment.outcome != "acute"


def test_acute_even_with_known_myeloma(run: Run) -> None:
    record = facts(
        labs=[m_component(), lab("calcium_ionized", 1.52, "mmol/L")],
        conditions=[condition(MYELOMA, days_ago=800)],
    )
    assert run(record).outcome == "acute"


# --- mistanke ------------------------------------------------------------------------------


def test_two_symptoms_without_filter_tests_is_mistanke_in_patient_view(run: Run) -> None:
    record = facts(labs=[lab("hemoglobin", 10.5, "g/dL")], conditions=[condition(BACK_PAIN)])
    assessment = run(record)
    assert (assessment.outcome, assessment.rule) == (
        "mistanke",
        "myelomatose.mistanke.patient-view",
    )
    missing = {t.test for t in assessment.missing_filter_tests}
    assert {"proteinelektroforese", "lette_kjeder", "ld"} <= missing
    assert "hemoglobin" not in missing


def test_one_symptom_is_silent_in_patient_view(run: Run) -> None:
    assert run(facts(labs=[lab("hemoglobin", 10.5, "g/dL")])).outcome is None


def test_one_symptom_with_related_draft_referral_is_mistanke_when_ordering(run: Run) -> None:
    draft = order("Henvisning hematolog", reason_codes=[ANAEMIA])
    record = facts(conditions=[condition(ANAEMIA)], drafts=[draft])
    assessment = run(record, "order-select")
    assert (assessment.outcome, assessment.rule) == ("mistanke", "myelomatose.mistanke.bestilling")


def test_one_symptom_without_draft_referral_is_silent_when_ordering(run: Run) -> None:
    record = facts(conditions=[condition(ANAEMIA)], drafts=[order("CRP", is_referral=False)])
    assert run(record, "order-select").outcome is None


def test_filter_tests_taken_silence_mistanke(run: Run) -> None:
    record = facts(labs=filter_panel(), conditions=[condition(BACK_PAIN), condition(ANAEMIA)])
    assessment = run(record)
    assert assessment.outcome is None
    assert assessment.missing_filter_tests == ()


def test_stale_electrophoresis_triggers_mistanke_again(run: Run) -> None:
    labs = [r for r in filter_panel() if r.analyte != "spep"]
    labs.append(lab("spep", None, days_ago=400, text="Normalt elektroforesemønster."))
    record = facts(labs=labs, conditions=[condition(BACK_PAIN), condition(ANAEMIA)])
    assessment = run(record)
    assert assessment.outcome == "mistanke"
    stale = {t.test: t.state for t in assessment.missing_filter_tests}
    assert stale == {"proteinelektroforese": "stale"}


def test_missing_general_panel_alone_does_not_trigger(run: Run) -> None:
    labs = [r for r in filter_panel() if r.analyte in {"spep", "flc_ratio", "hemoglobin"}]
    record = facts(labs=labs, conditions=[condition(BACK_PAIN), condition(ANAEMIA)])
    assert run(record).outcome is None


def test_infection_tendency_needs_three_dated_episodes(run: Run) -> None:
    infections = [condition(("icpc2", "R74"), days_ago=d, active=False) for d in (20, 120, 300)]
    assert "infeksjonstendens" in run(facts(conditions=infections)).hits
    assert "infeksjonstendens" not in run(facts(conditions=infections[:2])).hits
    same_day = [condition(("icd10", "J189"), days_ago=20, active=False) for _ in range(3)]
    assert "infeksjonstendens" not in run(facts(conditions=same_day)).hits


def test_infection_tendency_and_anaemia_is_mistanke(run: Run) -> None:
    infections = [condition(("icpc2", "R81"), days_ago=d, active=False) for d in (20, 120, 300)]
    record = facts(conditions=[*infections, condition(ANAEMIA)])
    assert run(record).outcome == "mistanke"


# --- already referred ----------------------------------------------------------------------


@pytest.mark.parametrize(("days", "suppressed"), [(59, True), (60, True), (61, False)])
def test_recent_pathway_referral_suppresses_begrunnet(
    run: Run, days: int, suppressed: bool
) -> None:
    sent = order(f"Henvisning: {LABEL}", days_ago=days)
    record = facts(labs=[m_component(), lab("hemoglobin", 10.0, "g/dL")], orders=[sent])
    assessment = run(record)
    if suppressed:
        assert assessment.outcome is None
        assert assessment.already_referred == sent
    else:
        assert assessment.outcome == "begrunnet"
        assert assessment.already_referred is None


def test_revoked_pathway_referral_does_not_count(run: Run) -> None:
    sent = order(LABEL, days_ago=10, status="revoked")
    record = facts(labs=[m_component(), lab("hemoglobin", 10.0, "g/dL")], orders=[sent])
    assert run(record).outcome == "begrunnet"


def test_acute_still_shown_when_already_referred(run: Run) -> None:
    sent = order(LABEL, days_ago=10)
    record = facts(labs=[m_component(), lab("egfr", 20, "mL/min/{1.73_m2}")], orders=[sent])
    assessment = run(record)
    assert assessment.outcome == "acute"
    assert assessment.already_referred == sent


def test_already_referred_silences_mistanke(run: Run) -> None:
    record = facts(
        labs=[lab("hemoglobin", 10.5, "g/dL")],
        conditions=[condition(BACK_PAIN)],
        orders=[order(LABEL, days_ago=5)],
    )
    assert run(record).outcome is None


# --- order-sign ----------------------------------------------------------------------------


def test_labelled_draft_without_m_component_is_unsupported(run: Run) -> None:
    draft = order(f"Henvisning. {LABEL}.")
    record = facts(labs=[lab("hemoglobin", 10.5, "g/dL")], drafts=[draft])
    assessment = run(record, "order-sign")
    assert (assessment.outcome, assessment.rule) == (
        "unsupported_referral",
        "myelomatose.signert-uten-grunnlag",
    )
    assert assessment.unmet == (M_COMPONENT_UNMET,)


def test_labelled_draft_without_anything_lists_both_missing_elements(run: Run) -> None:
    assessment = run(facts(drafts=[order(LABEL)]), "order-sign")
    assert assessment.outcome == "unsupported_referral"
    assert assessment.unmet[0] == M_COMPONENT_UNMET
    assert assessment.unmet[1].startswith("minst ett tilleggsfunn")


def test_labelled_draft_with_criteria_met_is_begrunnet(run: Run) -> None:
    record = facts(labs=[m_component(), lab("hemoglobin", 10.0, "g/dL")], drafts=[order(LABEL)])
    assert run(record, "order-sign").outcome == "begrunnet"


def test_unsupported_referral_only_at_order_sign(run: Run) -> None:
    assert run(facts(drafts=[order(LABEL)]), "order-select").outcome is None


def test_selected_draft_referral_is_preferred(run: Run) -> None:
    first, chosen = order("Henvisning A"), order("Henvisning B")
    record = facts(drafts=[first, chosen], selections=[chosen.ref])
    assert run(record, "order-select").draft_referral == chosen
    assert run(facts(drafts=[first, chosen]), "order-select").draft_referral == first
