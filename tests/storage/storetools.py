"""Apps for the storage tests: the real pipeline and criteria, on a given database.

Kept out of conftest.py so test modules can import it by a name no other test folder uses.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from fastapi import FastAPI

from cds.api.deps import get_today
from cds.app import create_app
from cds.settings import Settings

TODAY = date(2026, 11, 20)
REPO = Path(__file__).resolve().parents[2]


def storage_app(database_url: str, **overrides: object) -> FastAPI:
    """The service on ``database_url`` with the clock at the examples' today."""
    values: dict[str, object] = {"database_url": database_url, "log_level": "WARNING"}
    values.update(overrides)
    app = create_app(Settings.model_validate(values))
    app.dependency_overrides[get_today] = lambda: TODAY
    return app
