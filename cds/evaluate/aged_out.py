"""Earlier positive results that have aged out of their window, for the filter-test card.

A patient whose SPEP showed an M-component 14 months ago, with symptoms now, gets the mistanke
card (the M-component no longer counts: its window is a year, and the test is stale). Telling
the GP only «proteinelektroforese – eldre enn 365 dager» hides the one fact that matters: the
old test was *positive*. So, for a ``mistanke`` assessment, every feature that is absent but is
established by a missing or stale filter test (they share an analyte: the M-component feature
reads ``spep``, the proteinelektroforese test is ``spep``) is evaluated again with every source's
look-back widened to :data:`LOOK_BACK_DAYS`. What it then finds is older than the feature's own
window by construction (the feature is absent within it) and becomes an :class:`AgedOut`: the
card says «M-komponent påvist for 14 mnd siden – ta ny proteinelektroforese».

:data:`LOOK_BACK_DAYS` is three years: the same span as the M-component's change baseline
(``change.baseline_days`` 1095 in criteria/myelomatose.yaml), long enough to cover the yearly
MGUS control a GP may have missed, short enough that a result from another era of the patient's
health is not presented as news. A source whose own window is longer (an MGUS code, ten years)
keeps it. Only a feature's newest such evidence is reported. Pure: ``today`` is passed in.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date

from cds.criteria.schema import CodeBook, Feature, Pathway
from cds.evaluate.features import evaluate_feature
from cds.evaluate.model import AgedOut, FeatureHit, FilterTestStatus
from cds.evaluate.sources.base import widened_source
from cds.facts.model import PatientFacts

LOOK_BACK_DAYS = 1095


def aged_out(
    pathway: Pathway,
    codebook: CodeBook,
    facts: PatientFacts,
    today: date,
    hits: Mapping[str, FeatureHit],
    filter_tests: Sequence[FilterTestStatus],
) -> tuple[AgedOut, ...]:
    """Aged-out positive evidence of absent features whose filter test is missing or stale."""
    due = {t.test for t in filter_tests if t.state != "ok"}
    tests = [t for t in pathway.filter_tests if t.id in due and t.analytes]
    out: list[AgedOut] = []
    for feature_id, feature in pathway.features.items():
        if feature_id in hits:
            continue
        analytes = _analytes(feature)
        test = next((t for t in tests if analytes.intersection(t.analytes)), None)
        if test is None:
            continue
        result = evaluate_feature(feature_id, _widened(feature), codebook, facts, today)
        dated = [e for e in result.hit.evidence if e.when is not None] if result.hit else []
        if dated:
            out.append(AgedOut(feature_id, feature.label, dated[0], test.id, test.label))
    return tuple(out)


def _analytes(feature: Feature) -> set[str]:
    """The analytes a feature reads whose filter test may show an earlier result (lab values,
    lab texts, lab flags: ``SourceModel.filter_analytes``)."""
    return {analyte for source in feature.sources for analyte in source.filter_analytes()}


def _widened(feature: Feature) -> Feature:
    sources = tuple(widened_source(s, LOOK_BACK_DAYS) or s for s in feature.sources)
    # No change classification: the finding is not present, only its history is reported.
    return feature.model_copy(update={"sources": sources, "change": None})
