"""The code lists of ``criteria/codes/*.yaml``: analytes, code sets, regions, body sites, patterns.

Merged by the loader into one :class:`CodeBook` (an id defined twice is an error), which also
carries the assertion lexicon (criteria/assertion.yaml). Documented in criteria/README.md
«Code lists».
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from cds.criteria.base import Strict
from cds.criteria.lexicon import AssertionLexicon


class CodeRef(Strict):
    """One code. ``system`` is a family name (nlk, loinc, icd10, icpc2, snomed, atc, v2-0074, ...).

    ICD-10 and ICPC-2 codes match their sub-codes (``C90`` matches ``C900``); a range
    ``D50-D64`` matches every three-character code between the two, inclusive.
    """

    system: str
    code: str
    display: str | None = None


class Analyte(Strict):
    """A laboratory analyte or measurement and the codes that identify it."""

    label: str  # Norwegian, as shown in cards ("Hemoglobin")
    unit: str | None = None  # canonical UCUM unit; values are converted to it before comparison
    molar_mass: float | None = None  # g/mol: mass <-> substance conversions (g/dL <-> mmol/L)
    codes: tuple[CodeRef, ...]
    order: CodeRef | None = None  # code used when we suggest ordering this test
    source: str  # where the codes come from


class CodeSet(Strict):
    """A named set of diagnosis/symptom/finding/medication codes."""

    label: str
    codes: tuple[CodeRef, ...]
    source: str


class Region(Strict):
    """A health region (helseregion) and how to recognise a patient's address in it."""

    label: str  # "Helse Sør-Øst"
    counties: tuple[str, ...]  # county names as in Patient.address.state, lower-case
    postal_prefixes: tuple[str, ...]  # first digits of the postal code, used when no county
    source: str


class BodySite(Strict):
    """A body region («lår»), a side («venstre») or a group of regions («underekstremitet») and
    how site texts (and bodySite codes) name it.

    Used to tell whether two findings are at the same place: two measurements of one lump, a lump
    where a tumour was removed before, or a draft order of the suspected lump
    (``cds/evaluate/places.py``). A region may lie ``within`` one group (the limb it is part of).
    """

    label: str
    kind: Literal["region", "side", "group"]
    patterns: tuple[str, ...]  # case-insensitive regexes searched in a lower-cased site text
    # bodySite codes that name this site (read on orders: a code without a display); a
    # lateralised code («Structure of left thigh») is listed under its region and its side.
    codes: tuple[CodeRef, ...] = ()
    within: str | None = None  # for a region: the group (kind «group») it is part of
    source: str


class PatternRef(Strict):
    """An item ``{set: <id>}`` in a pattern list: the patterns of that set, in their place."""

    id: str = Field(alias="set")


class PatternSet(Strict):
    """A named list of case-insensitive regexes (criteria/codes/pattern_sets.yaml), for text that
    several features read the same way (``cds.criteria.vocabularies``)."""

    patterns: tuple[str | PatternRef, ...]
    note: str | None = None  # what the patterns recognise, and why (for reviewers)


class CodeBook(Strict):
    """All code lists, merged from criteria/codes/*.yaml, and the assertion lexicon.

    ``assertion`` comes from criteria/assertion.yaml (``cds.criteria.lexicon``); the loader
    always sets it. A hand-built code book without it cannot evaluate text sources.
    """

    analytes: dict[str, Analyte] = Field(default_factory=dict)
    codesets: dict[str, CodeSet] = Field(default_factory=dict)
    regions: dict[str, Region] = Field(default_factory=dict)
    body_sites: dict[str, BodySite] = Field(default_factory=dict)
    pattern_sets: dict[str, PatternSet] = Field(default_factory=dict)
    assertion: AssertionLexicon | None = None
