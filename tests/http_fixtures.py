"""Fixtures for the HTTP tests: an app with overridden dependencies, a client, a FHIR server.

tests/api and tests/auth import them into their conftest.

The app never reads criteria from disk (the registry dependency is overridden with an empty
registry), the clock is pinned, and ``cds.pipeline.respond`` is replaced by :class:`Capture`, which
records the ``Record`` that reached the pipeline and answers with no cards (see ``apptools``).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from apptools import Capture, build_app, make_settings
from fake_fhir import FakeFhir, ServerThread
from fastapi import FastAPI
from fastapi.testclient import TestClient

from cds.settings import Settings


@pytest.fixture
def settings() -> Settings:
    return make_settings()


@pytest.fixture
def capture() -> Capture:
    return Capture()


@pytest.fixture
def app(settings: Settings, capture: Capture) -> FastAPI:
    return build_app(settings, capture)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture(scope="session")
def _fhir_server() -> Iterator[tuple[FakeFhir, ServerThread]]:
    fake = FakeFhir()
    server = ServerThread(fake.app())
    fake.base_url = server.base_url
    server.start()
    try:
        yield fake, server
    finally:
        server.stop()


@pytest.fixture
def fhir(_fhir_server: tuple[FakeFhir, ServerThread]) -> FakeFhir:
    """The running test FHIR server, emptied for this test."""
    fake, _server = _fhir_server
    fake.reset()
    return fake
