"""``lump_after_surgery``: a recent lump at the place of an earlier operation."""

from __future__ import annotations

from dataclasses import replace

from factories import condition, procedure
from factories import facts as patient

from cds.criteria.registry import Registry
from cds.facts.model import ConditionFact, OrderFact
from cds.wording import say
from sources.kinds import problems, run, source

RELAPSE = {
    "kind": "lump_after_surgery",
    "procedure": {"patterns": ["eksisjon|fjerning"]},
    "lump_codeset": "sarkom_kul",
    "window_days": 180,
    "min_days_after": 90,
}


def _lump(registry: Registry, site: str, days_ago: int = 10) -> ConditionFact:
    ref = registry.codebook.codesets["sarkom_kul"].codes[0]
    return replace(condition((ref.system, ref.code), days_ago=days_ago, text="Kul"), site=site)


def _operation(site: str, days_ago: int = 400) -> OrderFact:
    return replace(procedure("Eksisjon av tumor", days_ago=days_ago), site=site)


def test_lump_where_a_tumour_was_removed_fires(registry: Registry) -> None:
    facts = patient(
        conditions=[_lump(registry, "venstre lår")], orders=[_operation("venstre lår")]
    )
    found = run(registry, source(**RELAPSE), facts)
    assert found.present and "samme sted: eksisjon av tumor" in found.evidence[0].text


def test_other_side_too_soon_or_no_place_is_silent(registry: Registry) -> None:
    for lump, operation in (
        (_lump(registry, "høyre lår"), _operation("venstre lår")),
        (_lump(registry, "venstre lår"), _operation("venstre lår", days_ago=60)),
        (_lump(registry, ""), _operation("venstre lår")),
    ):
        facts = patient(conditions=[lump], orders=[operation])
        assert not run(registry, source(**RELAPSE), facts).present


def test_unavailable_procedures_are_noted(registry: Registry) -> None:
    facts = patient(conditions=[_lump(registry, "venstre lår")], unavailable=["procedures"])
    found = run(registry, source(**RELAPSE), facts)
    assert not found.present and "Procedure" in say(found.notes[0])


def test_check_refuses_same_place_as(registry: Registry) -> None:
    bad = source(**{**RELAPSE, "procedure": {"patterns": ["x"], "same_place_as": ["f"]}})
    assert "s.procedure.same_place_as: only draft_order terms take it" in problems(registry, bad)
