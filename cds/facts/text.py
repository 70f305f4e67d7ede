"""Reading a few findings from Norwegian report text, with negation.

Laboratories often report protein electrophoresis as «Se kommentar» with the finding in a note,
and radiology/pathology findings live in free-text conclusions (record-conventions.md «General
rules», «Imaging and pathology»). The criteria file supplies the patterns; this module supplies
the mechanism: split text into sentences (and clauses at «men»/«but»), and let a sentence count
when a pattern matches and no negation pattern matches in the same clause.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

# Sentence ends, semicolons and line breaks close a statement; «, men» opens a new clause so that
# «Ingen osteolyse, men kompresjonsfraktur L2» still reports the fracture. A point between two
# digits is a decimal (4.5 g/L) and does not split, but one after a digit does («... L2. Ingen»).
_SPLIT = re.compile(r"[;!?]|\.(?!\d)|(?<!\d)\.|\n|,\s*(?:men|but)\b", re.IGNORECASE)


@lru_cache(maxsize=512)
def _compile(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE)


def clauses(text: str) -> list[str]:
    """Text split into trimmed, non-empty clauses."""
    return [part.strip() for part in _SPLIT.split(text) if part and part.strip()]


def positive_statements(text: str, patterns: Iterable[str], negations: Iterable[str]) -> list[str]:
    """Clauses of ``text`` that assert a finding: a pattern matches and no negation does.

    Patterns are case-insensitive Python regexes (validated when criteria load).
    """
    pats = [_compile(p) for p in patterns]
    negs = [_compile(n) for n in negations]
    found: list[str] = []
    for clause in clauses(text):
        if any(p.search(clause) for p in pats) and not any(n.search(clause) for n in negs):
            found.append(clause)
    return found
