"""A FHIR server that accepts connections and never answers must not freeze the service.

The service runs in uvicorn on 127.0.0.1 (a thread with its own event loop), the hanging FHIR
server is a socket that accepts and holds connections, and the test drives real concurrent HTTP
calls: 100 hook calls without prefetch each end within the budget (+1 s), while ``/healthz`` and a
fully prefetched call stay fast. Bounds are generous for a shared 2-core machine but far below what
an unbounded fan-out took (17-27 s per call, /healthz 9-13 s).
"""

from __future__ import annotations

import asyncio
import json
import os
import selectors
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from apptools import make_settings
from hookdata import hook_body, service_url

from cds.errors import FhirFetchError
from cds.record.fhirclient import FhirServer, get_json
from cds.record.fhirpool import FhirBusy, make_fhir_client
from cds.settings import Settings

BUDGET_S = 1.0
CALLS = 100
STARTUP_S = 30.0
# A real record with every prefetch key: answered without any FHIR read.
FULL_PREFETCH = Path(__file__).resolve().parents[2] / "examples/requests/frisk.patient-view.json"


class HangingServer:
    """Accepts every connection on 127.0.0.1, reads what comes, answers nothing.

    ``max_open`` is the most connections open at the same time (a connection the client closed,
    e.g. when its deadline cancelled the read, no longer counts): what the pool per origin must
    bound, however slowly a loaded machine runs the test.
    """

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(1024)
        self.port: int = self.sock.getsockname()[1]
        self.held: list[socket.socket] = []
        self.max_open = 0
        self._open: set[socket.socket] = set()
        self._closing = False
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/fhir"

    def _serve(self) -> None:
        with selectors.DefaultSelector() as selector:
            selector.register(self.sock, selectors.EVENT_READ)
            while not self._closing:
                events = selector.select(timeout=0.1)
                # closes before accepts: a connection replaced in the same instant is not counted
                # as open beside its successor
                for key, _ in sorted(events, key=lambda event: event[0].fileobj is self.sock):
                    if key.fileobj is self.sock:
                        try:
                            conn, _ = self.sock.accept()
                        except OSError:
                            return
                        self.held.append(conn)
                        self._open.add(conn)
                        self.max_open = max(self.max_open, len(self._open))
                        selector.register(conn, selectors.EVENT_READ)
                        continue
                    conn = key.fileobj  # type: ignore[assignment]
                    try:
                        data = conn.recv(65536)
                    except OSError:
                        data = b""
                    if not data:  # the client closed it
                        selector.unregister(conn)
                        self._open.discard(conn)

    def close(self) -> None:
        self._closing = True
        self.thread.join(timeout=5)
        self.sock.close()
        for conn in self.held:
            conn.close()


@pytest.fixture
def hanging() -> Iterator[HangingServer]:
    server = HangingServer()
    yield server
    server.close()


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def service(tmp_path: Path) -> Iterator[str]:
    """``cds serve`` in its own process (the deployed app: real criteria, real pipeline), in
    development mode so that 127.0.0.1 may be called. Its own process, so that the test's client
    does not share an interpreter lock with the server it measures.
    """
    port = _free_port()
    env = {
        **os.environ,
        "CDS_DEV_MODE": "true",
        "CDS_FHIR_BUDGET_S": str(BUDGET_S),
        # Longer than the budget: the deadline must be what ends the calls.
        "CDS_FHIR_TIMEOUT_S": "10",
        "CDS_LOG_LEVEL": "WARNING",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'feedback.sqlite3'}",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "cds.cli", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + STARTUP_S
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=1.0).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail("cds serve did not start")
            time.sleep(0.1)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


async def _timed(client: httpx.AsyncClient, method: str, url: str, **kw: object) -> float:
    started = time.perf_counter()
    response = await client.request(method, url, **kw)  # type: ignore[arg-type]
    elapsed = time.perf_counter() - started
    expected = 412 if "fhirServer" in str(kw.get("json", "")) else 200
    assert response.status_code == expected, response.text
    if expected == 412:
        assert "FHIR server unavailable" in response.text
    return elapsed


def test_hanging_fhir_server_keeps_calls_in_budget_and_the_service_live(
    service: str, hanging: HangingServer
) -> None:
    base = service
    unprefetched = hook_body(prefetch=None, fhir_server=hanging.url)
    prefetched = json.loads(FULL_PREFETCH.read_text(encoding="utf-8"))

    async def main() -> tuple[list[float], list[float], float, int]:
        limits = httpx.Limits(max_connections=CALLS + 10, max_keepalive_connections=CALLS + 10)
        async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30.0) as client:
            await _timed(client, "GET", "/healthz")  # warm up (connection, first request)
            hooks = [
                asyncio.create_task(_timed(client, "POST", service_url(), json=unprefetched))
                for _ in range(CALLS)
            ]
            await asyncio.sleep(0.3)  # the calls are in flight, their reads hanging
            health = []
            for _ in range(3):
                health.append(await _timed(client, "GET", "/healthz"))
                await asyncio.sleep(0.1)
            full = await _timed(
                client, "POST", "/cds-services/pakkeforlop-patient-view", json=prefetched
            )
            durations = await asyncio.gather(*hooks)
            # Connections open at the same time, whichever reads a deadline had cancelled.
            return durations, health, full, hanging.max_open

    durations, health, full, opened = asyncio.run(main())
    print("FANOUT", max(durations), max(health), full, opened)  # noqa: T201
    assert max(durations) < BUDGET_S + 1.0, sorted(durations)[-5:]
    assert max(health) < 0.5, health
    assert full < 1.0, full
    assert 0 < opened <= Settings(database_url="sqlite://").fhir_pool_per_origin


def test_a_full_queue_fails_fast(hanging: HangingServer) -> None:
    settings = make_settings(fhir_max_concurrent=2, fhir_max_queued=3, fhir_timeout_s=10.0)
    server = FhirServer(hanging.url, None)

    async def main() -> tuple[list[BaseException | None], float]:
        async with make_fhir_client(settings) as client:

            async def read(n: int) -> None:
                await get_json(
                    client, server, server.url_for(f"Patient/{n}"), timeout_s=10.0, max_bytes=100
                )

            tasks = [asyncio.create_task(read(n)) for n in range(10)]
            started = time.perf_counter()
            done, pending = await asyncio.wait(tasks, timeout=0.5)
            elapsed = time.perf_counter() - started
            for task in pending:
                task.cancel()
            await asyncio.wait(pending, timeout=1.0)
            return [t.exception() for t in done], elapsed

    refused, elapsed = asyncio.run(main())
    # 2 reads hang in their slots, 3 wait in the queue, the other 5 are refused at once.
    assert len(refused) == 5
    assert all(isinstance(exc, FhirBusy) for exc in refused)
    assert all(isinstance(exc, FhirFetchError) for exc in refused)
    assert elapsed < 0.6


def test_origins_kept_are_bounded_and_a_busy_one_is_never_closed() -> None:
    first, second = HangingServer(), HangingServer()
    settings = make_settings(fhir_max_origins=1, fhir_timeout_s=10.0)

    async def hang(client: httpx.AsyncClient, url: str) -> None:
        server = FhirServer(url, None)
        await get_json(client, server, server.url_for("Patient/1"), timeout_s=10.0, max_bytes=100)

    async def main() -> None:
        async with make_fhir_client(settings) as client:
            busy = asyncio.create_task(hang(client, first.url))
            await asyncio.sleep(0.1)
            with pytest.raises(FhirBusy, match="too many FHIR servers"):
                await hang(client, second.url)  # the only pool kept is in use
            busy.cancel()
            await asyncio.wait([busy], timeout=1.0)
            # Now idle: closed to make room for the second server, which is then read from.
            other = asyncio.create_task(hang(client, second.url))
            await asyncio.sleep(0.2)
            assert not other.done()
            assert len(second.held) == 1
            other.cancel()
            await asyncio.wait([other], timeout=1.0)

    try:
        asyncio.run(main())
    finally:
        first.close()
        second.close()
