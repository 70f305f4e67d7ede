"""In-process stage timings and peak memory of one hook call (``bench/run.py``).

Each stage runs on its own, on the output of the one before it, ``repeats`` times after a
warm-up; every stage is reported as a ratio to ``orjson.loads`` of the same body bytes:

* ``orjson``: ``orjson.loads(raw)``, the reference;
* ``parse``: the service's parser, :func:`cds.wirejson.parse_json`;
* ``validate``: :meth:`HookRequest.model_validate` on the parsed dict (as the route does it,
  through :func:`cds.api.hooks.parse_hook_request`);
* ``gather``: :func:`cds.record.prefetch.gather_record` with complete prefetch (no FHIR read);
* ``facts``: :func:`cds.facts.extract.extract_facts`;
* ``respond``: :func:`cds.pipeline.respond` (facts + evaluate + render), and
  ``eval_render`` = respond - facts (medians);
* ``serialise``: :func:`cds.cdshooks.dump` and the route's response class rendering the bytes;
* ``whole``: all of the above in a row from the bytes, as the route runs them (minus the
  audit row and log line, which the HTTP benchmark includes), and ``after_parse`` = whole -
  parse (medians): the service's own work on top of reading the JSON.

The cyclic garbage collector is set up as the service sets it up at start-up (``cds.app``):
start-up objects frozen, young-generation threshold raised.
"""

from __future__ import annotations

import asyncio
import gc
import json
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import orjson

import cds.app
from bench import records
from cds.api.hooks import parse_hook_request
from cds.cdshooks import CdsResponse, dump
from cds.criteria.loader import load_registry
from cds.facts.extract import extract_facts
from cds.pipeline import respond
from cds.record.prefetch import gather_record
from cds.services import SERVICES
from cds.settings import Settings
from cds.wirejson import JsonResponse, parse_json

ROOT = Path(__file__).resolve().parent.parent
STAGES = ("orjson", "parse", "validate", "gather", "facts", "respond", "serialise", "whole")
SERVICE = next(s for s in SERVICES if s.hook == "patient-view")


def quantiles(samples: list[float]) -> dict[str, float]:
    """Median and p99 (nearest rank: with fewer than 100 samples this is the maximum)."""
    ordered = sorted(samples)
    rank = max(0, min(len(ordered) - 1, -(-99 * len(ordered) // 100) - 1))
    return {"median": statistics.median(ordered), "p99": ordered[rank]}


def settings() -> Settings:
    # No database is touched in-process; WARNING keeps the pipeline's own lines out of the table.
    return Settings(database_url="sqlite://", log_level="WARNING")


def tune_gc() -> None:
    """The collector as the service runs it (cds.app._freeze_startup_objects, if present)."""
    freeze: Callable[[], None] | None = getattr(cds.app, "_freeze_startup_objects", None)
    if freeze is not None:
        freeze()


@dataclass
class Env:
    """What every call shares, as the app shares it: settings, registry, loop, HTTP client."""

    settings: Settings
    registry: Any
    loop: asyncio.AbstractEventLoop
    http: httpx.AsyncClient

    @classmethod
    def make(cls) -> Env:
        s = settings()
        return cls(s, load_registry(s.criteria_dir), asyncio.new_event_loop(), httpx.AsyncClient())

    def close(self) -> None:
        self.loop.run_until_complete(self.http.aclose())
        self.loop.close()

    def gather(self, request: Any) -> Any:
        return self.loop.run_until_complete(
            gather_record(request, SERVICE, self.settings, self.http)
        )

    def respond(self, request: Any, record: Any) -> CdsResponse:
        return respond(request, record, self.registry, self.settings, today=records.TODAY)

    def whole(self, raw: bytes) -> bytes:
        """One hook call from body bytes to response bytes, the route's stages in order."""
        request = parse_hook_request(parse_json(raw), SERVICE)
        response = self.respond(request, self.gather(request))
        return bytes(JsonResponse(dump(response)).body)


def cards_of(response_bytes: bytes) -> list[str]:
    """``indicator: summary`` of each card (what the benchmark checks fires, and nothing else)."""
    return [f"{c['indicator']}: {c['summary']}" for c in json.loads(response_bytes)["cards"]]


def _timed(call: Callable[[], object], repeats: int) -> list[float]:
    call()  # warm-up
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        call()
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def time_stages(env: Env, raw: bytes, repeats: int) -> dict[str, dict[str, float]]:
    """Milliseconds (median, p99) per stage on one body; see the module docstring."""
    body = parse_json(raw)
    request = parse_hook_request(body, SERVICE)
    record = env.gather(request)
    facts_of = env.registry.codebook
    response = env.respond(request, record)
    calls: dict[str, Callable[[], object]] = {
        "orjson": lambda: orjson.loads(raw),
        "parse": lambda: parse_json(raw),
        "validate": lambda: parse_hook_request(body, SERVICE),
        "gather": lambda: env.gather(request),
        "facts": lambda: extract_facts(
            record, facts_of, today=records.TODAY, context=request.context
        ),
        "respond": lambda: env.respond(request, record),
        "serialise": lambda: JsonResponse(dump(response)).body,
        "whole": lambda: env.whole(raw),
    }
    out = {stage: quantiles(_timed(calls[stage], repeats)) for stage in STAGES}
    out["eval_render"] = {
        "median": out["respond"]["median"] - out["facts"]["median"],
        "p99": float("nan"),
    }
    out["after_parse"] = {
        "median": out["whole"]["median"] - out["parse"]["median"],
        "p99": float("nan"),
    }
    return out


def linear_fit(points: list[tuple[int, float]]) -> tuple[float, float]:
    """Least squares ``ms = fixed + slope * resources``: (fixed ms, µs per resource)."""
    n = len(points)
    mean_x = sum(x for x, _ in points) / n
    mean_y = sum(y for _, y in points) / n
    sxx = sum((x - mean_x) ** 2 for x, _ in points)
    slope = sum((x - mean_x) * (y - mean_y) for x, y in points) / sxx if sxx else 0.0
    return mean_y - slope * mean_x, slope * 1000


# --- peak memory of one call, in a fresh process ----------------------------------------------


def _status_kb(pid: int | str, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise KeyError(field)


def reset_peak(pid: int | str) -> bool:
    """Reset VmHWM to the current RSS (``clear_refs`` 5, Linux >= 4.0); False if not allowed."""
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def rss_child(patient: str, size: int) -> dict[str, Any]:
    """In this (fresh) process: peak RSS of one whole call over the RSS just before it."""
    env = Env.make()
    raw = records.request_bytes(records.PATIENT_BY_NAME[patient], size)
    tune_gc()
    gc.collect()
    before = _status_kb("self", "VmRSS")
    exact = reset_peak("self")
    env.whole(raw)
    peak = _status_kb("self", "VmHWM")
    env.close()
    return {
        "patient": patient,
        "resources": size,
        "json_bytes": len(raw),
        "rss_before_kb": before,
        "peak_kb": peak,
        "growth_kb": peak - before if exact else None,
        "peak_reset": exact,
    }


def peak_rss_in_process(patient: str, size: int) -> dict[str, Any]:
    """:func:`rss_child` run in a fresh interpreter, so earlier work does not set the peak."""
    code = (
        "import json, sys; from bench.inproc import rss_child; "
        f"print(json.dumps(rss_child({patient!r}, {size})))"
    )
    done = subprocess.run(  # noqa: S603 (our own interpreter, fixed code)
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result
