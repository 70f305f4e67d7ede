"""Verifying the CDS Client JWT of a call (CDS Hooks 2.0 §Trusting CDS Clients, checklist §1.9).

Signature and claim checks are PyJWT's; this module decides which keys, algorithms, issuers,
audiences and lifetimes count. A call is accepted only if all of these hold (any failure:
:class:`cds.errors.Unauthorized`, 401 without detail but with ``WWW-Authenticate: Bearer``; the
reason *category* is logged, never the token):

* ``Authorization: Bearer <JWT>``;
* header: ``typ`` is ``JWT`` (required by CDS Hooks), ``alg`` in ``settings.auth_algorithms``
  (never ``none`` or ``HS*``: the settings refuse them), ``kid`` present, no ``crit``;
* ``iss`` is a client listed in ``CDS_TRUSTED_CLIENTS_FILE``; a header ``jku`` equals that
  client's ``jku`` (so a token cannot point us at keys of its own choosing);
* the key with the header's ``kid``, from the client's inline ``jwks`` or from its ``jku`` JWK Set
  (:class:`cds.auth.keys.JwksCache`), verifies the signature;
* ``aud`` is this endpoint's public URL, built from ``CDS_PUBLIC_BASE_URL`` (required with auth
  on) and the request path, never from ``Host`` or ``X-Forwarded-*`` (:func:`audience_for`);
* ``exp``, ``iat`` and ``jti`` present; ``exp`` not past and ``iat`` not in the future (both
  with ``settings.auth_leeway_s``); lifetime ``exp - iat`` at most ``settings.jwt_max_lifetime_s``
  (5 minutes by default) and ``iat`` not older than that lifetime plus the leeway, so a token
  issued long ago is refused whatever its ``exp`` says;
* ``tenant`` is allowlisted when the client lists tenants;
* ``jti`` was not used before for this ``iss`` (:mod:`cds.auth.replay`, in the database, shared
  by every worker and instance).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import httpx
import jwt
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from cds.auth.clients import AuthenticatedClient, TrustedClient
from cds.auth.keys import ASYMMETRIC_ALGORITHMS, JwksCache, JwksUnavailable
from cds.auth.replay import ReplayCache, ReplayGuard
from cds.errors import Unauthorized
from cds.logs import safe_id

logger = logging.getLogger(__name__)

# CDS Hooks allows "no more than an hour"; our default is 5 minutes (settings).
MAX_TOKEN_LIFETIME_S = 3600
DEFAULT_TOKEN_LIFETIME_S = 300
# A CDS Hooks JWT is a few hundred bytes; refuse megabytes before parsing them.
MAX_TOKEN_CHARS = 8192
MAX_JTI_CHARS = 256
# RFC 6750 §3.1: a request without any bearer token gets no error code, only the challenge.
_NO_CREDENTIALS = frozenset({"no-token", "not-bearer"})


def audience_for(request: Request, public_base_url: str) -> str:
    """The ``aud`` a token must carry for ``request``: this endpoint's public URL.

    Only the configured public base URL and the request path count. The host, scheme and port of
    the request come from headers the caller controls (``Host``, ``X-Forwarded-*``), so a token
    minted for another service could be made to match them.
    """
    return public_base_url.rstrip("/") + request.url.path


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
        max_lifetime_s: int = DEFAULT_TOKEN_LIFETIME_S,
        jwks_cache: JwksCache | None = None,
        replay: ReplayGuard | None = None,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self.clients: Mapping[str, TrustedClient] = {client.iss: client for client in clients}
        # Defence in depth: the settings refuse these too, but never let one through.
        self.algorithms = tuple(a for a in algorithms if a in ASYMMETRIC_ALGORITHMS)
        self.leeway_s = leeway_s
        self.max_lifetime_s = min(max_lifetime_s, MAX_TOKEN_LIFETIME_S)
        self.jwks = jwks_cache if jwks_cache is not None else JwksCache()
        # Replaced by the database store at start-up (cds.app) unless the database is in memory.
        self.replay: ReplayGuard = replay if replay is not None else ReplayCache()
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
            error = None if refused.reason in _NO_CREDENTIALS else "invalid_token"
            raise Unauthorized(error) from None
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
        # CDS Hooks: typ is REQUIRED and fixed "JWT" (RFC 7519 §5.1: compare case-insensitively).
        if not isinstance(typ, str) or typ.upper() != "JWT":
            raise _Refused("typ")
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
        except (OverflowError, ValueError, TypeError):  # e.g. "exp": 1e400 (PyJWT's int())
            raise _Refused("claims", client.iss) from None
        caller, forget_after = self._check_claims(client, claims)
        await self._check_replay(client.iss, claims["jti"], forget_after)
        return caller

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

    def _check_claims(
        self, client: TrustedClient, claims: dict[str, Any]
    ) -> tuple[AuthenticatedClient, float]:
        """What PyJWT does not check: types, lifetime, age, tenant. Also: when to forget the jti."""
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
        # The lifetime the issuer gave the token, from its own two claims: no clock skew in it.
        if not 0 < exp - iat <= self.max_lifetime_s:
            raise _Refused("lifetime", client.iss)
        # Implied by the two checks above and PyJWT's exp check, kept explicit: a token issued
        # long ago is refused even if a verifier bug let its exp through.
        if self.wall_clock() - iat > self.max_lifetime_s + self.leeway_s:
            raise _Refused("iat-too-old", client.iss)
        if client.tenants is not None and tenant not in client.tenants:
            raise _Refused("tenant", client.iss)
        # Remembered until PyJWT's exp check (exp <= now - leeway) would refuse the token anyway.
        return AuthenticatedClient(client=client, tenant=tenant), exp + self.leeway_s

    async def _check_replay(self, iss: str, jti: str, forget_after: float) -> None:
        now = self.wall_clock()
        if self.replay.blocking:
            verdict = await run_in_threadpool(
                self.replay.add, iss, jti, forget_after=forget_after, now=now
            )
        else:
            verdict = self.replay.add(iss, jti, forget_after=forget_after, now=now)
        if verdict == "full":
            logger.warning("client_auth replay cache full: refusing new tokens")
        if verdict != "new":
            raise _Refused(f"jti-{verdict}", iss)


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
