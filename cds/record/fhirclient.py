"""Reading from the EHR's FHIR server (``fhirServer``) with the hook's token, and Bundle paging.

Safety rules, all enforced here so callers cannot forget them:

* the access token goes only to URLs under ``fhirServer`` (same scheme, host, port and base path);
  a ``next`` link anywhere else is not followed (:meth:`FhirServer.owns`);
* redirects are never followed (a redirect could carry the token elsewhere);
* every read has a timeout and a size cap, and a page chain is bounded (``max_pages``);
* failure reasons are short fixed phrases (``"HTTP 401"``, ``"timeout"``): never a URL, because
  URLs carry the patient id. They are for the log only: the caller is told «FHIR server
  unavailable» (:mod:`cds.record.prefetch`).

Whether a URL may be called at all (https, public addresses, DNS pinning) is decided by
:mod:`cds.record.outbound`, and how many reads run at once by :mod:`cds.record.fhirpool`: both sit
in the ``httpx`` client the service passes in.

Bundles are only unwrapped (entries, ``next`` link, error outcomes); resources are not interpreted.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from typing import TypeGuard
from urllib.parse import urljoin, urlsplit

import httpx

from cds.errors import FhirFetchError
from cds.metrics import FHIR_READ_FAILURES, FHIR_READS, fhir_failure_kind
from cds.record.model import Resource
from cds.wirejson import json_integer

logger = logging.getLogger(__name__)

_DEFAULT_PORTS = {"http": 80, "https": 443}
_ERROR_SEVERITIES = frozenset({"error", "fatal"})


@dataclass(frozen=True, slots=True)
class FhirServer:
    """The EHR's FHIR base URL and the hook's access token (never in ``repr``, so never logged)."""

    base_url: str
    access_token: str | None = field(default=None, repr=False)

    @classmethod
    def parse(cls, base_url: str | None, access_token: str | None) -> FhirServer | None:
        """A server for an absolute http(s) URL without user info; ``None`` for anything else."""
        if not base_url:
            return None
        parts = urlsplit(base_url)
        if parts.scheme not in _DEFAULT_PORTS or not parts.hostname or parts.username is not None:
            return None
        return cls(base_url.rstrip("/"), access_token)

    def url_for(self, relative: str) -> str:
        """The absolute URL of a relative FHIR query such as ``Patient/123``."""
        return f"{self.base_url}/{relative.lstrip('/')}"

    def resolve(self, link: str) -> str:
        """A Bundle link as an absolute URL (FHIR says absolute; tolerate relative ones)."""
        return urljoin(self.base_url + "/", link)

    def owns(self, url: str) -> bool:
        """True if ``url`` is under this server, so it may receive the token."""
        try:
            mine, other = urlsplit(self.base_url), urlsplit(url)
            mine_port = mine.port or _DEFAULT_PORTS[mine.scheme]
            other_port = other.port or _DEFAULT_PORTS.get(other.scheme, -1)
        except ValueError:  # e.g. a non-numeric port
            return False
        base_path = mine.path.rstrip("/")
        return (
            other.scheme == mine.scheme
            and other.username is None
            and (other.hostname or "").lower() == (mine.hostname or "").lower()
            and other_port == mine_port
            and (other.path == base_path or other.path.startswith(base_path + "/"))
        )

    def headers(self) -> dict[str, str]:
        """Request headers: FHIR JSON, plus the bearer token when the hook gave one."""
        headers = {"Accept": "application/fhir+json"}
        if self.access_token:
            headers["Authorization"] = f"Bearer {self.access_token}"
        return headers


# --- Bundle unwrapping --------------------------------------------------------------------------


def is_bundle(value: object) -> TypeGuard[Resource]:
    """True for a JSON object with ``resourceType`` ``Bundle``."""
    return isinstance(value, dict) and value.get("resourceType") == "Bundle"


def is_operation_outcome(value: object) -> TypeGuard[Resource]:
    """True for a JSON object with ``resourceType`` ``OperationOutcome``."""
    return isinstance(value, dict) and value.get("resourceType") == "OperationOutcome"


def _entry_resources(bundle: Resource) -> list[Resource]:
    entries = bundle.get("entry")
    if not isinstance(entries, list):
        return []
    out = []
    for entry in entries:
        resource = entry.get("resource") if isinstance(entry, dict) else None
        if isinstance(resource, dict) and isinstance(resource.get("resourceType"), str):
            out.append(resource)
    return out


def has_error_outcome(bundle: Resource) -> bool:
    """True if an entry is an ``OperationOutcome`` with an ``error`` or ``fatal`` issue.

    Warnings and information (e.g. a search ``outcome`` entry saying a parameter was ignored)
    do not make the data unusable.
    """
    return read_entries(bundle)[1]


def bundle_resources(bundle: Resource) -> list[Resource]:
    """The entries' resources, without ``OperationOutcome`` entries (they are not patient data)."""
    return read_entries(bundle)[0]


def read_entries(bundle: Resource) -> tuple[list[Resource], bool]:
    """:func:`bundle_resources` and :func:`has_error_outcome` in one pass over the entries (a
    prefetched search holds thousands)."""
    resources: list[Resource] = []
    error = False
    for resource in _entry_resources(bundle):
        if resource["resourceType"] != "OperationOutcome":
            resources.append(resource)
            continue
        issues = resource.get("issue")
        if isinstance(issues, list) and any(
            isinstance(i, dict) and i.get("severity") in _ERROR_SEVERITIES for i in issues
        ):
            error = True
    return resources, error


def next_link(bundle: Resource) -> str | None:
    """The URL of ``link[relation=next]``, if any."""
    links = bundle.get("link")
    if not isinstance(links, list):
        return None
    for link in links:
        if isinstance(link, dict) and link.get("relation") == "next":
            url = link.get("url")
            if isinstance(url, str) and url:
                return url
    return None


# --- HTTP ---------------------------------------------------------------------------------------


async def get_json(
    client: httpx.AsyncClient, server: FhirServer, url: str, *, timeout_s: float, max_bytes: int
) -> Resource:
    """GET one FHIR resource as JSON; :class:`FhirFetchError` on any failure.

    An ``OperationOutcome`` body, even with a 2xx status, is a failure: it carries no patient data.
    Counted in :mod:`cds.metrics` (reads, and failures by kind: never the URL).
    """
    FHIR_READS.inc()
    try:
        return await _get_json(client, server, url, timeout_s=timeout_s, max_bytes=max_bytes)
    except FhirFetchError as exc:
        FHIR_READ_FAILURES.labels(fhir_failure_kind(exc.reason)).inc()
        raise


async def _get_json(
    client: httpx.AsyncClient, server: FhirServer, url: str, *, timeout_s: float, max_bytes: int
) -> Resource:
    if not server.owns(url):
        raise FhirFetchError("refused: URL outside fhirServer")
    chunks: list[bytes] = []
    try:
        async with client.stream(
            "GET",
            url,
            headers=server.headers(),
            timeout=httpx.Timeout(timeout_s),
            follow_redirects=False,
        ) as response:
            if not 200 <= response.status_code < 300:
                raise FhirFetchError(f"HTTP {response.status_code}")
            size = 0
            async for chunk in response.aiter_bytes():
                size += len(chunk)
                if size > max_bytes:
                    raise FhirFetchError("response too large")
                chunks.append(chunk)
    except httpx.TimeoutException as exc:
        raise FhirFetchError("timeout") from exc
    except httpx.HTTPError as exc:
        # Only the type: httpx messages quote the URL, which carries the patient id.
        raise FhirFetchError(f"unreachable ({type(exc).__name__})") from exc
    try:
        # An over-long integer is infinite, not «not JSON»: the facts stage refuses that value.
        data = json.loads(b"".join(chunks), parse_int=json_integer)
    except (ValueError, RecursionError) as exc:
        raise FhirFetchError("not JSON") from exc
    if not isinstance(data, dict) or not isinstance(data.get("resourceType"), str):
        raise FhirFetchError("not a FHIR resource")
    if data["resourceType"] == "OperationOutcome":
        raise FhirFetchError("OperationOutcome")
    return data


@dataclass(slots=True)
class Pages:
    """Resources of a page chain; ``complete`` is False when a ``next`` page was left unread."""

    resources: list[Resource]
    complete: bool = True
    pages: int = 1


async def follow_pages(
    client: httpx.AsyncClient,
    server: FhirServer | None,
    first: Resource,
    *,
    max_pages: int,
    timeout_s: float,
    max_bytes: int,
) -> Pages:
    """All resources of ``first`` and its ``next`` pages, at most ``max_pages`` pages in all.

    Never raises for a later page: what was read is kept and ``complete`` says the chain broke
    (no server, a link outside the server, the page bound, or a failed read).
    """
    result = Pages(bundle_resources(first))
    page = first
    while (link := next_link(page)) is not None:
        if server is None:
            result.complete = False
            break
        url = server.resolve(link)
        if not server.owns(url):
            # The token must not leave fhirServer; unauthenticated reads elsewhere are no better.
            logger.warning("next link outside fhirServer not followed")
            result.complete = False
            break
        if result.pages >= max_pages:
            logger.warning("page bound reached (%d pages)", max_pages)
            result.complete = False
            break
        try:
            page = await get_json(client, server, url, timeout_s=timeout_s, max_bytes=max_bytes)
        except FhirFetchError as exc:
            logger.warning("next page not read: %s", exc.reason)
            result.complete = False
            break
        resources, error = read_entries(page) if is_bundle(page) else ([], True)
        if error:
            logger.warning("next page is not a usable Bundle")
            result.complete = False
            break
        result.resources.extend(resources)
        result.pages += 1
    return result
