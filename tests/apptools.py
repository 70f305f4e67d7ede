"""Building the app under test: pinned clock, empty registry, and a pipeline that records its input.

Kept out of conftest.py so test modules can import it by a name no other test folder uses.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from fastapi import FastAPI

from cds.api.deps import get_registry, get_responder, get_today
from cds.app import create_app
from cds.cdshooks import CdsResponse, HookRequest
from cds.criteria.codebook import CodeBook
from cds.criteria.registry import Registry
from cds.record.model import Record
from cds.settings import Settings

TODAY = date(2026, 11, 20)


@dataclass
class Capture:
    """Stands in for ``cds.pipeline.respond``: remembers its inputs, returns no cards."""

    calls: list[tuple[HookRequest, Record, date]] = field(default_factory=list)

    def __call__(
        self,
        request: HookRequest,
        record: Record,
        registry: Registry,
        settings: Settings,
        *,
        today: date,
    ) -> CdsResponse:
        self.calls.append((request, record, today))
        return CdsResponse(cards=[])

    @property
    def record(self) -> Record:
        assert len(self.calls) == 1, f"pipeline called {len(self.calls)} times"
        return self.calls[0][1]


def make_settings(**overrides: object) -> Settings:
    """Test settings: in-memory feedback DB, short FHIR timeouts."""
    values: dict[str, object] = {
        "database_url": "sqlite://",
        "fhir_timeout_s": 2.0,
        "fhir_budget_s": 5.0,
        "cors_origins": ("https://sandbox.cds-hooks.org",),
        # The test FHIR server is plain http on 127.0.0.1 (tests/api/test_outbound.py: off).
        "dev_mode": True,
    }
    values.update(overrides)
    return Settings.model_validate(values)


def build_app(settings: Settings, capture: Capture) -> FastAPI:
    app = create_app(settings)
    app.dependency_overrides[get_registry] = lambda: Registry(pathways=(), codebook=CodeBook())
    app.dependency_overrides[get_today] = lambda: TODAY
    app.dependency_overrides[get_responder] = lambda: capture
    return app
