"""The ``lab_flag`` source: the laboratory's own critical flag on the newest result.

Per listed analyte, the newest result within the window carries one of the flags (the
laboratory's own «kritisk» marking, v3 HH, LL, AA); an older flagged result that a newer one
replaced no longer counts.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from cds.criteria.checks import check_analytes
from cds.criteria.codebook import CodeBook
from cds.criteria.schema import SourceModel
from cds.evaluate.matching import newest_in_window
from cds.evaluate.model import Evidence, Words
from cds.evaluate.sources.base import SourceKind, SourceResult
from cds.facts.model import PatientFacts
from cds.wording import formats as fmt
from cds.wording.message import msg


class LabFlagSource(SourceModel):
    """The newest result of any of ``analytes`` within the window carries one of ``flags``.

    For «alarmerende laboratorieprøver»: the laboratory's own critical flags (v3 HH, LL, AA).
    """

    kind: Literal["lab_flag"]
    analytes: tuple[str, ...]
    flags: tuple[str, ...]
    window_days: int

    def filter_analytes(self) -> tuple[str, ...]:
        return self.analytes

    def lab_reach(self, widen_days: int) -> dict[str, int] | None:
        return dict.fromkeys(self.analytes, max(self.window_days, widen_days))


def check(source: LabFlagSource, codebook: CodeBook, at: str) -> list[str]:
    """Known analytes, and at least one analyte and one flag."""
    problems = check_analytes(source.analytes, codebook, f"{at}.analytes")
    if not source.analytes or not source.flags:
        problems.append(f"{at}: a lab_flag source needs analytes and flags")
    return problems


def evaluate(
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
        shown: Words = label
        if result.value is not None:
            shown = msg("ev.lab", label=label, value=result.value)
        elif result.text:
            shown = msg("ev.lab_text", label=label, text=fmt.snippet(result.text, limit=60))
        out.evidence.append(
            Evidence(
                result.ref,
                result.when,
                msg("ev.lab_flagged", shown=shown, flags=tuple(found)),
                quote=result.text,
            )
        )
    return out


KIND = SourceKind(LabFlagSource, evaluate, check)
