"""Which analytes of the code book an Observation's codes name: the lookup of ``cds.facts.labs``.

Analyte codes are mostly NLK/LOINC (exact codes), looked up in one dict instead of running every
analyte's matcher against every Observation; a record sends the same few (system, code) pairs
thousands of times, so the answer per pair as sent is remembered (bounded by ``MEMO_LIMIT``).
"""

from __future__ import annotations

from collections.abc import Iterable

from cds.criteria.codebook import CodeBook
from cds.facts.codes import PREFIX_FAMILIES, CodeMatcher, family_of, normalise_code
from cds.facts.lab_values import MEMO_LIMIT
from cds.facts.model import Code


class AnalyteIndex:
    """Which analytes a set of codes names, in code-book order.

    Analyte codes are mostly NLK/LOINC (exact codes), looked up in one dict instead of running
    every analyte's matcher against every Observation; analytes listing prefix-family codes
    (ICD-10, ICPC-2, ATC) keep a ``CodeMatcher`` with its prefix/range semantics.
    """

    __slots__ = ("_by_coding", "_exact", "_matchers", "_order")

    def __init__(self, codebook: CodeBook) -> None:
        self._order = {name: i for i, name in enumerate(codebook.analytes)}
        # (system, code) exactly as sent -> analyte ids: see names_in.
        self._by_coding: dict[tuple[object, object], tuple[str, ...]] = {}
        self._exact: dict[Code, list[str]] = {}
        self._matchers: list[tuple[str, CodeMatcher]] = []
        for name, analyte in codebook.analytes.items():
            prefixed = [ref for ref in analyte.codes if ref.system in PREFIX_FAMILIES]
            if prefixed:
                self._matchers.append((name, CodeMatcher(prefixed)))
            for ref in analyte.codes:
                if ref.system in PREFIX_FAMILIES:
                    continue
                # normalise_code is what CodeMatcher applies to exact codes, so both agree.
                names = self._exact.setdefault(
                    (ref.system, normalise_code(ref.system, ref.code)), []
                )
                if name not in names:
                    names.append(name)

    def analytes_for(self, codes: Iterable[Code]) -> list[str]:
        """Analyte ids matched by any of ``codes``, in code-book order."""
        codes = tuple(codes)
        found: set[str] = set()
        for code in codes:
            found.update(self._exact.get(code, ()))
        for name, matcher in self._matchers:
            if name not in found and matcher.matches(codes):
                found.add(name)
        return sorted(found, key=self._order.__getitem__)

    def names_in(self, concept: object) -> tuple[str, ...]:
        """``analytes_for(codes_of(concept))`` as a tuple, for a CodeableConcept or a list of them.

        The hot path of lab extraction: a record sends the same few (system, code) pairs
        thousands of times, so the analytes of each pair as sent are remembered (bounded), and
        the pairs' answers are united. That gives the same answer as matching all codes at once,
        since an analyte matches a set of codes when it matches any one of them.
        """
        memo = self._by_coding
        if isinstance(concept, dict):
            # The usual shape, one coding: answered by the memo alone.
            codings = concept.get("coding")
            if isinstance(codings, list) and len(codings) == 1:
                coding = codings[0]
                if isinstance(coding, dict):
                    try:
                        return memo[(coding.get("system"), coding.get("code"))]
                    except (KeyError, TypeError):
                        pass  # the general path below remembers it, or refuses it
        concepts = concept if isinstance(concept, list) else (concept,)
        found: tuple[str, ...] = ()
        merged: set[str] | None = None
        for item in concepts:
            if not isinstance(item, dict):
                continue
            codings = item.get("coding")
            if not isinstance(codings, list):
                continue
            for coding in codings:
                if not isinstance(coding, dict):
                    continue
                key = (coding.get("system"), coding.get("code"))
                try:
                    names = memo[key]
                except KeyError:
                    names = self._coding_names(*key)
                    if len(memo) >= MEMO_LIMIT:
                        memo.clear()
                    memo[key] = names
                except TypeError:  # an unhashable system or code is no code (codes_of)
                    continue
                if not names or names == found:
                    continue
                if not found:
                    found = names
                    continue
                if merged is None:
                    merged = set(found)
                merged.update(names)
        if merged is not None:
            return tuple(sorted(merged, key=self._order.__getitem__))
        return found

    def _coding_names(self, system: object, code: object) -> tuple[str, ...]:
        """Analyte ids for one coding's raw system and code (what ``codes_of`` would give)."""
        family = family_of(system if isinstance(system, str) else None)
        if not family or not isinstance(code, str) or not code.strip():
            return ()
        return tuple(self.analytes_for([(family, normalise_code(family, code))]))
