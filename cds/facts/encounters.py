"""Encounters -> ``EncounterFact``: the patient's contacts with the health service, newest first.

The diagnostic pathway's «økning i antall kontakter» counts contacts over time, so the date
(``period.start``; R5's ``actualPeriod.start`` as a fallback), status and class are kept; the
reason texts (``reasonCode``) are kept for text sources that read the GP's own words, and the
department and ``basedOn`` for the pathway clock (``cds.facts.pathway_events``).
Cancelled and entered-in-error encounters never happened and are left out (record-conventions.md
«General rules»); other statuses (planned included) are kept and left to the evaluator.
``Encounter.class`` is one Coding in R4 and a list of CodeableConcepts in R5; both are read.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from cds.facts import fhirjson as fj
from cds.facts.dates import first_datetime
from cds.facts.model import EncounterFact
from cds.facts.pathway_events import based_on, department_text

_SKIP_STATUS = frozenset({"entered-in-error", "cancelled"})


def _class_code(value: object) -> str:
    """The code of R4 ``class`` (a Coding) or of the first coding of R5 ``class`` (concepts)."""
    for item in fj.dicts(value):
        code = fj.text(item.get("code"))
        if code:
            return code.upper()
        for coding in fj.dicts(item.get("coding")):
            code = fj.text(coding.get("code"))
            if code:
                return code.upper()
    return ""


def extract_encounters(encounters: Iterable[dict[str, Any]]) -> tuple[EncounterFact, ...]:
    """Every Encounter not cancelled or entered in error: newest first, undated last.

    Equal start times keep record order.
    """
    dated: list[tuple[datetime, int, EncounterFact]] = []
    undated: list[EncounterFact] = []
    for position, encounter in enumerate(encounters):
        status = fj.status_of(encounter)
        if status in _SKIP_STATUS:
            continue
        period = fj.as_dict(encounter.get("period")) or {}
        actual = fj.as_dict(encounter.get("actualPeriod")) or {}
        moment = first_datetime(period.get("start"), actual.get("start"))
        fact = EncounterFact(
            ref=fj.ref_of("Encounter", encounter),
            when=moment.date() if moment is not None else None,
            status=status,
            klass=_class_code(encounter.get("class")),
            reason="\n".join(fj.concept_texts(encounter.get("reasonCode"))),
            department=department_text(encounter),
            based_on=based_on(encounter),
        )
        if moment is None:
            undated.append(fact)
        else:
            dated.append((moment, position, fact))
    dated.sort(key=lambda item: (item[0], -item[1]), reverse=True)
    return tuple(item[2] for item in dated) + tuple(undated)
