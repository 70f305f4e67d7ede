"""CDS Client JWT authentication (checklist §1.9, A1–A7, issue 8 §2) and the fhirServer allowlist.

Keys are generated here; the clients' JWK Set is served by an ``httpx.MockTransport`` that stands
in for the app's shared HTTP client, so nothing touches the network. Every refusal must be the
same 401 body: the caller learns nothing about why.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import time
import uuid
from collections.abc import Callable, Iterator
from functools import cache
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
import yaml
from apptools import Capture, build_app, make_settings
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from fastapi import Depends, FastAPI, Request
from fastapi.testclient import TestClient
from hookdata import assert_outcome, full_prefetch, hook_body, service_url
from jwt.algorithms import ECAlgorithm, RSAAlgorithm
from pydantic import ValidationError

from cds.api.deps import authenticate_client, get_http_client
from cds.app import create_app
from cds.auth.clients import TrustedClientsError, load_trusted_clients
from cds.auth.keys import JwksCache, JwksUnavailable
from cds.auth.replay import ReplayCache
from cds.auth.replay_store import SqlReplayStore
from cds.settings import REPO_ROOT, Settings

ISS = "https://ehr.example.no"
JKU = "https://ehr.example.no/.well-known/jwks.json"
FHIR_BASE = "https://fhir.ehr.example.no/R4"
INLINE_ISS = "https://inline.example.no"
ANY_FHIR = "https://any.example/fhir"
LOOPBACK_FHIR = "http://127.0.0.1:8081/fhir"
TENANT = "legekontor-0301-001"
SERVER = "http://testserver"  # what the TestClient sends as Host: never the audience
PUBLIC = "https://cds.example.no"
LEEWAY = 60
LIFETIME = 300  # CDS_JWT_MAX_LIFETIME_S default

SERVICE = service_url("patient-view")
DISCOVERY = "/cds-services"
FEEDBACK = SERVICE + "/feedback"
FEEDBACK_BODY = {
    "feedback": [
        {
            "card": "9b4f2a3e-6d1c-4a77-8a53-5f5b2f6c0d11",
            "outcome": "overridden",
            "outcomeTimestamp": "2026-11-20T10:15:00Z",
        }
    ]
}
UNAUTHORIZED = {
    "resourceType": "OperationOutcome",
    "issue": [{"severity": "error", "code": "login", "diagnostics": "unauthorized"}],
}


# --- keys and tokens ----------------------------------------------------------------------------


@cache
def ec_key(name: str = "ec") -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP384R1())


@cache
def rsa_key(name: str = "rsa") -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def public_jwk(key: Any, kid: str, alg: str) -> dict[str, Any]:
    algorithm = ECAlgorithm if alg.startswith("ES") else RSAAlgorithm
    jwk: dict[str, Any] = algorithm.to_jwk(key.public_key(), as_dict=True)
    return {**jwk, "kid": kid, "alg": alg, "use": "sig"}


def served_keys() -> dict[str, Any]:
    """The JWK Set at JKU: one EC and one RSA key."""
    return {
        "keys": [
            public_jwk(ec_key(), "ec-1", "ES384"),
            public_jwk(rsa_key(), "rsa-1", "RS384"),
        ]
    }


def token(
    *,
    alg: str = "ES384",
    key: Any = None,
    kid: str | None = "ec-1",
    jku: str | None = JKU,
    typ: str | None = "JWT",
    aud: Any = PUBLIC + SERVICE,
    iss: str = ISS,
    lifetime: float = 300,
    issued: float = 0,
    drop: tuple[str, ...] = (),
    **claims: Any,
) -> str:
    """A signed CDS Client JWT; times are seconds relative to now."""
    now = time.time()
    payload: dict[str, Any] = {
        "iss": iss,
        "aud": aud,
        "iat": int(now + issued),
        "exp": int(now + lifetime),
        "jti": str(uuid.uuid4()),
        **claims,
    }
    for name in drop:
        payload.pop(name)
    headers: dict[str, Any] = {"typ": typ}  # PyJWT adds typ JWT unless told None
    for name, value in (("kid", kid), ("jku", jku)):
        if value is not None:
            headers[name] = value
    if key is None:
        key = rsa_key() if alg.startswith(("RS", "PS")) else ec_key()
    return jwt.encode(payload, key, algorithm=alg, headers=headers)


def unsigned_token(**claims: Any) -> str:
    """``alg: none``: PyJWT refuses to make one, so build it by hand."""

    def b64(data: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    now = int(time.time())
    payload = {"iss": ISS, "aud": PUBLIC + SERVICE, "iat": now, "exp": now + 300, "jti": "x"}
    return f"{b64({'alg': 'none', 'kid': 'ec-1', 'typ': 'JWT'})}.{b64({**payload, **claims})}."


def bearer(value: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {value}"}


# --- the app under test -------------------------------------------------------------------------


class FakeJwks:
    """The client's JWK Set endpoint, behind the app's shared HTTP client."""

    def __init__(self) -> None:
        self.mode = "ok"  # ok | error | timeout | not-json
        self.keys = served_keys()
        self.requests: list[str] = []
        self.http = httpx.AsyncClient(transport=httpx.MockTransport(self.handle))

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(str(request.url))
        if str(request.url) != JKU:
            return httpx.Response(404)
        if self.mode == "timeout":
            raise httpx.ReadTimeout("timed out", request=request)
        if self.mode == "error":
            return httpx.Response(500)
        if self.mode == "not-json":
            return httpx.Response(200, content=b"<html>")
        return httpx.Response(200, json=self.keys)


def clients_yaml(tmp_path: Path, clients: list[dict[str, Any]] | None = None) -> Path:
    if clients is None:
        clients = [
            {"iss": ISS, "jku": JKU, "fhir_servers": [FHIR_BASE]},
            {
                "iss": INLINE_ISS,
                "jwks": {"keys": [public_jwk(ec_key("inline"), "inline-1", "ES384")]},
                "tenants": [TENANT],
                "fhir_servers": [ANY_FHIR, "http://any.example/fhir", LOOPBACK_FHIR],
            },
        ]
    path = tmp_path / "trusted-clients.yaml"
    path.write_text(yaml.safe_dump({"clients": clients}), encoding="utf-8")
    return path


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(
        auth_required=True,
        trusted_clients_file=clients_yaml(tmp_path),
        auth_leeway_s=LEEWAY,
        public_base_url=PUBLIC,
    )


@pytest.fixture
def jwks() -> Iterator[FakeJwks]:
    fake = FakeJwks()
    yield fake
    asyncio.run(fake.http.aclose())


@pytest.fixture
def app(settings: Settings, capture: Capture, jwks: FakeJwks) -> FastAPI:
    application = build_app(settings, capture)
    application.dependency_overrides[get_http_client] = lambda: jwks.http

    # What routes see: the authenticated client on request.state.
    @application.get("/whoami", dependencies=[Depends(authenticate_client)])
    async def whoami(request: Request) -> dict[str, Any]:
        caller = request.state.cds_client
        return {"iss": caller.iss, "tenant": caller.tenant}

    return application


def post_hook(client: TestClient, headers: dict[str, str], **body: Any) -> httpx.Response:
    return client.post(SERVICE, json=hook_body(prefetch=full_prefetch(), **body), headers=headers)


def assert_unauthorized(response: httpx.Response, *, token_sent: bool = True) -> None:
    assert response.status_code == 401, response.text
    assert response.json() == UNAUTHORIZED  # the same body for every reason: no detail
    # RFC 6750 §3: the challenge on every 401; an error code only when a token was sent.
    challenge = 'Bearer realm="cds-hooks"'
    expected = f'{challenge}, error="invalid_token"' if token_sent else challenge
    assert response.headers["www-authenticate"] == expected


# --- accepted -----------------------------------------------------------------------------------


@pytest.mark.parametrize("alg", ["ES384", "RS384"])
def test_valid_token_calls_the_service(client: TestClient, capture: Capture, alg: str) -> None:
    kid = "ec-1" if alg == "ES384" else "rsa-1"
    response = post_hook(client, bearer(token(alg=alg, kid=kid)))
    assert response.status_code == 200, response.text
    assert response.json() == {"cards": []}
    assert len(capture.calls) == 1


@pytest.mark.parametrize(
    "headers",
    [{}, bearer("not-a-jwt"), bearer(token(aud=PUBLIC + DISCOVERY))],
    ids=["no-token", "bad-token", "good-token"],
)
@pytest.mark.parametrize(
    "path", [DISCOVERY, "/openapi.json", "/docs", "/redoc", "/healthz", "/readyz", "/metrics"]
)
def test_discovery_and_api_docs_are_public(
    client: TestClient, jwks: FakeJwks, path: str, headers: dict[str, str]
) -> None:
    # Decided in README «Authentication (JWT)»: static, the same for everyone, no patient data.
    response = client.get(path, headers=headers)
    assert response.status_code == 200, response.text
    if path == DISCOVERY:
        assert response.json()["services"]
    assert jwks.requests == []  # a token sent along is not even looked at


def test_valid_token_for_feedback(client: TestClient) -> None:
    headers = bearer(token(aud=PUBLIC + FEEDBACK))
    response = client.post(FEEDBACK, json=FEEDBACK_BODY, headers=headers)
    assert response.status_code == 200, response.text


def test_aud_may_be_a_list(client: TestClient) -> None:
    response = post_hook(client, bearer(token(aud=[PUBLIC + DISCOVERY, PUBLIC + SERVICE])))
    assert response.status_code == 200


def test_token_without_jku_header_uses_the_clients_jku(client: TestClient) -> None:
    assert post_hook(client, bearer(token(jku=None))).status_code == 200


@pytest.mark.parametrize("typ", ["JWT", "jwt"])
def test_typ_jwt_in_any_case(client: TestClient, typ: str) -> None:
    assert post_hook(client, bearer(token(typ=typ))).status_code == 200


def test_inline_jwks_client_with_tenant_and_request_state(
    client: TestClient, jwks: FakeJwks
) -> None:
    headers = bearer(
        token(
            iss=INLINE_ISS,
            key=ec_key("inline"),
            kid="inline-1",
            jku=None,
            aud=PUBLIC + "/whoami",
            tenant=TENANT,
        )
    )
    response = client.get("/whoami", headers=headers)
    assert response.status_code == 200
    assert response.json() == {"iss": INLINE_ISS, "tenant": TENANT}
    assert jwks.requests == []  # inline keys: nothing fetched


def test_jwks_is_fetched_once_and_cached(client: TestClient, jwks: FakeJwks) -> None:
    for alg, kid in (("ES384", "ec-1"), ("RS384", "rsa-1"), ("ES384", "ec-1")):
        assert post_hook(client, bearer(token(alg=alg, kid=kid))).status_code == 200
    assert jwks.requests == [JKU]


@pytest.mark.parametrize(
    ("lifetime", "issued", "refused"),
    [
        (-(LEEWAY - 10), -(LEEWAY - 10) - 200, None),  # expired, but within the leeway
        (-(LEEWAY + 10), -(LEEWAY + 10) - 200, "expired"),  # expired beyond the leeway
        (300, LEEWAY - 10, None),  # iat slightly ahead: clock skew
        (LEEWAY + 210, LEEWAY + 10, "not-yet-valid"),  # iat in the future
        (LIFETIME, 0, None),  # five minutes is the longest lifetime by default
        (LIFETIME + 1, 0, "lifetime"),  # exp - iat over the limit
        (3600, 0, "lifetime"),  # an hour (the spec's upper bound) is over our limit
        (60, -86_400, "lifetime"),  # issued 24 h ago, exp still in the future
        (60, 60, "lifetime"),  # exp == iat: no lifetime at all
    ],
    ids=[
        "exp-within-leeway",
        "exp-beyond-leeway",
        "iat-within-leeway",
        "iat-future",
        "lifetime-5min",
        "lifetime-over-5min",
        "lifetime-1h",
        "issued-24h-ago",
        "zero-lifetime",
    ],
)
def test_time_claims(
    client: TestClient,
    caplog: pytest.LogCaptureFixture,
    lifetime: float,
    issued: float,
    refused: str | None,
) -> None:
    with caplog.at_level(logging.INFO, logger="cds"):
        response = post_hook(client, bearer(token(lifetime=lifetime, issued=issued)))
    if refused is None:
        assert response.status_code == 200, response.text
    else:
        assert_unauthorized(response)
        assert f"reason={refused} " in caplog.text


# --- refused ------------------------------------------------------------------------------------


def other_key_same_kid() -> str:
    return token(key=ec_key("attacker"))


# case: (the reason category logged, the request headers)
REFUSED: dict[str, tuple[str, Callable[[], dict[str, str]]]] = {
    "bad-signature": ("signature", lambda: bearer(other_key_same_kid())),
    "tampered-payload": ("signature", lambda: bearer(tampered(token()))),
    "hs256": (
        "alg",
        lambda: bearer(token(alg="HS256", key="a-shared-secret-of-32-bytes-or-more!")),
    ),
    "alg-none": ("alg", lambda: bearer(unsigned_token())),
    "rs256-not-allowed": ("alg", lambda: bearer(token(alg="RS256", kid="rsa-1"))),
    "key-of-other-type": ("key-alg", lambda: bearer(token(alg="RS384", kid="ec-1"))),
    "unknown-iss": ("unknown-iss", lambda: bearer(token(iss="https://evil.example"))),
    "unknown-kid": ("unknown-kid", lambda: bearer(token(kid="nope"))),
    "no-kid": ("header", lambda: bearer(token(kid=None))),
    "typ-not-jwt": ("typ", lambda: bearer(token(typ="JWS"))),
    "no-typ": ("typ", lambda: bearer(token(typ=None))),
    "exp-infinite": ("invalid", lambda: bearer(token(exp=1e400))),  # a 401, never a 500
    "jku-not-allowlisted": ("jku", lambda: bearer(token(jku="https://evil.example/jwks.json"))),
    "wrong-aud": ("aud", lambda: bearer(token(aud=PUBLIC + DISCOVERY))),
    "aud-with-query": ("aud", lambda: bearer(token(aud=PUBLIC + SERVICE + "?x=1"))),
    "aud-of-request-host": ("aud", lambda: bearer(token(aud=SERVER + SERVICE))),
    "no-jti": ("claims", lambda: bearer(token(drop=("jti",)))),
    "no-exp": ("claims", lambda: bearer(token(drop=("exp",)))),
    "no-iat": ("claims", lambda: bearer(token(drop=("iat",)))),
    "no-aud": ("claims", lambda: bearer(token(drop=("aud",)))),
    "jti-not-string": ("invalid", lambda: bearer(token(jti=123))),
    "no-header": ("no-token", lambda: {}),
    "basic-scheme": ("not-bearer", lambda: {"Authorization": "Basic dXNlcjpwYXNz"}),
    "empty-bearer": ("not-bearer", lambda: {"Authorization": "Bearer "}),
    "not-a-jwt": ("malformed", lambda: bearer("abc.def")),
    "huge-token": ("too-long", lambda: bearer("a" * 20_000)),
}


NO_TOKEN = ("no-token", "not-bearer")


def tampered(value: str) -> str:
    header, payload, signature = value.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    claims["tenant"] = "someone-else"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{header}.{forged}.{signature}"


@pytest.mark.parametrize("case", list(REFUSED))
def test_refused_with_401_and_no_detail(
    client: TestClient, capture: Capture, caplog: pytest.LogCaptureFixture, case: str
) -> None:
    reason, headers = REFUSED[case]
    with caplog.at_level(logging.INFO, logger="cds"):
        assert_unauthorized(post_hook(client, headers()), token_sent=reason not in NO_TOKEN)
    # The caller learns nothing; the log says which check refused (so this test proves it).
    assert f"client_auth refused reason={reason} " in caplog.text
    assert capture.calls == []


def test_jku_not_allowlisted_is_never_fetched(client: TestClient, jwks: FakeJwks) -> None:
    assert_unauthorized(post_hook(client, bearer(token(jku="https://evil.example/jwks.json"))))
    assert jwks.requests == []


def test_feedback_needs_a_token_for_its_own_url(client: TestClient) -> None:
    assert_unauthorized(client.post(FEEDBACK, json=FEEDBACK_BODY), token_sent=False)
    headers = bearer(token(aud=PUBLIC + SERVICE))
    assert_unauthorized(client.post(FEEDBACK, json=FEEDBACK_BODY, headers=headers))


@pytest.mark.parametrize(
    "spoof",
    [
        {"Host": "other-cds.example"},
        {"Host": "other-cds.example", "X-Forwarded-Proto": "https"},
        {"X-Forwarded-Host": "other-cds.example", "X-Forwarded-Proto": "https"},
        {"Forwarded": "host=other-cds.example;proto=https"},
    ],
    ids=["host", "host-and-proto", "x-forwarded-host", "forwarded"],
)
def test_token_for_another_service_is_refused_whatever_the_host_header(
    client: TestClient, capture: Capture, spoof: dict[str, str]
) -> None:
    # Issue 8: a token minted for another CDS service, sent with a Host that matches its aud.
    stolen = token(aud="https://other-cds.example" + SERVICE)
    assert_unauthorized(post_hook(client, {**bearer(stolen), **spoof}))
    assert capture.calls == []


def test_replayed_jti_is_refused(client: TestClient) -> None:
    headers = bearer(token())
    assert post_hook(client, headers).status_code == 200
    assert_unauthorized(post_hook(client, headers))


def test_replay_is_refused_across_two_workers_sharing_the_database(
    settings: Settings, capture: Capture, jwks: FakeJwks, tmp_path: Path
) -> None:
    # Two apps on one database file stand for two worker processes (or two instances).
    shared = settings.model_copy(update={"database_url": f"sqlite:///{tmp_path / 'cds.sqlite3'}"})
    workers = [build_app(shared, capture) for _ in range(2)]
    for app in workers:
        app.dependency_overrides[get_http_client] = lambda: jwks.http
    headers = bearer(token())
    with TestClient(workers[0]) as first, TestClient(workers[1]) as second:
        assert isinstance(workers[0].state.client_verifier.replay, SqlReplayStore)
        assert post_hook(first, headers).status_code == 200
        assert_unauthorized(post_hook(second, headers))
        assert_unauthorized(post_hook(first, headers))
    assert len(capture.calls) == 1


def test_replay_store_unavailable_refuses(
    client: TestClient, app: FastAPI, caplog: pytest.LogCaptureFixture
) -> None:
    class Broken:
        blocking = True

        def add(self, iss: str, jti: str, *, forget_after: float, now: float) -> str:
            return "unavailable"

    app.state.client_verifier.replay = Broken()
    with caplog.at_level(logging.INFO, logger="cds"):
        assert_unauthorized(post_hook(client, bearer(token())))
    assert "reason=jti-unavailable " in caplog.text


def test_same_jti_from_two_clients_is_not_a_replay(client: TestClient) -> None:
    first = token(jti="shared")
    second = token(
        iss=INLINE_ISS, key=ec_key("inline"), kid="inline-1", jku=None, jti="shared", tenant=TENANT
    )
    assert post_hook(client, bearer(first)).status_code == 200
    assert post_hook(client, bearer(second)).status_code == 200


@pytest.mark.parametrize("tenant", ["legekontor-9999", None], ids=["other", "missing"])
def test_tenant_not_allowed(
    client: TestClient, caplog: pytest.LogCaptureFixture, tenant: str | None
) -> None:
    extra = {"tenant": tenant} if tenant is not None else {}
    value = token(iss=INLINE_ISS, key=ec_key("inline"), kid="inline-1", jku=None, **extra)
    with caplog.at_level(logging.INFO, logger="cds"):
        assert_unauthorized(post_hook(client, bearer(value)))
    assert "reason=tenant " in caplog.text


@pytest.mark.parametrize("mode", ["error", "timeout", "not-json"])
def test_jwks_endpoint_failing_gives_401(
    client: TestClient, jwks: FakeJwks, caplog: pytest.LogCaptureFixture, mode: str
) -> None:
    jwks.mode = mode
    with caplog.at_level(logging.INFO, logger="cds"):
        assert_unauthorized(post_hook(client, bearer(token())))
    assert "reason=jwks-unavailable " in caplog.text


def test_unknown_service_needs_a_token_first(client: TestClient) -> None:
    # Authentication runs before the service lookup: no service ids for anonymous callers.
    assert_unauthorized(client.post("/cds-services/nope", json={}), token_sent=False)


def test_public_base_url_with_a_path_is_the_audience(
    tmp_path: Path, capture: Capture, jwks: FakeJwks
) -> None:
    settings = make_settings(
        auth_required=True,
        trusted_clients_file=clients_yaml(tmp_path),
        public_base_url=PUBLIC + "/cds/",
    )
    app = build_app(settings, capture)
    app.dependency_overrides[get_http_client] = lambda: jwks.http
    with TestClient(app) as client:
        assert post_hook(client, bearer(token(aud=PUBLIC + "/cds" + SERVICE))).status_code == 200
        # The URL the proxy forwarded to is not what the EHR called.
        assert_unauthorized(post_hook(client, bearer(token(aud=PUBLIC + SERVICE))))


def test_the_token_is_never_logged(client: TestClient, caplog: pytest.LogCaptureFixture) -> None:
    good, bad = token(tenant="x"), other_key_same_kid()
    with caplog.at_level(logging.DEBUG, logger="cds"):
        post_hook(client, bearer(good))
        post_hook(client, bearer(bad))
    assert "client_auth ok" in caplog.text and "reason=signature" in caplog.text
    for value in (good, bad):
        for part in value.split("."):
            assert part not in caplog.text


# --- fhirServer allowlist (SSRF guard) ----------------------------------------------------------


@pytest.mark.parametrize(
    "fhir_server",
    [
        "https://evil.example/R4",
        "https://fhir.ehr.example.no.evil.example/R4",
        "https://fhir.ehr.example.no/R5",
        "https://fhir.ehr.example.no/R4/../admin",
        "https://fhir.ehr.example.no/R4/%2e%2e/admin",
        "http://fhir.ehr.example.no/R4",
        "https://fhir.ehr.example.no:8443/R4",
        "https://user@fhir.ehr.example.no/R4",
        "http://169.254.169.254/latest",
    ],
)
def test_fhir_server_not_registered_is_422(
    client: TestClient, capture: Capture, fhir_server: str
) -> None:
    response = post_hook(client, bearer(token()), fhir_server=fhir_server)
    body = assert_outcome(response, 422)
    assert body["issue"][0]["expression"] == ["fhirServer"]
    assert fhir_server not in response.text  # named, never echoed
    assert capture.calls == []


@pytest.mark.parametrize(
    "fhir_server", [FHIR_BASE, FHIR_BASE + "/", "https://FHIR.ehr.example.no:443/R4"]
)
def test_registered_fhir_server_is_allowed(client: TestClient, fhir_server: str) -> None:
    response = post_hook(client, bearer(token()), fhir_server=fhir_server)
    assert response.status_code == 200, response.text


def test_client_without_fhir_servers_stops_the_start_up(tmp_path: Path) -> None:
    path = clients_yaml(
        tmp_path,
        [
            {"iss": ISS, "jku": JKU, "fhir_servers": [FHIR_BASE]},
            {"iss": INLINE_ISS, "jku": JKU},  # would let its tokens send us anywhere
        ],
    )
    with pytest.raises(ValidationError, match="fhir_servers") as info:
        make_settings(auth_required=True, trusted_clients_file=path, public_base_url=PUBLIC)
    assert repr(INLINE_ISS) in str(info.value) and repr(ISS) not in str(info.value)
    # Auth off: the file is still read, and a client without fhir_servers is allowed.
    assert make_settings(trusted_clients_file=path).trusted_clients


def test_client_with_an_empty_fhir_servers_list_may_name_none(tmp_path: Path) -> None:
    path = clients_yaml(tmp_path, [{"iss": ISS, "jku": JKU, "fhir_servers": []}])
    settings = make_settings(auth_required=True, trusted_clients_file=path, public_base_url=PUBLIC)
    assert settings.trusted_clients[0].fhir_servers == ()


@pytest.mark.parametrize("public", [None, ""], ids=["unset", "empty"])
def test_auth_without_public_base_url_stops_the_start_up(
    tmp_path: Path, public: str | None
) -> None:
    with pytest.raises(ValidationError, match="CDS_PUBLIC_BASE_URL is not set"):
        make_settings(
            auth_required=True, trusted_clients_file=clients_yaml(tmp_path), public_base_url=public
        )


def test_auth_without_public_base_url_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CDS_AUTH_REQUIRED", "true")
    monkeypatch.setenv("CDS_TRUSTED_CLIENTS_FILE", str(clients_yaml(tmp_path)))
    monkeypatch.delenv("CDS_PUBLIC_BASE_URL", raising=False)
    with pytest.raises(ValidationError, match="CDS_PUBLIC_BASE_URL"):
        Settings(database_url="sqlite://")


def test_create_app_checks_again_settings_built_without_validation(tmp_path: Path) -> None:
    valid = make_settings(
        auth_required=True, trusted_clients_file=clients_yaml(tmp_path), public_base_url=PUBLIC
    )
    unchecked = valid.model_copy(update={"public_base_url": None})
    with pytest.raises(RuntimeError, match="CDS_PUBLIC_BASE_URL"):
        create_app(unchecked)


@pytest.mark.parametrize(
    ("public", "message"),
    [
        ("http://cds.example.no", "must use https"),
        ("https://cds.example.no/?x=1", "no query"),
        ("cds.example.no", "absolute"),
    ],
)
def test_public_base_url_must_be_an_https_url(tmp_path: Path, public: str, message: str) -> None:
    with pytest.raises(ValidationError, match=f"CDS_PUBLIC_BASE_URL .*{message}"):
        make_settings(
            auth_required=True, trusted_clients_file=clients_yaml(tmp_path), public_base_url=public
        )


@pytest.mark.parametrize(
    ("fhir_server", "status"),
    [
        ("http://any.example/fhir", 422),  # the token would travel in clear text
        (LOOPBACK_FHIR, 200),  # a FHIR server on the same host
        (ANY_FHIR, 200),
    ],
)
def test_with_auth_on_fhir_server_must_use_https(
    client: TestClient, fhir_server: str, status: int
) -> None:
    value = token(iss=INLINE_ISS, key=ec_key("inline"), kid="inline-1", jku=None, tenant=TENANT)
    response = post_hook(client, bearer(value), fhir_server=fhir_server)
    assert response.status_code == status, response.text
    if status == 422:
        issue = response.json()["issue"][0]
        assert (issue["code"], issue["expression"]) == ("security", ["fhirServer"])
        assert fhir_server not in response.text


# --- CORS and auth off --------------------------------------------------------------------------


def test_cors_preflight_needs_no_token(client: TestClient, jwks: FakeJwks) -> None:
    origin = "https://sandbox.cds-hooks.org"
    response = client.options(
        SERVICE,
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type",
        },
    )
    assert 200 <= response.status_code < 300
    assert response.headers["access-control-allow-origin"] == origin
    assert jwks.requests == []
    # And a refusal is readable by the browser client.
    refused = client.post(FEEDBACK, json=FEEDBACK_BODY, headers={"Origin": origin})
    assert_unauthorized(refused, token_sent=False)
    assert refused.headers["access-control-allow-origin"] == origin


def test_auth_off_needs_no_token_and_warns(
    capture: Capture, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="cds.app"):
        app = build_app(make_settings(), capture)
    assert [r.message for r in caplog.records if "any caller is trusted" in r.message]
    with TestClient(app) as client:
        assert client.get(DISCOVERY).status_code == 200
        response = post_hook(client, {}, fhir_server="https://anywhere.example/fhir")
        assert response.status_code == 200


# --- settings and the trusted-clients file ------------------------------------------------------


@pytest.mark.parametrize("algorithms", [("HS256",), ("ES384", "none"), ("HS384",), ()])
def test_symmetric_none_and_empty_algorithms_are_refused(algorithms: tuple[str, ...]) -> None:
    with pytest.raises(ValidationError, match="CDS_AUTH_ALGORITHMS"):
        make_settings(auth_algorithms=algorithms)


def test_unknown_algorithm_is_refused() -> None:
    with pytest.raises(ValidationError, match="CDS_AUTH_ALGORITHMS: unknown"):
        make_settings(auth_algorithms=("ES384", "XYZ"))


def test_algorithms_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CDS_AUTH_ALGORITHMS", "ES384, PS384")
    assert Settings(database_url="sqlite://").auth_algorithms == ("ES384", "PS384")


def test_required_without_file_is_refused() -> None:
    with pytest.raises(ValidationError, match="CDS_TRUSTED_CLIENTS_FILE is not set"):
        make_settings(auth_required=True)


def test_missing_file_is_refused(tmp_path: Path) -> None:
    missing = tmp_path / "nope.yaml"
    with pytest.raises(ValidationError, match=r"CDS_TRUSTED_CLIENTS_FILE .*cannot read"):
        make_settings(auth_required=True, trusted_clients_file=missing)


def test_leeway_is_bounded() -> None:
    with pytest.raises(ValidationError, match="CDS_AUTH_LEEWAY_S"):
        make_settings(auth_leeway_s=3600)


@pytest.mark.parametrize("lifetime", [0, 3601])
def test_max_lifetime_is_bounded(lifetime: int) -> None:
    with pytest.raises(ValidationError, match="CDS_JWT_MAX_LIFETIME_S"):
        make_settings(jwt_max_lifetime_s=lifetime)


def test_max_lifetime_is_a_setting(
    settings: Settings, capture: Capture, jwks: FakeJwks, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CDS_JWT_MAX_LIFETIME_S", "3600")
    assert Settings(database_url="sqlite://").jwt_max_lifetime_s == 3600
    app = build_app(settings.model_copy(update={"jwt_max_lifetime_s": 3600}), capture)
    app.dependency_overrides[get_http_client] = lambda: jwks.http
    with TestClient(app) as client:
        assert post_hook(client, bearer(token(lifetime=3600))).status_code == 200
        assert_unauthorized(post_hook(client, bearer(token(lifetime=3601))))


def test_example_file_is_valid() -> None:
    example = REPO_ROOT / "docs" / "trusted-clients.example.yaml"
    # Valid for strict trust too: the README's sandbox recipe starts with it.
    make_settings(auth_required=True, trusted_clients_file=example, public_base_url=PUBLIC)
    clients = load_trusted_clients(example)
    sandbox = next(c for c in clients if c.iss == "https://sandbox.cds-hooks.org")
    assert sandbox.jku == "https://sandbox.cds-hooks.org/.well-known/jwks.json"


EC_JWK = public_jwk(ec_key(), "ec-1", "ES384")


@pytest.mark.parametrize(
    ("client", "message"),
    [
        ({"iss": ISS, "jku": JKU, "colour": "blue"}, "Extra inputs"),
        ({"iss": ISS}, "needs jku or jwks"),
        ({"iss": ISS, "jku": "http://ehr.example.no/jwks.json"}, "jku must use https"),
        ({"iss": ISS, "jwks": {"keys": [{**EC_JWK, "d": "secret"}]}}, "private key material"),
        ({"iss": ISS, "jwks": {"keys": [{"kty": "oct", "kid": "k", "k": "c2VjcmV0"}]}}, "kty"),
        ({"iss": ISS, "jwks": {"keys": [{**EC_JWK, "alg": "HS256"}]}}, "alg must be"),
        ({"iss": ISS, "jwks": {"keys": [EC_JWK, EC_JWK]}}, "unique"),
        ({"iss": ISS, "jku": JKU, "fhir_servers": ["ftp://x.example"]}, "fhir_servers"),
        ({"iss": ISS, "jku": JKU, "tenants": []}, "tenants"),
    ],
    ids=[
        "extra-key",
        "no-keys",
        "http-jku",
        "private-key",
        "symmetric-key",
        "hmac-alg",
        "duplicate-kid",
        "bad-fhir-server",
        "empty-tenants",
    ],
)
def test_invalid_trusted_clients_file(tmp_path: Path, client: dict[str, Any], message: str) -> None:
    path = clients_yaml(tmp_path, [client])
    with pytest.raises(TrustedClientsError, match="CDS_TRUSTED_CLIENTS_FILE") as info:
        load_trusted_clients(path)
    assert message in str(info.value)


def test_duplicate_iss_is_refused(tmp_path: Path) -> None:
    path = clients_yaml(tmp_path, [{"iss": ISS, "jku": JKU}, {"iss": ISS, "jku": JKU}])
    with pytest.raises(TrustedClientsError, match="once"):
        load_trusted_clients(path)


def test_not_yaml_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "clients.yaml"
    path.write_text("clients: [\n", encoding="utf-8")
    with pytest.raises(TrustedClientsError, match="not valid YAML"):
        load_trusted_clients(path)


# --- the caches ---------------------------------------------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_jwks_cache_rotation_ttl_and_failures(jwks: FakeJwks) -> None:
    clock = Clock()
    cache = JwksCache(clock=clock)

    def key(kid: str) -> Any:
        return asyncio.run(cache.key(JKU, kid, jwks.http))

    assert key("ec-1")["kid"] == "ec-1"
    # The client rotates in a new key: not refetched within a minute of the last fetch...
    jwks.keys = {"keys": [*served_keys()["keys"], public_jwk(ec_key("new"), "ec-2", "ES384")]}
    assert key("ec-2") is None
    assert len(jwks.requests) == 1
    # ...but after a minute it is.
    clock.now += 61
    assert key("ec-2")["kid"] == "ec-2"
    assert len(jwks.requests) == 2
    # A failing endpoint does not lock out a client whose keys are still fresh.
    jwks.mode = "error"
    clock.now += 61
    assert key("unknown") is None
    assert key("ec-1")["kid"] == "ec-1"
    # After the TTL the keys are dropped if they cannot be refetched (fail closed)...
    clock.now += 3600
    with pytest.raises(JwksUnavailable):
        key("ec-1")
    attempts = len(jwks.requests)
    # ...and retries wait a little, so a dead endpoint is not hammered.
    with pytest.raises(JwksUnavailable):
        key("ec-1")
    assert len(jwks.requests) == attempts
    jwks.mode = "ok"
    clock.now += 11
    assert key("ec-1")["kid"] == "ec-1"


def test_jwks_keys_are_dropped_at_the_ttl_even_just_after_a_failed_refetch(
    jwks: FakeJwks,
) -> None:
    clock = Clock()
    cache = JwksCache(clock=clock)

    def key(kid: str) -> Any:
        return asyncio.run(cache.key(JKU, kid, jwks.http))

    assert key("ec-1")["kid"] == "ec-1"
    jwks.mode = "error"
    clock.now += 3595  # a rotation check 5 s before the TTL fails: the fresh keys stay...
    assert key("unknown") is None
    assert key("ec-1")["kid"] == "ec-1"
    clock.now += 6  # ...until the TTL, though the next retry is not due yet (fail closed)
    with pytest.raises(JwksUnavailable):
        key("ec-1")


def test_jwks_with_duplicate_or_private_keys_keeps_the_good_ones(jwks: FakeJwks) -> None:
    ec_jwk = public_jwk(ec_key(), "ec-1", "ES384")
    jwks.keys = {
        "keys": [
            ec_jwk,
            {**public_jwk(rsa_key(), "rsa-1", "RS384"), "d": "leaked"},
            public_jwk(ec_key("a"), "dup", "ES384"),
            public_jwk(ec_key("b"), "dup", "ES384"),
        ]
    }
    cache = JwksCache(clock=Clock())
    assert asyncio.run(cache.key(JKU, "ec-1", jwks.http)) == ec_jwk
    assert asyncio.run(cache.key(JKU, "rsa-1", jwks.http)) is None
    assert asyncio.run(cache.key(JKU, "dup", jwks.http)) is None


def test_replay_cache_forgets_expired_and_is_bounded() -> None:
    cache = ReplayCache(max_entries=2)
    assert cache.add("a", "1", forget_after=100, now=0) == "new"
    assert cache.add("a", "1", forget_after=100, now=50) == "replay"
    assert cache.add("b", "1", forget_after=200, now=50) == "new"
    assert cache.add("a", "2", forget_after=200, now=50) == "full"
    # Once a token could no longer pass the exp check, its jti is forgotten.
    assert cache.add("a", "2", forget_after=200, now=100) == "new"
    assert len(cache) == 2


def test_a_hanging_jwks_endpoint_cannot_hold_the_call() -> None:
    async def hang(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(30)
        return httpx.Response(200, json=served_keys())

    async def fetch() -> Any:
        async with httpx.AsyncClient(transport=httpx.MockTransport(hang)) as http:
            return await JwksCache(timeout_s=0.05).key(JKU, "ec-1", http)

    with pytest.raises(JwksUnavailable):
        asyncio.run(fetch())
