"""The ``lab`` source: the newest result of an analyte within the window is below/above a limit.

* Only the newest result dated within the window counts (a corrected anaemia stops counting);
  undated results never count. Results the facts stage could not use (unit, number or date
  problem) are set aside, so the newest *usable* one decides, and their problem becomes an
  assessment note; when that leaves the source without a finding, a newer unusable result makes
  it *not assessed* (``cds.evaluate.unassessed``), never silently absent. With
  ``use_reference_range`` the lab's directional flag, then its reference range, decide; the
  threshold is the fallback. Comparisons are strict (``low``: below, ``high``: above).
* Site-restricted labs (``site_patterns``/``site_negations``, e.g. tumour size «dyp»): results whose
  site text fails the patterns are set aside *first*, so the newest result *whose site matches*
  decides, even when a newer result of the analyte exists elsewhere in the body (a superficial lump
  measured last week must not hide a deep one measured last month).
* In a feature that also has a ``corrected_calcium`` source on this analyte, this source is only
  the fallback (``cds.evaluate.sources.corrected_calcium``, ``SourceModel.supersedes``).

:func:`judge_lab`, :func:`threshold_for` and :func:`beyond` are shared with
``cds.evaluate.change``, which walks back through earlier results with the same judgement.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import ClassVar, Literal

from cds.criteria.checks import check_analytes, check_regexes, check_unit
from cds.criteria.codebook import CodeBook
from cds.criteria.schema import SourceModel, Threshold
from cds.evaluate.matching import (
    dated_newest_first,
    newest_in_window,
    site_matches,
    site_shown,
    usable_value,
    within,
)
from cds.evaluate.model import Evidence, Uncounted, Words
from cds.evaluate.sources.base import SourceKind, SourceResult
from cds.evaluate.unassessed import unusable_reason, usable
from cds.facts.model import LabResult, PatientFacts, Quantity, Sex
from cds.wording.message import Message, msg

_LOW_FLAGS = frozenset({"L", "LL", "LU", "<"})
_HIGH_FLAGS = frozenset({"H", "HH", "HU", ">"})
_NORMAL_FLAG = "N"


class LabSource(SourceModel):
    """Latest result of ``analyte`` within ``window_days`` is below/above the threshold.

    With ``use_reference_range`` the result's own interpretation flag, then its reference range,
    decide; the threshold is the fallback. Only the newest result in the window counts.
    """

    kind: Literal["lab"]
    analyte: str
    direction: Literal["low", "high"]
    threshold: Threshold
    use_reference_range: bool = True
    window_days: int
    # Only results whose site text (bodySite, method, notes: LabResult.site) matches one of these
    # regexes and none of ``site_negations`` (e.g. a tumour «dyp»/«subkutan», «lyske»).
    site_patterns: tuple[str, ...] = ()
    site_negations: tuple[str, ...] = ()

    judges_number: ClassVar[bool] = True

    def lab_analyte(self) -> str | None:
        return self.analyte

    def filter_analytes(self) -> tuple[str, ...]:
        return (self.analyte,)

    def lab_reach(self, widen_days: int) -> dict[str, int] | None:
        return {self.analyte: max(self.window_days, widen_days)}


def check(source: LabSource, codebook: CodeBook, at: str) -> list[str]:
    """A known analyte, a threshold in its canonical unit, site regexes that compile."""
    problems = check_analytes([source.analyte], codebook, f"{at}.analyte")
    analyte = codebook.analytes.get(source.analyte)
    if analyte is not None:
        problems += check_unit(source.threshold.unit, analyte, source.analyte, at)
    problems += check_regexes(source.site_patterns, f"{at}.site_patterns")
    problems += check_regexes(source.site_negations, f"{at}.site_negations")
    return problems


def evaluate(
    source: LabSource, codebook: CodeBook, facts: PatientFacts, today: date
) -> SourceResult:
    out = SourceResult()
    analyte = codebook.analytes[source.analyte]
    results: Iterable[LabResult] = facts.labs.get(source.analyte, ())
    restricted = bool(source.site_patterns or source.site_negations)
    if restricted:
        # Set aside results from elsewhere first: the newest result *at the site* decides.
        results = [
            r for r in results if site_matches(r.site, source.site_patterns, source.site_negations)
        ]
    results = tuple(results)
    # Unusable results are set aside: the newest usable one decides (cds.evaluate.unassessed).
    result = newest_in_window((r for r in results if usable(r)), today, source.window_days)
    newest = newest_in_window(results, today, source.window_days)
    if newest is not None and newest is not result:
        value_in_unit(newest, analyte.label, source.threshold.unit, out.notes, facts)  # its note
    if result is None:
        out.unassessed = unusable_reason(results, analyte.label, today, source.window_days, None)
        return out
    value = value_in_unit(result, analyte.label, source.threshold.unit, out.notes, facts)
    if value is None:
        return out
    out.assessed = True
    shown: Words = msg("ev.lab", label=analyte.label, value=value)
    if restricted:
        where = site_shown(result.site, source.site_patterns)
        if where:
            shown = msg("ev.lab_at", label=analyte.label, value=value, where=where)
    ref_range = _range(result, value.unit)
    verdict = judge_lab(source, result, value, facts.sex)
    if verdict.sex_note:
        limit = Quantity(verdict.limit or 0, source.threshold.unit)
        out.notes.append(
            msg("threshold.sex_default", sex=verdict.sex_note, limit=limit, label=analyte.label)
        )
    if not verdict.present:
        out.unassessed = unusable_reason(
            results, analyte.label, today, source.window_days, result.when
        )
        return out
    out.present = True
    limit = Quantity(verdict.limit or 0, source.threshold.unit)
    text: Message
    if verdict.basis == "flag":
        flags = ("L",) if source.direction == "low" else ("H",)
        if ref_range is None:
            text = msg("ev.lab_flagged", shown=shown, flags=flags)
        else:
            text = msg("ev.lab_flagged_range", shown=shown, flags=flags, range=ref_range)
    elif verdict.basis == "range":
        text = msg("ev.lab_range", shown=shown, range=ref_range or (None, None, value.unit))
    elif verdict.limit == 0 and source.direction == "high":
        text = msg("ev.lab_present", shown=shown)
    elif source.direction == "low":
        text = msg("ev.lab_below", shown=shown, limit=limit)
    else:
        text = msg("ev.lab_above", shown=shown, limit=limit)
    out.evidence.append(Evidence(result.ref, result.when, text))
    return out


def value_in_unit(
    result: LabResult, label: str, unit: str, notes: list[Words], facts: PatientFacts
) -> Quantity | None:
    """The result's number in ``unit``, or None with a note saying why it cannot be used.

    The facts stage may already have noted the same unit problem (cards show both lists); then
    the GP is told once.
    """
    if result.value is None:
        problem = result.unit_problem
        if problem and not any(known.get("problem") == problem for known in facts.notes):
            notes.append(msg("lab.unused_no_date", label=label, problem=problem))
        return None
    if result.value.unit != unit:
        notes.append(msg("lab.unit_mismatch", label=label, unit=result.value.unit, target=unit))
        return None
    return result.value


def threshold_for(threshold: Threshold, sex: Sex) -> tuple[float, Message | None]:
    """The cut-off for this sex and, when the default had to be used, a note saying so."""
    if threshold.value is not None:
        return threshold.value, None
    if sex == "female" and threshold.female is not None:
        return threshold.female, None
    if sex == "male" and threshold.male is not None:
        return threshold.male, None
    if threshold.default is None:  # excluded by Threshold._one_way; narrows the type
        raise ValueError("threshold has neither value nor default")
    return threshold.default, msg("sex.unknown" if sex != "other" else "sex.other")


def beyond(value: float, limit: float, direction: str) -> bool:
    """Strictly below (``low``) or above (``high``) ``limit``; float noise at the limit is «at»."""
    if math.isclose(value, limit, rel_tol=1e-9, abs_tol=1e-12):
        return False
    return value < limit if direction == "low" else value > limit


@dataclass(frozen=True, slots=True)
class LabVerdict:
    """Whether one usable lab value is beyond its source's limit, and what decided it.

    ``basis``: the laboratory's own flag, the result's own reference range, or the criteria
    threshold (``limit``; ``sex_note`` when the sex-neutral default had to be used).
    """

    present: bool
    basis: Literal["flag", "range", "threshold"]
    limit: float | None = None
    sex_note: Message | None = None


def judge_lab(source: LabSource, result: LabResult, value: Quantity, sex: Sex) -> LabVerdict:
    """The verdict of ``source`` on one result whose value is usable (``value`` in its unit).

    With ``use_reference_range`` the lab's directional flag, then its reference range, decide;
    the threshold is the fallback. Shared by the feature itself and by ``cds.evaluate.change``,
    which walks back through earlier results with the same judgement.
    """
    if source.use_reference_range:
        wanted = _LOW_FLAGS if source.direction == "low" else _HIGH_FLAGS
        opposite = _HIGH_FLAGS if source.direction == "low" else _LOW_FLAGS
        if result.interpretation & wanted:
            return LabVerdict(True, "flag")
        if result.interpretation & opposite or _NORMAL_FLAG in result.interpretation:
            return LabVerdict(False, "flag")
        bound = result.ref_low if source.direction == "low" else result.ref_high
        if bound is not None and bound.unit == value.unit:
            return LabVerdict(beyond(value.value, bound.value, source.direction), "range")
    limit, sex_note = threshold_for(source.threshold, sex)
    return LabVerdict(beyond(value.value, limit, source.direction), "threshold", limit, sex_note)


def _range(result: LabResult, unit: str) -> tuple[float | None, float | None, str] | None:
    """The result's own reference range (only bounds in the value's unit), or None without one.

    Worded by the one range formatter (``{range:range}``, «ref. 11,7–15,3»), so the card and the
    referral cannot drift apart again.
    """
    low = result.ref_low if result.ref_low is not None and result.ref_low.unit == unit else None
    high = result.ref_high if result.ref_high is not None and result.ref_high.unit == unit else None
    if low is None and high is None:
        return None
    return (low.value if low is not None else None, high.value if high is not None else None, unit)


def run_start(
    source: LabSource, codebook: CodeBook, facts: PatientFacts, today: date, days: int
) -> date | None:
    """Date of the oldest result in the unbroken run of abnormal results ending at the newest."""
    results: Iterable[LabResult] = facts.labs.get(source.analyte, ())
    if source.site_patterns or source.site_negations:
        results = [
            r for r in results if site_matches(r.site, source.site_patterns, source.site_negations)
        ]
    start: date | None = None
    for result in dated_newest_first(results, today, days):
        value = usable_value(result, source.threshold.unit)
        if value is None:
            continue  # an unusable value neither extends nor ends the run
        if not judge_lab(source, result, value, facts.sex).present:
            break
        start = result.when
    return start


def uncounted(
    source: LabSource, codebook: CodeBook, facts: PatientFacts, today: date
) -> list[Uncounted]:
    """The newest usable result when it is older than the window (the explain view: «Hb 9,8 g/dL
    is from before the 90 days»); nothing when a result in the window was judged."""
    patterns, negations = source.site_patterns, source.site_negations
    for newest in facts.labs.get(source.analyte, ()):  # newest first
        if not usable(newest) or newest.when is None or newest.value is None:
            continue
        if (patterns or negations) and not site_matches(newest.site, patterns, negations):
            continue
        if within(newest.when, today, source.window_days):
            return []
        label = codebook.analytes[source.analyte].label
        says = msg("ev.lab", label=label, value=newest.value)
        return [Uncounted(newest.ref, newest.when, says, "out_of_window", source.window_days)]
    return []


KIND = SourceKind(LabSource, evaluate, check, run_start=run_start, uncounted=uncounted)
