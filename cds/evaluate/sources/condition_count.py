"""The ``condition_count`` source: at least ``min_count`` separately dated diagnoses of a code set.

It counts distinct dates and includes resolved conditions, because it counts episodes (infections
resolve); undated conditions cannot be told apart and do not count.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from cds.criteria.checks import check_codeset
from cds.criteria.codebook import CodeBook
from cds.criteria.schema import SourceModel
from cds.evaluate.matching import matching_conditions, within
from cds.evaluate.model import Evidence
from cds.evaluate.sources.base import SourceKind, SourceResult
from cds.facts.model import PatientFacts
from cds.wording.message import msg


class ConditionCountSource(SourceModel):
    """At least ``min_count`` separately dated Conditions from ``codeset`` within the window."""

    kind: Literal["condition_count"]
    codeset: str
    min_count: int
    window_days: int

    def diagnosis_codesets(self) -> tuple[str, ...]:
        return (self.codeset,)

    def lab_reach(self, widen_days: int) -> dict[str, int] | None:
        return {}  # reads no lab results


def check(source: ConditionCountSource, codebook: CodeBook, at: str) -> list[str]:
    """A known code set."""
    return check_codeset(source.codeset, codebook, f"{at}.codeset")


def evaluate(
    source: ConditionCountSource, codebook: CodeBook, facts: PatientFacts, today: date
) -> SourceResult:
    out = SourceResult()
    codeset = codebook.codesets[source.codeset]
    by_date: dict[date, Evidence] = {}
    for condition, found in matching_conditions(facts, codeset):
        # Only dated episodes can be counted as separate; resolved ones count (see module doc).
        if condition.when is None or not within(condition.when, today, source.window_days):
            continue
        if condition.when in by_date:
            continue
        text = condition.text or codeset.label
        by_date[condition.when] = Evidence(
            condition.ref, condition.when, msg("ev.condition", text=text, found=found), quote=text
        )
    if len(by_date) >= source.min_count:
        out.present = True
        out.evidence.extend(by_date.values())
    return out


KIND = SourceKind(ConditionCountSource, evaluate, check)
