"""The assertion mechanism's scope rules (cds.facts.text), with the real criteria/assertion.yaml.

The phrase corpus (tests/facts/assertion_corpus.yaml, test_assertion_corpus.py) checks what
realistic Norwegian sentences assert; these tests pin the mechanism itself: scope per finding,
direction, window, terminators, lists, pseudo-triggers, precedence and abbreviations.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from cds.criteria.lexicon import AssertionLexicon
from cds.criteria.loader import load_lexicon
from cds.facts.text import clauses, findings

LEXICON = load_lexicon(Path(__file__).resolve().parents[2] / "criteria")
FINDINGS = [r"osteoly", r"kompresjonsfraktur", r"sammenfall", r"m-komponent"]


def judged(text: str, patterns: list[str] | None = None) -> list[tuple[str, str]]:
    return [(f.matched.lower(), f.assertion) for f in findings(text, patterns or FINDINGS, LEXICON)]


def test_two_findings_in_one_sentence_are_judged_one_by_one() -> None:
    assert judged("Kompresjonsfraktur Th12, ingen osteolyse") == [
        ("kompresjonsfraktur", "affirmed"),
        ("osteoly", "negated"),
    ]


def test_a_forward_trigger_does_not_reach_back() -> None:
    assert judged("Kompresjonsfraktur uten osteolyse") == [
        ("kompresjonsfraktur", "affirmed"),
        ("osteoly", "negated"),
    ]


def test_a_backward_trigger_stops_at_a_comma() -> None:
    assert judged("Kompresjonsfraktur L1, osteolyse ikke påvist") == [
        ("kompresjonsfraktur", "affirmed"),
        ("osteoly", "negated"),
    ]


def test_a_denied_list_runs_on_through_commas_to_eller() -> None:
    assert judged("Ingen osteolyse, kompresjonsfraktur eller sammenfall") == [
        ("osteoly", "negated"),
        ("kompresjonsfraktur", "negated"),
        ("sammenfall", "negated"),
    ]


def test_a_comma_without_a_list_ends_the_denial() -> None:
    assert judged("Ingen osteolyse, kompresjonsfraktur L1") == [
        ("osteoly", "negated"),
        ("kompresjonsfraktur", "affirmed"),
    ]


@pytest.mark.parametrize(
    "text",
    [
        "Ingen osteolyse, men kompresjonsfraktur L2",
        "Ingen osteolyse bortsett fra kompresjonsfraktur L2",
        "Ingen osteolyse og det ses kompresjonsfraktur L2",
        "Ingen osteolyse. Kompresjonsfraktur L2",
        "Ingen osteolyse; kompresjonsfraktur L2",
        "Ingen osteolyse\nKompresjonsfraktur L2",
    ],
)
def test_terminators_end_the_scope(text: str) -> None:
    assert judged(text) == [("osteoly", "negated"), ("kompresjonsfraktur", "affirmed")]


def test_the_window_limits_the_scope() -> None:
    # «ingen» reaches six words; the seventh is out of scope.
    assert judged("Ingen a b c d e f osteolyse") == [("osteoly", "negated")]
    assert judged("Ingen a b c d e f g osteolyse") == [("osteoly", "affirmed")]


def test_longest_trigger_wins_doubt_over_denial() -> None:
    assert judged("Liten M-komponent kan ikke utelukkes") == [("m-komponent", "uncertain")]
    assert judged("M-komponent kan utelukkes") == [("m-komponent", "negated")]


def test_pseudo_triggers_are_no_denial() -> None:
    assert judged("M-komponent 5 g/L, ingen endring") == [("m-komponent", "affirmed")]
    assert judged("M-komponent 5 g/L som tidligere") == [("m-komponent", "affirmed")]
    assert judged("Liten M-komponent, ikke kvantifiserbar") == [("m-komponent", "affirmed")]


def test_precedence_family_over_denial_over_history_over_doubt() -> None:
    assert judged("Mor hadde ikke osteolyse") == [("osteoly", "family")]
    assert judged("Tidligere mistanke om osteolyse") == [("osteoly", "historical")]
    assert judged("Tidligere ingen osteolyse") == [("osteoly", "negated")]


def test_a_trigger_over_the_target_governs_it() -> None:
    assert judged("Ikke monoklonal", [r"monoklonal"]) == [("monoklonal", "negated")]
    assert judged("Ikke påvist", [r"\bpåvist"]) == [("påvist", "negated")]


def test_trigger_words_the_pattern_asks_for_do_not_govern() -> None:
    normal = [r"\b(ingen|uten)\s+(\w+\s+){0,3}(fraktur|destruksjon)", r"\bnormal"]
    assert judged("Ingen fraktur", normal) == [("ingen fraktur", "affirmed")]
    assert judged("Normalt skjelett", normal) == [("normal", "affirmed")]
    assert judged("Ikke normalt", normal) == [("normal", "negated")]
    # A gap in the pattern that swallows «ikke» does not make «ikke» wanted.
    gap = [r"tumor\s+(\w+\s+){0,5}intramuskul"]
    assert judged("Tumor ikke intramuskulær", gap) == [("tumor ikke intramuskul", "negated")]


def test_points_of_abbreviations_and_triggers_do_not_end_sentences() -> None:
    assert judged("Tidl. kompresjonsfraktur L1") == [("kompresjonsfraktur", "historical")]
    assert judged("Evt. liten M-komponent") == [("m-komponent", "uncertain")]
    assert clauses("M-komponent ca. 4.5 g/L. Kontroll om 3 mnd", LEXICON) == [
        "M-komponent ca. 4.5 g/L",
        "Kontroll om 3 mnd",
    ]


def test_question_marks_hedge_and_end_sentences() -> None:
    assert judged("?Osteolyse i L3") == [("osteoly", "uncertain")]
    assert judged("Osteolyse? Kompresjonsfraktur L1") == [
        ("osteoly", "uncertain"),
        ("kompresjonsfraktur", "affirmed"),
    ]


def test_findings_carry_their_clause_for_quoting() -> None:
    (found,) = findings("Ingen osteolyse, men kompresjonsfraktur L2.", [r"kompresjon"], LEXICON)
    assert found.clause == "kompresjonsfraktur L2"
    assert found.offset == 0
    assert found.assertion == "affirmed"


def test_patterns_are_case_insensitive_and_empty_text_has_no_findings() -> None:
    assert judged("LITEN M-KOMPONENT") == [("m-komponent", "affirmed")]
    assert findings("", FINDINGS, LEXICON) == []
    assert clauses("", LEXICON) == []


def test_the_lexicon_is_validated_data() -> None:
    assert isinstance(LEXICON, AssertionLexicon)
    assert LEXICON.negated.triggers and LEXICON.family.triggers
