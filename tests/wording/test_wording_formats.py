"""The shared formatters: one spelling of numbers, units, ranges, dates and codes."""

from __future__ import annotations

from datetime import date

import pytest

from cds.wording import formats as fmt


@pytest.mark.parametrize(
    ("value", "unit", "text"),
    [
        (10.9, "g/dL", "10,9"),
        (12.0, "g/dL", "12,0"),
        (2.6, "mmol/L", "2,60"),
        (4.0, None, "4"),
        (2.4564, None, "2,456"),
        (-0.0001, None, "0"),
    ],
)
def test_numbers_have_a_decimal_comma_and_the_units_decimals(
    value: float, unit: str | None, text: str
) -> None:
    assert fmt.number(value, unit) == text


def test_quantities_print_units_as_labs_do() -> None:
    assert fmt.quantity(78, "umol/L") == "78 µmol/L"
    assert fmt.quantity(38, "mL/min/{1.73_m2}") == "38 mL/min/1,73 m²"
    assert fmt.quantity(3, "1") == "3"
    assert fmt.quantity(4, "{score}") == "4"


def test_ranges_are_inclusive_on_both_sides() -> None:
    assert fmt.ref_range(11.7, 15.3, "g/dL") == "ref. 11,7–15,3"
    assert fmt.ref_range(13.4, 17.0, "g/dL") == "ref. 13,4–17,0"
    assert fmt.ref_range(60, None) == "ref. ≥ 60"
    assert fmt.ref_range(None, 4) == "ref. ≤ 4"
    assert fmt.ref_range(None, None) == ""


def test_dates_and_codes() -> None:
    assert fmt.day(date(2026, 1, 5)) == "05.01.2026"
    assert fmt.day(None) == "udatert"
    assert fmt.code(("icd10", "D649")) == "ICD-10 D64.9"
    assert fmt.code(("icpc2", "B82")) == "ICPC-2 B82"


def test_text_is_cut_between_words() -> None:
    assert fmt.cut_words("en to tre fire", 9) == "en to…"
    assert fmt.one_line("a\n  b") == "a b"
    assert fmt.join_no(["a", "b", "c"]) == "a, b og c"
    assert fmt.lower_first("Anemi") == "anemi"
    assert fmt.lower_first("IgG") == "IgG"
