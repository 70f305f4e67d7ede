"""The hot path's shortcuts and memos decide exactly as the plain code they stand in for.

Lab extraction over a large record (``make bench``) takes fast paths: memoised code lookups,
unit decisions and interpretation flags, a narrow date pattern before the general one. Each is
checked here against a reference written the plain way, on ordinary and odd inputs, with warm
and cold memos. No timing here: speed lives in ``make bench``.
"""

from __future__ import annotations

import math
import re
from datetime import datetime
from typing import Any

import pytest

from cds.criteria.codebook import CodeBook
from cds.facts import analyte_index, dates, lab_values, units
from cds.facts import fhirjson as fj
from cds.facts.analyte_index import AnalyteIndex
from cds.facts.codes import codes_of
from cds.facts.lab_values import interpretation_codes
from cds.facts.labs import extract_labs
from cds.facts.model import Quantity
from cds.facts.units import convert, normalise_unit, to_canonical
from cds.wording import Message, msg

# --- dates ----------------------------------------------------------------------------------

_GENERAL = re.compile(
    r"(\d{4})(?:-(\d{2})(?:-(\d{2})"
    r"(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?)?)?"
)


def _reference_datetime(value: object) -> datetime | None:
    """parse_datetime as it was before the fast path: the general pattern only."""
    if not isinstance(value, str):
        return None
    match = _GENERAL.fullmatch(value.strip())
    if match is None:
        return None
    year, month, day, hour, minute, second = (
        int(part) if part is not None else None for part in match.groups()
    )
    try:
        return datetime(year or 0, month or 1, day or 1, hour or 0, minute or 0, second or 0)
    except ValueError:
        return None


_TIMES = ["", "T00:00:00", "T23:59:59", "T24:00:00", " 12:30:61", "T12:60:00Z", "T08:40:00Z"]
_TIMES += ["T01:02:03+01:00", "T01:02:03-99:99", "T01:02:03.5Z", "T08:40", "T08:40:00+0100"]
_DATE_STRINGS = [
    f"{year}-{month}-{day}{time}"
    for year in ("0000", "1999", "2026")
    for month in ("00", "01", "02", "13")
    for day in ("00", "01", "29", "30", "32")
    for time in _TIMES
]
_DATE_STRINGS += ["2026", "2026-11", " 2026-11-06 ", "٢٠٢٦-11-06", "2026-11-06t08:40:00Z", "x", ""]


def test_parse_datetime_matches_the_general_pattern() -> None:
    for value in [*_DATE_STRINGS, None, 7, ["2026-11-06"]]:
        expected = _reference_datetime(value)
        assert dates.parse_datetime(value) == expected, value
        assert dates.parse_datetime(value) == expected, value  # memoised the second time


def test_date_memo_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dates, "_MEMO_LIMIT", 8)
    monkeypatch.setattr(dates, "_memo", {})
    for day in range(1, 29):
        value = f"2026-02-{day:02d}"
        assert dates.parse_datetime(value) == datetime(2026, 2, day)
    assert len(dates._memo) <= 8


# --- units ----------------------------------------------------------------------------------


def _reference_canonical(
    value: float, unit: str | None, target: str | None, molar_mass: float | None
) -> tuple[Quantity | None, Message | None]:
    """to_canonical as it was before its decisions were memoised (built on convert)."""
    target_unit = normalise_unit(target) if target else None
    if target and target_unit is None:
        return None, msg("unit.target_unknown", unit=target)
    if not math.isfinite(value):
        return None, msg("value.not_finite_bare")
    raw = unit.strip() if isinstance(unit, str) else ""
    if not raw:
        if target_unit in (None, "1"):
            return Quantity(value, "1"), None
        return None, msg("unit.missing")
    source_unit = normalise_unit(raw)
    if source_unit is None:
        return None, msg("unit.unknown", unit=units._short(raw))
    if target_unit is None:
        return Quantity(value, source_unit), None
    converted = convert(value, source_unit, target_unit, molar_mass)
    if converted is None:
        return None, msg("unit.not_convertible", unit=units._short(raw), target=target_unit)
    return Quantity(converted, target_unit), None


_UNITS = ["g/dL", "g/l", " mmol/L ", "µmol/L", "mg/dL", "10^9/L", "G/L", "x", "", None, "%"]
_TARGETS = [None, "", "g/dL", "g/L", "mmol/L", "umol/L", "1", "bogus", "mL/min"]
_MOLAR = [None, 16114.0, 113.12, float("nan"), -1.0, 0.0]
_VALUES = [1.0, 0.5, 13.2, 1e308, -1e308, float("inf"), 0.0, -0.0, 7]


@pytest.mark.parametrize("unit", _UNITS)
@pytest.mark.parametrize("target", _TARGETS)
def test_to_canonical_matches_convert(unit: str | None, target: str | None) -> None:
    for molar_mass in _MOLAR:
        for value in _VALUES:
            expected = _reference_canonical(value, unit, target, molar_mass)
            for _ in range(2):  # cold, then memoised
                got = to_canonical(value, unit, target, molar_mass)
                assert repr(got) == repr(expected), (value, unit, target, molar_mass)


# --- analyte index --------------------------------------------------------------------------

_NLK = "urn:oid:2.16.578.1.12.4.1.1.7280"
_LOINC = "http://loinc.org"


def _coding(system: object, code: object) -> dict[str, object]:
    return {"system": system, "code": code}


_CONCEPTS: list[object] = [
    {"coding": [_coding(_NLK, "NOR05172")]},
    {"coding": [_coding(f" {_NLK} ", " nor05172 ")]},
    {"coding": [_coding(_LOINC, "718-7"), _coding(_NLK, "NPU04998")]},
    {"coding": [_coding(_LOINC, "2160-0"), _coding(_NLK, "NPU04998")]},
    [{"coding": [_coding(_NLK, "NPU01443")]}, {"coding": [_coding(_LOINC, "1751-7")]}],
    {"coding": [_coding("urn:oid:2.16.578.1.12.4.1.1.8212", "HB")]},
    {"coding": [_coding(_NLK, ["NOR05172"]), _coding(["x"], "NOR05172")]},
    {"coding": [_coding(None, "NOR05172"), _coding(_NLK, None), _coding(_NLK, " ")]},
    {"coding": _coding(_NLK, "NOR05172")},  # a lone coding is not a list: no code
    {"coding": [_coding(_NLK, "NOR05172"), "x", 3]},
    {"text": "Hemoglobin"},
    "NOR05172",
    None,
    [],
]


@pytest.mark.parametrize("concept", _CONCEPTS)
def test_names_in_matches_analytes_for(codebook: CodeBook, concept: object) -> None:
    index = AnalyteIndex(codebook)
    expected = tuple(index.analytes_for(codes_of(concept)))
    assert index.names_in(concept) == expected
    assert index.names_in(concept) == expected  # memoised the second time


def test_coding_memo_is_bounded(codebook: CodeBook, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(analyte_index, "MEMO_LIMIT", 4)
    index = AnalyteIndex(codebook)
    for i in range(20):
        assert index.names_in({"coding": [_coding(_LOINC, f"x-{i}")]}) == ()
    assert index.names_in({"coding": [_coding(_NLK, "NOR05172")]}) == ("hemoglobin",)
    assert len(index._by_coding) <= 4


# --- interpretation -------------------------------------------------------------------------


def _reference_flags(value: object) -> frozenset[str]:
    """interpretation_codes as it was before per-coding memos."""
    flags: set[str] = set()
    for concept in fj.dicts(value):
        texts: list[object] = [concept.get("text")]
        for coding in fj.dicts(concept.get("coding")):
            code = fj.text(coding.get("code"))
            if code and code.upper() in lab_values._V3_FLAGS:
                flags.add(code.upper())
            elif code:
                texts.append(code)
            texts.append(coding.get("display"))
        for item in texts:
            word = fj.text(item)
            flag = lab_values._TEXT_FLAGS.get(word.casefold()) if word else None
            if flag:
                flags.add(flag)
    return frozenset(flags)


@pytest.mark.parametrize(
    "value",
    [
        None,
        [{"coding": [{"code": "L", "display": "Low"}]}],
        [{"coding": [{"code": "hh"}, {"code": "høy"}, {"display": "Positiv"}]}],
        {"text": "lav", "coding": {"code": "N"}},
        [{"coding": [{"code": ["L"], "display": {"x": 1}}]}, {"text": " Kritisk høy "}],
        [{"coding": [{"code": "x", "display": None}, {"code": 3}]}],
        "H",
    ],
)
def test_interpretation_codes_match_reference(value: object) -> None:
    expected = _reference_flags(value)
    assert interpretation_codes(value) == expected
    assert interpretation_codes(value) == expected  # memoised the second time


# --- the whole extraction, cold and warm ----------------------------------------------------


def _observation(i: int, **extra: Any) -> dict[str, Any]:
    return {
        "resourceType": "Observation",
        "id": f"o{i}",
        "status": "final",
        "code": {"coding": [_coding(_NLK, "NOR05172")]},
        "effectiveDateTime": f"2026-11-{1 + i % 28:02d}T08:00:00+01:00",
        **extra,
    }


def test_extraction_is_the_same_with_cold_and_warm_memos(
    codebook: CodeBook, monkeypatch: pytest.MonkeyPatch
) -> None:
    bound = {"value": 11.7, "unit": "g/dL"}
    observations = [
        _observation(1, valueQuantity={"value": 10.2, "unit": "g/dL"}),
        _observation(2, valueQuantity={"value": 102, "unit": "g/L"}),
        _observation(3, valueQuantity={"value": True, "unit": "g/dL"}),
        _observation(4, valueQuantity={"value": 1, "unit": "g/dL", "referenceRange": []}),
        _observation(5, valueQuantity={"value": 6.3, "unit": "mmol/L"}),
        _observation(6, valueQuantity={"value": 12, "code": "g/dL", "unit": "g/L"}),
        _observation(
            7,
            valueQuantity={"value": 9.9, "unit": "g/dL"},
            referenceRange=[
                {"low": bound, "high": {"value": 15.3}},
            ],
        ),
        _observation(
            8,
            valueQuantity={"value": 9.9, "unit": "g/dL"},
            referenceRange=[
                {"low": {**bound, "value": -0.0}},
                {"low": bound, "appliesTo": [{"text": "menn"}]},
            ],
        ),
        _observation(9, valueQuantity={"value": 9.9}, referenceRange=[{"low": bound}]),
        _observation(10, status="entered-in-error", valueQuantity={"value": 1, "unit": "g/dL"}),
        _observation(11, effectiveDateTime="2026-11-01", valueString="hemolysert"),
    ]

    def run() -> tuple[object, list[str]]:
        notes: list[str] = []
        found = extract_labs(
            observations, codebook, AnalyteIndex(codebook), sex="female", age=50, notes=notes
        )
        return found, notes

    for memo in ("_spellings", "_coding_flags", "_bounds"):
        monkeypatch.setattr(lab_values, memo, {})
    monkeypatch.setattr(units, "_plans", {})
    cold = run()
    assert run() == cold
    assert repr(run()) == repr(cold)  # same number types too (1 stays int, -0.0 stays -0.0)


def test_bound_memo_keeps_equal_keys_of_different_numbers_apart(codebook: CodeBook) -> None:
    # 0.0 == -0.0 and 1 == True as dict keys; as reference bounds they differ.
    def ranged(i: int, low: object, high: object) -> dict[str, Any]:
        return _observation(
            i,
            valueQuantity={"value": 5.0, "unit": "g/dL"},
            referenceRange=[{"low": {"value": low, "unit": "g/dL"}, "high": {"value": high}}],
        )

    observations = [ranged(1, 0.0, 1), ranged(2, -0.0, True), ranged(3, 0.0, 1)]
    found = extract_labs(
        observations, codebook, AnalyteIndex(codebook), sex="female", age=50, notes=[]
    )
    by_ref = {result.ref: result for result in found["hemoglobin"]}
    first, second = by_ref["Observation/o1"], by_ref["Observation/o2"]
    assert first.ref_low is not None and repr(first.ref_low.value) == "0.0"
    assert second.ref_low is not None and repr(second.ref_low.value) == "-0.0"
    assert first.ref_high == Quantity(1.0, "g/dL")
    assert second.ref_high is None  # True is not a number
