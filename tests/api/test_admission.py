"""Bounded work per worker (cds/api/admission.py): a few pipelines, a bounded queue, 503 beyond.

A worker that takes every call at once holds every record in memory and answers all of them
late (issue 10: 32 concurrent 10 000-resource calls held ~1 GB). Beyond its queue a worker says
so at once — ``503`` with ``Retry-After`` and an ``OperationOutcome`` — and before reading the
body; calls waiting for the EHR's FHIR server hold no pipeline slot.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from datetime import date

import pytest
from apptools import Capture, build_app, make_settings
from fastapi.testclient import TestClient
from hookdata import assert_outcome, full_prefetch, hook_body, service_url

from cds.api.admission import Overloaded, PipelineGate
from cds.cdshooks import CdsResponse, HookRequest
from cds.criteria.registry import Registry
from cds.record.model import Record
from cds.settings import Settings

# --- the gate on its own --------------------------------------------------------------------


def test_the_gate_queues_up_to_its_limit_and_refuses_beyond() -> None:
    async def scenario() -> list[str]:
        gate = PipelineGate(concurrency=1, max_queued=1, retry_after_s=3)
        release = asyncio.Event()
        order: list[str] = []

        async def hold(name: str) -> None:
            async with gate.slot():
                order.append(name)
                await release.wait()

        first = asyncio.create_task(hold("first"))
        await asyncio.sleep(0)
        second = asyncio.create_task(hold("second"))  # waits: the one slot is taken
        await asyncio.sleep(0)
        assert gate.full
        with pytest.raises(Overloaded) as refused:
            async with gate.slot():
                pass
        assert refused.value.status == 503
        assert refused.value.headers == {"Retry-After": "3"}
        assert [i.code for i in refused.value.issues] == ["throttled"]
        release.set()
        await asyncio.gather(first, second)
        assert not gate.full
        assert gate.refused == 1
        return order

    # The queued call is served, in order, once the slot is free.
    assert asyncio.run(scenario()) == ["first", "second"]


def test_without_a_queue_the_second_call_is_refused_at_once() -> None:
    async def scenario() -> None:
        gate = PipelineGate(concurrency=1, max_queued=0, retry_after_s=1)
        async with gate.slot():
            with pytest.raises(Overloaded):
                gate.refuse_if_full()
        gate.refuse_if_full()  # free again: no refusal

    asyncio.run(scenario())


@pytest.mark.parametrize(
    ("name", "value"),
    [("pipeline_concurrency", 0), ("retry_after_s", 0), ("pipeline_max_queued", -1)],
)
def test_the_limits_must_be_sensible(name: str, value: int) -> None:
    with pytest.raises(ValueError, match=name):
        make_settings(**{name: value})


# --- over HTTP --------------------------------------------------------------------------------


class Blocking(Capture):
    """A pipeline that waits until the test lets it go, so one call can hold the only slot."""

    def __init__(self) -> None:
        super().__init__()
        self.entered = threading.Event()
        self.release = threading.Event()

    def __call__(
        self,
        request: HookRequest,
        record: Record,
        registry: Registry,
        settings: Settings,
        *,
        today: date,
    ) -> CdsResponse:
        self.entered.set()
        assert self.release.wait(10), "the test never released the pipeline"
        return super().__call__(request, record, registry, settings, today=today)


@pytest.fixture
def blocking() -> Blocking:
    return Blocking()


@pytest.fixture
def busy(blocking: Blocking) -> Iterator[TestClient]:
    """A client whose worker runs one pipeline and queues none: the first call holds it."""
    settings = make_settings(pipeline_concurrency=1, pipeline_max_queued=0, retry_after_s=2)
    with TestClient(build_app(settings, blocking)) as client:
        yield client


def test_a_call_beyond_the_queue_gets_503_with_retry_after(
    busy: TestClient, blocking: Blocking, caplog: pytest.LogCaptureFixture
) -> None:
    body = hook_body(prefetch=full_prefetch())
    answers: list[int] = []
    first = threading.Thread(
        target=lambda: answers.append(busy.post(service_url(), json=body).status_code)
    )
    first.start()
    try:
        assert blocking.entered.wait(10)
        refused = busy.post(service_url(), json=body)
        outcome = assert_outcome(refused, 503)
        assert refused.headers["retry-after"] == "2"
        assert [issue["code"] for issue in outcome["issue"]] == ["throttled"]
        # Refused before the body is read: a body that is not even JSON gets the same answer,
        # not a 400 (and a large record is not parsed only to be refused).
        not_json = busy.post(
            service_url(), content=b"{", headers={"content-type": "application/json"}
        )
        assert not_json.status_code == 503
    finally:
        blocking.release.set()
        first.join(10)
    assert answers == [200]  # the call that held the slot is answered as usual
    assert "hook calls refused: pipeline queue full (1 so far)" in caplog.text
    assert len(blocking.calls) == 1  # the refused calls never reached the pipeline
    # Free again: the next call is served.
    assert busy.post(service_url(), json=body).status_code == 200


def test_discovery_and_health_are_not_gated(busy: TestClient, blocking: Blocking) -> None:
    body = hook_body(prefetch=full_prefetch())
    first = threading.Thread(target=lambda: busy.post(service_url(), json=body))
    first.start()
    try:
        assert blocking.entered.wait(10)
        assert busy.get("/healthz").status_code == 200
        assert busy.get("/cds-services").status_code == 200
    finally:
        blocking.release.set()
        first.join(10)
