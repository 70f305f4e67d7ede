"""The source-kind table (cds/evaluate/sources) is complete: every kind has its module entry,
its criteria/README.md row and its unit-test file, and the schema accepts exactly these kinds."""

from __future__ import annotations

import pkgutil
import re
from pathlib import Path

import pytest
from pydantic import ValidationError

import cds.evaluate.sources as sources
from cds.criteria.schema import Feature, SourceModel
from cds.evaluate.sources import SOURCE_KINDS, all_kinds

REPO = Path(__file__).resolve().parents[3]
HERE = Path(__file__).resolve().parent
README = (REPO / "criteria" / "README.md").read_text("utf-8")
NOT_KINDS = {"base"}


@pytest.mark.parametrize("kind", all_kinds())
def test_every_kind_has_a_readme_row(kind: str) -> None:
    assert re.search(rf"^\| `{kind}` \|", README, re.MULTILINE), f"criteria/README.md: row {kind}"


@pytest.mark.parametrize("kind", all_kinds())
def test_every_kind_has_a_unit_test_file(kind: str) -> None:
    assert (HERE / f"test_{kind}.py").is_file(), f"tests/evaluate/sources/test_{kind}.py"


@pytest.mark.parametrize("row", SOURCE_KINDS, ids=lambda row: row.kinds[0])
def test_every_kind_says_how_far_back_it_reads_lab_results(row: object) -> None:
    # SourceModel.lab_reach returns None when a kind does not override it, which switches the
    # lab horizon off for every pathway (cds.evaluate.horizon): safe, but slow. Say it.
    model = row.model  # type: ignore[attr-defined]
    assert model.lab_reach is not SourceModel.lab_reach, f"{model.__name__}.lab_reach"


def test_every_module_is_in_the_table() -> None:
    modules = {m.name for m in pkgutil.iter_modules(sources.__path__)} - NOT_KINDS
    in_table = {row.model.__module__.rsplit(".", 1)[1] for row in SOURCE_KINDS}
    assert modules == in_table


def test_kinds_are_unique_and_models_are_source_models() -> None:
    kinds = all_kinds()
    assert len(kinds) == len(set(kinds))
    assert all(issubclass(row.model, SourceModel) for row in SOURCE_KINDS)


def test_the_schema_union_is_the_table() -> None:
    cite = {"file": "f", "section": "s", "quote": "q"}
    with pytest.raises(ValidationError) as caught:
        Feature.model_validate({"label": "x", "cite": cite, "sources": [{"kind": "nope"}]})
    message = str(caught.value)
    for kind in all_kinds():
        assert f"'{kind}'" in message
