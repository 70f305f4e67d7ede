"""Load-time checks the schema cannot make on its own, shared by the loader and the source kinds.

Each returns a list of problems, every one prefixed with ``at``, the field path in the criteria
file (``features.anemi.sources[0].analyte: unknown analyte 'hb'``). A leaf: it reads only the code
book and the code-system and unit tables (``cds.criteria.codesystems``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from cds.criteria.codebook import Analyte, CodeBook, CodeRef
from cds.criteria.codesystems import KNOWN_FAMILIES
from cds.criteria.expressions import DraftOrderMatch


def check_codes(codes: Iterable[CodeRef], at: str) -> list[str]:
    """Every code names a code-system family the facts stage produces."""
    return [
        f"{at}[{i}].system: unknown code system family {ref.system!r} "
        f"(one of {', '.join(sorted(KNOWN_FAMILIES))})"
        for i, ref in enumerate(codes)
        if ref.system not in KNOWN_FAMILIES
    ]


def check_analytes(names: Iterable[str], codebook: CodeBook, at: str) -> list[str]:
    """Every analyte id is in the code book."""
    return [f"{at}: unknown analyte {name!r}" for name in names if name not in codebook.analytes]


def check_codeset(name: str, codebook: CodeBook, at: str) -> list[str]:
    """The code set id is in the code book."""
    return [] if name in codebook.codesets else [f"{at}: unknown code set {name!r}"]


def check_unit(unit: str, analyte: Analyte, name: str, at: str) -> list[str]:
    """A threshold is written in the analyte's canonical unit (values are converted to it)."""
    if analyte.unit is None:
        return [f"{at}.threshold.unit: analyte {name!r} has no unit to compare a threshold in"]
    if unit != analyte.unit:
        return [
            f"{at}.threshold.unit: {unit!r} differs from the canonical unit {analyte.unit!r} "
            f"of analyte {name!r}"
        ]
    return []


def check_regexes(patterns: Sequence[str], at: str) -> list[str]:
    """Every pattern compiles as a case-insensitive Python regex."""
    problems: list[str] = []
    for i, pattern in enumerate(patterns):
        try:
            re.compile(pattern, re.IGNORECASE)
        except re.error as exc:
            problems.append(f"{at}[{i}]: invalid regex {pattern!r}: {exc}")
    return problems


def check_order_match(match: DraftOrderMatch, codebook: CodeBook, at: str) -> list[str]:
    """An order match needs something to match, a known code set and valid regexes."""
    problems: list[str] = []
    if not match.patterns and match.codeset is None:
        problems.append(f"{at}: give patterns or a codeset")
    if match.codeset is not None and match.codeset not in codebook.codesets:
        problems.append(f"{at}.codeset: unknown code set {match.codeset!r}")
    problems += check_regexes(match.patterns, f"{at}.patterns")
    problems += check_regexes(match.negations, f"{at}.negations")
    problems += check_regexes(match.skin_lesions, f"{at}.skin_lesions")
    problems += check_regexes(match.lump_too, f"{at}.lump_too")
    return problems


def check_body_sites(codebook: CodeBook, at: str) -> list[str]:
    """Sources that compare places need body regions in the code book."""
    if any(site.kind == "region" for site in codebook.body_sites.values()):
        return []
    return [f"{at}: compares body sites, but the code book has no body_sites regions"]
