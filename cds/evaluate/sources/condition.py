"""The ``condition`` source: an active diagnosis from a code set, dated within the window.

Undated conditions count; ``include_history`` adds resolved/inactive ones. With
``site_patterns``/``site_negations`` only conditions whose site text passes count (as for a
``lab`` source). For «new or long-standing» (``cds.evaluate.change``) a condition is looked at
without a time limit: an active CKD coded in 2019 is long-standing.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from cds.criteria.checks import check_codeset, check_regexes
from cds.criteria.codebook import CodeBook
from cds.criteria.schema import SourceModel
from cds.evaluate.matching import matching_conditions, site_matches, site_shown, within
from cds.evaluate.model import Evidence
from cds.evaluate.sources.base import SourceKind, SourceResult
from cds.facts.model import PatientFacts
from cds.wording.message import msg

# «No limit» for the age of an active diagnosis (100 years).
_ANY_AGE = 36500


class ConditionSource(SourceModel):
    """An active Condition from ``codeset`` dated within ``window_days`` (undated ones count)."""

    kind: Literal["condition"]
    codeset: str
    window_days: int
    include_history: bool = False  # also count resolved/inactive conditions
    site_patterns: tuple[str, ...] = ()  # as LabSource, against ConditionFact.site
    site_negations: tuple[str, ...] = ()

    def diagnosis_codesets(self) -> tuple[str, ...]:
        return (self.codeset,)

    def lab_reach(self, widen_days: int) -> dict[str, int] | None:
        return {}  # reads no lab results


def check(source: ConditionSource, codebook: CodeBook, at: str) -> list[str]:
    """A known code set and site regexes that compile."""
    problems = check_codeset(source.codeset, codebook, f"{at}.codeset")
    problems += check_regexes(source.site_patterns, f"{at}.site_patterns")
    problems += check_regexes(source.site_negations, f"{at}.site_negations")
    return problems


def evaluate(
    source: ConditionSource, codebook: CodeBook, facts: PatientFacts, today: date
) -> SourceResult:
    out = SourceResult()
    codeset = codebook.codesets[source.codeset]
    restricted = bool(source.site_patterns or source.site_negations)
    for condition, found in matching_conditions(facts, codeset):
        if not condition.active and not source.include_history:
            continue
        if condition.when is not None and not within(condition.when, today, source.window_days):
            continue
        if restricted and not site_matches(
            condition.site, source.site_patterns, source.site_negations
        ):
            continue
        out.present = True
        text = condition.text or codeset.label
        earlier = "" if condition.active else "_earlier"
        where = site_shown(condition.site, source.site_patterns) if restricted else ""
        says = (
            msg(f"ev.condition{earlier}_at", text=text, found=found, where=where)
            if where
            else msg(f"ev.condition{earlier}", text=text, found=found)
        )
        out.evidence.append(Evidence(condition.ref, condition.when, says, quote=text))
    return out


KIND = SourceKind(ConditionSource, evaluate, check, since_days=_ANY_AGE)
