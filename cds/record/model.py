"""The patient record as raw FHIR JSON, gathered from prefetch and/or the EHR's FHIR server."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

Resource = dict[str, Any]


@dataclass(slots=True)
class Record:
    """Resources by type, deduplicated by id; ``missing`` names optional data we could not get.

    ``missing`` holds prefetch keys (e.g. ``"medicationStatements"``) whose data was neither
    prefetched nor fetchable; the referral says so instead of pretending the list is empty.
    """

    patient: Resource | None = None
    resources: dict[str, list[Resource]] = field(default_factory=dict)
    missing: tuple[str, ...] = ()

    def of_type(self, resource_type: str) -> list[Resource]:
        """All resources of one type (empty list when none)."""
        return self.resources.get(resource_type, [])
