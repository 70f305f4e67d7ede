"""Observations -> ``LabResult`` indexed by analyte, values in the analyte's canonical unit.

An Observation is indexed under every analyte of the code book whose codes it carries (NLK under
any of its URIs, LOINC; lab-local 8212 codes are ignored by ``codes_of``). A component (e.g. the
maximum dimension 33728-7 of a tumour-size Observation) is indexed the same way when its own code
names an analyte that the Observation itself gave no value for. How one value is read (unit,
flags, reference range) is in ``cds.facts.lab_values``. Sources:
record-conventions.md «General rules», «Laboratory results».
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from cds.criteria.codebook import Analyte, CodeBook
from cds.facts import fhirjson as fj
from cds.facts.analyte_index import AnalyteIndex
from cds.facts.dates import first_datetime, parse_datetime, sample_date_problem
from cds.facts.lab_values import (
    canonical,
    interpretation_codes,
    read_quantity,
    reference_range,
)
from cds.facts.model import LabResult, Quantity, Sex
from cds.facts.numbers import read_number
from cds.facts.numbers import to_number as to_number  # re-exported: callers and tests
from cds.facts.sites import site_text
from cds.wording.message import Message, msg

_SKIP_STATUS = frozenset({"entered-in-error", "cancelled"})


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
    horizons: Mapping[str, int] | None = None,
    unmatched: list[dict[str, Any]] | None = None,
) -> dict[str, tuple[LabResult, ...]]:
    """Analyte id -> results, newest first (undated last); unusable values noted in ``notes``.

    With ``today``, a sample date after it (beyond a day of clock skew) is refused
    (``cds.facts.dates.sample_date_problem``). With ``horizons`` (and ``today``), a result dated
    more than its analyte's horizon before today is read in full only if it is the analyte's
    newest such result, or the newest usable one; no note is made about such a result
    (``cds.evaluate.horizon`` says why that loses nothing any rule reads). Observations that
    name no analyte are appended to ``unmatched`` when given (where the pathway clock looks for
    registration codes, so that it need not walk every Observation again).
    """
    # The hot path of a large record (make bench): every Observation passes here, so the work
    # for one that names no analyte is kept to a status check and a memoised code lookup, an old
    # one is only dated, and what an Observation's results share is worked out once (_shared).
    ctx = _Context(sex=sex, age=age, notes=notes)
    cutoffs = _cutoffs(horizons, today)
    names_in = index.names_in
    found: dict[str, list[tuple[datetime | None, LabResult]]] = {}
    old: dict[str, list[_Old]] = {}
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
            if unmatched is not None:
                unmatched.append(obs)
            continue
        moment = _moment(obs)
        date_problem = sample_date_problem(obs, moment, today)
        if date_problem is not None:
            moment = None  # a future date must not make the result the newest
        when = moment.date() if moment is not None else None
        wanted: frozenset[str] | None = None
        if cutoffs and when is not None and moment is not None:
            # Most Observations name one analyte and no component: no set is built for them.
            # In order (not a set): the order of facts.labs must not follow string hashing.
            names = (
                tuple(dict.fromkeys((*top, *(n for _, ns in components for n in ns))))
                if components
                else top
            )
            aged = [n for n in names if (cut := cutoffs.get(n)) is not None and when < cut]
            if aged:
                item = _Old(moment, obs, top, components, date_problem)
                for name in aged:
                    old.setdefault(name, []).append(item)
                wanted = frozenset(n for n in names if n not in aged)
                if not wanted:
                    continue
        per_obs = _obs_results(obs, top, components, codebook, when, date_problem, ctx, wanted)
        for name, result in per_obs.items():
            bucket = found.get(name)
            if bucket is None:
                found[name] = bucket = []
            bucket.append((moment, result))
    for name, items in old.items():
        found.setdefault(name, []).extend(_newest_old(name, items, codebook, ctx))
    return {name: _newest_first(items) for name, items in found.items()}


@dataclass(slots=True)
class _Old:
    """An Observation dated before an analyte's horizon: read only if it is needed."""

    moment: datetime  # only dated results can be before a horizon
    obs: dict[str, Any]
    top: tuple[str, ...]
    components: list[tuple[dict[str, Any], tuple[str, ...]]]
    date_problem: Message | None


def _old_moment(item: _Old) -> datetime:
    return item.moment


def _cutoffs(horizons: Mapping[str, int] | None, today: date | None) -> dict[str, date]:
    """Analyte id -> the earliest day read in full (no horizon, or no today: none)."""
    if not horizons or today is None:
        return {}
    return {name: today - timedelta(days=days) for name, days in horizons.items()}


def _newest_old(
    name: str, items: list[_Old], codebook: CodeBook, ctx: _Context
) -> list[tuple[datetime | None, LabResult]]:
    """The newest old result of ``name``, and the ones after it down to the newest usable one.

    What a rule may read of an old result is when the analyte was last taken (filter tests count
    only usable results) and what it was (``PatientFacts.latest``). Their notes are dropped.
    """
    quiet = _Context(sex=ctx.sex, age=ctx.age, notes=[])
    kept: list[tuple[datetime | None, LabResult]] = []
    # Record order among equal times, as _newest_first keeps it: a stable reverse sort.
    for item in sorted(items, key=_old_moment, reverse=True):
        results = _obs_results(
            item.obs,
            item.top,
            item.components,
            codebook,
            item.moment.date(),
            item.date_problem,
            quiet,
            frozenset((name,)),
        )
        result = results.get(name)
        if result is None:
            continue
        kept.append((item.moment, result))
        if result.unit_problem is None:
            break
    return kept


def _obs_results(
    obs: dict[str, Any],
    top: tuple[str, ...],
    components: list[tuple[dict[str, Any], tuple[str, ...]]],
    codebook: CodeBook,
    when: date | None,
    date_problem: Message | None,
    ctx: _Context,
    wanted: frozenset[str] | None,
) -> dict[str, LabResult]:
    """The results of one Observation, per analyte (only ``wanted`` ones, when given)."""
    analytes = codebook.analytes
    ref = fj.ref_of("Observation", obs)
    notes_text = fj.note_texts(obs) if "note" in obs else []
    # Where the finding is (bodySite, method, notes), for site-restricted sources such as
    # tumour size; a component shares its Observation's site.
    site = site_text(obs, with_method=True)
    per_obs: dict[str, LabResult] = {}
    top_names = top if wanted is None else tuple(n for n in top if n in wanted)
    if top_names:
        shared = _shared(obs, notes_text, _NO_FLAGS, site)
        for name in top_names:
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
            if wanted is not None and name not in wanted:
                continue
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
    return per_obs


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
