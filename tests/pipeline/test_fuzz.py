"""Fuzzing the HTTP API (issue 8 §4): no 5xx from any input, and every answer has its shape.

* **schemathesis** (tests/api/test_fuzz_openapi.py) reads ``/openapi.json``; here, the document
  is checked to declare the real request bodies and the ``OperationOutcome`` error answers.
* a **hypothesis** strategy mutates the example hook requests in examples/requests/ (a value
  somewhere replaced by another type, null, a huge number, unicode with lone surrogates, a date,
  deep nesting): no 5xx, every 200 a conformant CDS Hooks response (tests/conformance.py), every
  4xx an ``OperationOutcome``.

Both run with a fixed seed (``derandomize``) and a bounded number of examples, so a run is
repeatable and takes seconds.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from conformance import assert_conformant
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

REQUESTS = Path(__file__).resolve().parents[2] / "examples" / "requests"
EXAMPLES = {p.name: json.loads(p.read_text(encoding="utf-8")) for p in sorted(REQUESTS.glob("*"))}
SERVICE_OF_HOOK = {
    "patient-view": "pakkeforlop-patient-view",
    "order-select": "pakkeforlop-order-select",
    "order-sign": "pakkeforlop-order-sign",
}


def test_the_openapi_document_declares_bodies_and_operation_outcomes(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    hook = document["paths"]["/cds-services/{service_id}"]["post"]
    feedback = document["paths"]["/cds-services/{service_id}/feedback"]["post"]
    assert hook["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "/HookRequest"
    )
    assert feedback["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "/FeedbackRequest"
    )
    for status in ("400", "401", "404", "412", "413", "422"):
        ref = hook["responses"][status]["content"]["application/json"]["schema"]["$ref"]
        assert ref.endswith("/OperationOutcome"), status
    assert "HTTPValidationError" not in json.dumps(document)
    assert {"HookRequest", "FeedbackRequest", "OperationOutcome"} <= set(
        document["components"]["schemas"]
    )


# --- mutating the example requests ------------------------------------------------------------

_REPLACEMENTS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.sampled_from([1e308, -1e308, 1e-308, 0.0, -0.0, 10**400]),
    st.text(max_size=20),
    st.sampled_from(["\ud800", "a\udfffb", "\U0001f600", "\u2028\x00\x1b", "x" * 5000]),
    st.sampled_from(
        ["2026-02-30", "9999-12-31T23:59:59-14:00", "0000-01-01", "2026-11-20T25:00:00Z", ""]
    ),
    st.just([]),
    st.just({}),
    st.integers(min_value=2, max_value=120).map(
        lambda n: json.loads("[" * n + "]" * n)  # nesting, within the parser's limit
    ),
)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(value, dict):
        for key, item in value.items():
            out += _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            out += _paths(item, (*prefix, index))
    return out


@st.composite
def mutated_requests(draw: st.DrawFn) -> tuple[str, dict[str, Any]]:
    name = draw(st.sampled_from(sorted(EXAMPLES)))
    body = copy.deepcopy(EXAMPLES[name])
    paths = _paths(body)
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        path = draw(st.sampled_from(paths[1:]))
        target = body
        try:
            for part in path[:-1]:
                target = target[part]
            target[path[-1]] = draw(_REPLACEMENTS)
        except (KeyError, IndexError, TypeError):
            continue  # an earlier mutation removed that place
    return SERVICE_OF_HOOK.get(EXAMPLES[name]["hook"], "pakkeforlop-patient-view"), body


@given(mutated=mutated_requests())
@settings(
    max_examples=60,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_mutated_example_requests_never_5xx(
    client: TestClient, mutated: tuple[str, dict[str, Any]]
) -> None:
    service, body = mutated
    # json.dumps writes lone surrogates as escapes and huge ints as digits; NaN never appears.
    raw = json.dumps(body).encode("ascii")
    response = client.post(
        f"/cds-services/{service}", content=raw, headers={"content-type": "application/json"}
    )
    assert response.status_code < 500, response.text
    answer = response.json()
    if response.status_code == 200:
        assert_conformant(answer, body)
    else:
        assert 400 <= response.status_code < 500
        assert answer["resourceType"] == "OperationOutcome", answer
        assert answer["issue"], answer
