"""Our exceptions, the FHIR ``OperationOutcome`` builder, and the one place errors become HTTP.

Exception tree::

    CdsError                      base of everything we raise on purpose
    ├── HttpError                 answered with its HTTP status and OperationOutcome issues
    │   ├── MalformedJson         400  body is not JSON, or JSON but not an object
    │   ├── ClientDisconnected    400  the client closed the connection before its body was in
    │   ├── Unauthorized          401  no valid CDS Client JWT (cds/auth/tokens.py), no detail why
    │   ├── UnknownService        404  no service with this id
    │   ├── RequestTimeout        408  the body did not arrive within ``settings.body_timeout_s``
    │   ├── DataUnavailable       412  a REQUIRED prefetch key was neither prefetched nor fetchable
    │   ├── PayloadTooLarge       413  body longer than ``settings.max_body_bytes``
    │   ├── InvalidRequest        422  JSON that is not a valid hook call / feedback body, or a
    │   │                              fhirServer the authenticated client did not register
    │   └── StorageUnavailable    503  the feedback database failed (not the caller's fault)
    └── FhirFetchError            one read from the EHR's FHIR server failed (never leaves gather:
                                  it becomes ``DataUnavailable`` or an entry in ``Record.missing``)

:func:`install_error_handlers` maps them, FastAPI's own validation errors and Starlette's
``HTTPException`` (404 route, 405 method) to ``OperationOutcome`` bodies.
:class:`CatchAllMiddleware` turns anything else into a logged 500 ``OperationOutcome``; routes
are written so that no *input* gets there (the hook route degrades to ``{"cards": []}`` itself,
checklist §1.8 item 42).

Diagnostics never echo request content: they name fields, keys and reasons, never values, because
values may be patient data.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from cds.cdshooks import CONTEXT_ERROR
from cds.logs import log_exception, redacted_path
from cds.wirejson import JsonResponse

logger = logging.getLogger(__name__)

Severity = Literal["fatal", "error", "warning", "information"]


@dataclass(frozen=True, slots=True)
class Issue:
    """One ``OperationOutcome.issue``: ``code`` from FHIR's IssueType value set."""

    code: str
    diagnostics: str
    severity: Severity = "error"
    expression: str | None = None


def operation_outcome(issues: Sequence[Issue]) -> dict[str, Any]:
    """A FHIR R4 ``OperationOutcome`` with no empty values (CDS Hooks §Use of JSON)."""
    out: list[dict[str, Any]] = []
    for issue in issues:
        item: dict[str, Any] = {
            "severity": issue.severity,
            "code": issue.code,
            "diagnostics": issue.diagnostics,
        }
        if issue.expression:
            item["expression"] = [issue.expression]
        out.append(item)
    return {"resourceType": "OperationOutcome", "issue": out}


class CdsError(Exception):
    """Base of the errors we raise on purpose."""


class HttpError(CdsError):
    """An error answered with ``status`` and an ``OperationOutcome`` naming what was wrong."""

    status: int = 400

    def __init__(self, issues: Sequence[Issue]) -> None:
        super().__init__("; ".join(issue.diagnostics for issue in issues))
        self.issues: tuple[Issue, ...] = tuple(issues)
        self.headers: dict[str, str] = {}  # extra response headers (401: WWW-Authenticate)


class MalformedJson(HttpError):
    """400: the body is not parsable JSON, or is JSON but not an object."""

    status = 400

    def __init__(self, diagnostics: str) -> None:
        super().__init__([Issue(code="structure", diagnostics=diagnostics)])


class ClientDisconnected(HttpError):
    """400: the client went away mid-upload. Its doing, not ours: logged at INFO, no 500.

    Nobody reads the answer (the server drops what is sent to a closed connection); it exists
    so that the access log and the metrics record a client error.
    """

    status = 400

    def __init__(self) -> None:
        super().__init__(
            [Issue(code="incomplete", diagnostics="client disconnected before the body was sent")]
        )


class Unauthorized(HttpError):
    """401 without detail (spec: say nothing about why a JWT was refused).

    Carries the RFC 6750 §3 challenge ``WWW-Authenticate: Bearer realm="cds-hooks"``, with
    ``error="invalid_token"`` when a bearer token was sent but refused (``error=None``: no token,
    and RFC 6750 says to send no error code then). No ``error_description``: no detail.
    """

    status = 401

    def __init__(self, error: str | None = "invalid_token") -> None:
        super().__init__([Issue(code="login", diagnostics="unauthorized")])
        challenge = 'Bearer realm="cds-hooks"'
        self.headers["WWW-Authenticate"] = f'{challenge}, error="{error}"' if error else challenge


class UnknownService(HttpError):
    """404: no CDS service with this id."""

    status = 404

    def __init__(self) -> None:
        # No id in the answer: the path segment is caller input and could be anything (even a
        # patient id pasted by mistake); diagnostics name fields, never values.
        super().__init__([Issue(code="not-found", diagnostics="unknown service")])


class PayloadTooLarge(HttpError):
    """413: the body is longer than the configured limit."""

    status = 413

    def __init__(self, limit: int) -> None:
        super().__init__(
            [Issue(code="too-long", diagnostics=f"request body larger than {limit} bytes")]
        )


class RequestTimeout(HttpError):
    """408: the body was sent too slowly (a slow upload would hold the connection)."""

    status = 408

    def __init__(self, seconds: float) -> None:
        super().__init__(
            [Issue(code="timeout", diagnostics=f"request body not received within {seconds:g} s")]
        )


class InvalidRequest(HttpError):
    """422: valid JSON that is not a valid CDS Hooks request."""

    status = 422


class DataUnavailable(HttpError):
    """412: required prefetch keys could be had neither from prefetch nor from ``fhirServer``."""

    status = 412

    def __init__(self, reasons: dict[str, str]) -> None:
        super().__init__(
            [
                Issue(
                    code="incomplete",
                    diagnostics=f"required prefetch {key!r} was not prefetched and could not be "
                    f"read from fhirServer: {reason}",
                    expression=f"prefetch.{key}",
                )
                for key, reason in reasons.items()
            ]
        )
        self.keys: tuple[str, ...] = tuple(reasons)


class StorageUnavailable(HttpError):
    """503: the feedback database is unavailable; the client may send the feedback again."""

    status = 503

    def __init__(self) -> None:
        super().__init__([Issue(code="transient", diagnostics="feedback could not be stored")])


class FhirFetchError(CdsError):
    """A FHIR server read failed; ``reason`` is short, free of patient data (``"HTTP 401"``)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


# --- HTTP mapping -------------------------------------------------------------------------------

_STARLETTE_CODES = {401: "login", 403: "forbidden", 404: "not-found", 405: "not-supported"}


def error_response(status: int, issues: Sequence[Issue]) -> JsonResponse:
    """The one way an error leaves the service: ``status`` with an ``OperationOutcome`` body."""
    return JsonResponse(operation_outcome(issues), status_code=status)


def validation_issues(errors: Sequence[Any]) -> list[Issue]:
    """Issues from pydantic/FastAPI errors: location and message only, never the input value."""
    issues = []
    for error in errors:
        if error.get("type") == CONTEXT_ERROR:  # names its issues itself (cds.cdshooks)
            issues += [
                Issue(code=code, diagnostics=diagnostics, expression=expression)
                for code, expression, diagnostics in error["ctx"]["issues"]
            ]
            continue
        loc = ".".join(str(part) for part in error.get("loc", ()) if part != "body")
        issues.append(
            Issue(
                code="invalid", diagnostics=str(error.get("msg", "invalid")), expression=loc or None
            )
        )
    return issues or [Issue(code="invalid", diagnostics="invalid request")]


async def _http_error(request: Request, exc: Exception) -> JsonResponse:
    assert isinstance(exc, HttpError)  # noqa: S101 - registered for HttpError only
    logger.info(
        "rejected path=%s status=%d issues=%s",
        redacted_path(request.scope),
        exc.status,
        ",".join(issue.code for issue in exc.issues),
    )
    response = error_response(exc.status, exc.issues)
    response.headers.update(exc.headers)
    return response


async def _fastapi_validation_error(request: Request, exc: Exception) -> JsonResponse:
    assert isinstance(exc, RequestValidationError)  # noqa: S101 - registered for it only
    return error_response(422, validation_issues(exc.errors()))


async def _http_exception(request: Request, exc: Exception) -> JsonResponse:
    assert isinstance(exc, StarletteHTTPException)  # noqa: S101 - registered for it only
    code = _STARLETTE_CODES.get(exc.status_code, "processing")
    response = error_response(exc.status_code, [Issue(code=code, diagnostics=str(exc.detail))])
    if exc.headers:  # e.g. 405's Allow header
        response.headers.update(exc.headers)
    return response


def install_error_handlers(app: FastAPI) -> None:
    """Map our errors, FastAPI validation errors and HTTP exceptions to OperationOutcome bodies."""
    app.add_exception_handler(HttpError, _http_error)
    app.add_exception_handler(RequestValidationError, _fastapi_validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_exception)
    app.add_middleware(CatchAllMiddleware)


class CatchAllMiddleware:
    """Last line of defence: an unexpected exception becomes a logged 500 ``OperationOutcome``.

    A pure ASGI middleware rather than an ``Exception`` handler, because Starlette re-raises after
    calling such a handler and the server would then log the exception message, which may contain
    patient data. Here we log only the exception type and stack frames.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def send_tracking(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, send_tracking)
        except ClientDisconnect:
            # A reader other than cds.api.deps.read_json_object met a client that went away:
            # not a server error, and nobody is listening for an answer.
            logger.info("client disconnected path=%s", redacted_path(scope))
        except Exception as exc:
            log_exception(logger, "unhandled error path=" + redacted_path(scope), exc)
            if started:
                # Headers already sent: nothing valid can follow; the server closes the stream.
                return
            response = error_response(500, [Issue(code="exception", diagnostics="internal error")])
            await response(scope, receive, send)
