"""Gather the record for one hook call: decode prefetch, fetch what is missing, build a ``Record``.

Each prefetch key of the service is decoded as follows (spec §Prefetch Template, checklist §1.4):

=================================  ==========================================================
prefetch value                     what we do
=================================  ==========================================================
key absent                         fetch from ``fhirServer``
``null``                           "no data": used as an empty result, **not** re-fetched
``OperationOutcome``               the client hit an error: treated as absent (re-fetched)
Bundle with an error/fatal         treated as absent (re-fetched)
``OperationOutcome`` entry
Bundle                             its entries' resources; ``next`` pages followed on
                                   ``fhirServer`` (bounded by ``settings.fhir_max_pages``)
the resource itself (read keys)    used
anything else (wrong shape, e.g.   treated as absent (re-fetched) and logged by key name: the
a string, or a Bundle for a read)  client broke the template contract, but refusing with 422
                                   would punish the patient for it when the server can still
                                   answer; with no server a REQUIRED key still ends in 412
=================================  ==========================================================

Missing keys are fetched concurrently, at most ``settings.fhir_call_concurrency`` at once (the
process-wide limits are in :mod:`cds.record.fhirpool`), each read bounded by
``settings.fhir_timeout_s`` and all of them together by ``settings.fhir_budget_s``. The budget is a
hard deadline: reads still running then are cancelled, and the cancellations are awaited for at
most :data:`CANCEL_GRACE_S` (a read that does not end even then is left to finish on its own and
logged; the answer does not wait for it). A REQUIRED key that cannot be had raises
:class:`~cds.errors.DataUnavailable` (HTTP 412), and as soon as one has failed the other reads
are cancelled (the answer is 412 whatever they bring); an OPTIONAL one goes into
``Record.missing``.

The 412 says «FHIR server unavailable» whatever the server did (refused by the outbound policy,
closed port, timeout, HTTP 404, not JSON, ...): telling the caller which would let it map ports
and hosts through us. The log keeps the reason (fixed phrases, never a URL).

Incomplete data (a ``next`` page we could not or would not read: no ``fhirServer``, a link to
another host, the page bound, a failed page read) is **used**, and the key is put in
``Record.missing`` so the referral says the list may be incomplete. Templates sort newest first,
so the pages we have hold the latest results.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Coroutine
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import httpx

from cds.cdshooks import HookRequest
from cds.errors import DataUnavailable, FhirFetchError
from cds.record.fhirclient import (
    FhirServer,
    Pages,
    follow_pages,
    get_json,
    has_error_outcome,
    is_bundle,
    is_operation_outcome,
    next_link,
    read_entries,
)
from cds.record.model import Record, Resource
from cds.services import PrefetchKey, ServiceSpec
from cds.settings import Settings

logger = logging.getLogger(__name__)

# How long cancelled reads are awaited after the budget ends (cancellation is normally immediate).
CANCEL_GRACE_S = 0.1
# What the caller is told for every failure that depends on what the FHIR server (or the network)
# did; failures that follow from the request alone (no fhirServer) keep their own words.
SERVER_UNAVAILABLE = "FHIR server unavailable"
# Tasks cancelled at the deadline that had not ended within the grace: kept referenced until they
# do (an unreferenced pending task may be garbage-collected mid-flight).
_stragglers: set[asyncio.Task[Any]] = set()

_TOKEN = re.compile(r"\{\{\s*([A-Za-z0-9_.]+)\s*\}\}")
# 2.0 user tokens: the id part of context.userId when it is of this resource type.
_USER_TOKENS = {
    "userPractitionerId": "Practitioner",
    "userPractitionerRoleId": "PractitionerRole",
    "userPatientId": "Patient",
    "userRelatedPersonId": "RelatedPerson",
}


def fill_template(template: str, context: dict[str, Any]) -> str | None:
    """The template with its tokens replaced (URL-encoded); ``None`` if a token has no value."""
    missing = False

    def value_of(match: re.Match[str]) -> str:
        nonlocal missing
        token = match.group(1)
        value: object = None
        if token.startswith("context."):
            value = context.get(token.removeprefix("context."))
        elif token in _USER_TOKENS:
            user = context.get("userId")
            kind, _, ident = user.partition("/") if isinstance(user, str) else ("", "", "")
            value = ident if kind == _USER_TOKENS[token] else None
        if not isinstance(value, str) or not value:
            missing = True
            return ""
        # Encoded so that a value cannot add path segments or query parameters.
        return quote(value, safe="")

    filled = _TOKEN.sub(value_of, template)
    return None if missing else filled


@dataclass(slots=True)
class _KeyData:
    """One key's outcome: resources (complete or not), or unavailable with a reason."""

    resources: list[Resource] = field(default_factory=list)
    complete: bool = True
    unavailable: str | None = None  # the reason, for the log
    public: str = SERVER_UNAVAILABLE  # what the 412 says when unavailable


_ABSENT = object()


def _decode(spec: PrefetchKey, value: object, context: dict[str, Any]) -> _KeyData | None:
    """A prefetched value as data, or ``None`` when it counts as absent (see module docstring)."""
    if value is None:
        return _KeyData()
    if is_operation_outcome(value):
        logger.info("prefetch %s is an OperationOutcome; treated as absent", spec.key)
        return None
    if spec.kind == "read":
        if isinstance(value, dict) and value.get("resourceType") == spec.resource_type:
            if not _is_the_requested(spec, value, context):
                # Another patient's record must never be evaluated for this one.
                logger.warning("prefetch %s is not the resource the context names", spec.key)
                return None
            return _KeyData([value])
    elif is_bundle(value):
        resources, error = read_entries(value)
        if error:
            logger.info("prefetch %s holds an error OperationOutcome; treated as absent", spec.key)
            return None
        # Incomplete while a next page is unread; gather_record then tries to read it.
        return _KeyData(resources, complete=next_link(value) is None)
    logger.warning("prefetch %s has the wrong shape; treated as absent", spec.key)
    return None


def _is_the_requested(spec: PrefetchKey, resource: Resource, context: dict[str, Any]) -> bool:
    """A read's resource id matches the id its template asks for (e.g. ``context.patientId``)."""
    relative = fill_template(spec.template, context)
    if relative is None or "?" in relative:
        return True
    return relative.rsplit("/", 1)[-1] == resource.get("id")


class _Gatherer:
    """The reads for one hook call; holds what every read needs."""

    def __init__(
        self, server: FhirServer | None, settings: Settings, client: httpx.AsyncClient
    ) -> None:
        self.server = server
        self.settings = settings
        self.client = client
        # The per-call limit: a record's keys do not all hit the server at once.
        self.limit = asyncio.Semaphore(settings.fhir_call_concurrency)

    async def follow(self, first: Resource) -> _KeyData:
        async with self.limit:
            return await self._follow(first)

    async def fetch(self, spec: PrefetchKey, context: dict[str, Any]) -> _KeyData:
        if self.server is None:
            return _KeyData(unavailable="no usable fhirServer", public="no usable fhirServer")
        relative = fill_template(spec.template, context)
        if relative is None:
            reason = "template token without value"
            return _KeyData(unavailable=reason, public=reason)
        async with self.limit:
            return await self._fetch(spec, context, self.server, relative)

    async def _follow(self, first: Resource) -> _KeyData:
        pages: Pages = await follow_pages(
            self.client,
            self.server,
            first,
            max_pages=self.settings.fhir_max_pages,
            timeout_s=self.settings.fhir_timeout_s,
            max_bytes=self.settings.max_body_bytes,
        )
        return _KeyData(pages.resources, complete=pages.complete)

    async def _fetch(
        self, spec: PrefetchKey, context: dict[str, Any], server: FhirServer, relative: str
    ) -> _KeyData:
        try:
            data = await get_json(
                self.client,
                server,
                server.url_for(relative),
                timeout_s=self.settings.fhir_timeout_s,
                max_bytes=self.settings.max_body_bytes,
            )
        except FhirFetchError as exc:
            return _KeyData(unavailable=exc.reason)
        if spec.kind == "read":
            if data.get("resourceType") != spec.resource_type:
                return _KeyData(unavailable="unexpected resourceType")
            if not _is_the_requested(spec, data, context):
                return _KeyData(unavailable="server returned another resource than requested")
            return _KeyData([data])
        if not is_bundle(data):
            return _KeyData(unavailable="search did not return a Bundle")
        if has_error_outcome(data):
            return _KeyData(unavailable="Bundle with an error OperationOutcome")
        return await self._follow(data)  # already holds the per-call slot


async def gather_record(
    request: HookRequest, service: ServiceSpec, settings: Settings, client: httpx.AsyncClient
) -> Record:
    """The record for ``request``: prefetch first, ``fhirServer`` for the rest.

    Raises :class:`~cds.errors.DataUnavailable` naming the REQUIRED keys that could not be had.
    """
    token = request.fhir_authorization.access_token if request.fhir_authorization else None
    server = FhirServer.parse(request.fhir_server, token)
    gatherer = _Gatherer(server, settings, client)
    prefetch: dict[str, Any] = request.prefetch or {}

    data: dict[str, _KeyData] = {}
    pending: dict[str, Coroutine[Any, Any, _KeyData]] = {}
    for spec in service.prefetch:
        value = prefetch.get(spec.key, _ABSENT)
        decoded = None if value is _ABSENT else _decode(spec, value, request.context)
        if decoded is None:
            pending[spec.key] = gatherer.fetch(spec, request.context)
            continue
        # Kept as the fallback if the budget ends while further pages are read.
        data[spec.key] = decoded
        if not decoded.complete and is_bundle(value):
            pending[spec.key] = gatherer.follow(value)

    required = frozenset(spec.key for spec in service.prefetch if spec.required)
    data.update(await _run_within_budget(pending, settings.fhir_budget_s, data, required))
    return _build_record(service, data)


async def _run_within_budget(
    pending: dict[str, Coroutine[Any, Any, _KeyData]],
    budget_s: float,
    fallback: dict[str, _KeyData],
    required: frozenset[str],
) -> dict[str, _KeyData]:
    """Run the reads concurrently until all are done, the budget ends, or a REQUIRED key fails.

    A failed REQUIRED key makes the answer 412 whatever else arrives, so the other reads are
    cancelled at once: under a hanging or overloaded server that frees their slots for calls that
    can still succeed, instead of holding them until the deadline. A read still going at the end
    counts as failed (the fallback, when there is one, is a prefetched first page).
    """
    if not pending:
        return {}
    tasks = {key: asyncio.create_task(coro) for key, coro in pending.items()}
    loop = asyncio.get_running_loop()
    deadline = loop.time() + budget_s
    late: set[asyncio.Task[_KeyData]] = set(tasks.values())
    doomed = False
    while late and not doomed and (left := deadline - loop.time()) > 0:
        done, late = await asyncio.wait(late, timeout=left, return_when=asyncio.FIRST_COMPLETED)
        doomed = any(key in required and _failed(tasks[key]) for key in tasks if tasks[key] in done)
    await _cancel(late)
    why = "not read: a required key failed" if doomed else "time budget exceeded"
    out: dict[str, _KeyData] = {}
    for key, task in tasks.items():
        if task in late:
            # Logged once per call with the other reasons (_build_record), not once per key.
            out[key] = fallback.get(key) or _KeyData(unavailable=why)
        else:
            out[key] = task.result()  # unexpected errors propagate: the route degrades gracefully
    return out


def _failed(task: asyncio.Task[_KeyData]) -> bool:
    """A finished read that gave no data (an unexpected error is not "failed": it propagates)."""
    return task.exception() is None and task.result().unavailable is not None


async def _cancel(tasks: set[asyncio.Task[_KeyData]]) -> None:
    """Cancel ``tasks`` and wait for that, but at most :data:`CANCEL_GRACE_S`.

    Waited for, so that no read outlives the hook call (the token is revoked after it), but only
    briefly: the deadline is the caller's, not the FHIR server's.
    """
    if not tasks:
        return
    for task in tasks:
        task.cancel()
    _ended, stuck = await asyncio.wait(tasks, timeout=CANCEL_GRACE_S)
    for task in stuck:
        logger.warning("a cancelled FHIR read did not end within %.2f s", CANCEL_GRACE_S)
        _stragglers.add(task)
        task.add_done_callback(_forget)


def _forget(task: asyncio.Task[Any]) -> None:
    _stragglers.discard(task)
    if not task.cancelled():
        task.exception()  # retrieved, so asyncio does not log it as never retrieved


def _build_record(service: ServiceSpec, data: dict[str, _KeyData]) -> Record:
    """The ``Record``, or :class:`DataUnavailable` for REQUIRED keys we could not get."""
    unavailable: dict[str, str] = {}
    reasons: dict[str, str] = {}
    missing: list[str] = []
    patient: Resource | None = None
    resources: dict[str, list[Resource]] = {}
    seen: set[tuple[str, str]] = set()
    for spec in service.prefetch:
        item = data[spec.key]
        if item.unavailable is not None:
            reasons[spec.key] = item.unavailable
            if spec.required:
                unavailable[spec.key] = item.public
            else:
                missing.append(spec.key)
            continue
        if not item.complete:
            missing.append(spec.key)
        if spec.kind == "read" and spec.resource_type == "Patient":
            patient = item.resources[0] if item.resources else None
            continue
        for resource in item.resources:
            kind: str = resource["resourceType"]
            ident = resource.get("id")
            if isinstance(ident, str):
                if (kind, ident) in seen:  # the same resource from two keys or two pages
                    continue
                seen.add((kind, ident))
            resources.setdefault(kind, []).append(resource)
    if reasons:
        # Key names and fixed reason phrases only (see fhirclient): no patient data. Optional
        # keys alone are routine (many EHRs do not prefetch medications): INFO, not WARNING.
        logger.log(
            logging.WARNING if unavailable else logging.INFO,
            "prefetch unavailable: %s",
            ", ".join(f"{k} ({v})" for k, v in reasons.items()),
        )
    if unavailable:
        raise DataUnavailable(unavailable)
    return Record(patient=patient, resources=resources, missing=tuple(missing))
