"""Evidence quotes are shortened between words, never inside one (cds.wording.formats)."""

from __future__ import annotations

import re

import pytest

from cds.wording.formats import cut_words, snippet

TEXT = (
    "Konklusjon: Det ble funnet en liten M-komponent i gammaområdet, ca 4 g/L, type IgG kappa. "
    "Anbefaler kontroll om tre måneder hos fastlege med ny elektroforese og lette kjeder."
)
WORDS = set(re.findall(r"[\w/-]+", TEXT))


def _pieces(shortened: str) -> list[str]:
    return re.findall(r"[\w/-]+", shortened)


@pytest.mark.parametrize("limit", [20, 40, 60, 90, 120])
@pytest.mark.parametrize("start", [0, 30, 60, 100, 150])
def test_snippet_keeps_whole_words_within_the_limit(start: int, limit: int) -> None:
    shortened = snippet(TEXT, start, limit)
    assert len(shortened) <= limit
    # Every word shown is a whole word of the text: no «Fece…», no «…mponent».
    assert all(piece in WORDS for piece in _pieces(shortened)), shortened
    assert shortened.endswith("…") or shortened.endswith("kjeder.")


def test_snippet_keeps_the_match_in_view() -> None:
    at = TEXT.index("M-komponent")
    assert "M-komponent" in snippet(TEXT, at, 40)


def test_short_text_is_unchanged_apart_from_whitespace() -> None:
    assert snippet("  M-komponent \n påvist ") == "M-komponent påvist"


@pytest.mark.parametrize(
    ("text", "limit", "expected"),
    [
        ("abc defgh ijk", 13, "abc defgh ijk"),  # fits: unchanged
        ("abc defgh ijk", 12, "abc defgh…"),  # would cut «ijk»: ends after «defgh»
        ("abc defgh ijk", 8, "abc…"),
        ("blod, og mer", 7, "blod…"),  # no dangling comma before the mark
        ("blod … Fece for blod", 9, "blod…"),  # no doubled «……»
        ("abcdefghijkl", 5, "abcd…"),  # one long word: the only cut inside a word
    ],
)
def test_cut_words(text: str, limit: int, expected: str) -> None:
    assert cut_words(text, limit) == expected
