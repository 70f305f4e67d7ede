"""Whether a feature («Anemi») is present for a patient, from its record sources, with evidence.

One function per source kind (``lab``, ``corrected_calcium``, ``condition``, ``condition_count``,
``lab_flag``; ``text`` lives in ``cds.evaluate.texts``, ``weight_loss`` and the usage increases in
``cds.evaluate.trends``, ``size_increase`` and ``lump_after_surgery`` in ``cds.evaluate.lumps``); a
feature is present when any of its sources is. Semantics (criteria/README.md):

* Labs: only the newest result dated within the window counts (a corrected anaemia stops
  counting); undated results never count. Results the facts stage could not use (unit, number or
  date problem) are set aside, so the newest *usable* one decides, and their problem becomes an
  assessment note; when that leaves the source without a finding, a newer unusable result makes
  it *not assessed* (``cds.evaluate.unassessed``), never silently absent. With
  ``use_reference_range`` the lab's directional flag, then its reference range, decide; the
  threshold is the fallback. Comparisons are strict (``low``: below, ``high``: above).
* Site-restricted labs (``site_patterns``/``site_negations``, e.g. tumour size «dyp»): results whose
  site text fails the patterns are set aside *first*, so the newest result *whose site matches*
  decides, even when a newer result of the analyte exists elsewhere in the body (a superficial lump
  measured last week must not hide a deep one measured last month). Conditions are filtered the
  same way against their site text.
* Lab flags: per listed analyte, the newest result within the window carries one of the flags
  (the laboratory's own «kritisk» marking); an older flagged result that a newer one replaced no
  longer counts.
* Total-calcium fallback: in a feature that has a ``corrected_calcium`` source, a ``lab`` source on
  that source's calcium analyte is evaluated only when no other lab-type source of the feature had
  a usable result. Total calcium is misleading when albumin is abnormal, and paraproteins can bind
  calcium; it is used only when nothing better was measured.
* Conditions: active ones dated within the window (undated ones count); ``include_history`` adds
  resolved ones. ``condition_count`` counts distinct dates and includes resolved conditions,
  because it counts episodes (infections resolve).
* Text (``cds.evaluate.texts``): every finding in lab text, report conclusions or the GP's notes
  within the window that the assertion mechanism calls affirmed (or hedged/historical where the
  source counts those); a later negative text does not cancel an earlier positive one.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Literal

from cds.criteria.schema import (
    CodeBook,
    ConditionCountSource,
    ConditionSource,
    CorrectedCalciumSource,
    Feature,
    FeatureSource,
    LabFlagSource,
    LabSource,
    LumpAfterSurgerySource,
    MedicationSource,
    ProcedureSource,
    SizeIncreaseSource,
    TextSource,
    Threshold,
    UsageIncreaseSource,
    WeightLossSource,
)
from cds.evaluate import change, lumps, texts, treatments, trends
from cds.evaluate import format as fmt
from cds.evaluate.common import (
    SourceResult,
    regexes,
    round_half_up,
    site_matches,
)
from cds.evaluate.common import matcher_for as matcher_for  # re-exported: referral_state
from cds.evaluate.common import newest_in_window as newest_in_window  # re-exported
from cds.evaluate.common import within as within  # re-exported: referral_state
from cds.evaluate.model import Evidence, FeatureHit
from cds.evaluate.unassessed import lab_based, unusable_reason, usable
from cds.facts.model import LabResult, PatientFacts, Quantity, Sex

_LOW_FLAGS = frozenset({"L", "LL", "LU", "<"})
_HIGH_FLAGS = frozenset({"H", "HH", "HU", ">"})
_NORMAL_FLAG = "N"


@dataclass(frozen=True, slots=True)
class FeatureResult:
    """A feature's verdict: the hit (None when absent) and data-quality notes met on the way."""

    hit: FeatureHit | None
    notes: tuple[str, ...]
    unassessed: str | None = None  # absent, and why a source could not assess it


def evaluate_feature(
    feature_id: str, feature: Feature, codebook: CodeBook, facts: PatientFacts, today: date
) -> FeatureResult:
    """Evaluates every source of ``feature`` and merges what they found."""
    fallbacks = _fallback_sources(feature.sources)
    results: list[SourceResult] = []
    measured = False  # a number-judging source had a usable number (a flag is not a number)
    for source in feature.sources:
        if id(source) not in fallbacks:
            result = _evaluate_source(source, codebook, facts, today)
            results.append(result)
            measured |= result.assessed and isinstance(source, LabSource | CorrectedCalciumSource)
    if fallbacks and not measured:
        for source in feature.sources:
            if id(source) in fallbacks:
                results.append(_evaluate_source(source, codebook, facts, today))
    notes = tuple(note for r in results for note in r.notes)
    if not any(r.present for r in results):
        return FeatureResult(
            None, notes, next((r.unassessed for r in results if r.unassessed), None)
        )
    evidence = _newest_first(e for r in results if r.present for e in r.evidence)
    hit = FeatureHit(feature=feature_id, label=feature.label, evidence=evidence)
    hit = change.classify(feature, hit, codebook, facts, today, _evaluate_source)
    return FeatureResult(hit, notes)


def _fallback_sources(sources: Sequence[FeatureSource]) -> set[int]:
    """Lab sources on the calcium analyte of a corrected-calcium source in the same feature."""
    calcium = {s.calcium for s in sources if isinstance(s, CorrectedCalciumSource)}
    return {id(s) for s in sources if isinstance(s, LabSource) and s.analyte in calcium}


def _evaluate_source(
    source: FeatureSource, codebook: CodeBook, facts: PatientFacts, today: date
) -> SourceResult:
    if isinstance(source, LabSource):
        return _lab(source, codebook, facts, today)
    if isinstance(source, CorrectedCalciumSource):
        return _corrected_calcium(source, codebook, facts, today)
    if isinstance(source, ConditionSource):
        return _condition(source, codebook, facts, today)
    if isinstance(source, ConditionCountSource):
        return _condition_count(source, codebook, facts, today)
    if isinstance(source, TextSource):
        return texts.text_source(source, codebook, facts, today)
    if isinstance(source, LabFlagSource):
        return _lab_flag(source, codebook, facts, today)
    if isinstance(source, WeightLossSource):
        return lab_based(
            source, trends.weight_loss(source, codebook, facts, today), codebook, facts, today
        )
    if isinstance(source, UsageIncreaseSource):
        return trends.usage_increase(source, codebook, facts, today)
    if isinstance(source, SizeIncreaseSource):
        found = lumps.size_increase(source, codebook, facts, today)
        return lab_based(source, found, codebook, facts, today)
    if isinstance(source, LumpAfterSurgerySource):
        return lumps.lump_after_surgery(source, codebook, facts, today)
    if isinstance(source, MedicationSource):
        return treatments.medication(source, codebook, facts, today)
    if isinstance(source, ProcedureSource):
        return treatments.procedure(source, codebook, facts, today)
    raise TypeError(f"unknown feature source {type(source).__name__}")  # the schema prevents it


# --- labs ------------------------------------------------------------------------------------


def _usable(
    result: LabResult, label: str, unit: str, notes: list[str], facts: PatientFacts
) -> Quantity | None:
    """The result's number in ``unit``, or None with a note saying why it cannot be used.

    The facts stage may already have noted the same unit problem (cards show both lists); then
    the GP is told once.
    """
    if result.value is None:
        problem = result.unit_problem
        if problem and not any(problem in known for known in facts.notes):
            notes.append(f"{label}: {problem}")
        return None
    if result.value.unit != unit:
        notes.append(
            f"{label}: enheten {fmt.unit(result.value.unit)} kan ikke sammenlignes med "
            f"{fmt.unit(unit)} – verdien er ikke brukt"
        )
        return None
    return result.value


def threshold_for(threshold: Threshold, sex: Sex) -> tuple[float, str | None]:
    """The cut-off for this sex and, when the default had to be used, a note saying so."""
    if threshold.value is not None:
        return threshold.value, None
    if sex == "female" and threshold.female is not None:
        return threshold.female, None
    if sex == "male" and threshold.male is not None:
        return threshold.male, None
    if threshold.default is None:  # excluded by Threshold._one_way; narrows the type
        raise ValueError("threshold has neither value nor default")
    return threshold.default, ("Kjønn ukjent" if sex != "other" else "Kjønn «annet»")


def beyond(value: float, limit: float, direction: str) -> bool:
    """Strictly below (``low``) or above (``high``) ``limit``; float noise at the limit is «at»."""
    if math.isclose(value, limit, rel_tol=1e-9, abs_tol=1e-12):
        return False
    return value < limit if direction == "low" else value > limit


def _lab(source: LabSource, codebook: CodeBook, facts: PatientFacts, today: date) -> SourceResult:
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
        _usable(newest, analyte.label, source.threshold.unit, out.notes, facts)  # its note
    if result is None:
        out.unassessed = unusable_reason(results, analyte.label, today, source.window_days, None)
        return out
    value = _usable(result, analyte.label, source.threshold.unit, out.notes, facts)
    if value is None:
        return out
    out.assessed = True
    shown = f"{analyte.label} {fmt.quantity(value.value, value.unit)}"
    if restricted:
        where = _site_shown(result.site, source.site_patterns)
        shown = f"{shown}, {where}" if where else shown
    ref_text = _range_text(result, value.unit)
    verdict = judge_lab(source, result, value, facts.sex)
    if verdict.sex_note:
        limit_text = fmt.quantity(verdict.limit or 0, source.threshold.unit)
        out.notes.append(
            f"{verdict.sex_note}: brukte grenseverdi {limit_text} for {analyte.label}."
        )
    if not verdict.present:
        out.unassessed = unusable_reason(
            results, analyte.label, today, source.window_days, result.when
        )
        return out
    out.present = True
    if verdict.basis == "flag":
        word = "lav" if source.direction == "low" else "høy"
        extra = f"; {ref_text}" if ref_text else ""
        text = f"{shown} (merket {word} av laboratoriet{extra})"
    elif verdict.basis == "range":
        text = f"{shown} ({ref_text})"
    elif verdict.limit == 0 and source.direction == "high":
        # "Any amount": «M-komponent 4 g/L (over 0 g/L)» would read oddly.
        text = f"{shown} (påvist)"
    else:
        word = "under" if source.direction == "low" else "over"
        text = f"{shown} ({word} {fmt.quantity(verdict.limit or 0, source.threshold.unit)})"
    out.evidence.append(Evidence(result.ref, result.when, text))
    return out


@dataclass(frozen=True, slots=True)
class LabVerdict:
    """Whether one usable lab value is beyond its source's limit, and what decided it.

    ``basis``: the laboratory's own flag, the result's own reference range, or the criteria
    threshold (``limit``; ``sex_note`` when the sex-neutral default had to be used).
    """

    present: bool
    basis: Literal["flag", "range", "threshold"]
    limit: float | None = None
    sex_note: str | None = None


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


def _site_shown(site: str, patterns: tuple[str, ...]) -> str:
    """The part of a site text that made the result count («dyp, venstre lår»), shortened.

    The first line a pattern matches; with only negations, the first line. "" without a site.
    """
    lines = [line for line in site.split("\n") if line.strip()]
    compiled = regexes(patterns)
    for line in lines:
        if not compiled or any(p.search(line) for p in compiled):
            return fmt.snippet(line, limit=60)
    return ""


def _range_text(result: LabResult, unit: str) -> str:
    """«ref. 11,7–15,3» from the result's own range (only bounds in the value's unit)."""
    low = result.ref_low if result.ref_low is not None and result.ref_low.unit == unit else None
    high = result.ref_high if result.ref_high is not None and result.ref_high.unit == unit else None
    if low is not None and high is not None:
        return f"ref. {fmt.number(low.value, unit)}–{fmt.number(high.value, unit)}"
    if low is not None:
        return f"ref. ≥ {fmt.number(low.value, unit)}"
    if high is not None:
        return f"ref. ≤ {fmt.number(high.value, unit)}"
    return ""


def _corrected_calcium(
    source: CorrectedCalciumSource, codebook: CodeBook, facts: PatientFacts, today: date
) -> SourceResult:
    out = SourceResult()
    calcium_analyte = codebook.analytes[source.calcium]
    albumin_analyte = codebook.analytes[source.albumin]
    calciums = facts.labs.get(source.calcium, ())
    window = source.window_days
    calcium = newest_in_window((r for r in calciums if usable(r)), today, window)
    newest = newest_in_window(calciums, today, window)
    if newest is not None and newest is not calcium:
        _usable(newest, calcium_analyte.label, source.threshold.unit, out.notes, facts)
    if calcium is None or calcium.when is None:
        out.unassessed = unusable_reason(calciums, calcium_analyte.label, today, window, None)
        return out
    ca = _usable(calcium, calcium_analyte.label, source.threshold.unit, out.notes, facts)
    if ca is None:
        return out
    paired = corrected_calcium(source, calcium.when, ca.value, facts, albumin_analyte.unit)
    if paired is None:
        # An albumin that could not be used may be the one this calcium should be corrected with.
        out.unassessed = unusable_reason(
            facts.labs.get(source.albumin, ()),
            albumin_analyte.label,
            calcium.when,
            source.pairing_days,
            None,
        )
        return out
    corrected, albumin = paired
    if albumin.value is None:  # corrected_calcium only pairs albumins with a value
        return out
    out.assessed = True
    limit, sex_note = threshold_for(source.threshold, facts.sex)
    if sex_note:
        out.notes.append(
            f"{sex_note}: brukte grenseverdi {fmt.quantity(limit, source.threshold.unit)} "
            "for korrigert kalsium."
        )
    if not beyond(corrected, limit, "high"):
        out.unassessed = unusable_reason(
            calciums, calcium_analyte.label, today, window, calcium.when
        )
    else:
        out.present = True
        unit = source.threshold.unit
        out.evidence.append(
            Evidence(
                calcium.ref,
                calcium.when,
                f"Korrigert kalsium {fmt.quantity(corrected, unit)} "
                f"(Ca {fmt.number(ca.value, unit)}, "
                f"albumin {fmt.quantity(albumin.value.value, albumin.value.unit)})",
            )
        )
        out.evidence.append(
            Evidence(
                albumin.ref,
                albumin.when,
                f"Albumin {fmt.quantity(albumin.value.value, albumin.value.unit)} "
                "(brukt til korrigert kalsium)",
            )
        )
    return out


def corrected_calcium(
    source: CorrectedCalciumSource,
    when: date,
    calcium: float,
    facts: PatientFacts,
    albumin_unit: str | None,
) -> tuple[float, LabResult] | None:
    """Albumin-corrected calcium for a total calcium taken on ``when``, and the albumin used.

    Rounded to two decimals as a laboratory reports corrected calcium, so that the value shown to
    the GP is the value compared. None without an albumin within ``pairing_days``.
    """
    albumin = _paired_albumin(
        facts.labs.get(source.albumin, ()), when, source.pairing_days, albumin_unit
    )
    if albumin is None or albumin.value is None:
        return None
    exact = calcium + source.factor * (source.reference_albumin - albumin.value.value)
    return round_half_up(exact, "0.01"), albumin


def _paired_albumin(
    results: Iterable[LabResult], when: date, pairing_days: int, unit: str | None
) -> LabResult | None:
    """The albumin closest in time to ``when`` (within ``pairing_days``); ties: the newer one."""
    candidates: list[tuple[int, int, LabResult]] = []
    for result in results:
        if result.when is None or result.value is None or result.value.unit != unit:
            continue
        gap = abs((result.when - when).days)
        if gap <= pairing_days:
            candidates.append((gap, -result.when.toordinal(), result))
    if not candidates:
        return None
    return min(candidates, key=lambda c: (c[0], c[1]))[2]


# --- conditions ------------------------------------------------------------------------------


def _condition(
    source: ConditionSource, codebook: CodeBook, facts: PatientFacts, today: date
) -> SourceResult:
    out = SourceResult()
    codeset = codebook.codesets[source.codeset]
    matcher = matcher_for(codeset)
    restricted = bool(source.site_patterns or source.site_negations)
    for condition in facts.conditions:
        if not condition.active and not source.include_history:
            continue
        if condition.when is not None and not within(condition.when, today, source.window_days):
            continue
        found = matcher.match(condition.codes)
        if found is None:
            continue
        if restricted and not site_matches(
            condition.site, source.site_patterns, source.site_negations
        ):
            continue
        out.present = True
        text = condition.text or codeset.label
        history = ", tidligere" if not condition.active else ""
        where = _site_shown(condition.site, source.site_patterns) if restricted else ""
        site = f", {where}" if where else ""
        out.evidence.append(
            Evidence(condition.ref, condition.when, f"{text} ({fmt.code(found)}{history}{site})")
        )
    return out


def _condition_count(
    source: ConditionCountSource, codebook: CodeBook, facts: PatientFacts, today: date
) -> SourceResult:
    out = SourceResult()
    codeset = codebook.codesets[source.codeset]
    matcher = matcher_for(codeset)
    by_date: dict[date, Evidence] = {}
    for condition in facts.conditions:
        # Only dated episodes can be counted as separate; resolved ones count (see module doc).
        if condition.when is None or not within(condition.when, today, source.window_days):
            continue
        found = matcher.match(condition.codes)
        if found is None or condition.when in by_date:
            continue
        text = condition.text or codeset.label
        by_date[condition.when] = Evidence(
            condition.ref, condition.when, f"{text} ({fmt.code(found)})"
        )
    if len(by_date) >= source.min_count:
        out.present = True
        out.evidence.extend(by_date.values())
    return out


# --- laboratory flags ------------------------------------------------------------------------

# How the laboratory's flags read in evidence («merket kritisk høy av laboratoriet»).
_FLAG_WORDS: dict[str, str] = {
    "HH": "kritisk høy",
    "LL": "kritisk lav",
    "AA": "kritisk unormal",
    "HU": "svært høy",
    "LU": "svært lav",
    "H": "høy",
    "L": "lav",
    "A": "unormal",
    "POS": "positiv",
}


def _lab_flag(
    source: LabFlagSource, codebook: CodeBook, facts: PatientFacts, today: date
) -> SourceResult:
    out = SourceResult()
    wanted = frozenset(flag.upper() for flag in source.flags)
    for name in source.analytes:
        result = newest_in_window(facts.labs.get(name, ()), today, source.window_days)
        if result is None:
            continue
        out.assessed = True
        found = sorted(result.interpretation & wanted)
        if not found:
            continue
        out.present = True
        label = codebook.analytes[name].label
        if result.value is not None:
            shown = f"{label} {fmt.quantity(result.value.value, result.value.unit)}"
        elif result.text:
            shown = f"{label}: «{fmt.snippet(result.text, limit=60)}»"
        else:
            shown = label
        words = " og ".join(_FLAG_WORDS.get(flag, flag) for flag in found)
        out.evidence.append(
            Evidence(result.ref, result.when, f"{shown} (merket {words} av laboratoriet)")
        )
    return out


def _newest_first(evidence: Iterable[Evidence]) -> tuple[Evidence, ...]:
    """Evidence without duplicates, newest first (undated last), stable otherwise."""
    unique: dict[tuple[str, str], Evidence] = {}
    for item in evidence:
        unique.setdefault((item.ref, item.text), item)
    return tuple(sorted(unique.values(), key=lambda e: e.when or date.min, reverse=True))
