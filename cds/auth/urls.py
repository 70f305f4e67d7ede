"""The URL shapes the trust settings accept: ``jku``, ``fhir_servers`` entries, the public base URL.

Plain absolute http(s) URLs only: no user info, no fragment, no dot segments (also
percent-encoded), no spaces or control characters; https where a token or key travels (loopback
excepted, for a server on the same host). Shared by the trusted-clients file
(:mod:`cds.auth.clients`), the settings (``CDS_PUBLIC_BASE_URL``) and the fhirServer policy
(:mod:`cds.auth.fhir_servers`).
"""

from __future__ import annotations

from urllib.parse import urlsplit

DEFAULT_PORTS = {"http": 80, "https": 443}
_LOOPBACK = frozenset({"localhost", "127.0.0.1", "::1"})
# The problem url_problem names for a plain http URL where https is required.
NOT_HTTPS = "must use https"


def url_problem(url: str, *, https_only: bool) -> str | None:
    """Why ``url`` is not a plain absolute http(s) URL we may call, or ``None``."""
    if any(c.isspace() or c == "\\" or not c.isprintable() for c in url):
        return "must not contain spaces, backslashes or control characters"
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a malformed port
    except ValueError:
        return "is not a valid URL"
    if parts.scheme not in DEFAULT_PORTS or not parts.hostname:
        return "must be an absolute http(s) URL"
    if https_only and parts.scheme != "https" and parts.hostname not in _LOOPBACK:
        return NOT_HTTPS
    if parts.username is not None or parts.fragment:
        return "must have no user info and no fragment"
    if not _clean_path(parts.path):
        return "must not contain '.' or '..' path segments"
    return None


def base_url_problem(url: str, *, https_only: bool) -> str | None:
    """Why ``url`` cannot be a base URL (as :func:`url_problem`, and no query), or ``None``."""
    problem = url_problem(url, https_only=https_only)
    if problem is None and urlsplit(url).query:
        problem = "must have no query"
    return problem


def public_url_problem(url: str) -> str | None:
    """Why ``url`` cannot be ``CDS_PUBLIC_BASE_URL`` (https, loopback excepted; no query)."""
    return base_url_problem(url, https_only=True)


def _clean_path(path: str) -> bool:
    # Dot segments (also percent-encoded) could climb out of an allowed base path once resolved.
    segments = path.lower().replace("%2e", ".").split("/")
    return not any(segment in (".", "..") for segment in segments)
