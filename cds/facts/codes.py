"""Code systems as they arrive in Norwegian records, normalised to (family, code) pairs.

A record names the same code system in several ways (NLK under four URIs, ICD-10 with or without
the dot, ICPC-2 under three). Rules name a *family* instead (``nlk``, ``icd10``, ...). Sources:
../shared/reference/record-conventions.md «General rules» and
../shared/reference/norwegian-codes-and-pathways.md §2.1.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

from cds.criteria.codebook import CodeRef
from cds.criteria.codesystems import SYSTEM_FAMILIES
from cds.facts.model import Code

# Families whose codes are hierarchical by prefix (a criterion's "C90" covers "C900").
PREFIX_FAMILIES = frozenset({"icd10", "icpc2", "atc"})

# A range between two codes of a prefix family: "D50-D64", also with sub-code bounds "C450-C499".
_RANGE = re.compile(r"^([A-Z]\d{2}[0-9A-Z]*)-([A-Z]\d{2}[0-9A-Z]*)$")
# Criteria authors copy ranges from documents that print an en or em dash ("D50–D64").
_DASHES = str.maketrans({"\u2013": "-", "\u2014": "-", "\u2212": "-"})


def family_of(system: str | None) -> str | None:
    """The family name for a system URI, or None when we do not use that system.

    Lab-local codes (``urn:oid:2.16.578.1.12.4.1.1.8212``) and unknown systems are ignored on
    purpose: their codes mean different things at different labs.
    """
    if not isinstance(system, str) or not system:  # parsed JSON may hold any type here
        return None
    return SYSTEM_FAMILIES.get(system.strip())


def normalise_code(family: str, code: str) -> str:
    """Canonical spelling: upper case, no spaces, and for ICD-10 no dot (``C90.0`` -> ``C900``)."""
    code = code.strip().upper().replace(" ", "")
    if family == "icd10":
        code = code.replace(".", "")
    return code


def codes_of(concept: Any) -> frozenset[Code]:
    """All recognised codes of a CodeableConcept (or a list of them) as (family, code) pairs."""
    found: set[Code] = set()
    concepts = concept if isinstance(concept, list) else [concept]
    for item in concepts:
        if not isinstance(item, dict):
            continue
        codings = item.get("coding")
        if not isinstance(codings, list):
            continue
        for coding in codings:
            if not isinstance(coding, dict):
                continue
            family = family_of(coding.get("system"))
            code = coding.get("code")
            if family and isinstance(code, str) and code.strip():
                found.add((family, normalise_code(family, code)))
    return frozenset(found)


class CodeMatcher:
    """Matches normalised codes against a code list, with prefix and range semantics."""

    __slots__ = ("_exact", "_prefixes", "_ranges")

    def __init__(self, refs: Iterable[CodeRef]) -> None:
        self._exact: set[Code] = set()
        self._prefixes: dict[str, tuple[str, ...]] = {}
        self._ranges: list[tuple[str, str, str]] = []  # (family, low, high)
        prefixes: dict[str, list[str]] = {}
        for ref in refs:
            code = normalise_code(ref.system, ref.code.translate(_DASHES))
            match = _RANGE.match(code)
            if match and ref.system in PREFIX_FAMILIES:
                self._ranges.append((ref.system, match.group(1), match.group(2)))
            elif ref.system in PREFIX_FAMILIES:
                prefixes.setdefault(ref.system, []).append(code)
            else:
                self._exact.add((ref.system, code))
        self._prefixes = {fam: tuple(codes) for fam, codes in prefixes.items()}

    def match(self, codes: Iterable[Code]) -> Code | None:
        """The first of ``codes`` (in sorted order) that the list covers, or None.

        Sorted, because facts hold codes in frozensets whose iteration order changes with
        PYTHONHASHSEED: the code shown as evidence must not change from one run to the next.
        """
        for family, code in sorted(codes):
            if (family, code) in self._exact:
                return (family, code)
            prefixes = self._prefixes.get(family)
            if prefixes and code.startswith(prefixes):
                return (family, code)
            for fam, low, high in self._ranges:
                # Each bound is compared at its own length, so "C45-C499" covers C450..C499x
                # and a three-character range covers every sub-code of its ends.
                if fam == family and low <= code[: len(low)] and code[: len(high)] <= high:
                    return (family, code)
        return None

    def matches(self, codes: Iterable[Code]) -> bool:
        """True when any of ``codes`` is in the list."""
        return self.match(codes) is not None

    def positions(self, index: CodeIndex) -> list[int]:
        """The positions of ``index``'s items that :meth:`matches`, ascending.

        The same answer as testing each item, by a few lookups per code of the list: with 37
        diagnosis code lists over a record's 80 conditions, testing each pair was a third of the
        evaluate stage (issue 10).
        """
        found: set[int] = set()
        for exact in self._exact:
            found.update(index.exact.get(exact, ()))
        for family, prefixes in self._prefixes.items():
            for prefix in prefixes:
                found.update(index.prefixes.get((family, prefix), ()))
        for family, low, high in self._ranges:
            for position, value in index.by_family.get(family, ()):
                if low <= value[: len(low)] and value[: len(high)] <= high:
                    found.add(position)
        return sorted(found)


class CodeIndex:
    """Where each code of a list of items' code sets is: the other side of
    :meth:`CodeMatcher.positions`. Built once per call over, e.g., the patient's conditions."""

    __slots__ = ("by_family", "exact", "prefixes")

    def __init__(self, items: Sequence[frozenset[Code]]) -> None:
        self.exact: dict[Code, list[int]] = {}
        # (family, every leading part of a code): the item positions, for prefix families.
        self.prefixes: dict[Code, list[int]] = {}
        self.by_family: dict[str, list[tuple[int, str]]] = {}
        for position, codes in enumerate(items):
            for family, code in codes:
                if family in PREFIX_FAMILIES:
                    for end in range(1, len(code) + 1):
                        _add(self.prefixes, (family, code[:end]), position)
                    self.by_family.setdefault(family, []).append((position, code))
                else:
                    _add(self.exact, (family, code), position)


def _add(index: dict[Code, list[int]], key: Code, position: int) -> None:
    found = index.get(key)
    if found is None:
        index[key] = [position]
    elif found[-1] != position:
        found.append(position)
