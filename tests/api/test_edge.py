"""Headers and the access log at the edge of the service (issue 8 §5).

Every response, 200 or error, carries ``Cache-Control: no-store`` and ``X-Content-Type-Options:
nosniff``; each request writes one JSON access-log line with ids redacted, no query string,
control characters escaped and no patient identifier; ``cds serve`` runs uvicorn without its
access log and ``server`` banner (checked on a real server on 127.0.0.1).
"""

from __future__ import annotations

import json
import logging
import socket
import threading
import time
from collections.abc import Iterator

import httpx
import pytest
import uvicorn
from apptools import Capture, build_app, make_settings
from fastapi.testclient import TestClient
from hookdata import PATIENT_ID, full_prefetch, hook_body

from cds.cli import uvicorn_options

SERVICE = "/cds-services/pakkeforlop-patient-view"


class Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.fixture
def access_log() -> Iterator[Lines]:
    handler = Lines()
    from cds.logs import EscapingFormatter

    handler.setFormatter(EscapingFormatter("%(message)s"))
    logger = logging.getLogger("cds.access")
    logger.addHandler(handler)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)


def _assert_edge_headers(response: httpx.Response) -> None:
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "server" not in response.headers


@pytest.mark.parametrize(
    ("method", "path", "body", "status"),
    [
        ("POST", SERVICE, hook_body(prefetch=full_prefetch()), 200),
        ("GET", "/cds-services", None, 200),
        ("GET", "/healthz", None, 200),
        ("POST", SERVICE, {"hook": "patient-view"}, 422),
        ("POST", "/cds-services/nope", hook_body(), 404),
        ("GET", SERVICE, None, 405),
        ("GET", "/no/such/route", None, 404),
    ],
)
def test_every_response_carries_no_store_and_nosniff(
    client: TestClient, method: str, path: str, body: object, status: int
) -> None:
    response = client.request(method, path, json=body)
    assert response.status_code == status
    _assert_edge_headers(response)


def test_an_unexpected_500_carries_them_too(app, capture: Capture) -> None:
    def explode() -> None:
        raise RuntimeError("boom")

    from cds.api import deps

    # The feedback route needs the store (discovery needs nothing that could fail).
    app.dependency_overrides[deps.get_store] = explode
    feedback = {
        "feedback": [
            {
                "card": "c1",
                "outcome": "overridden",
                "outcomeTimestamp": "2026-11-20T10:00:00Z",
            }
        ]
    }
    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.post("/cds-services/pakkeforlop-patient-view/feedback", json=feedback)
    assert response.status_code == 500
    _assert_edge_headers(response)


def test_a_disconnect_met_by_another_reader_is_logged_at_info_only(
    app, caplog: pytest.LogCaptureFixture
) -> None:
    """The last-resort middleware does not call a client's disconnect a server error."""
    from starlette.requests import ClientDisconnect

    from cds.api import deps

    def gone() -> None:
        raise ClientDisconnect()

    app.dependency_overrides[deps.get_store] = gone
    with caplog.at_level(logging.INFO, logger="cds"), TestClient(app) as client:
        # Nothing is sent back (the client is gone); the test client sees no response at all.
        with pytest.raises(AssertionError, match="did not receive any response"):
            client.post(f"{SERVICE}/feedback", json={"feedback": []})
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert any(r.getMessage().startswith("client disconnected") for r in caplog.records)


def test_one_json_line_per_request_without_query_or_ids(
    client: TestClient, access_log: Lines
) -> None:
    body = hook_body(prefetch=full_prefetch())
    client.post(SERVICE + "?access_token=secret-token", json=body)
    client.get(f"/Patient/{PATIENT_ID}?access_token=secret-token")
    assert len(access_log.lines) == 2
    first, second = (json.loads(line) for line in access_log.lines)
    assert first["method"] == "POST"
    assert first["path"] == "/cds-services/{id}"
    assert first["status"] == 200
    assert first["hookInstance"] == body["hookInstance"]
    assert isinstance(first["duration_ms"], float)
    assert second["path"] == "/Patient/{id}"
    assert second["status"] == 404
    text = "\n".join(access_log.lines)
    assert "secret-token" not in text
    assert "access_token" not in text
    assert PATIENT_ID not in text


def test_control_characters_from_the_path_are_escaped_everywhere(
    client: TestClient, access_log: Lines, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="cds")
    client.post("/cds-services/x%0Afake%20line%1b[31m", json=hook_body())
    client.get("/a%0Ab%7F")
    for line in access_log.lines:
        assert "\n" not in line and "\x1b" not in line and "\x7f" not in line
    for record in caplog.records:
        assert "\n" not in record.getMessage()
        assert "\x1b" not in record.getMessage()


def test_hook_instance_with_control_characters_is_masked(
    client: TestClient, access_log: Lines
) -> None:
    body = hook_body(prefetch=full_prefetch())
    body["hookInstance"] = "abc\ninjected\x1b"
    client.post(SERVICE, json=body)
    assert json.loads(access_log.lines[-1])["hookInstance"] == "abc?injected?"


def test_escaping_formatter_escapes_control_characters() -> None:
    from cds.logs import escape_controls

    assert escape_controls("a\nb\x1b\x7f\u2028") == "a\\x0ab\\x1b\\x7f\\u2028"


def test_json_log_lines_are_one_object_each_with_the_hook_instance() -> None:
    from cds.logs import HookInstanceFilter, JsonFormatter, bound_hook_instance, configure_logging

    record = logging.LogRecord("cds.x", logging.WARNING, __file__, 1, "two\nlines %s", ("x",), None)
    with bound_hook_instance("d1577c69-dfbe-44ad-ba6d-3e05e953b2ea"):
        HookInstanceFilter().filter(record)  # what the handler's filter adds to every record
        line = JsonFormatter().format(record)
    assert "\n" not in line  # one physical line whatever the message holds
    data = json.loads(line)
    assert data["message"] == "two\nlines x" and data["level"] == "WARNING"
    assert data["logger"] == "cds.x" and data["time"].endswith("+00:00")
    assert data["hookInstance"] == "d1577c69-dfbe-44ad-ba6d-3e05e953b2ea"
    # The format setting switches the handler of an app already configured in this process.
    configure_logging("INFO", "json")
    try:
        [handler] = [h for h in logging.getLogger("cds").handlers if getattr(h, "_cds_handler", 0)]
        assert isinstance(handler.formatter, JsonFormatter)
    finally:
        configure_logging("INFO", "text")


# --- a real uvicorn, configured as `cds serve` configures it ----------------------------------


@pytest.fixture
def server(access_log: Lines) -> Iterator[tuple[str, Lines]]:
    settings = make_settings(body_timeout_s=0.5, max_header_bytes=4096)
    app = build_app(settings, Capture())
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, **uvicorn_options(settings))
    instance = uvicorn.Server(config)
    thread = threading.Thread(target=instance.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not instance.started:
        assert thread.is_alive() and time.monotonic() < deadline
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}", access_log
    finally:
        instance.should_exit = True
        thread.join(timeout=10)
        sock.close()


def test_real_server_no_banner_no_server_access_log(server: tuple[str, Lines]) -> None:
    base, ours = server
    theirs = Lines()
    logging.getLogger("uvicorn.access").addHandler(theirs)
    try:
        response = httpx.post(
            f"{base}{SERVICE}?access_token=secret-token", json=hook_body(prefetch=full_prefetch())
        )
        # The access line is written by the server thread after the last body byte is sent,
        # so the client may see the response first: wait for it (bounded) instead of racing.
        deadline = time.monotonic() + 5
        while not ours.lines and time.monotonic() < deadline:
            time.sleep(0.01)
    finally:
        logging.getLogger("uvicorn.access").removeHandler(theirs)
    assert response.status_code == 200
    _assert_edge_headers(response)
    assert "date" in response.headers
    assert theirs.lines == []
    assert len(ours.lines) == 1 and "secret-token" not in ours.lines[0]


def test_real_server_refuses_oversized_headers(server: tuple[str, Lines]) -> None:
    base, _ = server
    response = httpx.get(f"{base}/healthz", headers={"x-big": "a" * 8000})
    assert response.status_code == 431
    assert response.json()["resourceType"] == "OperationOutcome"
    assert httpx.get(f"{base}/healthz", headers={"x-big": "a" * 3000}).status_code == 200


def _complete(response: bytes) -> bool:
    """Whether ``response`` holds its headers and the whole body its Content-Length announces."""
    head, sep, body = response.partition(b"\r\n\r\n")
    if not sep:
        return False
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return len(body) >= int(value)
    return True


def test_real_server_times_out_a_slow_upload(server: tuple[str, Lines]) -> None:
    base, _ = server
    host, port = base.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=5) as conn:
        conn.sendall(
            f"POST {SERVICE} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            "Content-Length: 1000\r\n\r\n{".encode()
        )
        started = time.monotonic()
        # Headers and body may arrive in separate segments: read until the body is complete.
        received = b""
        while (chunk := conn.recv(4096)) and not _complete(received := received + chunk):
            pass
        answer = received.decode()
        assert time.monotonic() - started < 3
    assert answer.startswith("HTTP/1.1 408"), answer
    assert "OperationOutcome" in answer


@pytest.mark.parametrize("path", [SERVICE, f"{SERVICE}/feedback"])
def test_real_server_client_gone_mid_upload_is_no_server_error(
    server: tuple[str, Lines], path: str
) -> None:
    """Content-Length 1000, 5 bytes sent, socket closed: nobody is listening for an answer, and
    it is the client's doing, so neither a 500 in the access log nor an ERROR line."""
    base, ours = server
    errors = Lines()
    errors.setLevel(logging.ERROR)
    loggers = [logging.getLogger(name) for name in ("cds", "uvicorn.error")]
    for logger in loggers:
        logger.addHandler(errors)
    try:
        host, port = base.removeprefix("http://").split(":")
        with socket.create_connection((host, int(port)), timeout=5) as conn:
            conn.sendall(
                f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                'Content-Length: 1000\r\n\r\n{"ab'.encode()
            )
        # The server notices the close and writes its access line: wait for it (bounded).
        deadline = time.monotonic() + 5
        while not ours.lines and time.monotonic() < deadline:
            time.sleep(0.01)
    finally:
        for logger in loggers:
            logger.removeHandler(errors)
    assert len(ours.lines) == 1, ours.lines
    status = json.loads(ours.lines[0])["status"]
    assert status < 500, ours.lines[0]
    assert errors.lines == []
