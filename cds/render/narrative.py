"""The human-readable XHTML narrative (``ServiceRequest.text.div``) of what we emit.

The referral narrative is laid out like a Norwegian referral letter, following the content items
of Helsedirektoratet's henvisningsveileder (norwegian-codes-and-pathways.md §1.4: aktuell
problemstilling, funn og resultater, legemidler, andre tilstander, informasjon til pasienten)
and the pathway's own demands («Henvisning til pakkeforløp»: begrunnet mistanke, medikamenter,
komorbiditet, skrøpelighetsvurdering). The receiving hospital may show only the narrative, so it
must stand on its own.

Templates live in ``cds/render/templates``; one jinja2 environment is built at import, with
autoescaping on (record text may contain «<» and «&») and ``StrictUndefined`` so a missing
template variable is a bug, not an empty paragraph. Callers pass plain, already formatted
strings: no FHIR references, ids or tokens ever reach the text.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from jinja2 import Environment, PackageLoader, StrictUndefined

XHTML_NS = "http://www.w3.org/1999/xhtml"

_ENV = Environment(
    loader=PackageLoader("cds.render", "templates"),
    autoescape=True,
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=False,
)


@dataclass(frozen=True, slots=True)
class DatedLine:
    """One finding for the letter: «Anemi» — «Hb 10,9 g/dL (ref. 11,7–15,3)» — «01.11.2026»."""

    label: str
    text: str
    when: str


@dataclass(frozen=True, slots=True)
class TimeLine:
    """One pathway time: «Fra henvisning mottatt til første fremmøte …» — «7 kalenderdager»."""

    label: str
    time: str


MedicationState = Literal["listed", "none", "unavailable"]


@dataclass(frozen=True, slots=True)
class ReferralNarrative:
    """Everything the referral letter shows, already formatted in Norwegian."""

    title: str  # the marking the source demands, «Pakkeforløp for myelomatose»
    acute: bool
    acute_instruction: str | None
    reason: str  # the begrunnet-mistanke sentence (also the ServiceRequest note)
    evidence: tuple[DatedLine, ...]
    findings: tuple[DatedLine, ...]
    medications: tuple[DatedLine, ...]
    medication_state: MedicationState
    comorbidities: tuple[DatedLine, ...]
    frailty: DatedLine | None
    patient_information: tuple[str, ...]
    times: tuple[TimeLine, ...]
    acute_times: tuple[TimeLine, ...]
    performer: str


@dataclass(frozen=True, slots=True)
class LabOrderNarrative:
    """The short narrative of a suggested lab order."""

    label: str
    reason: str
    analytes: tuple[str, ...]


def render_referral(narrative: ReferralNarrative) -> str:
    """The referral letter as one XHTML ``div`` (FHIR narrative, xmlns set)."""
    return _render("referral.html.j2", narrative=narrative)


def render_lab_order(narrative: LabOrderNarrative) -> str:
    """A lab order's narrative as one XHTML ``div``."""
    return _render("lab_order.html.j2", narrative=narrative)


def _render(template: str, **context: object) -> str:
    text = _ENV.get_template(template).render(xmlns=XHTML_NS, **context)
    # Line breaks between tags carry no meaning in a narrative; one line keeps JSON diffs small.
    return "".join(line.strip() for line in text.splitlines())
