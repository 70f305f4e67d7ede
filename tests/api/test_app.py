"""create_app and its lifespan: criteria loaded once, store and HTTP client opened, clock."""

from __future__ import annotations

import gc
from collections.abc import Callable
from datetime import date

import pytest
from apptools import Capture, make_settings
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hookdata import full_prefetch, hook_body, service_url

import cds.app
from cds.api.deps import get_registry, get_responder, today_in_norway
from cds.app import create_app
from cds.criteria.codebook import CodeBook
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
    assert isinstance(today_in_norway(), date)


@pytest.mark.parametrize("fixed", [None, date(2026, 11, 20)])
def test_calls_are_evaluated_at_cds_today_when_set(
    fixed: date | None, caplog: pytest.LogCaptureFixture
) -> None:
    capture = Capture()
    app = create_app(make_settings(today=fixed))
    app.dependency_overrides[get_registry] = lambda: Registry(pathways=(), codebook=CodeBook())
    app.dependency_overrides[get_responder] = lambda: capture
    with TestClient(app) as client:
        response = client.post(service_url(), json=hook_body(prefetch=full_prefetch()))
    assert response.status_code == 200
    ((_, _, today),) = capture.calls
    assert today == (fixed or today_in_norway())
    # A fixed clock in a deployment would evaluate every patient at the wrong date: say so.
    assert ("CDS_TODAY is set: every call is evaluated as of 2026-11-20" in caplog.text) == bool(
        fixed
    )


def test_start_up_objects_are_frozen_once_per_process(monkeypatch: pytest.MonkeyPatch) -> None:
    # A fresh process (the flag reset): the first lifespan freezes and raises the young-collection
    # threshold; a second app in the same process must not freeze again.
    monkeypatch.setattr(cds.app, "_startup_frozen", False)
    monkeypatch.setattr(gc, "freeze", calls := _Calls(gc.freeze))
    before = gc.get_threshold()
    try:
        for _ in range(2):
            with TestClient(create_app(make_settings())):
                pass
        assert calls.count == 1
        assert gc.get_threshold()[0] == cds.app._YOUNG_GC_THRESHOLD
        assert gc.get_threshold()[1:] == before[1:]
    finally:
        gc.set_threshold(*before)


class _Calls:
    """Counts calls of a function and passes them on."""

    def __init__(self, function: Callable[[], None]) -> None:
        self.function = function
        self.count = 0

    def __call__(self) -> None:
        self.count += 1
        self.function()
