"""Features read from change over time: weight loss, and more contacts or prescriptions than before.

* ``weight_loss``: the newest weight dated within ``window_days`` is compared with the *highest*
  weight dated in the ``within_days`` before it (earlier days only: two weighings on one day are
  measurement noise, not a loss). At least two weights are needed. The percentage is rounded to one
  decimal, as it is shown, and compared with ``percent`` (at the limit counts: «vekttap på 5 %»).
* ``encounter_increase`` / ``medication_increase``: events are counted as **distinct days** —
  several Encounter resources for one visit (consultation, lab, telephone note), or a statement and
  a prescription of the same medicine on one day, are one contact. Encounters with status
  ``planned`` have not happened and are not counted; cancelled/entered-in-error ones never reach
  the facts. Medicines count every dated MedicationStatement/-Request (active or not: a completed
  prescription was still used) whose code is in the code set (ATC by prefix). The recent window is
  ``(today − recent_days, today]``, the baseline the ``baseline_days`` before it; future and
  undated events count in neither. Present iff recent ≥ ``min_recent``, baseline ≤
  ``max_baseline``, and the baseline is 0 or the recent rate per day is at least ``factor`` times
  the baseline rate.
* When the data were unavailable (``PatientFacts.unavailable``: the optional prefetch key could not
  be had) the source is not assessed and a note says so: an empty list there means «unknown».
"""

from __future__ import annotations

import math
from datetime import date, timedelta

from cds.criteria.schema import CodeBook, UsageIncreaseSource, WeightLossSource
from cds.evaluate import format as fmt
from cds.evaluate.common import (
    SourceResult,
    extreme_value,
    matcher_for,
    newest_dated,
    round_half_up,
    within,
)
from cds.evaluate.model import Evidence
from cds.facts.model import PatientFacts

# Prefetch keys whose absence makes a count unknown (cds/services.py).
_ENCOUNTER_KEYS = ("encounters",)
_MEDICATION_KEYS = ("medicationStatements", "medicationRequests")
# Encounter statuses that are not (yet) a contact.
_NOT_A_CONTACT = frozenset({"planned"})


# --- weight loss --------------------------------------------------------------------------------


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
    out.evidence.append(
        Evidence(
            newest.ref,
            newest.when,
            f"{label} {fmt.quantity(now, newest.value.unit)} (ned {fmt.number(loss)} % fra "
            f"{fmt.quantity(before, heaviest.value.unit)} {fmt.day(heaviest.when)})",
        )
    )
    out.evidence.append(
        Evidence(
            heaviest.ref,
            heaviest.when,
            f"{label} {fmt.quantity(before, heaviest.value.unit)} (utgangspunkt for vekttapet)",
        )
    )
    return out


# --- usage increase -----------------------------------------------------------------------------


def usage_increase(
    source: UsageIncreaseSource, codebook: CodeBook, facts: PatientFacts, today: date
) -> SourceResult:
    """More contacts (Encounters) or prescriptions (code set) lately than in the time before."""
    out = SourceResult()
    if source.kind == "encounter_increase":
        if any(key in facts.unavailable for key in _ENCOUNTER_KEYS):
            out.notes.append(
                "Kontakter med helsetjenesten (Encounter) var ikke tilgjengelige – økning i "
                "antall kontakter er ikke vurdert."
            )
            return out
        events = [
            (e.when, e.ref)
            for e in facts.encounters
            if e.when is not None and e.status not in _NOT_A_CONTACT
        ]
        noun = ("kontakt", "kontakter")
        prefix = ""
    else:
        if source.codeset is None:  # the loader refuses this; narrows the type
            raise ValueError("medication_increase needs a codeset")
        codeset = codebook.codesets[source.codeset]
        if any(key in facts.unavailable for key in _MEDICATION_KEYS):
            out.notes.append(
                "Legemiddellisten var ikke tilgjengelig – økt bruk av "
                f"{codeset.label.lower()} er ikke vurdert."
            )
            return out
        matcher = matcher_for(codeset)
        events = [
            (m.when, m.ref)
            for m in facts.medications
            if m.when is not None and matcher.matches(m.codes)
        ]
        noun = ("forskrivning", "forskrivninger")
        prefix = f"{codeset.label}: "
    recent_start = today - timedelta(days=source.recent_days)  # exclusive
    baseline_start = recent_start - timedelta(days=source.baseline_days)  # exclusive
    recent: dict[date, str] = {}
    baseline: set[date] = set()
    for when, ref in sorted(events, key=lambda e: e[0], reverse=True):
        if recent_start < when <= today:
            recent.setdefault(when, ref)  # newest first: the first ref of a day is kept
        elif baseline_start < when <= recent_start:
            baseline.add(when)
    out.assessed = True
    n_recent, n_baseline = len(recent), len(baseline)
    if n_recent < source.min_recent or n_baseline > source.max_baseline:
        return out
    if n_baseline > 0:
        recent_rate = n_recent / source.recent_days
        wanted = source.factor * n_baseline / source.baseline_days
        if recent_rate < wanted and not math.isclose(recent_rate, wanted, rel_tol=1e-9):
            return out
    out.present = True
    newest_day = max(recent)
    word = noun[0] if n_recent == 1 else noun[1]
    out.evidence.append(
        Evidence(
            recent[newest_day],
            newest_day,
            f"{prefix}{n_recent} {word} siste {source.recent_days} dager mot {n_baseline} "
            f"{_period_text(source.baseline_days)}",
        )
    )
    return out


def _period_text(days: int) -> str:
    """«i året før», «i de 180 dagene før»."""
    if days in (365, 366):
        return "i året før"
    return f"i de {days} dagene før"
