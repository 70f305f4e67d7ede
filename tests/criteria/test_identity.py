"""cds.criteria.identity: values derived from a criteria object, worked out once per object."""

from __future__ import annotations

import pytest

import cds.criteria.identity as identity
from cds.criteria.identity import by_identity


def test_one_call_per_object_and_equal_objects_apart() -> None:
    calls: list[object] = []

    @by_identity
    def derive(obj: tuple[int, ...]) -> int:
        calls.append(obj)
        return sum(obj)

    a, b = (1, 2), tuple([1, 2])  # equal, not the same object
    assert a == b and a is not b
    assert derive(a) == derive(a) == 3
    assert derive(b) == 3
    assert calls == [a, b]  # by identity: b is its own entry, a was computed once


def test_the_cache_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(identity, "_LIMIT", 3)
    calls: list[int] = []

    @by_identity
    def derive(obj: list[int]) -> int:
        calls.append(1)
        return len(obj)

    kept = [[n] for n in range(5)]  # kept alive: ids stay distinct
    for obj in kept:
        derive(obj)
    derive(kept[0])  # evicted when the cache was cleared at the limit: computed again
    assert len(calls) == 6
