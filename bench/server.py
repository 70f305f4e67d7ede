"""The service as ``cds serve`` runs it, plus a parse-only endpoint, for the HTTP benchmark.

``create_bench_app`` is :func:`cds.app.create_app` (settings from the environment, as in
production) with two changes:

* the clock is pinned to the examples' "today" (2026-11-20) through ``CDS_TODAY``, so the
  benchmark records fire the same cards over HTTP as in-process. Not with a dependency override:
  FastAPI rebuilds every dependency of a route on each call while any override is set, which
  cost ~5 % of a call and no deployment pays;
* ``POST /bench/parse-only`` reads the body, ``orjson.loads`` it and answers ``{"cards": []}``:
  the floor under the same server, middleware and settings, against which the real route's
  throughput is compared (``bench/run.py``).

``python -m bench.server --port P --workers N`` serves it with uvicorn exactly as
``cds serve`` does (:func:`cds.cli.uvicorn_options`).
"""

from __future__ import annotations

import argparse

import orjson
import uvicorn
from fastapi import FastAPI, Request

from bench.records import TODAY
from cds.app import create_app
from cds.cli import uvicorn_options
from cds.settings import get_settings
from cds.wirejson import JsonResponse

PARSE_ONLY = "/bench/parse-only"


async def parse_only(request: Request) -> JsonResponse:
    """The body parsed and dropped: what any JSON service must at least do per call."""
    orjson.loads(await request.body())
    return JsonResponse({"cards": []})


def create_bench_app() -> FastAPI:
    """The real app (settings from the environment), clock pinned, plus the parse-only route."""
    settings = get_settings().model_copy(update={"today": TODAY})
    app = create_app(settings)
    app.add_api_route(PARSE_ONLY, parse_only, methods=["POST"], include_in_schema=False)
    return app


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args(argv)
    uvicorn.run(
        "bench.server:create_bench_app",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        **uvicorn_options(get_settings()),
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
