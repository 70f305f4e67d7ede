"""Observations -> ``LabResult`` indexed by analyte, values in the analyte's canonical unit.

An Observation is indexed under every analyte of the code book whose codes it carries (NLK under
any of its URIs, LOINC; lab-local 8212 codes are ignored by ``codes_of``). A component (e.g. the
maximum dimension 33728-7 of a tumour-size Observation) is indexed the same way when its own code
names an analyte that the Observation itself gave no value for. How one value is read (unit,
flags, reference range) is in ``cds.facts.lab_values``. Sources:
record-conventions.md «General rules», «Laboratory results».
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from cds.criteria.codebook import Analyte, CodeBook
from cds.facts import fhirjson as fj
from cds.facts.codes import PREFIX_FAMILIES, CodeMatcher, family_of, normalise_code
from cds.facts.dates import first_datetime, parse_datetime, sample_date_problem
from cds.facts.lab_values import (
    MEMO_LIMIT,
    canonical,
    interpretation_codes,
    read_quantity,
    reference_range,
)
from cds.facts.model import Code, LabResult, Quantity, Sex
from cds.facts.numbers import read_number
from cds.facts.numbers import to_number as to_number  # re-exported: callers and tests
from cds.facts.sites import site_text
from cds.wording.message import Message, msg

_SKIP_STATUS = frozenset({"entered-in-error", "cancelled"})


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
                    if len(memo) >= MEMO_LIMIT:
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
    notes: list[Message]


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
    date_problem: Message | None = None,
) -> LabResult:
    """One LabResult from an Observation or one of its components (``holder``).

    ``date_problem``: why the Observation's date cannot be used
    (``cds.facts.dates.sample_date_problem``); the result is then kept with that reason, like a
    value that cannot be used.
    """
    value: Quantity | None = None
    problem: Message | None = None
    value_unit: str | None = None
    quantity = holder.get("valueQuantity")
    if isinstance(quantity, dict):
        value, problem, value_unit = read_quantity(quantity, analyte, None)
        raw_comparator = quantity.get("comparator")
        comparator = fj.text(raw_comparator) if raw_comparator is not None else None
        if value is not None and comparator:
            shown = f"{comparator}{quantity.get('value')} {value_unit or ''}".strip()
            ctx.notes.append(
                msg(
                    "lab.comparator",
                    label=analyte.label,
                    when=when,
                    shown=shown,
                    comparator=comparator,
                )
            )
    elif "valueInteger" in holder:
        raw = holder.get("valueInteger")
        number, reason = read_number(raw)
        if number is not None:
            value, problem = canonical(number, raw, None, analyte)
        else:
            problem = reason
    if problem is None and date_problem is not None:
        problem = date_problem
    if problem:
        ctx.notes.append(msg("lab.unused", label=analyte.label, when=when, problem=problem))
    low: Quantity | None = None
    high: Quantity | None = None
    if holder.get("referenceRange") is not None:
        low, high = reference_range(holder, analyte, value_unit, ctx.sex, ctx.age)
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
    notes: list[Message],
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
