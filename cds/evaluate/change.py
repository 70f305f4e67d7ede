"""Whether a present finding is new, worse than the patient's own baseline, or long-standing.

«Fastlege kan kontrollere pasienter med MGUS» (seed 001, Ansvarlig): a GP who follows an MGUS
patient with findings that have been there, unchanged, for years must not get a referral card at
every chart opening; and stable chronic kidney disease is not an acute kidney failure. A feature
with a ``change:`` block (``cds.criteria.schema.ChangeSpec``) is classified here, once per
assessment, from the same record and the same judgement as the feature itself:

* **since**, the earliest dated evidence of the finding within ``baseline_days``: for a ``lab``
  source the start of the unbroken run of results that the source itself would call abnormal,
  walking back from the newest one (a normal result in between ends the run); for a
  ``corrected_calcium`` source the same over corrected values; for every other source kind the
  earliest evidence the source finds when its window is widened to ``baseline_days`` (the first
  positive report); for a ``condition`` source without a limit (an active CKD coded in 2019 is
  long-standing).
* **worse**: for each ``worsening`` analyte, the newest usable value has moved by at least the
  given percentage *and* absolute change, in the feature's direction, from the patient's best
  value in the ``baseline_days`` before it.
* **worse** as well when a piece of evidence dated within ``new_days`` has a text matching
  ``worsening_patterns`` («Økende M-komponent, nå 12 g/L»): the report itself compared.
* **stable** as well when every piece of evidence is a text matching ``unchanged_patterns``
  («Kjent kompresjonsfraktur L1, uendret»): the report itself compares with an earlier one.
* **new**: not worse, and ``since`` is at most ``new_days`` ago, or unknown (nothing dated shows
  that the finding is old, and calling it stable could hide a cancer).
* otherwise **stable**.

Pure: the clock (``today``) is passed in.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

from cds.criteria.codebook import CodeBook
from cds.criteria.schema import ChangeSpec, Feature, Worsening
from cds.evaluate.matching import dated_newest_first, regexes, usable_value, within
from cds.evaluate.model import Change, Evidence, FeatureHit
from cds.evaluate.sources import kind_of
from cds.evaluate.sources.lab import LabSource
from cds.facts.model import PatientFacts
from cds.wording.message import msg


@dataclass(frozen=True, slots=True)
class ChangeVerdict:
    """``FeatureHit.change``/``since``/``baseline`` for one present feature."""

    change: Change
    since: date | None
    baseline: Evidence | None = None


def classify(
    feature: Feature,
    hit: FeatureHit,
    codebook: CodeBook,
    facts: PatientFacts,
    today: date,
) -> FeatureHit:
    """``hit`` with its change filled in (unchanged when the feature tracks no change)."""
    spec = feature.change
    if spec is None:
        return hit
    verdict = _verdict(feature, spec, hit, codebook, facts, today)
    return replace(hit, change=verdict.change, since=verdict.since, baseline=verdict.baseline)


def _verdict(
    feature: Feature,
    spec: ChangeSpec,
    hit: FeatureHit,
    codebook: CodeBook,
    facts: PatientFacts,
    today: date,
) -> ChangeVerdict:
    starts: list[date] = [e.when for e in hit.evidence if e.when is not None]
    for source in feature.sources:
        # Each kind knows how far back its finding goes (SourceKind.since): the run of abnormal
        # values of a lab source, an active diagnosis however old (CKD coded in 2019), else the
        # earliest evidence with the window widened to the baseline.
        start = kind_of(source).since(source, codebook, facts, today, spec.baseline_days)
        if start is not None:
            starts.append(start)
    since = min(starts, default=None)
    for analyte, bounds in spec.worsening.items():
        # The schema guarantees a lab source on each worsening analyte.
        source = next(
            s for s in feature.sources if s.lab_analyte() == analyte and isinstance(s, LabSource)
        )
        baseline = _worse_than_baseline(source, bounds, codebook, facts, today, spec.baseline_days)
        if baseline is not None:
            return ChangeVerdict("worse", since, baseline)
    if spec.worsening_patterns and _says_worse(hit, spec, today):
        return ChangeVerdict("worse", since)
    if spec.unchanged_patterns and _all_say_unchanged(hit, spec.unchanged_patterns):
        return ChangeVerdict("stable", since)
    if since is None or (today - since).days <= spec.new_days:
        return ChangeVerdict("new", since)
    return ChangeVerdict("stable", since)


def _says_worse(hit: FeatureHit, spec: ChangeSpec, today: date) -> bool:
    """A recent piece of evidence (dated within ``new_days``) whose text says the finding grows:
    a laboratory or radiologist that writes «økende» has compared with the earlier result."""
    compiled = regexes(spec.worsening_patterns)
    return any(
        e.when is not None
        and within(e.when, today, spec.new_days)
        and any(p.search(e.quote) for p in compiled)
        for e in hit.evidence
    )


def _all_say_unchanged(hit: FeatureHit, patterns: tuple[str, ...]) -> bool:
    """Every piece of evidence is a text that calls the finding unchanged (a report comparing
    with an earlier one): the finding is old even when the earlier report is not in the record."""
    compiled = regexes(patterns)
    evidence = hit.evidence
    return bool(evidence) and all(any(p.search(e.quote) for p in compiled) for e in evidence)


def _worse_than_baseline(
    source: LabSource,
    bounds: Worsening,
    codebook: CodeBook,
    facts: PatientFacts,
    today: date,
    days: int,
) -> Evidence | None:
    """The baseline result the newest value is worse than, or None.

    Newest: the newest usable result within the source's window. Baseline: the patient's best
    usable value (highest for ``low``, lowest for ``high``) dated before it within ``days``.
    """
    unit = source.threshold.unit
    usable = [
        (r, v)
        for r in dated_newest_first(facts.labs.get(source.analyte, ()), today, days)
        if (v := usable_value(r, unit)) is not None
    ]
    if not usable:
        return None
    newest, value = usable[0]
    if newest.when is None or not within(newest.when, today, source.window_days):
        return None
    earlier = [(r, v) for r, v in usable[1:] if r.when is not None and r.when < newest.when]
    if not earlier:
        return None
    pick = max if source.direction == "low" else min
    base, base_value = pick(earlier, key=lambda rv: rv[1].value)
    delta = (
        base_value.value - value.value
        if source.direction == "low"
        else value.value - base_value.value
    )
    if delta <= 0 or delta < bounds.min_change:
        return None
    if base_value.value and delta / abs(base_value.value) * 100 < bounds.percent:
        return None
    label = codebook.analytes[source.analyte].label
    return Evidence(base.ref, base.when, msg("ev.lab", label=label, value=base_value))
