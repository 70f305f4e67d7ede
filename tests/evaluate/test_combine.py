"""The several-pathways policy (cds/evaluate/combine.py, docs/architecture.md «Several pathways»).

Pure: assessments are built directly, pathways are the render fixtures (myelomatose and sarkom
organ-specific, diagnostisk not), so nothing here depends on the criteria files.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
import yaml

from cds.criteria.schema import Outcome, Pathway
from cds.evaluate.combine import BegrunnetGroup, Combined, Dropped, combine
from cds.evaluate.model import Assessment
from cds.facts.model import OrderFact

FIXTURES = Path(__file__).resolve().parents[1] / "render" / "fixtures"
Result = tuple[Pathway, Assessment]


def _pathway(name: str) -> Pathway:
    return Pathway.model_validate(
        yaml.safe_load((FIXTURES / f"{name}.yaml").read_text(encoding="utf-8"))
    )


MYELOM = _pathway("myelomatose")
SARKOM = _pathway("sarkom")
DIAG = _pathway("diagnostisk")
OTHER_ORGAN = MYELOM.model_copy(update={"id": "lunge", "title": "Pakkeforløp for lungekreft"})


def referral(label: str) -> OrderFact:
    return OrderFact(
        ref="ServiceRequest/sendt-1",
        resource_type="ServiceRequest",
        when=date(2026, 11, 1),
        status="active",
        is_referral=True,
        codes=frozenset(),
        labels=(label.lower(),),
    )


def r(pathway: Pathway, outcome: Outcome | None, *, referred: bool = False) -> Result:
    order = referral(pathway.referral.label) if referred else None
    return pathway, Assessment(
        pathway=pathway.id, outcome=outcome, rule=None, hits={}, already_referred=order
    )


def outcomes(results: tuple[Result, ...]) -> list[tuple[str, Outcome | None]]:
    return [(p.id, a.outcome) for p, a in results]


def test_nothing_to_say_gives_nothing() -> None:
    assert combine([]) == Combined()
    assert combine([r(MYELOM, None), r(SARKOM, None)]) == Combined()


def test_one_pathway_is_shown_as_it_is() -> None:
    for outcome in ("acute", "begrunnet", "mistanke", "not_met", "advice", "stop_order"):
        result = r(SARKOM, outcome)
        assert combine([result]) == Combined(singles=(result,))


def test_acute_beats_begrunnet_of_another_pathway() -> None:
    acute, begrunnet, advice = r(MYELOM, "acute"), r(SARKOM, "begrunnet"), r(DIAG, "advice")
    combined = combine([begrunnet, acute, advice])
    assert combined.singles == (acute,)
    assert combined.groups == ()
    assert combined.dropped == (
        Dropped("sarkom", "begrunnet", "acute"),
        Dropped("diagnostisk", "advice", "acute"),
    )


def test_stop_order_is_critical_and_shown_beside_acute_only() -> None:
    stop, acute = r(SARKOM, "stop_order"), r(MYELOM, "acute")
    combined = combine([acute, stop, r(DIAG, "begrunnet")])
    assert outcomes(combined.singles) == [("myelomatose", "acute"), ("sarkom", "stop_order")]
    assert [d.outcome for d in combined.dropped] == ["begrunnet"]


def test_a_referral_to_any_pathway_silences_the_others() -> None:
    referred = r(DIAG, None, referred=True)  # evaluate already silenced diagnostisk itself
    combined = combine(
        [
            r(MYELOM, "mistanke"),
            r(SARKOM, "begrunnet"),
            referred,
            r(OTHER_ORGAN, "unsupported_referral"),
        ]
    )
    # unsupported_referral is about the order being signed, not about referring: it stays.
    assert outcomes(combined.singles) == [("lunge", "unsupported_referral")]
    assert combined.referred == (referred,)
    assert {(d.pathway, d.reason) for d in combined.dropped} == {
        ("myelomatose", "already_referred"),
        ("sarkom", "already_referred"),
    }


def test_a_referral_does_not_silence_acute_or_stop_order() -> None:
    acute, stop = r(MYELOM, "acute"), r(SARKOM, "stop_order")
    referred = r(DIAG, None, referred=True)
    combined = combine([acute, stop, referred])
    assert combined.singles == (acute, stop)
    assert combined.referred == (referred,)


def test_advice_is_silenced_by_a_referral_but_kept_next_to_begrunnet() -> None:
    advice = r(DIAG, "advice")
    assert combine([advice, r(SARKOM, None, referred=True)]).singles == ()
    combined = combine([r(SARKOM, "begrunnet"), advice])
    assert outcomes(combined.singles) == [("sarkom", "begrunnet"), ("diagnostisk", "advice")]


def test_organ_specific_is_recommended_over_diagnostisk_in_one_group() -> None:
    diag, sarkom = r(DIAG, "begrunnet"), r(SARKOM, "begrunnet")
    combined = combine([diag, sarkom])  # registry order puts diagnostisk first here
    assert combined.singles == ()
    assert combined.groups == (BegrunnetGroup(members=(sarkom, diag), recommended=sarkom),)


def test_two_organ_specific_pathways_share_one_group_without_a_recommendation() -> None:
    myelom, sarkom, diag = r(MYELOM, "begrunnet"), r(SARKOM, "begrunnet"), r(DIAG, "begrunnet")
    (group,) = combine([myelom, diag, sarkom]).groups
    assert group.members == (myelom, sarkom, diag)
    assert group.recommended is None


def test_diagnostisk_begrunnet_alone_is_its_own_card() -> None:
    diag = r(DIAG, "begrunnet")
    assert combine([diag, r(SARKOM, None)]) == Combined(singles=(diag,))


@pytest.mark.parametrize("other", ["mistanke", "not_met"])
def test_mistanke_and_not_met_are_dropped_next_to_organ_specific_begrunnet(
    other: Outcome,
) -> None:
    begrunnet = r(SARKOM, "begrunnet")
    combined = combine([r(MYELOM, other), begrunnet, r(DIAG, other)])
    assert outcomes(combined.singles) == [("sarkom", "begrunnet")]
    assert combined.dropped == (
        Dropped("myelomatose", other, "begrunnet"),
        Dropped("diagnostisk", other, "begrunnet"),
    )


@pytest.mark.parametrize("other", ["mistanke", "not_met"])
def test_organ_specific_mistanke_is_kept_next_to_diagnostisk_begrunnet(other: Outcome) -> None:
    # The organ-specific filter tests may show organ-specific work-up is the right way.
    combined = combine([r(MYELOM, other), r(DIAG, "begrunnet"), r(SARKOM, "unsupported_referral")])
    assert outcomes(combined.singles) == [
        ("myelomatose", other),
        ("diagnostisk", "begrunnet"),
        ("sarkom", "unsupported_referral"),
    ]
    assert combined.dropped == ()


def test_without_begrunnet_every_mistanke_is_kept() -> None:
    results = [r(MYELOM, "mistanke"), r(SARKOM, "mistanke"), r(DIAG, "not_met")]
    assert combine(results).singles == tuple(results)
