"""The facts and evaluate stages write no bokmål: what the GP reads is worded by render.

Issue 9 §3: facts and evaluate produce structured evidence and notes (a phrase id and its fields,
``cds.wording``); only render turns them into text, so a sentence cannot drift between the card and
the referral again. This test reads every string literal of ``cds/facts`` and ``cds/evaluate``
(docstrings aside) and fails on one that looks like Norwegian prose. What the record itself is
written in — the words facts must *read* — is input vocabulary, allowed below one by one, each with
its reason.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

_CDS = Path(__file__).resolve().parents[2] / "cds"

# A Norwegian letter or quotation mark, or a common bokmål function word standing alone.
_NORWEGIAN = re.compile(
    r"[æøåÆØÅ«»]|\b(ikke|og|fra|med|uten|av|til|på|som|eller|er|ved|minst|siste|tidligere|dager"
    r"|år|merket|påvist|avsluttet|kontakt|operasjon|notat|rapport)\b",
    re.IGNORECASE,
)

# (module, literal): why the stage must hold this text. Input vocabulary only — never output.
_INPUT_VOCABULARY: dict[tuple[str, str], str] = {
    # Norwegian laboratories write the interpretation in words; facts map them to HL7 flags.
    ("facts/lab_values.py", "høy"): "interpretation word read from Observation.interpretation",
    ("facts/lab_values.py", "høg"): "nynorsk spelling of the same interpretation word",
    ("facts/lab_values.py", "kritisk høy"): "interpretation word read from the record",
    # Ages in the record («Alder 67 år») are read, not written.
    ("facts/lab_values.py", "år"): "unit word read from a value in the record",
    # A radiology report's modality from its title («Røntgen bekken»).
    ("facts/reports.py", r"\b(røntgen|rontgen|rtg|x-ray|xray)"): "modality read from report titles",
    # The marking «Pakkeforløp for …» read back from the EHR's own draft referral text.
    ("evaluate/referral_state.py", r"pakkeforløp\s+for\s+(\w+)"): "marking read from a draft",
    # A registration proposal's pseudo-rule id (like the criteria's rule ids): an identifier for
    # the audit row and the golden folders, never shown to a clinician.
    ("evaluate/registration.py", "ikke-kreft"): "part of a pseudo-rule id",
}


def _docstring_ids(tree: ast.AST) -> set[int]:
    ids: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                ids.add(id(body[0].value))
    return ids


def norwegian_literals(source: str) -> list[tuple[int, str]]:
    """(line, text) of every non-docstring string literal of ``source`` that reads as bokmål."""
    tree = ast.parse(source)
    docstrings = _docstring_ids(tree)
    return [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and id(node) not in docstrings
        and _NORWEGIAN.search(node.value)
    ]


def test_the_scan_finds_prose_in_literals_and_f_strings() -> None:
    # The scan itself must be able to fail: prose in a plain literal and in an f-string is found,
    # docstrings and code identifiers are not.
    source = '"""Modul om hemoglobin."""\nA = "filterprøvene er ikke tatt"\nB = f"{x} (påvist)"\n'
    assert [text for _, text in norwegian_literals(source)] == [
        "filterprøvene er ikke tatt",
        " (påvist)",
    ]
    assert norwegian_literals('X = "ev.lab_present"\nY = {"HH": "critical"}\n') == []


@pytest.mark.parametrize("stage", ["facts", "evaluate"])
def test_no_bokmal_string_literals_in_facts_and_evaluate(stage: str) -> None:
    found = []
    for path in sorted((_CDS / stage).rglob("*.py")):
        module = path.relative_to(_CDS).as_posix()
        for line, text in norwegian_literals(path.read_text(encoding="utf-8")):
            if (module, text) not in _INPUT_VOCABULARY:
                found.append(f"cds/{module}:{line}: {text!r}")
    assert not found, (
        "bokmål written outside render; add a phrase to cds/wording/phrases.py and pass a "
        "Message (or allow input vocabulary with its reason here):\n" + "\n".join(found)
    )


def test_every_allowed_literal_is_still_there() -> None:
    # A stale allowance would let the same text back in unnoticed elsewhere in that module.
    present = set()
    for module, _ in _INPUT_VOCABULARY:
        source = (_CDS / module).read_text(encoding="utf-8")
        present.update((module, text) for _, text in norwegian_literals(source))
    assert set(_INPUT_VOCABULARY) <= present, sorted(set(_INPUT_VOCABULARY) - present)
