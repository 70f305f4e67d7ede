"""``condition_count``: at least ``min_count`` distinct dates with a diagnosis of the set."""

from __future__ import annotations

from factories import condition
from factories import facts as patient

from cds.criteria.registry import Registry
from sources.kinds import problems, run, source

INFECTIONS = {
    "kind": "condition_count",
    "codeset": "luftveisinfeksjon",
    "min_count": 2,
    "window_days": 180,
}


def _code(registry: Registry) -> tuple[str, str]:
    ref = registry.codebook.codesets["luftveisinfeksjon"].codes[0]
    return (ref.system, ref.code)


def test_two_dated_episodes_fire(registry: Registry) -> None:
    code = _code(registry)
    conditions = [condition(code, days_ago=10, active=False), condition(code, days_ago=60)]
    found = run(registry, source(**INFECTIONS), patient(conditions=conditions))
    assert found.present and len(found.evidence) == 2


def test_one_episode_or_one_day_twice_is_silent(registry: Registry) -> None:
    code = _code(registry)
    for conditions in (
        [condition(code, days_ago=10)],
        [condition(code, days_ago=10), condition(code, days_ago=10)],
        [condition(code, days_ago=10), condition(code, days_ago=None)],
    ):
        assert not run(registry, source(**INFECTIONS), patient(conditions=conditions)).present


def test_check_refuses_unknown_codeset(registry: Registry) -> None:
    assert problems(registry, source(**{**INFECTIONS, "codeset": "x"})) == [
        "s.codeset: unknown code set 'x'"
    ]
