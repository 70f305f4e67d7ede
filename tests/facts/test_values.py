"""Value sanitising: what cannot be used is kept with its reason, never an exception.

``cds.facts.numbers`` on its own, then through extraction: valueQuantity, valueInteger,
components, reference ranges, age bands and sample dates (year 0, 9999, unparsable).
"""

from __future__ import annotations

import math
from datetime import date
from typing import Any

import pytest
from facts_fhir import NLK, coding, notes_worded, observation, worded

from cds.criteria.codebook import CodeBook
from cds.facts.extract import extract_facts
from cds.facts.model import LabResult, PatientFacts, Quantity
from cds.facts.numbers import MAX_DIGITS, PLAUSIBLE_LIMIT, read_number, to_number
from cds.record.model import Record
from cds.wording import say

TODAY = date(2026, 3, 15)
HB = [coding(NLK, "NOR05172", "B-Hemoglobin")]
TUMOUR = [coding("http://loinc.org", "33728-7", "Size.maximum dimension in Tumor")]


def _facts(codebook: CodeBook, *observations: dict[str, Any]) -> PatientFacts:
    record = Record(patient=None, resources={"Observation": list(observations)})
    return extract_facts(record, codebook, today=TODAY, context={"patientId": "p1"})


def _hb(codebook: CodeBook, value: object, unit: str = "g/dL") -> tuple[LabResult, PatientFacts]:
    obs = observation("o1", HB, value=0, unit=unit)
    obs["valueQuantity"]["value"] = value
    facts = _facts(codebook, obs)
    result = facts.latest("hemoglobin")
    assert result is not None
    return result, facts


# --- the reader on its own ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "number"),
    [
        (11.8, 11.8),
        (12, 12.0),
        ("12.5", 12.5),
        (" -0.5 ", -0.5),
        ("1.15e1", 11.5),
        (1e-320, 1e-320),  # tiny, not absurd
        (10**30, 1e30),  # one significant digit: absurd, but decided after unit conversion
        (0.30000000000000004, 0.3),  # the sender's binary noise, rounded away
        (12.299999999999999, 12.3),
        ("12.3000000000000000000", 12.3),  # trailing zeros are not precision
        (None, None),
    ],
)
def test_numbers_that_can_be_read(raw: object, number: float | None) -> None:
    assert read_number(raw) == (number, None)


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (math.inf, "verdien «inf» er ikke et endelig tall"),
        (-math.inf, "verdien «-inf» er ikke et endelig tall"),
        (math.nan, "verdien «nan» er ikke et endelig tall"),
        ("1e999", "verdien «1e999» er ikke et endelig tall"),
        ("-1e400", "verdien «-1e400» er ikke et endelig tall"),
        (10**400, "verdien «1000000000000000000…» er ikke et endelig tall"),  # beyond a float
        (
            123456789012345678901234567890,
            "verdien «1234567890123456789…» har flere enn 15 gjeldende sifre",
        ),
        (
            0.123456789012345678901,
            "verdien «0.12345678901234568» har flere enn 15 gjeldende sifre",
        ),
        ("0.1234567890123456", "verdien «0.1234567890123456» har flere enn 15 gjeldende sifre"),
        ("NaN", "verdien «NaN» er ikke et tall"),
        ("Infinity", "verdien «Infinity» er ikke et tall"),
        ("12,5", "verdien «12,5» er ikke et tall"),
        (True, "verdien «true» er ikke et tall"),
        ([1], "verdien «[1]» er ikke et tall"),
    ],
)
def test_numbers_that_cannot_be_used_give_a_reason(raw: object, reason: str) -> None:
    number, problem = read_number(raw)
    assert number is None and problem is not None and say(problem) == reason
    assert to_number(raw) is None


def test_fifteen_significant_digits_are_still_a_number() -> None:
    fifteen = "1." + "2" * (MAX_DIGITS - 1)
    assert read_number(fifteen) == (float(fifteen), None)
    assert read_number(fifteen + "3")[0] is None


# --- through extraction -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "words"),
    [
        (1e308, "urimelig stor"),
        (-1e308, "urimelig stor"),
        (10**30, "urimelig stor"),
        (-(10**30), "urimelig stor"),
        (123456789012345678901234567890, "flere enn 15 gjeldende sifre"),
        (0.123456789012345678901, "flere enn 15 gjeldende sifre"),
        (math.inf, "ikke et endelig tall"),
        ("1e999", "ikke et endelig tall"),
        ("NaN", "ikke et tall"),
        ("Infinity", "ikke et tall"),
    ],
)
def test_an_unusable_value_is_kept_with_its_reason_and_noted(
    codebook: CodeBook, raw: object, words: str
) -> None:
    result, facts = _hb(codebook, raw)
    assert result.value is None
    text = worded(result.unit_problem)
    assert words in text and text.endswith(" – verdien er ikke brukt")
    assert notes_worded(facts) == (f"Hemoglobin 01.03.2026: {text}",)


def test_the_plausibility_bound_applies_after_unit_conversion(codebook: CodeBook) -> None:
    # 1e6 g/L is 1e5 g/dL: within the bound in the analyte's unit (g/dL).
    result, _ = _hb(codebook, PLAUSIBLE_LIMIT, unit="g/L")
    assert result.value == Quantity(1e5, "g/dL")
    result, _ = _hb(codebook, PLAUSIBLE_LIMIT * 10.5, unit="g/L")
    assert result.value is None and "urimelig stor" in worded(result.unit_problem)


def test_value_integer_that_cannot_be_used_is_noted(codebook: CodeBook) -> None:
    obs = observation("o1", HB)
    obs["valueInteger"] = 123456789012345678901234567890
    facts = _facts(codebook, obs)
    result = facts.latest("hemoglobin")
    assert result is not None and result.value is None
    assert "flere enn 15 gjeldende sifre" in worded(result.unit_problem)
    assert len(facts.notes) == 1


def test_an_absurd_component_value_is_unusable(codebook: CodeBook) -> None:
    obs = observation("size1", [coding("http://loinc.org", "21889-1", "Size Tumor")])
    obs["component"] = [
        {"code": {"coding": TUMOUR}, "valueQuantity": {"value": 1e308, "unit": "mm"}}
    ]
    result = _facts(codebook, obs).latest("tumour_size")
    assert result is not None and result.value is None
    assert "urimelig stor" in worded(result.unit_problem)


@pytest.mark.parametrize("bound", [1e308, 10**30, "NaN", 123456789012345678901234567890])
def test_an_unusable_reference_bound_is_dropped(codebook: CodeBook, bound: object) -> None:
    obs = observation("o1", HB, value=11.0, unit="g/dL")
    obs["referenceRange"] = [{"low": {"value": bound}, "high": {"value": 15.3}}]
    result = _facts(codebook, obs).latest("hemoglobin")
    assert result is not None and result.value == Quantity(11.0, "g/dL")
    assert result.ref_low is None and result.ref_high == Quantity(15.3, "g/dL")


def test_an_absurd_age_band_does_not_raise(codebook: CodeBook) -> None:
    obs = observation("o1", HB, value=11.0, unit="g/dL")
    obs["referenceRange"] = [
        {"low": {"value": 11.7}, "age": {"low": {"value": 10**400}, "high": {"value": "NaN"}}}
    ]
    assert _facts(codebook, obs).latest("hemoglobin") is not None


@pytest.mark.parametrize(
    ("when", "words"),
    [
        ("0000-01-01", "prøvedatoen «0000-01-01» kan ikke leses"),
        ("2026-13-45", "prøvedatoen «2026-13-45» kan ikke leses"),
        ("i går", "prøvedatoen «i går» kan ikke leses"),
        ("9999-12-31", "prøvedatoen 31.12.9999 ligger fram i tid"),
        ("2026-03-17", "prøvedatoen 17.03.2026 ligger fram i tid"),  # two days ahead
    ],
)
def test_an_unusable_sample_date_is_kept_with_its_reason(
    codebook: CodeBook, when: str, words: str
) -> None:
    facts = _facts(codebook, observation("o1", HB, value=11.0, unit="g/dL", when=when))
    result = facts.latest("hemoglobin")
    assert result is not None and result.when is None
    assert result.value == Quantity(11.0, "g/dL")  # kept for display
    assert worded(result.unit_problem) == f"{words} – verdien er ikke brukt"
    assert notes_worded(facts) == (f"Hemoglobin udatert: {words} – verdien er ikke brukt",)


def test_tomorrow_is_clock_skew_not_the_future(codebook: CodeBook) -> None:
    facts = _facts(codebook, observation("o1", HB, value=11.0, unit="g/dL", when="2026-03-16"))
    result = facts.latest("hemoglobin")
    assert result is not None and result.when == date(2026, 3, 16)
    assert result.unit_problem is None


def test_no_date_at_all_is_undated_not_a_problem(codebook: CodeBook) -> None:
    result = _facts(codebook, observation("o1", HB, value=11.0, unit="g/dL", when=None)).latest(
        "hemoglobin"
    )
    assert result is not None and result.when is None and result.unit_problem is None
