"""«Kunne ikke vurderes»: three-valued rules, the open rule and its deciding features.

Kleene logic on hand-made terms, then the real criteria: myelomatose (``run``) and the
diagnostic pathway's weight loss, with results the facts stage could not use.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from factories import TODAY, Run, facts, lab, order
from pydantic import TypeAdapter

from cds.criteria.expressions import Term
from cds.criteria.registry import Registry
from cds.evaluate.engine import evaluate
from cds.evaluate.terms import TermContext
from cds.evaluate.unassessed import could_hold, deciding_features
from cds.wording import Message, msg, say

UNKNOWN = frozenset({"u"})
CTX = TermContext(present=frozenset({"p"}), flags={})
_TERM: TypeAdapter[Any] = TypeAdapter(Term)


def term(data: object) -> Term:
    return _TERM.validate_python(data)  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    ("data", "value"),
    [
        ({"feature": "u"}, None),
        ({"feature": "p"}, True),
        ({"feature": "a"}, False),
        ({"not": {"feature": "u"}}, None),
        ({"all": [{"feature": "p"}, {"feature": "u"}]}, None),
        ({"all": [{"feature": "a"}, {"feature": "u"}]}, False),  # false whatever u is
        ({"any": [{"feature": "p"}, {"feature": "u"}]}, True),  # true whatever u is
        ({"any": [{"feature": "a"}, {"feature": "u"}]}, None),
        ({"at_least": 2, "of": [{"feature": "p"}, {"feature": "u"}, {"feature": "a"}]}, None),
        ({"at_least": 1, "of": [{"feature": "p"}, {"feature": "u"}]}, True),
        ({"at_least": 3, "of": [{"feature": "p"}, {"feature": "u"}, {"feature": "a"}]}, False),
    ],
)
def test_kleene_logic(data: object, value: bool | None) -> None:
    assert could_hold(term(data), CTX, UNKNOWN) is value


def test_deciding_features_are_the_open_ones_only() -> None:
    rule = term(
        {
            "all": [
                {"feature": "p"},
                {"any": [{"feature": "u"}, {"feature": "a"}]},
                {"not": {"feature": "v"}},
            ]
        }
    )
    assert deciding_features(rule, CTX, frozenset({"u", "v"})) == ("u", "v")
    decided = term({"any": [{"feature": "p"}, {"feature": "u"}]})
    assert deciding_features(decided, CTX, UNKNOWN) == ()


# --- the real myelomatose criteria --------------------------------------------------------------

M_COMPONENT = lab("spep", 12.0, "g/L", days_ago=5)
BAD_HB = lab("hemoglobin", None, days_ago=3, unit_problem=msg("value.absurd", value="1e+308"))


def test_an_unusable_hb_leaves_begrunnet_open(run: Run) -> None:
    assessment = run(facts(labs=[M_COMPONENT, BAD_HB]))
    assert assessment.outcome is None
    assert assessment.open_rule == "myelomatose.begrunnet"
    assert assessment.open_outcome == "begrunnet"
    assert assessment.deciding_not_assessed == ("anemi",)
    assert say(assessment.not_assessed["anemi"].reason) == (
        "Hemoglobin 17.11.2026: verdien «1e+308» er urimelig stor"
    )


def test_without_m_component_an_unusable_hb_decides_nothing(run: Run) -> None:
    # mistanke needs two symptoms: one unknown cannot make it hold alone.
    assessment = run(facts(labs=[BAD_HB]))
    assert "anemi" in assessment.not_assessed
    assert assessment.open_rule is None and assessment.deciding_not_assessed == ()


def test_an_unusable_calcium_leaves_the_acute_rule_open_first(run: Run) -> None:
    bad_calcium = lab(
        "calcium_total", None, days_ago=3, unit_problem=msg("value.not_finite", value="1e999")
    )
    anaemia = lab("hemoglobin", 9.5, "g/dL", days_ago=3)
    assessment = run(facts(labs=[M_COMPONENT, anaemia, bad_calcium]))
    assert assessment.outcome == "begrunnet"
    assert assessment.open_outcome == "acute"
    assert "hyperkalsemi_alvorlig" in assessment.deciding_not_assessed


def test_an_acute_card_is_never_left_open_by_another_value(run: Run) -> None:
    kidney_failure = lab("egfr", 20.0, "mL/min/{1.73_m2}", days_ago=3)
    assessment = run(facts(labs=[M_COMPONENT, kidney_failure, BAD_HB]))
    assert assessment.outcome == "acute"
    assert assessment.open_rule is None
    assert "anemi" in assessment.not_assessed  # recorded, not deciding


def test_a_recent_pathway_referral_closes_what_it_would_silence(run: Run) -> None:
    sent = order("Henvisning", "Pakkeforløp for myelomatose", days_ago=10)
    assessment = run(facts(labs=[M_COMPONENT, BAD_HB], orders=[sent]))
    assert assessment.already_referred is not None
    assert assessment.open_rule is None


def test_not_met_in_an_order_hook_names_the_open_feature(run: Run) -> None:
    draft = order("Henvisning hematologisk poliklinikk", "M-komponent", days_ago=0)
    record = facts(labs=[M_COMPONENT, BAD_HB], drafts=[draft])
    assessment = run(record, hook="order-select")
    assert assessment.outcome == "not_met"
    assert assessment.deciding_not_assessed == ("anemi",)


# --- change over time: weight loss (diagnostic pathway) ------------------------------------------


def _weight_loss(registry: Registry, *weights: Any) -> Any:
    pathway = registry.get("diagnostisk")
    record = facts(labs=list(weights))
    return evaluate(pathway, registry.codebook, record, hook="patient-view", today=TODAY)


def test_an_unusable_newest_weight_makes_weight_loss_not_assessed(registry: Registry) -> None:
    assessment = _weight_loss(
        registry,
        lab("body_weight", 80.0, "kg", days_ago=100),
        lab("body_weight", 79.5, "kg", days_ago=40),
        lab("body_weight", None, days_ago=5, unit_problem=msg("value.absurd", value="1e+308")),
    )
    assert "vekttap" not in assessment.hits
    assert say(assessment.not_assessed["vekttap"].reason).startswith("Vekt 15.11.2026: verdien")


def test_weight_loss_shown_by_usable_weights_stays(registry: Registry) -> None:
    assessment = _weight_loss(
        registry,
        lab("body_weight", 80.0, "kg", days_ago=100),
        lab("body_weight", None, days_ago=40, unit_problem=msg("unit.unknown", unit="enh")),
        lab("body_weight", 74.0, "kg", days_ago=5),
    )
    assert "vekttap" in assessment.hits
    assert "vekttap" not in assessment.not_assessed


# --- tumour size (sarkom): the site restriction applies first -----------------------------------


def _sarkom(registry: Registry, *sizes: Any) -> Any:
    record = facts(labs=list(sizes))
    pathway = registry.get("sarkom")
    return evaluate(pathway, registry.codebook, record, hook="patient-view", today=TODAY)


def _size(value: float | None, site: str, problem: Message | None = None) -> Any:
    return replace(lab("tumour_size", value, "cm", days_ago=5, unit_problem=problem), site=site)


def test_an_absurd_deep_tumour_size_is_not_assessed(registry: Registry) -> None:
    absurd = _size(None, "dyp, venstre lår", msg("value.absurd", value="1e+308"))
    assessment = _sarkom(registry, absurd)
    assert "dyp_svulst" not in assessment.hits
    assert "urimelig stor" in say(assessment.not_assessed["dyp_svulst"].reason)


def test_an_absurd_size_elsewhere_does_not_touch_the_deep_lump(registry: Registry) -> None:
    absurd = _size(None, "subkutan, høyre arm", "verdien «1e+308» er urimelig stor")
    deep = _size(3.0, "dyp, venstre lår")
    assessment = _sarkom(registry, absurd, deep)
    assert "dyp_svulst" in assessment.hits
    assert "dyp_svulst" not in assessment.not_assessed
