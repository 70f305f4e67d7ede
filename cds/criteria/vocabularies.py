"""Named text-pattern sets (``criteria/codes/pattern_sets.yaml``), referenced by id in criteria.

Criteria read Norwegian free text with regular expressions (``site_patterns``, ``patterns``,
``exclusions``, ``report_title_patterns``, ``negations``, ``skin_lesions``, ...). A list that
several features share is written once, as a named set in the code book
(``CodeBook.pattern_sets``), and a criteria file names it with an item ``{set: <id>}`` in place
of the patterns: ``site_negations: [{set: sarkom_not_soft_tissue}]``. A set may itself name other
sets, and a list may mix plain patterns with sets; the items keep their order, which matters for
text ``patterns`` (the first finding is the one quoted).

The loader expands the references before a criteria file is validated (:func:`expand_sets`), so
the schema and the evaluate stage only ever see plain patterns: naming a set changes no
behaviour. An unknown id, a set that names itself (directly or through others) and an empty set
are refused at load, with the field path of the reference.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cds.criteria.codebook import PatternRef, PatternSet

# The only key of a reference item in a pattern list.
SET_KEY = "set"


def resolve_sets(
    sets: Mapping[str, PatternSet],
) -> tuple[dict[str, tuple[str, ...]], list[tuple[str, str]]]:
    """Every set as its flat tuple of patterns, and the problems found as (set id, problem
    named by its field path ``pattern_sets.<id>...``)."""
    resolved: dict[str, tuple[str, ...]] = {}
    problems: list[tuple[str, str]] = []

    def flat(name: str, trail: tuple[str, ...]) -> tuple[str, ...]:
        if name in resolved:
            return resolved[name]
        out: list[str] = []
        for i, item in enumerate(sets[name].patterns):
            if isinstance(item, str):
                out.append(item)
                continue
            at = f"pattern_sets.{name}.patterns[{i}]"
            if item.id not in sets:
                problems.append((name, f"{at}: unknown pattern set {item.id!r}"))
            elif item.id in trail:
                problems.append((name, f"{at}: pattern set {item.id!r} names itself"))
            else:
                out.extend(flat(item.id, (*trail, item.id)))
        if not out:
            problems.append((name, f"pattern_sets.{name}.patterns: a pattern set needs patterns"))
        resolved[name] = tuple(out)
        return resolved[name]

    for name in sets:
        flat(name, (name,))
    return resolved, problems


def expand_sets(
    data: Any, sets: Mapping[str, tuple[str, ...]], at: str = ""
) -> tuple[Any, list[str]]:
    """``data`` (a parsed criteria file) with every list item ``{set: <id>}`` replaced by the
    set's patterns, and a problem for each unknown id (named by its field path)."""
    problems: list[str] = []
    if isinstance(data, dict):
        out_map: dict[Any, Any] = {}
        for key, value in data.items():
            out_map[key], found = expand_sets(value, sets, f"{at}.{key}" if at else str(key))
            problems += found
        return out_map, problems
    if isinstance(data, list):
        out_list: list[Any] = []
        for i, item in enumerate(data):
            here = f"{at}[{i}]"
            if isinstance(item, dict) and set(item) == {SET_KEY}:
                ref = item[SET_KEY]
                if isinstance(ref, str) and ref in sets:
                    out_list.extend(sets[ref])
                else:
                    problems.append(f"{here}: unknown pattern set {ref!r}")
                continue
            expanded, found = expand_sets(item, sets, here)
            out_list.append(expanded)
            problems += found
        return out_list, problems
    return data, problems


__all__ = ["SET_KEY", "PatternRef", "PatternSet", "expand_sets", "resolve_sets"]
