"""What the OpenAPI document (``/openapi.json``) says about our routes: bodies and error shapes.

The hook and feedback routes read the raw body themselves (:func:`cds.api.deps.read_json_object`:
size limit, fast parser, surrogate repair) instead of letting FastAPI validate a model, so FastAPI
alone would publish no request body and its own ``HTTPValidationError`` for 422. API fuzzers
(schemathesis in tests/api/test_fuzz_openapi.py) and integrators read this document, so it
declares what the routes really take and answer:

* request bodies: :class:`cds.cdshooks.HookRequest` and :class:`cds.cdshooks.FeedbackRequest`
  (``openapi_extra``; the schemas are added to ``components`` by :func:`install_openapi`);
* answers: the CDS Hooks response, discovery and :class:`FeedbackAnswer` on 200, and
  :class:`OperationOutcome` on every error status (:func:`error_responses`).
"""

from __future__ import annotations

from typing import Any, Literal

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel, Field
from pydantic.json_schema import models_json_schema

from cds.cdshooks import FeedbackRequest, HookRequest

_REF = "#/components/schemas/{model}"
# The request models the routes validate by hand; their schemas go into components.
_REQUEST_MODELS: tuple[type[BaseModel], ...] = (HookRequest, FeedbackRequest)

_DESCRIPTIONS = {
    400: "Body is not JSON, not a JSON object, or nested over about 200 levels",
    401: "No valid CDS Client JWT (only when CDS_AUTH_REQUIRED is on)",
    404: "No CDS service with this id",
    408: "Body not received within CDS_BODY_TIMEOUT_S",
    412: "Required prefetch data neither prefetched nor readable from fhirServer",
    413: "Body larger than CDS_MAX_BODY_BYTES",
    422: "JSON that is not a valid request for this service",
    503: (
        "Temporarily unavailable: the feedback database is down, or this worker's hook-call queue "
        "is full (see Retry-After); send the request again"
    ),
}


class OperationOutcomeIssue(BaseModel):
    """One ``OperationOutcome.issue`` as :func:`cds.errors.operation_outcome` writes it."""

    severity: Literal["fatal", "error", "warning", "information"]
    code: str
    diagnostics: str
    expression: list[str] | None = None


class OperationOutcome(BaseModel):
    """The FHIR R4 ``OperationOutcome`` every error answer carries."""

    resource_type: Literal["OperationOutcome"] = Field(alias="resourceType")
    issue: list[OperationOutcomeIssue] = Field(min_length=1)


class FeedbackAnswer(BaseModel):
    """The 200 answer to feedback: items received, and how many were new (not repeated)."""

    received: int
    stored: int


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """FastAPI ``responses=``: each status answered with an :class:`OperationOutcome`."""
    return {
        status: {"model": OperationOutcome, "description": _DESCRIPTIONS[status]}
        for status in statuses
    }


def json_body(model: type[BaseModel], description: str) -> dict[str, Any]:
    """``openapi_extra`` declaring ``model`` as the required JSON body of a route."""
    return {
        "requestBody": {
            "required": True,
            "description": description,
            "content": {
                "application/json": {"schema": {"$ref": _REF.format(model=model.__name__)}}
            },
        }
    }


def install_openapi(app: FastAPI) -> None:
    """Make ``app.openapi()`` include the request models' schemas (built once, then cached)."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = get_openapi(
                title=app.title,
                version=app.version,
                summary=app.summary,
                description=app.description,
                routes=app.routes,
            )
            _, schemas = models_json_schema(
                [(model, "validation") for model in _REQUEST_MODELS],
                by_alias=True,
                ref_template=_REF,
            )
            components = document.setdefault("components", {}).setdefault("schemas", {})
            for name, schema in schemas.get("$defs", {}).items():
                components.setdefault(name, schema)
            app.openapi_schema = document
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
