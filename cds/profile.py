"""A small checker for our own FHIR profiles (``fhir_profiles/StructureDefinition-*.json``).

What it checks, for every element of the profile's **differential** only:

* cardinality (``min``/``max``), counted per occurrence of the parent element, so
  ``ServiceRequest.code.text`` min 1 applies to each ``code`` present (and not at all when
  ``code`` is absent: ``ServiceRequest.code`` min 1 catches that), through lists at any depth;
* ``fixed[x]`` values (exact equality) and ``pattern[x]`` values (the instance must contain the
  pattern: every key of a pattern object, and for a pattern list every pattern item somewhere in
  the instance's list, so ``patternCodeableConcept`` means "the pattern coding appears among the
  instance's codings"). As in FHIR, a fixed/pattern value applies to every repetition of the
  element;
* that ``resourceType`` is the profile's ``type``.

What it does **not** check: terminology bindings, invariants (``constraint`` FHIRPath
expressions), element types and ``targetProfile``, ``mustSupport``, and anything of the base
resource beyond what the differential restates. Base-resource structure is covered separately by
``fhir.resources`` (R4B models) wherever we emit a resource. The reason for this narrow scope: the
HL7 Java validator, which checks all of the above, is not available in this environment and the
service must not depend on a JVM at run time. Profile features the checker cannot evaluate
(slicing, ``minValue``/``maxValue``/``maxLength``, ``contentReference``) raise
:class:`ProfileError` instead of being skipped silently, so a profile can never claim more than
is checked.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

PROFILE_DIR = Path(__file__).resolve().parent.parent / "fhir_profiles"

# Element keys that carry documentation or constraints this checker deliberately leaves to other
# tools (see the module docstring). Anything not listed here or handled below is refused.
_NOT_CHECKED = frozenset(
    {
        "id",
        "path",
        "short",
        "definition",
        "comment",
        "requirements",
        "alias",
        "label",
        "code",
        "mustSupport",
        "isModifier",
        "isModifierReason",
        "isSummary",
        "binding",
        "constraint",
        "condition",
        "type",
        "mapping",
        "meaningWhenMissing",
        "example",
        "base",
        "orderMeaning",
        "representation",
        "extension",
    }
)
_UNSUPPORTED_PREFIXES = (
    "sliceName",
    "slicing",
    "minValue",
    "maxValue",
    "maxLength",
    "contentReference",
    "defaultValue",
    "sliceIsConstraining",
)


class ProfileError(ValueError):
    """The profile uses a feature this checker cannot evaluate, or is not a StructureDefinition."""


@dataclass(frozen=True, slots=True)
class _ElementRule:
    path: str  # full path, "ServiceRequest.code.text"
    steps: tuple[str, ...]  # below the root: ("code", "text")
    min: int | None
    max: int | None  # None: unbounded ("*") or not restated
    fixed: tuple[str, Any] | None  # ("fixedCode", "order")
    pattern: tuple[str, Any] | None  # ("patternCodeableConcept", {...})


def load_profile(name: str = "pakkeforlop-henvisning") -> dict[str, Any]:
    """The StructureDefinition ``fhir_profiles/StructureDefinition-<name>.json`` (a fresh copy)."""
    return copy.deepcopy(_cached_profile(name))


@lru_cache(maxsize=8)
def _cached_profile(name: str) -> dict[str, Any]:
    if not name.replace("-", "").isalnum():
        # The name becomes part of a file path; refuse anything that could leave the directory.
        raise ProfileError(f"invalid profile name {name!r}")
    path = PROFILE_DIR / f"StructureDefinition-{name}.json"
    with path.open(encoding="utf-8") as handle:
        data = json.load(handle)
    if not isinstance(data, dict) or data.get("resourceType") != "StructureDefinition":
        raise ProfileError(f"{path.name} is not a StructureDefinition")
    _rules_for(data)  # refuse unsupported profiles when loaded, not when first used
    return data


def validate_profile(resource: dict[str, Any], profile: dict[str, Any]) -> list[str]:
    """Problems of ``resource`` against ``profile``'s differential; ``[]`` means it conforms.

    Messages name the element path, e.g. ``"ServiceRequest.note: minimum 1, found 0"``.
    """
    if profile.get("resourceType") != "StructureDefinition":
        raise ProfileError("profile is not a StructureDefinition")
    return _problems(resource, profile.get("type"), _rules_for(profile))


def validate_against(resource: dict[str, Any], name: str = "pakkeforlop-henvisning") -> list[str]:
    """:func:`validate_profile` against our profile ``name``, with its rules compiled once.

    The per-call path of render: no copy of the profile and no key to compute for the cache.
    """
    profile = _cached_profile(name)
    return _problems(resource, profile.get("type"), _named_rules(name))


@lru_cache(maxsize=8)
def _named_rules(name: str) -> tuple[_ElementRule, ...]:
    return _rules_for(_cached_profile(name))


def _problems(
    resource: dict[str, Any], resource_type: object, rules: tuple[_ElementRule, ...]
) -> list[str]:
    if resource.get("resourceType") != resource_type:
        return [
            f"resourceType is {resource.get('resourceType')!r}, profile needs {resource_type!r}"
        ]
    problems: list[str] = []
    for rule in rules:
        problems.extend(_check(resource, rule))
    return problems


def _rules_for(profile: dict[str, Any]) -> tuple[_ElementRule, ...]:
    return _compile(json.dumps(profile, sort_keys=True))


@lru_cache(maxsize=16)
def _compile(profile_json: str) -> tuple[_ElementRule, ...]:
    """The differential as checkable rules (cached by the profile's JSON text)."""
    profile = json.loads(profile_json)
    root = profile.get("type")
    if not isinstance(root, str) or not root:
        raise ProfileError("profile has no type")
    elements = (profile.get("differential") or {}).get("element")
    if not isinstance(elements, list) or not elements:
        raise ProfileError("profile has no differential.element")
    rules: list[_ElementRule] = []
    for element in elements:
        path = element.get("path")
        if not isinstance(path, str) or not (path == root or path.startswith(root + ".")):
            raise ProfileError(f"element path {path!r} is not under {root}")
        fixed: tuple[str, Any] | None = None
        pattern: tuple[str, Any] | None = None
        for key, value in element.items():
            if key.startswith(_UNSUPPORTED_PREFIXES):
                raise ProfileError(f"{path}: {key} is not supported by this checker")
            if key.startswith("fixed"):
                fixed = (key, value)
            elif key.startswith("pattern"):
                pattern = (key, value)
            elif key not in _NOT_CHECKED and key not in ("min", "max"):
                raise ProfileError(f"{path}: unknown element key {key}")
        steps = tuple(path.split(".")[1:])
        if not steps:
            continue  # the root element documents the profile; nothing to count
        raw_max = element.get("max")
        rules.append(
            _ElementRule(
                path=path,
                steps=steps,
                min=element.get("min"),
                max=None if raw_max in (None, "*") else int(raw_max),
                fixed=fixed,
                pattern=pattern,
            )
        )
    return tuple(rules)


def _check(resource: dict[str, Any], rule: _ElementRule) -> Iterable[str]:
    parents = _values(resource, rule.steps[:-1])
    for parent in parents:
        if not isinstance(parent, dict):
            continue
        found = _children(parent, rule.steps[-1])
        if rule.min is not None and len(found) < rule.min:
            yield f"{rule.path}: minimum {rule.min}, found {len(found)}"
        if rule.max is not None and len(found) > rule.max:
            yield f"{rule.path}: maximum {rule.max}, found {len(found)}"
        for value in found:
            if rule.fixed is not None and value != rule.fixed[1]:
                yield f"{rule.path}: must be {rule.fixed[0]} {json.dumps(rule.fixed[1])}"
            if rule.pattern is not None and not _matches(value, rule.pattern[1]):
                yield f"{rule.path}: does not match {rule.pattern[0]} {json.dumps(rule.pattern[1])}"


def _values(node: dict[str, Any], steps: tuple[str, ...]) -> list[Any]:
    """Every value at ``steps`` below ``node``, flattening lists on the way."""
    current: list[Any] = [node]
    for step in steps:
        current = [
            child for item in current if isinstance(item, dict) for child in _children(item, step)
        ]
    return current


def _children(node: dict[str, Any], name: str) -> list[Any]:
    """Values of one element in an object; ``value[x]`` matches ``valueQuantity`` etc."""
    if name.endswith("[x]"):
        stem = name[:-3]
        keys = [k for k in node if k.startswith(stem) and k[len(stem) : len(stem) + 1].isupper()]
    else:
        keys = [name] if name in node else []
    out: list[Any] = []
    for key in keys:
        value = node[key]
        if isinstance(value, list):
            out.extend(v for v in value if v is not None)
        elif value is not None:
            out.append(value)
    return out


def _matches(value: Any, pattern: Any) -> bool:
    """FHIR pattern semantics: ``value`` contains everything ``pattern`` says."""
    if isinstance(pattern, dict):
        return isinstance(value, dict) and all(
            key in value and _matches(value[key], item) for key, item in pattern.items()
        )
    if isinstance(pattern, list):
        items = value if isinstance(value, list) else [value]
        return all(any(_matches(v, p) for v in items) for p in pattern)
    return bool(value == pattern)
