"""Loads ``criteria/`` at start-up into a :class:`~cds.criteria.registry.Registry`, or refuses to.

``criteria/codes/*.yaml`` are merged into one :class:`~cds.criteria.schema.CodeBook` (analytes, code
sets and health regions; an id defined twice is an error); ``criteria/assertion.yaml`` is the
assertion lexicon (:mod:`cds.criteria.lexicon`, carried by the code book); every other
``criteria/*.yaml`` is one :class:`~cds.criteria.schema.Pathway`. Beyond the pydantic schema the
loader checks what the schema cannot see on its own: that every analyte, code set, filter test and
region a pathway names exists, that thresholds are written in the analyte's canonical unit, that
every regex compiles, that code systems are families the facts stage produces, and that a rule's
``receiver_kind`` is one some receiver takes. A criteria error must stop the service from starting:
a silently ignored rule is a missed referral.

YAML is read with a *safe* loader that also rejects duplicate keys (plain ``safe_load`` keeps the
last of two ``anemi:`` features without a word).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Hashable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import yaml
from pydantic import ValidationError

from cds.criteria.checks import (
    check_analytes,
    check_body_sites,
    check_codes,
    check_codeset,
    check_order_match,
    check_regexes,
)
from cds.criteria.clock import TimelineSpec
from cds.criteria.codebook import Analyte, BodySite, CodeBook, CodeSet, Region
from cds.criteria.codesystems import CANONICAL_UNITS
from cds.criteria.expressions import (
    AgeTerm,
    AllTerm,
    AnyTerm,
    AtLeastTerm,
    DraftOrderTerm,
    NotTerm,
    Term,
)
from cds.criteria.followup import FollowupProgramme
from cds.criteria.followup_checks import check_programme
from cds.criteria.lexicon import AssertionLexicon
from cds.criteria.registry import Registry
from cds.criteria.schema import ALL_HOOKS, Pathway
from cds.criteria.vocabularies import PatternSet, expand_sets, resolve_sets

# Start-up code, above the evaluate stage: the source-kind table installs the kinds into the
# schema (so that pathways can be parsed) and holds each kind's load-time check.
from cds.evaluate.horizon import lab_horizons
from cds.evaluate.sources import check_source

CODES_DIR = "codes"
# The assertion lexicon (cds.criteria.lexicon): criteria/assertion.yaml, not a pathway.
ASSERTION_FILE = "assertion.yaml"
# Follow-up programmes after treatment (cds.criteria.followup): criteria/oppfolging/*.yaml.
FOLLOWUP_DIR = "oppfolging"
_SEMVER = re.compile(r"^\d+\.\d+\.\d+$")

_Model = TypeVar("_Model", Pathway, CodeBook, AssertionLexicon, FollowupProgramme)
_Entry = TypeVar("_Entry", Analyte, CodeSet, Region, BodySite, PatternSet)
_POSTAL_PREFIX = re.compile(r"^\d{1,4}$")


class CriteriaError(ValueError):
    """A criteria file is invalid. The message names the file and the field path of each problem."""


# libyaml's parser when PyYAML was built with it (the usual wheels): the criteria load ~5x faster,
# which every process start, worker and test pays. Construction stays in Python either way.
if TYPE_CHECKING:
    _SafeLoader = yaml.SafeLoader
else:
    _SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _UniqueKeyLoader(_SafeLoader):
    """A safe YAML loader that refuses duplicate mapping keys instead of keeping the last."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Hashable, Any]:
        seen: set[object] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            # Complex (unhashable) keys are left for the schema to reject.
            if isinstance(key, Hashable) and key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r}", key_node.start_mark
                )
            if isinstance(key, Hashable):
                seen.add(key)
        return super().construct_mapping(node, deep=deep)


def load_registry(criteria_dir: Path) -> Registry:
    """Every pathway in ``criteria_dir`` (sorted by id) and the merged code book, validated.

    Raises :class:`CriteriaError` naming the file and field path of every problem found.
    """
    codebook = _load_codebook(criteria_dir / CODES_DIR, criteria_dir)
    codebook = codebook.model_copy(update={"assertion": load_lexicon(criteria_dir)})
    sets, _ = resolve_sets(codebook.pattern_sets)  # checked by _load_codebook

    def with_sets(data: dict[str, Any]) -> tuple[Any, list[str]]:
        return expand_sets(data, sets)

    pathways: dict[str, tuple[Pathway, Path]] = {}
    problems: list[str] = []
    for path in sorted(criteria_dir.glob("*.yaml")):
        if path.name == ASSERTION_FILE:
            continue
        pathway = _parse(path, Pathway, criteria_dir, with_sets)
        if pathway.id in pathways:
            other = _shown(pathways[pathway.id][1], criteria_dir)
            raise CriteriaError(
                f"{_shown(path, criteria_dir)}: id: pathway id {pathway.id!r} "
                f"is already used by {other}"
            )
        pathways[pathway.id] = (pathway, path)
        problems.extend(
            f"{_shown(path, criteria_dir)}: {problem}"
            for problem in check_pathway(pathway, codebook)
        )
    followups = _load_followups(criteria_dir, codebook, set(pathways), with_sets, problems)
    if problems:
        raise CriteriaError("\n".join(problems))
    ordered = tuple(pathways[key][0] for key in sorted(pathways))
    return Registry(
        pathways=ordered,
        codebook=codebook,
        lab_horizons=lab_horizons(ordered),
        followups=followups,
    )


def _load_followups(
    criteria_dir: Path,
    codebook: CodeBook,
    pathways: set[str],
    prepare: Callable[[dict[str, Any]], tuple[Any, list[str]]],
    problems: list[str],
) -> tuple[FollowupProgramme, ...]:
    """Every ``oppfolging/*.yaml`` (sorted by id), its problems added to ``problems``."""
    found: dict[str, FollowupProgramme] = {}
    folder = criteria_dir / FOLLOWUP_DIR
    for path in sorted(folder.glob("*.yaml")) if folder.is_dir() else []:
        programme = _parse(path, FollowupProgramme, criteria_dir, prepare)
        shown = _shown(path, criteria_dir)
        if programme.id in found:
            raise CriteriaError(f"{shown}: id: programme id {programme.id!r} is already used")
        found[programme.id] = programme
        problems.extend(
            f"{shown}: {problem}" for problem in check_programme(programme, codebook, pathways)
        )
    return tuple(found[key] for key in sorted(found))


def load_lexicon(criteria_dir: Path) -> AssertionLexicon:
    """criteria/assertion.yaml, validated, with every regex compiled once to check it.

    Required: without it negated findings in text would count.
    """
    path = criteria_dir / ASSERTION_FILE
    shown = _shown(path, criteria_dir)
    if not path.is_file():
        raise CriteriaError(f"{shown}: missing (the assertion lexicon every text source needs)")
    lexicon = _parse(path, AssertionLexicon, criteria_dir)
    problems = check_regexes(lexicon.abbreviations, "abbreviations")
    problems += check_regexes(lexicon.terminators, "terminators")
    problems += check_regexes(lexicon.list_words, "list_words")
    problems += check_regexes(lexicon.pseudo, "pseudo")
    for name, group in lexicon.groups():
        for i, trigger in enumerate(group.triggers):
            problems += check_regexes([trigger.pattern], f"{name}.triggers[{i}].pattern")
    if problems:
        raise CriteriaError("\n".join(f"{shown}: {problem}" for problem in problems))
    return lexicon


def _load_codebook(codes_dir: Path, criteria_dir: Path) -> CodeBook:
    """All ``codes/*.yaml`` merged; an analyte, code set or region id defined twice is an error."""
    analytes: dict[str, Analyte] = {}
    codesets: dict[str, CodeSet] = {}
    regions: dict[str, Region] = {}
    body_sites: dict[str, BodySite] = {}
    pattern_sets: dict[str, PatternSet] = {}
    origin: dict[str, Path] = {}  # "analytes.hemoglobin" -> file that defined it
    problems: list[str] = []
    for path in sorted(codes_dir.glob("*.yaml")) if codes_dir.is_dir() else []:
        part = _parse(path, CodeBook, criteria_dir)
        _merge("analytes", part.analytes, analytes, origin, path, criteria_dir)
        _merge("codesets", part.codesets, codesets, origin, path, criteria_dir)
        _merge("regions", part.regions, regions, origin, path, criteria_dir)
        _merge("body_sites", part.body_sites, body_sites, origin, path, criteria_dir)
        _merge("pattern_sets", part.pattern_sets, pattern_sets, origin, path, criteria_dir)
        problems.extend(
            f"{_shown(path, criteria_dir)}: {problem}" for problem in check_codebook(part)
        )
    problems.extend(_check_body_site_groups(body_sites))
    problems.extend(
        f"{_shown(origin[f'pattern_sets.{name}'], criteria_dir)}: {problem}"
        for name, problem in resolve_sets(pattern_sets)[1]
    )
    if problems:
        raise CriteriaError("\n".join(problems))
    return CodeBook(
        analytes=analytes,
        codesets=codesets,
        regions=regions,
        body_sites=body_sites,
        pattern_sets=pattern_sets,
    )


def _merge(
    kind: str,
    found: dict[str, _Entry],
    merged: dict[str, _Entry],
    origin: dict[str, Path],
    path: Path,
    criteria_dir: Path,
) -> None:
    """Adds one file's entries; an id another file already defined is an error."""
    for key, value in found.items():
        at = f"{kind}.{key}"
        if at in origin:
            raise CriteriaError(
                f"{_shown(path, criteria_dir)}: {at}: already defined in "
                f"{_shown(origin[at], criteria_dir)}"
            )
        origin[at] = path
        merged[key] = value


def _parse(
    path: Path,
    model: type[_Model],
    criteria_dir: Path,
    prepare: Callable[[dict[str, Any]], tuple[Any, list[str]]] | None = None,
) -> _Model:
    """One YAML file validated as ``model``; any problem becomes a :class:`CriteriaError`.

    ``prepare`` rewrites the parsed data before validation (pattern-set references) and names
    what it could not rewrite."""
    shown = _shown(path, criteria_dir)
    try:
        with path.open(encoding="utf-8") as handle:
            data = yaml.load(handle, Loader=_UniqueKeyLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        raise CriteriaError(f"{shown}: not valid YAML: {exc}") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise CriteriaError(f"{shown}: cannot be read: {exc}") from exc
    if not isinstance(data, dict):
        raise CriteriaError(
            f"{shown}: expected a mapping at the top level, got {type(data).__name__}"
        )
    if prepare is not None:
        data, problems = prepare(data)
        if problems:
            raise CriteriaError("\n".join(f"{shown}: {problem}" for problem in problems))
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        lines = [f"{shown}: {_loc(err['loc'])}: {err['msg']}" for err in exc.errors()]
        raise CriteriaError("\n".join(lines)) from exc


def check_codebook(codebook: CodeBook) -> list[str]:
    """Problems in one code-book file: unknown code systems, non-canonical units."""
    problems: list[str] = []
    for key, analyte in codebook.analytes.items():
        at = f"analytes.{key}"
        if analyte.unit is not None and analyte.unit not in CANONICAL_UNITS:
            problems.append(
                f"{at}.unit: {analyte.unit!r} is not a canonical unit (cds/facts/units.py)"
            )
        problems.extend(check_codes(analyte.codes, f"{at}.codes"))
        if analyte.order is not None:
            problems.extend(check_codes([analyte.order], f"{at}.order"))
    for key, codeset in codebook.codesets.items():
        problems.extend(check_codes(codeset.codes, f"codesets.{key}.codes"))
    for key, region in codebook.regions.items():
        for i, prefix in enumerate(region.postal_prefixes):
            if not _POSTAL_PREFIX.match(prefix):
                problems.append(f"regions.{key}.postal_prefixes[{i}]: {prefix!r} is not 1-4 digits")
    for key, pattern_set in codebook.pattern_sets.items():
        plain = [p for p in pattern_set.patterns if isinstance(p, str)]
        problems.extend(check_regexes(plain, f"pattern_sets.{key}.patterns"))
    for key, site in codebook.body_sites.items():
        if not site.patterns:
            problems.append(f"body_sites.{key}.patterns: give at least one pattern")
        problems.extend(check_regexes(site.patterns, f"body_sites.{key}.patterns"))
        problems.extend(check_codes(site.codes, f"body_sites.{key}.codes"))
    return problems


def _check_body_site_groups(body_sites: dict[str, BodySite]) -> list[str]:
    """``within`` is for regions and names a group (checked on the merged code book)."""
    problems: list[str] = []
    for key, site in body_sites.items():
        if site.within is None:
            continue
        at = f"body_sites.{key}.within"
        if site.kind != "region":
            problems.append(f"{at}: only a region can lie within a group")
        group = body_sites.get(site.within)
        if group is None or group.kind != "group":
            problems.append(f"{at}: {site.within!r} is not a body-site group")
    return problems


def check_pathway(pathway: Pathway, codebook: CodeBook) -> list[str]:
    """Cross-references the schema cannot check: analytes, code sets, units, regexes, version."""
    problems: list[str] = []
    if not _SEMVER.match(pathway.version):
        problems.append(f"version: {pathway.version!r} is not MAJOR.MINOR.PATCH")
    for fid, feature in pathway.features.items():
        for i, source in enumerate(feature.sources):
            problems.extend(check_source(source, codebook, f"features.{fid}.sources[{i}]"))
        if feature.change is not None:
            problems.extend(
                check_regexes(
                    feature.change.unchanged_patterns, f"features.{fid}.change.unchanged_patterns"
                )
            )
    seen_tests: set[str] = set()
    for i, test in enumerate(pathway.filter_tests):
        at = f"filter_tests[{i}]"
        if test.id in seen_tests:
            problems.append(f"{at}.id: duplicate filter test id {test.id!r}")
        seen_tests.add(test.id)
        problems.extend(check_analytes(test.analytes, codebook, f"{at}.analytes"))
        problems.extend(check_regexes(test.report_title_patterns, f"{at}.report_title_patterns"))
        if test.order is not None:
            problems.extend(check_codes([test.order], f"{at}.order"))
    for i, item in enumerate(pathway.referral.content):
        problems.extend(check_analytes(item.analytes, codebook, f"referral.content[{i}].analytes"))
    receiver_kinds = {kind for receiver in pathway.receivers for kind in receiver.kinds}
    for i, rule in enumerate(pathway.rules):
        at = f"rules[{i}]"
        if "hooks" not in rule.model_fields_set or not rule.hooks:
            # Explicit, so that a new hook (cds/hooks.py) applies no rule until a reviewer says.
            problems.append(
                f"{at}.hooks: rule {rule.id!r} must name its hooks "
                f"(one or more of {', '.join(ALL_HOOKS)})"
            )
        problems.extend(_check_term(rule.when, codebook, f"{at}.when"))
        for j, test_id in enumerate(rule.filter_tests):
            if test_id not in seen_tests:
                problems.append(f"{at}.filter_tests[{j}]: unknown filter test {test_id!r}")
        if rule.receiver_kind is not None and rule.receiver_kind not in receiver_kinds:
            problems.append(f"{at}.receiver_kind: no receiver takes kind {rule.receiver_kind!r}")
    for i, receiver in enumerate(pathway.receivers):
        for j, region in enumerate(receiver.regions):
            if region not in codebook.regions:
                problems.append(f"receivers[{i}].regions[{j}]: unknown region {region!r}")
    if pathway.timeline is not None:
        problems.extend(_check_timeline(pathway.timeline, codebook))
    return problems


def _check_timeline(spec: TimelineSpec, codebook: CodeBook) -> list[str]:
    """Known code sets and regexes that compile in a ``timeline:`` block."""
    problems = check_codeset(spec.diagnosis, codebook, "timeline.diagnosis")
    if spec.other_cancer is not None:
        problems += check_codeset(spec.other_cancer, codebook, "timeline.other_cancer")
    for i, item in enumerate(spec.treatments):
        problems += check_codeset(item.codeset, codebook, f"timeline.treatments[{i}].codeset")
    problems += check_regexes(spec.departments, "timeline.departments")
    problems += check_regexes(spec.decision_reports, "timeline.decision_reports")
    problems += check_regexes(spec.malignancy, "timeline.malignancy")
    return problems


def _check_term(term: Term, codebook: CodeBook, at: str) -> list[str]:
    """Age terms need a bound; draft-order terms need something to match, known code sets and
    valid regexes."""
    problems: list[str] = []
    if isinstance(term, AllTerm):
        for i, part in enumerate(term.all):
            problems += _check_term(part, codebook, f"{at}.all[{i}]")
    elif isinstance(term, AnyTerm):
        for i, part in enumerate(term.any):
            problems += _check_term(part, codebook, f"{at}.any[{i}]")
    elif isinstance(term, AtLeastTerm):
        for i, part in enumerate(term.of):
            problems += _check_term(part, codebook, f"{at}.of[{i}]")
    elif isinstance(term, NotTerm):
        problems += _check_term(term.not_, codebook, f"{at}.not")
    elif isinstance(term, AgeTerm):
        if term.age_below is None and term.age_at_least is None:
            problems.append(f"{at}: an age term needs age_below or age_at_least")
    elif isinstance(term, DraftOrderTerm):
        problems += check_order_match(term.draft_order, codebook, f"{at}.draft_order")
        if term.draft_order.same_place_as:
            problems += check_body_sites(codebook, f"{at}.draft_order.same_place_as")
    return problems


def _loc(loc: tuple[int | str, ...]) -> str:
    """A pydantic error location as a field path: ``features.anemi.sources[0].threshold``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out or "(top level)"


def _shown(path: Path, criteria_dir: Path) -> str:
    """The file as a reviewer knows it: relative to the criteria directory's parent."""
    try:
        return str(path.relative_to(criteria_dir.parent))
    except ValueError:
        return str(path)
