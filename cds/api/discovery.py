"""``GET /cds-services``: the discovery document, generated from :mod:`cds.services`."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse

from cds.api.deps import authenticate_client
from cds.cdshooks import dump
from cds.services import discovery

router = APIRouter(dependencies=[Depends(authenticate_client)])

# Static for the life of the process: build and prune it once.
_DISCOVERY: dict[str, Any] = dump(discovery())


@router.get("/cds-services", response_model=None)
async def list_services() -> JSONResponse:
    """The three services, their hooks and prefetch templates (CDS Hooks §Discovery)."""
    return JSONResponse(_DISCOVERY)
