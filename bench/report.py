"""The issue's targets against a run's numbers, and the markdown tables (``bench/run.py``).

Targets (issue 10, «Benchmark»), and how they are read here:

* in-process <= 1.0x ``orjson.loads`` at >= 1000 resources and <= 2x at 300: the service's own
  work after reading the JSON (``after_parse`` = whole call - our parse), as a ratio to
  ``orjson.loads`` of the same body; the whole call includes a parse and so can never be below
  1x (the whole-call ratio is in the table too). Worst patient counts;
* silent <= 1 ms + 2.5 µs per resource: the whole in-process call (bytes in, bytes out) of
  every silent patient at every size, against its own budget; worst ratio counts;
* HTTP >= 50 % of parse-only: req/s of the hook route over req/s of ``/bench/parse-only`` on
  the same server, body and concurrency; worst row counts;
* peak RSS <= 6x JSON at 10 000 resources: the growth of RSS (``VmHWM`` after one whole call
  minus ``VmRSS`` before it, in a fresh process) over the body's size.
"""

from __future__ import annotations

from typing import Any

from bench import cqlpeer


def _worst(values: list[tuple[float, str]]) -> tuple[float, str]:
    return max(values) if values else (float("nan"), "-")


def targets(result: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per target: what was measured, where, and whether it is met."""
    rows = []
    stages = result["in_process"]

    def ratio(row: dict[str, Any], what: str) -> float:
        return float(row["ms"][what]["median"] / row["ms"]["orjson"]["median"])

    for label, sizes, limit in (("at >= 1000 resources", (1000, 3000, 10000), 1.0),
                                ("at 300 resources", (300,), 2.0)):
        found = [(ratio(r, "after_parse"), f"{r['patient']} n={r['resources']}")
                 for r in stages if r["resources"] in sizes]
        value, where = _worst(found)
        rows.append({"target": f"in-process work after parse <= {limit:g}x orjson {label}",
                     "measured": f"{value:.2f}x (worst: {where})" if found else "not run",
                     "met": bool(found) and value <= limit})
    silent = [(r["ms"]["whole"]["median"] / (1.0 + 0.0025 * r["resources"]),
               f"{r['patient']} n={r['resources']}: {r['ms']['whole']['median']:.1f} ms vs "
               f"{1.0 + 0.0025 * r['resources']:.1f} ms")
              for r in stages if not r["patient"].endswith("fires")]
    value, where = _worst(silent)
    rows.append({"target": "silent whole call <= 1 ms + 2.5 µs/resource",
                 "measured": f"{value:.1f}x the budget (worst: {where})",
                 "met": bool(silent) and value <= 1.0})
    http = result["http"]["rows"]
    if http:
        low = min(http, key=lambda r: r["ratio"])
        rows.append({"target": "HTTP req/s >= 50 % of parse-only",
                     "measured": f"{low['ratio']:.0%} (worst: workers={low['workers']} "
                                 f"n={low['resources']} c={low['concurrency']})",
                     "met": low["ratio"] >= 0.5})
    else:
        rows.append({"target": "HTTP req/s >= 50 % of parse-only",
                     "measured": result["http"]["skipped"], "met": False})
    rss = result["rss_in_process"]
    if rss.get("growth_kb") is not None:
        multiple = rss["growth_kb"] * 1024 / rss["json_bytes"]
        rows.append({"target": "peak RSS growth <= 6x JSON at 10 000 resources",
                     "measured": f"{multiple:.1f}x ({rss['growth_kb'] / 1024:.0f} MB over "
                                 f"{rss['json_bytes'] / 2**20:.1f} MB of JSON)",
                     "met": multiple <= 6.0})
    return rows


def _x(value: float) -> str:
    return f"{value:.2f}"


def _stage_table(stages: list[dict[str, Any]], cards: dict[tuple[str, int], str]) -> list[str]:
    cols = ("parse", "validate", "gather", "facts", "eval_render", "serialise", "whole",
            "after_parse")
    lines = [
        "| patient | resources | JSON kB | orjson ms | " + " | ".join(cols)
        + " | whole ms (p99) | cards |",
        "|" + "---|" * (len(cols) + 6),
    ]
    for r in stages:
        ms = r["ms"]
        base = ms["orjson"]["median"]
        cells = []
        for col in cols:
            med = ms[col]["median"] / base
            p99 = ms[col]["p99"]
            cells.append(_x(med) if p99 is None or p99 != p99 else f"{_x(med)} ({_x(p99 / base)})")
        lines.append(
            f"| {r['patient']} | {r['resources']} | {r['json_bytes'] / 1000:.0f} "
            f"| {base:.2f} | " + " | ".join(cells)
            + f" | {ms['whole']['median']:.1f} ({ms['whole']['p99']:.1f}) "
            f"| {cards.get((r['patient'], r['resources']), '?')} |"
        )
    return lines


def _fit_table(fits: dict[str, Any]) -> list[str]:
    lines = ["| patient | fires | whole: fixed ms | whole: µs/resource | after parse: fixed ms "
             "| after parse: µs/resource | orjson: µs/resource |", "|---|---|---|---|---|---|---|"]
    for name, f in fits.items():
        lines.append(
            f"| {name} | {'yes' if f['fires'] else 'no'} | {f['whole']['fixed_ms']:.2f} "
            f"| {f['whole']['us_per_resource']:.1f} | {f['after_parse']['fixed_ms']:.2f} "
            f"| {f['after_parse']['us_per_resource']:.1f} "
            f"| {f['orjson']['us_per_resource']:.2f} |"
        )
    return lines


def _http_table(http: dict[str, Any]) -> list[str]:
    if not http["rows"]:
        return [f"HTTP part skipped: {http['skipped']}"]
    lines = [f"Patient {http['patient']}; wrk, loopback; latency in ms.", "",
             "| workers | resources | c | cds req/s | p50 | p99 | parse-only req/s | p50 | p99 "
             "| ratio | worker peak RSS MB (cds) | errors |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in http["rows"]:
        cds, floor = r["cds"], r["parse_only"]
        peaks = "/".join(f"{kb / 1024:.0f}" for kb in cds["worker_peak_kb"])
        lines.append(
            f"| {r['workers']} | {r['resources']} | {r['concurrency']} | {cds['req_s']:.1f} "
            f"| {cds['p50_ms']:.1f} | {cds['p99_ms']:.1f} | {floor['req_s']:.1f} "
            f"| {floor['p50_ms']:.1f} | {floor['p99_ms']:.1f} | {r['ratio']:.0%} | {peaks} "
            f"| {cds['errors'] + floor['errors']} |"
        )
    return lines


def _rss_lines(result: dict[str, Any]) -> list[str]:
    rss = result["rss_in_process"]
    lines = [f"- in-process, one call, {rss['patient']} at {rss['resources']} resources "
             f"({rss['json_bytes'] / 2**20:.1f} MB JSON): RSS {rss['rss_before_kb'] / 1024:.0f} MB "
             f"before, peak {rss['peak_kb'] / 1024:.0f} MB"
             + (f", growth {rss['growth_kb'] / 1024:.0f} MB = "
                f"{rss['growth_kb'] * 1024 / rss['json_bytes']:.1f}x JSON"
                if rss.get("growth_kb") is not None else " (peak could not be reset)")]
    for r in result["http"]["rows"]:
        cds = r["cds"]
        before = cds.get("worker_rss_before_kb", r["idle_rss_kb"])
        idle = "/".join(f"{kb / 1024:.0f}" for kb in r["idle_rss_kb"])
        start = "/".join(f"{kb / 1024:.0f}" for kb in before)
        peaks = "/".join(f"{kb / 1024:.0f}" for kb in cds["worker_peak_kb"])
        # Growth during this load only: CPython keeps freed memory, so RSS ratchets up.
        in_flight = max(1.0, r["concurrency"] / r["workers"])
        growth = max(p - b for p, b in zip(cds["worker_peak_kb"], before, strict=True))
        lines.append(f"- HTTP workers={r['workers']} n={r['resources']} c={r['concurrency']}: "
                     f"idle {idle} MB at start, {start} MB before this load, peak {peaks} MB "
                     f"per worker; growth in this load {growth / 1024:.0f} MB = "
                     f"{growth * 1024 / r['json_bytes']:.1f}x one body, "
                     f"{growth * 1024 / r['json_bytes'] / in_flight:.1f}x per body in flight "
                     f"({in_flight:g} per worker)")
    return lines


def markdown(result: dict[str, Any]) -> str:
    cards = {(c["patient"], c["resources"]): ("✓ " if c["ok"] else "✗ ")
             + (", ".join(x.split(":")[0] for x in c["cards"]) or "none")
             for c in result["cards"]}
    lines = [
        f"# Benchmark {result['when']}{' (quick)' if result['quick'] else ''}",
        "",
        f"Python {result['machine']['python']}, {result['machine']['cpus']} CPUs, "
        f"{result['seconds']} s. Generated by `make bench` (bench/run.py).",
        "",
        "## Targets",
        "",
        "| target | measured | met |",
        "|---|---|---|",
        *[f"| {t['target']} | {t['measured']} | {'met' if t['met'] else 'not met'} |"
          for t in result["targets"]],
        "",
        "## In-process stages",
        "",
        "Each stage as a multiple of `orjson.loads` of the same body (median; p99 over the "
        "repeats in parentheses, also over the orjson median). eval_render = respond - facts; "
        "after_parse = whole - parse. cards: ✓ = firing patient has its card / silent patient "
        "has none, at that size.",
        "",
        *_stage_table(result["in_process"], cards),
        "",
        "## Linear fit (median ms = fixed + µs x resources)",
        "",
        *_fit_table(result["fits"]),
        "",
        "## HTTP (uvicorn, real route vs parse-only on the same server)",
        "",
        *_http_table(result["http"]),
        "",
        "## Peak RSS",
        "",
        *_rss_lines(result),
        "",
        "## CQL peer",
        "",
        *cqlpeer.table(result["cql_peer"], result["in_process"]),
        "",
    ]
    return "\n".join(lines)
