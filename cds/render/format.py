"""Norwegian formatting for what GPs read, and the render stage's shared identifiers.

Dates are written «21.11.2026» and decimals with a comma («10,9 g/dL»), as in Norwegian lab
reports, so the card, the referral narrative and the evidence text read the same way.

The module also holds the few constants and helpers every render module needs (code-system
URIs, the deterministic id function, Markdown escaping), so ``cards``, ``referral`` and
``lab_orders`` do not import each other for them.
"""

from __future__ import annotations

import re
import uuid
from datetime import date

from cds.criteria.schema import CodeRef, Pathway
from cds.evaluate import format as evaluate_format
from cds.facts.model import LabResult, Quantity

# Our own namespace for the pathway codes («A04» = Pakkeforløp for myelomatose). Helsedirektoratet
# publishes the registration codes (A04A, A04S, ...) only as tables in the pathway documents, and
# no official FHIR CodeSystem exists for them (norwegian-codes-and-pathways.md §0.6, §1.4); replace
# this URI when one is published. See fhir_profiles/README.md.
PATHWAY_CODE_SYSTEM = "http://pakkeforlop-cds.no/fhir/CodeSystem/pakkeforlop"
OVERRIDE_REASON_SYSTEM = "http://pakkeforlop-cds.no/fhir/CodeSystem/override-reason"
REFERRAL_PROFILE_URL = "http://pakkeforlop-cds.no/fhir/StructureDefinition/pakkeforlop-henvisning"
SNOMED = "http://snomed.info/sct"

# Family names used in criteria/codes/*.yaml -> the system URI we emit. NLK is emitted under its
# Volven OID, the form the VKP profiles fix (norwegian-codes-and-pathways.md §2.1).
EMIT_SYSTEMS: dict[str, str] = {
    "nlk": "urn:oid:2.16.578.1.12.4.1.1.7280",
    "loinc": "http://loinc.org",
    "snomed": SNOMED,
    "icd10": "http://hl7.org/fhir/sid/icd-10-no",
    "icpc2": "http://hl7.org/fhir/sid/icpc-2",
    "atc": "http://www.whocc.no/atc",
}

# Fixed namespace for every id we mint: uuid5(namespace, "<hookInstance>:<pathway>:<kind>") makes
# the same request give the same response (golden tests, idempotent feedback) while two hook
# calls never share ids. Never change it: feedback rows refer to ids minted with it.
ID_NAMESPACE = uuid.UUID("6f1c5c2e-3b0a-5d8e-9a47-2f0d6f1e8a31")

_UNKNOWN_DATE = "ukjent dato"


def stable_id(hook_instance: str, pathway_id: str, kind: str) -> str:
    """Deterministic UUID (string) for one thing we emit in one hook call."""
    return str(uuid.uuid5(ID_NAMESPACE, f"{hook_instance}:{pathway_id}:{kind}"))


def fmt_date(when: date | None) -> str:
    """«21.11.2026»; «ukjent dato» when the record gave no date."""
    if when is None:
        return _UNKNOWN_DATE
    return f"{when.day:02d}.{when.month:02d}.{when.year:04d}"


def fmt_number(value: float, max_decimals: int = 2) -> str:
    """A number with a decimal comma and no trailing zeros: 10.90 -> «10,9», 4.0 -> «4»."""
    text = f"{value:.{max_decimals}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    if text in ("-0", ""):
        text = "0"
    return text.replace(".", ",")


def fmt_quantity(quantity: Quantity) -> str:
    """«10,9 g/dL», «5,1 ×10⁹/L», «67 mL/min/1,73 m²»: the same spelling the evidence uses.

    A unit that is only an annotation (``{score}``) or UCUM's unity ``1`` is left out: «4».
    """
    unit = quantity.unit.strip()
    if unit in ("", "1") or re.fullmatch(r"\{[^{}]*\}", unit):
        return fmt_number(quantity.value)
    return evaluate_format.quantity(quantity.value, unit)


def fmt_range(low: Quantity | None, high: Quantity | None) -> str:
    """Reference range as labs print it: «ref. 11,7–15,3», «ref. < 105», «ref. > 60», or ""."""
    if low is not None and high is not None:
        return f"ref. {fmt_number(low.value)}–{fmt_number(high.value)}"
    if high is not None:
        return f"ref. < {fmt_number(high.value)}"
    if low is not None:
        return f"ref. > {fmt_number(low.value)}"
    return ""


def fmt_lab(result: LabResult, label: str | None = None) -> str:
    """One result in a line: «Hemoglobin 10,9 g/dL (ref. 11,7–15,3)», or its text if no number."""
    name = label or result.display or result.analyte
    if result.value is not None:
        ref = fmt_range(result.ref_low, result.ref_high)
        value = fmt_quantity(result.value)
        return f"{name} {value} ({ref})" if ref else f"{name} {value}"
    text = one_line(result.text)
    if result.unit_problem:
        # The facts stage refused to guess the unit; say so rather than show a bare number.
        text = f"{text} ({result.unit_problem})" if text else result.unit_problem
    return f"{name}: {text}" if text else name


def one_line(text: str, limit: int = 300) -> str:
    """Whitespace collapsed to single spaces and cut between words within ``limit`` characters
    (with «…»): a quote is never cut inside a word."""
    return evaluate_format.cut_words(text, limit)


def lower_first(label: str) -> str:
    """Lower-case a label's first letter for use mid-sentence, but keep acronyms and codes.

    «Anemi» -> «anemi», but «M-komponent», «IgG» and «LD» stay as they are.
    """
    first_word = re.split(r"[\s\-/]", label, maxsplit=1)[0]
    if len(first_word) > 1 and first_word[0].isupper() and first_word[1:].islower():
        return label[0].lower() + label[1:]
    return label


def disease_of(title: str) -> str:
    """The disease a pathway is named after: «Pakkeforløp for myelomatose» -> «myelomatose»."""
    match = re.match(r"^\s*pakkeforløp\s+for\s+(.+)$", title, flags=re.IGNORECASE)
    return match.group(1).strip() if match else title


# What the diagnostic pathway is about, in its own words: «Begrunnet mistanke om alvorlig sykdom
# som kan være kreft» (002_4ffeb5e25cae056f.txt «Informasjon og dialog med pasienten»). Its title
# names no disease, and «Mulig Diagnostisk pakkeforløp» would make no sense in a card.
NON_SPECIFIC_DISEASE = "alvorlig sykdom som kan være kreft"


def disease_for(pathway: Pathway) -> str:
    """The disease a pathway is about, for sentences such as «Begrunnet mistanke om …».

    «Pakkeforløp for sarkom» -> «sarkom»; a pathway that is not organ-specific and whose title
    is not of that form («Diagnostisk pakkeforløp») -> «alvorlig sykdom som kan være kreft».
    """
    disease = disease_of(pathway.title)
    if disease == pathway.title and not pathway.organ_specific:
        return NON_SPECIFIC_DISEASE
    return disease


def join_no(items: list[str]) -> str:
    """Norwegian list: «a», «a og b», «a, b og c»."""
    if not items:
        return ""
    if len(items) == 1:
        return items[0]
    return ", ".join(items[:-1]) + " og " + items[-1]


# Characters that start Markdown syntax mid-line. Escaping them keeps record text (which may
# contain «<», «*», «[» ...) literal in the card detail, and a «<» can never become HTML. «(» and
# «!» need no escape once «[» and «]» are escaped (no link can form), and «#», «-», «1.» only act
# at the start of a line, where record text never stands in our details.
_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|~])")


def md(text: str) -> str:
    """Record text made safe for one line of GitHub-flavoured Markdown (no HTML, no syntax)."""
    escaped = _MD_SPECIAL.sub(r"\\\1", one_line(text))
    # «&lt;» in record text would otherwise be decoded by the Markdown renderer.
    return escaped.replace("&", "&amp;")


def coding_of(ref: CodeRef) -> dict[str, str] | None:
    """A FHIR Coding for a criteria code, or None if the family has no URI we emit."""
    system = EMIT_SYSTEMS.get(ref.system)
    if system is None and ref.system.startswith(("http://", "https://", "urn:")):
        system = ref.system  # the code list already names a full URI
    if system is None:
        return None
    coding = {"system": system, "code": ref.code}
    if ref.display:
        coding["display"] = ref.display
    return coding
