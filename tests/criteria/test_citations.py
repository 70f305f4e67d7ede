"""Every quotation in criteria/ is word for word from its source, and nothing is left unused.

The source texts are found through the ``CDS_SOURCES_DIR`` setting (default ``../shared/seeds``).
A user's clone may not have them: the tests that read them then skip, all with the same reason;
under CI (``CI=true``) their absence is a failure, because CI must check every quote.

Whitespace is normalised (the seeds are PDF extractions with hard line breaks) and «•» bullets are
dropped, so a quote may span a line break or a bullet item but must otherwise match exactly.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pytest
from pydantic import BaseModel

from cds.criteria.base import Citation
from cds.criteria.expressions import AllTerm, AnyTerm, AtLeastTerm, FeatureTerm, NotTerm, Term
from cds.criteria.loader import load_registry
from cds.criteria.schema import Pathway
from cds.settings import Settings

REPO = Path(__file__).resolve().parents[2]
SEEDS = Settings().sources_dir
MISSING_SOURCES = (
    f"source texts not found at {SEEDS} (set CDS_SOURCES_DIR to the folder of the pathway texts; "
    "README «Where the rules live»)"
)
REGISTRY = load_registry(REPO / "criteria")
PATHWAYS = REGISTRY.pathways
FOLLOWUPS = REGISTRY.followups


def normalise(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("•", " ")).strip()


def _require_sources() -> None:
    """Skip (fail under CI) when the source texts are not there."""
    if SEEDS.is_dir():
        return
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(MISSING_SOURCES)
    pytest.skip(MISSING_SOURCES)


@cache
def _read_seed(name: str) -> str:
    return normalise((SEEDS / name).read_text(encoding="utf-8"))


def seed(name: str) -> str:
    _require_sources()
    return _read_seed(name)


def citations(node: object, path: str = "") -> Iterator[tuple[str, Citation]]:
    """Every Citation in a criteria model, with where it sits."""
    if isinstance(node, Citation):
        yield path, node
    elif isinstance(node, BaseModel):
        for name in type(node).model_fields:
            yield from citations(getattr(node, name), f"{path}.{name}" if path else name)
    elif isinstance(node, dict):
        for key, value in node.items():
            yield from citations(value, f"{path}.{key}")
    elif isinstance(node, tuple | list):
        for i, value in enumerate(node):
            yield from citations(value, f"{path}[{i}]")


ALL_CITATIONS = [
    pytest.param(pathway, cite, id=f"{pathway.id}:{where}")
    for pathway in PATHWAYS
    for where, cite in citations(pathway)
] + [
    # Follow-up programmes (criteria/oppfolging/) are checked the same way.
    pytest.param(programme, cite, id=f"{programme.id}:{where}")
    for programme in FOLLOWUPS
    for where, cite in citations(programme)
]


def test_there_are_citations() -> None:
    assert len(ALL_CITATIONS) > 20
    assert FOLLOWUPS, "the sarcoma follow-up programme is loaded"
    assert any(p.id is not None and p.id.startswith("sarkom-oppfolging:") for p in ALL_CITATIONS)


@pytest.mark.parametrize(("pathway", "cite"), ALL_CITATIONS)
def test_quote_is_word_for_word_under_its_heading(pathway: BaseModel, cite: Citation) -> None:
    text = seed(cite.file)
    quote, section = normalise(cite.quote), normalise(cite.section)
    assert quote in text, f"not word for word in {cite.file}: {cite.quote!r}"
    assert section in text, f"section heading not in {cite.file}: {cite.section!r}"
    # Some occurrence of the heading must come before the (last) occurrence of the quote.
    assert text.index(section) < text.rindex(quote), f"{cite.quote!r} is not under {section!r}"


@pytest.mark.parametrize("pathway", PATHWAYS, ids=lambda p: p.id)
def test_patient_information_and_label_are_word_for_word(pathway: Pathway) -> None:
    text = seed(pathway.referral.label_cite.file)
    for item in pathway.referral.patient_information:
        assert normalise(item) in text, item
    assert normalise(pathway.referral.label) in text
    assert normalise(pathway.title) in text


@pytest.mark.parametrize("pathway", PATHWAYS, ids=lambda p: p.id)
def test_registration_codes_are_word_for_word(pathway: Pathway) -> None:
    text = seed(pathway.referral.label_cite.file)
    for reg in pathway.registration_codes:
        assert normalise(f"{reg.code} {reg.display}") in text, reg.code


def feature_names(term: Term) -> set[str]:
    if isinstance(term, FeatureTerm):
        return {term.feature}
    if isinstance(term, AllTerm):
        return set().union(*(feature_names(t) for t in term.all))
    if isinstance(term, AnyTerm):
        return set().union(*(feature_names(t) for t in term.any))
    if isinstance(term, AtLeastTerm):
        return set().union(*(feature_names(t) for t in term.of))
    if isinstance(term, NotTerm):
        return feature_names(term.not_)
    return set()


@pytest.mark.parametrize("pathway", PATHWAYS, ids=lambda p: p.id)
def test_every_feature_is_used_by_a_rule_or_an_explanation(pathway: Pathway) -> None:
    used = set().union(*(feature_names(rule.when) for rule in pathway.rules))
    explaining = {
        name
        for feature in pathway.features.values()
        for explanation in feature.explained_by
        for name in feature_names(explanation.when)
    }
    assert set(pathway.features) - used - explaining == set()


@pytest.mark.parametrize("pathway", PATHWAYS, ids=lambda p: p.id)
def test_every_rule_cites_its_source(pathway: Pathway) -> None:
    assert [rule.id for rule in pathway.rules if not rule.cite] == []


@pytest.mark.parametrize("pathway", PATHWAYS, ids=lambda p: p.id)
def test_every_threshold_names_its_source(pathway: Pathway) -> None:
    for feature in pathway.features.values():
        for source in feature.sources:
            threshold = getattr(source, "threshold", None)
            if threshold is not None:
                assert threshold.source.strip()
