"""Norwegian formatting for what GPs read, and the render stage's shared identifiers.

The formatters themselves live in the one wording layer (``cds.wording.formats``: dates
«21.11.2026», decimal commas «10,9 g/dL», reference ranges); the names here (``fmt_date``,
``fmt_quantity``, ...) are the render stage's spelling of them, so the card, the referral
narrative and the evidence text read the same way. ``fmt_lab`` words one lab result.

The module also holds the few constants and helpers every render module needs (code-system
URIs, the deterministic id function, Markdown escaping), so ``cards``, ``referral`` and
``lab_orders`` do not import each other for them.
"""

from __future__ import annotations

import re
import uuid
from datetime import date

from cds.criteria.codebook import CodeRef
from cds.criteria.codesystems import PATHWAY_CODE_SYSTEM as PATHWAY_CODE_SYSTEM
from cds.criteria.schema import Pathway
from cds.facts.model import LabResult, Quantity
from cds.wording import formats, msg
from cds.wording import say as say  # re-exported: render modules word messages with it
from cds.wording.formats import join_no as join_no  # re-exported: render modules import it here
from cds.wording.formats import lower_first as lower_first  # re-exported, likewise
from cds.wording.formats import one_line as one_line  # re-exported, likewise

# Our own namespace for the pathway codes («A04» = Pakkeforløp for myelomatose) and their
# registration codes (A04A, A04S, ...): cds.criteria.codesystems.PATHWAY_CODE_SYSTEM (no official
# FHIR CodeSystem exists for them; fhir_profiles/README.md). Re-exported for render modules.
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


def stable_id(hook_instance: str, pathway_id: str, kind: str) -> str:
    """Deterministic UUID (string) for one thing we emit in one hook call."""
    return str(uuid.uuid5(ID_NAMESPACE, f"{hook_instance}:{pathway_id}:{kind}"))


def fmt_date(when: date | None) -> str:
    """«21.11.2026»; «udatert» when the record gave no date (``cds.wording.formats.day``)."""
    return formats.day(when)


def fmt_number(value: float, unit: str | None = None) -> str:
    """A number with a decimal comma and the unit's usual decimals: 10.90 -> «10,9», 4.0 -> «4»."""
    return formats.number(value, unit)


def fmt_quantity(quantity: Quantity) -> str:
    """«10,9 g/dL», «5,1 ×10⁹/L», «67 mL/min/1,73 m²»: the same spelling the evidence uses.

    A unit that is only an annotation (``{score}``) or UCUM's unity ``1`` is left out: «4».
    """
    return formats.quantity(quantity.value, quantity.unit)


def fmt_range(low: Quantity | None, high: Quantity | None, unit: str | None = None) -> str:
    """Reference range as labs print it: «ref. 11,7–15,3», «ref. ≤ 105», «ref. ≥ 60», or "".

    With ``unit``, only bounds in that unit are shown (the bounds of a value the facts stage
    converted are in the value's unit; a bound in another unit cannot be read beside it).
    """
    if unit is not None:
        low = low if low is not None and low.unit == unit else None
        high = high if high is not None and high.unit == unit else None
    bound_unit = unit or (low.unit if low is not None else high.unit if high is not None else None)
    return formats.ref_range(
        low.value if low is not None else None,
        high.value if high is not None else None,
        bound_unit,
    )


def fmt_lab(result: LabResult, label: str | None = None) -> str:
    """One result in a line: «Hemoglobin 10,9 g/dL (ref. 11,7–15,3)», or its text if no number."""
    name = label or result.display or result.analyte
    if result.value is not None:
        ref = fmt_range(result.ref_low, result.ref_high, result.value.unit)
        value = fmt_quantity(result.value)
        return f"{name} {value} ({ref})" if ref else f"{name} {value}"
    text = one_line(result.text)
    if result.unit_problem:
        # The facts stage refused to guess the unit; say so rather than show a bare number.
        problem = say(msg("value.unused", problem=result.unit_problem))
        text = f"{text} ({problem})" if text else problem
    return f"{name}: {text}" if text else name


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
