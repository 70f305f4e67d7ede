"""The ``procedure`` source: a completed operation in the record (e.g. bariatric surgery).

A Procedure counts when completed, matching the source's order match (text or code, no
negation), and dated within the window (an undated completed one counts: an operation does not
become undone). When the record's operations could not be read, nothing is assumed and a note
says so: a finding is never explained away by data we did not see.

Pure: the clock (``today``) is passed in.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from cds.criteria.checks import check_order_match
from cds.criteria.codebook import CodeBook
from cds.criteria.expressions import DraftOrderMatch
from cds.criteria.schema import SourceModel
from cds.evaluate.matching import order_matches, within
from cds.evaluate.model import Evidence
from cds.evaluate.sources.base import SourceKind, SourceResult
from cds.facts.model import PatientFacts
from cds.wording.message import msg

_PROCEDURE_KEY = "procedures"


class ProcedureSource(SourceModel):
    """A completed Procedure in the record matching ``procedure`` (text or code, no negation),
    performed within ``window_days`` (undated ones count): e.g. bariatric surgery."""

    kind: Literal["procedure"]
    procedure: DraftOrderMatch
    window_days: int

    def lab_reach(self, widen_days: int) -> dict[str, int] | None:
        return {}  # reads no lab results


def check(source: ProcedureSource, codebook: CodeBook, at: str) -> list[str]:
    """A valid procedure match."""
    return check_order_match(source.procedure, codebook, f"{at}.procedure")


def evaluate(
    source: ProcedureSource, codebook: CodeBook, facts: PatientFacts, today: date
) -> SourceResult:
    """Completed Procedures matching the source's order match (see module doc)."""
    out = SourceResult()
    for order in facts.orders:
        if order.resource_type != "Procedure" or order.status != "completed":
            continue
        if order.when is not None and not within(order.when, today, source.window_days):
            continue
        if not order_matches(source.procedure, codebook, order):
            continue
        out.present = True
        text = order.labels[0] if order.labels else ""
        out.evidence.append(
            Evidence(
                order.ref,
                order.when,
                msg("ev.operation", text=text or msg("word.operation")),
                quote=text,
            )
        )
    if _PROCEDURE_KEY in facts.unavailable and not out.present:
        out.notes.append(msg("unavailable.procedures"))
    return out


KIND = SourceKind(ProcedureSource, evaluate, check)
