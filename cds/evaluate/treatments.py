"""Treatment in the record: medicines by ATC (``medication``) and operations (``procedure``).

Used for what a treatment tells about the patient, not for counting use (that is
``medication_increase`` in ``cds.evaluate.trends``):

* treatment that implies a diagnosis («lenalidomid» → known myeloma: «henvises pasienten ikke
  til nytt pakkeforløp»);
* treatment that explains a finding (semaglutide or a gastric bypass → planned weight loss, not
  «utilsiktet vekttap»; iron tablets → an anaemia with a treated cause).

A medicine counts while in use (active, intended, on hold, unknown or missing status), dated
within the window or undated; a stopped or completed one only with ``include_inactive``.
A Procedure counts when completed and dated within the window (an undated completed one counts:
an operation does not become undone). When the record's medicines or operations could not be
read, nothing is assumed and a note says which: the patient is then assessed as if untreated,
so a finding is never explained away by data we did not see.

Pure: the clock (``today``) is passed in.
"""

from __future__ import annotations

from datetime import date

from cds.criteria.schema import CodeBook, MedicationSource, ProcedureSource
from cds.evaluate import format as fmt
from cds.evaluate.common import SourceResult, matcher_for, order_matches, regexes, within
from cds.evaluate.model import Evidence
from cds.facts.model import PatientFacts

# Prefetch keys (cds/services.py) whose absence makes «no such treatment» unknown.
_MEDICATION_KEYS = ("medicationStatements", "medicationRequests")
_PROCEDURE_KEY = "procedures"
# One wording for every medication source, so a card says it once.
_NO_MEDICATIONS = (
    "Legemiddellisten var ikke tilgjengelig: behandling som forklarer et funn eller viser kjent "
    "sykdom er ikke vurdert."
)


def medication(
    source: MedicationSource, codebook: CodeBook, facts: PatientFacts, today: date
) -> SourceResult:
    """Medicines with an ATC code in the source's code set (see module doc)."""
    out = SourceResult()
    codeset = codebook.codesets[source.codeset]
    matcher = matcher_for(codeset)
    for med in facts.medications:
        if not med.active and not source.include_inactive:
            continue
        if med.when is not None and not within(med.when, today, source.window_days):
            continue
        if med.when is None and not med.active:
            continue  # an undated stopped medicine says nothing about when
        found = matcher.match(med.codes)
        named = found is None and any(p.search(med.name) for p in regexes(source.name_patterns))
        if found is None and not named:
            continue
        out.present = True
        name = med.name or codeset.label
        how = fmt.code(found) if found is not None else "etter navn"
        stopped = "" if med.active else ", avsluttet"
        out.evidence.append(Evidence(med.ref, med.when, f"{name} ({how}{stopped})"))
    if not out.present and any(k in facts.unavailable for k in _MEDICATION_KEYS):
        out.notes.append(_NO_MEDICATIONS)
    return out


def procedure(
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
        text = order.labels[0] if order.labels else "operasjon"
        out.evidence.append(Evidence(order.ref, order.when, f"Operasjon: {text}"))
    if _PROCEDURE_KEY in facts.unavailable and not out.present:
        out.notes.append("Tidligere operasjoner (Procedure) var ikke tilgjengelige.")
    return out
