"""Findings read from Norwegian text (M-component, osteolysis, cord compression), with negation."""

from __future__ import annotations

import pytest
from factories import Run, condition, facts, lab, report

from cds.criteria.registry import Registry
from cds.evaluate.sources.text import TextSource, statement


@pytest.mark.parametrize(
    "text",
    [
        "Liten M-komponent i gammaområdet, ca 4 g/L",
        "Se kommentar. M-komponent IgG kappa 12 g/L.",
        "M-komponent 5 g/L, ingen endring fra forrige.",
        "Monoklonalt bånd i gammaområdet.",
    ],
)
def test_m_component_text_positive(run: Run, text: str) -> None:
    assessment = run(facts(labs=[lab("spep", None, text=text)]))
    assert "m_komponent" in assessment.hits


@pytest.mark.parametrize(
    "text",
    [
        "Ingen M-komponent påvist",
        "Ikke påvist M-komponent",
        "M-komponent: ikke påvist",
        "Negativ for M-komponent.",
        "Normalt elektroforesemønster uten M-komponent.",
        "Se kommentar",
    ],
)
def test_m_component_text_negative(run: Run, text: str) -> None:
    assert "m_komponent" not in run(facts(labs=[lab("spep", None, text=text)])).hits


def test_m_component_evidence_quotes_the_clause(run: Run) -> None:
    result = lab("spep", None, text="Se kommentar. Liten M-komponent i gammaområdet, ca 4 g/L.")
    hit = run(facts(labs=[result])).hits["m_komponent"]
    assert (
        hit.evidence[0].text == "Proteinelektroforese: «Liten M-komponent i gammaområdet, ca 4 g/L»"
    )


def test_urine_immunofixation_text(run: Run) -> None:
    result = lab("urine_m_component", None, text="Bence Jones protein type kappa påvist.")
    assert "m_komponent" in run(facts(labs=[result])).hits


def test_laboratory_report_conclusion_with_matching_title(run: Run) -> None:
    rep = report("laboratory", "Proteinelektroforese", "Liten M-komponent, IgA lambda.")
    assert "m_komponent" in run(facts(reports=[rep])).hits


def test_report_with_unrelated_title_is_not_read(run: Run) -> None:
    rep = report("laboratory", "Urin stiks", "M-komponent kontrolleres hos hematolog.")
    assert "m_komponent" not in run(facts(reports=[rep])).hits


@pytest.mark.parametrize(("days", "fires"), [(365, True), (366, False)])
def test_m_component_text_window(run: Run, days: int, fires: bool) -> None:
    result = lab("spep", None, days_ago=days, text="Liten M-komponent.")
    assert ("m_komponent" in run(facts(labs=[result])).hits) is fires


@pytest.mark.parametrize(("grams", "fires"), [(4.0, True), (0.0, False)])
def test_quantified_m_component(run: Run, grams: float, fires: bool) -> None:
    assessment = run(facts(labs=[lab("spep", grams, "g/L")]))
    assert ("m_komponent" in assessment.hits) is fires


def test_active_mgus_diagnosis_is_an_m_component(run: Run) -> None:
    assert "m_komponent" in run(facts(conditions=[condition(("icd10", "D472"), days_ago=800)])).hits


def test_resolved_mgus_diagnosis_is_not(run: Run) -> None:
    mgus = condition(("icd10", "D472"), days_ago=800, active=False)
    assert "m_komponent" not in run(facts(conditions=[mgus])).hits


@pytest.mark.parametrize(
    ("conclusion", "fires"),
    [
        ("Ingen osteolyse, men kompresjonsfraktur L2.", True),
        ("Kompresjonsfraktur Th12 uten bakre kantaffeksjon.", True),
        ("Multiple osteolytiske lesjoner i bekkenet.", True),
        ("Lett sammenfall av L1.", True),
        ("Ingen osteolytiske forandringer.", False),
        ("Uten tegn til osteolyse eller sammenfall.", False),
        ("Degenerative forandringer. Analytisk vurdering: normal.", False),
    ],
)
def test_radiology_osteolysis_or_fracture(run: Run, conclusion: str, fires: bool) -> None:
    rep = report("radiology", "MR columna", conclusion)
    assert ("osteolyse_kompresjonsfraktur" in run(facts(reports=[rep])).hits) is fires


def test_osteolysis_in_a_laboratory_report_is_not_radiology(run: Run) -> None:
    rep = report("laboratory", "Proteinelektroforese", "Osteolyse?")
    assert "osteolyse_kompresjonsfraktur" not in run(facts(reports=[rep])).hits


@pytest.mark.parametrize(
    ("conclusion", "days", "fires"),
    [
        ("Truende medullakompresjon ved Th8.", 5, True),
        ("Ingen tegn til medullakompresjon.", 5, False),
        ("Truende medullakompresjon ved Th8.", 31, False),
    ],
)
def test_radiology_cord_compression(run: Run, conclusion: str, days: int, fires: bool) -> None:
    rep = report("radiology", "MR hele columna", conclusion, days_ago=days)
    assert ("medullakompresjon" in run(facts(reports=[rep])).hits) is fires


# --- cord compression in the GP's words (clinical_notes), and the text-source policy -----------

BACK = ("icpc2", "L02")


@pytest.mark.parametrize(
    ("title", "note", "days", "fires"),
    [
        ("Ryggsymptomer/plager", "Tiltagende kraftsvikt i bena.", 3, True),  # title = back pain
        ("", "Ryggsmerter, nå nummenhet i setet og urinretensjon.", 3, True),
        ("", "Smerter i ryggen. Ridebukseanestesi.", 30, True),
        ("", "Smerter i ryggen. Ridebukseanestesi.", 31, False),  # outside the 30-day window
        ("Ryggsymptomer/plager", "Nummenhet i fingrene.", 3, False),
        ("Ryggsymptomer/plager", "Kraftsvikt i høyre ben.", 3, False),  # one leg: radiculopathy
        ("", "Kraftsvikt i bena.", 3, False),  # no back pain
        ("Ryggsymptomer/plager", "Ingen kraftsvikt eller nummenhet i bena.", 3, False),
        ("Ryggsymptomer/plager", "Tidligere kraftsvikt i bena, nå bedre.", 3, False),
        ("Slapphet", "Mor hadde medullakompresjon.", 3, False),
        ("Slapphet", "Mistanke om medullakompresjon.", 3, True),  # the GP's suspicion counts
    ],
)
def test_cord_compression_in_gp_notes(
    run: Run, title: str, note: str, days: int, fires: bool
) -> None:
    found = condition(BACK, text=title, note=note, days_ago=days)
    assert ("medullakompresjon" in run(facts(conditions=[found])).hits) is fires


def test_cord_compression_note_quotes_both_findings(run: Run) -> None:
    found = condition(BACK, note="Ryggsmerter i 3 uker. Nå kraftsvikt i bena.", days_ago=2)
    [evidence] = run(facts(conditions=[found])).hits["medullakompresjon"].evidence
    assert evidence.text == "Notat: «Nå kraftsvikt i bena» og «Ryggsmerter i 3 uker»"


def test_a_resolved_condition_note_is_history(run: Run) -> None:
    found = condition(BACK, note="Ryggsmerter og kraftsvikt i bena.", days_ago=2, active=False)
    assert "medullakompresjon" not in run(facts(conditions=[found])).hits


def test_text_policy_hedged_history_and_exclusions(registry: Registry) -> None:
    lexicon = registry.codebook.assertion
    assert lexicon is not None
    base = TextSource(
        kind="text", report_kinds=("radiology",), patterns=("osteoly",), window_days=30
    )
    assert statement("Mulig osteolyse i L3", base, lexicon) is None  # default: hedged ignored
    hedged = base.model_copy(update={"hedged": "count"})
    assert statement("Mulig osteolyse i L3", hedged, lexicon) == ("Mulig osteolyse i L3", None)
    assert statement("Tidligere osteolyse i L3", base, lexicon) is None
    history = base.model_copy(update={"history": "count"})
    earlier = "Tidligere osteolyse i L3"
    assert statement(earlier, history, lexicon) == (earlier, None)
    excluded = base.model_copy(update={"exclusions": ("hemangiom",)})
    assert statement("Osteolyse, trolig hemangiom", excluded, lexicon) is None
    assert statement("Osteolyse, ikke hemangiom", excluded, lexicon) == (
        "Osteolyse, ikke hemangiom",
        None,
    )
    assert statement("Mor hadde osteolyse", history, lexicon) is None  # family never counts
