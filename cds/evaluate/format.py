"""Norwegian formatting of numbers, units and codes for evidence texts («Hb 10,9 g/dL»).

Evidence is read by GPs, so numbers use a decimal comma, units their printed form (µmol/L, not
umol/L) and ICD-10 codes their dot. Kept apart from the render stage on purpose: evidence texts are
made here, once, and shown the same way in cards and in the referral.
"""

from __future__ import annotations

from datetime import date

from cds.facts.model import Code

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


def number(value: float, unit: str | None = None) -> str:
    """``value`` with a decimal comma: no trailing zeros beyond the unit's usual decimals."""
    text = f"{value:.{_MAX_DECIMALS}f}".rstrip("0").rstrip(".")
    whole, _, frac = text.partition(".")
    frac = frac.ljust(_MIN_DECIMALS.get(unit or "", 0), "0")
    if whole == "-0" and not frac.strip("0"):
        whole = "0"
    return f"{whole},{frac}" if frac else whole


def unit(canonical: str) -> str:
    """How a canonical unit is printed in Norwegian clinical text."""
    return _UNIT_DISPLAY.get(canonical, canonical)


def quantity(value: float, canonical_unit: str) -> str:
    """«10,9 g/dL»; a dimensionless value has no unit after it."""
    shown = unit(canonical_unit)
    return f"{number(value, canonical_unit)} {shown}".rstrip()


def code(found: Code) -> str:
    """«ICD-10 D64.9», «ICPC-2 B82», «SNOMED CT 271737000»."""
    family, value = found
    if family == "icd10" and len(value) > 3 and "." not in value:
        value = f"{value[:3]}.{value[3:]}"
    return f"{_FAMILY_DISPLAY.get(family, family)} {value}"


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


def day(value: date | None) -> str:
    """«12.05.2026» inside an evidence text; «udatert» when the date is unknown."""
    return value.strftime("%d.%m.%Y") if value is not None else "udatert"
