"""Evaluate-stage fixtures: the real myelomatose criteria and ``run`` (facts -> Assessment)."""

from __future__ import annotations

from pathlib import Path

import pytest
from factories import TODAY, Run

from cds.criteria.loader import load_registry
from cds.criteria.registry import Registry
from cds.evaluate.engine import evaluate
from cds.evaluate.model import Assessment
from cds.facts.model import PatientFacts
from cds.hooks import HookName

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def registry() -> Registry:
    return load_registry(REPO / "criteria")


@pytest.fixture
def run(registry: Registry) -> Run:
    """``run(facts, hook="patient-view")``: evaluate the myelomatose pathway at TODAY."""
    pathway = registry.get("myelomatose")

    def _run(facts: PatientFacts, hook: HookName = "patient-view") -> Assessment:
        return evaluate(pathway, registry.codebook, facts, hook=hook, today=TODAY)

    return _run
