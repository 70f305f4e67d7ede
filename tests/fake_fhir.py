"""A small real FHIR server for tests: uvicorn on 127.0.0.1 in a background thread.

It serves ``Patient/<id>`` reads and ``<Type>?patient=<id>`` searchsets from in-memory data, checks
the bearer token (401 when wrong), can fail per resource type, paginates on request (with
``next`` links), and records every request it sees, so tests can assert what the service fetched
and with which ``Authorization`` header.
"""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

TOKEN = "good-token"
STARTUP_WAIT_S = 10.0


@dataclass(frozen=True)
class Seen:
    """One request the server received."""

    path: str
    params: dict[str, str]
    authorization: str | None
    accept: str | None

    @property
    def resource_type(self) -> str:
        return self.path.removeprefix("/fhir/").split("/")[0]


@dataclass
class FakeFhir:
    """Data, behaviour switches and the request log; ``reset()`` between tests."""

    base_url: str = ""
    patients: dict[str, dict[str, Any]] = field(default_factory=dict)
    resources: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    fail: dict[str, int] = field(default_factory=dict)  # resource type -> HTTP status
    page_size: dict[str, int] = field(default_factory=dict)  # resource type -> entries per page
    next_base: str | None = None  # where next links point (default: this server)
    require_token: bool = True
    seen: list[Seen] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def reset(self) -> None:
        self.patients.clear()
        self.resources.clear()
        self.fail.clear()
        self.page_size.clear()
        self.next_base = None
        self.require_token = True
        with self.lock:
            self.seen.clear()

    def reset_log(self) -> None:
        with self.lock:
            self.seen.clear()

    @property
    def url(self) -> str:
        """The FHIR base URL to put in ``fhirServer``."""
        return f"{self.base_url}/fhir"

    def requests(self) -> list[Seen]:
        with self.lock:
            return list(self.seen)

    def app(self) -> Starlette:
        async def read(request: Request) -> Response:
            denied = self._record_and_check(request)
            if denied is not None:
                return denied
            patient = self.patients.get(request.path_params["id"])
            if patient is None:
                return _outcome(404, "not-found")
            return _fhir(patient)

        async def search(request: Request) -> Response:
            denied = self._record_and_check(request)
            if denied is not None:
                return denied
            kind = request.path_params["type"]
            patient = request.query_params.get("patient")
            matches = [
                r
                for r in self.resources.get(kind, [])
                if r.get("subject", {}).get("reference") == f"Patient/{patient}"
            ]
            size = self.page_size.get(kind)
            page = int(request.query_params.get("_page", "1"))
            bundle: dict[str, Any] = {"resourceType": "Bundle", "type": "searchset"}
            if size:
                chunk = matches[(page - 1) * size : page * size]
                if page * size < len(matches):
                    base = self.next_base or self.base_url
                    bundle["link"] = [
                        {
                            "relation": "next",
                            "url": f"{base}/fhir/{kind}?patient={patient}&_page={page + 1}",
                        }
                    ]
            else:
                chunk = matches
            bundle["total"] = len(matches)
            if chunk:
                bundle["entry"] = [
                    {"fullUrl": f"{self.url}/{kind}/{r['id']}", "resource": r} for r in chunk
                ]
            return _fhir(bundle)

        return Starlette(
            routes=[
                Route("/fhir/Patient/{id}", read),
                Route("/fhir/{type}", search),
            ]
        )

    def _record_and_check(self, request: Request) -> Response | None:
        seen = Seen(
            path=request.url.path,
            params=dict(request.query_params),
            authorization=request.headers.get("authorization"),
            accept=request.headers.get("accept"),
        )
        with self.lock:
            self.seen.append(seen)
        if self.require_token and seen.authorization != f"Bearer {TOKEN}":
            return _outcome(401, "login")
        status = self.fail.get(seen.resource_type)
        if status is not None:
            return _outcome(status, "exception")
        return None


def _fhir(body: dict[str, Any], status: int = 200) -> JSONResponse:
    return JSONResponse(body, status_code=status, media_type="application/fhir+json")


def _outcome(status: int, code: str) -> JSONResponse:
    return _fhir(
        {
            "resourceType": "OperationOutcome",
            "issue": [{"severity": "error", "code": code}],
        },
        status,
    )


class ServerThread:
    """Runs an ASGI app with uvicorn on a free 127.0.0.1 port until ``stop()``."""

    def __init__(self, app: Starlette, *, lifespan: str = "off") -> None:
        # Bound here and handed to uvicorn: no race for the port between choosing and binding.
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.bind(("127.0.0.1", 0))
        self.port: int = self._socket.getsockname()[1]
        config = uvicorn.Config(app, log_level="warning", lifespan=lifespan, access_log=False)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._socket]}, daemon=True
        )

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self._thread.start()
        deadline = time.monotonic() + STARTUP_WAIT_S
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("test FHIR server did not start")
            time.sleep(0.01)

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=STARTUP_WAIT_S)
        self._socket.close()


def closed_port_url() -> str:
    """A URL on 127.0.0.1 where nothing listens (connection refused)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/fhir"
