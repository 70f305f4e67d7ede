"""Hook latency with complete prefetch: p50 / p95 / max milliseconds per hook (``make bench``).

Two measurements per request:

* ``http``: POST through the whole ASGI app in-process (validation, gather, facts, evaluate,
  render, serialisation), as an EHR call would run minus the network;
* ``pipeline``: :func:`cds.pipeline.respond` alone on an already gathered record.

Requests: every examples/requests/*.json, plus a large synthetic record (the begrunnet example
padded to 3 000 Observations and 300 Conditions over five years) on each hook. The spec asks
for answers "on the order of 500 ms"; this prints numbers and asserts nothing (no timing in
tests). The clock is fixed at 2026-11-20, the examples' "today". A last line times the
assertion mechanism alone (``cds.facts.text``) over the assertion corpus.

``--breakdown`` adds one line per phase of the HTTP path, each timed on its own: ``parse`` (the
body's JSON), ``validate`` (the hook envelope), ``gather`` (prefetch -> Record), ``facts`` (of
which ``labs``), ``dump`` (response model -> JSON bytes) and ``gc``: the cyclic garbage
collector's time during the ``http`` calls, per call. ``--quick`` runs 5 calls per request.
Timings are wall-clock: on a loaded machine compare the p50 of the same build, not p95/max.
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import gc
import json
import logging
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
import yaml
from fastapi.testclient import TestClient
from starlette.responses import JSONResponse

from cds.api.deps import get_today, parse_json
from cds.api.hooks import parse_hook_request
from cds.app import create_app
from cds.cdshooks import HookRequest, dump
from cds.criteria.loader import load_registry
from cds.criteria.registry import Registry
from cds.evaluate.sources.text import TextSource
from cds.facts import fhirjson as fj
from cds.facts.extract import analyte_index, extract_facts
from cds.facts.labs import extract_labs
from cds.facts.text import clear_text_cache, findings
from cds.logs import ACCESS_LOGGER
from cds.pipeline import respond
from cds.record.bundle import HOOKS, request_from_bundle
from cds.record.prefetch import gather_record
from cds.services import HOOK_SERVICES
from cds.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
CORPUS = ROOT / "tests" / "facts" / "assertion_corpus.yaml"
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


class GcClock:
    """Milliseconds the cyclic garbage collector runs while enabled (``gc.callbacks``)."""

    def __init__(self) -> None:
        self.ms = 0.0
        self.enabled = False
        self._since = 0.0

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._since = time.perf_counter()
        elif self.enabled:
            self.ms += (time.perf_counter() - self._since) * 1000


def timed_gc(call: Callable[[], object], iterations: int, clock: GcClock) -> list[float]:
    """Garbage-collector milliseconds per call of ``call``."""
    call()
    samples = []
    for _ in range(iterations):
        clock.ms, clock.enabled = 0.0, True
        call()
        clock.enabled = False
        samples.append(clock.ms)
    return samples


def summary(samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return f"{statistics.median(ordered):8.1f} {p95:8.1f} {ordered[-1]:8.1f}"


def out(line: str) -> None:
    """Print a result line (``print`` is reserved for the CLI by the project's lint rules)."""
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def phase_calls(
    payload: bytes,
    body: dict[str, Any],
    service: Any,
    record: Any,
    registry: Any,
    settings: Settings,
) -> dict[str, Callable[[], object]]:
    """The HTTP path's phases as separate calls on one request (``gather`` is added by main)."""
    request = parse_hook_request(body, service)
    codebook = registry.codebook
    observations = fj.of_type(record.resources, "Observation")
    response = respond(request, record, registry, settings, today=TODAY)

    def facts() -> object:
        return extract_facts(record, codebook, today=TODAY, context=request.context)

    def labs() -> object:
        index = analyte_index(codebook)
        return extract_labs(observations, codebook, index, sex="female", age=60, notes=[])

    return {
        "parse": lambda: parse_json(payload),
        "validate": lambda: parse_hook_request(body, service),
        "facts": facts,
        "labs": labs,
        # What the route does after the pipeline: response model -> dict -> JSON bytes.
        "dump": lambda: JSONResponse(dump(response)),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="CDS hook latency (complete prefetch)")
    parser.add_argument("-n", "--iterations", type=int, default=None, help="calls per request")
    parser.add_argument("-k", "--filter", default="", help="only requests whose name contains this")
    parser.add_argument("--quick", action="store_true", help="5 calls per request (default 30)")
    parser.add_argument("--breakdown", action="store_true", help="also time each HTTP phase")
    args = parser.parse_args(argv)
    iterations = args.iterations or (5 if args.quick else 30)

    with tempfile.TemporaryDirectory() as tmp:
        # WARNING: the per-call INFO log line would interleave with the table.
        settings = Settings(
            database_url=f"sqlite:///{Path(tmp) / 'bench.sqlite3'}", log_level="WARNING"
        )
        app = create_app(settings)
        app.dependency_overrides[get_today] = lambda: TODAY
        # The JSON access log ignores CDS_LOG_LEVEL (cds.logs): keep its cost, lose its lines.
        devnull = open(os.devnull, "w")
        for handler in logging.getLogger(ACCESS_LOGGER).handlers:
            if isinstance(handler, logging.StreamHandler):
                handler.setStream(devnull)
        registry = load_registry(settings.criteria_dir)
        services = {service.hook: service for service in HOOK_SERVICES}
        bodies = {k: v for k, v in requests().items() if args.filter in k}
        # One event loop and one HTTP client for the gather phase, as the app has.
        loop = asyncio.new_event_loop()
        http = httpx.AsyncClient()
        gc_clock = GcClock()
        gc.callbacks.append(gc_clock)

        header = f"{'request':52} {'stage':8} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}"
        out(f"{header}  n={iterations}")
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

                out(f"{name:52} {'http':8} {summary(timed(post, iterations))}")

                request = HookRequest.model_validate(copy.deepcopy(body))

                async def gather(request: HookRequest = request, service: Any = service) -> Any:
                    return await gather_record(request, service, settings, http)

                record = loop.run_until_complete(gather())

                def pipeline(request: HookRequest = request, record: Any = record) -> None:
                    respond(request, record, registry, settings, today=TODAY)

                out(f"{'':52} {'pipeline':8} {summary(timed(pipeline, iterations))}")
                if not args.breakdown:
                    continue
                def gather_once(gather: Callable[[], Any] = gather) -> object:
                    return loop.run_until_complete(gather())

                calls = phase_calls(payload, body, service, record, registry, settings)
                calls["gather"] = gather_once
                for phase in ("parse", "validate", "gather", "facts", "labs", "dump"):
                    out(f"{'':52} {phase:8} {summary(timed(calls[phase], iterations))}")
                out(f"{'':52} {'gc':8} {summary(timed_gc(post, iterations, gc_clock))}")
        loop.run_until_complete(http.aclose())
        loop.close()
        out(assertion_line(registry, iterations))
    return 0


def assertion_line(registry: Registry, iterations: int) -> str:
    """The assertion mechanism alone: every corpus phrase read by every text source's patterns.

    Timed per phrase with the per-text cache cleared (as for a text seen for the first time) and
    warm (a text read again by another source of the same request).
    """
    lexicon = registry.codebook.assertion
    if lexicon is None:  # the loader always sets it
        return "assertion: no lexicon loaded"
    corpus = yaml.safe_load(CORPUS.read_text(encoding="utf-8"))["cases"]
    texts = [case["text"] for case in corpus]
    sources = [
        source.patterns
        for pathway in registry.pathways
        for feature in pathway.features.values()
        for source in feature.sources
        if isinstance(source, TextSource)
    ]

    def cold() -> None:
        for text in texts:
            clear_text_cache()
            for patterns in sources:
                findings(text, patterns, lexicon)

    def warm() -> None:
        for text in texts:
            for patterns in sources:
                findings(text, patterns, lexicon)

    per = len(texts)
    cold_ms = statistics.median(timed(cold, iterations)) / per
    warm_ms = statistics.median(timed(warm, iterations)) / per
    return (
        f"assertion: {per} corpus phrases x {len(sources)} text sources: "
        f"{cold_ms * 1000:.0f} µs per phrase uncached, {warm_ms * 1000:.0f} µs cached (p50)"
    )


if __name__ == "__main__":
    raise SystemExit(main())
