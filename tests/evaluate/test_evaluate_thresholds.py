"""Lab thresholds, reference ranges, interpretation flags and look-back windows, at the boundary."""

from __future__ import annotations

import dataclasses
from datetime import date

import pytest
from factories import Run, facts, lab

from cds.facts.model import Sex
from cds.wording import msg, say

# --- anaemia -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sex", "hb", "fires"),
    [
        ("female", 11.6, True),
        ("female", 11.7, False),
        ("male", 13.3, True),
        ("male", 13.4, False),
    ],
)
def test_hb_threshold_by_sex(run: Run, sex: Sex, hb: float, fires: bool) -> None:
    assessment = run(facts(sex=sex, labs=[lab("hemoglobin", hb, "g/dL")]))
    assert ("anemi" in assessment.hits) is fires


def test_hb_evidence_text_with_threshold(run: Run) -> None:
    hit = run(facts(labs=[lab("hemoglobin", 10.9, "g/dL", ref="Observation/hb-1")])).hits["anemi"]
    assert hit.evidence[0].ref == "Observation/hb-1"
    assert hit.evidence[0].text == "Hemoglobin 10,9 g/dL (under 11,7 g/dL)"


@pytest.mark.parametrize(("grams", "fires"), [(0.1, True), (0.0, False)])
def test_quantified_m_component_any_amount_is_demonstrated(
    run: Run, grams: float, fires: bool
) -> None:
    hits = run(facts(labs=[lab("spep", grams, "g/L", ref="Observation/spep-1")])).hits
    assert ("m_komponent" in hits) is fires
    if fires:
        assert hits["m_komponent"].evidence[0].text == "Proteinelektroforese 0,1 g/L (påvist)"


def test_unknown_sex_uses_default_and_says_so(run: Run) -> None:
    fired = run(facts(sex="unknown", labs=[lab("hemoglobin", 11.6, "g/dL")]))
    assert "anemi" in fired.hits
    assert any(say(n).startswith("Kjønn ukjent: brukte grenseverdi 11,7 g/dL") for n in fired.notes)
    # 12.0 would be anaemia for a man; with unknown sex the lower (female) limit applies.
    silent = run(facts(sex="unknown", labs=[lab("hemoglobin", 12.0, "g/dL")]))
    assert "anemi" not in silent.hits


def test_low_flag_wins_over_threshold(run: Run) -> None:
    assessment = run(facts(labs=[lab("hemoglobin", 12.0, "g/dL", flags={"L"})]))
    assert "anemi" in assessment.hits
    assert "merket lav av laboratoriet" in assessment.hits["anemi"].evidence[0].text


def test_normal_flag_wins_over_threshold(run: Run) -> None:
    assert "anemi" not in run(facts(labs=[lab("hemoglobin", 11.0, "g/dL", flags={"N"})])).hits


def test_opposite_flag_is_not_low(run: Run) -> None:
    assert "anemi" not in run(facts(labs=[lab("hemoglobin", 11.0, "g/dL", flags={"H"})])).hits


def test_non_directional_flag_falls_through_to_the_range(run: Run) -> None:
    result = lab("hemoglobin", 12.0, "g/dL", flags={"A"}, ref_low=12.5, ref_high=16.0)
    assert "anemi" in run(facts(labs=[result])).hits


def test_reference_range_wins_over_threshold(run: Run) -> None:
    fired = run(facts(labs=[lab("hemoglobin", 12.0, "g/dL", ref_low=12.5, ref_high=16.0)]))
    assert fired.hits["anemi"].evidence[0].text == "Hemoglobin 12,0 g/dL (ref. 12,5–16,0)"
    silent = run(facts(labs=[lab("hemoglobin", 11.5, "g/dL", ref_low=11.0, ref_high=15.0)]))
    assert "anemi" not in silent.hits


def test_reference_range_boundary_is_strict(run: Run) -> None:
    at_limit = lab("hemoglobin", 12.5, "g/dL", ref_low=12.5, ref_high=16.0)
    assert "anemi" not in run(facts(labs=[at_limit])).hits


# --- windows -------------------------------------------------------------------------------


@pytest.mark.parametrize(("days", "fires"), [(90, True), (91, False)])
def test_lab_window_edge(run: Run, days: int, fires: bool) -> None:
    assessment = run(facts(labs=[lab("hemoglobin", 10.0, "g/dL", days_ago=days)]))
    assert ("anemi" in assessment.hits) is fires


def test_newest_result_wins_over_older_abnormal(run: Run) -> None:
    labs = [
        lab("hemoglobin", 9.5, "g/dL", days_ago=40),
        lab("hemoglobin", 13.0, "g/dL", days_ago=5),
    ]
    assert "anemi" not in run(facts(labs=labs)).hits


def test_newest_abnormal_result_wins_over_older_normal(run: Run) -> None:
    labs = [
        lab("hemoglobin", 13.0, "g/dL", days_ago=40),
        lab("hemoglobin", 9.5, "g/dL", days_ago=5),
    ]
    assert "anemi" in run(facts(labs=labs)).hits


def test_undated_lab_does_not_count(run: Run) -> None:
    assert "anemi" not in run(facts(labs=[lab("hemoglobin", 9.0, "g/dL", days_ago=None)])).hits


def test_unusable_newest_result_is_set_aside_and_becomes_a_note(run: Run) -> None:
    # The older usable Hb decides: one bad value never removes the finding an earlier one shows.
    problem = msg("unit.not_convertible", unit="mg/ml", target="g/dL")
    labs = [
        lab("hemoglobin", 9.0, "g/dL", days_ago=30),
        lab("hemoglobin", None, days_ago=2, unit_problem=problem),
    ]
    assessment = run(facts(labs=labs))
    assert assessment.hits["anemi"].evidence[0].text == "Hemoglobin 9,0 g/dL (under 11,7 g/dL)"
    assert "anemi" not in assessment.not_assessed
    assert "Hemoglobin: enheten «mg/ml» kan ikke regnes om til g/dL – verdien er ikke brukt" in [
        say(note) for note in assessment.notes
    ]


def test_unusable_newest_result_over_a_normal_older_one_is_not_assessed(run: Run) -> None:
    problem = msg("unit.unknown", unit="enh")
    labs = [
        lab("hemoglobin", 13.0, "g/dL", days_ago=30),
        lab("hemoglobin", None, days_ago=2, unit_problem=problem),
    ]
    assessment = run(facts(labs=labs))
    assert "anemi" not in assessment.hits
    assert (
        say(assessment.not_assessed["anemi"].reason) == "Hemoglobin 18.11.2026: ukjent enhet «enh»"
    )


def test_unusable_result_older_than_a_usable_normal_one_is_assessed(run: Run) -> None:
    labs = [
        lab("hemoglobin", 13.0, "g/dL", days_ago=2),
        lab("hemoglobin", None, days_ago=30, unit_problem=msg("unit.unknown", unit="enh")),
    ]
    assert run(facts(labs=labs)).not_assessed == {}


def test_only_result_unusable_is_not_assessed_never_absent(run: Run) -> None:
    labs = [lab("hemoglobin", None, days_ago=2, unit_problem=msg("value.absurd", value="1e+308"))]
    assessment = run(facts(labs=labs))
    assert "anemi" not in assessment.hits
    assert "urimelig stor" in say(assessment.not_assessed["anemi"].reason)


def test_unusable_result_outside_the_window_does_not_matter(run: Run) -> None:
    labs = [lab("hemoglobin", None, days_ago=400, unit_problem=msg("unit.unknown", unit="enh"))]
    assert run(facts(labs=labs)).not_assessed == {}


def test_an_hb_whose_date_is_the_problem_is_not_assessed_when_nothing_else_decides(
    run: Run,
) -> None:
    problem = msg("date.unreadable", value="2026-13-45")
    alone = [lab("hemoglobin", 9.0, "g/dL", days_ago=None, unit_problem=problem)]
    assert (
        say(run(facts(labs=alone)).not_assessed["anemi"].reason)
        == "Hemoglobin: prøvedatoen «2026-13-45» kan ikke leses"
    )
    # Next to a dated usable result it is an old garbled entry, not today's result.
    usable = [lab("hemoglobin", 13.0, "g/dL", days_ago=20), *alone]
    assert run(facts(labs=usable)).not_assessed == {}


def test_unit_problem_already_noted_by_the_facts_stage_is_not_repeated(run: Run) -> None:
    problem = msg("unit.unknown", unit="enh")
    record = facts(labs=[lab("hemoglobin", None, unit_problem=problem)])
    noted = msg("lab.unused", label="Hemoglobin", when=date(2026, 11, 10), problem=problem)
    record = dataclasses.replace(record, notes=(noted,))
    assert run(record).notes == ()


# --- kidney --------------------------------------------------------------------------------


@pytest.mark.parametrize(("egfr", "fires"), [(59, True), (60, False)])
def test_egfr_reduced_kidney_function(run: Run, egfr: float, fires: bool) -> None:
    assessment = run(facts(labs=[lab("egfr", egfr, "mL/min/{1.73_m2}")]))
    assert ("redusert_nyrefunksjon" in assessment.hits) is fires


def test_egfr_ignores_the_labs_own_range(run: Run) -> None:
    # Labs print eGFR «ref. > 90»: a 75-year-old's 75 is not reduced kidney function here.
    result = lab("egfr", 75, "mL/min/{1.73_m2}", ref_low=90, flags={"L"})
    assert "redusert_nyrefunksjon" not in run(facts(labs=[result])).hits


@pytest.mark.parametrize(("egfr", "fires"), [(29, True), (30, False)])
def test_egfr_kidney_failure(run: Run, egfr: float, fires: bool) -> None:
    assessment = run(facts(labs=[lab("egfr", egfr, "mL/min/{1.73_m2}")]))
    assert ("nyresvikt" in assessment.hits) is fires


@pytest.mark.parametrize(
    ("sex", "creatinine", "fires"),
    [("male", 106, True), ("male", 105, False), ("female", 91, True), ("female", 90, False)],
)
def test_creatinine_upper_limit_by_sex(run: Run, sex: Sex, creatinine: float, fires: bool) -> None:
    assessment = run(facts(sex=sex, labs=[lab("creatinine", creatinine, "umol/L")]))
    assert ("redusert_nyrefunksjon" in assessment.hits) is fires


@pytest.mark.parametrize(("creatinine", "fires"), [(178, True), (177, False)])
def test_creatinine_kidney_failure(run: Run, creatinine: float, fires: bool) -> None:
    assessment = run(facts(sex="male", labs=[lab("creatinine", creatinine, "umol/L")]))
    assert ("nyresvikt" in assessment.hits) is fires


def test_kidney_failure_ignores_the_labs_range_and_flag(run: Run) -> None:
    # H only says «above normal»: 150 is reduced function, not kidney failure.
    result = lab("creatinine", 150, "umol/L", ref_low=60, ref_high=105, flags={"H"})
    assessment = run(facts(sex="male", labs=[result]))
    assert "redusert_nyrefunksjon" in assessment.hits
    assert "nyresvikt" not in assessment.hits


# --- calcium -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("calcium", "albumin", "fires"),
    [
        (2.46, 38.3, True),  # 2.46 + 0.020 × 3.0 = 2.52
        (2.45, 38.3, False),  # 2.45 + 0.020 × 3.0 = 2.51: at the limit
        (2.51, 41.3, False),  # reference albumin: no correction
        (2.40, 35.0, True),  # 2.40 + 0.020 × 6.3 = 2.526 -> 2.53
    ],
)
def test_corrected_calcium_boundary(run: Run, calcium: float, albumin: float, fires: bool) -> None:
    labs = [lab("calcium_total", calcium, "mmol/L"), lab("albumin", albumin, "g/L")]
    assert ("hyperkalsemi" in run(facts(labs=labs)).hits) is fires


def test_corrected_calcium_evidence_names_both_results(run: Run) -> None:
    labs = [
        lab("calcium_total", 2.60, "mmol/L", ref="Observation/ca"),
        lab("albumin", 35, "g/L", days_ago=12, ref="Observation/alb"),
    ]
    hit = run(facts(labs=labs)).hits["hyperkalsemi"]
    assert {e.ref for e in hit.evidence} == {"Observation/ca", "Observation/alb"}
    ca = next(e for e in hit.evidence if e.ref == "Observation/ca")
    assert ca.text == "Korrigert kalsium 2,73 mmol/L (Ca 2,60, albumin 35 g/L)"


def test_normal_corrected_calcium_silences_high_total_calcium(run: Run) -> None:
    # High albumin: total 2.55 but corrected 2.55 + 0.020 × (41.3 − 46) = 2.46.
    labs = [lab("calcium_total", 2.55, "mmol/L", flags={"H"}), lab("albumin", 46, "g/L")]
    assert "hyperkalsemi" not in run(facts(labs=labs)).hits


def test_total_calcium_counts_without_albumin(run: Run) -> None:
    assert "hyperkalsemi" in run(facts(labs=[lab("calcium_total", 2.60, "mmol/L")])).hits
    assert "hyperkalsemi" not in run(facts(labs=[lab("calcium_total", 2.51, "mmol/L")])).hits


def test_albumin_outside_pairing_days_is_not_used(run: Run) -> None:
    # Albumin 8 days from the calcium: no correction; total calcium is the fallback.
    labs = [
        lab("calcium_total", 2.55, "mmol/L", days_ago=10),
        lab("albumin", 46, "g/L", days_ago=18),
    ]
    assert "hyperkalsemi" in run(facts(labs=labs)).hits


def test_normal_ionized_calcium_silences_high_total_calcium(run: Run) -> None:
    # Paraprotein binding calcium: total high, free calcium normal.
    labs = [lab("calcium_total", 2.70, "mmol/L"), lab("calcium_ionized", 1.25, "mmol/L")]
    assert "hyperkalsemi" not in run(facts(labs=labs)).hits


@pytest.mark.parametrize(("ionized", "fires"), [(1.36, True), (1.35, False)])
def test_ionized_calcium(run: Run, ionized: float, fires: bool) -> None:
    assessment = run(facts(labs=[lab("calcium_ionized", ionized, "mmol/L")]))
    assert ("hyperkalsemi" in assessment.hits) is fires


@pytest.mark.parametrize(("corrected", "fires"), [(2.52, True), (2.51, False)])
def test_reported_corrected_calcium(run: Run, corrected: float, fires: bool) -> None:
    assessment = run(facts(labs=[lab("calcium_corrected", corrected, "mmol/L")]))
    assert ("hyperkalsemi" in assessment.hits) is fires
