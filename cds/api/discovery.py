"""``GET /cds-services``: the discovery document, generated from :mod:`cds.services`.

Public, also with ``CDS_AUTH_REQUIRED`` on: the document is static, the same for every caller,
holds no patient data and is published in the repository; an EHR fetches it while registering,
before a key exchange. A token sent with it is not checked (README «Authentication (JWT)»).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from cds.cdshooks import dump
from cds.services import discovery

router = APIRouter()

# Static for the life of the process: build and prune it once.
_DISCOVERY: dict[str, Any] = dump(discovery())


@router.get("/cds-services", response_model=None)
async def list_services() -> JSONResponse:
    """The three services, their hooks and prefetch templates (CDS Hooks §Discovery)."""
    return JSONResponse(_DISCOVERY)
