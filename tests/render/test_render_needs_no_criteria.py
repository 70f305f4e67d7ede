"""Render words the evaluate stage's decisions; it never decides nor looks criteria up.

The render modules may import only the decision and model types of evaluate and the criteria
*schema* (types carried on a decision), never the loader, the registry, the engine, the combining
policy or the filter-test rules; and ``render_cards`` takes the plan and facts, no codebook.
"""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import cds.render
from cds.render.cards import render_cards

RENDER = Path(cds.render.__file__).resolve().parent
ALLOWED = {
    "cds.cdshooks",
    "cds.criteria.schema",
    # The quoted source sentence (Citation), the base type of the schema's citations.
    "cds.criteria.base",
    # A code reference (system, code, display) is data render writes into a coding, not a look-up.
    "cds.criteria.codebook",
    # The table of code-system URIs (a leaf): render writes the pathway code system's URI.
    "cds.criteria.codesystems",
    # The clock's event, outcome and treatment names (Literal types) and the forløpstid model.
    "cds.criteria.clock",
    # The pathway clock's results (timelines), which the safety-net and registration cards word.
    "cds.evaluate.clock_model",
    # The safety-net decisions (plain dataclasses), which the safety-net card words.
    "cds.evaluate.safety_net_model",
    # The follow-up programme's schema (labels, quotes, order texts the cards and CarePlan word)
    # and the plan decided by evaluate (plain dataclasses): cds.render.followup_cards, careplan.
    "cds.criteria.followup",
    "cds.evaluate.followup_model",
    # The hook names (a Literal type) and the hook table: words differ per hook.
    "cds.hooks",
    "cds.evaluate.decision",
    # The registration proposals (dataclasses decided by evaluate) that the registration cards word.
    "cds.evaluate.registration",
    "cds.evaluate.model",
    "cds.facts.model",
    "cds.profile",
}


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
    return {n for n in names if n.startswith("cds.")}


def test_render_imports_no_deciding_code() -> None:
    outside = {
        (path.name, name)
        for path in RENDER.glob("*.py")
        for name in _imports(path)
        if not name.startswith(("cds.render", "cds.wording")) and name not in ALLOWED
    }
    assert outside == set()


def test_render_cards_takes_no_criteria() -> None:
    params = set(inspect.signature(render_cards).parameters)
    assert not params & {"codebook", "registry", "pathways", "criteria"}
