"""Norwegian formatting and Markdown escaping used by every card and referral."""

from __future__ import annotations

from datetime import date

import pytest
from markdown_it import MarkdownIt

from cds.criteria.schema import CodeRef, Pathway
from cds.facts.model import LabResult, Quantity
from cds.render.format import (
    coding_of,
    disease_for,
    disease_of,
    fmt_date,
    fmt_lab,
    fmt_number,
    fmt_quantity,
    fmt_range,
    join_no,
    lower_first,
    md,
    stable_id,
)


def test_dates_are_day_month_year_with_dots() -> None:
    assert fmt_date(date(2026, 11, 21)) == "21.11.2026"
    assert fmt_date(date(2026, 1, 5)) == "05.01.2026"
    assert fmt_date(None) == "udatert"  # one word for it, as in the evidence and the notes


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (10.9, "10,9"),
        (10.90, "10,9"),
        (4.0, "4"),
        (2.456, "2,456"),
        (2.4564, "2,456"),
        (0.0, "0"),
        (-0.0001, "0"),
    ],
)
def test_numbers_use_decimal_comma_without_trailing_zeros(value: float, text: str) -> None:
    assert fmt_number(value) == text


def test_quantities_and_lab_lines() -> None:
    assert fmt_quantity(Quantity(10.9, "g/dL")) == "10,9 g/dL"
    assert fmt_quantity(Quantity(4, "{score}")) == "4"
    assert fmt_quantity(Quantity(3, "1")) == "3"  # UCUM unity, e.g. a frailty score
    assert fmt_quantity(Quantity(38, "mL/min/{1.73_m2}")) == "38 mL/min/1,73 m²"
    assert fmt_quantity(Quantity(5.1, "10*9/L")) == "5,1 ×10⁹/L"
    assert fmt_quantity(Quantity(78, "umol/L")) == "78 µmol/L"
    hb = LabResult(
        ref="Observation/hb",
        analyte="hb",
        when=date(2026, 11, 1),
        value=Quantity(10.9, "g/dL"),
        ref_low=Quantity(11.7, "g/dL"),
        ref_high=Quantity(15.3, "g/dL"),
        display="B-Hemoglobin",
    )
    assert fmt_lab(hb) == "B-Hemoglobin 10,9 g/dL (ref. 11,7–15,3)"
    male = LabResult(
        ref="Observation/hb-m",
        analyte="hb",
        when=date(2026, 11, 1),
        value=Quantity(12.0, "g/dL"),
        ref_low=Quantity(13.4, "g/dL"),
        ref_high=Quantity(17.0, "g/dL"),
    )
    # The bounds have the unit's decimals, like the value: «17,0», never «17» beside «12,0».
    assert fmt_lab(male, "Hb") == "Hb 12,0 g/dL (ref. 13,4–17,0)"
    text = LabResult(ref="Observation/e", analyte="elfo", when=None, text="Se  kommentar\n M")
    assert fmt_lab(text, "Elfo") == "Elfo: Se kommentar M"


@pytest.mark.parametrize(
    ("low", "high", "text"),
    [
        (Quantity(60, "mL/min/{1.73_m2}"), None, "ref. ≥ 60"),
        (None, Quantity(4, "mg/L"), "ref. ≤ 4"),
        (Quantity(2.15, "mmol/L"), Quantity(2.51, "mmol/L"), "ref. 2,15–2,51"),
        (None, None, ""),
    ],
)
def test_one_sided_ranges_are_inclusive_as_in_fhir(
    low: Quantity | None, high: Quantity | None, text: str
) -> None:
    # FHIR's referenceRange bounds are inclusive and evaluate reads them so (eGFR 60 is within
    # «ref. ≥ 60»); «> 60» would tell the GP the opposite.
    assert fmt_range(low, high) == text


def test_lower_first_keeps_acronyms() -> None:
    assert lower_first("Anemi") == "anemi"
    assert lower_first("M-komponent") == "M-komponent"
    assert lower_first("IgG") == "IgG"
    assert lower_first("LD") == "LD"


def test_disease_and_norwegian_lists() -> None:
    assert disease_of("Pakkeforløp for myelomatose") == "myelomatose"
    assert disease_of("Diagnostisk pakkeforløp") == "Diagnostisk pakkeforløp"
    assert join_no(["a"]) == "a"
    assert join_no(["a", "b", "c"]) == "a, b og c"


def test_the_disease_of_a_pathway_that_is_not_organ_specific(pathway: Pathway) -> None:
    assert disease_for(pathway) == disease_of(pathway.title)
    diagnostic = pathway.model_copy(
        update={"title": "Diagnostisk pakkeforløp", "organ_specific": False}
    )
    assert disease_for(diagnostic) == "alvorlig sykdom som kan være kreft"
    long = diagnostic.model_copy(
        update={"title": "Diagnostisk pakkeforløp for pasienter med uspesifikke symptomer"}
    )
    assert disease_for(long) == "alvorlig sykdom som kan være kreft"
    # A pathway named «Pakkeforløp for …» keeps its own disease even if not organ-specific.
    unknown_primary = diagnostic.model_copy(
        update={"title": "Pakkeforløp for metastaser med ukjent primærtumor"}
    )
    assert disease_for(unknown_primary) == "metastaser med ukjent primærtumor"


def test_markdown_escaping_keeps_record_text_literal_and_free_of_html() -> None:
    hostile = "<script>alert(1)</script> *fet* [lenke](http://x) a|b &lt;img&gt;"
    html = MarkdownIt("commonmark", {"html": True}).render(md(hostile))
    assert "<script>" not in html and "<img" not in html
    assert "<em>" not in html and "<a " not in html
    assert "&lt;script&gt;" in html


def test_coding_of_maps_families_to_uris() -> None:
    assert coding_of(CodeRef(system="nlk", code="NOR05172")) == {
        "system": "urn:oid:2.16.578.1.12.4.1.1.7280",
        "code": "NOR05172",
    }
    loinc = coding_of(CodeRef(system="loinc", code="718-7"))
    snomed = coding_of(CodeRef(system="snomed", code="1"))
    assert loinc is not None and loinc["system"] == "http://loinc.org"
    assert snomed is not None and snomed["system"] == "http://snomed.info/sct"
    assert coding_of(CodeRef(system="local", code="X")) is None


def test_stable_ids_are_uuid5_of_hook_pathway_kind() -> None:
    one = stable_id("hook-1", "myelomatose", "card:begrunnet")
    assert one == stable_id("hook-1", "myelomatose", "card:begrunnet")
    assert one != stable_id("hook-2", "myelomatose", "card:begrunnet")
    assert one != stable_id("hook-1", "myelomatose", "referral")
    assert one[14] == "5"  # version nibble of a uuid5
