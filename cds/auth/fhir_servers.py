"""Where a caller may send us: the ``fhirServer`` policy for an authenticated CDS Client.

The ``fhirAuthorization`` token and our FHIR reads go wherever ``fhirServer`` points, so with
authentication on, ``fhirServer`` must use https (loopback excepted) and lie under one of the
``fhir_servers`` the trusted-clients file lists for the caller (:mod:`cds.auth.clients`): an SSRF
guard. Which addresses may be connected to at all is the outbound policy's
(:mod:`cds.record.outbound`).
"""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from cds.auth.clients import AuthenticatedClient
from cds.auth.urls import DEFAULT_PORTS, NOT_HTTPS, url_problem
from cds.errors import InvalidRequest, Issue

logger = logging.getLogger(__name__)


def url_under(base: str, url: str) -> bool:
    """True if ``url`` is ``base`` or below it: same scheme, host and port, and path prefix."""
    if url_problem(url, https_only=False) is not None:
        return False
    mine, other = urlsplit(base), urlsplit(url)
    if other.query:
        return False
    base_path = mine.path.rstrip("/")
    mine_port = mine.port or DEFAULT_PORTS[mine.scheme]
    return (
        other.scheme == mine.scheme
        and (other.hostname or "").lower() == (mine.hostname or "").lower()
        and (other.port or DEFAULT_PORTS[other.scheme]) == mine_port
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
    if url_problem(fhir_server, https_only=True) == NOT_HTTPS:
        logger.info("fhirServer refused (not https) iss=%s", caller.iss)
        raise _refused("fhirServer must use https")
    allowed = caller.client.fhir_servers
    if allowed is None or any(url_under(base, fhir_server) for base in allowed):
        return
    logger.info("fhirServer refused iss=%s", caller.iss)
    raise _refused("fhirServer is not a FHIR server registered for this CDS Client")


def _refused(diagnostics: str) -> InvalidRequest:
    issue = Issue(code="security", diagnostics=diagnostics, expression="fhirServer")
    return InvalidRequest([issue])
