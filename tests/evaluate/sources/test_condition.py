"""``condition``: an active coded diagnosis within the window (undated ones count)."""

from __future__ import annotations

from factories import condition
from factories import facts as patient

from cds.criteria.registry import Registry
from sources.kinds import problems, run, source

ANEMI = {"kind": "condition", "codeset": "anemi", "window_days": 365}


def test_active_coded_condition_fires(registry: Registry) -> None:
    found = run(registry, source(**ANEMI), patient(conditions=[condition(("icpc2", "B82"))]))
    assert found.present and found.evidence[0].text.endswith("(ICPC-2 B82)")


def test_undated_condition_counts(registry: Registry) -> None:
    conditions = [condition(("icpc2", "B82"), days_ago=None)]
    assert run(registry, source(**ANEMI), patient(conditions=conditions)).present


def test_resolved_or_old_or_other_code_is_silent(registry: Registry) -> None:
    for cond in (
        condition(("icpc2", "B82"), active=False),
        condition(("icpc2", "B82"), days_ago=366),
        condition(("icpc2", "R74")),
    ):
        assert not run(registry, source(**ANEMI), patient(conditions=[cond])).present


def test_include_history_counts_resolved(registry: Registry) -> None:
    src = source(**ANEMI, include_history=True)
    found = run(registry, src, patient(conditions=[condition(("icpc2", "B82"), active=False)]))
    assert found.present and "tidligere" in found.evidence[0].text


def test_check_refuses_unknown_codeset(registry: Registry) -> None:
    bad = source(**{**ANEMI, "codeset": "nei"})
    assert problems(registry, bad) == ["s.codeset: unknown code set 'nei'"]
