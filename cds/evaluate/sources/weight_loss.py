"""The ``weight_loss`` source: unintended weight loss computed from body-weight results.

The newest weight dated within ``window_days`` is compared with the *highest* weight dated in the
``within_days`` before it (earlier days only: two weighings on one day are measurement noise, not
a loss). At least two weights are needed. The percentage is rounded to one decimal, as it is
shown, and compared with ``percent`` (at the limit counts: «vekttap på 5 %»). A newer weight that
could not be used makes the source *not assessed* when it found nothing
(``cds.evaluate.unassessed.lab_based``).
"""

from __future__ import annotations

import math
from datetime import date, timedelta
from typing import Literal

from cds.criteria.checks import check_analytes
from cds.criteria.codebook import CodeBook
from cds.criteria.schema import SourceModel
from cds.evaluate.matching import extreme_value, newest_dated, within
from cds.evaluate.model import Evidence
from cds.evaluate.sources.base import SourceKind, SourceResult, round_half_up
from cds.evaluate.unassessed import lab_based
from cds.facts.model import PatientFacts, Quantity
from cds.wording.message import msg


class WeightLossSource(SourceModel):
    """Unintended weight loss computed from body-weight results.

    Present when the newest weight (within ``window_days``) is at least ``percent`` % below the
    highest weight measured in the ``within_days`` before it.
    """

    kind: Literal["weight_loss"]
    analyte: str
    percent: float
    within_days: int
    window_days: int

    def lab_reach(self, widen_days: int) -> dict[str, int] | None:
        # The heaviest weight is looked for within_days before the newest one in the window.
        return {self.analyte: max(self.window_days, widen_days) + self.within_days}


def check(source: WeightLossSource, codebook: CodeBook, at: str) -> list[str]:
    """A known analyte with a unit to compare weights in."""
    problems = check_analytes([source.analyte], codebook, f"{at}.analyte")
    analyte = codebook.analytes.get(source.analyte)
    if analyte is not None and analyte.unit is None:
        problems.append(f"{at}.analyte: analyte {source.analyte!r} has no unit to compare in")
    return problems


def evaluate(
    source: WeightLossSource, codebook: CodeBook, facts: PatientFacts, today: date
) -> SourceResult:
    """The weight loss, or why it could not be assessed."""
    found = weight_loss(source, codebook, facts, today)
    label = codebook.analytes[source.analyte].label
    results = facts.labs.get(source.analyte, ())
    return lab_based(found, results, label, today, source.window_days)


def weight_loss(
    source: WeightLossSource, codebook: CodeBook, facts: PatientFacts, today: date
) -> SourceResult:
    """The newest weight in the window is ``percent`` % or more below the earlier maximum."""
    out = SourceResult()
    analyte = codebook.analytes[source.analyte]
    unit = analyte.unit
    weights = [
        r
        for r in facts.labs.get(source.analyte, ())
        if r.when is not None and r.value is not None and r.value.unit == unit
    ]
    newest = newest_dated(
        r for r in weights if r.when is not None and within(r.when, today, source.window_days)
    )
    if newest is None or newest.when is None or newest.value is None:
        return out
    start = newest.when - timedelta(days=source.within_days)
    earlier = [r for r in weights if r.when is not None and start <= r.when < newest.when]
    heaviest = extreme_value(earlier, largest=True)
    if heaviest is None or heaviest.value is None or heaviest.value.value <= 0:
        return out
    out.assessed = True
    before, now = heaviest.value.value, newest.value.value
    loss = round_half_up((before - now) / before * 100, "0.1")
    if loss < source.percent and not math.isclose(loss, source.percent, abs_tol=1e-9):
        return out
    out.present = True
    label = analyte.label
    previous = Quantity(before, heaviest.value.unit)
    out.evidence.append(
        Evidence(
            newest.ref,
            newest.when,
            msg(
                "ev.weight_loss",
                label=label,
                value=Quantity(now, newest.value.unit),
                percent=loss,
                before=previous,
                when=heaviest.when,
            ),
        )
    )
    out.evidence.append(
        Evidence(heaviest.ref, heaviest.when, msg("ev.weight_before", label=label, value=previous))
    )
    return out


KIND = SourceKind(WeightLossSource, evaluate, check)
