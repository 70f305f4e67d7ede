"""Conditions and medications -> ``ConditionFact`` / ``MedicationFact``.

Status handling follows record-conventions.md «General rules»: refuted and entered-in-error
conditions are ignored, resolved/inactive/remission ones count only as history; medication
entries entered in error (or never taken / cancelled) are ignored, stopped and completed ones are
kept as inactive so the referral can still list recent medication. A condition's ``site`` is its
bodySite and note text (``cds.facts.sites``); ``note`` keeps the note texts as written, for the
text sources that read the GP's own words. Medication dates (``authoredOn`` of a prescription;
``effective[x]``, else ``dateAsserted`` of a statement) date each entry, so use can be counted over
time.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from cds.facts import fhirjson as fj
from cds.facts.codes import codes_of
from cds.facts.dates import first_date
from cds.facts.model import ConditionFact, MedicationFact
from cds.facts.sites import site_text

_REFUTED = frozenset({"refuted", "entered-in-error"})
_HISTORY = frozenset({"resolved", "inactive", "remission"})

# MedicationStatement/-Request statuses. "draft" is a prescription not yet signed, so not in use.
_MED_SKIP = frozenset({"entered-in-error", "not-taken", "cancelled"})
_MED_INACTIVE = frozenset({"stopped", "completed", "draft"})


def extract_conditions(conditions: Iterable[dict[str, Any]]) -> tuple[ConditionFact, ...]:
    """Every Condition that is not refuted or entered in error, in record order."""
    facts: list[ConditionFact] = []
    for cond in conditions:
        verification = fj.raw_codes(cond.get("verificationStatus"))
        if verification & _REFUTED or fj.status_of(cond) == "entered-in-error":
            continue
        clinical = fj.raw_codes(cond.get("clinicalStatus"))
        clinical_text = fj.get_text(cond.get("clinicalStatus"), "text")
        if clinical_text:
            clinical.add(clinical_text.lower())
        onset = fj.as_dict(cond.get("onsetPeriod")) or {}
        facts.append(
            ConditionFact(
                ref=fj.ref_of("Condition", cond),
                codes=codes_of(cond.get("code")),
                when=first_date(
                    cond.get("onsetDateTime"), onset.get("start"), cond.get("recordedDate")
                ),
                active=not (clinical & _HISTORY),
                text=fj.concept_title(cond.get("code")),
                site=site_text(cond, with_method=False),
                note="\n".join(dict.fromkeys(fj.note_texts(cond))),
            )
        )
    return tuple(facts)


class MedicationResolver:
    """Finds the Medication a ``medicationReference`` points at: in the record or contained."""

    __slots__ = ("_by_ref",)

    def __init__(self, medications: Iterable[dict[str, Any]]) -> None:
        self._by_ref: dict[str, dict[str, Any]] = {}
        for med in medications:
            ref = fj.ref_of("Medication", med)
            if ref:
                self._by_ref[ref] = med

    def resolve(self, reference: str | None, owner: dict[str, Any]) -> dict[str, Any] | None:
        """The Medication for ``reference``: ``Medication/1``, an absolute URL or ``#contained``."""
        if not reference:
            return None
        if reference.startswith("#"):
            for item in fj.dicts(owner.get("contained")):
                if (
                    item.get("resourceType") == "Medication"
                    and fj.text(item.get("id")) == reference[1:]
                ):
                    return item
            return None
        # Absolute URLs and versioned references end in .../Medication/<id>[/_history/<v>].
        parts = reference.split("/_history/")[0].rstrip("/").split("/")
        if len(parts) >= 2:
            return self._by_ref.get(f"{parts[-2]}/{parts[-1]}")
        return None


def _medication_concept(
    resource: dict[str, Any], resolver: MedicationResolver
) -> tuple[object, str]:
    """(the medication's CodeableConcept, fallback name from the reference display)."""
    concept = resource.get("medicationCodeableConcept")
    if fj.as_dict(concept) is not None:
        return concept, ""
    reference = fj.as_dict(resource.get("medicationReference")) or {}
    medication = resolver.resolve(fj.reference_of(reference), resource)
    fallback = fj.text(reference.get("display")) or ""
    return (medication.get("code") if medication is not None else None), fallback


def extract_medications(
    statements: Iterable[dict[str, Any]],
    requests: Iterable[dict[str, Any]],
    resolver: MedicationResolver,
) -> tuple[MedicationFact, ...]:
    """MedicationStatements then MedicationRequests, in record order."""
    facts: list[MedicationFact] = []
    for resource_type, resources in (
        ("MedicationStatement", statements),
        ("MedicationRequest", requests),
    ):
        for resource in resources:
            status = fj.status_of(resource)
            if status in _MED_SKIP:
                continue
            concept, fallback = _medication_concept(resource, resolver)
            end = None
            if resource_type == "MedicationStatement":
                period = fj.as_dict(resource.get("effectivePeriod")) or {}
                when = first_date(
                    resource.get("effectiveDateTime"),
                    period.get("start"),
                    resource.get("dateAsserted"),
                )
                end = first_date(period.get("end"))
            else:
                when = first_date(resource.get("authoredOn"))
            facts.append(
                MedicationFact(
                    ref=fj.ref_of(resource_type, resource),
                    name=fj.concept_title(concept) or fallback,
                    codes=codes_of(concept),
                    when=when,
                    # active, intended, on-hold, unknown and a missing status: presumably in use
                    active=status not in _MED_INACTIVE,
                    end=end,
                )
            )
    return tuple(facts)
