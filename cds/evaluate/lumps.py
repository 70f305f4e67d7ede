"""Features about one lump over time: it has grown, or it sits where a tumour was removed before.

* ``size_increase`` («vekst»): the newest measurement of the lump dated within ``window_days``
  (site patterns/negations as a ``lab`` source) is compared with the **smallest** earlier
  measurement of the same lump in the ``within_days`` before it (earlier days only: two
  measurements on one day are observer variation, not growth). Same lump: the earlier site does
  not name another region or the other side (``cds.evaluate.places``); a measurement without a
  recognisable place counts as the same lump, because GPs often record the place only once.
  Growth counts when the increase, rounded to two decimals, is at least ``min_increase`` **and**
  the percentage, rounded to one decimal as shown, is at least ``percent`` (at the limit counts).
* ``lump_after_surgery`` («tilbakefall etter tidligere kirurgi uansett histologi»): a recent lump
  (an active coded lump, or a measured one) at the same region and side as an earlier *completed*
  operation matching the procedure pattern, performed at least ``min_days_after`` days before the
  lump was recorded (earlier swelling is postoperative: seroma, haematoma). Both places must be
  recognisable: «the same place» is never assumed. Undated lumps and operations are not compared.
  When the record's Procedures could not be had, the source is not assessed and — only when a
  recent lump exists, so that the note is about something — a note says so.
"""

from __future__ import annotations

import math
from datetime import date, timedelta

from cds.criteria.schema import CodeBook, LumpAfterSurgerySource, SizeIncreaseSource
from cds.evaluate import format as fmt
from cds.evaluate.common import (
    SourceResult,
    extreme_value,
    matcher_for,
    newest_dated,
    order_matches,
    round_half_up,
    site_matches,
    within,
)
from cds.evaluate.model import Evidence
from cds.evaluate.places import Place, place_label, place_of, same_place
from cds.facts.model import OrderFact, PatientFacts

# The prefetch key whose absence makes «no earlier operation» unknown (cds/services.py).
_PROCEDURE_KEY = "procedures"


def _at_least(value: float, limit: float) -> bool:
    return value > limit or math.isclose(value, limit, abs_tol=1e-9)


# --- growth ------------------------------------------------------------------------------------


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
    shown_where = f", {where}" if where else ""
    out.evidence.append(
        Evidence(
            newest.ref,
            newest.when,
            f"{analyte.label} {fmt.quantity(now, newest.value.unit)}{shown_where} (økt med "
            f"{fmt.quantity(increase, newest.value.unit)} / {fmt.number(percent)} % fra "
            f"{fmt.quantity(before, smallest.value.unit)} {fmt.day(smallest.when)})",
        )
    )
    out.evidence.append(
        Evidence(
            smallest.ref,
            smallest.when,
            f"{analyte.label} {fmt.quantity(before, smallest.value.unit)} "
            "(tidligere måling av samme svulst)",
        )
    )
    return out


# --- a lump where a tumour was removed ----------------------------------------------------------


def lump_after_surgery(
    source: LumpAfterSurgerySource, codebook: CodeBook, facts: PatientFacts, today: date
) -> SourceResult:
    """A recent lump at the place of an earlier operation, long enough after it."""
    out = SourceResult()
    lumps = _recent_lumps(source, codebook, facts, today)
    if not lumps:
        return out
    if _PROCEDURE_KEY in facts.unavailable:
        out.notes.append(
            "Tidligere operasjoner (Procedure) var ikke tilgjengelige – «tilbakefall etter "
            "tidligere kirurgi» er bare vurdert ut fra det som står om kulen."
        )
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
            shown = lump_text if where in lump_text.lower() else f"{lump_text}, {where}"
            operated = place_label(order_place, codebook)
            operation_name = _operation_text(order)
            out.evidence.append(
                Evidence(
                    lump_ref,
                    lump_when,
                    f"{shown} (samme sted: {operation_name.lower()} {fmt.day(order.when)})",
                )
            )
            out.evidence.append(
                Evidence(
                    order.ref, order.when, f"{operation_name} (tidligere operasjon, {operated})"
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
    matcher = matcher_for(codeset)
    for condition in facts.conditions:
        if not condition.active or condition.when is None:
            continue
        if not within(condition.when, today, source.window_days):
            continue
        if not matcher.matches(condition.codes):
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
    """The operation as the record names it (its first label), shortened."""
    return fmt.snippet(order.labels[0], limit=60).capitalize() if order.labels else "Operasjon"
