"""ASGI middleware at the edge of the service: response headers and our access log.

:class:`EdgeMiddleware` does three things. Every response, error or not, carries
  ``Cache-Control: no-store`` (answers hold patient data: no browser, proxy or EHR cache may keep
  them; only the vendored docs assets under ``/static/vendor/`` may be cached for a day) and
  ``X-Content-Type-Options: nosniff`` (a JSON answer is never run as a script or page).
The ``server`` banner is switched off in uvicorn (``cds serve``: ``server_header=False``).
One JSON line per request (:func:`cds.logs.log_access`) instead of
the server's access log: method, path with ids redacted, status, duration, hookInstance; never
the query string, never a patient id. Request headers over ``CDS_MAX_HEADER_BYTES`` get 431.

Pure ASGI rather than ``BaseHTTPMiddleware``: no extra task per request, and the route runs in
the same context, so the hookInstance it binds reaches the access-log line.
"""

from __future__ import annotations

import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from cds.errors import Issue, error_response
from cds.logs import access_fields, log_access, redacted_path

SECURITY_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"cache-control", b"no-store"),
    (b"x-content-type-options", b"nosniff"),
)
# The vendored Swagger UI / ReDoc files (cds/static/vendor, ~3 MB) hold no patient data and change
# only with a release: a browser may keep them for a day instead of fetching them on every visit.
_PUBLIC_ASSETS = "/static/vendor/"
_PUBLIC_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"cache-control", b"public, max-age=86400"),
    (b"x-content-type-options", b"nosniff"),
)
_REPLACED = frozenset(name for name, _ in SECURITY_HEADERS) | {b"server"}
_431 = "request headers too large"


class EdgeMiddleware:
    """Header-size limit, :data:`SECURITY_HEADERS` on every response, one access-log line.

    Request headers larger than ``max_header_bytes`` in all are answered ``431`` (h11's own limit
    only applies to headers that arrive in pieces; a single large packet passed it).
    """

    def __init__(self, app: ASGIApp, max_header_bytes: int) -> None:
        self.app = app
        self.max_header_bytes = max_header_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # if nothing was sent, the server answers 500 or drops the connection

        async def send_edge(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                headers = [
                    (name, value)
                    for name, value in message.get("headers", [])
                    if name.lower() not in _REPLACED
                ]
                public = str(scope.get("path", "")).startswith(_PUBLIC_ASSETS) and status == 200
                message["headers"] = headers + list(_PUBLIC_HEADERS if public else SECURITY_HEADERS)
            await send(message)

        with access_fields() as fields:
            try:
                if sum(len(k) + len(v) for k, v in scope["headers"]) > self.max_header_bytes:
                    too_large = error_response(431, [Issue(code="too-long", diagnostics=_431)])
                    await too_large(scope, receive, send_edge)
                else:
                    await self.app(scope, receive, send_edge)
            finally:
                log_access(
                    str(scope.get("method", "")),
                    redacted_path(scope),
                    status,
                    (time.perf_counter() - started) * 1000,
                    **fields,
                )
