"""Privacy-safe logging: set-up, the per-call ``hookInstance`` context, and safe exception logs.

What may be logged: ``hookInstance``, service id, prefetch key names, HTTP status codes, timings,
card counts and indicators. What may not: patient ids, names, free text, FHIR content, tokens, or
exception *messages* (they often quote the offending value). :func:`log_exception` therefore logs
the exception type and stack frames only.
"""

from __future__ import annotations

import logging
import re
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

# Correlates every log line of one hook call (spec §hookInstance) without passing it around.
hook_instance: ContextVar[str] = ContextVar("hook_instance", default="-")

_UNSAFE = re.compile(r"[^A-Za-z0-9._:-]")
_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(hook_instance)s] %(message)s"
# Third-party loggers that would log request URLs (which carry the patient id) at INFO.
_QUIET = ("httpx", "httpcore")


class HookInstanceFilter(logging.Filter):
    """Adds ``record.hook_instance`` so the format can show it on every line."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.hook_instance = hook_instance.get()
        return True


def configure_logging(level: str = "INFO") -> None:
    """Log ``cds.*`` to stderr at ``level``; idempotent, and leaves the root logger alone."""
    cds_logger = logging.getLogger("cds")
    cds_logger.setLevel(level.upper())
    if not any(getattr(h, "_cds_handler", False) for h in cds_logger.handlers):
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter(_FORMAT))
        handler.addFilter(HookInstanceFilter())
        handler._cds_handler = True  # type: ignore[attr-defined]  # marker for idempotence
        cds_logger.addHandler(handler)
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
    token = hook_instance.set(safe_id(value))
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
