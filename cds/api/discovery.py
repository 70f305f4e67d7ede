"""``GET /cds-services``: the discovery document, generated from :mod:`cds.services`.

Public, also with ``CDS_AUTH_REQUIRED`` on: the document is static, the same for every caller,
holds no patient data and is published in the repository; an EHR fetches it while registering,
before a key exchange. A token sent with it is not checked (README «Authentication (JWT)»).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from cds.api.openapi import error_responses
from cds.cdshooks import Discovery, dump
from cds.services import discovery
from cds.wirejson import JsonResponse

router = APIRouter()

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
