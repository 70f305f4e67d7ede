"""Hook latency with complete prefetch: p50 / p95 / max milliseconds per hook (``make bench``).

Two measurements per request:

* ``http``: POST through the whole ASGI app in-process (validation, gather, facts, evaluate,
  render, serialisation), as an EHR call would run minus the network;
* ``pipeline``: :func:`cds.pipeline.respond` alone on an already gathered record.

Requests: every examples/requests/*.json, plus a large synthetic record (the begrunnet example
padded to 3 000 Observations and 300 Conditions over five years) on each hook. The spec asks
for answers "on the order of 500 ms"; this prints numbers and asserts nothing (no timing in
tests). The clock is fixed at 2026-11-20, the examples' "today".
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
from fastapi.testclient import TestClient

from cds.api.deps import get_today
from cds.app import create_app
from cds.cdshooks import HookRequest
from cds.criteria.loader import load_registry
from cds.pipeline import respond
from cds.record.bundle import HOOKS, request_from_bundle
from cds.record.prefetch import gather_record
from cds.services import SERVICES
from cds.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
TODAY = date(2026, 11, 20)

# (id prefix, NLK code, display, unit, typical value, spread) for the synthetic record.
_ANALYTES = [
    ("hb", "NOR05172", "B-Hemoglobin", "g/dL", 13.5, 1.5),
    ("krea", "NPU04998", "P-Kreatinin", "umol/L", 80.0, 15.0),
    ("egfr", "NOR25909", "Nyre-eGFR", "mL/min/1,73m2", 80.0, 15.0),
    ("ca", "NPU01443", "P-Kalsium", "mmol/L", 2.35, 0.08),
    ("alb", "NPU19673", "P-Albumin", "g/L", 42.0, 3.0),
    ("crp", "NPU19748", "P-CRP", "mg/L", 4.0, 3.0),
    ("lpk", "NPU02593", "B-Leukocytter", "10*9/L", 6.5, 1.5),
    ("tpk", "NPU03568", "B-Trombocytter", "10*9/L", 250.0, 40.0),
    ("alat", "NPU19651", "P-ALAT", "U/L", 25.0, 8.0),
    ("hba1c", "NPU27300", "B-HbA1c", "mmol/mol", 40.0, 5.0),
]
_ICPC = ["A04", "K86", "L03", "R74", "T90", "P76", "D12", "S88", "L90", "R78"]


def large_record(n_observations: int = 3000, n_conditions: int = 300) -> dict[str, Any]:
    """The begrunnet example padded with years of ordinary results and diagnoses."""
    bundle = json.loads((EXAMPLES / "myelomatose-begrunnet.json").read_text(encoding="utf-8"))
    subject = {"reference": "Patient/myelomatose-begrunnet"}
    entries = bundle["entry"]
    for i in range(n_observations):
        prefix, code, display, unit, mean, spread = _ANALYTES[i % len(_ANALYTES)]
        when = TODAY - timedelta(days=30 + (i * 5) % 1800)
        value = round(mean + spread * (((i * 7919) % 200) / 100 - 1), 2)
        entries.append({"resource": {
            "resourceType": "Observation", "id": f"bench-{prefix}-{i}", "status": "final",
            "code": {"coding": [{"system": "urn:oid:2.16.578.1.12.4.1.1.7280", "code": code,
                                 "display": display}]},
            "subject": subject, "effectiveDateTime": when.isoformat() + "T08:00:00+01:00",
            "valueQuantity": {"value": value, "unit": unit},
        }})
    for i in range(n_conditions):
        when = TODAY - timedelta(days=200 + (i * 11) % 3000)
        entries.append({"resource": {
            "resourceType": "Condition", "id": f"bench-cond-{i}",
            "clinicalStatus": {"coding": [{
                "system": "http://terminology.hl7.org/CodeSystem/condition-clinical",
                "code": "resolved" if i % 3 else "active"}]},
            "code": {"coding": [{"system": "http://hl7.org/fhir/sid/icpc-2",
                                 "code": _ICPC[i % len(_ICPC)]}]},
            "subject": subject, "onsetDateTime": when.isoformat(),
        }})
    return bundle


def requests() -> dict[str, dict[str, Any]]:
    """Name -> request body for every benchmarked call."""
    out: dict[str, dict[str, Any]] = {}
    for path in sorted((EXAMPLES / "requests").glob("*.json")):
        out[path.stem] = json.loads(path.read_text(encoding="utf-8"))
    big = large_record()
    for hook in HOOKS:
        out[f"large-3000-obs.{hook}"] = request_from_bundle(big, hook=hook)
    return out


def timed(call: Callable[[], object], iterations: int) -> list[float]:
    call()  # warm-up: imports, caches, first-call JIT-free setup
    samples = []
    for _ in range(iterations):
        start = time.perf_counter()
        call()
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def summary(samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return f"{statistics.median(ordered):8.1f} {p95:8.1f} {ordered[-1]:8.1f}"


def out(line: str) -> None:
    """Print a result line (``print`` is reserved for the CLI by the project's lint rules)."""
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="CDS hook latency (complete prefetch)")
    parser.add_argument("-n", "--iterations", type=int, default=30, help="calls per request")
    parser.add_argument("-k", "--filter", default="", help="only requests whose name contains this")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as tmp:
        # WARNING: the per-call INFO log line would interleave with the table.
        settings = Settings(
            database_url=f"sqlite:///{Path(tmp) / 'bench.sqlite3'}", log_level="WARNING"
        )
        app = create_app(settings)
        app.dependency_overrides[get_today] = lambda: TODAY
        registry = load_registry(settings.criteria_dir)
        services = {service.hook: service for service in SERVICES}
        bodies = {k: v for k, v in requests().items() if args.filter in k}

        header = f"{'request':52} {'stage':8} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}"
        out(f"{header}  n={args.iterations}")
        with TestClient(app) as client:
            for name, body in bodies.items():
                service = services[body["hook"]]
                url = f"/cds-services/{service.id}"
                # Serialised once, as an EHR would send bytes; the app parses them every call.
                payload = json.dumps(body).encode()

                def post(url: str = url, payload: bytes = payload) -> None:
                    headers = {"Content-Type": "application/json"}
                    response = client.post(url, content=payload, headers=headers)
                    response.raise_for_status()

                out(f"{name:52} {'http':8} {summary(timed(post, args.iterations))}")

                request = HookRequest.model_validate(copy.deepcopy(body))

                async def gather(request: HookRequest = request, service: Any = service) -> Any:
                    async with httpx.AsyncClient() as http:
                        return await gather_record(request, service, settings, http)

                record = asyncio.run(gather())

                def pipeline(request: HookRequest = request, record: Any = record) -> None:
                    respond(request, record, registry, settings, today=TODAY)

                out(f"{'':52} {'pipeline':8} {summary(timed(pipeline, args.iterations))}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
