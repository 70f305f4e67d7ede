"""The ``lump_after_surgery`` source («tilbakefall etter tidligere kirurgi uansett histologi»).

A recent lump (an active coded lump, or a measured one) at the same region and side as an earlier
*completed* operation matching the procedure pattern, performed at least ``min_days_after`` days
before the lump was recorded (earlier swelling is postoperative: seroma, haematoma). Both places
must be recognisable: «the same place» is never assumed. Undated lumps and operations are not
compared. When the record's Procedures could not be had, the source is not assessed and — only
when a recent lump exists, so that the note is about something — a note says so.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from cds.criteria.checks import (
    check_analytes,
    check_body_sites,
    check_codeset,
    check_order_match,
    check_regexes,
)
from cds.criteria.codebook import CodeBook
from cds.criteria.expressions import DraftOrderMatch
from cds.criteria.schema import SourceModel
from cds.evaluate.matching import matching_conditions, order_matches, site_matches, within
from cds.evaluate.model import Evidence, Words
from cds.evaluate.places import Place, place_label, place_of, same_place
from cds.evaluate.sources.base import SourceKind, SourceResult
from cds.facts.model import OrderFact, PatientFacts
from cds.wording import formats as fmt
from cds.wording.message import msg

# The prefetch key whose absence makes «no earlier operation» unknown (cds/services.py).
_PROCEDURE_KEY = "procedures"


class LumpAfterSurgerySource(SourceModel):
    """A lump where a tumour was operated on before («tilbakefall etter tidligere kirurgi»).

    A lump (an active Condition in ``lump_codeset``, or a result of ``lump_analyte``) dated within
    ``window_days``, whose site passes ``site_negations``, at the same body region and side as an
    earlier completed Procedure matching ``procedure`` that was performed at least
    ``min_days_after`` days before the lump was recorded. Both places must be recognisable
    (CodeBook.body_sites): an operation or a lump without a place is never «the same place».
    """

    kind: Literal["lump_after_surgery"]
    procedure: DraftOrderMatch
    lump_codeset: str
    lump_analyte: str | None = None
    window_days: int
    min_days_after: int
    site_negations: tuple[str, ...] = ()

    def lab_reach(self, widen_days: int) -> dict[str, int] | None:
        if self.lump_analyte is None:
            return {}
        return {self.lump_analyte: max(self.window_days, widen_days)}


def check(source: LumpAfterSurgerySource, codebook: CodeBook, at: str) -> list[str]:
    """A valid procedure match without ``same_place_as``, known code set and analyte, body sites."""
    problems = check_order_match(source.procedure, codebook, f"{at}.procedure")
    if source.procedure.same_place_as:
        # An earlier operation is compared with the lump by the source itself.
        problems.append(f"{at}.procedure.same_place_as: only draft_order terms take it")
    problems += check_codeset(source.lump_codeset, codebook, f"{at}.lump_codeset")
    if source.lump_analyte is not None:
        problems += check_analytes([source.lump_analyte], codebook, f"{at}.lump_analyte")
    problems += check_body_sites(codebook, at)
    problems += check_regexes(source.site_negations, f"{at}.site_negations")
    return problems


def evaluate(
    source: LumpAfterSurgerySource, codebook: CodeBook, facts: PatientFacts, today: date
) -> SourceResult:
    """A recent lump at the place of an earlier operation, long enough after it."""
    out = SourceResult()
    lumps = _recent_lumps(source, codebook, facts, today)
    if not lumps:
        return out
    if _PROCEDURE_KEY in facts.unavailable:
        out.notes.append(msg("unavailable.procedures_lump"))
        return out
    operations = [
        (order, place_of(order.site, codebook))
        for order in facts.orders
        if order.resource_type == "Procedure"
        and order.status == "completed"
        and order.when is not None
        and order_matches(source.procedure, codebook, order)
    ]
    out.assessed = True
    for lump_ref, lump_when, lump_text, lump_place in lumps:
        for order, order_place in operations:
            if order.when is None or (lump_when - order.when).days < source.min_days_after:
                continue
            if same_place(lump_place, order_place) is not True:
                continue
            out.present = True
            where = place_label(lump_place, codebook)
            # «Kul venstre lår» already says where; «Tumorstørrelse 3 cm» does not.
            shown: Words = (
                lump_text
                if where in lump_text.lower()
                else msg("ev.at_place", text=lump_text, where=where)
            )
            operated = place_label(order_place, codebook)
            operation_name = _operation_text(order)
            operation: Words = operation_name.lower() or msg("word.operation")
            out.evidence.append(
                Evidence(
                    lump_ref,
                    lump_when,
                    msg(
                        "ev.lump_same_place",
                        shown=shown,
                        operation=operation,
                        when=order.when,
                    ),
                    quote=lump_text,
                )
            )
            out.evidence.append(
                Evidence(
                    order.ref,
                    order.when,
                    msg(
                        "ev.earlier_operation",
                        operation=operation_name.capitalize() or msg("word.Operation"),
                        where=operated,
                    ),
                    quote=operation_name,
                )
            )
            break
    return out


def _recent_lumps(
    source: LumpAfterSurgerySource, codebook: CodeBook, facts: PatientFacts, today: date
) -> list[tuple[str, date, str, Place]]:
    """(ref, date, text, place) of every dated lump within the window whose site passes."""
    found: list[tuple[str, date, str, Place]] = []
    codeset = codebook.codesets[source.lump_codeset]
    for condition, _ in matching_conditions(facts, codeset):
        if not condition.active or condition.when is None:
            continue
        if not within(condition.when, today, source.window_days):
            continue
        if not site_matches(condition.site, (), source.site_negations):
            continue
        found.append(
            (
                condition.ref,
                condition.when,
                condition.text or codeset.label,
                place_of(condition.site, codebook),
            )
        )
    if source.lump_analyte is not None:
        analyte = codebook.analytes[source.lump_analyte]
        for result in facts.labs.get(source.lump_analyte, ()):
            if result.when is None or not within(result.when, today, source.window_days):
                continue
            if not site_matches(result.site, (), source.site_negations):
                continue
            shown = analyte.label
            if result.value is not None:
                shown = f"{shown} {fmt.quantity(result.value.value, result.value.unit)}"
            found.append((result.ref, result.when, shown, place_of(result.site, codebook)))
    return found


def _operation_text(order: OrderFact) -> str:
    """The operation as the record names it (its first label), shortened; "" when unnamed."""
    return fmt.snippet(order.labels[0], limit=60) if order.labels else ""


KIND = SourceKind(LumpAfterSurgerySource, evaluate, check)
