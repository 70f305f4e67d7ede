"""Fixtures for the gather tests: settings, and a runner for ``gather_record`` on a mock transport.

``httpx.MockTransport`` stands in for the FHIR server here (the real-server matrix is in
tests/api); each test gives a handler that answers and records the requests.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any

import httpx
import pytest

from cds.cdshooks import HookRequest
from cds.record.model import Record
from cds.record.prefetch import gather_record
from cds.services import SERVICES
from cds.settings import Settings

Handler = Callable[[httpx.Request], Coroutine[None, None, httpx.Response]]


@pytest.fixture
def settings() -> Settings:
    return Settings(database_url="sqlite://", fhir_timeout_s=1.0, fhir_budget_s=2.0)


@pytest.fixture
def gather(settings: Settings) -> Callable[..., Record]:
    """``gather(body, handler=None, settings=None)``: run gather_record for a request body."""

    def run(
        body: dict[str, Any], handler: Handler | None = None, custom: Settings | None = None
    ) -> Record:
        async def main() -> Record:
            transport = httpx.MockTransport(handler or _no_server)
            async with httpx.AsyncClient(transport=transport) as client:
                request = HookRequest.model_validate(body)
                return await gather_record(request, SERVICES[0], custom or settings, client)

        return asyncio.run(main())

    return run


async def _no_server(request: httpx.Request) -> httpx.Response:
    raise AssertionError(f"unexpected FHIR request {request.url}")
