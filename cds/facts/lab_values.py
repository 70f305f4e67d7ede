"""What one Observation value says: its quantity in the analyte's unit, its flags, its range.

The value-level reading of ``cds.facts.labs``: interpretation flags (v3/v2 codes and the words
labs write), the unit's spelling (UCUM code vs. display text), the quantity converted to the
analyte's canonical unit, and the reference range that applies to the patient's sex and age.
Sources: record-conventions.md «Laboratory results».
"""

from __future__ import annotations

import re
from typing import Any

from cds.criteria.codebook import Analyte
from cds.facts import fhirjson as fj
from cds.facts.model import Quantity, Sex
from cds.facts.numbers import plausible, read_number, to_number
from cds.facts.units import normalise_unit, to_canonical
from cds.wording.message import Message, msg

_UCUM = "http://unitsofmeasure.org"
# v3 ObservationInterpretation codes we pass on (v2-0078 uses the same codes).
_V3_FLAGS = frozenset(
    {
        "L",
        "LL",
        "LU",
        "H",
        "HH",
        "HU",
        "A",
        "AA",
        "N",
        "<",
        ">",
        "POS",
        "NEG",
        "IND",
        "DET",
        "ND",
        "E",
        "EX",
        "HX",
        "LX",
        "U",
        "D",
        "B",
        "W",
        "S",
        "R",
        "I",
        "NCL",
        "NS",
        "SDD",
        "RR",
        "WR",
    }
)

# Printed flags (Norwegian and English) as the EHR shows them, lower-cased.
_TEXT_FLAGS: dict[str, str] = {
    "lav": "L",
    "low": "L",
    "kritisk lav": "LL",
    "critically low": "LL",
    "høy": "H",
    "hoy": "H",
    "høg": "H",
    "high": "H",
    "kritisk høy": "HH",
    "critically high": "HH",
    "unormal": "A",
    "patologisk": "A",
    "abnormal": "A",
    "kritisk unormal": "AA",
    "normal": "N",
    "positiv": "POS",
    "positive": "POS",
    "negativ": "NEG",
    "negative": "NEG",
}

# appliesTo markers for sex-specific reference ranges (SNOMED, v3 AdministrativeGender, text).
_FEMALE_CODES = frozenset({"248152002", "f", "female"})
_MALE_CODES = frozenset({"248153007", "m", "male"})
_FEMALE_TEXT = re.compile(r"\b(kvinner?|female|women|woman)\b", re.IGNORECASE)
_MALE_TEXT = re.compile(r"\b(menn|mann|male|men|man)\b", re.IGNORECASE)
_YEAR_UNITS = frozenset({"a", "år", "ar", "year", "years", "yr", "y"})

def interpretation_codes(value: object) -> frozenset[str]:
    """Normalised flags from ``interpretation`` (list of CodeableConcept, or one)."""
    flags: set[str] = set()
    for concept in fj.dicts(value):
        flag = _word_flag(concept.get("text"))
        if flag:
            flags.add(flag)
        for coding in fj.dicts(concept.get("coding")):
            # Hot path: a record repeats a few (code, display) pairs; their flags are memoised.
            key = (coding.get("code"), coding.get("display"))
            try:
                flags.update(_coding_flags[key])
                continue
            except KeyError:
                found = _flags_of_coding(*key)
            except TypeError:  # an unhashable (malformed) code or display: no memo
                flags.update(_flags_of_coding(*key))
                continue
            if len(_coding_flags) >= MEMO_LIMIT:
                _coding_flags.clear()
            _coding_flags[key] = found
            flags.update(found)
    return frozenset(flags)


def _flags_of_coding(code: object, display: object) -> frozenset[str]:
    """The flags one interpretation coding gives: its v3 code, else the code or display as text."""
    found: set[str] = set()
    code_text = fj.text(code)
    if code_text and code_text.upper() in _V3_FLAGS:
        found.add(code_text.upper())
    elif code_text:
        flag = _word_flag(code_text)
        if flag:
            found.add(flag)
    flag = _word_flag(display)
    if flag:
        found.add(flag)
    return frozenset(found)


def _word_flag(value: object) -> str | None:
    """The flag a printed word («Høy», «low») stands for, or None."""
    word = fj.text(value)
    return _TEXT_FLAGS.get(word.casefold()) if word else None


def _unit_spelling(quantity: dict[str, Any]) -> tuple[str | None, Message | None]:
    """(unit as sent, problem): the UCUM ``code`` when recognised, else the printed ``unit``.

    When code and unit are both recognised but disagree we refuse: one of them is wrong and we
    cannot tell which.
    """
    # Hot path: a record repeats a handful of (system, code, unit) triples thousands of times.
    key = (quantity.get("system"), quantity.get("code"), quantity.get("unit"))
    try:
        return _spellings[key]
    except KeyError:
        pass
    except TypeError:  # an unhashable (malformed) field: decided without the memo
        return _spell(*key)
    found = _spell(*key)
    if len(_spellings) >= MEMO_LIMIT:  # bounded: garbage units must not grow it for ever
        _spellings.clear()
    _spellings[key] = found
    return found


def _spell(system: object, code: object, unit: object) -> tuple[str | None, Message | None]:
    """:func:`_unit_spelling` for a quantity's raw ``system``, ``code`` and ``unit``."""
    system_text = fj.text(system)
    code_text = fj.text(code) if system_text in (None, _UCUM) else None
    unit_text = fj.text(unit)
    code_unit, printed_unit = normalise_unit(code_text), normalise_unit(unit_text)
    if code_unit and printed_unit and code_unit != printed_unit:
        return None, msg("unit.conflict", code=code_text, unit=unit_text)
    if code_unit:
        return code_text, None
    return unit_text or code_text, None


# Memos of the hot path, each bounded to this many entries (cleared when full).
MEMO_LIMIT = 4096
_spellings: dict[tuple[object, object, object], tuple[str | None, Message | None]] = {}
_coding_flags: dict[tuple[object, object], frozenset[str]] = {}
_bounds: dict[tuple[object, ...], Quantity | None] = {}


def read_quantity(
    quantity: dict[str, Any], analyte: Analyte, default_unit: str | None
) -> tuple[Quantity | None, Message | None, str | None]:
    """(value in the analyte's unit or None, the reason it cannot be used or None, the unit as
    sent).

    No value and no reason means the Quantity simply carries no number.
    """
    unit, problem = _unit_spelling(quantity)
    unit = unit or default_unit
    raw_value = quantity.get("value")
    number, reason = read_number(raw_value)
    if number is None:
        return None, reason, unit
    if problem:
        return None, problem, unit
    return (*canonical(number, raw_value, unit, analyte), unit)


def canonical(
    number: float, raw: object, unit: str | None, analyte: Analyte
) -> tuple[Quantity | None, Message | None]:
    """``to_canonical``, then the plausibility bound on the converted value (cds.facts.numbers)."""
    value, problem = to_canonical(number, unit, analyte.unit, analyte.molar_mass)
    if value is not None and (absurd := plausible(value.value, raw)) is not None:
        return None, absurd
    return value, problem


def _range_applies(rng: dict[str, Any], sex: Sex, age: int | None) -> bool:
    """False when a reference range is explicitly for the other sex or another age band."""
    applies = rng.get("appliesTo")
    codes = fj.raw_codes(applies)
    words = " ".join(fj.concept_texts(applies))
    is_female = bool(codes & _FEMALE_CODES) or bool(_FEMALE_TEXT.search(words))
    is_male = bool(codes & _MALE_CODES) or bool(_MALE_TEXT.search(words))
    if sex == "female" and is_male and not is_female:
        return False
    if sex == "male" and is_female and not is_male:
        return False
    age_range = fj.as_dict(rng.get("age"))
    if age is None or age_range is None:
        return True
    low = _age_bound(age_range.get("low"))
    high = _age_bound(age_range.get("high"))
    return (low is None or age >= low) and (high is None or age <= high)


def _age_bound(value: object) -> float | None:
    """An age-range bound in years; None when absent or in another unit (then no filtering)."""
    quantity = fj.as_dict(value)
    if quantity is None:
        return None
    unit = (fj.text(quantity.get("code")) or fj.text(quantity.get("unit")) or "a").lower()
    return to_number(quantity.get("value")) if unit in _YEAR_UNITS else None


def reference_range(
    holder: dict[str, Any], analyte: Analyte, value_unit: str | None, sex: Sex, age: int | None
) -> tuple[Quantity | None, Quantity | None]:
    """Low/high of the first reference range that applies to this patient, in canonical units.

    A bound without a unit takes the value's unit: the range describes that very value, and
    many senders leave the unit off the range.
    """
    for rng in fj.dicts(holder.get("referenceRange")):
        # A range without appliesTo and age applies to everyone (_range_applies is then True).
        restricted = rng.get("appliesTo") is not None or rng.get("age") is not None
        if restricted and not _range_applies(rng, sex, age):
            continue
        low = _bound(rng.get("low"), analyte, value_unit)
        high = _bound(rng.get("high"), analyte, value_unit)
        if low is not None or high is not None:
            return low, high
    return None, None


def _bound(value: object, analyte: Analyte, value_unit: str | None) -> Quantity | None:
    """One reference-range bound in the analyte's unit (None when absent or unusable)."""
    if not isinstance(value, dict):
        return None
    # Hot path: a lab sends the same range with every result of an analyte, so bounds are
    # memoised on everything read_quantity reads. The number's class is part of the key (True
    # and 1 are equal keys but not equal numbers here); zero is left out (-0.0 == 0.0).
    number = value.get("value")
    if not number:
        return read_quantity(value, analyte, value_unit)[0]
    key = (
        value.get("system"),
        value.get("code"),
        value.get("unit"),
        number.__class__,
        number,
        analyte.unit,
        analyte.molar_mass,
        value_unit,
    )
    try:
        return _bounds[key]
    except KeyError:
        pass
    except TypeError:  # an unhashable (malformed) field: no memo
        return read_quantity(value, analyte, value_unit)[0]
    found = read_quantity(value, analyte, value_unit)[0]
    if len(_bounds) >= MEMO_LIMIT:
        _bounds.clear()
    _bounds[key] = found
    return found


