"""Unit spellings, conversions both ways, and refusing to guess."""

from __future__ import annotations

import pytest

from cds.criteria.codesystems import CANONICAL_UNITS
from cds.facts.model import Quantity
from cds.facts.units import convert, normalise_unit, to_canonical
from cds.wording import msg, say

HB_MOLAR_MASS = 16114
CREATININE_MOLAR_MASS = 113.12
CALCIUM_MOLAR_MASS = 40.08


@pytest.mark.parametrize(
    ("spelling", "canonical"),
    [
        ("g/dL", "g/dL"),
        ("g/dl", "g/dL"),
        ("G/DL", "g/dL"),
        ("g/L", "g/L"),
        ("g/l", "g/L"),
        ("mmol/L", "mmol/L"),
        ("mmol/l", "mmol/L"),
        ("MMOL/L", "mmol/L"),
        ("µmol/L", "umol/L"),  # micro sign U+00B5
        ("μmol/L", "umol/L"),  # Greek mu U+03BC
        ("umol/L", "umol/L"),
        ("umol/l", "umol/L"),
        ("mg/dL", "mg/dL"),
        ("mg/dl", "mg/dL"),
        ("mg/L", "mg/L"),
        ("mL/min/{1.73_m2}", "mL/min/{1.73_m2}"),
        ("mL/min/1,73m2", "mL/min/{1.73_m2}"),
        ("ml/min/1.73m2", "mL/min/{1.73_m2}"),
        ("mL/min/1.73 m²", "mL/min/{1.73_m2}"),
        ("mL/min/1,73 m2", "mL/min/{1.73_m2}"),
        ("mL/min/1.73m^2", "mL/min/{1.73_m2}"),
        ("cm", "cm"),
        ("mm", "mm"),
        ("kg", "kg"),
        ("g", "g"),
        ("%", "%"),
        ("mmol/mol", "mmol/mol"),
        ("10*9/L", "10*9/L"),
        ("10^9/L", "10*9/L"),
        ("10E9/L", "10*9/L"),
        ("x10^9/L", "10*9/L"),
        ("×10⁹/L", "10*9/L"),
        ("mIU/L", "mU/L"),
        ("°C", "Cel"),
        ("  g/dL ", "g/dL"),
    ],
)
def test_spellings_normalise_to_canonical(spelling: str, canonical: str) -> None:
    assert normalise_unit(spelling) == canonical
    assert canonical in CANONICAL_UNITS


@pytest.mark.parametrize("spelling", ["xyz", "", "   ", "G/L", "T/L", "g/dL/s", "mol", "mM"])
def test_unknown_or_ambiguous_spellings_are_refused(spelling: str) -> None:
    assert normalise_unit(spelling) is None


@pytest.mark.parametrize("value", [None, 5, ["g/L"], {"unit": "g/L"}])
def test_non_strings_are_not_units(value: object) -> None:
    assert normalise_unit(value) is None


def test_canonical_units_named_in_the_brief_exist() -> None:
    expected = {
        "g/dL",
        "g/L",
        "mmol/L",
        "umol/L",
        "mg/dL",
        "mL/min/{1.73_m2}",
        "cm",
        "mm",
        "kg",
        "mg/L",
        "mmol/mol",
        "%",
        "10*9/L",
    }
    assert expected <= CANONICAL_UNITS
    for unit in CANONICAL_UNITS:
        assert normalise_unit(unit) == unit


@pytest.mark.parametrize(
    ("value", "unit", "target", "molar_mass", "expected"),
    [
        (12.0, "g/dL", "g/L", None, 120.0),
        (120.0, "g/L", "g/dL", None, 12.0),
        (12.0, "g/dl", "g/dL", None, 12.0),
        # Hb: 1 mmol/L (Fe) ≈ 1.611 g/dL
        (1.0, "mmol/L", "g/dL", HB_MOLAR_MASS, 1.6114),
        (16.114, "g/dL", "mmol/L", HB_MOLAR_MASS, 10.0),
        # creatinine: mg/dL × 88.4 -> µmol/L
        (2.0, "mg/dL", "umol/L", CREATININE_MOLAR_MASS, 176.803394625),
        (176.803394625, "µmol/L", "mg/dL", CREATININE_MOLAR_MASS, 2.0),
        # calcium: mg/dL × 0.2495 -> mmol/L
        (10.0, "mg/dL", "mmol/L", CALCIUM_MOLAR_MASS, 2.49500998004),
        (2.495, "mmol/l", "mg/dL", CALCIUM_MOLAR_MASS, 9.99996),
        (25.0, "mm", "cm", None, 2.5),
        (2.5, "cm", "mm", None, 25.0),
        (70.0, "kg", "g", None, 70000.0),
        (500.0, "g", "kg", None, 0.5),
        (45.0, "mL/min/1,73m2", "mL/min/{1.73_m2}", None, 45.0),
        (4.0, "10^9/L", "10*9/L", None, 4.0),
    ],
)
def test_conversions(
    value: float, unit: str, target: str, molar_mass: float | None, expected: float
) -> None:
    result = convert(value, unit, target, molar_mass)
    assert result is not None
    assert result == pytest.approx(expected, rel=1e-9)


def test_round_trip_has_no_binary_noise() -> None:
    there = convert(12.3, "g/dL", "g/L")
    assert there == 123.0
    assert convert(there, "g/L", "g/dL") == 12.3


@pytest.mark.parametrize(
    ("unit", "target", "molar_mass"),
    [
        ("mg/dL", "umol/L", None),  # mass -> substance needs a molar mass
        ("mg/dL", "umol/L", 0.0),
        ("%", "mmol/mol", None),  # HbA1c NGSP vs IFCC: different scales
        ("mL/min", "mL/min/{1.73_m2}", None),  # clearance is not eGFR
        ("cm", "kg", None),
        ("xyz", "g/L", None),
        ("g/L", "xyz", None),
    ],
)
def test_impossible_conversions_give_none(unit: str, target: str, molar_mass: float | None) -> None:
    assert convert(1.0, unit, target, molar_mass) is None


def test_to_canonical_converts_to_the_target() -> None:
    assert to_canonical(120.0, "g/L", "g/dL") == (Quantity(12.0, "g/dL"), None)


def test_to_canonical_keeps_own_unit_without_target() -> None:
    assert to_canonical(4.0, "g/l", None) == (Quantity(4.0, "g/L"), None)


def test_to_canonical_refuses_unknown_unit_in_norwegian() -> None:
    quantity, problem = to_canonical(12.0, "xyz", "g/dL")
    assert quantity is None
    assert problem == msg("unit.unknown", unit="xyz")
    assert say(problem) == "ukjent enhet «xyz»"


def test_to_canonical_refuses_missing_unit_for_a_dimensioned_target() -> None:
    quantity, problem = to_canonical(12.0, None, "g/dL")
    assert quantity is None
    assert problem is not None and "enhet mangler" in say(problem)


def test_to_canonical_accepts_missing_unit_for_a_dimensionless_target() -> None:
    assert to_canonical(3.5, "", None) == (Quantity(3.5, "1"), None)
    assert to_canonical(3.5, None, "1") == (Quantity(3.5, "1"), None)


def test_to_canonical_refuses_inconvertible_unit() -> None:
    quantity, problem = to_canonical(6.0, "%", "mmol/mol")
    assert quantity is None
    assert problem is not None and "kan ikke regnes om" in say(problem)


def test_to_canonical_reports_an_unknown_target() -> None:
    quantity, problem = to_canonical(6.0, "g/L", "furlongs")
    assert quantity is None
    assert problem is not None and "analysens enhet" in say(problem)


def test_to_canonical_refuses_non_finite_values() -> None:
    assert to_canonical(float("nan"), "g/L", "g/L")[0] is None
    assert to_canonical(float("inf"), "g/L", "g/L")[0] is None
