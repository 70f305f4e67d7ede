"""Fixtures shared by the whole test suite: the fixed clock, the app on a throw-away database,
and ``hook``, which posts a CDS Hooks request and checks every 200 response for conformance.

The clock is fixed at 2026-11-20, the "today" of examples/ and tests/golden/, so that results a
few weeks old stay "recent" forever. Folders keep their own fixtures in their own conftest.py.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from conformance import assert_conformant

if TYPE_CHECKING:
    from fastapi import FastAPI
    from fastapi.testclient import TestClient
    from httpx import Response

    from cds.criteria.registry import Registry
    from cds.settings import Settings

TODAY = date(2026, 11, 20)
REPO = Path(__file__).resolve().parent.parent


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        default=False,
        help="rewrite tests/golden/*/projections.json and the representative *.expected.json "
        "from the service's current output",
    )


# ``make pytest`` runs the suite on two xdist workers except the tests marked ``timing`` (they
# measure wall time or race a real or hanging server), which it runs afterwards on their own: a
# busy second worker made them miss their budgets in CI. The PostgreSQL storage tests share one
# server; each worker gets its own schema there (tests/storage/conftest.py).
TIMING = (
    "tests/api/test_fanout.py::",
    "tests/api/test_edge.py::test_real_server_",
    "tests/record/test_prefetch.py::",
    "tests/storage/test_kill.py::",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.nodeid.startswith(TIMING):
            item.add_marker(pytest.mark.timing)


@pytest.fixture(scope="session")
def today() -> date:
    """The fixed date every test evaluates at."""
    return TODAY


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Default settings with the feedback database in a temporary file."""
    from cds.settings import Settings

    return Settings(database_url=f"sqlite:///{tmp_path / 'feedback.sqlite3'}")


@pytest.fixture(scope="session")
def repo_registry() -> Registry:
    """The repository's criteria, loaded once for the whole session.

    Loading and validating every criteria file takes about a second; the app fixture reuses this
    registry instead of loading it again per test (criteria are frozen, so sharing is safe).
    Tests of the loader itself call ``load_registry`` directly.
    """
    from cds.criteria.loader import load_registry

    return load_registry(REPO / "criteria")


def make_app(settings: Settings, today: date, repo_registry: Registry) -> FastAPI:
    """The ASGI app with ``settings`` and the clock fixed at ``today``.

    With the default criteria directory the session's registry is used instead of a new load.
    """
    from cds.api.deps import get_registry, get_today
    from cds.app import create_app

    application = create_app(settings)
    application.dependency_overrides[get_today] = lambda: today
    if settings.criteria_dir.resolve() == (REPO / "criteria").resolve():
        application.dependency_overrides[get_registry] = lambda: repo_registry
    return application


@pytest.fixture(scope="session")
def app_factory(today: date, repo_registry: Registry) -> Callable[[Settings], FastAPI]:
    """:func:`make_app` for fixtures of a wider scope than ``app`` (the golden tests' one app)."""
    return lambda settings: make_app(settings, today, repo_registry)


@pytest.fixture
def app(settings: Settings, today: date, repo_registry: Registry) -> FastAPI:
    """The ASGI app with our settings and the clock fixed at :data:`TODAY` (:func:`make_app`)."""
    return make_app(settings, today, repo_registry)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    """A TestClient with the app's lifespan run (criteria loaded, database opened)."""
    from fastapi.testclient import TestClient

    with TestClient(app) as test_client:
        yield test_client


def service_id_for(hook_name: str) -> str:
    """The id of the service that answers ``hook_name``."""
    from cds.services import SERVICES

    for service in SERVICES:
        if service.hook == hook_name:
            return service.id
    raise KeyError(hook_name)


@pytest.fixture
def hook(client: TestClient) -> Callable[..., Response]:
    """``hook(request_body, service_id=None)``: POST it; assert conformance if the answer is 200.

    The service defaults to the one registered for ``request_body["hook"]``.
    """

    def post(body: dict[str, Any], service_id: str | None = None) -> Response:
        target = service_id or service_id_for(str(body.get("hook")))
        response = client.post(f"/cds-services/{target}", json=body)
        if response.status_code == 200:
            assert_conformant(response.json(), body)
        return response

    return post


@pytest.fixture(autouse=True)
def every_hook_response_conforms(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Check every CDS Hooks response any test makes the service produce, not only golden ones.

    Wraps the serialiser the hook route uses, and the one ``cds evaluate`` (the CLI) uses. The
    route turns exceptions into ``{"cards": []}`` (graceful degradation), so a failed check is
    recorded here and fails the test at teardown. The check includes our own card rules (length
    budget per card type, at most three links: tests/conformance.py).
    """
    import cds.api.hooks as hooks_module
    import cds.cdshooks as cdshooks_module
    from cds.cdshooks import CdsResponse

    original = cdshooks_module.dump
    failures: list[str] = []

    def checked(model: Any) -> dict[str, Any]:
        data = original(model)
        if isinstance(model, CdsResponse):
            try:
                assert_conformant(data)
            except AssertionError as exc:
                failures.append(str(exc))
        return data

    monkeypatch.setattr(hooks_module, "dump", checked)
    monkeypatch.setattr(cdshooks_module, "dump", checked)  # the CLI imports it at call time
    yield
    assert not failures, f"non-conformant CDS Hooks response: {failures[0]}"
