"""CDS Hooks 2.0.1 wire models: discovery, request, response (cards) and feedback.

The spec's SHALLs are validators here, so an invalid card cannot be built: ``summary`` under 140
characters, ``selectionBehavior`` whenever there are suggestions, at most one ``isRecommended``
with ``at-most-one``, ``display`` on override reasons, no ``appContext`` on absolute links.
Serialise with :func:`dump` (``by_alias``, ``exclude_none``) so no ``null`` or empty value leaves
the service (spec §Use of JSON).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator
from pydantic_core import PydanticCustomError

from cds.hooks import ORDER_HOOKS, HookName
from cds.wirejson import nesting_exceeds

SUMMARY_MAX = 139  # spec: "<140-character"

# The pydantic error type of a context problem that names its own OperationOutcome issues
# (``ctx["issues"]``: ``(code, expression, diagnostics)`` triples; cds.errors.validation_issues).
CONTEXT_ERROR = "cds_context"

# Levels of objects/arrays allowed in ``context``. FHIR resources nest about ten levels; the
# draft orders are copied and merged into our suggestions by recursive code, and a draft nested
# ~900 levels deep made that raise (the answer was silently empty). Checked before any other
# validator walks the context, for the HTTP route and the CLI alike.
CONTEXT_MAX_DEPTH = 64


class Wire(BaseModel):
    """Base for wire models: camelCase aliases, unknown fields tolerated on input."""

    model_config = ConfigDict(populate_by_name=True, extra="allow")


class Coding(Wire):
    system: str
    code: str
    display: str | None = None


# --- discovery ----------------------------------------------------------------------------------


class ServiceDefinition(Wire):
    hook: HookName  # one of the hook table's (cds/hooks.py)
    id: str
    title: str
    description: str
    prefetch: dict[str, str] | None = None
    usage_requirements: str | None = Field(default=None, alias="usageRequirements")


class Discovery(Wire):
    services: list[ServiceDefinition]
    extension: dict[str, Any] | None = None  # CDS Hooks §Extensions: the service version


# --- request ------------------------------------------------------------------------------------


class FhirAuthorization(Wire):
    access_token: str = Field(min_length=1)
    token_type: str
    expires_in: int
    scope: str
    subject: str
    patient: str | None = None


# What ``_context_has_patient`` checks, published in the OpenAPI document (cds/api/openapi.py).
_CONTEXT_SCHEMA: dict[str, Any] = {
    "required": ["patientId"],
    "properties": {
        "patientId": {"type": "string", "minLength": 1, "pattern": "^[^/]+$"},
        "userId": {"type": "string"},
    },
}


class HookRequest(Wire):
    """The body of ``POST /cds-services/{id}``; ``context`` and ``prefetch`` stay raw JSON.

    Every entry point (the route, the CLI) validates with this model, so its checks are the
    request's: a plain ``patientId``; for the order hooks a ``draftOrders`` Bundle and
    ``selections`` of strings when present; ``fhirServer`` with ``fhirAuthorization``.
    """

    hook: str = Field(min_length=1)
    hook_instance: str = Field(alias="hookInstance", min_length=1)
    fhir_server: str | None = Field(default=None, alias="fhirServer")
    fhir_authorization: FhirAuthorization | None = Field(default=None, alias="fhirAuthorization")
    context: dict[str, Any] = Field(json_schema_extra=_CONTEXT_SCHEMA)
    prefetch: dict[str, Any] | None = None

    @model_validator(mode="after")
    def _auth_needs_server(self) -> HookRequest:
        if self.fhir_authorization is not None and not self.fhir_server:
            raise ValueError("fhirAuthorization requires fhirServer")
        return self

    @field_validator("context", mode="before")
    @classmethod
    def _context_not_too_deep(cls, value: Any) -> Any:
        if nesting_exceeds(value, CONTEXT_MAX_DEPTH):
            raise PydanticCustomError(
                CONTEXT_ERROR,
                f"context nests deeper than {CONTEXT_MAX_DEPTH} levels",
                {
                    "issues": (
                        (
                            "too-costly",
                            "context",
                            f"context nests deeper than {CONTEXT_MAX_DEPTH} levels",
                        ),
                    )
                },
            )
        return value

    @field_validator("context")
    @classmethod
    def _context_has_patient(cls, value: dict[str, Any]) -> dict[str, Any]:
        patient_id = value.get("patientId")
        if not isinstance(patient_id, str) or not patient_id or "/" in patient_id:
            raise ValueError("context.patientId must be a plain FHIR id")
        user_id = value.get("userId")
        if user_id is not None and not isinstance(user_id, str):
            raise ValueError("context.userId must be a string")
        return value

    @field_validator("context")
    @classmethod
    def _order_context(cls, value: dict[str, Any], info: ValidationInfo) -> dict[str, Any]:
        # ``hook`` is validated before ``context`` (field order); absent here if it was invalid.
        if info.data.get("hook") in ORDER_HOOKS:
            problems = _order_context_problems(value)
            if problems:
                raise PydanticCustomError(
                    CONTEXT_ERROR,
                    "; ".join(diagnostics for _, _, diagnostics in problems),
                    {"issues": problems},
                )
        return value


def _order_context_problems(context: dict[str, Any]) -> tuple[tuple[str, str, str], ...]:
    """``draftOrders`` must be a Bundle and ``selections`` a list of strings, when present."""
    problems = []
    if "draftOrders" in context:
        draft = context["draftOrders"]
        entries = draft.get("entry", []) if isinstance(draft, dict) else None
        if (
            not isinstance(draft, dict)
            or draft.get("resourceType") != "Bundle"
            or not isinstance(entries, list)
            or not all(isinstance(entry, dict) for entry in entries)
        ):
            problems.append(
                ("structure", "context.draftOrders", "context.draftOrders must be a FHIR Bundle")
            )
    if "selections" in context:
        selections = context["selections"]
        if not isinstance(selections, list) or not all(isinstance(s, str) for s in selections):
            problems.append(
                (
                    "structure",
                    "context.selections",
                    "context.selections must be a list of references (strings)",
                )
            )
    return tuple(problems)


# --- response -----------------------------------------------------------------------------------


class Source(Wire):
    label: str = Field(min_length=1)
    url: str | None = None
    icon: str | None = None
    topic: Coding | None = None


class Action(Wire):
    type: Literal["create", "update", "delete"]
    description: str = Field(min_length=1)
    resource: dict[str, Any] | None = None
    resource_id: str | None = Field(default=None, alias="resourceId")

    @model_validator(mode="after")
    def _payload(self) -> Action:
        if self.type in ("create", "update") and not self.resource:
            raise ValueError(f"{self.type} action needs a resource")
        if self.type == "delete" and not self.resource_id:
            raise ValueError("delete action needs resourceId")
        return self


class Suggestion(Wire):
    label: str = Field(min_length=1)
    uuid: str
    is_recommended: bool | None = Field(default=None, alias="isRecommended")
    actions: list[Action] | None = None


class Link(Wire):
    label: str
    url: str
    type: Literal["absolute", "smart"]
    app_context: str | None = Field(default=None, alias="appContext")

    @model_validator(mode="after")
    def _absolute_has_no_context(self) -> Link:
        if self.type == "absolute" and self.app_context is not None:
            raise ValueError("appContext only on smart links")
        return self


class OverrideReason(Coding):
    display: str  # REQUIRED in override reasons


class Card(Wire):
    uuid: str
    summary: str = Field(min_length=1, max_length=SUMMARY_MAX)
    detail: str | None = None
    indicator: Literal["info", "warning", "critical"]
    source: Source
    suggestions: list[Suggestion] | None = None
    selection_behavior: Literal["at-most-one", "any"] | None = Field(
        default=None, alias="selectionBehavior"
    )
    override_reasons: list[OverrideReason] | None = Field(default=None, alias="overrideReasons")
    links: list[Link] | None = None

    @model_validator(mode="after")
    def _suggestion_rules(self) -> Card:
        if self.suggestions and self.selection_behavior is None:
            raise ValueError("selectionBehavior is required with suggestions")
        if self.selection_behavior == "at-most-one" and self.suggestions:
            recommended = [s for s in self.suggestions if s.is_recommended]
            if len(recommended) > 1:
                raise ValueError("at most one isRecommended suggestion with at-most-one")
        return self


class CdsResponse(Wire):
    cards: list[Card] = Field(default_factory=list)
    system_actions: list[Action] | None = Field(default=None, alias="systemActions")
    # Only with ``?explain=true`` (cds.render.explanation): the explain view, beside the cards.
    extension: dict[str, Any] | None = None


# --- feedback -----------------------------------------------------------------------------------


class AcceptedSuggestion(Wire):
    id: str = Field(min_length=1)


class FeedbackOverrideReason(Wire):
    reason: Coding | None = None
    user_comment: str | None = Field(default=None, alias="userComment")


class FeedbackItem(Wire):
    card: str = Field(min_length=1)
    outcome: Literal["accepted", "overridden"]
    accepted_suggestions: list[AcceptedSuggestion] | None = Field(
        default=None, alias="acceptedSuggestions"
    )
    override_reason: FeedbackOverrideReason | None = Field(default=None, alias="overrideReason")
    outcome_timestamp: str = Field(alias="outcomeTimestamp", min_length=1)

    @field_validator("outcome_timestamp")
    @classmethod
    def _representable_instant(cls, value: str) -> str:
        # The store keeps the instant in UTC: 9999-12-31T23:59:59-14:00 is an ISO 8601 date-time
        # whose UTC form is in year 10000, which Python cannot represent (it was a 500).
        try:
            moment = datetime.fromisoformat(value.strip())
        except ValueError:
            raise ValueError("outcomeTimestamp is not an ISO 8601 date-time") from None
        try:
            (moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)).astimezone(UTC)
        except OverflowError:
            raise ValueError("outcomeTimestamp is out of range in UTC") from None
        return value

    @model_validator(mode="after")
    def _accepted_names_suggestions(self) -> FeedbackItem:
        if self.outcome == "accepted" and not self.accepted_suggestions:
            raise ValueError("accepted feedback requires acceptedSuggestions")
        return self


class FeedbackRequest(Wire):
    feedback: list[FeedbackItem] = Field(min_length=1)


def dump(model: BaseModel) -> dict[str, Any]:
    """JSON-ready dict with spec names and no ``null``/empty values (``cards: []`` is kept)."""
    data = model.model_dump(mode="json", by_alias=True, exclude_none=True)
    return _prune(data, keep_top=("cards", "services"))  # type: ignore[no-any-return]


def _prune(value: Any, keep_top: tuple[str, ...] = ()) -> Any:
    """Drop empty strings, lists and objects below the top level (spec §Use of JSON)."""
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            pruned = _prune(item)
            if pruned in ("", [], {}) and key not in keep_top:
                continue
            out[key] = pruned
        return out
    if isinstance(value, list):
        # Each item pruned once: pruning twice per level was exponential in the nesting depth
        # (a draft nested 60 levels deep never finished).
        pruned_items = (_prune(v) for v in value)
        return [v for v in pruned_items if v not in ("", [], {})]
    return value
