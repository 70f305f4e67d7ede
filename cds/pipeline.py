"""Wires the stages for one hook call: record -> facts -> assessments -> CDS Hooks response."""

from __future__ import annotations

from datetime import date

from cds.cdshooks import CdsResponse, HookRequest
from cds.criteria.registry import Registry
from cds.record.model import Record
from cds.settings import Settings


def respond(
    request: HookRequest, record: Record, registry: Registry, settings: Settings, *, today: date
) -> CdsResponse:
    """The CDS Hooks response for one request (placeholder until the stages are wired)."""
    return CdsResponse(cards=[])
