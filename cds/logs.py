"""Privacy-safe logging: set-up, the per-call ``hookInstance`` context, and safe exception logs.

What may be logged: ``hookInstance``, service id, prefetch key names, HTTP status codes, timings,
card counts and indicators. What may not: patient ids, names, free text, FHIR content, tokens, or
exception *messages* (they often quote the offending value). :func:`log_exception` therefore logs
the exception type and stack frames only.

The access log (logger ``cds.access``, one JSON object per line and request, written by
:class:`cds.api.middleware.AccessLogMiddleware`) replaces the server's: method, the path with
every id replaced by ``{id}`` (:func:`redacted_path`), status, duration and the hookInstance; never
the query string (a token sent as ``?access_token=`` was logged verbatim by uvicorn's). Every line
of ours has its control characters escaped, so a client cannot forge or split log lines.
"""

from __future__ import annotations

import json
import logging
import re
import traceback
from collections.abc import Iterator, MutableMapping
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

# Correlates every log line of one hook call (spec §hookInstance) without passing it around.
hook_instance: ContextVar[str] = ContextVar("hook_instance", default="-")

_UNSAFE = re.compile(r"[^A-Za-z0-9._:-]")
_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(hook_instance)s] %(message)s"
# Third-party loggers that would log request URLs (which carry the patient id) at INFO.
_QUIET = ("httpx", "httpcore")
ACCESS_LOGGER = "cds.access"
# The server's own access log, off even when uvicorn was started without --no-access-log.
_SERVER_ACCESS_LOGGERS = ("uvicorn.access",)
# C0 and C1 control characters, DEL and the Unicode line/paragraph separators.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
# Path segments kept in access logs: our routes' fixed words and the FHIR resource types a prober
# is likely to try (``/Patient/{id}``). Every other segment may be an id (or worse): ``{id}``.
_PATH_WORDS = frozenset(
    {"cds-services", "feedback", "healthz", "docs", "redoc", "openapi.json", "oauth2-redirect"}
    | {"Patient", "Observation", "Condition", "MedicationStatement", "MedicationRequest"}
    | {"Encounter", "DiagnosticReport", "ServiceRequest", "Procedure", "metadata"}
)
_MAX_PATH_SEGMENTS = 8
_TEMPLATE_PARAM = re.compile(r"\{[^}]*\}")
# Fields the current request's access-log line gets from inside the route (the hookInstance).
_access_fields: ContextVar[dict[str, str] | None] = ContextVar("access_fields", default=None)


class HookInstanceFilter(logging.Filter):
    """Adds ``record.hook_instance`` so the format can show it on every line."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.hook_instance = hook_instance.get()
        return True


def escape_controls(text: str) -> str:
    """``text`` with control characters written as ``\\xNN``/``\\uNNNN`` (one line, no forgery)."""
    return _CONTROL.sub(_escape_one, text)


def _escape_one(match: re.Match[str]) -> str:
    code = ord(match.group(0))
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


class EscapingFormatter(logging.Formatter):
    """A formatter whose lines never contain control characters (see :func:`escape_controls`)."""

    def format(self, record: logging.LogRecord) -> str:
        return escape_controls(super().format(record))


class JsonFormatter(logging.Formatter):
    """One JSON object per line (``CDS_LOG_FORMAT=json``), for log shippers: time, level, logger,
    hookInstance and message, ASCII-escaped (so no control character or forged line gets in).

    The message is the same text as in the plain format: what it may contain is decided where it
    is logged (README «Privacy and logging»), not here.
    """

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, str] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        instance = getattr(record, "hook_instance", None)
        if instance and instance != "-":
            line["hookInstance"] = str(instance)
        if record.exc_info:
            # Type and frames only: an exception message may hold patient data (cds.logs).
            line["exception"] = record.exc_info[0].__name__ if record.exc_info[0] else "?"
        return json.dumps(line, ensure_ascii=True)


def silence_server_access_log() -> None:
    """Switch uvicorn's access log off (it logs query strings); again at start-up, because
    uvicorn's logging configuration, applied after ``create_app`` in tests, switches it on."""
    for name in _SERVER_ACCESS_LOGGERS:
        logging.getLogger(name).disabled = True


def configure_logging(level: str = "INFO", fmt: str = "text") -> None:
    """Log ``cds.*`` to stderr at ``level``; idempotent, and leaves the root logger alone.

    ``fmt`` is ``text`` (one readable line) or ``json`` (:class:`JsonFormatter`). ``cds.access``
    gets its own handler writing bare JSON lines, and the server's access log is switched off.
    """
    cds_logger = logging.getLogger("cds")
    cds_logger.setLevel(level.upper())
    formatter = JsonFormatter() if fmt == "json" else EscapingFormatter(_FORMAT)
    for existing in cds_logger.handlers:
        if getattr(existing, "_cds_handler", False):
            existing.setFormatter(formatter)  # a second app in the process may ask for the other
    if not any(getattr(h, "_cds_handler", False) for h in cds_logger.handlers):
        handler = logging.StreamHandler()
        handler.setFormatter(formatter)
        handler.addFilter(HookInstanceFilter())
        handler._cds_handler = True  # type: ignore[attr-defined]  # marker for idempotence
        cds_logger.addHandler(handler)
    access = logging.getLogger(ACCESS_LOGGER)
    access.setLevel(logging.INFO)  # the access log does not follow CDS_LOG_LEVEL=WARNING
    access.propagate = False
    if not any(getattr(h, "_cds_handler", False) for h in access.handlers):
        access_handler = logging.StreamHandler()
        access_handler.setFormatter(EscapingFormatter("%(message)s"))
        access_handler._cds_handler = True  # type: ignore[attr-defined]
        access.addHandler(access_handler)
    silence_server_access_log()
    for name in _QUIET:
        # httpx logs "HTTP Request: GET https://ehr/fhir/Patient/<id>" at INFO: never wanted.
        logging.getLogger(name).setLevel(max(logging.WARNING, logging.getLogger(name).level))


def safe_id(value: str) -> str:
    """A client-supplied id fit for a log line: at most 64 characters, no spaces or newlines.

    A hookInstance is a UUID (36 characters); anything else is cut and masked so a client can
    neither forge log lines nor smuggle text into them.
    """
    return _UNSAFE.sub("?", value[:64])


@contextmanager
def bound_hook_instance(value: str) -> Iterator[None]:
    """Within the block, log lines carry ``value`` (made safe) as the hookInstance."""
    safe = safe_id(value)
    token = hook_instance.set(safe)
    fields = _access_fields.get()
    if fields is not None:
        fields["hookInstance"] = safe
    try:
        yield
    finally:
        hook_instance.reset(token)


def log_exception(logger: logging.Logger, message: str, exc: BaseException) -> None:
    """Log ``message``, the exception type and where it happened, but not its message text."""
    frames = traceback.extract_tb(exc.__traceback__)
    where = " <- ".join(
        f"{f.filename.rsplit('/', 1)[-1]}:{f.lineno}:{f.name}" for f in frames[::-1]
    )
    logger.error("%s exc=%s at %s", message, type(exc).__name__, where or "?")


def redacted_path(scope: MutableMapping[str, Any]) -> str:
    """The request path fit for a log line: no ids, no query string, at most 8 segments.

    A routed request logs its route's template with every parameter as ``{id}``
    (``/cds-services/{id}/feedback``); any other path keeps only the words of
    :data:`_PATH_WORDS` (``/Patient/{id}``).
    """
    route = scope.get("route")
    template = getattr(route, "path", None)
    if isinstance(template, str):
        return _TEMPLATE_PARAM.sub("{id}", template)
    path = str(scope.get("path", ""))
    segments = path.split("/")[1:]
    kept = [s if s in _PATH_WORDS or not s else "{id}" for s in segments[:_MAX_PATH_SEGMENTS]]
    if len(segments) > _MAX_PATH_SEGMENTS:
        kept.append("…")
    return "/" + "/".join(kept)


@contextmanager
def access_fields() -> Iterator[dict[str, str]]:
    """Within the block, :func:`bound_hook_instance` adds ``hookInstance`` to the yielded dict."""
    fields: dict[str, str] = {}
    token = _access_fields.set(fields)
    try:
        yield fields
    finally:
        _access_fields.reset(token)


def log_access(method: str, path: str, status: int, duration_ms: float, **extra: str) -> None:
    """The one access-log line of a request, as a JSON object (ASCII, control chars escaped)."""
    line: dict[str, object] = {
        "time": datetime.now(UTC).isoformat(timespec="milliseconds"),
        "method": method,
        "path": path,
        "status": status,
        "duration_ms": round(duration_ms, 1),
        **extra,
    }
    logging.getLogger(ACCESS_LOGGER).info(json.dumps(line, ensure_ascii=True))
