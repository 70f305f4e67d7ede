"""The extended evaluate contract on small in-test pathways (independent of criteria/*.yaml).

Site-restricted labs and conditions, report modalities, laboratory flags, weight loss, more
contacts/prescriptions than before, age and draft-order terms, blocked orders, examinations and
sex/age-bound filter tests, a rule's own filter tests, and receivers by health region. Both sides
of every threshold.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from factories import TODAY, ago, condition, facts, lab, order, report

from cds.criteria.codebook import CodeBook
from cds.criteria.loader import load_lexicon
from cds.criteria.schema import Pathway
from cds.evaluate.engine import evaluate
from cds.evaluate.model import Assessment
from cds.evaluate.receivers import NO_REGION_NOTE, region_of
from cds.facts.model import (
    EncounterFact,
    LabResult,
    MedicationFact,
    PatientFacts,
    ReportFact,
    Sex,
)
from cds.hooks import HookName
from cds.wording import say

CITE = {"file": "x.txt", "section": "Test", "quote": "Test"}
LUMP = ("icpc2", "S04")
BIOPSY = ("snomed", "86273004")


def _analyte(label: str, unit: str | None, code: str) -> dict[str, Any]:
    return {
        "label": label,
        "unit": unit,
        "codes": [{"system": "loinc", "code": code}],
        "source": "t",
    }


CODEBOOK = CodeBook.model_validate(
    {
        "assertion": load_lexicon(Path(__file__).resolve().parents[2] / "criteria"),
        "analytes": {
            "tumour_size": _analyte("Tumorstørrelse", "cm", "21889-1"),
            "weight": _analyte("Vekt", "kg", "29463-7"),
            "potassium": _analyte("Kalium", "mmol/L", "2823-3"),
            "hemoglobin": _analyte("Hemoglobin", "g/dL", "718-7"),
            "psa": _analyte("PSA", "ug/L", "2857-1"),
        },
        "codesets": {
            "lump": {"label": "Kul", "codes": [{"system": "icpc2", "code": "S04"}], "source": "t"},
            "opioids": {
                "label": "Opioider",
                "codes": [{"system": "atc", "code": "N02A"}],
                "source": "t",
            },
            "biopsy": {
                "label": "Biopsi",
                "codes": [{"system": "snomed", "code": "86273004"}],
                "source": "t",
            },
        },
        "regions": {
            "sor_ost": {
                "label": "Helse Sør-Øst",
                "counties": ["oslo", "akershus", "agder"],
                "postal_prefixes": ["0", "1", "2", "3", "4"],
                "source": "t",
            },
            "vest": {
                "label": "Helse Vest",
                "counties": ["vestland", "rogaland"],
                "postal_prefixes": ["40", "41", "42", "43", "5"],
                "source": "t",
            },
            "midt": {
                "label": "Helse Midt-Norge",
                "counties": ["trøndelag", "møre og romsdal"],
                "postal_prefixes": ["6", "7"],
                "source": "t",
            },
            "nord": {
                "label": "Helse Nord",
                "counties": ["nordland", "troms", "finnmark"],
                "postal_prefixes": ["8", "9"],
                "source": "t",
            },
        },
    }
)

FEATURES: dict[str, Any] = {
    "deep_tumour": {
        "label": "Dyp tumor over 5 cm",
        "cite": CITE,
        "sources": [
            {
                "kind": "lab",
                "analyte": "tumour_size",
                "direction": "high",
                "threshold": {"unit": "cm", "value": 5, "source": "t"},
                "use_reference_range": False,
                "window_days": 365,
                "site_patterns": [r"\bdyp", "under fascie"],
                "site_negations": ["subkutan"],
            }
        ],
    },
    "thigh_lump": {
        "label": "Kul i låret",
        "cite": CITE,
        "sources": [
            {
                "kind": "condition",
                "codeset": "lump",
                "window_days": 365,
                "site_patterns": ["lår"],
            }
        ],
    },
    "mr_sarcoma": {
        "label": "MR/histologi: sarkom",
        "cite": CITE,
        "sources": [
            {
                "kind": "text",
                "report_kinds": ["radiology", "pathology"],
                "modalities": ["MR"],
                "patterns": ["sarkom"],
                "window_days": 365,
            }
        ],
    },
    "critical_lab": {
        "label": "Alarmerende laboratorieprøve",
        "cite": CITE,
        "sources": [
            {
                "kind": "lab_flag",
                "analytes": ["potassium", "hemoglobin"],
                "flags": ["HH", "LL"],
                "window_days": 30,
            }
        ],
    },
    "weight_loss": {
        "label": "Vekttap",
        "cite": CITE,
        "sources": [
            {
                "kind": "weight_loss",
                "analyte": "weight",
                "percent": 5,
                "within_days": 180,
                "window_days": 90,
            }
        ],
    },
    "contacts": {
        "label": "Økning i antall kontakter",
        "cite": CITE,
        "sources": [
            {
                "kind": "encounter_increase",
                "recent_days": 90,
                "baseline_days": 365,
                "min_recent": 4,
                "max_baseline": 2,
                "factor": 2,
            }
        ],
    },
    "contacts_rate": {
        "label": "Økning i kontakter (rate)",
        "cite": CITE,
        "sources": [
            {
                "kind": "encounter_increase",
                "recent_days": 90,
                "baseline_days": 365,
                "min_recent": 4,
                "max_baseline": 20,
                "factor": 2,
            }
        ],
    },
    "opioids": {
        "label": "Økt bruk av opioider",
        "cite": CITE,
        "sources": [
            {
                "kind": "medication_increase",
                "codeset": "opioids",
                "recent_days": 90,
                "baseline_days": 365,
                "min_recent": 3,
                "max_baseline": 1,
                "factor": 2,
            }
        ],
    },
}

RECEIVERS = [
    {"name": "OUS", "regions": ["sor_ost"], "kinds": ["bone", "soft_tissue"], "cite": CITE},
    {"name": "Haukeland", "regions": ["vest"], "kinds": ["soft_tissue"], "cite": CITE},
    {"name": "St. Olavs", "regions": ["midt"], "kinds": ["soft_tissue"], "cite": CITE},
    {"name": "UNN", "regions": ["nord"], "cite": CITE},
]


def pathway(
    rules: list[dict[str, Any]],
    *,
    filter_tests: list[dict[str, Any]] | None = None,
    receivers: list[dict[str, Any]] | None = None,
) -> Pathway:
    """A pathway with every test feature, the given rules, filter tests and receivers."""
    return Pathway.model_validate(
        {
            "id": "test",
            "version": "1.0.0",
            "effective": "2026-01-01",
            "title": "Pakkeforløp for testsykdom",
            "code": "X01",
            "registration_codes": [
                {
                    "code": "X01A",
                    "display": "Start",
                    "event": "start",
                    "cite": {
                        "file": "001_886705ff86f0ea9c.txt",
                        "section": "Registrering",
                        "quote": "A04A Start pakkeforløp – henvisning mottatt",
                    },
                }
            ],
            "source": {"label": "Kilde", "url": "https://example.org"},
            "features": FEATURES,
            "rules": rules,
            "filter_tests": filter_tests or [],
            "referral": {
                "label": "Pakkeforløp for testsykdom",
                "label_cite": CITE,
                "performer_type": "Avdeling",
                "performer_cite": CITE,
                "content": [],
                "patient_information": ["Info"],
                "patient_information_cite": CITE,
                "already_referred_days": 60,
            },
            "times": [{"label": "Fra A til B", "time": "7 kalenderdager", "cite": CITE}],
            "receivers": receivers or [],
        }
    )


def rule(
    rule_id: str, when: dict[str, Any], outcome: str = "begrunnet", **extra: Any
) -> dict[str, Any]:
    out: dict[str, Any] = {"id": rule_id, "outcome": outcome, "cite": [CITE], "when": when}
    if outcome in ("advice", "stop_order"):
        out["advice"] = {"indicator": "info", "summary": "Råd", "detail": "Råd."}
    out.update(extra)
    return out


# One pathway whose rules each name one feature: ``hits`` shows what every source found.
FEATURE_PATHWAY = pathway([rule("any", {"any": [{"feature": f} for f in FEATURES]})])


def assess(
    record: PatientFacts, path: Pathway = FEATURE_PATHWAY, hook: HookName = "patient-view"
) -> Assessment:
    return evaluate(path, CODEBOOK, record, hook=hook, today=TODAY)


def person(
    *,
    sex: Sex = "female",
    age: int | None = 60,
    county: str | None = None,
    postal_code: str | None = None,
    encounters: Iterable[EncounterFact] = (),
    medications: Iterable[MedicationFact] = (),
    unavailable: tuple[str, ...] = (),
    **parts: Any,
) -> PatientFacts:
    """``factories.facts`` plus age, address, encounters, medications and unavailable keys."""
    birth = None if age is None else date(TODAY.year - age, 1, 1)
    return replace(
        facts(sex=sex, **parts),
        age_years=age,
        birth_date=birth,
        county=county,
        postal_code=postal_code,
        encounters=tuple(encounters),
        medications=tuple(medications),
        unavailable=unavailable,
    )


def sited(result: LabResult, site: str) -> LabResult:
    return replace(result, site=site)


def texts(assessment: Assessment, feature: str) -> list[str]:
    return [e.text for e in assessment.hits[feature].evidence]


# --- site-restricted sources --------------------------------------------------------------------


def tumour(size: float, site: str, days_ago: int = 10) -> LabResult:
    return sited(lab("tumour_size", size, "cm", days_ago=days_ago), site)


def test_deep_tumour_over_5_cm_counts() -> None:
    assessment = assess(person(labs=[tumour(6.2, "dyp, venstre lår")]))
    assert texts(assessment, "deep_tumour") == [
        "Tumorstørrelse 6,2 cm, dyp, venstre lår (over 5 cm)"
    ]


def test_subcutaneous_tumour_does_not_count() -> None:
    assert "deep_tumour" not in assess(person(labs=[tumour(6.2, "subkutan, venstre lår")])).hits


def test_negation_excludes_even_with_a_matching_pattern() -> None:
    record = person(labs=[tumour(6.2, "dyp og subkutan komponent")])
    assert "deep_tumour" not in assess(record).hits


def test_under_fascia_matches_the_second_pattern() -> None:
    assert "deep_tumour" in assess(person(labs=[tumour(6.2, "lår\nunder fascie")])).hits


def test_tumour_without_site_fails_site_patterns() -> None:
    assert "deep_tumour" not in assess(person(labs=[tumour(6.2, "")])).hits


def test_tumour_at_the_threshold_is_not_over_it() -> None:
    assert "deep_tumour" not in assess(person(labs=[tumour(5.0, "dyp")])).hits
    assert "deep_tumour" in assess(person(labs=[tumour(5.1, "dyp")])).hits


def test_newest_matching_result_decides_not_the_newest_overall() -> None:
    # A superficial lump measured last week must not hide a deep one measured last month.
    record = person(labs=[tumour(2.0, "subkutan", days_ago=3), tumour(6.0, "dyp", days_ago=30)])
    assessment = assess(record)
    assert "deep_tumour" in assessment.hits
    assert assessment.hits["deep_tumour"].evidence[0].when == ago(30)


def test_newest_deep_result_below_threshold_wins_over_older_above() -> None:
    record = person(labs=[tumour(4.0, "dyp", days_ago=3), tumour(6.0, "dyp", days_ago=30)])
    assert "deep_tumour" not in assess(record).hits


def test_condition_site_pattern() -> None:
    in_thigh = replace(condition(LUMP, text="Kul"), site="høyre lår")
    in_arm = replace(condition(LUMP, text="Kul"), site="venstre overarm")
    assert texts(assess(person(conditions=[in_thigh])), "thigh_lump") == [
        "Kul (ICPC-2 S04, høyre lår)"
    ]
    assert "thigh_lump" not in assess(person(conditions=[in_arm])).hits
    assert "thigh_lump" not in assess(person(conditions=[condition(LUMP)])).hits


# --- report modalities --------------------------------------------------------------------------


def imaging(modality: str | None, conclusion: str, *, kind: str = "radiology") -> ReportFact:
    return replace(report(kind, f"{modality or ''} lår".strip(), conclusion), modality=modality)


def test_mr_report_counts_and_ct_does_not() -> None:
    finding = "Funn forenlig med sarkom."
    assert "mr_sarcoma" in assess(person(reports=[imaging("MR", finding)])).hits
    assert "mr_sarcoma" not in assess(person(reports=[imaging("CT", finding)])).hits
    assert "mr_sarcoma" not in assess(person(reports=[imaging(None, finding)])).hits


def test_modalities_do_not_restrict_pathology() -> None:
    histology = imaging(None, "Høygradig sarkom.", kind="pathology")
    assert "mr_sarcoma" in assess(person(reports=[histology])).hits


# --- laboratory flags ---------------------------------------------------------------------------


def test_critical_flag_on_the_newest_result_counts() -> None:
    record = person(labs=[lab("potassium", 6.8, "mmol/L", flags=["HH"])])
    assert texts(assess(record), "critical_lab") == [
        "Kalium 6,80 mmol/L (merket kritisk høy av laboratoriet)"
    ]


def test_plain_high_flag_is_not_critical() -> None:
    record = person(labs=[lab("potassium", 5.3, "mmol/L", flags=["H"])])
    assert "critical_lab" not in assess(record).hits


def test_newer_normal_result_replaces_a_critical_one() -> None:
    record = person(
        labs=[
            lab("potassium", 6.8, "mmol/L", flags=["HH"], days_ago=10),
            lab("potassium", 4.2, "mmol/L", flags=["N"], days_ago=2),
        ]
    )
    assert "critical_lab" not in assess(record).hits


def test_critical_flag_of_another_listed_analyte_counts() -> None:
    record = person(
        labs=[
            lab("potassium", 4.2, "mmol/L", days_ago=2),
            lab("hemoglobin", 6.0, "g/dL", flags=["LL"], days_ago=5),
        ]
    )
    assert texts(assess(record), "critical_lab") == [
        "Hemoglobin 6,0 g/dL (merket kritisk lav av laboratoriet)"
    ]


@pytest.mark.parametrize(("days", "present"), [(30, True), (31, False)])
def test_critical_flag_window(days: int, present: bool) -> None:
    record = person(labs=[lab("potassium", 6.8, "mmol/L", flags=["HH"], days_ago=days)])
    assert ("critical_lab" in assess(record).hits) is present


# --- weight loss --------------------------------------------------------------------------------


def weights(*pairs: tuple[float, int]) -> list[LabResult]:
    return [lab("weight", kg, "kg", days_ago=days) for kg, days in pairs]


def test_weight_loss_of_4_9_percent_is_not_enough() -> None:
    assert "weight_loss" not in assess(person(labs=weights((75, 100), (71.325, 5)))).hits


def test_weight_loss_of_5_0_percent_counts() -> None:
    record = person(labs=weights((75, 100), (71.25, 5)))
    assessment = assess(record)
    evidence = assessment.hits["weight_loss"].evidence
    assert [e.text for e in evidence] == [
        "Vekt 71,25 kg (ned 5 % fra 75 kg 12.08.2026)",
        "Vekt 75 kg (utgangspunkt for vekttapet)",
    ]
    assert [e.when for e in evidence] == [ago(5), ago(100)]
    assert len({e.ref for e in evidence}) == 2


def test_weight_loss_evidence_text() -> None:
    record = person(labs=weights((75, 170), (80, 300), (68, 10)))
    assert texts(assess(record), "weight_loss")[0] == "Vekt 68 kg (ned 9,3 % fra 75 kg 03.06.2026)"


def test_highest_earlier_weight_is_the_baseline() -> None:
    record = person(labs=weights((72, 150), (76, 60), (70, 5)))
    assert texts(assess(record), "weight_loss")[0].startswith("Vekt 70 kg (ned 7,9 % fra 76 kg")


def test_one_weight_is_not_a_loss() -> None:
    assert "weight_loss" not in assess(person(labs=weights((60, 5)))).hits


def test_baseline_older_than_within_days_does_not_count() -> None:
    # within_days 180 before the newest weighing (5 days ago): 185 days ago counts, 186 does not.
    assert "weight_loss" in assess(person(labs=weights((80, 185), (70, 5)))).hits
    assert "weight_loss" not in assess(person(labs=weights((80, 186), (70, 5)))).hits


def test_newest_weight_must_be_within_the_window() -> None:
    assert "weight_loss" in assess(person(labs=weights((80, 150), (70, 90)))).hits
    assert "weight_loss" not in assess(person(labs=weights((80, 150), (70, 91)))).hits


def test_two_weighings_on_one_day_are_not_a_loss() -> None:
    assert "weight_loss" not in assess(person(labs=weights((80, 5), (70, 5)))).hits


# --- usage increase -----------------------------------------------------------------------------


def visits(*days_ago: int, status: str = "finished") -> list[EncounterFact]:
    return [
        EncounterFact(ref=f"Encounter/e{i}-{d}", when=ago(d), status=status, klass="AMB")
        for i, d in enumerate(days_ago)
    ]


RECENT_3 = (5, 20, 40)
RECENT_4 = (5, 20, 40, 60)


def test_contacts_one_below_min_recent_do_not_count() -> None:
    assert "contacts" not in assess(person(encounters=visits(*RECENT_3))).hits


def test_contacts_at_min_recent_count() -> None:
    assessment = assess(person(encounters=visits(*RECENT_4)))
    [evidence] = assessment.hits["contacts"].evidence
    assert evidence.text == "4 kontakter siste 90 dager mot 0 i året før"
    assert (evidence.ref, evidence.when) == ("Encounter/e0-5", ago(5))


def test_contacts_with_baseline_at_max_baseline_count() -> None:
    record = person(encounters=visits(*RECENT_4, 200, 300))
    assert texts(assess(record), "contacts") == ["4 kontakter siste 90 dager mot 2 i året før"]


def test_contacts_with_baseline_above_max_baseline_do_not_count() -> None:
    record = person(encounters=visits(*RECENT_4, 200, 300, 400))
    assert "contacts" not in assess(record).hits


def test_recent_rate_against_factor_times_baseline_rate() -> None:
    # 4 in 90 days = 0.0444/day; 8 in 365 days × 2 = 0.0438/day (counts), 9 × 2 = 0.0493 (not).
    baseline8 = tuple(100 + 30 * i for i in range(8))
    assert "contacts_rate" in assess(person(encounters=visits(*RECENT_4, *baseline8))).hits
    baseline9 = tuple(100 + 30 * i for i in range(9))
    assert "contacts_rate" not in assess(person(encounters=visits(*RECENT_4, *baseline9))).hits


def test_window_edges() -> None:
    # Recent is (today − 90, today], baseline (today − 455, today − 90]; the future is neither.
    assert "contacts" not in assess(person(encounters=visits(5, 20, 40, 90))).hits
    assert "contacts" not in assess(person(encounters=visits(*RECENT_3, -3))).hits
    record = person(encounters=visits(*RECENT_4, 90, 91, 455, 456))
    assert texts(assess(record), "contacts") == ["4 kontakter siste 90 dager mot 2 i året før"]
    assert "contacts" not in assess(person(encounters=visits(*RECENT_4, 90, 91, 454))).hits


def test_contacts_on_one_day_count_once_and_planned_not_at_all() -> None:
    same_day = visits(5, 5, 20, 40)
    assert "contacts" not in assess(person(encounters=same_day)).hits
    planned = visits(*RECENT_3) + visits(60, status="planned")
    assert "contacts" not in assess(person(encounters=planned)).hits


def test_unavailable_encounters_are_not_assessed_and_noted() -> None:
    assessment = assess(person(encounters=(), unavailable=("encounters",)))
    assert "contacts" not in assessment.hits
    assert any("Encounter" in say(note) for note in assessment.notes)


def prescriptions(atc: str, *days_ago: int) -> list[MedicationFact]:
    return [
        MedicationFact(
            ref=f"MedicationRequest/{atc}-{d}",
            name="Oksykodon",
            codes=frozenset({("atc", atc)}),
            when=ago(d),
            active=False,
        )
        for d in days_ago
    ]


def test_more_opioid_prescriptions_count_by_atc_prefix() -> None:
    record = person(medications=prescriptions("N02AA05", 10, 40, 70))
    assert texts(assess(record), "opioids") == [
        "Opioider: 3 forskrivninger siste 90 dager mot 0 i året før"
    ]
    assert "opioids" not in assess(person(medications=prescriptions("N02AA05", 10, 40))).hits


def test_other_medicines_are_not_counted() -> None:
    record = person(medications=prescriptions("N02BE01", 10, 40, 70))
    assert "opioids" not in assess(record).hits


def test_opioid_baseline_above_max_baseline() -> None:
    at_max = prescriptions("N02AA05", 10, 40, 70, 200)
    assert "opioids" in assess(person(medications=at_max)).hits
    above = prescriptions("N02AA05", 10, 40, 70, 200, 300)
    assert "opioids" not in assess(person(medications=above)).hits


def test_unavailable_medications_are_not_assessed() -> None:
    record = person(
        medications=prescriptions("N02AA05", 10, 40, 70), unavailable=("medicationRequests",)
    )
    assessment = assess(record)
    assert "opioids" not in assessment.hits
    assert any("Legemiddellisten" in say(note) for note in assessment.notes)


# --- age and draft-order terms ------------------------------------------------------------------

CHILD = pathway(
    [
        rule("child", {"age_below": 18}, "advice"),
        rule("adult", {"age_at_least": 18}, "not_met"),
    ]
)


@pytest.mark.parametrize(("age", "expected"), [(17, "child"), (18, "adult"), (None, None)])
def test_age_terms(age: int | None, expected: str | None) -> None:
    assert assess(person(age=age), CHILD).rule == expected


STOP = pathway(
    [
        rule(
            "stop",
            {
                "all": [
                    {"feature": "deep_tumour"},
                    {"draft_order": {"patterns": ["biopsi", "eksisjon"], "codeset": "biopsy"}},
                ]
            },
            "stop_order",
        ),
        rule("refer", {"feature": "deep_tumour"}),
        rule(
            "no_biopsy",
            {"all": [{"feature": "thigh_lump"}, {"not": {"draft_order": {"patterns": ["rtg"]}}}]},
            "mistanke",
        ),
    ]
)
DEEP = [tumour(7.0, "dyp")]


def test_biopsy_draft_with_a_deep_tumour_is_stopped() -> None:
    biopsy = order("Biopsi av kul i lår", is_referral=False, status="draft")
    other = order("Rtg thorax", is_referral=False, status="draft")
    assessment = assess(person(labs=DEEP, drafts=[other, biopsy]), STOP, "order-select")
    assert (assessment.outcome, assessment.rule) == ("stop_order", "stop")
    assert assessment.blocked_orders == (biopsy.ref,)


def test_draft_matched_by_code() -> None:
    coded = replace(order("Prosedyre", is_referral=False), codes=frozenset({BIOPSY}))
    assessment = assess(person(labs=DEEP, drafts=[coded]), STOP, "order-sign")
    assert assessment.blocked_orders == (coded.ref,)


def test_unrelated_draft_is_not_stopped() -> None:
    other = order("Rtg thorax", is_referral=False)
    assessment = assess(person(labs=DEEP, drafts=[other]), STOP, "order-select")
    assert (assessment.rule, assessment.blocked_orders) == ("refer", ())


def test_draft_under_not_is_never_blocked() -> None:
    lump = replace(condition(LUMP), site="lår")
    assessment = assess(person(conditions=[lump], drafts=[order("MR lår")]), STOP, "order-select")
    assert (assessment.rule, assessment.blocked_orders) == ("no_biopsy", ())
    rtg = order("Rtg lår", is_referral=False)
    assert assess(person(conditions=[lump], drafts=[rtg]), STOP, "order-select").rule is None


STOP_THEN = pathway(
    [
        rule(
            "stop",
            {
                "all": [
                    {"any": [{"feature": "deep_tumour"}, {"feature": "thigh_lump"}]},
                    {"draft_order": {"patterns": ["biopsi"]}},
                ]
            },
            "stop_order",
        ),
        rule("refer", {"feature": "deep_tumour"}),
        rule("examine", {"all": [{"feature": "thigh_lump"}, {"age_at_least": 18}]}, "mistanke"),
    ]
)


@pytest.mark.parametrize(
    ("labs", "age", "expected"),
    [
        (DEEP, 60, "begrunnet"),  # the referral criterion holds beneath the stop
        ((), 60, "mistanke"),  # only the examination stage
        ((), 17, None),  # nothing else holds
    ],
)
def test_stop_order_records_what_the_other_rules_conclude(
    labs: tuple[LabResult, ...], age: int, expected: str | None
) -> None:
    lump = replace(condition(LUMP), site="lår")
    biopsy = order("Biopsi av kul i lår", is_referral=False, status="draft")
    record = person(age=age, labs=labs, conditions=[lump], drafts=[biopsy])
    assessment = assess(record, STOP_THEN, "order-select")
    assert (assessment.outcome, assessment.stop_then) == ("stop_order", expected)
    by_outcome = {"begrunnet": "refer", "mistanke": "examine", None: None}
    assert assessment.stop_then_rule == by_outcome[expected]
    assert assessment.blocked_orders == (biopsy.ref,)


def test_other_outcomes_carry_no_stop_then() -> None:
    assessment = assess(person(labs=DEEP), STOP_THEN, "order-select")
    assert (assessment.outcome, assessment.stop_then) == ("begrunnet", None)


# --- filter tests -------------------------------------------------------------------------------

PSA = {
    "id": "psa",
    "label": "PSA",
    "analytes": ["psa"],
    "max_age_days": 90,
    "trigger": True,
    "sex": "male",
    "min_age": 51,
    "cite": CITE,
}
MR = {
    "id": "mr",
    "label": "MR av kulen",
    "report_kinds": ["radiology"],
    "modalities": ["MR"],
    "max_age_days": 60,
    "trigger": True,
    "order": {"system": "snomed", "code": "113091000"},
    "order_category": "imaging",
    "cite": CITE,
}
HB = {"id": "hb", "label": "Hb", "analytes": ["hemoglobin"], "max_age_days": 90, "cite": CITE}
UL = {
    "id": "ul",
    "label": "Ultralyd",
    "report_kinds": ["radiology"],
    "modalities": ["UL"],
    "max_age_days": 60,
    "cite": CITE,
}
FILTERS = pathway(
    [
        rule("mr_missing", {"flag": "filter_tests_incomplete"}, "mistanke", filter_tests=["mr"]),
        rule("ul_missing", {"flag": "filter_tests_incomplete"}, "mistanke", filter_tests=["ul"]),
        rule("any_missing", {"flag": "filter_tests_incomplete"}, "mistanke"),
    ],
    filter_tests=[PSA, MR, HB, UL],
)
ALL_TAKEN = {
    "labs": [lab("hemoglobin", 14, "g/dL"), lab("psa", 1.0, "ug/L")],
    "reports": [imaging("MR", "Lipom.", kind="radiology"), imaging("UL", "Lipom.")],
}


def listed(assessment: Assessment) -> list[str]:
    return [t.test for t in assessment.filter_tests]


@pytest.mark.parametrize(
    ("sex", "age", "shown"),
    [
        ("male", 50, False),
        ("male", 51, True),
        ("female", 70, False),
        ("unknown", 70, False),
        ("male", None, False),
    ],
)
def test_psa_only_for_men_over_50(sex: Sex, age: int | None, shown: bool) -> None:
    assessment = assess(person(sex=sex, age=age, reports=ALL_TAKEN["reports"]), FILTERS)
    assert assessment.rule == ("any_missing" if shown else None)
    assert ("psa" in listed(assessment)) is shown


def test_mr_30_days_old_satisfies_the_imaging_filter_test() -> None:
    record = person(reports=[replace(imaging("MR", "Lipom."), when=ago(30)), imaging("UL", "")])
    assessment = assess(record, FILTERS)
    assert assessment.rule is None
    assert listed(assessment) == ["mr", "hb", "ul"]  # PSA is for men
    assert (assessment.filter_tests[0].state, assessment.filter_tests[0].last) == ("ok", ago(30))


def test_ct_does_not_satisfy_the_mr_filter_test() -> None:
    record = person(reports=[replace(imaging("CT", "Lipom."), when=ago(30))])
    assessment = assess(record, FILTERS)
    assert (assessment.rule, listed(assessment)) == ("mr_missing", ["mr"])
    assert assessment.filter_tests[0].state == "missing"


def test_old_mr_is_stale() -> None:
    record = person(reports=[replace(imaging("MR", "Lipom."), when=ago(61))])
    assessment = assess(record, FILTERS)
    assert assessment.rule == "mr_missing"
    assert assessment.filter_tests[0].state == "stale"


def test_rule_flag_considers_only_its_listed_tests() -> None:
    # Hb and PSA missing, MR and ultrasound taken: the MR/UL rules stay silent.
    assessment = assess(person(sex="male", age=70, reports=ALL_TAKEN["reports"]), FILTERS)
    assert assessment.rule == "any_missing"
    assert listed(assessment) == ["psa", "mr", "hb", "ul"]


def test_listed_non_trigger_test_counts_when_missing() -> None:
    record = person(labs=ALL_TAKEN["labs"], reports=[imaging("MR", "Lipom.")])
    assessment = assess(record, FILTERS)
    assert (assessment.rule, listed(assessment)) == ("ul_missing", ["ul"])


def test_pathway_flag_counts_only_trigger_tests() -> None:
    # The ultrasound (not a trigger) is missing but no rule lists it here.
    only_any = pathway(
        [rule("any_missing", {"flag": "filter_tests_incomplete"}, "mistanke")],
        filter_tests=[MR, UL],
    )
    record = person(reports=[imaging("MR", "Lipom.")])
    assessment = assess(record, only_any)
    assert assessment.rule is None
    assert listed(assessment) == ["mr", "ul"]


# --- receivers and regions ----------------------------------------------------------------------

SARCOMA = pathway(
    [
        rule("bone", {"feature": "mr_sarcoma"}, receiver_kind="bone"),
        rule("soft", {"feature": "deep_tumour"}, receiver_kind="soft_tissue"),
        rule("any", {"feature": "thigh_lump"}),
        rule("suspicion", {"feature": "critical_lab"}, "mistanke"),
    ],
    receivers=RECEIVERS,
)


def soft_tissue(**address: Any) -> Assessment:
    return assess(person(labs=DEEP, **address), SARCOMA)


def test_region_by_county_puts_its_centre_first() -> None:
    assessment = soft_tissue(county="Vestland fylke", postal_code="0150")
    assert assessment.region == "Helse Vest"
    assert assessment.receivers == ("Haukeland", "OUS", "St. Olavs", "UNN")
    assert NO_REGION_NOTE not in assessment.notes


def test_region_by_postal_prefix_longest_wins() -> None:
    assert soft_tissue(postal_code="4010").region == "Helse Vest"  # 40 beats 4
    assert soft_tissue(postal_code="4630").region == "Helse Sør-Øst"
    assessment = soft_tissue(postal_code="7030")
    assert assessment.region == "Helse Midt-Norge"
    assert assessment.receivers[0] == "St. Olavs"


def test_unknown_county_falls_back_to_the_postal_code() -> None:
    assert soft_tissue(county="Viken", postal_code="0150").region == "Helse Sør-Øst"


def test_unknown_region_keeps_file_order_and_asks() -> None:
    assessment = soft_tissue()
    assert assessment.region is None
    assert assessment.receivers == ("OUS", "Haukeland", "St. Olavs", "UNN")
    assert NO_REGION_NOTE in assessment.notes


def test_receiver_kind_selects_receivers() -> None:
    assessment = assess(person(reports=[imaging("MR", "Sarkom.")], county="Troms"), SARCOMA)
    assert (assessment.rule, assessment.region) == ("bone", "Helse Nord")
    assert assessment.receivers == ("UNN", "OUS")


def test_rule_without_kind_takes_every_receiver() -> None:
    lump = replace(condition(LUMP), site="lår")
    assessment = assess(person(conditions=[lump], county="Oslo"), SARCOMA)
    assert assessment.receivers == ("OUS", "Haukeland", "St. Olavs", "UNN")


def test_no_receivers_for_a_mistanke_rule() -> None:
    record = person(labs=[lab("potassium", 6.8, "mmol/L", flags=["HH"])])
    assessment = assess(record, SARCOMA)
    assert (assessment.rule, assessment.receivers, assessment.region) == ("suspicion", (), None)
    assert NO_REGION_NOTE not in assessment.notes


@pytest.mark.parametrize(
    ("county", "postal", "expected"),
    [
        ("Troms - Romsa - Tromssa", None, "nord"),
        ("TRØNDELAG", None, "midt"),
        ("Møre og Romsdal fylke", None, "midt"),
        (None, "9008", "nord"),
        (None, " 50 03 ", "vest"),
        (None, None, None),
        ("Utlandet", "SE-123", None),
    ],
)
def test_region_of(county: str | None, postal: str | None, expected: str | None) -> None:
    assert region_of(CODEBOOK, county, postal) == expected


@pytest.mark.parametrize(("shown", "expected"), [(True, ["mr", "hb", "ul"]), (False, [])])
def test_a_rule_may_list_no_filter_tests(shown: bool, expected: list[str]) -> None:
    quiet = pathway(
        [rule("warn", {"feature": "thigh_lump"}, "unsupported_referral", show_filter_tests=shown)],
        filter_tests=[PSA, MR, HB, UL],
    )
    lump = replace(condition(LUMP), site="lår")
    assessment = assess(person(conditions=[lump]), quiet)
    assert assessment.rule == "warn"
    assert listed(assessment) == expected
