"""Fixtures for the render-stage tests: the myelomatose pathway and its code book.

Until ``criteria/myelomatose.yaml`` and ``cds.criteria.loader`` exist, the tests use the small
fixture pathway in ``tests/render/fixtures``. Switch with ``RENDER_TESTS_CRITERIA``:
``auto`` (default: the real criteria when both exist, else the fixture), ``real`` or ``fixture``.
Tests derive feature and rule ids from the pathway, so they run against either.
"""

from __future__ import annotations

import importlib
import os
from pathlib import Path

import pytest
import yaml

from cds.criteria.codebook import CodeBook
from cds.criteria.schema import Pathway

REPO = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def _fixture_criteria() -> tuple[Pathway, CodeBook]:
    pathway = Pathway.model_validate(
        yaml.safe_load((FIXTURES / "myelomatose.yaml").read_text(encoding="utf-8"))
    )
    codebook = CodeBook.model_validate(
        yaml.safe_load((FIXTURES / "codes.yaml").read_text(encoding="utf-8"))
    )
    return pathway, codebook


def _real_criteria() -> tuple[Pathway, CodeBook]:
    loader = importlib.import_module("cds.criteria.loader")
    registry = loader.load_registry(REPO / "criteria")
    return registry.get("myelomatose"), registry.codebook


def _real_available() -> bool:
    if not (REPO / "criteria" / "myelomatose.yaml").is_file():
        return False
    try:
        importlib.import_module("cds.criteria.loader")
    except ImportError:
        return False
    return True


@pytest.fixture(scope="session")
def criteria() -> tuple[Pathway, CodeBook]:
    mode = os.environ.get("RENDER_TESTS_CRITERIA", "auto")
    if mode == "real" or (mode == "auto" and _real_available()):
        return _real_criteria()
    return _fixture_criteria()


@pytest.fixture(scope="session")
def pathway(criteria: tuple[Pathway, CodeBook]) -> Pathway:
    return criteria[0]


@pytest.fixture(scope="session")
def codebook(criteria: tuple[Pathway, CodeBook]) -> CodeBook:
    return criteria[1]
