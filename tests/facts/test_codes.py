"""Code systems: family aliases, ICD-10 spelling, prefix and range matching."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cds.criteria.codebook import CodeRef
from cds.facts.codes import CodeIndex, CodeMatcher, codes_of, family_of, normalise_code

NLK_URIS = [
    "urn:oid:2.16.578.1.12.4.1.1.7280",
    "urn:oid:2.16.578.1.12.4.1.1.7230",
    "http://helsedir.no/fhir/CodeSystem/no-kodeverk-7280-nlk",
    "http://ehelse.no/fhir/CodeSystem/no-kodeverk-7280-nlk",
]
LOCAL = "urn:oid:2.16.578.1.12.4.1.1.8212"


def refs(*pairs: tuple[str, str]) -> list[CodeRef]:
    return [CodeRef(system=s, code=c) for s, c in pairs]


@pytest.mark.parametrize("uri", NLK_URIS)
def test_nlk_under_every_uri_is_one_family(uri: str) -> None:
    concept = {"coding": [{"system": uri, "code": "NOR05172"}]}
    assert codes_of(concept) == frozenset({("nlk", "NOR05172")})
    assert CodeMatcher(refs(("nlk", "NOR05172"))).matches(codes_of(concept))


def test_lab_local_coding_is_ignored() -> None:
    concept = {
        "coding": [
            {"system": LOCAL, "code": "HB"},
            {"system": NLK_URIS[1], "code": "NOR05172"},
        ]
    }
    assert codes_of(concept) == frozenset({("nlk", "NOR05172")})
    assert family_of(LOCAL) is None
    # A local code equal to an NLK code still does not match: its meaning is lab-specific.
    local_only = {"coding": [{"system": LOCAL, "code": "NOR05172"}]}
    assert not CodeMatcher(refs(("nlk", "NOR05172"))).matches(codes_of(local_only))


@pytest.mark.parametrize(
    "uri",
    [
        "http://hl7.org/fhir/sid/icd-10-no",
        "urn:oid:2.16.578.1.12.4.1.1.7110",
        "http://hl7.org/fhir/sid/icd-10",
    ],
)
@pytest.mark.parametrize("code", ["C90.0", "C900", "c90.0", " C90.0 "])
def test_icd10_with_or_without_dot(uri: str, code: str) -> None:
    assert codes_of({"coding": [{"system": uri, "code": code}]}) == frozenset({("icd10", "C900")})


@pytest.mark.parametrize(
    "uri",
    [
        "http://hl7.org/fhir/sid/icpc-2",
        "urn:oid:2.16.840.1.113883.6.139",
        "urn:oid:2.16.578.1.12.4.1.1.7170",
    ],
)
def test_icpc2_aliases(uri: str) -> None:
    assert codes_of({"coding": [{"system": uri, "code": "b74"}]}) == frozenset({("icpc2", "B74")})


def test_normalise_code() -> None:
    assert normalise_code("icd10", " d47.2 ") == "D472"
    assert normalise_code("loinc", "718-7") == "718-7"


@pytest.mark.parametrize(
    ("criterion", "code", "expected"),
    [
        ("C90", "C900", True),  # a three-character code covers its sub-codes
        ("C90.0", "C900", True),  # the criterion may be written with a dot
        ("C90", "C91", False),
        ("C900", "C90", False),  # a sub-code does not cover its parent
        ("D50-D64", "D649", True),  # range, inclusive, over sub-codes
        ("D50-D64", "D50", True),
        ("D50-D64", "D640", True),
        ("D50-D64", "D65", False),
        ("D50-D64", "D49", False),
        ("D50–D64", "D630", True),  # en dash as printed in documents
        ("C45-C49", "C499", True),
        ("C450-C499", "C499", True),  # sub-code bounds
        ("C450-C499", "C500", False),
        ("C00-C97", "C979", True),
        ("C00-C97", "D00", False),
    ],
)
def test_icd10_prefix_and_range_matching(criterion: str, code: str, expected: bool) -> None:
    matcher = CodeMatcher(refs(("icd10", criterion)))
    assert matcher.matches([("icd10", code)]) is expected


def test_prefix_matching_is_per_family() -> None:
    matcher = CodeMatcher(refs(("icd10", "C90")))
    assert not matcher.matches([("icpc2", "C900")])


def test_exact_families_do_not_prefix_match() -> None:
    matcher = CodeMatcher(refs(("loinc", "718-7")))
    assert matcher.matches([("loinc", "718-7")])
    assert not matcher.matches([("loinc", "718-70")])


def test_match_returns_the_matching_code() -> None:
    matcher = CodeMatcher(refs(("icpc2", "B80"), ("icd10", "D50-D64")))
    assert matcher.match([("snomed", "1"), ("icd10", "D649")]) == ("icd10", "D649")
    assert matcher.match([("icd10", "R53")]) is None


@pytest.mark.parametrize(
    "concept",
    [
        None,
        "C90",
        5,
        [],
        {},
        {"coding": "x"},
        {"coding": [None, "x", {"system": 5, "code": 1}]},
        [{"coding": [{"system": "http://loinc.org"}]}],
        {"coding": [{"code": "718-7"}]},
    ],
)
def test_codes_of_malformed_is_empty(concept: object) -> None:
    assert codes_of(concept) == frozenset()


def test_codes_of_list_of_concepts() -> None:
    concepts = [
        {"coding": [{"system": "http://loinc.org", "code": "718-7"}]},
        {"coding": [{"system": "http://snomed.info/sct", "code": "3457005"}]},
    ]
    assert codes_of(concepts) == frozenset({("loinc", "718-7"), ("snomed", "3457005")})


def test_match_is_deterministic_whatever_the_set_order() -> None:
    # A condition coded twice (ICPC-2 A03 and ICD-10 R50.9) shows the same evidence code on every
    # run, although frozenset iteration order depends on PYTHONHASHSEED.
    refs = [CodeRef(system="icpc2", code="A03"), CodeRef(system="icd10", code="R50")]
    matcher = CodeMatcher(refs)
    codes = [("icpc2", "A03"), ("icd10", "R509")]
    assert matcher.match(codes) == matcher.match(list(reversed(codes))) == ("icd10", "R509")


# --- many code lists against one patient's codes (CodeIndex) -------------------------------

_FAMILY_CODES = {
    "icd10": ["C90", "C900", "C9000", "D47", "D472", "D50", "D649", "M545", "N18", "N184"],
    "icpc2": ["B74", "L02", "L03", "A04", "T08"],
    "atc": ["L04AX04", "L04AX", "A10BJ06", "J01CA04"],
    "snomed": ["271737000", "2690005"],
    "loinc": ["718-7", "2160-0"],
}
_LIST_CODES = [
    *((f, c) for f, cs in _FAMILY_CODES.items() for c in cs),
    ("icd10", "C81-C96"),
    ("icd10", "D50-D64"),
    ("icd10", "C450-C499"),
    ("icpc2", "L01-L04"),
]


@given(
    items=st.lists(
        st.frozensets(
            st.sampled_from(
                [(f, c) for f, cs in _FAMILY_CODES.items() for c in cs]
                + [("icd10", "C460"), ("icd10", "C4999"), ("icd10", "C97"), ("icd10", "D65")]
            ),
            max_size=3,
        ),
        max_size=12,
    ),
    codes=st.lists(st.sampled_from(_LIST_CODES), min_size=1, max_size=6),
)
def test_positions_find_exactly_the_items_that_match(
    items: list[frozenset[tuple[str, str]]], codes: list[tuple[str, str]]
) -> None:
    # The index lookup must give the answer of testing every item, prefixes and ranges included.
    matcher = CodeMatcher(refs(*codes))
    expected = [i for i, item in enumerate(items) if matcher.matches(item)]
    assert matcher.positions(CodeIndex(items)) == expected


def test_positions_of_a_prefix_and_a_range() -> None:
    items = [frozenset({("icd10", "C900")}), frozenset({("icd10", "M545")}), frozenset()]
    index = CodeIndex(items)
    assert CodeMatcher(refs(("icd10", "C90"))).positions(index) == [0]
    assert CodeMatcher(refs(("icd10", "C81-C96"))).positions(index) == [0]
    assert CodeMatcher(refs(("icd10", "M54"), ("icd10", "C9"))).positions(index) == [0, 1]
    assert CodeMatcher(refs(("icpc2", "L03"))).positions(index) == []
