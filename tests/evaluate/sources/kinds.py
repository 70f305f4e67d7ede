"""Helpers for the per-kind source tests: build a source from criteria keys and evaluate it
against the real code book (tests/evaluate/conftest.py ``registry``) at TODAY."""

from __future__ import annotations

from typing import Any

from factories import TODAY
from pydantic import TypeAdapter

from cds.criteria.registry import Registry
from cds.evaluate.sources import FeatureSource, evaluate_source, kind_of
from cds.evaluate.sources.base import SourceResult
from cds.facts.model import PatientFacts

_ADAPTER: TypeAdapter[Any] = TypeAdapter(FeatureSource)


def source(**keys: Any) -> Any:
    """A source as a criteria file writes it (validated by the schema's union)."""
    return _ADAPTER.validate_python(keys)


def run(registry: Registry, src: Any, patient: PatientFacts) -> SourceResult:
    return evaluate_source(src, registry.codebook, patient, TODAY)


def problems(registry: Registry, src: Any) -> list[str]:
    """The kind's load-time check of ``src`` (field path ``s``)."""
    return kind_of(src).check(src, registry.codebook, "s")


def texts(result: SourceResult) -> list[str]:
    return [e.text for e in result.evidence]
