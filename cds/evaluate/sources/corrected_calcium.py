"""The ``corrected_calcium`` source: albumin-corrected calcium above a limit.

Corrected calcium is Ca + factor × (reference_albumin − albumin g/L), from the newest usable total
calcium in the window and the albumin closest in time to it (within ``pairing_days``), rounded to
two decimals as a laboratory reports it. Total-calcium fallback: in a feature that has a
``corrected_calcium`` source, a ``lab`` source on that source's calcium analyte is evaluated only
when no other number-judging source of the feature had a usable result (``supersedes``). Total
calcium is misleading when albumin is abnormal, and paraproteins can bind calcium; it is used
only when nothing better was measured.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import ClassVar, Literal

from cds.criteria.checks import check_analytes, check_unit
from cds.criteria.codebook import CodeBook
from cds.criteria.schema import SourceModel, Threshold
from cds.evaluate.matching import dated_newest_first, newest_in_window, usable_value
from cds.evaluate.model import Evidence
from cds.evaluate.sources.base import SourceKind, SourceResult, round_half_up
from cds.evaluate.sources.lab import beyond, threshold_for, value_in_unit
from cds.evaluate.unassessed import unusable_reason, usable
from cds.facts.model import LabResult, PatientFacts, Quantity
from cds.wording.message import msg

# Albumin-corrected calcium formulas take albumin in g/L (reference_albumin is in g/L).
_ALBUMIN_UNIT = "g/L"


class CorrectedCalciumSource(SourceModel):
    """Albumin-corrected calcium Ca + factor × (reference_albumin − albumin g/L) above threshold.

    Uses the newest total calcium in the window and an albumin taken within ``pairing_days`` of it.
    """

    kind: Literal["corrected_calcium"]
    calcium: str
    albumin: str
    factor: float
    reference_albumin: float  # g/L
    threshold: Threshold
    pairing_days: int
    window_days: int

    judges_number: ClassVar[bool] = True

    def supersedes(self) -> tuple[str, ...]:
        return (self.calcium,)

    def lab_reach(self, widen_days: int) -> dict[str, int] | None:
        # The albumin may be taken up to pairing_days before the oldest calcium read.
        days = max(self.window_days, widen_days)
        return {self.calcium: days, self.albumin: days + self.pairing_days}


def check(source: CorrectedCalciumSource, codebook: CodeBook, at: str) -> list[str]:
    """Known analytes; the threshold in calcium's canonical unit; albumin in g/L."""
    problems = check_analytes([source.calcium], codebook, f"{at}.calcium")
    problems += check_analytes([source.albumin], codebook, f"{at}.albumin")
    calcium = codebook.analytes.get(source.calcium)
    if calcium is not None:
        problems += check_unit(source.threshold.unit, calcium, source.calcium, at)
    albumin = codebook.analytes.get(source.albumin)
    if albumin is not None and albumin.unit != _ALBUMIN_UNIT:
        problems.append(
            f"{at}.albumin: analyte {source.albumin!r} must have unit {_ALBUMIN_UNIT} "
            f"(reference_albumin is in g/L), has {albumin.unit!r}"
        )
    return problems


def evaluate(
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
        value_in_unit(newest, calcium_analyte.label, source.threshold.unit, out.notes, facts)
    if calcium is None or calcium.when is None:
        out.unassessed = unusable_reason(calciums, calcium_analyte.label, today, window, None)
        return out
    ca = value_in_unit(calcium, calcium_analyte.label, source.threshold.unit, out.notes, facts)
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
            msg(
                "threshold.sex_default_corrected_calcium",
                sex=sex_note,
                limit=Quantity(limit, source.threshold.unit),
            )
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
                msg(
                    "ev.corrected_calcium",
                    corrected=Quantity(corrected, unit),
                    calcium=Quantity(ca.value, unit),
                    albumin=albumin.value,
                ),
            )
        )
        out.evidence.append(
            Evidence(
                albumin.ref, albumin.when, msg("ev.albumin_for_calcium", albumin=albumin.value)
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


def run_start(
    source: CorrectedCalciumSource, codebook: CodeBook, facts: PatientFacts, today: date, days: int
) -> date | None:
    """As :func:`_run_start`, over albumin-corrected calcium values."""
    albumin_unit = codebook.analytes[source.albumin].unit
    limit, _ = threshold_for(source.threshold, facts.sex)
    start: date | None = None
    for result in dated_newest_first(facts.labs.get(source.calcium, ()), today, days):
        value = usable_value(result, source.threshold.unit)
        if value is None or result.when is None:
            continue
        paired = corrected_calcium(source, result.when, value.value, facts, albumin_unit)
        if paired is None:
            continue
        if not beyond(paired[0], limit, "high"):
            break
        start = result.when
    return start


KIND = SourceKind(CorrectedCalciumSource, evaluate, check, run_start=run_start)
