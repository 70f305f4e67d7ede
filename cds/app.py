"""The FastAPI application: routes, error mapping, CORS, and what lives for the whole process.

Run with ``cds serve`` (uvicorn with our limits and without its access log and ``server``
banner: :func:`cds.cli.uvicorn_options`). Every response carries ``Cache-Control: no-store``
and ``X-Content-Type-Options: nosniff`` and gets one JSON access-log line
(:mod:`cds.api.middleware`). The lifespan loads the criteria registry once, opens the database
(migrating it, cds.db) with the audit writer (cds.audit), an ``httpx.AsyncClient`` for the
service's own lookups (the trusted clients' JWKS) and the FHIR read client of
:mod:`cds.record.fhirpool` (bounded fan-out, one connection pool per FHIR server, the outbound
policy of :mod:`cds.record.outbound`), and closes them on shutdown (the audit queue is drained
first).

With ``CDS_AUTH_REQUIRED`` on, every service and feedback call must carry a CDS Client JWT
(:func:`cds.api.deps.authenticate_client`, :mod:`cds.auth.tokens`); the verifier and its key
cache live on ``app.state`` for the life of the process, and its ``jti`` replay guard is the
``jwt_replay`` table of the feedback database (:mod:`cds.auth.replay_store`), shared by every
worker and instance. Discovery, ``/docs``, ``/redoc`` and ``/openapi.json`` are public (README
«Authentication (JWT)»), and so are ``/healthz``, ``/readyz`` and ``/metrics`` (:mod:`cds.api.ops`;
the docs pages load no asset from another host: :mod:`cds.api.docs_ui`). Off (the default, for
development), any caller is trusted and a warning says so at start-up. The settings refuse auth
on without ``CDS_PUBLIC_BASE_URL`` or with a client that lists no ``fhir_servers``;
:func:`_client_verifier` checks again, so that settings built without validation cannot start
either.
"""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial

import httpx
from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from sqlalchemy.pool import StaticPool
from starlette.concurrency import run_in_threadpool

from cds.api import discovery, feedback, hooks, sandbox
from cds.api.admission import PipelineGate
from cds.api.deps import get_registry
from cds.api.docs_ui import install_docs
from cds.api.metrics import HookStatusMiddleware
from cds.api.middleware import EdgeMiddleware
from cds.api.openapi import install_openapi
from cds.api.ops import install_ops_routes
from cds.audit import AuditWriter
from cds.auth.replay_store import SqlReplayStore
from cds.auth.tokens import ClientVerifier
from cds.errors import install_error_handlers
from cds.feedback_store import FeedbackStore
from cds.logs import configure_logging, silence_server_access_log
from cds.record.fhirpool import make_fhir_client
from cds.settings import Settings, get_settings
from cds.version import service_version
from cds.wirejson import JsonResponse

logger = logging.getLogger(__name__)


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Load criteria, open the feedback store and the HTTP client; close them at shutdown."""
    settings: Settings = app.state.settings
    silence_server_access_log()
    if get_registry not in app.dependency_overrides:
        # Imported here so that tests overriding the registry never read criteria from disk.
        from cds.criteria.loader import load_registry

        # A broken criteria file must stop the start-up, naming file and field (loader's job).
        app.state.registry = await run_in_threadpool(load_registry, settings.criteria_dir)
    store = await run_in_threadpool(
        partial(FeedbackStore.from_url, migrate=settings.db_migrate_on_start),
        settings.database_url,
    )
    app.state.store = store
    verifier: ClientVerifier | None = app.state.client_verifier
    if verifier is not None and not isinstance(store.engine.pool, StaticPool):
        # Shared by every worker and instance. An in-memory SQLite database belongs to this one
        # process, so the in-process cache the verifier starts with is exact there.
        replay = SqlReplayStore(store.engine)
        await run_in_threadpool(replay.create_schema)
        verifier.replay = replay
    audit_writer = AuditWriter(
        store.database,
        queue_size=settings.audit_queue_size,
        retention_days=settings.audit_retention_days,
    )
    audit_writer.start()
    app.state.audit_writer = audit_writer
    # Made here, inside the server's event loop, like every other asyncio object of the app.
    app.state.pipeline_gate = PipelineGate(
        settings.pipeline_concurrency, settings.pipeline_max_queued, settings.retry_after_s
    )
    try:
        # Redirects are never followed: one could carry a token to another host. Proxy settings
        # from the environment are ignored, as for FHIR reads (cds.record.fhirpool).
        async with httpx.AsyncClient(
            follow_redirects=False,
            timeout=httpx.Timeout(settings.fhir_timeout_s),
            trust_env=False,
        ) as client:
            app.state.http_client = client
            async with make_fhir_client(settings) as fhir_client:
                app.state.fhir_client = fhir_client
                _freeze_startup_objects()
                yield
    finally:
        # Drain the audit queue before the connections go (cds.audit: flush on shutdown).
        await run_in_threadpool(audit_writer.stop)
        store.close()


_startup_frozen = False
# Allocations between young collections (CPython's default is 700); see below.
_YOUNG_GC_THRESHOLD = 10_000


def _freeze_startup_objects() -> None:
    """Move what start-up built out of the cyclic garbage collector's way, once per process.

    Loading the criteria, pydantic and the FHIR model classes leaves hundreds of thousands of
    long-lived objects. A large record's JSON creates enough short-lived containers to trigger
    full collections, and each full pass walked all of those objects: the slowest calls of
    ``make bench --breakdown`` were garbage-collector pauses. ``gc.freeze`` keeps them out of
    every later pass, and a higher first-generation threshold (10 000 allocations instead of 700)
    means a large record's parse triggers a few young collections instead of hundreds (bench,
    3 000 Observations: collector time per call p95 ≈ 150 ms -> ≈ 10 ms). Once per process: a
    second app in the same process (tests) would otherwise freeze the first one's garbage for good.
    """
    global _startup_frozen
    if _startup_frozen:
        return
    _startup_frozen = True
    gc.collect()
    gc.freeze()
    _, older, oldest = gc.get_threshold()
    gc.set_threshold(_YOUNG_GC_THRESHOLD, older, oldest)


def create_app(settings: Settings | None = None) -> FastAPI:
    """The service, configured by ``settings`` (default: from the environment)."""
    settings = settings if settings is not None else get_settings()
    configure_logging(settings.log_level, settings.log_format)
    app = FastAPI(
        title="Pakkeforløp CDS",
        summary="CDS Hooks 2.0 service for Norwegian cancer patient pathway referrals",
        lifespan=lifespan,
        default_response_class=JsonResponse,
        version=service_version(),
        # Our own /docs and /redoc serve their assets locally (cds.api.docs_ui), not from a CDN.
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.client_verifier = _client_verifier(settings)
    if settings.today is not None:
        logger.warning(
            "CDS_TODAY is set: every call is evaluated as of %s, not today; for demos and "
            "benchmarks only",
            settings.today.isoformat(),
        )
    app.include_router(discovery.router)
    app.include_router(hooks.router)
    app.include_router(feedback.router)
    if settings.sandbox:
        app.include_router(sandbox.router)
    install_ops_routes(app)
    install_docs(app)
    install_openapi(app)
    install_error_handlers(app)
    app.add_middleware(HookStatusMiddleware)
    # Added last, so it is the outermost layer: error responses carry CORS headers too, and the
    # browser shows the OperationOutcome instead of an opaque CORS failure.
    app.add_middleware(
        CORSMiddleware,
        allow_origins=list(settings.cors_origins),
        allow_methods=["GET", "POST", "OPTIONS"],
        allow_headers=["Authorization", "Content-Type", "Accept"],
        # The JWT travels in a header, never in cookies: no credentials mode needed.
        allow_credentials=False,
    )
    # Outside CORS, so that preflights and error answers get the headers and the log line too.
    app.add_middleware(EdgeMiddleware, max_header_bytes=settings.max_header_bytes)
    return app


def _client_verifier(settings: Settings) -> ClientVerifier | None:
    """The JWT verifier for the trusted clients, or ``None`` (and a warning) when auth is off."""
    if settings.dev_mode:
        logger.warning(
            "CDS_DEV_MODE is on: FHIR servers over plain http and on loopback are called; "
            "for development only"
        )
    if not settings.auth_required:
        logger.warning(
            "CDS_AUTH_REQUIRED is off: any caller is trusted (no CDS Client JWT is checked); "
            "for development only"
        )
        return None
    if not settings.public_base_url:
        raise RuntimeError("CDS_AUTH_REQUIRED is on but CDS_PUBLIC_BASE_URL is not set")
    unlisted = [c.iss for c in settings.trusted_clients if c.fhir_servers is None]
    if unlisted:
        raise RuntimeError(f"trusted client(s) {unlisted} list no fhir_servers")
    logger.info(
        "CDS Client JWT required: %d trusted clients, algorithms %s, max lifetime %d s",
        len(settings.trusted_clients),
        ",".join(settings.auth_algorithms),
        settings.jwt_max_lifetime_s,
    )
    return ClientVerifier(
        settings.trusted_clients,
        algorithms=settings.auth_algorithms,
        leeway_s=settings.auth_leeway_s,
        max_lifetime_s=settings.jwt_max_lifetime_s,
    )
