"""The ``size_increase`` source («vekst»): a measured lump has grown.

The newest measurement of the lump dated within ``window_days`` (site patterns/negations as a
``lab`` source) is compared with the **smallest** earlier measurement of the same lump in the
``within_days`` before it (earlier days only: two measurements on one day are observer variation,
not growth). Same lump: the earlier site does not name another region or the other side
(``cds.evaluate.places``); a measurement without a recognisable place counts as the same lump,
because GPs often record the place only once. Growth counts when the increase, rounded to two
decimals, is at least ``min_increase`` **and** the percentage, rounded to one decimal as shown, is
at least ``percent`` (at the limit counts). A newer measurement that could not be used makes the
source *not assessed* when it found nothing (``cds.evaluate.unassessed.lab_based``).
"""

from __future__ import annotations

import math
from datetime import date, timedelta
from typing import Literal

from cds.criteria.checks import check_analytes, check_body_sites, check_regexes
from cds.criteria.codebook import CodeBook
from cds.criteria.schema import SourceModel
from cds.evaluate.matching import extreme_value, newest_dated, site_matches, within
from cds.evaluate.model import Evidence
from cds.evaluate.places import place_label, place_of, same_place
from cds.evaluate.sources.base import SourceKind, SourceResult, round_half_up
from cds.evaluate.unassessed import lab_based
from cds.facts.model import PatientFacts, Quantity
from cds.wording.message import msg


class SizeIncreaseSource(SourceModel):
    """A measured lump has grown («vekst»).

    The newest result of ``analyte`` dated within ``window_days`` (whose site passes
    ``site_patterns``/``site_negations``) is compared with the *smallest* result of the same lump
    measured in the ``within_days`` before it. Present when the increase is at least
    ``min_increase`` (in the analyte's unit) **and** at least ``percent`` % of the earlier size.
    Same lump: an earlier result whose site names another body region or the other side
    (CodeBook.body_sites) is another lump; one without a recognisable place is taken as the same.
    """

    kind: Literal["size_increase"]
    analyte: str
    percent: float
    min_increase: float
    within_days: int
    window_days: int
    site_patterns: tuple[str, ...] = ()
    site_negations: tuple[str, ...] = ()
    source: str  # where the numbers come from

    def lab_reach(self, widen_days: int) -> dict[str, int] | None:
        # The smallest earlier size is looked for within_days before the newest one.
        return {self.analyte: max(self.window_days, widen_days) + self.within_days}


def check(source: SizeIncreaseSource, codebook: CodeBook, at: str) -> list[str]:
    """A known analyte with a unit, a positive bound, body sites to compare, valid regexes."""
    problems = check_analytes([source.analyte], codebook, f"{at}.analyte")
    analyte = codebook.analytes.get(source.analyte)
    if analyte is not None and analyte.unit is None:
        problems.append(f"{at}.analyte: analyte {source.analyte!r} has no unit to compare in")
    if source.percent <= 0 and source.min_increase <= 0:
        problems.append(f"{at}: percent or min_increase must be positive (else any change counts)")
    problems += check_body_sites(codebook, at)
    problems += check_regexes(source.site_patterns, f"{at}.site_patterns")
    problems += check_regexes(source.site_negations, f"{at}.site_negations")
    return problems


def evaluate(
    source: SizeIncreaseSource, codebook: CodeBook, facts: PatientFacts, today: date
) -> SourceResult:
    """The growth, or why it could not be assessed (results at the source's site only)."""
    found = size_increase(source, codebook, facts, today)
    if found.present:
        return found
    label = codebook.analytes[source.analyte].label
    results = [
        r
        for r in facts.labs.get(source.analyte, ())
        if site_matches(r.site, source.site_patterns, source.site_negations)
    ]
    return lab_based(found, results, label, today, source.window_days)


def _at_least(value: float, limit: float) -> bool:
    return value > limit or math.isclose(value, limit, abs_tol=1e-9)


def size_increase(
    source: SizeIncreaseSource, codebook: CodeBook, facts: PatientFacts, today: date
) -> SourceResult:
    """The newest measurement of a lump is clearly larger than an earlier one of the same lump."""
    out = SourceResult()
    analyte = codebook.analytes[source.analyte]
    unit = analyte.unit
    measured = [
        r
        for r in facts.labs.get(source.analyte, ())
        if r.when is not None
        and r.value is not None
        and r.value.unit == unit
        and site_matches(r.site, (), source.site_negations)
    ]
    newest = newest_dated(
        r
        for r in measured
        if r.when is not None
        and within(r.when, today, source.window_days)
        and site_matches(r.site, source.site_patterns, ())
    )
    if newest is None or newest.when is None or newest.value is None:
        return out
    here = place_of(newest.site, codebook)
    start = newest.when - timedelta(days=source.within_days)
    earlier = [
        r
        for r in measured
        if r.when is not None
        and start <= r.when < newest.when
        and same_place(here, place_of(r.site, codebook)) is not False
    ]
    smallest = extreme_value(earlier, largest=False)
    if smallest is None or smallest.value is None or smallest.value.value <= 0:
        return out
    out.assessed = True
    before, now = smallest.value.value, newest.value.value
    increase = round_half_up(now - before, "0.01")
    percent = round_half_up((now - before) / before * 100, "0.1")
    if not (_at_least(increase, source.min_increase) and _at_least(percent, source.percent)):
        return out
    out.present = True
    where = place_label(here, codebook)
    unit = newest.value.unit
    value = Quantity(now, unit)
    shown = (
        msg("ev.lab_at", label=analyte.label, value=value, where=where)
        if where
        else msg("ev.lab", label=analyte.label, value=value)
    )
    previous = Quantity(before, smallest.value.unit)
    out.evidence.append(
        Evidence(
            newest.ref,
            newest.when,
            msg(
                "ev.size_increase",
                shown=shown,
                increase=Quantity(increase, unit),
                percent=percent,
                before=previous,
                when=smallest.when,
            ),
        )
    )
    out.evidence.append(
        Evidence(
            smallest.ref,
            smallest.when,
            msg("ev.size_before", label=analyte.label, value=previous),
        )
    )
    return out


KIND = SourceKind(SizeIncreaseSource, evaluate, check)
