"""Trusting CDS Clients: who may call us (the trusted-clients file) and where a caller may send us
(its ``fhir_servers``). CDS Hooks 2.0 §Trusting CDS Clients, checklist §1.9.

The trusted-clients file (YAML, ``docs/trusted-clients.example.yaml``) is validated by the
pydantic models below when the settings are read, so a bad file stops the start-up; with
``CDS_AUTH_REQUIRED`` on, the settings also require every client to list its ``fhir_servers``.

Verifying a call's JWT lives in :mod:`cds.auth.tokens`, JWK Sets in :mod:`cds.auth.keys`, the
``jti`` replay guard in :mod:`cds.auth.replay` and :mod:`cds.auth.replay_store`. Their public
names are re-exported here (lazily: those modules import this one), so
``from cds.client_auth import ClientVerifier`` keeps working.
"""

from __future__ import annotations

import importlib
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jwt
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from cds.errors import InvalidRequest, Issue

logger = logging.getLogger(__name__)

JWK = dict[str, Any]

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


def public_url_problem(url: str) -> str | None:
    """Why ``url`` cannot be ``CDS_PUBLIC_BASE_URL`` (https, loopback excepted; no query)."""
    problem = _url_problem(url, https_only=True)
    if problem is None and urlsplit(url).query:
        problem = "must have no query"
    return problem


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


_MOVED = {
    "ClientVerifier": "cds.auth.tokens",
    "audience_for": "cds.auth.tokens",
    "MAX_TOKEN_LIFETIME_S": "cds.auth.tokens",
    "JwksCache": "cds.auth.keys",
    "JwksUnavailable": "cds.auth.keys",
    "parse_jwks": "cds.auth.keys",
    "ReplayCache": "cds.auth.replay",
}


def __getattr__(name: str) -> Any:
    """The names that moved to :mod:`cds.auth` (module docstring)."""
    if name in _MOVED:
        return getattr(importlib.import_module(_MOVED[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
