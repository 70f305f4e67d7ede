"""``load_registry`` on the extended schema: regions are merged, and every new cross-reference
(lab flags, weight loss, usage increases, age and draft-order terms, a rule's filter tests,
receivers and their regions, site regexes) is refused by name when it does not resolve."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
from test_loader import CITE, CODES, PATHWAY, Mutate, refused, write

from cds.criteria.loader import load_registry

REGION = {
    "label": "Helse Vest",
    "counties": ["vestland", "rogaland"],
    "postal_prefixes": ["40", "5"],
    "source": "t",
}
CODES_WITH_REGIONS: dict[str, Any] = {**copy.deepcopy(CODES), "regions": {"vest": REGION}}
RECEIVER = {"name": "Haukeland", "regions": ["vest"], "kinds": ["soft_tissue"], "cite": CITE}


def criteria(tmp_path: Path, mutate: Mutate, codes: dict[str, Any] | None = None) -> Path:
    data = copy.deepcopy(PATHWAY)
    mutate(data)
    return write(
        tmp_path,
        pathways={"test.yaml": data},
        codes={"codes.yaml": codes if codes is not None else CODES_WITH_REGIONS},
    )


def add_source(source: dict[str, Any]) -> Mutate:
    def mutate(d: dict[str, Any]) -> None:
        d["features"]["anemi"]["sources"].append(source)

    return mutate


def add_rule(when: dict[str, Any], **extra: Any) -> Mutate:
    def mutate(d: dict[str, Any]) -> None:
        d["rules"].append(
            {
                "id": "r2",
                "outcome": "mistanke",
                "cite": [CITE],
                "when": when,
                "hooks": ["patient-view"],
                **extra,
            }
        )

    return mutate


USAGE = {"recent_days": 90, "baseline_days": 365, "min_recent": 4, "max_baseline": 2, "factor": 2}


# --- what loads ---------------------------------------------------------------------------------


def test_extended_pathway_loads_and_regions_are_merged(tmp_path: Path) -> None:
    def extend(d: dict[str, Any]) -> None:
        d["receivers"] = [RECEIVER]
        d["filter_tests"].append(
            {
                "id": "mr",
                "label": "MR",
                "report_kinds": ["radiology"],
                "modalities": ["MR"],
                "report_title_patterns": ["lår"],
                "max_age_days": 60,
                "order": {"system": "snomed", "code": "113091000"},
                "order_category": "imaging",
                "cite": CITE,
            }
        )
        sources = d["features"]["anemi"]["sources"]
        sources[0].update(site_patterns=[r"\bdyp"], site_negations=["subkutan"])
        sources += [
            {"kind": "lab_flag", "analytes": ["hb"], "flags": ["LL"], "window_days": 30},
            {
                "kind": "weight_loss",
                "analyte": "hb",
                "percent": 5,
                "within_days": 180,
                "window_days": 90,
            },
            {"kind": "encounter_increase", **USAGE},
            {"kind": "medication_increase", "codeset": "anemi", **USAGE},
        ]
        d["rules"].append(
            {
                "id": "r2",
                "outcome": "stop_order",
                "hooks": ["order-select", "order-sign"],
                "cite": [CITE],
                "when": {"all": [{"age_at_least": 18}, {"draft_order": {"patterns": ["biopsi"]}}]},
                "advice": {"indicator": "critical", "summary": "Stopp", "detail": "Stopp."},
                "filter_tests": ["mr"],
                "receiver_kind": "soft_tissue",
            }
        )

    registry = load_registry(criteria(tmp_path, extend))
    assert registry.codebook.regions["vest"].label == "Helse Vest"


def test_regions_from_several_code_files_are_merged(tmp_path: Path) -> None:
    north = {"regions": {"nord": {**REGION, "label": "Helse Nord", "postal_prefixes": ["8"]}}}
    path = write(tmp_path, codes={"a.yaml": CODES_WITH_REGIONS, "b.yaml": north})
    assert set(load_registry(path).codebook.regions) == {"vest", "nord"}


# --- code book ----------------------------------------------------------------------------------


def test_duplicate_region_across_code_files(tmp_path: Path) -> None:
    again = {"regions": {"vest": REGION}}
    message = refused(write(tmp_path, codes={"a.yaml": CODES_WITH_REGIONS, "b.yaml": again}))
    assert (
        "criteria/codes/b.yaml: regions.vest: already defined in criteria/codes/a.yaml" in message
    )


@pytest.mark.parametrize("prefix", ["5x", "", "12345"])
def test_postal_prefix_must_be_digits(tmp_path: Path, prefix: str) -> None:
    codes = copy.deepcopy(CODES_WITH_REGIONS)
    codes["regions"]["vest"]["postal_prefixes"] = ["40", prefix]
    message = refused(write(tmp_path, codes={"codes.yaml": codes}))
    assert f"regions.vest.postal_prefixes[1]: {prefix!r} is not 1-4 digits" in message


SIDE = {"label": "venstre", "kind": "side", "patterns": [r"\bvenstre"], "source": "t"}
THIGH = {"label": "lår", "kind": "region", "patterns": [r"\blår"], "source": "t"}
CODES_WITH_SITES: dict[str, Any] = {
    **copy.deepcopy(CODES_WITH_REGIONS),
    "body_sites": {"venstre": SIDE, "lar": THIGH},
}
GROWTH = {
    "kind": "size_increase",
    "analyte": "hb",
    "percent": 20,
    "min_increase": 0.5,
    "within_days": 365,
    "window_days": 180,
    "source": "t",
}
AFTER_SURGERY = {
    "kind": "lump_after_surgery",
    "procedure": {"patterns": ["eksisjon"]},
    "lump_codeset": "anemi",
    "window_days": 180,
    "min_days_after": 90,
}


def test_body_sites_load_and_growth_sources_resolve(tmp_path: Path) -> None:
    def extend(d: dict[str, Any]) -> None:
        d["features"]["anemi"]["sources"] += [GROWTH, AFTER_SURGERY]

    registry = load_registry(criteria(tmp_path, extend, codes=CODES_WITH_SITES))
    assert registry.codebook.body_sites["lar"].kind == "region"


def test_duplicate_body_site_across_code_files(tmp_path: Path) -> None:
    again = {"body_sites": {"lar": THIGH}}
    message = refused(write(tmp_path, codes={"a.yaml": CODES_WITH_SITES, "b.yaml": again}))
    assert "criteria/codes/b.yaml: body_sites.lar: already defined in" in message


@pytest.mark.parametrize(
    ("patterns", "expected"),
    [
        ([], "body_sites.lar.patterns: give at least one pattern"),
        (["(lår"], "body_sites.lar.patterns[0]: invalid regex '(lår'"),
    ],
)
def test_body_site_patterns_are_checked(tmp_path: Path, patterns: list[str], expected: str) -> None:
    codes = copy.deepcopy(CODES_WITH_SITES)
    codes["body_sites"]["lar"]["patterns"] = patterns
    assert expected in refused(write(tmp_path, codes={"codes.yaml": codes}))


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ({**GROWTH, "analyte": "storrelse"}, "sources[4].analyte: unknown analyte 'storrelse'"),
        ({**GROWTH, "percent": 0, "min_increase": 0}, "sources[4]: percent or min_increase"),
        ({**GROWTH, "site_negations": ["(lymf"]}, "sources[4].site_negations[0]: invalid regex"),
        ({**AFTER_SURGERY, "lump_codeset": "kul"}, "sources[4].lump_codeset: unknown code set"),
        ({**AFTER_SURGERY, "lump_analyte": "mm"}, "sources[4].lump_analyte: unknown analyte 'mm'"),
        (
            {**AFTER_SURGERY, "procedure": {"negations": ["biopsi"]}},
            "sources[4].procedure: give patterns or a codeset",
        ),
        (
            {**AFTER_SURGERY, "procedure": {"patterns": ["x"], "negations": ["(biopsi"]}},
            "sources[4].procedure.negations[0]: invalid regex '(biopsi'",
        ),
    ],
    ids=["analyte", "no-threshold", "negation-regex", "lump-codeset", "lump-analyte",
         "procedure-empty", "procedure-negation"],
)
def test_growth_and_surgery_sources_are_checked(
    tmp_path: Path, source: dict[str, Any], expected: str
) -> None:
    message = refused(criteria(tmp_path, add_source(source), codes=CODES_WITH_SITES))
    assert f"criteria/test.yaml: features.anemi.{expected}" in message


def test_place_sources_need_body_regions(tmp_path: Path) -> None:
    message = refused(criteria(tmp_path, add_source(GROWTH)))
    assert "sources[4]: compares body sites, but the code book has no body_sites regions" in message


LIMB = {"label": "bein", "kind": "group", "patterns": [r"underekstremitet"], "source": "t"}


def test_body_site_groups_and_codes_load(tmp_path: Path) -> None:
    codes = copy.deepcopy(CODES_WITH_SITES)
    codes["body_sites"]["ue"] = LIMB
    codes["body_sites"]["lar"]["within"] = "ue"
    codes["body_sites"]["lar"]["codes"] = [{"system": "snomed", "code": "68367000"}]
    sites = load_registry(write(tmp_path, codes={"codes.yaml": codes})).codebook.body_sites
    assert sites["lar"].within == "ue" and sites["ue"].kind == "group"


@pytest.mark.parametrize(
    ("key", "change", "expected"),
    [
        ("lar", {"within": "venstre"}, "body_sites.lar.within: 'venstre' is not a body-site group"),
        ("lar", {"within": "arm"}, "body_sites.lar.within: 'arm' is not a body-site group"),
        ("venstre", {"within": "ue"}, "body_sites.venstre.within: only a region can lie within"),
        ("lar", {"codes": [{"system": "sct", "code": "1"}]}, "body_sites.lar.codes[0].system"),
    ],
)
def test_body_site_groups_and_codes_are_checked(
    tmp_path: Path, key: str, change: dict[str, Any], expected: str
) -> None:
    codes = copy.deepcopy(CODES_WITH_SITES)
    codes["body_sites"]["ue"] = LIMB
    codes["body_sites"][key].update(change)
    assert expected in refused(write(tmp_path, codes={"codes.yaml": codes}))


def test_draft_place_options_load(tmp_path: Path) -> None:
    when = {"draft_order": {"patterns": ["eksisjon"], "skin_lesions": ["nevus"],
                            "same_place_as": ["anemi"]}}
    registry = load_registry(criteria(tmp_path, add_rule(when), codes=CODES_WITH_SITES))
    assert registry.pathways[0].rules[1].id == "r2"


@pytest.mark.parametrize(
    ("mutate", "codes", "expected"),
    [
        (
            add_rule({"draft_order": {"patterns": ["x"], "same_place_as": ["kul"]}}),
            CODES_WITH_SITES,
            "rule r2: unknown feature 'kul'",
        ),
        (
            add_rule({"draft_order": {"patterns": ["x"], "same_place_as": ["anemi"]}}),
            CODES_WITH_REGIONS,
            "rules[1].when.draft_order.same_place_as: compares body sites, but the code book",
        ),
        (
            add_rule({"draft_order": {"patterns": ["x"], "skin_lesions": ["(nevus"]}}),
            CODES_WITH_SITES,
            "rules[1].when.draft_order.skin_lesions[0]: invalid regex '(nevus'",
        ),
        (
            add_source({**AFTER_SURGERY, "procedure": {"patterns": ["x"],
                                                       "same_place_as": ["anemi"]}}),
            CODES_WITH_SITES,
            "sources[4].procedure.same_place_as: only draft_order terms take it",
        ),
    ],
    ids=["unknown-feature", "no-body-sites", "skin-regex", "procedure"],
)
def test_draft_place_options_are_checked(
    tmp_path: Path, mutate: Mutate, codes: dict[str, Any], expected: str
) -> None:
    assert expected in refused(criteria(tmp_path, mutate, codes=codes))


# --- pathway cross-references -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (
            add_source({"kind": "lab_flag", "analytes": ["k"], "flags": ["HH"], "window_days": 1}),
            "features.anemi.sources[4].analytes: unknown analyte 'k'",
        ),
        (
            add_source({"kind": "lab_flag", "analytes": ["hb"], "flags": [], "window_days": 1}),
            "features.anemi.sources[4]: a lab_flag source needs analytes and flags",
        ),
        (
            add_source(
                {
                    "kind": "weight_loss",
                    "analyte": "vekt",
                    "percent": 5,
                    "within_days": 180,
                    "window_days": 90,
                }
            ),
            "features.anemi.sources[4].analyte: unknown analyte 'vekt'",
        ),
        (
            add_source(
                {
                    "kind": "weight_loss",
                    "analyte": "score",
                    "percent": 5,
                    "within_days": 180,
                    "window_days": 90,
                }
            ),
            "features.anemi.sources[4].analyte: analyte 'score' has no unit to compare in",
        ),
        (
            add_source({"kind": "medication_increase", **USAGE}),
            "features.anemi.sources[4].codeset: medication_increase needs a codeset",
        ),
        (
            add_source({"kind": "medication_increase", "codeset": "opioider", **USAGE}),
            "features.anemi.sources[4].codeset: unknown code set 'opioider'",
        ),
        (
            add_source({"kind": "encounter_increase", "codeset": "anemi", **USAGE}),
            "features.anemi.sources[4].codeset: encounter_increase counts every contact",
        ),
        (
            add_source({"kind": "encounter_increase", **{**USAGE, "baseline_days": 0}}),
            "features.anemi.sources[4]: recent_days and baseline_days must be positive",
        ),
        (
            add_rule({"all": [{"feature": "anemi"}, {"label": "Voksen"}]}),
            "rules[1].when.all[1]: an age term needs age_below or age_at_least",
        ),
        (
            add_rule({"not": {"draft_order": {}}}),
            "rules[1].when.not.draft_order: give patterns or a codeset",
        ),
        (
            add_rule({"any": [{"draft_order": {"codeset": "biopsi"}}]}),
            "rules[1].when.any[0].draft_order.codeset: unknown code set 'biopsi'",
        ),
        (
            add_rule({"at_least": 1, "of": [{"draft_order": {"patterns": ["(biopsi"]}}]}),
            "rules[1].when.of[0].draft_order.patterns[0]: invalid regex '(biopsi'",
        ),
        (
            add_rule({"feature": "anemi"}, filter_tests=["hb", "psa"]),
            "rules[1].filter_tests[1]: unknown filter test 'psa'",
        ),
        (
            add_rule({"feature": "anemi"}, receiver_kind="bone"),
            "rules[1].receiver_kind: no receiver takes kind 'bone'",
        ),
        (
            lambda d: d.update(receivers=[{**RECEIVER, "regions": ["vest", "sor"]}]),
            "receivers[0].regions[1]: unknown region 'sor'",
        ),
        (
            lambda d: d["features"]["anemi"]["sources"][0].update(site_patterns=["(dyp"]),
            "features.anemi.sources[0].site_patterns[0]: invalid regex '(dyp'",
        ),
        (
            lambda d: d["features"]["anemi"]["sources"][1].update(site_negations=["[lår"]),
            "features.anemi.sources[1].site_negations[0]: invalid regex '[lår'",
        ),
        (
            lambda d: d["filter_tests"][0].update(report_title_patterns=["(mr"]),
            "filter_tests[0].report_title_patterns[0]: invalid regex '(mr'",
        ),
        (
            lambda d: d["filter_tests"][0].update(order={"system": "nkkk", "code": "1"}),
            "filter_tests[0].order[0].system: unknown code system family 'nkkk'",
        ),
    ],
    ids=[
        "lab-flag-analyte",
        "lab-flag-empty",
        "weight-analyte",
        "weight-unit",
        "medication-needs-codeset",
        "medication-codeset",
        "encounter-codeset",
        "usage-days",
        "age-bound",
        "draft-empty",
        "draft-codeset",
        "draft-regex",
        "rule-filter-test",
        "receiver-kind",
        "receiver-region",
        "site-pattern",
        "site-negation",
        "filter-title-regex",
        "filter-order-system",
    ],
)
def test_unresolved_reference_is_refused(tmp_path: Path, mutate: Mutate, expected: str) -> None:
    assert f"criteria/test.yaml: {expected}" in refused(criteria(tmp_path, mutate))


# --- treatment sources and explanations ------------------------------------------------------


def _with_cause(explanation: dict[str, Any]) -> Mutate:
    """A second feature ``behandling`` (a medication source) and ``anemi`` explained by it."""

    def mutate(d: dict[str, Any]) -> None:
        d["features"]["behandling"] = {
            "label": "Behandling",
            "cite": CITE,
            "sources": [{"kind": "medication", "codeset": "anemi", "window_days": 180}],
        }
        d["features"]["anemi"]["explained_by"] = [explanation]

    return mutate


def test_explanation_over_a_medication_feature_loads(tmp_path: Path) -> None:
    mutate = _with_cause({"when": {"feature": "behandling"}, "label": "behandlet"})
    pathway = load_registry(criteria(tmp_path, mutate)).get("test")
    assert pathway.features["anemi"].explained_by[0].label == "behandlet"


@pytest.mark.parametrize(
    ("when", "expected"),
    [
        ({"feature": "finnes_ikke"}, "explanation names unknown 'finnes_ikke'"),
        ({"feature": "anemi"}, "which is itself explained_by"),
        ({"all": [{"feature": "behandling"}, {"flag": "draft_labelled"}]}, "may only combine"),
        ({"feature": "behandling", "changed": True}, "may only combine"),
    ],
)
def test_bad_explanation_is_refused(tmp_path: Path, when: dict[str, Any], expected: str) -> None:
    assert expected in refused(criteria(tmp_path, _with_cause({"when": when, "label": "x"})))


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ({"kind": "medication", "codeset": "nope", "window_days": 30}, "unknown code set 'nope'"),
        ({"kind": "procedure", "procedure": {}, "window_days": 30}, "give patterns or a codeset"),
        (
            {"kind": "procedure", "procedure": {"patterns": ["(bad"]}, "window_days": 30},
            "procedure.patterns",
        ),
    ],
)
def test_treatment_sources_are_checked(
    tmp_path: Path, source: dict[str, Any], expected: str
) -> None:
    assert expected in refused(criteria(tmp_path, add_source(source)))


def test_a_link_naming_an_unknown_rule_is_refused(tmp_path: Path) -> None:
    def mutate(d: dict[str, Any]) -> None:
        d["source"]["links"] = [{"label": "X", "url": "https://example.org/x", "rules": ["nope"]}]

    assert "unknown rule 'nope'" in refused(criteria(tmp_path, mutate))
