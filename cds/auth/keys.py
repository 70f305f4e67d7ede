"""The keys that verify CDS Client JWTs: which JWKs may, and JWK Sets from a client's ``jku``.

A client's public signing key is asymmetric (RSA, EC or OKP; never a shared secret) and carries
no private members (:func:`jwk_problem`). A JWK Set is fetched with the shared HTTP client (no
redirects, bounded time and size), cached for an hour, refetched when a token names an unknown
``kid`` (key rotation) at most once a minute, and dropped when stale and unfetchable (fail
closed). Which ``jku`` may be fetched is decided by the trusted-clients file
(:mod:`cds.auth.clients`), never by the token.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable
from typing import Any

import httpx
import jwt
from cachetools import TTLCache

logger = logging.getLogger(__name__)

JWK = dict[str, Any]

# The algorithms PyJWT verifies with a public key. HMAC and "none" are never among them.
ASYMMETRIC_ALGORITHMS = frozenset(
    {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}
)
_PRIVATE_MEMBERS = frozenset({"d", "p", "q", "dp", "dq", "qi", "oth", "k"})

JWKS_TTL_S = 3600.0
# An unknown kid may mean the client rotated its keys: refetch, but at most once a minute, so a
# stream of tokens with made-up kids cannot turn us into a load generator against the client.
JWKS_MIN_REFETCH_S = 60.0
# After a failed fetch with no usable keys, try again sooner: the client is locked out meanwhile.
JWKS_RETRY_AFTER_FAILURE_S = 10.0
# The whole fetch, not per read: a JWKS endpoint that drips bytes must not hold a hook call.
JWKS_TIMEOUT_S = 2.0
JWKS_MAX_BYTES = 64_000
# JWK Sets kept at once. Only allowlisted jku URLs are ever fetched (one per trusted client), so
# this bounds memory without evicting in practice; an evicted set is simply fetched again.
JWKS_MAX_URLS = 1024


def jwk_problem(jwk: object) -> str | None:
    """Why ``jwk`` cannot be a client's public signing key, or ``None`` if it can."""
    if not isinstance(jwk, dict):
        return "a key is not an object"
    kid = jwk.get("kid")
    if not isinstance(kid, str) or not kid:
        return "a key has no kid"
    if jwk.get("kty") not in ("RSA", "EC", "OKP"):
        # "oct" would be a shared secret: CDS Hooks forbids symmetric algorithms.
        return f"key {kid!r}: kty must be RSA, EC or OKP"
    if _PRIVATE_MEMBERS & jwk.keys():
        return f"key {kid!r} contains private key material"
    if "alg" in jwk and jwk["alg"] not in ASYMMETRIC_ALGORITHMS:
        return f"key {kid!r}: alg must be one of {sorted(ASYMMETRIC_ALGORITHMS)}"
    if jwk.get("use", "sig") != "sig":
        return f"key {kid!r}: use must be sig"
    try:
        jwt.PyJWK(jwk, algorithm=jwk.get("alg"))
    except jwt.PyJWTError:  # the message would quote the key: name it only
        return f"key {kid!r} is not a valid public key"
    return None


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


class JwksCache:
    """JWK Sets fetched from allowlisted ``jku`` URLs, kept for ``ttl_s``.

    Refetched when stale, or when a token names an unknown ``kid`` (key rotation) at most every
    ``min_refetch_s``. A failed fetch keeps keys that are still fresh; stale keys are dropped
    (fail closed), and the next attempt waits ``retry_after_failure_s``. One fetch per URL at a
    time: concurrent calls wait for it instead of each fetching.

    The fetched sets live in a :class:`cachetools.TTLCache` (expiry ``ttl_s`` after the fetch,
    on ``clock``); beside it, when each URL was last tried, which outlives an expired set so that
    the retry wait holds for a client whose keys are gone.
    """

    def __init__(
        self,
        *,
        ttl_s: float = JWKS_TTL_S,
        min_refetch_s: float = JWKS_MIN_REFETCH_S,
        retry_after_failure_s: float = JWKS_RETRY_AFTER_FAILURE_S,
        timeout_s: float = JWKS_TIMEOUT_S,
        max_bytes: int = JWKS_MAX_BYTES,
        max_urls: int = JWKS_MAX_URLS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.min_refetch_s = min_refetch_s
        self.retry_after_failure_s = retry_after_failure_s
        self.timeout_s = timeout_s
        self.max_bytes = max_bytes
        self.clock = clock
        self._keys: TTLCache[str, dict[str, JWK]] = TTLCache(max_urls, ttl_s, timer=clock)
        # Bounded like the sets: only allowlisted jku URLs ever get here.
        self._attempted_at: dict[str, float] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    async def key(self, url: str, kid: str, http: httpx.AsyncClient) -> JWK | None:
        """The key ``kid`` of the JWK Set at ``url``, fetching it if needed; ``None`` if absent.

        Raises :class:`JwksUnavailable` if there are no usable keys at all.
        """
        if self._needs_fetch(url, kid):
            async with self._locks.setdefault(url, asyncio.Lock()):
                if self._needs_fetch(url, kid):  # a concurrent call may have fetched meanwhile
                    await self._fetch(url, http)
        keys = self._keys.get(url)
        if keys is None:
            raise JwksUnavailable(url)
        return keys.get(kid)

    def _needs_fetch(self, url: str, kid: str) -> bool:
        attempted_at = self._attempted_at.get(url)
        if attempted_at is None:
            return True
        since_attempt = self.clock() - attempted_at
        keys = self._keys.get(url)
        if keys is None:  # never fetched, stale, or the last fetch failed
            return since_attempt >= self.retry_after_failure_s
        return kid not in keys and since_attempt >= self.min_refetch_s

    async def _fetch(self, url: str, http: httpx.AsyncClient) -> None:
        self._attempted_at[url] = self.clock()
        try:
            keys = await self._download(url, http)
        except _JwksFetchError as exc:
            # Keys still fresh stay in the cache, with their first expiry: a failed rotation
            # check must not lock out a client, nor keep its keys past the TTL.
            logger.warning("jwks fetch failed jku=%s reason=%s", url, exc.reason)
            return
        logger.info("jwks fetched jku=%s keys=%d", url, len(keys))
        self._keys[url] = keys

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
