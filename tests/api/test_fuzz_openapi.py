"""schemathesis against the ASGI app (issue 8 §4): no 5xx, and answers as /openapi.json declares.

The document (cds/api/openapi.py) declares the real request bodies (CDS Hooks request, feedback)
and ``OperationOutcome`` on every error status, so generated requests reach the handlers. Fixed
seed (``derandomize``) and a bounded number of examples per operation: repeatable, seconds.
The pipeline is the recording stub of apptools (tests/pipeline/test_fuzz.py fuzzes the real one).
"""

from __future__ import annotations

from typing import Any

import schemathesis
from apptools import Capture, build_app, make_settings
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

schema = schemathesis.openapi.from_asgi("/openapi.json", build_app(make_settings(), Capture()))


@schema.parametrize()
@settings(max_examples=30, derandomize=True, deadline=None, suppress_health_check=list(HealthCheck))
def test_openapi_fuzz_no_5xx_and_answers_as_declared(case: Any) -> None:
    case.call_and_validate(
        checks=[
            not_a_server_error,
            status_code_conformance,
            content_type_conformance,
            response_schema_conformance,
        ]
    )
