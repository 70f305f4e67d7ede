"""The one definition of which filter tests apply (``referral_state.applies``), both sides.

A test for one sex (PSA: men) or from ``min_age`` (PSA: over 50, ``min_age: 51``) applies only when
the record shows the patient meets it; unknown or «other» sex and unknown age leave it out, and the
render stage orders exactly the tests evaluate lists (``CardDecision.missing_tests``).
"""

from __future__ import annotations

from datetime import date

import pytest

from cds.criteria.base import Citation
from cds.criteria.schema import FilterTest
from cds.evaluate.referral_state import applies
from cds.facts.model import PatientFacts

PSA = FilterTest(
    id="psa",
    label="PSA",
    analytes=("psa",),
    max_age_days=90,
    sex="male",
    min_age=51,
    cite=Citation(file="002_4ffeb5e25cae056f.txt", section="s", quote="PSA (menn over 50 år)"),
)
ANY = PSA.model_copy(update={"sex": None, "min_age": None})


def _facts(sex: str, age: int | None) -> PatientFacts:
    return PatientFacts(
        patient_ref="Patient/1",
        today=date(2026, 12, 3),
        sex=sex,  # type: ignore[arg-type]
        birth_date=None,
        age_years=age,
    )


@pytest.mark.parametrize(
    ("sex", "age", "expected"),
    [
        ("male", 51, True),  # at the threshold
        ("male", 80, True),
        ("male", 50, False),  # one year below
        ("female", 60, False),  # the other sex
        ("unknown", 60, False),  # unknown sex: not shown to be indicated
        ("other", 60, False),
        ("male", None, False),  # unknown age: not shown to be indicated
        ("unknown", None, False),
    ],
)
def test_sex_and_age_limited_test(sex: str, age: int | None, expected: bool) -> None:
    assert applies(PSA, _facts(sex, age)) is expected


@pytest.mark.parametrize(("sex", "age"), [("unknown", None), ("female", 20), ("male", 90)])
def test_unrestricted_test_always_applies(sex: str, age: int | None) -> None:
    assert applies(ANY, _facts(sex, age)) is True
