"""Norwegian text findings with negation, per clause."""

from __future__ import annotations

from cds.facts.text import clauses, positive_statements

M_COMPONENT = [r"m-komponent"]
NEGATIONS = [r"\bingen\b", r"\bikke\b"]


def test_small_m_component_is_positive() -> None:
    text = "Liten M-komponent i gammaområdet, ca 4 g/L"
    assert positive_statements(text, M_COMPONENT, NEGATIONS) == [text]


def test_negated_m_component_is_negative() -> None:
    assert positive_statements("Ingen M-komponent påvist", M_COMPONENT, NEGATIONS) == []
    assert positive_statements("M-komponent ikke påvist.", M_COMPONENT, NEGATIONS) == []


def test_negation_only_counts_in_its_own_clause() -> None:
    text = "Ingen osteolyse, men kompresjonsfraktur L2. Ingen M-komponent. Liten M-komponent IgG."
    assert positive_statements(text, [r"fraktur", r"m-komponent"], NEGATIONS) == [
        "kompresjonsfraktur L2",
        "Liten M-komponent IgG",
    ]


def test_no_pattern_no_statement() -> None:
    assert positive_statements("Normalt proteinmønster.", M_COMPONENT, NEGATIONS) == []


def test_decimal_numbers_do_not_split_sentences() -> None:
    assert clauses("M-komponent 4.5 g/L. Kontroll om 3 mnd") == [
        "M-komponent 4.5 g/L",
        "Kontroll om 3 mnd",
    ]


def test_patterns_are_case_insensitive_and_unicode_aware() -> None:
    negations = [r"\bingen holdepunkt\b"]
    assert positive_statements("Malignitetssuspekt oppfylling", [r"malignitet"], negations)
    assert not positive_statements("Ingen holdepunkt for malignitet", [r"malignitet"], negations)


def test_empty_text() -> None:
    assert clauses("") == []
    assert positive_statements("", M_COMPONENT, NEGATIONS) == []
