"""FastAPI dependencies: what a route needs, each overridable in tests.

``create_app`` puts ``settings`` on ``app.state``; the lifespan adds ``registry``, ``store`` and
``http_client``. Tests replace any of them with ``app.dependency_overrides[get_x] = ...``;
overriding :func:`get_registry` also stops the lifespan from loading criteria from disk.

* ``SettingsDep`` (:func:`get_app_settings`): the app's ``Settings``;
* ``RegistryDep`` (:func:`get_registry`): criteria, loaded once at start-up;
* ``ClockDep`` (:func:`get_today`): today's date, the only clock (tests pin it);
* ``StoreDep`` (:func:`get_store`): the feedback store;
* ``AuditDep`` (:func:`get_audit_writer`): the audit log's background writer (cds.audit);
* ``HttpClientDep`` (:func:`get_http_client`): the shared ``httpx.AsyncClient`` (JWKS lookups);
* ``FhirClientDep`` (:func:`get_fhir_client`): the client for FHIR server reads
  (:mod:`cds.record.fhirpool`: bounded fan-out, outbound policy);
* ``ResponderDep`` (:func:`get_responder`): the service's pipeline, ``cds.pipeline.respond`` or
  ``cds.registration.respond`` (tests capture the Record);
* ``ServiceDep`` (:func:`get_service_spec`): the service named in the path, or 404;
* ``JsonBodyDep`` (:func:`read_json_object`): the body as a JSON object (413/400 otherwise);
* ``CallerDep`` (:func:`authenticate_client`): the CDS Client whose JWT verified, or ``None``
  when ``CDS_AUTH_REQUIRED`` is off; attached to the service and feedback routers (discovery,
  ``/docs`` and ``/openapi.json`` are public: README «Authentication (JWT)»).

Dependencies that only read app state are ``async def``: FastAPI runs a plain ``def`` dependency
in the threadpool, a thread hop per dependency and call for an attribute lookup; ``get_today``
too (the clock itself is the plain :func:`today_in_norway`).
"""

from __future__ import annotations

import asyncio
from datetime import date, datetime
from typing import Annotated, Any, Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import httpx
from fastapi import Depends, Path, Request
from starlette.requests import ClientDisconnect

from cds import pipeline, registration
from cds.audit import AuditWriter
from cds.auth.clients import AuthenticatedClient
from cds.auth.tokens import ClientVerifier, audience_for
from cds.cdshooks import CdsResponse, HookRequest
from cds.criteria.registry import Registry
from cds.errors import (
    ClientDisconnected,
    MalformedJson,
    PayloadTooLarge,
    RequestTimeout,
    UnknownService,
)
from cds.feedback_store import FeedbackStore
from cds.record.model import Record
from cds.services import SERVICES, ServiceSpec, get_service
from cds.settings import Settings
from cds.wirejson import TooDeep, parse_json


class Responder(Protocol):
    """The signature of ``cds.pipeline.respond``."""

    def __call__(
        self,
        request: HookRequest,
        record: Record,
        registry: Registry,
        settings: Settings,
        *,
        today: date,
        explain: bool = ...,
    ) -> CdsResponse: ...


def _state(request: Request, name: str) -> Any:
    try:
        return getattr(request.app.state, name)
    except AttributeError:
        # Only when the app runs without its lifespan (e.g. TestClient used without `with`).
        raise RuntimeError(f"app.state.{name} is not set: was the lifespan run?") from None


async def get_app_settings(request: Request) -> Settings:
    """The ``Settings`` given to ``create_app``."""
    settings: Settings = _state(request, "settings")
    return settings


async def get_registry(request: Request) -> Registry:
    """The criteria registry loaded at start-up."""
    registry: Registry = _state(request, "registry")
    return registry


def _oslo() -> ZoneInfo | None:
    try:
        return ZoneInfo("Europe/Oslo")
    except ZoneInfoNotFoundError:  # no tz database in the image: fall back to the host's zone
        return None


# The GP's calendar day decides "within 30 days", not the server's (often UTC) clock.
_OSLO = _oslo()


def today_in_norway() -> date:
    """Today's date in Norway. The one clock of the service: evaluation never reads the time."""
    return datetime.now(_OSLO).date() if _OSLO is not None else date.today()


async def get_today(request: Request) -> date:
    """The date calls are evaluated at: ``CDS_TODAY`` when set (demos, benchmarks), else
    :func:`today_in_norway`."""
    settings: Settings = _state(request, "settings")
    return settings.today if settings.today is not None else today_in_norway()


async def get_store(request: Request) -> FeedbackStore:
    """The feedback store opened at start-up."""
    store: FeedbackStore = _state(request, "store")
    return store


async def get_audit_writer(request: Request) -> AuditWriter:
    """The audit writer started at start-up."""
    writer: AuditWriter = _state(request, "audit_writer")
    return writer


async def get_http_client(request: Request) -> httpx.AsyncClient:
    """The shared HTTP client for FHIR server reads (one connection pool per process)."""
    client: httpx.AsyncClient = _state(request, "http_client")
    return client


async def get_fhir_client(request: Request) -> httpx.AsyncClient:
    """The client for FHIR server reads: process-wide limits, a pool per FHIR server origin."""
    client: httpx.AsyncClient = _state(request, "fhir_client")
    return client


# Published in the OpenAPI document, so that fuzzers reach the services; others get 404.
ServiceIdPath = Annotated[
    str, Path(description="a CDS service id", json_schema_extra={"enum": [s.id for s in SERVICES]})
]


async def get_service_spec(service_id: ServiceIdPath) -> ServiceSpec:
    """The service named by the ``{service_id}`` path parameter; 404 if there is none."""
    service = get_service(service_id)
    if service is None:
        raise UnknownService()
    return service


async def get_responder(service_id: ServiceIdPath) -> Responder:
    """The service's pipeline: ``cds.registration.respond`` for the registration proposals,
    else ``cds.pipeline.respond``; looked up per call so a monkeypatched pipeline is honoured."""
    service = get_service(service_id)
    if service is not None and service.pipeline == "registration":
        return registration.respond
    return pipeline.respond


SettingsDep = Annotated[Settings, Depends(get_app_settings)]
RegistryDep = Annotated[Registry, Depends(get_registry)]
ClockDep = Annotated[date, Depends(get_today)]
StoreDep = Annotated[FeedbackStore, Depends(get_store)]
AuditDep = Annotated[AuditWriter, Depends(get_audit_writer)]
HttpClientDep = Annotated[httpx.AsyncClient, Depends(get_http_client)]
FhirClientDep = Annotated[httpx.AsyncClient, Depends(get_fhir_client)]
ResponderDep = Annotated[Responder, Depends(get_responder)]
ServiceDep = Annotated[ServiceSpec, Depends(get_service_spec)]


async def authenticate_client(
    request: Request, settings: SettingsDep, http: HttpClientDep
) -> AuthenticatedClient | None:
    """The calling CDS Client, verified by its JWT (CDS Hooks §Trusting CDS Clients).

    With ``CDS_AUTH_REQUIRED`` on, :class:`cds.auth.tokens.ClientVerifier` checks
    ``Authorization: Bearer <JWT>`` (``typ``, trusted ``iss``/``jku``, signature by ``kid``,
    ``aud`` = ``CDS_PUBLIC_BASE_URL`` + the request path, never the ``Host`` header,
    ``exp``/``iat`` lifetime and age, ``jti`` once, tenant) and any failure is
    :class:`cds.errors.Unauthorized` (401 with ``WWW-Authenticate``, no detail). Off: ``None``,
    every caller is trusted.
    The result is also put on ``request.state.cds_client`` for routes. FastAPI caches it per
    request, so the router dependency and a route's ``CallerDep`` verify once. CORS preflights
    never get here: the CORS middleware answers them before routing.
    """
    verifier: ClientVerifier | None = _state(request, "client_verifier")
    caller = None
    if verifier is not None:
        # The settings refuse auth on without a public URL; never fall back to the Host header.
        if not settings.public_base_url:
            raise RuntimeError("CDS_PUBLIC_BASE_URL is required with CDS_AUTH_REQUIRED")
        audience = audience_for(request, settings.public_base_url)
        caller = await verifier.verify(request.headers.get("authorization"), audience, http)
    request.state.cds_client = caller
    return caller


CallerDep = Annotated[AuthenticatedClient | None, Depends(authenticate_client)]


async def read_json_object(request: Request, settings: SettingsDep) -> dict[str, Any]:
    """The request body as a JSON object.

    408 if it has not arrived within ``settings.body_timeout_s`` (a slow upload); 400 if the
    client closed the connection before all of it arrived.
    413 if longer than ``settings.max_body_bytes``: checked on ``Content-Length`` and again while
    reading, since the header may be missing (chunked) or lie. 400 if not JSON, not an object or
    nested over about 200 levels. Lone surrogates are replaced (:func:`cds.wirejson.parse_json`).
    """
    limit = settings.max_body_bytes
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(limit)
    chunks: list[bytes] = []
    size = 0
    try:
        async with asyncio.timeout(settings.body_timeout_s):
            async for chunk in request.stream():
                size += len(chunk)
                if size > limit:
                    raise PayloadTooLarge(limit)
                chunks.append(chunk)
    except TimeoutError:
        raise RequestTimeout(settings.body_timeout_s) from None
    except ClientDisconnect:  # closed mid-upload: a client error, not a 500 (cds.errors)
        raise ClientDisconnected() from None
    try:
        data = parse_json(b"".join(chunks))
    except TooDeep:  # over about 200 levels (cds.wirejson)
        raise MalformedJson("body nests too deeply") from None
    except ValueError:  # JSONDecodeError, bad UTF-8, NaN/Infinity
        raise MalformedJson("body is not valid JSON") from None
    if not isinstance(data, dict):
        raise MalformedJson("body must be a JSON object")
    return data


JsonBodyDep = Annotated[dict[str, Any], Depends(read_json_object)]
