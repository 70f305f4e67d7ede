"""The HTTP client for FHIR server reads: bounded fan-out, one connection pool per origin.

Why: one shared connection pool with hundreds of queued reads spent most of the event loop's
time in the pool's bookkeeping (every released connection walks the queue) while a FHIR server
hung, and liveness and fully prefetched calls waited behind it. Here nothing waiting grows with
the number of queued reads:

* :class:`FhirTransport` (an httpx transport) lets at most ``fhir_max_concurrent`` reads run in
  the process and at most ``fhir_max_queued`` wait for a slot (an ``asyncio.Semaphore``'s queue);
  a read beyond that fails at once (:class:`FhirBusy`, «FHIR server unavailable» to the caller);
* each origin (scheme, host, port) has its own transport and pool (``httpx.Limits`` of
  ``fhir_pool_per_origin`` connections), created on first use and closed at shutdown, and a
  semaphore of the same size in front of it, so httpcore's pool never holds a queue of its own;
  at most ``fhir_max_origins`` origins are kept (the least recently used idle one is closed);
* every connection goes through :class:`~cds.record.outbound.PinnedBackend`: the outbound
  policy's checks, on the address actually connected to.

The per-call limit (``fhir_call_concurrency``) and the deadline are in :mod:`cds.record.prefetch`.
"""

from __future__ import annotations

import asyncio
import http.cookiejar
import logging
import ssl
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable

import certifi
import httpcore
import httpx

from cds.errors import FhirFetchError
from cds.record.outbound import OutboundPolicy, PinnedBackend
from cds.settings import Settings

logger = logging.getLogger(__name__)

# Closing an idle pool sends nothing; bound it anyway (nothing is awaited without a bound).
_CLOSE_TIMEOUT_S = 2.0
_REFUSAL_LOG_EVERY_S = 1.0
Origin = tuple[str, str, int]


class FhirBusy(FhirFetchError):
    """The process's queue of FHIR reads is full, or every kept origin is busy."""


class _Permits:
    """What one response holds (process slot, origin slot, the origin's use count); given back
    once, when its body is closed or the request failed."""

    def __init__(self) -> None:
        self._undo: list[Callable[[], None]] = []

    def hold(self, undo: Callable[[], None]) -> None:
        self._undo.append(undo)

    def release(self) -> None:
        while self._undo:
            self._undo.pop()()


class _ReleasingStream(httpx.AsyncByteStream):
    """A response body that gives its slots back when closed (httpx closes every response)."""

    def __init__(self, inner: httpx.AsyncByteStream, permits: _Permits) -> None:
        self._inner = inner
        self._permits = permits

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self._inner:
            yield chunk

    async def aclose(self) -> None:
        try:
            await self._inner.aclose()
        finally:
            self._permits.release()


class _OriginPool:
    """One origin's transport (its own connection pool) and the semaphore in front of it."""

    def __init__(self, policy: OutboundPolicy, size: int, ssl_context: ssl.SSLContext) -> None:
        limits = httpx.Limits(max_connections=size, max_keepalive_connections=size)
        # trust_env=False: no proxy from the environment (it would connect to unchecked addresses).
        self.transport = httpx.AsyncHTTPTransport(
            verify=ssl_context, limits=limits, trust_env=False
        )
        # httpx takes no network backend, so its pool is replaced by the same pool with ours.
        self.transport._pool = httpcore.AsyncConnectionPool(
            ssl_context=ssl_context,
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=PinnedBackend(policy),
        )
        self.slots = asyncio.Semaphore(size)
        self.in_use = 0

    def done(self) -> None:
        """One read of this origin has ended (its response closed, or it failed)."""
        self.in_use -= 1

    async def aclose(self) -> None:
        try:
            await asyncio.wait_for(self.transport.aclose(), _CLOSE_TIMEOUT_S)
        except (TimeoutError, OSError, httpx.HTTPError):
            logger.warning("FHIR connection pool did not close cleanly")


class FhirTransport(httpx.AsyncBaseTransport):
    """Routes each read to its origin's pool, within the process-wide limits (module docstring)."""

    def __init__(self, settings: Settings, policy: OutboundPolicy) -> None:
        self.policy = policy
        self._pool_size = settings.fhir_pool_per_origin
        self._max_origins = settings.fhir_max_origins
        self._max_queued = settings.fhir_max_queued
        self._slots = asyncio.Semaphore(settings.fhir_max_concurrent)
        self._waiting = 0
        self._refused = 0
        self._last_refusal_log = -_REFUSAL_LOG_EVERY_S
        # Least recently used first. Not a cachetools LRUCache: eviction must pass over origins
        # in use (or refuse when all are), and closing the evicted pool is awaited; no cache
        # policy does either.
        self._origins: OrderedDict[Origin, _OriginPool] = OrderedDict()
        self._ssl_context = ssl.create_default_context(cafile=certifi.where())

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.policy.check_url(str(request.url))
        permits = _Permits()
        try:
            await self._acquire_process_slot()
            permits.hold(self._slots.release)
            pool = await self._origin(request.url)
            pool.in_use += 1  # until the body is closed: an origin in use is never evicted
            permits.hold(pool.done)
            await pool.slots.acquire()
            permits.hold(pool.slots.release)
            response = await pool.transport.handle_async_request(request)
        except BaseException:
            permits.release()
            raise
        assert isinstance(response.stream, httpx.AsyncByteStream)  # noqa: S101 - async transport
        response.stream = _ReleasingStream(response.stream, permits)
        return response

    async def _acquire_process_slot(self) -> None:
        if self._slots.locked() and self._waiting >= self._max_queued:
            self._refused += 1
            now = time.monotonic()
            if now - self._last_refusal_log >= _REFUSAL_LOG_EVERY_S:
                # Once a second at most: a hanging server makes hundreds of these a second.
                logger.warning("FHIR reads refused: queue full (%d so far)", self._refused)
                self._last_refusal_log = now
            raise FhirBusy("too many queued FHIR reads")
        self._waiting += 1
        try:
            await self._slots.acquire()
        finally:
            self._waiting -= 1

    async def _origin(self, url: httpx.URL) -> _OriginPool:
        port = url.port or (443 if url.scheme == "https" else 80)
        origin: Origin = (url.scheme, url.host.lower(), port)
        pool = self._origins.get(origin)
        if pool is not None:
            self._origins.move_to_end(origin)
            return pool
        if len(self._origins) >= self._max_origins:
            idle = next((key for key, p in self._origins.items() if p.in_use == 0), None)
            if idle is None:
                logger.warning("FHIR read refused: %d origins, all busy", len(self._origins))
                raise FhirBusy("too many FHIR servers in use")
            await self._origins.pop(idle).aclose()
        pool = _OriginPool(self.policy, self._pool_size, self._ssl_context)
        self._origins[origin] = pool
        return pool

    async def aclose(self) -> None:
        pools = list(self._origins.values())
        self._origins.clear()
        for pool in pools:
            await pool.aclose()


def _no_cookies() -> http.cookiejar.CookieJar:
    # Cookies one EHR sets must never ride along on another caller's read.
    return http.cookiejar.CookieJar(http.cookiejar.DefaultCookiePolicy(allowed_domains=[]))


def make_fhir_client(settings: Settings, policy: OutboundPolicy | None = None) -> httpx.AsyncClient:
    """The process's client for FHIR reads (close it with ``aclose`` at shutdown).

    Redirects are never followed: one could carry the FHIR access token to another host.
    """
    if policy is None:
        policy = OutboundPolicy.from_settings(settings.dev_mode, settings.outbound_allow)
    return httpx.AsyncClient(
        transport=FhirTransport(settings, policy),
        follow_redirects=False,
        timeout=httpx.Timeout(settings.fhir_timeout_s),
        cookies=_no_cookies(),
        trust_env=False,
    )
