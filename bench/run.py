"""The benchmark (``make bench``): in-process stages, HTTP under wrk, peak RSS, in one run.

``python -m bench.run`` (``--quick`` for a short run, ``--no-http`` to leave wrk out):

1. builds the seeded records of :mod:`bench.records` (7 patients x 100 ... 10 000 resources)
   and checks that every firing patient gets its card and every silent one ``{"cards": []}``
   at every size, so that what is timed is the real work;
2. times the in-process stages of :mod:`bench.inproc`, each as a ratio to ``orjson.loads`` of
   the same body, and fits ``ms = fixed + µs x resources`` to the whole call per patient;
3. serves the app with uvicorn (one, then two workers) and loads the hook route and a
   parse-only route with wrk at concurrency 1 and 32 (:mod:`bench.httpbench`);
4. reads peak RSS per worker, and of one 10 000-resource call in a fresh process;
5. writes ``bench/results/latest.json`` and ``latest.md`` and prints the tables, with the
   issue's targets next to the measured values.

6. runs the CQL peer (:mod:`bench.cqlpeer`, one rule in cql-execution) on the same records,
   when node and npm are there (``--no-cql`` leaves it out).
Timings are wall-clock on whatever else the machine is doing: compare runs of one machine.
"""

from __future__ import annotations

import argparse
import json
import math
import platform
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import cqlpeer, httpbench, inproc, records
from bench.report import markdown, targets

RESULTS = Path(__file__).resolve().parent / "results"
# Repeats per size: more where a call is short, so every size takes a similar time.
FULL_REPEATS = {100: 100, 300: 60, 1000: 30, 3000: 15, 10000: 8}
QUICK_REPEATS = {300: 5, 1000: 3}
# The CQL peer is slow (seconds per call at 10 000 resources): few repeats.
CQL_REPEATS = {100: 3, 300: 3, 1000: 3, 3000: 2, 10000: 1}


def log(line: str) -> None:
    """Progress and tables on stdout (``print`` is for the CLI by the project's lint rules)."""
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def check_cards(env: inproc.Env, bodies: dict[tuple[str, int], bytes]) -> list[dict[str, Any]]:
    """Every (patient, size): its cards, and whether firing/silent is as expected."""
    rows = []
    for (name, size), raw in bodies.items():
        patient = records.PATIENT_BY_NAME[name]
        cards = inproc.cards_of(env.whole(raw))
        ok = bool(cards) if patient.fires else not cards
        rows.append({"patient": name, "resources": size, "fires": patient.fires,
                     "cards": cards, "ok": ok})
        if not ok:
            log(f"  CARD CHECK FAILED: {name} at {size}: {cards or 'no cards'}")
    return rows


def in_process(
    env: inproc.Env, bodies: dict[tuple[str, int], bytes], repeats: dict[int, int]
) -> list[dict[str, Any]]:
    rows = []
    for (name, size), raw in bodies.items():
        stages = inproc.time_stages(env, raw, repeats[size])
        rows.append({"patient": name, "resources": size, "json_bytes": len(raw),
                     "repeats": repeats[size], "ms": stages})
        ratio = stages["whole"]["median"] / stages["orjson"]["median"]
        log(f"  {name:20} {size:>6}: whole {stages['whole']['median']:8.1f} ms "
            f"= {ratio:5.2f}x orjson ({stages['orjson']['median']:.1f} ms)")
    return rows


def fits(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Per patient: fixed ms + µs per resource of the whole call and of the part after parse."""
    out: dict[str, dict[str, Any]] = {}
    for name in dict.fromkeys(r["patient"] for r in rows):
        mine = [r for r in rows if r["patient"] == name]
        if len(mine) < 2:
            continue
        entry = {}
        for what in ("whole", "after_parse", "orjson"):
            fixed, slope = inproc.linear_fit([(r["resources"], r["ms"][what]["median"])
                                              for r in mine])
            entry[what] = {"fixed_ms": fixed, "us_per_resource": slope}
        entry["fires"] = records.PATIENT_BY_NAME[name].fires
        out[name] = entry
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2 sizes, 2 patients, short loads")
    parser.add_argument("--no-http", action="store_true", help="leave the wrk part out")
    parser.add_argument("--no-cql", action="store_true", help="leave the CQL peer out")
    parser.add_argument("--out", type=Path, default=RESULTS, help="folder for latest.json/.md")
    parser.add_argument("--render", type=Path, metavar="JSON",
                        help="only rewrite latest.md from a results JSON (no measuring)")
    args = parser.parse_args(argv)
    if args.render:
        result = json.loads(args.render.read_text(encoding="utf-8"))
        result["targets"] = targets(result)
        text = markdown(result)
        (args.out / "latest.md").write_text(text, encoding="utf-8")
        log(text)
        return 0
    started = time.monotonic()
    repeats = QUICK_REPEATS if args.quick else FULL_REPEATS
    patients = ([records.PATIENT_BY_NAME["myelomatose-fires"],
                 records.PATIENT_BY_NAME["frisk-silent"]] if args.quick else records.PATIENTS)
    http_sizes = (300, 1000)

    log(f"building records: {len(patients)} patients x sizes {sorted(repeats)}")
    bodies = {(p.name, n): records.request_bytes(p, n) for p in patients for n in repeats}
    env = inproc.Env.make()
    inproc.tune_gc()
    log("checking cards (firing patients fire, silent ones are silent) at every size")
    card_rows = check_cards(env, bodies)
    log("in-process stages")
    stage_rows = in_process(env, bodies, repeats)
    env.close()
    fitted = fits(stage_rows)

    log("peak RSS of one 10 000-resource call (fresh process)")
    rss = inproc.peak_rss_in_process("myelomatose-fires", 10000)

    http: dict[str, Any]
    reason = "left out (--no-http)" if args.no_http else httpbench.wrk_available()
    if reason:
        log(f"HTTP: {reason}")
        http = {"skipped": reason, "rows": []}
    else:
        log("HTTP (wrk): real route vs parse-only, same server")
        fires = records.PATIENT_BY_NAME["myelomatose-fires"]
        http_bodies = {n: records.request_bytes(fires, n) for n in http_sizes}
        rows = httpbench.load_matrix(
            http_bodies,
            worker_counts=(1,) if args.quick else (1, 2),
            concurrencies=(1, 32),
            seconds=2 if args.quick else 6,
            log=log,
        )
        http = {"skipped": None, "patient": fires.name, "rows": rows}

    if args.no_cql:
        peer: dict[str, Any] = {"skipped": "left out (--no-cql)"}
    else:
        log("CQL peer (cql-execution, one rule) on the same records")
        sizes = tuple(sorted(repeats))
        peer = cqlpeer.run(tuple(patients), sizes, {n: CQL_REPEATS.get(n, 2) for n in sizes},
                           log)
        if peer.get("skipped"):
            log(f"CQL peer: {peer['skipped']}")

    result = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "quick": args.quick,
        "machine": {"python": platform.python_version(), "cpus": _cpus(),
                    "platform": platform.platform()},
        "seconds": round(time.monotonic() - started),
        "cards": card_rows,
        "in_process": stage_rows,
        "fits": fitted,
        "rss_in_process": rss,
        "http": http,
        "cql_peer": peer,
    }
    result["targets"] = targets(result)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "latest.json").write_text(
        json.dumps(_finite(result), indent=1, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    text = markdown(result)
    (args.out / "latest.md").write_text(text, encoding="utf-8")
    log("")
    log(text)
    return 0 if all(r["ok"] for r in card_rows) else 1


def _cpus() -> int:
    import os

    return len(os.sched_getaffinity(0))


def _finite(value: Any) -> Any:
    """NaN -> None, so latest.json is strict JSON."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    return value


if __name__ == "__main__":
    raise SystemExit(main())
