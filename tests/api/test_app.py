"""create_app and its lifespan: criteria loaded once, store and HTTP client opened, clock."""

from __future__ import annotations

from datetime import date

from apptools import make_settings
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hookdata import full_prefetch, hook_body, service_url

from cds.api.deps import get_today
from cds.app import create_app
from cds.criteria.registry import Registry


def test_lifespan_loads_the_real_criteria_and_answers() -> None:
    app = create_app(make_settings())
    with TestClient(app) as client:
        assert isinstance(app.state.registry, Registry)
        assert app.state.registry.pathways  # criteria/ holds at least one pathway
        response = client.post(service_url(), json=hook_body(prefetch=full_prefetch()))
        assert response.status_code == 200
        assert isinstance(response.json()["cards"], list)
    assert app.state.http_client.is_closed


def test_overriding_the_registry_skips_loading(app: FastAPI, client: TestClient) -> None:
    assert not hasattr(app.state, "registry")
    assert client.post(service_url(), json=hook_body(prefetch=full_prefetch())).status_code == 200


def test_the_clock_is_a_date() -> None:
    assert isinstance(get_today(), date)
