"""The phrase table: every sentence the service builds from a :class:`Message`, by phrase id.

Like pylint's message catalogue, each phrase has a stable id (``unit.unknown``) and a text with
named fields (``ukjent enhet «{unit}»``). A field may name its formatter after a colon:

* ``{when:date}`` — a date, «21.11.2026» or «udatert» (:func:`cds.wording.formats.day`);
* ``{value:num}`` — a number with a decimal comma; ``{value:qty}`` — a quantity with its unit;
* ``{items:and}`` — a tuple of texts as a Norwegian list («a, b og c»);
* ``{unit:unit}`` — a canonical unit as printed («umol/L» → «µmol/L»);
* ``{value:bare}`` — a quantity's number alone, with its unit's decimals («2,60»);
* ``{range:range}`` — a (low, high, unit) tuple as a reference range («ref. 11,7–15,3»);
* ``{found:code}`` — a (family, code) pair («ICD-10 D64.9»);
* ``{flags:flags}`` — a tuple of laboratory flags in words («kritisk høy og lav»);
* ``{items:og}``, ``{items:eller}``, ``{items:comma}`` — a tuple joined by « og », « eller », «, ».

Any other field is put in as it is; a nested :class:`Message` is worded first. Record and
criteria text (labels, the sender's value) reach the table only as fields, never as ids.
"""

from __future__ import annotations

import string
from datetime import date
from typing import Any

from cds.wording import formats
from cds.wording.message import Message
from cds.wording.phrases_followup import FOLLOWUP_PHRASES

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
    "patient.deceased": "pasienten er registrert som død – ingen forslag om pakkeforløp",
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
    # --- GP safety-netting (cds.evaluate.safety_net, worded by cds.render.safety_net) ----------
    "safety_net.summary_no_time": "Henvist {pathway} {sent:date} – ingen time registrert",
    "safety_net.summary_no_time_overdue": (
        "Henvist {pathway} {sent:date} – ingen time registrert, {days} dager over fristen"
    ),
    "safety_net.due": (
        "**Første fremmøte skulle vært innen {due:date}** ({days} kalenderdager fra henvisning "
        "mottatt, kilde: {source})."
    ),
    "safety_net.nothing_registered": "Ingen time eller fremmøte er registrert i journalen.",
    "safety_net.overdue_days": "Fristen er passert med {days} dager.",
    "safety_net.missed_booking": (
        "Time {when:date} er registrert, men ikke fremmøte (ikke møtt, eller journalen er ikke "
        "oppdatert)."
    ),
    "safety_net.referral_heading": "Henvisning:",
    "safety_net.referral": "Henvisning",
    "safety_net.referral_line": "**{label}**, merket «{marking}» — {when:date}",
    "safety_net.registered_start": "**Registrert {code} henvisning mottatt** — {when:date}",
    "safety_net.transfer_line": "**Videresendt: {label}** — {when:date}",
    "safety_net.check": (
        "Kontroller at sykehuset har mottatt henvisningen og at pasienten har fått time; "
        "dokumenter kontakten, eller lag en påminnelse."
    ),
    "safety_net.summary_not_cancer": (
        "{pathway} avsluttet uten påvist kreft {decided:date} – {finding} fortsatt registrert"
    ),
    "safety_net.summary_not_cancer_short": (
        "Avsluttet uten påvist kreft {decided:date} – funnet er fortsatt registrert"
    ),
    "safety_net.decision_registered": (
        "**Utredningen ble avsluttet {decided:date} uten påvist kreft** (registrert {code}: "
        "{display})."
    ),
    "safety_net.decision_report": (
        "**Utredningen ble avsluttet {decided:date} uten påvist kreft** ({label})."
    ),
    "safety_net.persisting_heading": "Registrert etter avslutningen:",
    "safety_net.persist_advice": (
        "Symptomet eller funnet består. Vurder ny utredning eller ny henvisning, og avtal "
        "oppfølging med pasienten."
    ),
    "safety_net.contacted": "Dokumenter at pasienten er kontaktet",
    "safety_net.contacted_action": (
        "Lag et journalnotat (Communication) om at pasienten er kontaktet"
    ),
    "safety_net.contacted_text": (
        "Pasienten er kontaktet om henvisningen til {pathway} sendt {sent:date}: ingen time "
        "eller fremmøte registrert innen fristen {due:date}."
    ),
    "safety_net.reminder": "Lag påminnelse",
    "safety_net.reminder_action": "Lag en påminnelse (Task) med frist {until:date}",
    "safety_net.reminder_no_time": (
        "Følg opp henvisningen til {pathway} sendt {sent:date}: har pasienten fått time?"
    ),
    "safety_net.reminder_not_cancer": (
        "Følg opp {finding} etter at {pathway} ble avsluttet uten påvist kreft {decided:date}."
    ),
    "safety_net.override_contacted": "Pasienten er allerede kontaktet",
    "safety_net.override_has_time": "Pasienten har fått time (ikke registrert i journalen)",
    "safety_net.override_explained": "Funnet er vurdert og forklart",
}

# How the laboratory's interpretation flags (HL7 v3 ObservationInterpretation) read in evidence
# («merket kritisk høy av laboratoriet»); an unknown flag is shown as its code.
LAB_FLAGS: dict[str, str] = {
    "HH": "kritisk høy",
    "LL": "kritisk lav",
    "AA": "kritisk unormal",
    "HU": "svært høy",
    "LU": "svært lav",
    "H": "høy",
    "L": "lav",
    "A": "unormal",
    "POS": "positiv",
}

# --- evidence lines of the evaluate stage (one dated line per finding in cards and referral) ---
PHRASES.update(
    {
        # A lab value as shown: «Hb 10,9 g/dL», with the site that made it count.
        "ev.lab": "{label} {value:qty}",
        "ev.lab_at": "{label} {value:qty}, {where}",
        "ev.lab_text": "{label}: «{text}»",
        # Why it counts: the laboratory's flag, the result's own range, or the rule's limit.
        "ev.lab_flagged": "{shown} (merket {flags:flags} av laboratoriet)",
        "ev.lab_flagged_range": "{shown} (merket {flags:flags} av laboratoriet; {range:range})",
        "ev.lab_range": "{shown} ({range:range})",
        # "Any amount": «M-komponent 4 g/L (over 0 g/L)» would read oddly.
        "ev.lab_present": "{shown} (påvist)",
        "ev.lab_below": "{shown} (under {limit:qty})",
        "ev.lab_above": "{shown} (over {limit:qty})",
        "ev.corrected_calcium": (
            "Korrigert kalsium {corrected:qty} (Ca {calcium:bare}, albumin {albumin:qty})"
        ),
        "ev.albumin_for_calcium": "Albumin {albumin:qty} (brukt til korrigert kalsium)",
        "ev.size_increase": (
            "{shown} (økt med {increase:qty} / {percent:num} % fra {before:qty} {when:date})"
        ),
        "ev.size_before": "{label} {value:qty} (tidligere måling av samme svulst)",
        "ev.weight_loss": "{label} {value:qty} (ned {percent:num} % fra {before:qty} {when:date})",
        "ev.weight_before": "{label} {value:qty} (utgangspunkt for vekttapet)",
        # A sentence of the record that states the finding, quoted.
        "ev.quote": "{label}: «{quote}»",
        "ev.quote_pair": "{label}: «{quote}» og «{partner}»",
        "source.report": "Rapport",
        "source.note": "Notat",
        "source.note_on": "Notat ({title})",
        "source.encounter_reason": "Kontaktårsak",
        # Coded diagnoses and medicines.
        "ev.condition": "{text} ({found:code})",
        "ev.condition_earlier": "{text} ({found:code}, tidligere)",
        "ev.condition_at": "{text} ({found:code}, {where})",
        "ev.condition_earlier_at": "{text} ({found:code}, tidligere, {where})",
        "ev.medication": "{name} ({found:code})",
        "ev.medication_stopped": "{name} ({found:code}, avsluttet)",
        "ev.medication_by_name": "{name} (etter navn)",
        "ev.medication_by_name_stopped": "{name} (etter navn, avsluttet)",
        # Operations, and a lump where one was operated on.
        "ev.operation": "Operasjon: {text}",
        "word.operation": "operasjon",
        "word.Operation": "Operasjon",
        "ev.at_place": "{text}, {where}",
        "ev.lump_same_place": "{shown} (samme sted: {operation} {when:date})",
        "ev.earlier_operation": "{operation} (tidligere operasjon, {where})",
        # More contacts or prescriptions than before.
        "ev.usage_increase": "{recent} {noun} siste {days} dager mot {baseline} {period}",
        "ev.usage_of": "{label}: {usage}",
        "noun.contact": "kontakt",
        "noun.contacts": "kontakter",
        "noun.prescription": "forskrivning",
        "noun.prescriptions": "forskrivninger",
        "period.year_before": "i året før",
        "period.days_before": "i de {days} dagene før",
        # --- what a rule's unmet terms read as («Ikke oppfylt: …», cds.evaluate.terms) --------
        "term.all": "{parts:og}",
        "term.any": "{parts:eller}",
        "term.at_least": "minst {n} av: {parts:comma}",
        "term.not": "ikke {term}",
        "term.age": "alder {bounds:og}",
        "term.age_at_least": "minst {years} år",
        "term.age_below": "under {years} år",
        "term.draft_order": "en bestilling under arbeid som gjelder dette",
        "term.flag.filter_tests_incomplete": "filterprøvene er ikke tatt",
        "term.flag.draft_labelled": "henvisningen er merket for pakkeforløpet",
        "term.flag.related_draft_referral": "en henvisning som gjelder funnene er under arbeid",
    }
)

# The follow-up programme's phrases (cds.render.followup_cards, cds.render.careplan).
PHRASES.update(FOLLOWUP_PHRASES)

_JOINS: dict[str, str] = {"og": " og ", "eller": " eller ", "comma": ", "}


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
        if format_spec in _JOINS:
            return _JOINS[format_spec].join(str(_plain(item)) for item in value)
        if format_spec == "bare":
            return formats.number(value.value, value.unit)
        if format_spec == "range":
            low, high, unit = value
            return formats.ref_range(low, high, unit)
        if format_spec == "code":
            return formats.code(value)
        if format_spec == "flags":
            return " og ".join(LAB_FLAGS.get(flag, flag) for flag in value)
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
