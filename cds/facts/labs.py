"""Observations -> ``LabResult`` indexed by analyte, values in the analyte's canonical unit.

An Observation is indexed under every analyte of the code book whose codes it carries (NLK under
any of its URIs, LOINC; lab-local 8212 codes are ignored by ``codes_of``). A component (e.g. the
maximum dimension 33728-7 of a tumour-size Observation) is indexed the same way when its own code
names an analyte that the Observation itself gave no value for. Sources:
record-conventions.md «General rules», «Laboratory results».
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from cds.criteria.schema import Analyte, CodeBook
from cds.facts import fhirjson as fj
from cds.facts.codes import PREFIX_FAMILIES, CodeMatcher, codes_of, normalise_code
from cds.facts.dates import display_date, first_datetime
from cds.facts.model import Code, LabResult, Quantity, Sex
from cds.facts.units import normalise_unit, to_canonical

_UCUM = "http://unitsofmeasure.org"
_SKIP_STATUS = frozenset({"entered-in-error", "cancelled"})

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

_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")

# appliesTo markers for sex-specific reference ranges (SNOMED, v3 AdministrativeGender, text).
_FEMALE_CODES = frozenset({"248152002", "f", "female"})
_MALE_CODES = frozenset({"248153007", "m", "male"})
_FEMALE_TEXT = re.compile(r"\b(kvinner?|female|women|woman)\b", re.IGNORECASE)
_MALE_TEXT = re.compile(r"\b(menn|mann|male|men|man)\b", re.IGNORECASE)
_YEAR_UNITS = frozenset({"a", "år", "ar", "year", "years", "yr", "y"})


class AnalyteIndex:
    """Which analytes a set of codes names, in code-book order.

    Analyte codes are mostly NLK/LOINC (exact codes), looked up in one dict instead of running
    every analyte's matcher against every Observation; analytes listing prefix-family codes
    (ICD-10, ICPC-2, ATC) keep a ``CodeMatcher`` with its prefix/range semantics.
    """

    __slots__ = ("_exact", "_matchers", "_order")

    def __init__(self, codebook: CodeBook) -> None:
        self._order = {name: i for i, name in enumerate(codebook.analytes)}
        self._exact: dict[Code, list[str]] = {}
        self._matchers: list[tuple[str, CodeMatcher]] = []
        for name, analyte in codebook.analytes.items():
            prefixed = [ref for ref in analyte.codes if ref.system in PREFIX_FAMILIES]
            if prefixed:
                self._matchers.append((name, CodeMatcher(prefixed)))
            for ref in analyte.codes:
                if ref.system in PREFIX_FAMILIES:
                    continue
                # normalise_code is what CodeMatcher applies to exact codes, so both agree.
                names = self._exact.setdefault(
                    (ref.system, normalise_code(ref.system, ref.code)), []
                )
                if name not in names:
                    names.append(name)

    def analytes_for(self, codes: Iterable[Code]) -> list[str]:
        """Analyte ids matched by any of ``codes``, in code-book order."""
        codes = tuple(codes)
        found: set[str] = set()
        for code in codes:
            found.update(self._exact.get(code, ()))
        for name, matcher in self._matchers:
            if name not in found and matcher.matches(codes):
                found.add(name)
        return sorted(found, key=self._order.__getitem__)


@dataclass(slots=True)
class _Context:
    """What every result of one extraction needs: patient sex/age for reference ranges, notes."""

    sex: Sex
    age: int | None
    notes: list[str]


def to_number(value: object) -> float | None:
    """A JSON number (or a plain decimal string with a point) as a finite float, else None.

    Booleans are not numbers here. Strings with a decimal comma are refused: «1,234» is
    ambiguous between a Norwegian decimal and an English thousands separator.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str) and _NUMBER.fullmatch(value.strip()):
        number = float(value.strip())
    else:
        return None
    return number if math.isfinite(number) else None


def interpretation_codes(value: object) -> frozenset[str]:
    """Normalised flags from ``interpretation`` (list of CodeableConcept, or one)."""
    flags: set[str] = set()
    for concept in fj.dicts(value):
        texts: list[object] = [concept.get("text")]
        for coding in fj.dicts(concept.get("coding")):
            code = fj.text(coding.get("code"))
            if code and code.upper() in _V3_FLAGS:
                flags.add(code.upper())
            elif code:
                texts.append(code)
            texts.append(coding.get("display"))
        for item in texts:
            word = fj.text(item)
            flag = _TEXT_FLAGS.get(word.casefold()) if word else None
            if flag:
                flags.add(flag)
    return frozenset(flags)


def _unit_spelling(quantity: dict[str, Any]) -> tuple[str | None, str | None]:
    """(unit as sent, problem): the UCUM ``code`` when recognised, else the printed ``unit``.

    When code and unit are both recognised but disagree we refuse: one of them is wrong and we
    cannot tell which.
    """
    system = fj.text(quantity.get("system"))
    code = fj.text(quantity.get("code")) if system in (None, _UCUM) else None
    unit = fj.text(quantity.get("unit"))
    code_unit, printed_unit = normalise_unit(code), normalise_unit(unit)
    if code_unit and printed_unit and code_unit != printed_unit:
        return None, f"motstridende enheter «{code}» og «{unit}» – verdien er ikke brukt"
    if code_unit:
        return code, None
    return unit or code, None


def _read_quantity(
    quantity: dict[str, Any], analyte: Analyte, default_unit: str | None
) -> tuple[Quantity | None, str | None, str | None]:
    """(value in the analyte's unit or None, Norwegian reason or None, the unit as sent).

    No value and no reason means the Quantity simply carries no number.
    """
    unit, problem = _unit_spelling(quantity)
    unit = unit or default_unit
    raw_value = quantity.get("value")
    if raw_value is None:
        return None, None, unit
    number = to_number(raw_value)
    if number is None:
        shown = str(raw_value)[:20]
        return None, f"verdien «{shown}» er ikke et tall – verdien er ikke brukt", unit
    if problem:
        return None, problem, unit
    return (*to_canonical(number, unit, analyte.unit, analyte.molar_mass), unit)


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


def _reference_range(
    holder: dict[str, Any], analyte: Analyte, value_unit: str | None, ctx: _Context
) -> tuple[Quantity | None, Quantity | None]:
    """Low/high of the first reference range that applies to this patient, in canonical units.

    A bound without a unit takes the value's unit: the range describes that very value, and
    many senders leave the unit off the range.
    """
    for rng in fj.dicts(holder.get("referenceRange")):
        if not _range_applies(rng, ctx.sex, ctx.age):
            continue
        bounds: list[Quantity | None] = []
        for key in ("low", "high"):
            quantity = fj.as_dict(rng.get(key))
            bounds.append(
                _read_quantity(quantity, analyte, value_unit)[0] if quantity is not None else None
            )
        if bounds[0] is not None or bounds[1] is not None:
            return bounds[0], bounds[1]
    return None, None


def _value_texts(holder: dict[str, Any]) -> list[str]:
    found: list[str] = []
    value_string = fj.text(holder.get("valueString"))
    if value_string:
        found.append(value_string)
    found.extend(fj.concept_texts(holder.get("valueCodeableConcept")))
    return found


def _result(
    holder: dict[str, Any],
    *,
    analyte_id: str,
    analyte: Analyte,
    ref: str,
    when: date | None,
    extra_texts: list[str],
    extra_flags: frozenset[str],
    ctx: _Context,
) -> LabResult:
    """One LabResult from an Observation or one of its components (``holder``)."""
    value: Quantity | None = None
    problem: str | None = None
    value_unit: str | None = None
    quantity = fj.as_dict(holder.get("valueQuantity"))
    if quantity is not None:
        value, problem, value_unit = _read_quantity(quantity, analyte, None)
        comparator = fj.text(quantity.get("comparator"))
        if value is not None and comparator:
            shown = f"{comparator}{quantity.get('value')} {value_unit or ''}".strip()
            ctx.notes.append(
                f"{analyte.label} {display_date(when)}: resultatet er oppgitt som «{shown}»"
                f" – tallet er brukt uten «{comparator}»"
            )
    elif "valueInteger" in holder:
        number = to_number(holder.get("valueInteger"))
        if number is not None:
            value, problem = to_canonical(number, None, analyte.unit, analyte.molar_mass)
    if problem:
        ctx.notes.append(f"{analyte.label} {display_date(when)}: {problem}")
    low, high = _reference_range(holder, analyte, value_unit, ctx)
    texts = _value_texts(holder) + [t for t in extra_texts if t]
    return LabResult(
        ref=ref,
        analyte=analyte_id,
        when=when,
        value=value,
        text="\n".join(dict.fromkeys(texts)),
        ref_low=low,
        ref_high=high,
        interpretation=interpretation_codes(holder.get("interpretation")) | extra_flags,
        unit_problem=problem,
        display=fj.concept_title(holder.get("code")),
    )


def _is_empty(result: LabResult) -> bool:
    return result.value is None and not result.text and result.unit_problem is None


def extract_labs(
    observations: Iterable[dict[str, Any]],
    codebook: CodeBook,
    index: AnalyteIndex,
    *,
    sex: Sex,
    age: int | None,
    notes: list[str],
) -> dict[str, tuple[LabResult, ...]]:
    """Analyte id -> results, newest first (undated last); unusable values noted in ``notes``."""
    ctx = _Context(sex=sex, age=age, notes=notes)
    found: dict[str, list[tuple[datetime | None, int, LabResult]]] = {}
    for position, obs in enumerate(observations):
        if fj.status_of(obs) in _SKIP_STATUS:
            continue
        top = index.analytes_for(codes_of(obs.get("code")))
        components = [
            (comp, index.analytes_for(codes_of(comp.get("code"))))
            for comp in fj.dicts(obs.get("component"))
        ]
        if not top and not any(names for _, names in components):
            continue
        period = fj.as_dict(obs.get("effectivePeriod")) or {}
        moment = first_datetime(
            obs.get("effectiveDateTime"),
            period.get("start"),
            obs.get("effectiveInstant"),
            obs.get("issued"),
        )
        when = moment.date() if moment is not None else None
        ref = fj.ref_of("Observation", obs)
        notes_text = fj.note_texts(obs)
        per_obs: dict[str, LabResult] = {}
        for name in top:
            per_obs[name] = _result(
                obs,
                analyte_id=name,
                analyte=codebook.analytes[name],
                ref=ref,
                when=when,
                extra_texts=notes_text,
                extra_flags=frozenset(),
                ctx=ctx,
            )
        for comp, names in components:
            for name in names:
                if name in per_obs and not _is_empty(per_obs[name]):
                    continue
                # The Observation-level flag and notes describe the whole panel; keep them.
                per_obs[name] = _result(
                    comp,
                    analyte_id=name,
                    analyte=codebook.analytes[name],
                    ref=ref,
                    when=when,
                    extra_texts=notes_text,
                    extra_flags=interpretation_codes(obs.get("interpretation")),
                    ctx=ctx,
                )
        for name, result in per_obs.items():
            found.setdefault(name, []).append((moment, position, result))
    return {name: _newest_first(items) for name, items in found.items()}


def _newest_first(items: list[tuple[datetime | None, int, LabResult]]) -> tuple[LabResult, ...]:
    """Newest first, undated last; equal times keep record order."""
    dated = sorted(
        (i for i in items if i[0] is not None), key=lambda i: (i[0], -i[1]), reverse=True
    )
    undated = [i for i in items if i[0] is None]
    return tuple(item[2] for item in (*dated, *undated))
