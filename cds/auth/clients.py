"""The trusted-clients file: which CDS Clients (EHRs) may call us, with their keys and limits.

CDS Hooks 2.0 §Trusting CDS Clients, checklist §1.9. The file (YAML,
``docs/trusted-clients.example.yaml``) is validated by the pydantic models below when the
settings are read, so a bad file stops the start-up; with ``CDS_AUTH_REQUIRED`` on, the settings
also require every client to list its ``fhir_servers``. A caller whose JWT verified
(:mod:`cds.auth.tokens`) is an :class:`AuthenticatedClient`: its entry here and its ``tenant``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from cds.auth.keys import JWK, jwk_problem
from cds.auth.urls import base_url_problem, url_problem


class TrustedClientsError(ValueError):
    """The trusted-clients file is unreadable or invalid; the message names the setting."""


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
            problem = url_problem(value, https_only=True)
            if problem:
                raise ValueError(f"jku {problem}")
        return value

    @field_validator("fhir_servers")
    @classmethod
    def _fhir_server_urls(cls, value: tuple[str, ...] | None) -> tuple[str, ...] | None:
        if value is None:
            return None
        for url in value:
            problem = base_url_problem(url, https_only=False)
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


# --- the authenticated caller ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AuthenticatedClient:
    """A caller whose JWT verified: its entry in the trusted-clients file and its ``tenant``."""

    client: TrustedClient
    tenant: str | None = None

    @property
    def iss(self) -> str:
        """The client's issuer URL."""
        return self.client.iss
