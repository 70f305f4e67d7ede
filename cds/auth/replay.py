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

import heapq
import threading
from dataclasses import dataclass, field
from typing import Literal, Protocol

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


@dataclass
class ReplayCache:
    """``(iss, jti)`` pairs seen by this process, each kept until ``forget_after``.

    Thread-safe (a lock around dictionary work, never held across an ``await``). Bounded: when
    ``max_entries`` live pairs are held, new tokens are refused (``full``) rather than forgetting
    a pair early, which would reopen the replay window.
    """

    max_entries: int = REPLAY_CACHE_SIZE
    blocking: bool = False
    _seen: dict[tuple[str, str], float] = field(default_factory=dict)
    _expiry: list[tuple[float, tuple[str, str]]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, iss: str, jti: str, *, forget_after: float, now: float) -> ReplayVerdict:
        """Record the pair; ``replay`` if it was seen before. Times are epoch seconds."""
        key = (iss, jti)
        with self._lock:
            while self._expiry and self._expiry[0][0] <= now:
                _, old = heapq.heappop(self._expiry)
                self._seen.pop(old, None)
            if key in self._seen:
                return "replay"
            if len(self._seen) >= self.max_entries:
                return "full"
            self._seen[key] = forget_after
            heapq.heappush(self._expiry, (forget_after, key))
            return "new"

    def __len__(self) -> int:
        with self._lock:
            return len(self._seen)
