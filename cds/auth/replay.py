"""The ``jti`` replay guard: each ``(iss, jti)`` is accepted once while its token could pass.

:class:`ReplayGuard` is what the verifier needs. Two implementations:

* :class:`cds.auth.replay_store.SqlReplayStore`, in the feedback database: shared by every worker
  process and every instance, so running several opens no replay window. The default whenever
  the database is a real one (a file or a server).
* :class:`ReplayCache`, in process memory: exact only while one process serves the database, so it
  is used only with an in-memory SQLite database (tests, throw-away runs), which no second process
  can share anyway.
"""

from __future__ import annotations

import threading
from typing import Literal, Protocol

from cachetools import TLRUCache

# "unavailable": the shared store could not be asked; the token is refused (fail closed).
ReplayVerdict = Literal["new", "replay", "full", "unavailable"]

# Bounds memory: at most this many live jti values per process (in-memory cache only).
REPLAY_CACHE_SIZE = 100_000


class ReplayGuard(Protocol):
    """Records ``(iss, jti)`` pairs; a second ``add`` of a live pair is a replay."""

    # True: ``add`` does blocking I/O, so the verifier runs it in a worker thread.
    blocking: bool

    def add(self, iss: str, jti: str, *, forget_after: float, now: float) -> ReplayVerdict:
        """``new`` the first time; ``replay`` after. Times are epoch seconds; the pair may be
        forgotten once ``now`` passes ``forget_after`` (the token cannot pass the exp check)."""
        ...


class ReplayCache:
    """``(iss, jti)`` pairs seen by this process, each kept until ``forget_after``.

    A :class:`cachetools.TLRUCache` whose time-to-use is the pair's own ``forget_after`` and whose
    clock is the ``now`` of the call. Thread-safe (a lock around the cache, never held across an
    ``await``). Bounded: when ``max_entries`` live pairs are held, new tokens are refused
    (``full``) rather than letting the cache evict a live pair, which would reopen the replay
    window.
    """

    blocking = False

    def __init__(self, max_entries: int = REPLAY_CACHE_SIZE) -> None:
        self.max_entries = max_entries
        self._now = 0.0  # the clock of the cache: the `now` of the call being handled
        self._seen: TLRUCache[tuple[str, str], float] = TLRUCache(
            max_entries, ttu=_forget_after, timer=lambda: self._now
        )
        self._lock = threading.Lock()

    def add(self, iss: str, jti: str, *, forget_after: float, now: float) -> ReplayVerdict:
        """Record the pair; ``replay`` if it was seen before. Times are epoch seconds."""
        key = (iss, jti)
        with self._lock:
            self._now = now
            if key in self._seen:
                return "replay"
            if len(self._seen) >= self.max_entries:  # len() first forgets the expired pairs
                return "full"
            self._seen[key] = forget_after
            return "new"

    def __len__(self) -> int:
        with self._lock:
            return len(self._seen)


def _forget_after(_key: tuple[str, str], forget_after: float, _now: float) -> float:
    # The value stored for a pair is the moment it may be forgotten: that is its time-to-use.
    return forget_after
