"""The formatters every text the GP reads shares: number, unit, quantity, range, date, code.

Norwegian lab reports write dates «21.11.2026» and decimals with a comma («10,9 g/dL»), and print
each unit's usual decimals (Hb 12,0 g/dL; Ca 2,60 mmol/L). Units have their printed form (µmol/L,
not umol/L) and ICD-10 codes their dot. One formatter each, so a value reads the same in the card,
the referral narrative and every evidence line.
"""

from __future__ import annotations

import re
from datetime import date

# Minimum decimals per canonical unit, as Norwegian labs print them (Hb 12,0 g/dL; Ca 2,60 mmol/L).
_MIN_DECIMALS: dict[str, int] = {"g/dL": 1, "mmol/L": 2}
_MAX_DECIMALS = 3

_UNIT_DISPLAY: dict[str, str] = {
    "umol/L": "µmol/L",
    "mL/min/{1.73_m2}": "mL/min/1,73 m²",
    "10*9/L": "×10⁹/L",
    "10*12/L": "×10¹²/L",
    "ug/L": "µg/L",
    "Cel": "°C",
    "1": "",
}

_FAMILY_DISPLAY: dict[str, str] = {
    "icd10": "ICD-10",
    "icpc2": "ICPC-2",
    "snomed": "SNOMED CT",
    "loinc": "LOINC",
    "nlk": "NLK",
    "atc": "ATC",
}

# What a missing date reads as, wherever a date is shown («Hemoglobin udatert: …», «— udatert»).
UNDATED = "udatert"

# A UCUM annotation (``{score}``) is no unit a GP reads: the value is shown alone.
_ANNOTATION = re.compile(r"\{[^{}]*\}")


def number(value: float, unit: str | None = None) -> str:
    """``value`` with a decimal comma: at most three decimals, no trailing zeros beyond the unit's
    usual decimals (10.90 g/dL -> «10,9»; 12 g/dL -> «12,0»; 4.0 -> «4»)."""
    text = f"{value:.{_MAX_DECIMALS}f}".rstrip("0").rstrip(".")
    whole, _, frac = text.partition(".")
    frac = frac.ljust(_MIN_DECIMALS.get(unit or "", 0), "0")
    if whole == "-0" and not frac.strip("0"):
        whole = "0"
    return f"{whole},{frac}" if frac else whole


def unit(canonical: str) -> str:
    """How a canonical unit is printed in Norwegian clinical text («umol/L» -> «µmol/L»)."""
    return _UNIT_DISPLAY.get(canonical, canonical)


def quantity(value: float, canonical_unit: str) -> str:
    """«10,9 g/dL», «5,1 ×10⁹/L», «67 mL/min/1,73 m²».

    A unit that is only an annotation (``{score}``) or UCUM's unity ``1`` is left out: «4».
    """
    shown = canonical_unit.strip()
    if shown in ("", "1") or _ANNOTATION.fullmatch(shown):
        return number(value, shown)
    return f"{number(value, shown)} {unit(shown)}".rstrip()


def ref_range(low: float | None, high: float | None, canonical_unit: str | None = None) -> str:
    """A result's reference range: «ref. 11,7–15,3», «ref. ≥ 60», «ref. ≤ 4», or "".

    FHIR's ``referenceRange.low`` and ``high`` are inclusive («the low bound of the reference range
    endpoint is inclusive of the value», R4 Observation), and the evaluate stage reads them so: a
    value *at* a bound is within the range (``cds.evaluate`` ``beyond``). A one-sided range is
    therefore «≥ 60», not «> 60», which would tell the GP that eGFR 60 is outside it.
    """
    if low is not None and high is not None:
        return f"ref. {number(low, canonical_unit)}–{number(high, canonical_unit)}"
    if low is not None:
        return f"ref. ≥ {number(low, canonical_unit)}"
    if high is not None:
        return f"ref. ≤ {number(high, canonical_unit)}"
    return ""


def day(value: date | None) -> str:
    """«21.11.2026»; «udatert» when the record gave no date."""
    if value is None:
        return UNDATED
    return f"{value.day:02d}.{value.month:02d}.{value.year:04d}"


def code(found: tuple[str, str]) -> str:
    """A (family, code) pair as printed: «ICD-10 D64.9», «ICPC-2 B82», «SNOMED CT 271737000»."""
    family, value = found
    if family == "icd10" and len(value) > 3 and "." not in value:
        value = f"{value[:3]}.{value[3:]}"
    return f"{_FAMILY_DISPLAY.get(family, family)} {value}"


def cut_words(text: str, limit: int) -> str:
    """``text`` in at most ``limit`` characters, cut after a whole word and ended with «…».

    Whitespace is collapsed first. A first word longer than ``limit`` is the only thing ever cut
    inside a word (there is no better place).
    """
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat
    head = flat[: limit - 1]
    if flat[limit - 1] != " ":
        space = head.rfind(" ")
        if space > 0:
            head = head[:space]
    return head.rstrip(" ,;:.–-…") + "…"


def one_line(text: str, limit: int = 300) -> str:
    """Whitespace collapsed to single spaces and cut between words within ``limit`` characters
    (with «…»): a quote is never cut inside a word."""
    return cut_words(text, limit)


def snippet(text: str, start: int = 0, limit: int = 120) -> str:
    """At most ``limit`` characters of ``text``, around position ``start`` when it must be cut.

    Cuts fall between words, never inside one (a GP reading «Fece…» cannot tell what was
    meant); «…» marks each cut end. Only a single word longer than the whole snippet is cut.
    """
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    begin = max(0, min(start - limit // 3, len(text) - (limit - 1)))
    if begin > 0 and text[begin - 1] != " ":
        begin = text.rfind(" ", 0, begin) + 1  # back to the start of the word: keep it whole
    room = limit - (1 if begin > 0 else 0) - 1  # the «…» marks take one character each
    return ("…" if begin > 0 else "") + cut_words(text[begin:], room + 1)


def join_no(items: list[str]) -> str:
    """Norwegian list: «a», «a og b», «a, b og c»."""
    if not items:
        return ""
    if len(items) == 1:
        return items[0]
    return ", ".join(items[:-1]) + " og " + items[-1]


def lower_first(label: str) -> str:
    """Lower-case a label's first letter for use mid-sentence, but keep acronyms and codes.

    «Anemi» -> «anemi», but «M-komponent», «IgG» and «LD» stay as they are.
    """
    first_word = re.split(r"[\s\-/]", label, maxsplit=1)[0]
    if len(first_word) > 1 and first_word[0].isupper() and first_word[1:].islower():
        return label[0].lower() + label[1:]
    return label
