"""The sarcoma stop card stops a biopsy or excision of the suspected lump only (issue 7 §5).

Against the real criteria/sarkom.yaml: a draft-order term with ``same_place_as`` holds on a draft
at the lump's region and side, or naming no place, or when no evidence says where the lump is;
not on a draft at another region, on the other side, on another limb, or naming a skin lesion. The
lump is placed by the features that make the rule hold (``supporting_features``), not by every
present feature.
"""

from __future__ import annotations

from dataclasses import replace

import pytest
from factories import TODAY, condition, facts, order

from cds.criteria.expressions import AllTerm, AnyTerm, FeatureTerm, NotTerm
from cds.criteria.registry import Registry
from cds.evaluate.engine import evaluate
from cds.evaluate.model import Assessment
from cds.evaluate.terms import TermContext, supporting_features
from cds.facts.model import ConditionFact, OrderFact, PatientFacts
from cds.facts.sites import place_of

LUMP = ("icpc2", "S04")
SARCOMA = ("icd10", "C49.2")  # soft-tissue sarcoma of the lower limb


def lump(text: str, site: str, *, days_ago: int = 10) -> ConditionFact:
    return replace(condition(LUMP, days_ago=days_ago, text=text), site=site.lower())


def deep_thigh_lump() -> ConditionFact:
    return lump("Kul venstre lår", "Venstre lår, lateralt\nFast kul, dyp og immobil.")


class Stop:
    """The sarkom pathway in the order-select hook, with drafts placed as the facts stage does."""

    def __init__(self, registry: Registry) -> None:
        self.pathway = registry.get("sarkom")
        self.codebook = registry.codebook

    def draft(self, text: str, *, ref: str, site_text: str = "") -> OrderFact:
        made = order(text, is_referral=False, ref=ref)
        where = place_of(f"{text}\n{site_text}".lower(), self.codebook)
        return replace(made, site=site_text, place=where)

    def __call__(self, record: PatientFacts) -> Assessment:
        return evaluate(self.pathway, self.codebook, record, hook="order-select", today=TODAY)


@pytest.fixture
def stop(registry: Registry) -> Stop:
    return Stop(registry)


def assess(stop: Stop, conditions: list[ConditionFact], *drafts: str, age: int = 76) -> Assessment:
    made = [stop.draft(text, ref=f"ServiceRequest/d{i}") for i, text in enumerate(drafts)]
    return stop(replace(facts(conditions=conditions, drafts=made), age_years=age))


@pytest.mark.parametrize(
    ("draft", "stops"),
    [
        ("Eksisjon av kul venstre lår", True),
        ("Biopsi av kul i låret", True),  # same region, no side: may be the lump
        ("Eksisjon av kul", True),  # no place at all
        ("Eksisjon av kul venstre underekstremitet", True),  # the limb of the lump
        ("Eksisjon av kul høyre lår", False),  # the other side
        ("Eksisjon av kul på ryggen", False),  # another region
        ("Eksisjon av kul venstre legg", False),  # another region of the same limb
        ("Fjerning av kul på armen", False),  # another limb
        ("Eksisjon av nevus venstre lår", False),  # a skin lesion, even at the lump's place
        ("Eksisjon av føflekk", False),
        ("Eksisjon av seborrhoisk keratose", False),
        ("Fjerning av fibroma pendulans", False),
        ("Fjerning av skin tag", False),
        ("Eksisjon av epidermoid cyste venstre lår", False),
        ("Eksisjon av vorte", False),
        ("Eksisjon av basalcellekarsinom?", False),
        ("Eksisjon av kul venstre lår, ikke aterom", True),  # the skin lesion is denied
        ("Eksisjon av cystisk tumor venstre lår", True),  # «cystisk» is not a cyst named as such
    ],
)
def test_stop_only_for_the_lump(stop: Stop, draft: str, stops: bool) -> None:
    result = assess(stop, [deep_thigh_lump()], draft)
    assert (result.outcome == "stop_order") is stops, result.rule
    if not stops:
        assert result.outcome == "mistanke"  # the MR is still asked for


def test_only_the_drafts_at_the_lump_are_blocked(stop: Stop) -> None:
    result = assess(
        stop, [deep_thigh_lump()], "Eksisjon av kul på ryggen", "Biopsi av kul venstre lår"
    )
    assert result.outcome == "stop_order"
    assert result.blocked_orders == ("ServiceRequest/d1",)


def test_a_skin_lesion_named_in_the_body_site_text(stop: Stop) -> None:
    draft = stop.draft("Eksisjon", ref="ServiceRequest/d0", site_text="nevus, venstre lår")
    result = stop(facts(conditions=[deep_thigh_lump()], drafts=[draft]))
    assert result.outcome != "stop_order"


def test_lump_without_a_place_stops_any_excision(stop: Stop) -> None:
    unplaced = lump("Kul", "dyp, immobil")
    assert assess(stop, [unplaced], "Eksisjon av kul høyre skulder").outcome == "stop_order"


def test_evidence_without_a_place_does_not_widen_the_lump(stop: Stop) -> None:
    # Two pieces of evidence for the deep lump: one placed, one not. The unplaced one is taken to be
    # about the placed lump, so an excision elsewhere is still elsewhere.
    conditions = [deep_thigh_lump(), lump("Kul", "dyp, immobil", days_ago=20)]
    assert assess(stop, conditions, "Eksisjon av kul høyre skulder").outcome == "mistanke"


def test_another_coded_lump_is_not_the_suspected_one(stop: Stop) -> None:
    # An adult: a coded lump on the shoulder is no suspicion (kul_trunkus_ekstremitet only counts
    # for children and earlier sarcoma patients), so it does not place the suspected lump.
    other = lump("Kul høyre skulder", "Høyre skulder\nBløt, forskyvelig. Trolig lipom.")
    result = assess(stop, [deep_thigh_lump(), other], "Eksisjon av kul høyre skulder")
    assert result.outcome == "mistanke"
    assert "kul_trunkus_ekstremitet" in result.hits


def test_a_childs_lump_is_placed_by_the_childrens_feature(stop: Stop) -> None:
    arm = lump("Kul høyre underarm", "Høyre underarm, volart")
    assert assess(stop, [arm], "Fjerning av kul høyre underarm", age=12).outcome == "stop_order"
    assert assess(stop, [arm], "Fjerning av kul venstre underarm", age=12).outcome != "stop_order"


def test_earlier_sarcoma_site_counts_as_the_lumps_place(stop: Stop) -> None:
    earlier = condition(
        SARCOMA, days_ago=2000, active=False, text="Liposarkom venstre lår, operert"
    )
    new_lump = lump("Ny kul høyre overarm", "Høyre overarm")
    conditions = [earlier, new_lump]
    assert assess(stop, conditions, "Eksisjon av kul høyre overarm").outcome == "stop_order"
    assert assess(stop, conditions, "Eksisjon av kul venstre lår").outcome == "stop_order"
    assert assess(stop, conditions, "Eksisjon av kul på ryggen").outcome != "stop_order"


def test_supporting_features_follow_the_branches_that_hold() -> None:
    term = AllTerm.model_validate(
        {
            "all": [
                {
                    "any": [
                        {"feature": "a"},
                        {"all": [{"feature": "b"}, {"feature": "c"}]},
                        {"all": [{"feature": "d"}, {"feature": "e"}]},
                    ]
                },
                {"not": {"feature": "f"}},
                {"draft_order": {"patterns": ["x"], "same_place_as": ["a"]}},
            ]
        }
    )
    ctx = TermContext(present=frozenset({"a", "c", "d", "e"}), flags={})
    # b is absent, so c does not support; d+e does; a draft-order term is taken as holding.
    assert supporting_features(term, ctx) == frozenset({"a", "d", "e"})
    assert isinstance(term.all[0], AnyTerm) and isinstance(term.all[1], NotTerm)
    assert supporting_features(FeatureTerm(feature="b"), ctx) == frozenset()
    failing = TermContext(present=frozenset({"a", "f"}), flags={})
    assert supporting_features(term, failing) == frozenset()
