"""Observations -> ``LabResult`` indexed by analyte, values in the analyte's canonical unit.

An Observation is indexed under every analyte of the code book whose codes it carries (NLK under
any of its URIs, LOINC; lab-local 8212 codes are ignored by ``codes_of``). A component (e.g. the
maximum dimension 33728-7 of a tumour-size Observation) is indexed the same way when its own code
names an analyte that the Observation itself gave no value for. Sources:
record-conventions.md «General rules», «Laboratory results».
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from cds.criteria.codebook import Analyte, CodeBook
from cds.facts import fhirjson as fj
from cds.facts.codes import PREFIX_FAMILIES, CodeMatcher, family_of, normalise_code
from cds.facts.dates import display_date, first_datetime, parse_datetime, sample_date_problem
from cds.facts.model import Code, LabResult, Quantity, Sex
from cds.facts.numbers import NOT_USED, plausible, read_number
from cds.facts.numbers import to_number as to_number  # re-exported: callers and tests
from cds.facts.sites import site_text
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

    __slots__ = ("_by_coding", "_exact", "_matchers", "_order")

    def __init__(self, codebook: CodeBook) -> None:
        self._order = {name: i for i, name in enumerate(codebook.analytes)}
        # (system, code) exactly as sent -> analyte ids: see names_in.
        self._by_coding: dict[tuple[object, object], tuple[str, ...]] = {}
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

    def names_in(self, concept: object) -> tuple[str, ...]:
        """``analytes_for(codes_of(concept))`` as a tuple, for a CodeableConcept or a list of them.

        The hot path of lab extraction: a record sends the same few (system, code) pairs
        thousands of times, so the analytes of each pair as sent are remembered (bounded), and
        the pairs' answers are united. That gives the same answer as matching all codes at once,
        since an analyte matches a set of codes when it matches any one of them.
        """
        memo = self._by_coding
        if isinstance(concept, dict):
            # The usual shape, one coding: answered by the memo alone.
            codings = concept.get("coding")
            if isinstance(codings, list) and len(codings) == 1:
                coding = codings[0]
                if isinstance(coding, dict):
                    try:
                        return memo[(coding.get("system"), coding.get("code"))]
                    except (KeyError, TypeError):
                        pass  # the general path below remembers it, or refuses it
        concepts = concept if isinstance(concept, list) else (concept,)
        found: tuple[str, ...] = ()
        merged: set[str] | None = None
        for item in concepts:
            if not isinstance(item, dict):
                continue
            codings = item.get("coding")
            if not isinstance(codings, list):
                continue
            for coding in codings:
                if not isinstance(coding, dict):
                    continue
                key = (coding.get("system"), coding.get("code"))
                try:
                    names = memo[key]
                except KeyError:
                    names = self._coding_names(*key)
                    if len(memo) >= _MEMO_LIMIT:
                        memo.clear()
                    memo[key] = names
                except TypeError:  # an unhashable system or code is no code (codes_of)
                    continue
                if not names or names == found:
                    continue
                if not found:
                    found = names
                    continue
                if merged is None:
                    merged = set(found)
                merged.update(names)
        if merged is not None:
            return tuple(sorted(merged, key=self._order.__getitem__))
        return found

    def _coding_names(self, system: object, code: object) -> tuple[str, ...]:
        """Analyte ids for one coding's raw system and code (what ``codes_of`` would give)."""
        family = family_of(system if isinstance(system, str) else None)
        if not family or not isinstance(code, str) or not code.strip():
            return ()
        return tuple(self.analytes_for([(family, normalise_code(family, code))]))


@dataclass(slots=True)
class _Context:
    """What every result of one extraction needs: patient sex/age for reference ranges, notes."""

    sex: Sex
    age: int | None
    notes: list[str]


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
            if len(_coding_flags) >= _MEMO_LIMIT:
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


def _unit_spelling(quantity: dict[str, Any]) -> tuple[str | None, str | None]:
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
    if len(_spellings) >= _MEMO_LIMIT:  # bounded: garbage units must not grow it for ever
        _spellings.clear()
    _spellings[key] = found
    return found


def _spell(system: object, code: object, unit: object) -> tuple[str | None, str | None]:
    """:func:`_unit_spelling` for a quantity's raw ``system``, ``code`` and ``unit``."""
    system_text = fj.text(system)
    code_text = fj.text(code) if system_text in (None, _UCUM) else None
    unit_text = fj.text(unit)
    code_unit, printed_unit = normalise_unit(code_text), normalise_unit(unit_text)
    if code_unit and printed_unit and code_unit != printed_unit:
        return None, f"motstridende enheter «{code_text}» og «{unit_text}» – verdien er ikke brukt"
    if code_unit:
        return code_text, None
    return unit_text or code_text, None


# Memos of the hot path, each bounded to this many entries (cleared when full).
_MEMO_LIMIT = 4096
_spellings: dict[tuple[object, object, object], tuple[str | None, str | None]] = {}
_coding_flags: dict[tuple[object, object], frozenset[str]] = {}
_bounds: dict[tuple[object, ...], Quantity | None] = {}


def _read_quantity(
    quantity: dict[str, Any], analyte: Analyte, default_unit: str | None
) -> tuple[Quantity | None, str | None, str | None]:
    """(value in the analyte's unit or None, Norwegian reason or None, the unit as sent).

    No value and no reason means the Quantity simply carries no number.
    """
    unit, problem = _unit_spelling(quantity)
    unit = unit or default_unit
    raw_value = quantity.get("value")
    number, reason = read_number(raw_value)
    if number is None:
        return None, reason + NOT_USED if reason else None, unit
    if problem:
        return None, problem, unit
    return (*_canonical(number, raw_value, unit, analyte), unit)


def _canonical(
    number: float, raw: object, unit: str | None, analyte: Analyte
) -> tuple[Quantity | None, str | None]:
    """``to_canonical``, then the plausibility bound on the converted value (cds.facts.numbers)."""
    value, problem = to_canonical(number, unit, analyte.unit, analyte.molar_mass)
    if value is not None and (absurd := plausible(value.value, raw)) is not None:
        return None, absurd + NOT_USED
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


def _reference_range(
    holder: dict[str, Any], analyte: Analyte, value_unit: str | None, ctx: _Context
) -> tuple[Quantity | None, Quantity | None]:
    """Low/high of the first reference range that applies to this patient, in canonical units.

    A bound without a unit takes the value's unit: the range describes that very value, and
    many senders leave the unit off the range.
    """
    for rng in fj.dicts(holder.get("referenceRange")):
        # A range without appliesTo and age applies to everyone (_range_applies is then True).
        restricted = rng.get("appliesTo") is not None or rng.get("age") is not None
        if restricted and not _range_applies(rng, ctx.sex, ctx.age):
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
    # memoised on everything _read_quantity reads. The number's class is part of the key (True
    # and 1 are equal keys but not equal numbers here); zero is left out (-0.0 == 0.0).
    number = value.get("value")
    if not number:
        return _read_quantity(value, analyte, value_unit)[0]
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
        return _read_quantity(value, analyte, value_unit)[0]
    found = _read_quantity(value, analyte, value_unit)[0]
    if len(_bounds) >= _MEMO_LIMIT:
        _bounds.clear()
    _bounds[key] = found
    return found


def _value_texts(holder: dict[str, Any]) -> list[str]:
    found: list[str] = []
    value_string = fj.text(holder.get("valueString"))
    if value_string:
        found.append(value_string)
    found.extend(fj.concept_texts(holder.get("valueCodeableConcept")))
    return found


_NO_FLAGS: frozenset[str] = frozenset()

# What every analyte's result from one holder (Observation or component) shares:
# (text, interpretation, display, site).
_Shared = tuple[str, frozenset[str], str, str]


def _shared(
    holder: dict[str, Any], extra_texts: list[str], extra_flags: frozenset[str], site: str
) -> _Shared:
    """The analyte-independent parts of a holder's results, worked out once per holder."""
    text = ""
    if extra_texts or "valueString" in holder or "valueCodeableConcept" in holder:
        texts = _value_texts(holder)
        texts.extend(t for t in extra_texts if t)
        text = "\n".join(dict.fromkeys(texts))
    interpretation = holder.get("interpretation")
    flags = extra_flags if interpretation is None else interpretation_codes(interpretation)
    if interpretation is not None and extra_flags:
        flags = flags | extra_flags
    return text, flags, fj.concept_title(holder.get("code")), site


def _result(
    holder: dict[str, Any],
    shared: _Shared,
    *,
    analyte_id: str,
    analyte: Analyte,
    ref: str,
    when: date | None,
    ctx: _Context,
    date_problem: str | None = None,
) -> LabResult:
    """One LabResult from an Observation or one of its components (``holder``).

    ``date_problem``: why the Observation's date cannot be used
    (``cds.facts.dates.sample_date_problem``); the result is then kept with that reason, like a
    value that cannot be used.
    """
    value: Quantity | None = None
    problem: str | None = None
    value_unit: str | None = None
    quantity = holder.get("valueQuantity")
    if isinstance(quantity, dict):
        value, problem, value_unit = _read_quantity(quantity, analyte, None)
        raw_comparator = quantity.get("comparator")
        comparator = fj.text(raw_comparator) if raw_comparator is not None else None
        if value is not None and comparator:
            shown = f"{comparator}{quantity.get('value')} {value_unit or ''}".strip()
            ctx.notes.append(
                f"{analyte.label} {display_date(when)}: resultatet er oppgitt som «{shown}»"
                f" – tallet er brukt uten «{comparator}»"
            )
    elif "valueInteger" in holder:
        raw = holder.get("valueInteger")
        number, reason = read_number(raw)
        if number is not None:
            value, problem = _canonical(number, raw, None, analyte)
        elif reason:
            problem = reason + NOT_USED
    if problem is None and date_problem is not None:
        problem = date_problem + NOT_USED
    if problem:
        ctx.notes.append(f"{analyte.label} {display_date(when)}: {problem}")
    low: Quantity | None = None
    high: Quantity | None = None
    if holder.get("referenceRange") is not None:
        low, high = _reference_range(holder, analyte, value_unit, ctx)
    text, interpretation, display, site = shared
    return LabResult(
        ref=ref,
        analyte=analyte_id,
        when=when,
        value=value,
        text=text,
        ref_low=low,
        ref_high=high,
        interpretation=interpretation,
        unit_problem=problem,
        display=display,
        site=site,
    )


def _is_empty(result: LabResult) -> bool:
    return result.value is None and not result.text and result.unit_problem is None


def _moment(obs: dict[str, Any]) -> datetime | None:
    """The first parsable of effectiveDateTime, effectivePeriod.start, effectiveInstant, issued."""
    moment = parse_datetime(obs.get("effectiveDateTime"))
    if moment is not None:
        return moment
    period = obs.get("effectivePeriod")
    return first_datetime(
        period.get("start") if isinstance(period, dict) else None,
        obs.get("effectiveInstant"),
        obs.get("issued"),
    )


def extract_labs(
    observations: Iterable[dict[str, Any]],
    codebook: CodeBook,
    index: AnalyteIndex,
    *,
    sex: Sex,
    age: int | None,
    notes: list[str],
    today: date | None = None,
) -> dict[str, tuple[LabResult, ...]]:
    """Analyte id -> results, newest first (undated last); unusable values noted in ``notes``.

    With ``today``, a sample date after it (beyond a day of clock skew) is refused
    (``cds.facts.dates.sample_date_problem``).
    """
    # The hot path of a large record (make bench): every Observation passes here, so the work
    # for one that names no analyte is kept to a status check and a memoised code lookup, and
    # what an Observation's results share is worked out once (_shared), not per analyte.
    ctx = _Context(sex=sex, age=age, notes=notes)
    analytes = codebook.analytes
    names_in = index.names_in
    found: dict[str, list[tuple[datetime | None, LabResult]]] = {}
    for obs in observations:
        status = obs.get("status")  # fj.status_of, inline
        if isinstance(status, str) and status.strip().lower() in _SKIP_STATUS:
            continue
        top = names_in(obs.get("code"))
        raw_components = obs.get("component")
        components = (
            [(comp, names_in(comp.get("code"))) for comp in fj.dicts(raw_components)]
            if raw_components is not None
            else []
        )
        if not top and not any(names for _, names in components):
            continue
        moment = _moment(obs)
        date_problem = sample_date_problem(obs, moment, today)
        if date_problem is not None:
            moment = None  # a future date must not make the result the newest
        when = moment.date() if moment is not None else None
        ref = fj.ref_of("Observation", obs)
        notes_text = fj.note_texts(obs) if "note" in obs else []
        # Where the finding is (bodySite, method, notes), for site-restricted sources such as
        # tumour size; a component shares its Observation's site.
        site = site_text(obs, with_method=True)
        per_obs: dict[str, LabResult] = {}
        if top:
            shared = _shared(obs, notes_text, _NO_FLAGS, site)
            for name in top:
                per_obs[name] = _result(
                    obs,
                    shared,
                    analyte_id=name,
                    analyte=analytes[name],
                    ref=ref,
                    when=when,
                    ctx=ctx,
                    date_problem=date_problem,
                )
        panel_flags: frozenset[str] | None = None
        for comp, names in components:
            comp_shared: _Shared | None = None
            for name in names:
                if name in per_obs and not _is_empty(per_obs[name]):
                    continue
                if comp_shared is None:
                    # The Observation-level flag and notes describe the whole panel; keep them.
                    if panel_flags is None:
                        panel_flags = interpretation_codes(obs.get("interpretation"))
                    comp_shared = _shared(comp, notes_text, panel_flags, site)
                per_obs[name] = _result(
                    comp,
                    comp_shared,
                    analyte_id=name,
                    analyte=analytes[name],
                    ref=ref,
                    when=when,
                    ctx=ctx,
                    date_problem=date_problem,
                )
        for name, result in per_obs.items():
            bucket = found.get(name)
            if bucket is None:
                found[name] = bucket = []
            bucket.append((moment, result))
    return {name: _newest_first(items) for name, items in found.items()}


def _newest_first(items: list[tuple[datetime | None, LabResult]]) -> tuple[LabResult, ...]:
    """Newest first, undated last; equal times keep record order.

    ``items`` are in record order; a reverse sort is stable in Python, so equal times stay so.
    """
    dated = [(moment, result) for moment, result in items if moment is not None]
    dated.sort(key=_moment_of, reverse=True)
    newest = [result for _, result in dated]
    if len(dated) < len(items):
        newest.extend(result for moment, result in items if moment is None)
    return tuple(newest)


def _moment_of(item: tuple[datetime, LabResult]) -> datetime:
    return item[0]
