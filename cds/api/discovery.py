"""``GET /cds-services``: the discovery document, generated from :mod:`cds.services`."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends

from cds.api.deps import authenticate_client
from cds.api.openapi import error_responses
from cds.cdshooks import Discovery, dump
from cds.services import discovery
from cds.wirejson import JsonResponse

router = APIRouter(dependencies=[Depends(authenticate_client)])

# Static for the life of the process: build and prune it once.
_DISCOVERY: dict[str, Any] = dump(discovery())


@router.get(
    "/cds-services",
    response_model=None,
    responses={
        200: {"model": Discovery, "description": "CDS Hooks §Discovery"},
        **error_responses(401),
    },
)
async def list_services() -> JsonResponse:
    """The three services, their hooks and prefetch templates (CDS Hooks §Discovery)."""
    return JsonResponse(_DISCOVERY)
