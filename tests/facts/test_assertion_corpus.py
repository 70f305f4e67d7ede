"""The assertion corpus: every phrase of tests/facts/assertion_corpus.yaml, every finding in it.

One parametrised test per phrase, with the real criteria/assertion.yaml, so that a change to the
trigger lists shows at once which sentences it reads differently.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from cds.criteria.loader import load_lexicon
from cds.facts.text import findings

HERE = Path(__file__).resolve().parent
LEXICON = load_lexicon(HERE.parents[1] / "criteria")
CORPUS: dict[str, Any] = yaml.safe_load((HERE / "assertion_corpus.yaml").read_text("utf-8"))
CASES: list[dict[str, Any]] = CORPUS["cases"]


def test_the_corpus_is_large_enough_and_names_known_groups() -> None:
    assert len(CASES) >= 150
    assert {case["group"] for case in CASES} <= set(CORPUS["groups"])
    assert len({case["text"] for case in CASES}) == len(CASES), "a phrase is listed twice"


@pytest.mark.parametrize("case", CASES, ids=[c["text"][:60] for c in CASES])
def test_phrase(case: dict[str, Any]) -> None:
    found = findings(case["text"], CORPUS["groups"][case["group"]], LEXICON)
    got = [[f.matched.lower(), f.assertion] for f in found]
    assert got == case["expect"], [(f.matched, f.assertion, f.trigger) for f in found]
