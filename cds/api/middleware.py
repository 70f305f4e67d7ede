"""ASGI middleware at the edge of the service: response headers and our access log.

* :class:`ResponseHeadersMiddleware`: every response, error or not, carries
  ``Cache-Control: no-store`` (answers hold patient data: no browser, proxy or EHR cache may keep
  them) and ``X-Content-Type-Options: nosniff`` (a JSON answer is never run as a script or page).
  The ``server`` banner is switched off in uvicorn (``cds serve``: ``server_header=False``).
* :class:`AccessLogMiddleware`: one JSON line per request (:func:`cds.logs.log_access`) instead of
  the server's access log: method, path with ids redacted, status, duration, hookInstance. Never
  the query string, never a patient id.

Pure ASGI rather than ``BaseHTTPMiddleware``: no extra task per request, and the route runs in
the same context, so the hookInstance it binds reaches the access-log line.
"""

from __future__ import annotations

import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from cds.logs import access_fields, log_access, redacted_path

SECURITY_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"cache-control", b"no-store"),
    (b"x-content-type-options", b"nosniff"),
)
_REPLACED = frozenset(name for name, _ in SECURITY_HEADERS) | {b"server"}


class ResponseHeadersMiddleware:
    """Adds :data:`SECURITY_HEADERS` to every HTTP response (replacing any the app set)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [
                    (name, value)
                    for name, value in message.get("headers", [])
                    if name.lower() not in _REPLACED
                ]
                message["headers"] = headers + list(SECURITY_HEADERS)
            await send(message)

        await self.app(scope, receive, send_with_headers)


class AccessLogMiddleware:
    """Writes the access-log line of each HTTP request when its response has been sent."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # if nothing was sent, the server answers 500 or drops the connection

        async def send_tracking(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        with access_fields() as fields:
            try:
                await self.app(scope, receive, send_tracking)
            finally:
                log_access(
                    str(scope.get("method", "")),
                    redacted_path(scope),
                    status,
                    (time.perf_counter() - started) * 1000,
                    **fields,
                )
