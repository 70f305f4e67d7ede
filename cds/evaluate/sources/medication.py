"""The ``medication`` source: a medicine by ATC code (or by name) in the record.

Used for what a treatment tells about the patient, not for counting use (that is
``medication_increase``, ``cds.evaluate.sources.usage_increase``):

* treatment that implies a diagnosis («lenalidomid» → known myeloma: «henvises pasienten ikke
  til nytt pakkeforløp»);
* treatment that explains a finding (semaglutide → planned weight loss, not «utilsiktet
  vekttap»; iron tablets → an anaemia with a treated cause).

A medicine counts while in use (active, intended, on hold, unknown or missing status), dated
within the window or undated; a stopped or completed one only with ``include_inactive``. When the
record's medicines could not be read, nothing is assumed and a note says so: the patient is then
assessed as if untreated, so a finding is never explained away by data we did not see.

Pure: the clock (``today``) is passed in.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from cds.criteria.checks import check_codeset, check_regexes
from cds.criteria.codebook import CodeBook
from cds.criteria.schema import SourceModel
from cds.evaluate.matching import matching_medications, regexes, within
from cds.evaluate.model import Evidence
from cds.evaluate.sources.base import SourceKind, SourceResult
from cds.facts.model import PatientFacts
from cds.wording.message import msg

# Prefetch keys (cds/services.py) whose absence makes «no such treatment» unknown.
_MEDICATION_KEYS = ("medicationStatements", "medicationRequests")
# One wording for every medication source, so a card says it once.
_NO_MEDICATIONS = msg("unavailable.medications")


class MedicationSource(SourceModel):
    """A medicine with an ATC code in ``codeset``: in use (active, intended, on hold, unknown
    status) and dated within ``window_days`` or undated; with ``include_inactive`` also
    completed/stopped ones dated within the window. For treatment that implies a diagnosis
    (lenalidomide: myeloma) or explains a finding (semaglutide: planned weight loss)."""

    kind: Literal["medication"]
    codeset: str
    # Case-insensitive regexes on the medicine's name, for drug lists without an ATC coding
    # (a product name from the Norwegian FEST catalogue, «Revlimid 10 mg»).
    name_patterns: tuple[str, ...] = ()
    window_days: int
    include_inactive: bool = False

    def lab_reach(self, widen_days: int) -> dict[str, int] | None:
        return {}  # reads no lab results


def check(source: MedicationSource, codebook: CodeBook, at: str) -> list[str]:
    """A known code set and name regexes that compile."""
    problems = check_codeset(source.codeset, codebook, f"{at}.codeset")
    problems += check_regexes(source.name_patterns, f"{at}.name_patterns")
    return problems


def evaluate(
    source: MedicationSource, codebook: CodeBook, facts: PatientFacts, today: date
) -> SourceResult:
    """Medicines with an ATC code in the source's code set (see module doc)."""
    out = SourceResult()
    codeset = codebook.codesets[source.codeset]
    coded = matching_medications(facts, codeset)
    # By name too: every medicine is a candidate; else only those the code index found.
    by_code = {id(med): code for med, code in coded}
    candidates = facts.medications if source.name_patterns else tuple(med for med, _ in coded)
    for med in candidates:
        if not med.active and not source.include_inactive:
            continue
        if med.when is not None and not within(med.when, today, source.window_days):
            continue
        if med.when is None and not med.active:
            continue  # an undated stopped medicine says nothing about when
        found = by_code.get(id(med))
        named = found is None and any(p.search(med.name) for p in regexes(source.name_patterns))
        if found is None and not named:
            continue
        out.present = True
        name = med.name or codeset.label
        stopped = "" if med.active else "_stopped"
        says = (
            msg(f"ev.medication{stopped}", name=name, found=found)
            if found is not None
            else msg(f"ev.medication_by_name{stopped}", name=name)
        )
        out.evidence.append(Evidence(med.ref, med.when, says, quote=med.name))
    if not out.present and any(k in facts.unavailable for k in _MEDICATION_KEYS):
        out.notes.append(_NO_MEDICATIONS)
    return out


KIND = SourceKind(MedicationSource, evaluate, check)
