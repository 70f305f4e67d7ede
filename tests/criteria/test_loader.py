"""``load_registry``: the real criteria load, and every kind of bad criteria is refused by name."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from cds.criteria.loader import CriteriaError, load_registry

REPO = Path(__file__).resolve().parents[2]
CITE = {"file": "001_886705ff86f0ea9c.txt", "section": "Mistanke", "quote": "Anemi"}

CODES: dict[str, Any] = {
    "analytes": {
        "hb": {
            "label": "Hemoglobin",
            "unit": "g/dL",
            "codes": [{"system": "nlk", "code": "NOR05172"}],
            "source": "test",
        },
        "ca": {
            "label": "Kalsium",
            "unit": "mmol/L",
            "codes": [{"system": "nlk", "code": "NPU01443"}],
            "source": "test",
        },
        "alb": {
            "label": "Albumin",
            "unit": "g/L",
            "codes": [{"system": "nlk", "code": "NPU19673"}],
            "source": "test",
        },
        "score": {"label": "Frailty", "codes": [{"system": "snomed", "code": "1"}], "source": "t"},
    },
    "codesets": {
        "anemi": {"label": "Anemi", "codes": [{"system": "icpc2", "code": "B82"}], "source": "t"},
    },
}

PATHWAY: dict[str, Any] = {
    "id": "test",
    "version": "1.0.0",
    "effective": "2026-01-01",
    "title": "Pakkeforløp for test",
    "code": "X01",
    "registration_codes": [
        {
            "code": "X01A",
            "display": "Start",
            "event": "start",
            "cite": {
                "file": "001_886705ff86f0ea9c.txt",
                "section": "Registrering",
                "quote": "A04A Start pakkeforløp – henvisning mottatt",
            },
        }
    ],
    "source": {"label": "Kilde", "url": "https://example.org"},
    "features": {
        "anemi": {
            "label": "Anemi",
            "cite": CITE,
            "sources": [
                {
                    "kind": "lab",
                    "analyte": "hb",
                    "direction": "low",
                    "threshold": {"unit": "g/dL", "value": 11.7, "source": "t"},
                    "window_days": 90,
                },
                {"kind": "condition", "codeset": "anemi", "window_days": 365},
                {
                    "kind": "text",
                    "analytes": ["hb"],
                    "patterns": ["anemi"],
                    "exclusions": [r"\bjernmangel\b"],
                    "report_title_patterns": ["blod"],
                    "window_days": 90,
                },
                {
                    "kind": "corrected_calcium",
                    "calcium": "ca",
                    "albumin": "alb",
                    "factor": 0.02,
                    "reference_albumin": 41.3,
                    "threshold": {"unit": "mmol/L", "value": 2.51, "source": "t"},
                    "pairing_days": 7,
                    "window_days": 90,
                },
            ],
        }
    },
    "rules": [
        {
            "id": "r1",
            "outcome": "begrunnet",
            "cite": [CITE],
            "when": {"feature": "anemi"},
            "hooks": ["patient-view", "order-select", "order-sign"],
        },
    ],
    "filter_tests": [
        {"id": "hb", "label": "Hb", "analytes": ["hb"], "max_age_days": 90, "cite": CITE},
    ],
    "referral": {
        "label": "Pakkeforløp for test",
        "label_cite": CITE,
        "performer_type": "Avdeling",
        "performer_cite": CITE,
        "content": [{"id": "frailty", "label": "Frailty", "analytes": ["score"], "cite": CITE}],
        "patient_information": ["Info"],
        "patient_information_cite": CITE,
        "already_referred_days": 60,
    },
    "times": [{"label": "Fra A til B", "time": "7 kalenderdager", "cite": CITE}],
}

Mutate = Callable[[dict[str, Any]], None]


def write(
    root: Path,
    pathways: dict[str, dict[str, Any]] | None = None,
    codes: dict[str, dict[str, Any]] | None = None,
    lexicon: str | None = None,
) -> Path:
    """A criteria directory with the given pathway files and code files, and the real assertion
    lexicon (or ``lexicon`` as its text)."""
    criteria = root / "criteria"
    (criteria / "codes").mkdir(parents=True)
    real = (REPO / "criteria" / "assertion.yaml").read_text("utf-8")
    (criteria / "assertion.yaml").write_text(real if lexicon is None else lexicon, "utf-8")
    for name, data in (codes if codes is not None else {"codes.yaml": CODES}).items():
        (criteria / "codes" / name).write_text(yaml.safe_dump(data, allow_unicode=True), "utf-8")
    for name, data in (pathways if pathways is not None else {"test.yaml": PATHWAY}).items():
        (criteria / name).write_text(yaml.safe_dump(data, allow_unicode=True), "utf-8")
    return criteria


def pathway_with(mutate: Mutate) -> dict[str, Any]:
    data = copy.deepcopy(PATHWAY)
    mutate(data)
    return data


def codes_with(mutate: Mutate) -> dict[str, Any]:
    data = copy.deepcopy(CODES)
    mutate(data)
    return data


def refused(criteria: Path) -> str:
    with pytest.raises(CriteriaError) as caught:
        load_registry(criteria)
    return str(caught.value)


# --- what loads ----------------------------------------------------------------------------


def test_real_criteria_load() -> None:
    registry = load_registry(REPO / "criteria")
    pathway = registry.get("myelomatose")
    assert pathway.code == "A04"
    assert "hemoglobin" in registry.codebook.analytes
    assert "luftveisinfeksjon" in registry.codebook.codesets


def test_minimal_criteria_load(tmp_path: Path) -> None:
    registry = load_registry(write(tmp_path))
    assert [p.id for p in registry.pathways] == ["test"]


def test_pathways_are_sorted_by_id_and_codes_merged(tmp_path: Path) -> None:
    second = pathway_with(lambda d: d.update(id="alpha"))
    more_codes = {"codesets": {"other": {"label": "X", "codes": [], "source": "t"}}}
    criteria = write(
        tmp_path,
        pathways={"a.yaml": PATHWAY, "b.yaml": second},
        codes={"a.yaml": CODES, "b.yaml": more_codes},
    )
    registry = load_registry(criteria)
    assert [p.id for p in registry.pathways] == ["alpha", "test"]
    assert set(registry.codebook.codesets) == {"anemi", "other"}


def test_readme_and_other_files_are_ignored(tmp_path: Path) -> None:
    criteria = write(tmp_path)
    (criteria / "README.md").write_text("# not yaml: [", "utf-8")
    assert len(load_registry(criteria).pathways) == 1


# --- file-level errors ---------------------------------------------------------------------


def test_invalid_yaml(tmp_path: Path) -> None:
    criteria = write(tmp_path)
    (criteria / "broken.yaml").write_text("id: [unclosed\n", "utf-8")
    message = refused(criteria)
    assert "criteria/broken.yaml" in message
    assert "not valid YAML" in message


def test_duplicate_yaml_key(tmp_path: Path) -> None:
    criteria = write(tmp_path)
    text = (criteria / "test.yaml").read_text("utf-8")
    (criteria / "test.yaml").write_text(text + "id: again\n", "utf-8")
    message = refused(criteria)
    assert "criteria/test.yaml" in message
    assert "duplicate key 'id'" in message


def test_top_level_must_be_a_mapping(tmp_path: Path) -> None:
    criteria = write(tmp_path)
    (criteria / "list.yaml").write_text("- a\n- b\n", "utf-8")
    assert "criteria/list.yaml: expected a mapping" in refused(criteria)


def test_schema_error_names_file_and_field(tmp_path: Path) -> None:
    def no_default(d: dict[str, Any]) -> None:
        d["features"]["anemi"]["sources"][0]["threshold"] = {
            "unit": "g/dL",
            "female": 11.7,
            "source": "t",
        }

    message = refused(write(tmp_path, pathways={"test.yaml": pathway_with(no_default)}))
    assert "criteria/test.yaml: features.anemi.sources[0].lab.threshold" in message
    assert "female + male + default" in message


def test_unknown_key_is_an_error(tmp_path: Path) -> None:
    message = refused(
        write(tmp_path, pathways={"test.yaml": pathway_with(lambda d: d.update(colour="red"))})
    )
    assert "criteria/test.yaml: colour: Extra inputs are not permitted" in message


@pytest.mark.parametrize("hooks", [None, []])
def test_rule_without_hooks_is_refused(tmp_path: Path, hooks: list[str] | None) -> None:
    """A rule must name its hooks: with a default of «all hooks», a new hook would silently
    apply every rule (cds/hooks.py)."""

    def no_hooks(d: dict[str, Any]) -> None:
        if hooks is None:
            d["rules"][0].pop("hooks")
        else:
            d["rules"][0]["hooks"] = hooks

    message = refused(write(tmp_path, pathways={"test.yaml": pathway_with(no_hooks)}))
    assert "criteria/test.yaml: rules[0].hooks: rule 'r1' must name its hooks" in message


def test_rule_with_one_hook_loads(tmp_path: Path) -> None:
    def one_hook(d: dict[str, Any]) -> None:
        d["rules"][0]["hooks"] = ["order-sign"]

    registry = load_registry(write(tmp_path, pathways={"test.yaml": pathway_with(one_hook)}))
    assert registry.get("test").rules[0].hooks == ("order-sign",)


def test_unknown_hook_is_refused(tmp_path: Path) -> None:
    def unknown(d: dict[str, Any]) -> None:
        d["rules"][0]["hooks"] = ["encounter-start"]

    message = refused(write(tmp_path, pathways={"test.yaml": pathway_with(unknown)}))
    assert "criteria/test.yaml: rules[0].hooks[0]: Input should be" in message


def test_real_rules_name_their_hooks() -> None:
    """Every rule of the real criteria names its hooks explicitly (not the schema default)."""
    for pathway in load_registry(REPO / "criteria").pathways:
        for rule in pathway.rules:
            assert "hooks" in rule.model_fields_set, rule.id


def test_codes_file_schema_error(tmp_path: Path) -> None:
    bad = codes_with(lambda d: d["analytes"]["hb"].pop("source"))
    message = refused(write(tmp_path, codes={"codes.yaml": bad}))
    assert "criteria/codes/codes.yaml: analytes.hb.source: Field required" in message


# --- duplicates ----------------------------------------------------------------------------


def test_duplicate_analyte_across_code_files(tmp_path: Path) -> None:
    again = {"analytes": {"hb": CODES["analytes"]["hb"]}}
    message = refused(write(tmp_path, codes={"a.yaml": CODES, "b.yaml": again}))
    assert "criteria/codes/b.yaml: analytes.hb: already defined in criteria/codes/a.yaml" in message


def test_duplicate_codeset_across_code_files(tmp_path: Path) -> None:
    again = {"codesets": {"anemi": CODES["codesets"]["anemi"]}}
    message = refused(write(tmp_path, codes={"a.yaml": CODES, "b.yaml": again}))
    assert (
        "criteria/codes/b.yaml: codesets.anemi: already defined in criteria/codes/a.yaml" in message
    )


def test_duplicate_pathway_id_across_files(tmp_path: Path) -> None:
    message = refused(write(tmp_path, pathways={"a.yaml": PATHWAY, "b.yaml": PATHWAY}))
    assert "criteria/b.yaml: id: pathway id 'test' is already used by criteria/a.yaml" in message


def test_duplicate_filter_test_id(tmp_path: Path) -> None:
    def twice(d: dict[str, Any]) -> None:
        d["filter_tests"].append(copy.deepcopy(d["filter_tests"][0]))

    message = refused(write(tmp_path, pathways={"test.yaml": pathway_with(twice)}))
    assert "criteria/test.yaml: filter_tests[1].id: duplicate filter test id 'hb'" in message


# --- cross-references ----------------------------------------------------------------------


def _source(index: int, **changes: Any) -> Mutate:
    def mutate(d: dict[str, Any]) -> None:
        d["features"]["anemi"]["sources"][index].update(changes)

    return mutate


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (_source(0, analyte="hgb"), "features.anemi.sources[0].analyte: unknown analyte 'hgb'"),
        (
            _source(1, codeset="anaemia"),
            "features.anemi.sources[1].codeset: unknown code set 'anaemia'",
        ),
        (
            _source(2, analytes=["hb", "x"]),
            "features.anemi.sources[2].analytes: unknown analyte 'x'",
        ),
        (_source(3, calcium="cal"), "features.anemi.sources[3].calcium: unknown analyte 'cal'"),
        (_source(3, albumin="albu"), "features.anemi.sources[3].albumin: unknown analyte 'albu'"),
        (
            lambda d: d["filter_tests"][0].update(analytes=["hb", "flc"]),
            "filter_tests[0].analytes: unknown analyte 'flc'",
        ),
        (
            lambda d: d["referral"]["content"][0].update(analytes=["cfs"]),
            "referral.content[0].analytes: unknown analyte 'cfs'",
        ),
    ],
    ids=["lab", "condition", "text", "calcium", "albumin", "filter-test", "referral-content"],
)
def test_unknown_reference(tmp_path: Path, mutate: Mutate, expected: str) -> None:
    message = refused(write(tmp_path, pathways={"test.yaml": pathway_with(mutate)}))
    assert f"criteria/test.yaml: {expected}" in message


def test_condition_count_unknown_codeset(tmp_path: Path) -> None:
    def add(d: dict[str, Any]) -> None:
        d["features"]["anemi"]["sources"].append(
            {"kind": "condition_count", "codeset": "nope", "min_count": 3, "window_days": 365}
        )

    message = refused(write(tmp_path, pathways={"test.yaml": pathway_with(add)}))
    assert "features.anemi.sources[4].codeset: unknown code set 'nope'" in message


def test_threshold_unit_must_be_canonical_unit(tmp_path: Path) -> None:
    wrong = _source(0, threshold={"unit": "g/L", "value": 117, "source": "t"})
    message = refused(write(tmp_path, pathways={"test.yaml": pathway_with(wrong)}))
    assert (
        "features.anemi.sources[0].threshold.unit: 'g/L' differs from the canonical unit 'g/dL'"
        in message
    )


def test_corrected_calcium_threshold_unit_is_the_calcium_unit(tmp_path: Path) -> None:
    wrong = _source(3, threshold={"unit": "mg/dL", "value": 10.1, "source": "t"})
    message = refused(write(tmp_path, pathways={"test.yaml": pathway_with(wrong)}))
    assert "features.anemi.sources[3].threshold.unit: 'mg/dL' differs" in message
    assert "analyte 'ca'" in message


def test_corrected_calcium_albumin_must_be_in_g_per_l(tmp_path: Path) -> None:
    codes = codes_with(lambda d: d["analytes"]["alb"].update(unit="g/dL"))
    message = refused(write(tmp_path, codes={"codes.yaml": codes}))
    assert "features.anemi.sources[3].albumin: analyte 'alb' must have unit g/L" in message


def test_lab_threshold_on_analyte_without_unit(tmp_path: Path) -> None:
    codes = codes_with(lambda d: d["analytes"]["hb"].pop("unit"))
    message = refused(write(tmp_path, codes={"codes.yaml": codes}))
    assert "features.anemi.sources[0].threshold.unit: analyte 'hb' has no unit" in message


@pytest.mark.parametrize(
    "field", ["patterns", "exclusions", "together_with", "report_title_patterns"]
)
def test_invalid_regex(tmp_path: Path, field: str) -> None:
    message = refused(
        write(tmp_path, pathways={"test.yaml": pathway_with(_source(2, **{field: ["(unclosed"]}))})
    )
    assert f"features.anemi.sources[2].{field}[0]: invalid regex '(unclosed'" in message


def test_text_source_needs_something_to_read(tmp_path: Path) -> None:
    message = refused(
        write(tmp_path, pathways={"test.yaml": pathway_with(_source(2, analytes=[]))})
    )
    expected = "a text source needs analytes, report_kinds or clinical_notes"
    assert f"features.anemi.sources[2]: {expected}" in message


# --- code book checks ----------------------------------------------------------------------


def test_unknown_code_system_family(tmp_path: Path) -> None:
    codes = codes_with(
        lambda d: d["codesets"]["anemi"]["codes"].append({"system": "icd-10", "code": "D64"})
    )
    message = refused(write(tmp_path, codes={"codes.yaml": codes}))
    expected = "codesets.anemi.codes[1].system: unknown code system family 'icd-10'"
    assert f"criteria/codes/codes.yaml: {expected}" in message


def test_analyte_unit_must_be_canonical(tmp_path: Path) -> None:
    codes = codes_with(lambda d: d["analytes"]["hb"].update(unit="g/dl"))
    message = refused(write(tmp_path, codes={"codes.yaml": codes}))
    assert "analytes.hb.unit: 'g/dl' is not a canonical unit" in message


def test_version_must_be_semver(tmp_path: Path) -> None:
    message = refused(
        write(tmp_path, pathways={"test.yaml": pathway_with(lambda d: d.update(version="1.0"))})
    )
    assert "criteria/test.yaml: version: '1.0' is not MAJOR.MINOR.PATCH" in message


def test_all_problems_of_a_file_are_reported_together(tmp_path: Path) -> None:
    def two(d: dict[str, Any]) -> None:
        _source(0, analyte="x")(d)
        _source(1, codeset="y")(d)

    message = refused(write(tmp_path, pathways={"test.yaml": pathway_with(two)}))
    assert "unknown analyte 'x'" in message
    assert "unknown code set 'y'" in message


def test_the_assertion_lexicon_is_required(tmp_path: Path) -> None:
    criteria = write(tmp_path)
    (criteria / "assertion.yaml").unlink()
    assert "criteria/assertion.yaml: missing" in refused(criteria)


def test_a_bad_trigger_regex_is_refused_by_name(tmp_path: Path) -> None:
    real = (REPO / "criteria" / "assertion.yaml").read_text("utf-8")
    first = "{pattern: '\\bingen\\b', direction: forward}"
    broken = real.replace(first, "{pattern: '(ingen', direction: forward}")
    assert broken != real
    message = refused(write(tmp_path, lexicon=broken))
    assert "criteria/assertion.yaml: negated.triggers[0].pattern[0]: invalid regex" in message


def test_an_unknown_lexicon_key_is_refused(tmp_path: Path) -> None:
    real = (REPO / "criteria" / "assertion.yaml").read_text("utf-8")
    message = refused(write(tmp_path, lexicon=real + "colour: red\n"))
    assert "criteria/assertion.yaml: colour: Extra inputs are not permitted" in message
