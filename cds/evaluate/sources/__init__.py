"""The source-kind table: every kind of record source a feature may name, in one place.

Each kind is one module of this package with its pydantic model, its load-time check and its
evaluation (``cds.evaluate.sources.base.SourceKind``). :data:`SOURCE_KINDS` lists them; from it
this module builds the discriminated union of the criteria schema's ``Feature.sources`` and
installs it (``cds.criteria.schema.install_source_kinds``), and the engine, the change
classification and the loader reach a source's evaluation and check through
:func:`kind_of` — no code outside a kind's module names the kind.

Why the union is assembled here and not in the schema: ``cds.criteria.schema`` is the leaf every
layer may import (import-linter contracts), so it may not import the kinds, whose evaluation
reads facts. The schema declares ``Feature.sources`` over a forward reference that this table
fills when ``cds.evaluate`` is first imported (``cds/evaluate/__init__.py`` imports this
package); the loader (start-up code, above evaluate) imports it too. Validating a ``Pathway``
before that raises pydantic's «not fully defined» error rather than guessing.

Adding a kind: a module here ending with ``KIND = SourceKind(...)``, its row below, its row in
criteria/README.md «Feature sources» and tests/evaluate/sources/test_<kind>.py
(tests/evaluate/sources/test_registry.py checks all three).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Union

from pydantic import Field

from cds.criteria.schema import CodeBook, SourceModel, install_source_kinds
from cds.evaluate.sources import (
    condition,
    condition_count,
    corrected_calcium,
    lab,
    lab_flag,
    lump_after_surgery,
    medication,
    procedure,
    size_increase,
    text,
    usage_increase,
    weight_loss,
)
from cds.evaluate.sources.base import SourceKind, SourceResult
from cds.facts.model import PatientFacts

# In the order criteria/README.md describes them.
SOURCE_KINDS: tuple[SourceKind[Any], ...] = (
    lab.KIND,
    corrected_calcium.KIND,
    condition.KIND,
    condition_count.KIND,
    text.KIND,
    lab_flag.KIND,
    weight_loss.KIND,
    usage_increase.KIND,
    size_increase.KIND,
    lump_after_surgery.KIND,
    medication.KIND,
    procedure.KIND,
)

_BY_MODEL: dict[type[SourceModel], SourceKind[Any]] = {k.model: k for k in SOURCE_KINDS}

# The schema's ``Feature.sources`` item type: one model per ``kind`` literal.
FeatureSource: Any = Annotated[
    Union[tuple(k.model for k in SOURCE_KINDS)],  # noqa: UP007 - built from the table
    Field(discriminator="kind"),
]
install_source_kinds(FeatureSource)


def kind_of(source: SourceModel) -> SourceKind[Any]:
    """The table row of a source (KeyError for a model not in the table)."""
    return _BY_MODEL[type(source)]


def evaluate_source(
    source: SourceModel, codebook: CodeBook, facts: PatientFacts, today: date
) -> SourceResult:
    """What ``source`` finds for the patient on ``today``."""
    return kind_of(source).evaluate(source, codebook, facts, today)


def check_source(source: SourceModel, codebook: CodeBook, at: str) -> list[str]:
    """Load-time problems of ``source`` (each prefixed with ``at``, its field path)."""
    return kind_of(source).check(source, codebook, at)


def all_kinds() -> tuple[str, ...]:
    """Every ``kind`` value the schema accepts, in table order."""
    return tuple(kind for row in SOURCE_KINDS for kind in row.kinds)
