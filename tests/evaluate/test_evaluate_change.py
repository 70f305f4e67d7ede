"""New, worse or stable (cds.evaluate.change): both sides of ``new_days`` and of every worsening
margin, unusable values inside a run, and the «unknown start counts as new» rule."""

from __future__ import annotations

import pytest
from factories import Run, condition, facts, lab, report

EGFR = "mL/min/{1.73_m2}"


def _kidney(*results: tuple[int, float]) -> list:  # type: ignore[type-arg]
    return [lab("egfr", value, EGFR, days_ago=days) for days, value in results]


@pytest.mark.parametrize(("first_low_days_ago", "change"), [(30, "new"), (31, "stable")])
def test_kidney_failure_new_within_30_days(run: Run, first_low_days_ago: int, change: str) -> None:
    # eGFR < 30 since ``first_low_days_ago``, unchanged (25 → 25): new only within 30 days.
    hits = run(facts(labs=_kidney((5, 25.0), (first_low_days_ago, 25.0)))).hits
    assert hits["nyresvikt"].change == change


def test_normal_result_ends_the_run(run: Run) -> None:
    # Low 200 days ago, 31 (not below 30) 60 days ago, low again 10 days ago: the run starts
    # 10 days ago (31 → 25 is a 19 % fall, not worse).
    hits = run(facts(labs=_kidney((10, 25.0), (60, 31.0), (200, 25.0)))).hits
    assert hits["nyresvikt"].change == "new"


def test_unusable_value_neither_extends_nor_ends_the_run(run: Run) -> None:
    results = [
        lab("egfr", 25.0, EGFR, days_ago=10),
        lab("egfr", None, EGFR, days_ago=20, unit_problem="ukjent enhet «x»"),
        lab("egfr", 25.0, EGFR, days_ago=200),
    ]
    assert run(facts(labs=results)).hits["nyresvikt"].change == "stable"


def test_no_earlier_result_is_new(run: Run) -> None:
    assert run(facts(labs=_kidney((10, 20.0)))).hits["nyresvikt"].change == "new"


@pytest.mark.parametrize(("best", "change"), [(40.0, "worse"), (39.0, "stable")])
def test_egfr_fall_of_25_percent_is_worse(run: Run, best: float, change: str) -> None:
    # Newest 29.5 (below 30 for 100 days, so not new): 40 → 29.5 is a 26 % fall, 39 → 29.5 24 %.
    hits = run(facts(labs=_kidney((5, 29.5), (100, 29.5), (300, best)))).hits
    assert hits["nyresvikt"].change == change
    if change == "worse":
        assert hits["nyresvikt"].baseline is not None
        assert hits["nyresvikt"].baseline.text.startswith("eGFR")


@pytest.mark.parametrize(("newest", "change"), [(180.0, "worse"), (170.0, "stable")])
def test_creatinine_rise_needs_50_percent_and_26_5(run: Run, newest: float, change: str) -> None:
    results = [
        lab("creatinine", 180.0, "umol/L", days_ago=100),
        lab("creatinine", 178.0, "umol/L", days_ago=200),
        lab("creatinine", 118.0, "umol/L", days_ago=400),
    ]
    # newest 180 vs best 118: +62 (52.5 %) → worse; 170 is +52 (44 %) → not enough.
    results.insert(0, lab("creatinine", newest, "umol/L", days_ago=5))
    hits = run(facts(labs=results)).hits
    if newest > 177:
        assert hits["nyresvikt"].change == change
    else:
        assert hits["redusert_nyrefunksjon"].change == change


@pytest.mark.parametrize(("known_days_ago", "change"), [(365, "new"), (366, "stable")])
def test_m_component_from_mgus_code_new_for_a_year(
    run: Run, known_days_ago: int, change: str
) -> None:
    hits = run(facts(conditions=[condition(("icd10", "D472"), days_ago=known_days_ago)])).hits
    assert hits["m_komponent"].change == change


@pytest.mark.parametrize(("best", "change"), [(13.0, "worse"), (12.9, "stable")])
def test_hb_fall_of_2_g_dl_is_worse(run: Run, best: float, change: str) -> None:
    results = [
        lab("hemoglobin", 11.0, "g/dL", days_ago=5),
        lab("hemoglobin", 11.2, "g/dL", days_ago=200),
        lab("hemoglobin", best, "g/dL", days_ago=600),
    ]
    assert run(facts(labs=results)).hits["anemi"].change == change


def test_feature_without_change_block_stays_unclassified(run: Run) -> None:
    hits = run(facts(labs=[lab("hemoglobin", 10.0, "g/dL")], conditions=[])).hits
    assert hits["anemi"].change == "new"
    assert all(h.change is None for n, h in hits.items() if n not in {"anemi"})


def test_an_old_active_kidney_code_makes_low_egfr_long_standing(run: Run) -> None:
    # eGFR 25 once, now; CKD stage 4 coded five years ago and still active: not new.
    hits = run(
        facts(labs=_kidney((5, 25.0)), conditions=[condition(("icd10", "N184"), days_ago=1825)])
    ).hits
    assert hits["nyresvikt"].change == "stable"


@pytest.mark.parametrize(
    ("conclusion", "change"),
    [
        ("Kjent kompresjonsfraktur L1, uendret.", "stable"),
        ("Kompresjonsfraktur L1 som ved forrige undersøkelse.", "stable"),
        ("Ny kompresjonsfraktur L1.", "new"),
    ],
)
def test_a_report_that_calls_the_fracture_unchanged_is_stable(
    run: Run, conclusion: str, change: str
) -> None:
    hits = run(facts(reports=[report("radiology", "Rtg columna lumbalis", conclusion)])).hits
    assert hits["osteolyse_kompresjonsfraktur"].change == change


@pytest.mark.parametrize(("days_ago", "counts"), [(-1, True), (-2, False), (-2900000, False)])
def test_a_far_future_date_is_no_evidence(run: Run, days_ago: int, counts: bool) -> None:
    # A diagnosis dated after today: a day of clock skew counts, 9999-12-31 does not.
    hits = run(facts(conditions=[condition(("icd10", "N184"), days_ago=days_ago)])).hits
    assert ("redusert_nyrefunksjon" in hits) is counts


@pytest.mark.parametrize(
    ("conclusion", "change"),
    [
        ("Økende M-komponent, nå 12 g/L.", "worse"),
        ("M-komponenten har steget fra 8 til 12 g/L.", "worse"),
        ("Økning av M-komponent siden forrige prøve, nå 9 g/L.", "worse"),
        ("M-komponent ca 3 g/L, ikke økende.", "stable"),
        ("M-komponent 3 g/L. Ingen tegn til økning av M-komponent.", "stable"),
        ("Liten M-komponent, ca 3 g/L.", "stable"),
    ],
)
def test_a_laboratory_text_that_calls_the_m_component_rising_is_worse(
    run: Run, conclusion: str, change: str
) -> None:
    # A GP-followed MGUS (coded 800 days ago): the lab's «økende» is a change, numbers or not.
    hits = run(
        facts(
            conditions=[condition(("icd10", "D472"), days_ago=800)],
            reports=[report("laboratory", "Proteinelektroforese", conclusion)],
        )
    ).hits
    assert hits["m_komponent"].change == change
