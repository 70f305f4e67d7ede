"""Small helpers every source evaluator shares: the source result, windows, cached matchers.

Criteria objects are frozen pydantic models (hashable when they hold no dicts), so matchers and
compiled regexes are built once per criteria object and reused by every request
(docs/architecture.md «Speed»).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache

from cds.criteria.schema import CodeSet
from cds.evaluate.model import Evidence
from cds.facts.codes import CodeMatcher


@dataclass(slots=True)
class SourceResult:
    """What one source found. ``assessed``: a lab-type source had a usable number to judge."""

    present: bool = False
    assessed: bool = False
    evidence: list[Evidence] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@lru_cache(maxsize=256)
def matcher_for(codeset: CodeSet) -> CodeMatcher:
    """One matcher per code set (criteria models are frozen and hashable), built once."""
    return CodeMatcher(codeset.codes)


@lru_cache(maxsize=1024)
def regex(pattern: str) -> re.Pattern[str]:
    """A criteria regex, compiled case-insensitively once (the loader has checked it compiles)."""
    return re.compile(pattern, re.IGNORECASE)


@lru_cache(maxsize=512)
def regexes(patterns: tuple[str, ...]) -> tuple[re.Pattern[str], ...]:
    """Every pattern of a criteria tuple, compiled once per tuple."""
    return tuple(regex(p) for p in patterns)


def within(when: date, today: date, window_days: int) -> bool:
    """``when`` is at most ``window_days`` before ``today`` (later dates count: clock skew)."""
    return (today - when).days <= window_days


def site_matches(site: str, patterns: tuple[str, ...], negations: tuple[str, ...]) -> bool:
    """The site text passes a source's ``site_patterns`` / ``site_negations``.

    With patterns, one must match (an empty site matches none); no negation may match anywhere in
    the site text. A source without either accepts every result.
    """
    if patterns and not any(p.search(site) for p in regexes(patterns)):
        return False
    return not (negations and any(n.search(site) for n in regexes(negations)))


def modality_fits(kind: str, modality: str | None, modalities: tuple[str, ...]) -> bool:
    """``modalities`` restrict radiology reports only; an unrecognised modality never fits them.

    Pathology and other reports have no modality, so a list of modalities does not exclude them.
    """
    return not modalities or kind != "radiology" or modality in modalities
