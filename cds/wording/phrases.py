"""The phrase table: every sentence the service builds from a :class:`Message`, by phrase id.

Like pylint's message catalogue, each phrase has a stable id (``unit.unknown``) and a text with
named fields (``ukjent enhet «{unit}»``). A field may name its formatter after a colon:

* ``{when:date}`` — a date, «21.11.2026» or «udatert» (:func:`cds.wording.formats.day`);
* ``{value:num}`` — a number with a decimal comma; ``{value:qty}`` — a quantity with its unit;
* ``{items:and}`` — a tuple of texts as a Norwegian list («a, b og c»);
* ``{unit:unit}`` — a canonical unit as printed («umol/L» → «µmol/L»).

Any other field is put in as it is; a nested :class:`Message` is worded first. Record and
criteria text (labels, the sender's value) reach the table only as fields, never as ids.
"""

from __future__ import annotations

import string
from datetime import date
from typing import Any

from cds.wording import formats
from cds.wording.message import Message

PHRASES: dict[str, str] = {
    # --- values that cannot be used (cds.facts.numbers, units, dates, labs) -----------------
    # Shown as the reason of a «kunne ikke vurderes» line, and inside the notes below.
    "value.not_a_number": "verdien «{value}» er ikke et tall",
    "value.not_finite": "verdien «{value}» er ikke et endelig tall",
    "value.not_finite_bare": "verdien er ikke et endelig tall",
    "value.too_precise": "verdien «{value}» har flere enn {digits} gjeldende sifre",
    "value.absurd": "verdien «{value}» er urimelig stor",
    "unit.target_unknown": "analysens enhet «{unit}» er ukjent",
    "unit.missing": "enhet mangler",
    "unit.unknown": "ukjent enhet «{unit}»",
    "unit.not_convertible": "enheten «{unit}» kan ikke regnes om til {target}",
    "unit.conflict": "motstridende enheter «{code}» og «{unit}»",
    "date.future": "prøvedatoen {when:date} ligger fram i tid",
    "date.unreadable": "prøvedatoen «{value}» kan ikke leses",
    # A reason as a note or next to the result it refuses: what every such note ends with.
    "value.unused": "{problem} – verdien er ikke brukt",
    # --- data-quality notes of the facts stage («Merk:» in cards) -----------------------------
    "lab.unused": "{label} {when:date}: {problem} – verdien er ikke brukt",
    # The evaluate stage's note on a result it could not use for a source (cds.evaluate).
    "lab.unused_no_date": "{label}: {problem} – verdien er ikke brukt",
    # Why a feature «kunne ikke vurderes» (cds.evaluate.unassessed): the value and its reason.
    "unassessed.dated": "{label} {when:date}: {problem}",
    "unassessed.undated": "{label}: {problem}",
    "lab.comparator": (
        "{label} {when:date}: resultatet er oppgitt som «{shown}» – tallet er brukt uten"
        " «{comparator}»"
    ),
    # --- notes of the evaluate stage («Merk:» in cards) ------------------------------------
    "lab.unit_mismatch": (
        "{label}: enheten {unit:unit} kan ikke sammenlignes med {target:unit} – verdien er "
        "ikke brukt"
    ),
    "receiver.no_region": "Fant ikke helseregion fra adressen – velg mottaker.",
    # A sex-specific threshold when the record gives no usable sex: its sex-neutral default.
    "sex.unknown": "Kjønn ukjent",
    "sex.other": "Kjønn «annet»",
    "threshold.sex_default": "{sex}: brukte grenseverdi {limit:qty} for {label}.",
    "threshold.sex_default_corrected_calcium": (
        "{sex}: brukte grenseverdi {limit:qty} for korrigert kalsium."
    ),
    # A prefetch key the EHR could not give (Record.unavailable): what could not be assessed.
    "unavailable.medications": (
        "Legemiddellisten var ikke tilgjengelig: behandling som forklarer et funn eller viser "
        "kjent sykdom er ikke vurdert."
    ),
    "unavailable.medications_increase": (
        "Legemiddellisten var ikke tilgjengelig – økt bruk av {drugs} er ikke vurdert."
    ),
    "unavailable.procedures": "Tidligere operasjoner (Procedure) var ikke tilgjengelige.",
    "unavailable.procedures_lump": (
        "Tidligere operasjoner (Procedure) var ikke tilgjengelige – «tilbakefall etter tidligere "
        "kirurgi» er bare vurdert ut fra det som står om kulen."
    ),
    "unavailable.encounters": (
        "Kontakter med helsetjenesten (Encounter) var ikke tilgjengelige – økning i antall "
        "kontakter er ikke vurdert."
    ),
}


class _Formatter(string.Formatter):
    """``str.format`` with the field formatters of this table (see the module docstring)."""

    def format_field(self, value: Any, format_spec: str) -> str:
        if format_spec == "date":
            return formats.day(value)
        if format_spec == "num":
            return formats.number(value)
        if format_spec == "qty":
            return formats.quantity(value.value, value.unit)
        if format_spec == "unit":
            return formats.unit(value)
        if format_spec == "and":
            return formats.join_no([str(_plain(item)) for item in value])
        return str(super().format_field(_plain(value), format_spec))


def _plain(value: object) -> object:
    """A nested message worded, a date formatted; anything else as it is."""
    if isinstance(value, Message):
        return say(value)
    if isinstance(value, date):
        return formats.day(value)
    return value


_FORMATTER = _Formatter()


def say(message: Message | str) -> str:
    """The bokmål text of ``message``; a plain string (criteria or record text) as it is."""
    if isinstance(message, str):
        return message
    return _FORMATTER.format(PHRASES[message.code], **message.fields())
