"""The keys that verify CDS Client JWTs: JWK Sets fetched from a client's allowlisted ``jku``.

A JWK Set is fetched with the shared HTTP client (no redirects, bounded time and size), cached for
an hour, refetched when a token names an unknown ``kid`` (key rotation) at most once a minute, and
dropped when stale and unfetchable (fail closed). Which ``jku`` may be fetched is decided by the
trusted-clients file (:mod:`cds.client_auth`), never by the token.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

import httpx

from cds.client_auth import JWK, jwk_problem

logger = logging.getLogger(__name__)

JWKS_TTL_S = 3600.0
# An unknown kid may mean the client rotated its keys: refetch, but at most once a minute, so a
# stream of tokens with made-up kids cannot turn us into a load generator against the client.
JWKS_MIN_REFETCH_S = 60.0
# After a failed fetch with no usable keys, try again sooner: the client is locked out meanwhile.
JWKS_RETRY_AFTER_FAILURE_S = 10.0
# The whole fetch, not per read: a JWKS endpoint that drips bytes must not hold a hook call.
JWKS_TIMEOUT_S = 2.0
JWKS_MAX_BYTES = 64_000


def parse_jwks(data: object) -> dict[str, JWK]:
    """The usable public signing keys of a fetched JWK Set by ``kid``.

    Unusable keys are skipped, not fatal: one odd key must not lock out a client's good ones. A
    ``kid`` that occurs twice is dropped, since we could not tell which key it names.
    """
    raw = data.get("keys") if isinstance(data, dict) else None
    if not isinstance(raw, list):
        return {}
    keys: dict[str, JWK] = {}
    duplicates: set[str] = set()
    for jwk in raw:
        if jwk_problem(jwk) is not None:
            continue
        kid = jwk["kid"]
        if kid in keys:
            duplicates.add(kid)
        keys[kid] = jwk
    for kid in duplicates:
        del keys[kid]
    return keys


class JwksUnavailable(Exception):
    """No usable keys could be had from a ``jku`` (fetch failed, or the set had none)."""


class _JwksFetchError(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(slots=True)
class _JwksEntry:
    keys: dict[str, JWK]
    attempted_at: float
    fetched_at: float | None  # last successful fetch; None: no usable keys


class JwksCache:
    """JWK Sets fetched from allowlisted ``jku`` URLs, kept for ``ttl_s``.

    Refetched when stale, or when a token names an unknown ``kid`` (key rotation) at most every
    ``min_refetch_s``. A failed fetch keeps keys that are still fresh; stale keys are dropped
    (fail closed), and the next attempt waits ``retry_after_failure_s``. One fetch per URL at a
    time: concurrent calls wait for it instead of each fetching.
    """

    def __init__(
        self,
        *,
        ttl_s: float = JWKS_TTL_S,
        min_refetch_s: float = JWKS_MIN_REFETCH_S,
        retry_after_failure_s: float = JWKS_RETRY_AFTER_FAILURE_S,
        timeout_s: float = JWKS_TIMEOUT_S,
        max_bytes: int = JWKS_MAX_BYTES,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.ttl_s = ttl_s
        self.min_refetch_s = min_refetch_s
        self.retry_after_failure_s = retry_after_failure_s
        self.timeout_s = timeout_s
        self.max_bytes = max_bytes
        self.clock = clock
        self._entries: dict[str, _JwksEntry] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    async def key(self, url: str, kid: str, http: httpx.AsyncClient) -> JWK | None:
        """The key ``kid`` of the JWK Set at ``url``, fetching it if needed; ``None`` if absent.

        Raises :class:`JwksUnavailable` if there are no usable keys at all.
        """
        entry = self._entries.get(url)
        if self._needs_fetch(entry, kid):
            async with self._locks.setdefault(url, asyncio.Lock()):
                entry = self._entries.get(url)  # a concurrent call may have fetched meanwhile
                if self._needs_fetch(entry, kid):
                    entry = await self._fetch(url, http, entry)
        if entry is None or entry.fetched_at is None:
            raise JwksUnavailable(url)
        return entry.keys.get(kid)

    def _needs_fetch(self, entry: _JwksEntry | None, kid: str) -> bool:
        if entry is None:
            return True
        now = self.clock()
        since_attempt = now - entry.attempted_at
        if entry.fetched_at is None or now - entry.fetched_at >= self.ttl_s:
            return since_attempt >= self.retry_after_failure_s
        return kid not in entry.keys and since_attempt >= self.min_refetch_s

    async def _fetch(self, url: str, http: httpx.AsyncClient, old: _JwksEntry | None) -> _JwksEntry:
        now = self.clock()
        try:
            keys = await self._download(url, http)
        except _JwksFetchError as exc:
            logger.warning("jwks fetch failed jku=%s reason=%s", url, exc.reason)
            entry = _JwksEntry({}, attempted_at=now, fetched_at=None)
            if old is not None and old.fetched_at is not None and now - old.fetched_at < self.ttl_s:
                # A failed rotation check must not lock out a client whose keys are still fresh.
                entry = _JwksEntry(old.keys, attempted_at=now, fetched_at=old.fetched_at)
        else:
            logger.info("jwks fetched jku=%s keys=%d", url, len(keys))
            entry = _JwksEntry(keys, attempted_at=now, fetched_at=now)
        self._entries[url] = entry
        return entry

    async def _download(self, url: str, http: httpx.AsyncClient) -> dict[str, JWK]:
        chunks: list[bytes] = []
        try:
            async with asyncio.timeout(self.timeout_s):
                async with http.stream(
                    "GET",
                    url,
                    headers={"Accept": "application/json"},
                    timeout=httpx.Timeout(self.timeout_s),
                    follow_redirects=False,  # the allowlist names this URL, not where it leads
                ) as response:
                    if response.status_code != 200:
                        raise _JwksFetchError(f"HTTP {response.status_code}")
                    size = 0
                    async for chunk in response.aiter_bytes():
                        size += len(chunk)
                        if size > self.max_bytes:
                            raise _JwksFetchError("too large")
                        chunks.append(chunk)
        except TimeoutError:
            raise _JwksFetchError("timeout") from None
        except httpx.TimeoutException:
            raise _JwksFetchError("timeout") from None
        except httpx.HTTPError as exc:
            raise _JwksFetchError(f"unreachable ({type(exc).__name__})") from None
        try:
            data = json.loads(b"".join(chunks))
        except (ValueError, RecursionError):
            raise _JwksFetchError("not JSON") from None
        keys = parse_jwks(data)
        if not keys:
            raise _JwksFetchError("no usable keys")
        return keys
