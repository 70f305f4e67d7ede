"""Trusting CDS Clients: verify the JWT an EHR sends with every call (CDS Hooks 2.0 §Trusting CDS
Clients, checklist §1.9). Signature and claim checks are PyJWT's; this module decides which keys,
algorithms, issuers and audiences count, and keeps the caches.

A call is accepted only if all of these hold (any failure: :class:`cds.errors.Unauthorized`, 401
without detail; the reason *category* is logged, never the token):

* ``Authorization: Bearer <JWT>``;
* header: ``alg`` in ``settings.auth_algorithms`` (never ``none`` or ``HS*``: the settings refuse
  them), ``kid`` present, ``typ`` ``JWT`` if present, no ``crit`` extensions;
* ``iss`` is a client listed in ``CDS_TRUSTED_CLIENTS_FILE``; a header ``jku`` equals that
  client's ``jku`` (so a token cannot point us at keys of its own choosing);
* the key with the header's ``kid``, from the client's inline ``jwks`` or from its ``jku`` JWK Set
  (fetched with the shared HTTP client, cached, see :class:`JwksCache`), verifies the signature;
* ``aud`` is this endpoint's public URL (:func:`audience_for`); ``exp``, ``iat`` and ``jti`` are
  present; ``exp`` is not past and ``iat`` not in the future (both with ``settings.auth_leeway_s``);
  the token lives at most an hour (which bounds the replay cache); ``tenant`` is allowlisted when
  the client lists tenants; ``jti`` was not seen before for this ``iss`` (:class:`ReplayCache`).

The trusted-clients file (YAML, ``docs/trusted-clients.example.yaml``) is validated by the
pydantic models below when the settings are read, so a bad file stops the start-up.

Caches are per process: with several worker processes a token could be replayed once per worker
within its lifetime. Run one process per instance (the Dockerfile does), or share the replay
cache if that changes.
"""

from __future__ import annotations

import asyncio
import heapq
import json
import logging
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

import httpx
import jwt
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from starlette.requests import Request

from cds.errors import InvalidRequest, Issue, Unauthorized
from cds.logs import safe_id

logger = logging.getLogger(__name__)

JWK = dict[str, Any]

# CDS Hooks: "no more than an hour" of token life; also how long a jti must be remembered.
MAX_TOKEN_LIFETIME_S = 3600
# A CDS Hooks JWT is a few hundred bytes; refuse megabytes before parsing them.
MAX_TOKEN_CHARS = 8192
MAX_JTI_CHARS = 256
# Bounds memory: at most this many live jti values (one hour of calls) per process.
REPLAY_CACHE_SIZE = 100_000

JWKS_TTL_S = 3600.0
# An unknown kid may mean the client rotated its keys: refetch, but at most once a minute, so a
# stream of tokens with made-up kids cannot turn us into a load generator against the client.
JWKS_MIN_REFETCH_S = 60.0
# After a failed fetch with no usable keys, try again sooner: the client is locked out meanwhile.
JWKS_RETRY_AFTER_FAILURE_S = 10.0
# The whole fetch, not per read: a JWKS endpoint that drips bytes must not hold a hook call.
JWKS_TIMEOUT_S = 2.0
JWKS_MAX_BYTES = 64_000

# The algorithms PyJWT verifies with a public key. HMAC and "none" are never among them.
ASYMMETRIC_ALGORITHMS = frozenset(
    {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}
)
_PRIVATE_MEMBERS = frozenset({"d", "p", "q", "dp", "dq", "qi", "oth", "k"})
_DEFAULT_PORTS = {"http": 80, "https": 443}
_LOOPBACK = frozenset({"localhost", "127.0.0.1", "::1"})


class TrustedClientsError(ValueError):
    """The trusted-clients file is unreadable or invalid; the message names the setting."""


# --- the trusted-clients file -------------------------------------------------------------------


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


def _url_problem(url: str, *, https_only: bool) -> str | None:
    """Why ``url`` is not a plain absolute http(s) URL we may call, or ``None``."""
    if any(c.isspace() or c == "\\" or not c.isprintable() for c in url):
        return "must not contain spaces, backslashes or control characters"
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a malformed port
    except ValueError:
        return "is not a valid URL"
    if parts.scheme not in _DEFAULT_PORTS or not parts.hostname:
        return "must be an absolute http(s) URL"
    if https_only and parts.scheme != "https" and parts.hostname not in _LOOPBACK:
        return "must use https"
    if parts.username is not None or parts.fragment:
        return "must have no user info and no fragment"
    if not _clean_path(parts.path):
        return "must not contain '.' or '..' path segments"
    return None


def _clean_path(path: str) -> bool:
    # Dot segments (also percent-encoded) could climb out of an allowed base path once resolved.
    segments = path.lower().replace("%2e", ".").split("/")
    return not any(segment in (".", "..") for segment in segments)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class JwkSet(_Strict):
    """A client's public keys given inline (RFC 7517 JWK Set), for clients without a ``jku``."""

    keys: tuple[JWK, ...] = Field(min_length=1)

    @field_validator("keys")
    @classmethod
    def _public_signing_keys(cls, keys: tuple[JWK, ...]) -> tuple[JWK, ...]:
        for key in keys:
            problem = jwk_problem(key)
            if problem:
                raise ValueError(problem)
        kids = [key["kid"] for key in keys]
        if len(set(kids)) != len(kids):
            raise ValueError("kid values must be unique")
        return keys

    def find(self, kid: str) -> JWK | None:
        """The key with ``kid``, if any."""
        return next((key for key in self.keys if key["kid"] == kid), None)


class TrustedClient(_Strict):
    """One CDS Client (EHR) we accept calls from, as listed in the trusted-clients file."""

    iss: str = Field(min_length=1)
    # The only JWK Set URL accepted for this iss (header jku must equal it); fetched and cached.
    jku: str | None = None
    # Keys exchanged out-of-band; tried before the jku's.
    jwks: JwkSet | None = None
    # Allowed values of the token's `tenant` claim; None: any (or none).
    tenants: tuple[str, ...] | None = Field(default=None, min_length=1)
    # fhirServer base URLs (or origins) we may call for this client; None: any; empty: none.
    fhir_servers: tuple[str, ...] | None = None

    @field_validator("jku")
    @classmethod
    def _jku_url(cls, value: str | None) -> str | None:
        if value is not None:
            problem = _url_problem(value, https_only=True)
            if problem:
                raise ValueError(f"jku {problem}")
        return value

    @field_validator("fhir_servers")
    @classmethod
    def _fhir_server_urls(cls, value: tuple[str, ...] | None) -> tuple[str, ...] | None:
        if value is None:
            return None
        for url in value:
            problem = _url_problem(url, https_only=False)
            if problem is None and (urlsplit(url).query):
                problem = "must have no query"
            if problem:
                raise ValueError(f"fhir_servers entry {problem}")
        return tuple(url.rstrip("/") for url in value)

    @model_validator(mode="after")
    def _has_keys(self) -> TrustedClient:
        if self.jku is None and self.jwks is None:
            raise ValueError(f"client {self.iss!r} needs jku or jwks: no key could verify it")
        return self


class TrustedClientsFile(_Strict):
    """The top level of the trusted-clients file."""

    clients: tuple[TrustedClient, ...] = Field(min_length=1)

    @field_validator("clients")
    @classmethod
    def _unique_iss(cls, clients: tuple[TrustedClient, ...]) -> tuple[TrustedClient, ...]:
        issuers = [client.iss for client in clients]
        if len(set(issuers)) != len(issuers):
            raise ValueError("each iss may be listed once")
        return clients


def load_trusted_clients(path: Path) -> tuple[TrustedClient, ...]:
    """The clients in the YAML file at ``path``; :class:`TrustedClientsError` naming the problem."""
    where = f"CDS_TRUSTED_CLIENTS_FILE {path}"
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else type(exc).__name__
        raise TrustedClientsError(f"{where}: cannot read: {reason}") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f" (line {mark.line + 1})" if mark is not None else ""
        raise TrustedClientsError(f"{where}: not valid YAML{line}") from None
    try:
        return TrustedClientsFile.model_validate(data).clients
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in error['loc']) or 'file'}: {error['msg']}"
            for error in exc.errors(include_input=False)
        )
        raise TrustedClientsError(f"{where}: {problems}") from None


# --- the result ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AuthenticatedClient:
    """A caller whose JWT verified: its entry in the trusted-clients file and its ``tenant``."""

    client: TrustedClient
    tenant: str | None = None

    @property
    def iss(self) -> str:
        """The client's issuer URL."""
        return self.client.iss

    def allows_fhir_server(self, url: str) -> bool:
        """True if we may call ``url`` as ``fhirServer`` for this client."""
        allowed = self.client.fhir_servers
        return allowed is None or any(_url_under(base, url) for base in allowed)


def _url_under(base: str, url: str) -> bool:
    """True if ``url`` is ``base`` or below it: same scheme, host and port, and path prefix."""
    if _url_problem(url, https_only=False) is not None:
        return False
    mine, other = urlsplit(base), urlsplit(url)
    if other.query:
        return False
    base_path = mine.path.rstrip("/")
    mine_port = mine.port or _DEFAULT_PORTS[mine.scheme]
    return (
        other.scheme == mine.scheme
        and (other.hostname or "").lower() == (mine.hostname or "").lower()
        and (other.port or _DEFAULT_PORTS[other.scheme]) == mine_port
        and (other.path.rstrip("/") == base_path or other.path.startswith(base_path + "/"))
    )


def check_fhir_server(caller: AuthenticatedClient | None, fhir_server: str | None) -> None:
    """:class:`InvalidRequest` (422) if the caller may not have us call ``fhir_server``.

    The ``fhirAuthorization`` token and our requests go wherever ``fhirServer`` points, so a
    trusted client that lists its FHIR servers cannot send us anywhere else (SSRF guard), and with
    authentication on, ``fhirServer`` must use https (loopback excepted). Without authentication
    (``caller`` is ``None``) nothing is restricted here.
    """
    if caller is None or fhir_server is None:
        return
    # Authentication on means production: CDS Hooks requires https for a fhirServer holding
    # production data, and the access token would otherwise travel in clear text. Loopback
    # (a FHIR server on the same host) is the one exception.
    if _url_problem(fhir_server, https_only=True) == "must use https":
        logger.info("fhirServer refused (not https) iss=%s", caller.iss)
        raise InvalidRequest(
            [
                Issue(
                    code="security",
                    diagnostics="fhirServer must use https",
                    expression="fhirServer",
                )
            ]
        )
    if caller.allows_fhir_server(fhir_server):
        return
    logger.info("fhirServer refused iss=%s", caller.iss)
    raise InvalidRequest(
        [
            Issue(
                code="security",
                diagnostics="fhirServer is not a FHIR server registered for this CDS Client",
                expression="fhirServer",
            )
        ]
    )


def audience_for(request: Request, public_base_url: str | None) -> str:
    """The ``aud`` a token must carry for ``request``: this endpoint's public URL.

    Behind a proxy the request URL is the proxy's upstream address, not what the EHR called, so
    the configured public base URL wins; without one, the request URL without its query.
    """
    if public_base_url:
        return public_base_url.rstrip("/") + request.url.path
    return str(request.url.replace(query="", fragment=""))


# --- caches -------------------------------------------------------------------------------------


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


ReplayVerdict = Literal["new", "replay", "full"]


@dataclass
class ReplayCache:
    """``(iss, jti)`` pairs seen, each kept until its token can no longer pass the ``exp`` check.

    Thread-safe (a lock around dictionary work, never held across an ``await``). Bounded: when
    ``max_entries`` live pairs are held, new tokens are refused (``full``) rather than forgetting
    a pair early, which would reopen the replay window.
    """

    max_entries: int = REPLAY_CACHE_SIZE
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


# --- verification -------------------------------------------------------------------------------


class _Refused(Exception):
    """Internal: why a token was refused, as a short category for the log (never token content)."""

    def __init__(self, reason: str, iss: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.iss = iss


_JWT_ERRORS: tuple[tuple[type[jwt.PyJWTError], str], ...] = (
    (jwt.ExpiredSignatureError, "expired"),
    (jwt.ImmatureSignatureError, "not-yet-valid"),
    (jwt.InvalidAudienceError, "aud"),
    (jwt.InvalidIssuerError, "iss"),
    (jwt.MissingRequiredClaimError, "claims"),
    (jwt.InvalidSignatureError, "signature"),
)


class ClientVerifier:
    """Verifies the CDS Client JWT of a call against the trusted clients (module docstring)."""

    def __init__(
        self,
        clients: Iterable[TrustedClient],
        *,
        algorithms: Sequence[str],
        leeway_s: int,
        jwks_cache: JwksCache | None = None,
        replay_cache: ReplayCache | None = None,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self.clients: Mapping[str, TrustedClient] = {client.iss: client for client in clients}
        # Defence in depth: the settings refuse these too, but never let one through.
        self.algorithms = tuple(a for a in algorithms if a in ASYMMETRIC_ALGORITHMS)
        self.leeway_s = leeway_s
        self.jwks = jwks_cache if jwks_cache is not None else JwksCache()
        self.replay = replay_cache if replay_cache is not None else ReplayCache()
        self.wall_clock = wall_clock

    async def verify(
        self, authorization: str | None, audience: str, http: httpx.AsyncClient
    ) -> AuthenticatedClient:
        """The caller, or :class:`Unauthorized`. ``audience`` from :func:`audience_for`."""
        try:
            caller = await self._verify(authorization, audience, http)
        except _Refused as refused:
            # iss only once it is known to be one of ours: unknown values are attacker text.
            logger.info("client_auth refused reason=%s iss=%s", refused.reason, refused.iss or "-")
            raise Unauthorized() from None
        logger.debug(
            "client_auth ok iss=%s tenant=%s",
            caller.iss,
            safe_id(caller.tenant) if caller.tenant is not None else "-",
        )
        return caller

    async def _verify(
        self, authorization: str | None, audience: str, http: httpx.AsyncClient
    ) -> AuthenticatedClient:
        token = _bearer_token(authorization)
        try:
            header = jwt.get_unverified_header(token)
            # Only to pick the client and its keys; nothing is trusted before the signature.
            unverified = jwt.decode(token, options={"verify_signature": False})
        except jwt.PyJWTError:
            raise _Refused("malformed") from None
        alg = header.get("alg")
        if alg not in self.algorithms:
            raise _Refused("alg")
        kid, typ = header.get("kid"), header.get("typ")
        if not isinstance(kid, str) or not kid:
            raise _Refused("header")
        if typ is not None and (not isinstance(typ, str) or typ.upper() != "JWT"):
            raise _Refused("header")
        if "crit" in header:  # extensions we would have to understand (RFC 7515 §4.1.11)
            raise _Refused("header")
        iss = unverified.get("iss")
        client = self.clients.get(iss) if isinstance(iss, str) else None
        if client is None:
            raise _Refused("unknown-iss")
        jku = header.get("jku")
        if jku is not None and jku != client.jku:
            raise _Refused("jku", client.iss)
        key = await self._key(client, kid, alg, http)
        try:
            claims = jwt.decode(
                token,
                key=key,
                algorithms=list(self.algorithms),
                audience=audience,
                issuer=client.iss,
                leeway=self.leeway_s,
                options={"require": ["iss", "aud", "exp", "iat", "jti"]},
            )
        except jwt.PyJWTError as exc:
            reason = next((r for kind, r in _JWT_ERRORS if isinstance(exc, kind)), "invalid")
            raise _Refused(reason, client.iss) from None
        return self._check_claims(client, claims)

    async def _key(
        self, client: TrustedClient, kid: str, alg: str, http: httpx.AsyncClient
    ) -> jwt.PyJWK:
        jwk = client.jwks.find(kid) if client.jwks is not None else None
        if jwk is None and client.jku is not None:
            try:
                jwk = await self.jwks.key(client.jku, kid, http)
            except JwksUnavailable:
                raise _Refused("jwks-unavailable", client.iss) from None
        if jwk is None:
            raise _Refused("unknown-kid", client.iss)
        # A key that states its algorithm is used with that one only (RFC 8725 §3.1).
        if jwk.get("alg", alg) != alg:
            raise _Refused("key-alg", client.iss)
        try:
            return jwt.PyJWK(jwk, algorithm=alg)  # also fails if kty does not fit alg
        except jwt.PyJWTError:
            raise _Refused("key-alg", client.iss) from None

    def _check_claims(self, client: TrustedClient, claims: dict[str, Any]) -> AuthenticatedClient:
        """What PyJWT does not check: types, lifetime, tenant, replay."""
        exp, iat, jti = claims["exp"], claims["iat"], claims["jti"]
        tenant = claims.get("tenant")
        numbers = all(isinstance(v, int | float) and not isinstance(v, bool) for v in (exp, iat))
        if (
            not numbers
            or not isinstance(jti, str)
            or not 0 < len(jti) <= MAX_JTI_CHARS
            or (tenant is not None and not isinstance(tenant, str))
        ):
            raise _Refused("claims", client.iss)
        now = self.wall_clock()
        if exp - now > MAX_TOKEN_LIFETIME_S + self.leeway_s:
            raise _Refused("lifetime", client.iss)
        if client.tenants is not None and tenant not in client.tenants:
            raise _Refused("tenant", client.iss)
        # Remembered until PyJWT's exp check (exp <= now - leeway) would refuse the token anyway.
        verdict = self.replay.add(client.iss, jti, forget_after=exp + self.leeway_s, now=now)
        if verdict == "full":
            logger.warning("client_auth replay cache full: refusing new tokens")
        if verdict != "new":
            raise _Refused(f"jti-{verdict}", client.iss)
        return AuthenticatedClient(client=client, tenant=tenant)


def _bearer_token(authorization: str | None) -> str:
    if not authorization:
        raise _Refused("no-token")
    scheme, _, token = authorization.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or " " in token:
        raise _Refused("not-bearer")
    if len(token) > MAX_TOKEN_CHARS:
        raise _Refused("too-long")
    return token
