"""A cache keyed by object identity, for values derived from the loaded criteria.

Criteria models are frozen pydantic models, hashable by value: ``functools.lru_cache`` on one
hashes the whole model tree on every call (a code set's hash walks each of its codes), which cost
more than the lookup saved on the per-call paths (issue 10 profile: ~3 000 hash calls per hook
call). The criteria objects live as long as the registry, so their identity is a key as good as
their value and costs nothing. The cache holds the object itself next to the value, so an id is
never reused while its entry lives; it is cleared when full (a test suite builds many registries).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")

_LIMIT = 4096


def by_identity(fn: Callable[[T], R]) -> Callable[[T], R]:
    """``fn`` memoised on the identity of its one argument (a criteria object)."""
    cache: dict[int, tuple[T, R]] = {}

    @wraps(fn)
    def cached(obj: T) -> R:
        hit = cache.get(id(obj))
        if hit is not None and hit[0] is obj:
            return hit[1]
        value = fn(obj)
        if len(cache) >= _LIMIT:
            cache.clear()
        cache[id(obj)] = (obj, value)
        return value

    return cached
