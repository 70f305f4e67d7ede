"""The sandbox page at ``/``: try the services on the example patients in a browser, offline.

Plain HTML, CSS and JavaScript from ``cds/static/sandbox/`` (no build step, nothing from a CDN);
the page calls the real endpoints (discovery, ``/cds-services/{id}``, feedback) like an EHR would.
Three helper routes serve it:

* ``GET /sandbox/examples``: the example patients of ``examples/*.json`` with the descriptions of
  examples/README.md's table. The folder is part of the repository, not of the installed package:
  without it the list is empty (the page says so and offers paste/upload instead);
* ``GET /sandbox/examples/{name}``: one example Bundle (404 ``OperationOutcome`` otherwise);
* ``POST /sandbox/request`` ``{bundle, hook}``: the hook request body built by
  :func:`cds.record.bundle.request_from_bundle`, exactly what ``cds evaluate`` sends, so the page
  does not reimplement it (422 ``OperationOutcome`` when the Bundle or hook is unusable);
* ``POST /sandbox/cds-services/{id}?today=YYYY-MM-DD``: the service route itself
  (:func:`cds.api.hooks.call_service`: same checks, authentication, audit row and answer),
  evaluated at ``today`` instead of the service's clock, like ``cds evaluate --today``. The
  examples are written for 2026-11-20; evaluated later, their results age out of the rules'
  look-back windows and the cards the README promises do not come. Only the caller's own
  answer changes; without ``today`` it is the ordinary call.

The example files are fictional patients (examples/README.md); a pasted Bundle is only turned into
a request and never stored or logged. The static files are served from a fixed list, never from a
path the caller names.
"""

from __future__ import annotations

import json
import re
from datetime import date
from functools import partial
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import FileResponse
from starlette.concurrency import run_in_threadpool

from cds.api import hooks
from cds.api.admission import GateDep, admit
from cds.api.deps import (
    AuditDep,
    CallerDep,
    ClockDep,
    FhirClientDep,
    JsonBodyDep,
    RegistryDep,
    ResponderDep,
    ServiceDep,
    SettingsDep,
)
from cds.errors import HttpError, InvalidRequest, Issue
from cds.record.bundle import HOOKS, BundleError, request_from_bundle
from cds.settings import REPO_ROOT
from cds.wirejson import JsonResponse

router = APIRouter(include_in_schema=False)

STATIC_DIR = Path(__file__).resolve().parent.parent / "static" / "sandbox"
EXAMPLES_DIR = REPO_ROOT / "examples"
_ASSETS: dict[str, str] = {
    "app.js": "text/javascript; charset=utf-8",
    "style.css": "text/css; charset=utf-8",
}
# The page loads only its own files and talks only to this service; the letter's iframe is
# sandboxed (no scripts) and inherits this policy.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
    "img-src 'self' data:; frame-src 'self'; base-uri 'none'; form-action 'none'; "
    "frame-ancestors 'none'"
)
_HEADERS = {"Content-Security-Policy": CONTENT_SECURITY_POLICY, "Referrer-Policy": "no-referrer"}
# Example names as they appear in file names; anything else is not an example (no path tricks).
_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,79}$")
# A row of examples/README.md's table: | `name.json` | patient | record | expected card |
_ROW = re.compile(r"^\|\s*`(?P<name>[a-z0-9-]+)\.json`\s*\|(?P<cells>.*)\|\s*$")


class NotFound(HttpError):
    """404: no example patient, or no page file, with this name."""

    status = 404

    def __init__(self, what: str) -> None:
        super().__init__([Issue(code="not-found", diagnostics=f"unknown {what}")])


@router.get("/")
async def page() -> FileResponse:
    """The sandbox page."""
    return FileResponse(STATIC_DIR / "index.html", media_type="text/html", headers=_HEADERS)


@router.get("/static/sandbox/{asset}")
async def static_asset(asset: str) -> FileResponse:
    """The page's script and style sheet (a fixed list)."""
    media_type = _ASSETS.get(asset)
    if media_type is None:
        raise NotFound("file")
    return FileResponse(STATIC_DIR / asset, media_type=media_type, headers=_HEADERS)


def list_examples(folder: Path | None = None) -> list[dict[str, str]]:
    """The example patients in ``folder`` (default: examples/) with their README descriptions."""
    folder = folder if folder is not None else EXAMPLES_DIR
    if not folder.is_dir():
        return []
    described = _descriptions(folder / "README.md")
    examples = []
    for path in sorted(folder.glob("*.json")):
        if _NAME.match(path.stem):
            examples.append({"name": path.stem, **described.get(path.stem, {})})
    return examples


def _descriptions(readme: Path) -> dict[str, dict[str, str]]:
    """``name -> {patient, record, expected}`` from the README's table (empty if unreadable)."""
    try:
        lines = readme.read_text(encoding="utf-8").splitlines()
    except OSError:
        return {}
    out: dict[str, dict[str, str]] = {}
    for line in lines:
        match = _ROW.match(line)
        if match is None:
            continue
        cells = [cell.strip() for cell in match["cells"].split("|")]
        if len(cells) == 3:
            out[match["name"]] = dict(zip(("patient", "record", "expected"), cells, strict=True))
    return out


def load_example(name: str, folder: Path | None = None) -> dict[str, Any]:
    """The example Bundle ``name`` (default folder: examples/); :class:`NotFound` if none."""
    path = (folder if folder is not None else EXAMPLES_DIR) / f"{name}.json"
    if not _NAME.match(name) or not path.is_file():
        raise NotFound("example")
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


@router.get("/sandbox/examples")
async def examples(settings: SettingsDep) -> JsonResponse:
    """The example patients, and the date the service evaluates at when ``CDS_TODAY`` is set."""
    found = await run_in_threadpool(list_examples)
    body: dict[str, Any] = {"examples": found}
    if settings.today is not None:
        body["today"] = settings.today.isoformat()
    return JsonResponse(body)


@router.get("/sandbox/examples/{name}")
async def example(name: str) -> JsonResponse:
    """One example patient's record Bundle."""
    return JsonResponse(await run_in_threadpool(load_example, name))


@router.post("/sandbox/request")
async def build_request(body: JsonBodyDep) -> JsonResponse:
    """The CDS Hooks request ``cds evaluate`` would send for ``{bundle, hook}``."""
    hook = body.get("hook")
    if hook not in HOOKS:
        raise InvalidRequest(
            [
                Issue(
                    code="required" if hook is None else "code-invalid",
                    diagnostics=f"hook must be one of {', '.join(HOOKS)}",
                    expression="hook",
                )
            ]
        )
    bundle = body.get("bundle")
    if not isinstance(bundle, dict):
        raise InvalidRequest(
            [
                Issue(
                    code="required" if bundle is None else "structure",
                    diagnostics="bundle must be a FHIR Bundle (a JSON object)",
                    expression="bundle",
                )
            ]
        )
    try:
        request = await run_in_threadpool(partial(request_from_bundle, bundle, hook=str(hook)))
    except BundleError as exc:
        # The message names the problem, never patient data (cds.record.bundle).
        raise InvalidRequest(
            [Issue(code="invalid", diagnostics=str(exc), expression="bundle")]
        ) from None
    return JsonResponse(request)


@router.post("/sandbox/cds-services/{service_id}")
async def call_service_at(
    _admitted: Annotated[None, Depends(admit)],
    gate: GateDep,
    service: ServiceDep,
    body: JsonBodyDep,
    settings: SettingsDep,
    registry: RegistryDep,
    clock: ClockDep,
    client: FhirClientDep,
    respond: ResponderDep,
    caller: CallerDep,
    audit_log: AuditDep,
    today: Annotated[date | None, Query(description="the date to evaluate at")] = None,
    explain: Annotated[bool, Query(description="add the explanation (README «Explain»)")] = False,
) -> JsonResponse:
    """The service's answer to a hook call, evaluated at ``today`` (default: the service's date).

    ``CallerDep`` authenticates exactly as the service router does (CDS Client JWT when on).
    """
    return await hooks.call_service(
        _admitted,
        gate,
        service,
        body,
        settings,
        registry,
        today if today is not None else clock,
        client,
        respond,
        caller,
        audit_log,
        explain=explain,
    )
