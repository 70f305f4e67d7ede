"""The ``encounter_increase`` and ``medication_increase`` sources: more contacts or prescriptions
lately than in the time before.

Events are counted as **distinct days** — several Encounter resources for one visit
(consultation, lab, telephone note), or a statement and a prescription of the same medicine on one
day, are one contact. Encounters with status ``planned`` have not happened and are not counted;
cancelled/entered-in-error ones never reach the facts. Medicines count every dated
MedicationStatement/-Request (active or not: a completed prescription was still used) whose code
is in the code set (ATC by prefix). The recent window is ``(today − recent_days, today]``, the
baseline the ``baseline_days`` before it; future and undated events count in neither. Present iff
recent ≥ ``min_recent``, baseline ≤ ``max_baseline``, and the baseline is 0 or the recent rate per
day is at least ``factor`` times the baseline rate. When the data were unavailable
(``PatientFacts.unavailable``: the optional prefetch key could not be had) the source is not
assessed and a note says so: an empty list there means «unknown».
"""

from __future__ import annotations

import math
from datetime import date, timedelta
from typing import Literal

from cds.criteria.checks import check_codeset
from cds.criteria.codebook import CodeBook
from cds.criteria.schema import SourceModel
from cds.evaluate.matching import matching_medications
from cds.evaluate.model import Evidence
from cds.evaluate.sources.base import SourceKind, SourceResult
from cds.facts.model import PatientFacts
from cds.wording.message import Message, msg

# Prefetch keys whose absence makes a count unknown (cds/services.py).
_ENCOUNTER_KEYS = ("encounters",)
_MEDICATION_KEYS = ("medicationStatements", "medicationRequests")
# Encounter statuses that are not (yet) a contact.
_NOT_A_CONTACT = frozenset({"planned"})


class UsageIncreaseSource(SourceModel):
    """A marked increase in health-care contacts (Encounters) or in use of medicines (``codeset``).

    Present when the last ``recent_days`` hold at least ``min_recent`` events, the
    ``baseline_days`` before them held at most ``max_baseline`` events, and the recent rate per
    day is at least ``factor`` times the baseline rate (a baseline of zero always qualifies).
    Medicines count MedicationFact dates (prescriptions/statements) whose ATC is in ``codeset``.
    """

    kind: Literal["encounter_increase", "medication_increase"]
    codeset: str | None = None  # required for medication_increase
    recent_days: int
    baseline_days: int
    min_recent: int
    max_baseline: int
    factor: float

    def lab_reach(self, widen_days: int) -> dict[str, int] | None:
        return {}  # reads no lab results


def check(source: UsageIncreaseSource, codebook: CodeBook, at: str) -> list[str]:
    """A code set for medicines only, a known one, and positive periods."""
    problems: list[str] = []
    if source.kind == "medication_increase" and source.codeset is None:
        problems.append(f"{at}.codeset: medication_increase needs a codeset")
    if source.kind == "encounter_increase" and source.codeset is not None:
        problems.append(f"{at}.codeset: encounter_increase counts every contact; remove codeset")
    if source.codeset is not None:
        problems += check_codeset(source.codeset, codebook, f"{at}.codeset")
    if source.recent_days <= 0 or source.baseline_days <= 0:
        problems.append(f"{at}: recent_days and baseline_days must be positive")
    return problems


def evaluate(
    source: UsageIncreaseSource, codebook: CodeBook, facts: PatientFacts, today: date
) -> SourceResult:
    """More contacts (Encounters) or prescriptions (code set) lately than in the time before."""
    out = SourceResult()
    if source.kind == "encounter_increase":
        if any(key in facts.unavailable for key in _ENCOUNTER_KEYS):
            out.notes.append(msg("unavailable.encounters"))
            return out
        events = [
            (e.when, e.ref)
            for e in facts.encounters
            if e.when is not None and e.status not in _NOT_A_CONTACT
        ]
        noun = ("noun.contact", "noun.contacts")
        drugs = ""
    else:
        if source.codeset is None:  # the loader refuses this; narrows the type
            raise ValueError("medication_increase needs a codeset")
        codeset = codebook.codesets[source.codeset]
        if any(key in facts.unavailable for key in _MEDICATION_KEYS):
            out.notes.append(msg("unavailable.medications_increase", drugs=codeset.label.lower()))
            return out
        events = [
            (m.when, m.ref) for m, _ in matching_medications(facts, codeset) if m.when is not None
        ]
        noun = ("noun.prescription", "noun.prescriptions")
        drugs = codeset.label
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
    usage = msg(
        "ev.usage_increase",
        recent=n_recent,
        noun=msg(noun[0] if n_recent == 1 else noun[1]),
        days=source.recent_days,
        baseline=n_baseline,
        period=_period(source.baseline_days),
    )
    says = msg("ev.usage_of", label=drugs, usage=usage) if drugs else usage
    out.evidence.append(Evidence(recent[newest_day], newest_day, says))
    return out


def _period(days: int) -> Message:
    """«i året før», «i de 180 dagene før»."""
    if days in (365, 366):
        return msg("period.year_before")
    return msg("period.days_before", days=days)


KIND = SourceKind(UsageIncreaseSource, evaluate, check)
