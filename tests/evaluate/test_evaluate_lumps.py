"""Growth of a lump (``size_increase``); a lump where a tumour was removed (``lump_after_surgery``).

Small in-test pathway and code book (the real body sites are tested at the end against
criteria/codes/body_sites.yaml). Both sides of every threshold: 20 % and 0.5 cm growth, 365 days
back, 180-day window, 90 days after the operation; same and different places.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from factories import TODAY, ago, condition, facts, lab

from cds.criteria.codebook import CodeBook
from cds.criteria.loader import load_registry
from cds.criteria.schema import Pathway
from cds.evaluate.engine import evaluate
from cds.evaluate.model import Assessment
from cds.evaluate.places import Place, place_label, place_of, same_place
from cds.facts.model import ConditionFact, LabResult, OrderFact, PatientFacts
from cds.wording import say

REPO = Path(__file__).resolve().parents[2]
CITE = {"file": "x.txt", "section": "Test", "quote": "Test"}
LUMP = ("icpc2", "S04")
EXCISION = ("snomed", "65801008")


def _site(label: str, kind: str, *patterns: str) -> dict[str, Any]:
    return {"label": label, "kind": kind, "patterns": list(patterns), "source": "t"}


CODEBOOK = CodeBook.model_validate(
    {
        "analytes": {
            "tumour_size": {
                "label": "Tumorstørrelse",
                "unit": "cm",
                "codes": [{"system": "loinc", "code": "21889-1"}],
                "source": "t",
            }
        },
        "codesets": {
            "lump": {"label": "Kul", "codes": [{"system": "icpc2", "code": "S04"}], "source": "t"},
            "excision": {
                "label": "Eksisjon",
                "codes": [{"system": "snomed", "code": "65801008"}],
                "source": "t",
            },
        },
        "body_sites": {
            "venstre": _site("venstre", "side", r"\bvenstre"),
            "hoyre": _site("høyre", "side", r"\bhøyre"),
            "lar": _site("lår", "region", r"\blår"),
            "rygg": _site("rygg", "region", r"\brygg"),
        },
    }
)

FEATURES: dict[str, Any] = {
    "growth": {
        "label": "Voksende svulst",
        "cite": CITE,
        "sources": [
            {
                "kind": "size_increase",
                "analyte": "tumour_size",
                "percent": 20,
                "min_increase": 0.5,
                "within_days": 365,
                "window_days": 180,
                "site_negations": ["lymfeknute"],
                "source": "t",
            }
        ],
    },
    "after_surgery": {
        "label": "Kul der en svulst er operert bort",
        "cite": CITE,
        "sources": [
            {
                "kind": "lump_after_surgery",
                "procedure": {
                    "patterns": [r"eksisjon|fjerning av (lipom|kul)"],
                    "codeset": "excision",
                    "negations": ["biops", "føflekk"],
                },
                "lump_codeset": "lump",
                "lump_analyte": "tumour_size",
                "window_days": 180,
                "min_days_after": 90,
                "site_negations": ["lymfeknute"],
            }
        ],
    },
}

PATHWAY = Pathway.model_validate(
    {
        "id": "test",
        "version": "1.0.0",
        "effective": "2026-01-01",
        "title": "Pakkeforløp for testsykdom",
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
        "features": FEATURES,
        "rules": [
            {
                "id": "any",
                "outcome": "mistanke",
                "cite": [CITE],
                "when": {"any": [{"feature": "growth"}, {"feature": "after_surgery"}]},
            }
        ],
        "referral": {
            "label": "Pakkeforløp for testsykdom",
            "label_cite": CITE,
            "performer_type": "Avdeling",
            "performer_cite": CITE,
            "content": [],
            "patient_information": ["Info"],
            "patient_information_cite": CITE,
            "already_referred_days": 60,
        },
        "times": [{"label": "Fra A til B", "time": "7 kalenderdager", "cite": CITE}],
    }
)


def assess(record: PatientFacts) -> Assessment:
    return evaluate(PATHWAY, CODEBOOK, record, hook="patient-view", today=TODAY)


def texts(assessment: Assessment, feature: str) -> list[str]:
    hit = assessment.hits.get(feature)
    return [e.text for e in hit.evidence] if hit is not None else []


def size(value: float, days_ago: int, site: str = "venstre lår") -> LabResult:
    return replace(lab("tumour_size", value, "cm", days_ago=days_ago), site=site)


def grows(*sizes: LabResult) -> bool:
    return "growth" in assess(facts(labs=sizes)).hits


# --- growth ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("before", "now", "expected"),
    [
        (4.0, 4.8, True),  # +0.8 cm, +20.0 %: both limits reached
        (4.0, 4.7, False),  # +0.7 cm but +17.5 %
        (1.0, 1.5, True),  # +0.5 cm (at the limit), +50 %
        (1.0, 1.4, False),  # +40 % but only +0.4 cm
        (2.5, 3.0, True),  # +0.5 cm and +20.0 %: both exactly at the limit
        (2.5, 2.99, False),  # +0.49 cm, +19.6 %
        (5.0, 4.0, False),  # shrinking
        (3.0, 3.0, False),  # unchanged
    ],
)
def test_growth_needs_20_percent_and_half_a_centimetre(
    before: float, now: float, expected: bool
) -> None:
    assert grows(size(before, 100), size(now, 10)) is expected


def test_growth_evidence_names_both_measurements() -> None:
    assessment = assess(facts(labs=[size(4.0, 100), size(5.0, 10)]))
    assert texts(assessment, "growth") == [
        f"Tumorstørrelse 5 cm, venstre lår (økt med 1 cm / 25 % fra 4 cm {ago(100):%d.%m.%Y})",
        "Tumorstørrelse 4 cm (tidligere måling av samme svulst)",
    ]


def test_smallest_earlier_measurement_is_the_baseline() -> None:
    # 5.0 -> 4.0 -> 4.8: not 20 % above 5.0, but 20 % above 4.0.
    assert grows(size(5.0, 200), size(4.0, 100), size(4.8, 10))


@pytest.mark.parametrize(("gap", "expected"), [(365, True), (366, False)])
def test_earlier_measurement_at_most_365_days_before(gap: int, expected: bool) -> None:
    assert grows(size(3.0, 10 + gap), size(4.0, 10)) is expected


@pytest.mark.parametrize(("days_ago", "expected"), [(180, True), (181, False)])
def test_newest_measurement_within_180_days(days_ago: int, expected: bool) -> None:
    assert grows(size(3.0, days_ago + 30), size(4.0, days_ago)) is expected


def test_two_measurements_on_one_day_are_not_growth() -> None:
    assert not grows(size(3.0, 10), size(4.0, 10))


def test_a_lump_at_another_region_is_another_lump() -> None:
    assert not grows(size(3.0, 100, "venstre rygg"), size(4.0, 10, "venstre lår"))


def test_a_lump_on_the_other_side_is_another_lump() -> None:
    assert not grows(size(3.0, 100, "høyre lår"), size(4.0, 10, "venstre lår"))


def test_a_measurement_without_a_place_counts_as_the_same_lump() -> None:
    assert grows(size(3.0, 100, ""), size(4.0, 10, "venstre lår"))
    assert grows(size(3.0, 100, "venstre lår"), size(4.0, 10, ""))


def test_site_negations_exclude_both_measurements() -> None:
    assert not grows(size(3.0, 100), size(4.0, 10, "lymfeknute venstre lår"))
    # The excluded newest result does not hide the lump's own growth measured earlier.
    assert grows(size(3.0, 100), size(4.0, 20), size(9.0, 10, "lymfeknute lyske"))


def test_one_measurement_is_not_growth() -> None:
    assert not grows(size(9.0, 10))


# --- a lump where a tumour was removed ---------------------------------------------------------


def operation(
    text: str = "Eksisjon av lipom",
    *,
    days_ago: int | None = 1000,
    site: str = "venstre lår",
    status: str = "completed",
    resource_type: str = "Procedure",
    codes: frozenset[tuple[str, str]] = frozenset(),
) -> OrderFact:
    return OrderFact(
        ref=f"{resource_type}/op-{text[:4]}",
        resource_type=resource_type,
        when=ago(days_ago),
        status=status,
        is_referral=False,
        codes=codes,
        labels=(text.lower(),),
        site=site,
    )


def lump(days_ago: int = 10, site: str = "venstre lår") -> ConditionFact:
    return replace(condition(LUMP, days_ago=days_ago, text="Kul"), site=site)


def recurs(
    *orders: OrderFact,
    lumps: tuple[ConditionFact, ...] = (),
    labs: tuple[LabResult, ...] = (),
    unavailable: tuple[str, ...] = (),
) -> Assessment:
    record = replace(
        facts(orders=orders, conditions=lumps or ((lump(),) if not labs else ()), labs=labs),
        unavailable=unavailable,
    )
    return assess(record)


def test_lump_where_a_lipoma_was_removed_counts() -> None:
    assessment = recurs(operation())
    assert texts(assessment, "after_surgery") == [
        f"Kul, venstre lår (samme sted: eksisjon av lipom {ago(1000):%d.%m.%Y})",
        "Eksisjon av lipom (tidligere operasjon, venstre lår)",
    ]


@pytest.mark.parametrize(("gap", "expected"), [(90, True), (89, False)])
def test_lump_at_least_90_days_after_the_operation(gap: int, expected: bool) -> None:
    assessment = recurs(operation(days_ago=10 + gap), lumps=(lump(10),))
    assert ("after_surgery" in assessment.hits) is expected


@pytest.mark.parametrize(("days_ago", "expected"), [(180, True), (181, False)])
def test_lump_within_180_days(days_ago: int, expected: bool) -> None:
    assessment = recurs(operation(), lumps=(lump(days_ago),))
    assert ("after_surgery" in assessment.hits) is expected


@pytest.mark.parametrize(
    ("lump_site", "operation_site"),
    [
        ("høyre lår", "venstre lår"),  # the other side
        ("venstre rygg", "venstre lår"),  # another region
        ("venstre lår", ""),  # operation without a place
        ("", "venstre lår"),  # lump without a place
        ("lymfeknute venstre lår", "venstre lår"),  # not a soft-tissue lump
    ],
)
def test_lump_elsewhere_or_without_place_does_not_count(
    lump_site: str, operation_site: str
) -> None:
    assessment = recurs(operation(site=operation_site), lumps=(lump(site=lump_site),))
    assert "after_surgery" not in assessment.hits


def test_same_region_without_sides_counts() -> None:
    assert "after_surgery" in recurs(operation(site="lår"), lumps=(lump(site="lår"),)).hits


@pytest.mark.parametrize(
    "other",
    [
        operation(status="not-done"),
        operation(status="in-progress"),
        operation(resource_type="ServiceRequest"),  # ordered, not done
        operation("Biopsi, eksisjon"),  # a biopsy left the lump
        operation("Eksisjon av føflekk"),  # a skin lesion
        operation("Fysioterapi"),  # not an operation on a lump
        operation(days_ago=None),  # undated
    ],
)
def test_operations_that_do_not_count(other: OrderFact) -> None:
    assert "after_surgery" not in recurs(other).hits


def test_operation_matched_by_code() -> None:
    assert "after_surgery" in recurs(operation("Operasjon", codes=frozenset({EXCISION}))).hits


def test_measured_lump_counts() -> None:
    assessment = recurs(operation(), labs=(size(3.2, 10),))
    assert texts(assessment, "after_surgery")[0].startswith("Tumorstørrelse 3,2 cm, venstre lår")


def test_unavailable_procedures_are_noted_only_with_a_lump() -> None:
    with_lump = recurs(unavailable=("procedures",))
    assert "after_surgery" not in with_lump.hits
    assert any("Procedure" in say(note) for note in with_lump.notes)
    without_lump = assess(replace(facts(), unavailable=("procedures",)))
    assert not any("Procedure" in note for note in without_lump.notes)


# --- places with the real body sites -------------------------------------------------------------


@pytest.fixture(scope="module")
def real_codebook() -> CodeBook:
    return load_registry(REPO / "criteria").codebook


UE, OE = "underekstremitet", "overekstremitet"


@pytest.mark.parametrize(
    ("site", "regions", "sides", "groups"),
    [
        ("venstre lår, dyp", {"lar"}, {"venstre"}, {UE}),
        ("structure of left thigh", {"lar"}, {"venstre"}, {UE}),
        ("hø. legg", {"legg"}, {"hoyre"}, {UE}),
        ("fotrygg", {"ankel_fot"}, set(), {UE}),  # the foot, not the back
        ("knehase", {"knehase"}, set(), {UE}),  # not the knee
        ("skulderblad", {"rygg"}, set(), set()),  # not the shoulder; the trunk is in no group
        ("kul på armen", set(), set(), {OE}),  # «arm» names the limb only, no region
        ("venstre underarm", {"underarm"}, {"venstre"}, {OE}),  # «arm» inside a word is no limb
        ("høyre ben", set(), {"hoyre"}, set()),  # «ben» may be bone: no limb
        ("entire right lower extremity", set(), {"hoyre"}, {UE}),
        ("", set(), set(), set()),
    ],
)
def test_real_body_sites(
    real_codebook: CodeBook, site: str, regions: set[str], sides: set[str], groups: set[str]
) -> None:
    assert place_of(site, real_codebook) == Place(
        frozenset(regions), frozenset(sides), frozenset(groups)
    )


def test_same_place_semantics(real_codebook: CodeBook) -> None:
    def place(site: str) -> Place:
        return place_of(site, real_codebook)

    assert same_place(place("venstre lår"), place("lår, lateralt")) is True
    assert same_place(place("venstre lår"), place("høyre lår")) is False
    assert same_place(place("venstre lår"), place("venstre legg")) is False
    assert same_place(place("venstre lår"), place("venstre")) is None
    assert same_place(place("venstre lår"), place("")) is None
    # A limb named alone: elsewhere than a region outside the limb, unknown inside it.
    assert same_place(place("venstre arm"), place("venstre lår")) is False
    assert same_place(place("arm"), place("rygg")) is False
    assert same_place(place("rygg"), place("kul på armen")) is False
    assert same_place(place("venstre arm"), place("venstre underarm")) is None
    assert same_place(place("underekstremitet"), place("lyske")) is None
    assert same_place(place("høyre arm"), place("venstre underarm")) is False  # the other side
    assert same_place(place("arm"), place("underekstremitet")) is False
    assert same_place(place("arm"), place("venstre")) is None
    assert place_label(place("venstre lår"), real_codebook) == "venstre lår"
