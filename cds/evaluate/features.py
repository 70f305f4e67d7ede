"""Whether a feature («Anemi») is present for a patient, from its record sources, with evidence.

A feature is present when any of its sources is; each source is evaluated by its kind's module
(``cds.evaluate.sources``: ``lab``, ``corrected_calcium``, ``condition``, ``text``, ...), whose
docstring gives its semantics (criteria/README.md «Feature sources»). Here only what concerns a
feature as a whole:

* Fallbacks: a ``lab`` source on an analyte another source of the feature supersedes (the total
  calcium of a ``corrected_calcium`` source) is evaluated only when no number-judging source of the
  feature had a usable result.
* Evidence of every present source, without duplicates, newest first; data-quality notes of
  every source; when no source finds the feature, the first reason a source could not assess it
  (``cds.evaluate.unassessed``).
* Whether a present feature is new, worse or stable (``cds.evaluate.change``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from cds.criteria.codebook import CodeBook
from cds.criteria.schema import Feature, SourceModel
from cds.evaluate import change
from cds.evaluate.model import Evidence, FeatureHit, Words
from cds.evaluate.sources import evaluate_source
from cds.evaluate.sources.base import SourceResult
from cds.facts.model import PatientFacts


@dataclass(frozen=True, slots=True)
class FeatureResult:
    """A feature's verdict: the hit (None when absent) and data-quality notes met on the way."""

    hit: FeatureHit | None
    notes: tuple[Words, ...]
    unassessed: Words | None = None  # absent, and why a source could not assess it


def evaluate_feature(
    feature_id: str, feature: Feature, codebook: CodeBook, facts: PatientFacts, today: date
) -> FeatureResult:
    """Evaluates every source of ``feature`` and merges what they found."""
    fallbacks = _fallback_sources(feature.sources)
    results: list[SourceResult] = []
    measured = False  # a number-judging source had a usable number (a flag is not a number)
    for source in feature.sources:
        if id(source) not in fallbacks:
            result = evaluate_source(source, codebook, facts, today)
            results.append(result)
            measured |= result.assessed and source.judges_number
    if fallbacks and not measured:
        for source in feature.sources:
            if id(source) in fallbacks:
                results.append(evaluate_source(source, codebook, facts, today))
    notes = tuple(note for r in results for note in r.notes)
    if not any(r.present for r in results):
        return FeatureResult(
            None, notes, next((r.unassessed for r in results if r.unassessed), None)
        )
    evidence = _newest_first(e for r in results if r.present for e in r.evidence)
    hit = FeatureHit(feature=feature_id, label=feature.label, evidence=evidence)
    hit = change.classify(feature, hit, codebook, facts, today)
    return FeatureResult(hit, notes)


def _fallback_sources(sources: Sequence[SourceModel]) -> set[int]:
    """Lab sources on an analyte another source of the feature supersedes (the total calcium of
    a corrected-calcium source)."""
    superseded = {a for s in sources for a in s.supersedes()}
    return {id(s) for s in sources if s.lab_analyte() in superseded}


def _newest_first(evidence: Iterable[Evidence]) -> tuple[Evidence, ...]:
    """Evidence without duplicates, newest first (undated last), stable otherwise."""
    unique: dict[tuple[str, str], Evidence] = {}
    for item in evidence:
        unique.setdefault((item.ref, item.text), item)
    return tuple(sorted(unique.values(), key=lambda e: e.when or date.min, reverse=True))
