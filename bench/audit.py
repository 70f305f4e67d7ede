"""``make bench-audit``: patients per second per core for ``cds audit`` (the embedded engine and
Spark local mode) and their memory, on synthetic practices (``cds synth-export``).

For each size (default 10 000 and 100 000 patients; ``--patients`` to choose) the export is
generated once (cached under ``--work`` by size) and then, ``--repeat`` times:

1. **pipeline time per patient** (the baseline): the per-patient engine alone
   (``audit_patient`` on parsed resources, the criteria loaded) over ``--sample`` patients spread
   evenly through the export, after a warm-up, in a fresh process;
2. **the embedded audit**: ``run_audit`` with ``--workers`` processes in a fresh process (as
   ``cds audit`` runs it): wall time from start to the last part written, including DuckDB's
   reading and grouping, the workers' start and their JSON parsing; peak RSS of the reading
   process (DuckDB takes up to ``--memory-limit``, then spills to disk) and of the largest
   worker.

The target ratio of issue 14 is audit wall ÷ (pipeline time per patient × patients ÷ workers);
within 1.5 is the goal. Each repetition measures its own baseline right before its audit: on a
shared machine the speed of a core drifts by tens of percent from minute to minute, and a
baseline from another minute would measure the drift. The report gives every repetition and the
median.

Spark (``--engines spark``, default when pyspark and Java are there): ``run_spark`` with
``local[workers]`` once per size, fresh process, wall time including the JVM's start; peak RSS
of the driver, of the JVM and of the largest of Spark's Python workers (read from /proc before
the session stops).

Prints one JSON line per measurement and writes them all to
``bench/results/audit-<date>.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
TODAY = date(2026, 11, 20)


def _export(work: Path, patients: int) -> Path:
    from cds.bulk.synth import write_export

    folder = work / f"synth-{patients}"
    if not (folder / "manifest.json").is_file():
        write_export(folder, patients=patients, seed=0, compress=True)
    return folder


def _rss_mb(who: int) -> int:
    return resource.getrusage(who).ru_maxrss // 1024


def child_baseline(export: Path, sample: int) -> dict[str, Any]:
    """Pipeline time per patient over an even sample of the export (no JSON parsing)."""
    from cds.bulk.export import ExportReader, export_files
    from cds.bulk.lines import parse_line
    from cds.bulk.patient import audit_patient
    from cds.criteria.loader import load_registry

    registry = load_registry(REPO / "criteria")
    reader = ExportReader(export_files(export), threads=1)
    step = max(1, reader.stats.patients // sample)
    picked = [
        (ref, [r for r in map(parse_line, lines) if isinstance(r, dict)])
        for i, (ref, lines) in enumerate(reader.patient_lines())
        if i % step == 0
    ]
    patients = reader.stats.patients
    reader.close()
    for ref, resources in picked[:50]:  # warm-up: first-call caches
        audit_patient(ref, resources, registry, TODAY)
    passes = []
    for _ in range(3):  # the median pass: one slow second of a shared machine is not the figure
        started = time.perf_counter()
        for ref, resources in picked:
            audit_patient(ref, resources, registry, TODAY)
        passes.append((time.perf_counter() - started) / len(picked))
    per_patient = statistics.median(passes)
    return {"patients": patients, "sampled": len(picked), "pipeline_ms": per_patient * 1000}


def child_embedded(export: Path, out: Path, workers: int, memory_limit: str) -> dict[str, Any]:
    """``run_audit`` as ``cds audit`` runs it: wall time and peak memory."""
    from cds.bulk.audit import run_audit

    started = time.perf_counter()
    run = run_audit(
        export, out, today=TODAY, criteria_dir=REPO / "criteria", workers=workers,
        restart=True, progress=False, memory_limit=memory_limit,
    )
    return {
        "patients": run.stats.patients,
        "wall_s": time.perf_counter() - started,
        "rss_mb_reader": _rss_mb(resource.RUSAGE_SELF),
        "rss_mb_worker": _rss_mb(resource.RUSAGE_CHILDREN),
    }


def _descendants(root: int) -> list[int]:
    """Every process below ``root`` (the JVM, and Spark's Python daemon and workers below it)."""
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(stat.parent.name)] = int(fields[1])
    found, frontier = [], [root]
    while frontier:
        pid = frontier.pop()
        children = [c for c, p in parents.items() if p == pid]
        found.extend(children)
        frontier.extend(children)
    return found


def _hwm_mb(pid: int) -> int:
    """Peak resident memory of a running process (VmHWM), 0 when it is gone."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    line = next((x for x in status.splitlines() if x.startswith("VmHWM:")), "VmHWM: 0 kB")
    return int(line.split()[1]) // 1024


def child_spark(export: Path, out: Path, workers: int) -> dict[str, Any]:
    """``run_spark`` in local mode with one Spark core per worker, JVM start included; peak
    memory of the JVM and of the largest Python worker, read before the session stops."""
    from cds.bulk.spark import run_spark, spark_session

    shutil.rmtree(out, ignore_errors=True)
    started = time.perf_counter()
    session = spark_session(f"local[{workers}]")
    run = run_spark(export, out, TODAY, criteria_dir=REPO / "criteria", session=session)
    wall = time.perf_counter() - started
    below = _descendants(os.getpid())
    peaks = {pid: _hwm_mb(pid) for pid in below}
    jvm = max(below, key=lambda pid: peaks[pid], default=0)
    session.stop()
    return {
        "patients": run.patients,
        "wall_s": wall,
        "rss_mb_driver": _rss_mb(resource.RUSAGE_SELF),
        "rss_mb_jvm": peaks.get(jvm, 0),
        "rss_mb_worker": max((v for p, v in peaks.items() if p != jvm), default=0),
    }


def _in_child(kind: str, *args: str) -> dict[str, Any]:
    """One measurement in a fresh interpreter, so no measurement inherits another's memory."""
    done = subprocess.run(  # noqa: S603 - this interpreter, this script, our own arguments
        [sys.executable, __file__, "--child", kind, *args],
        check=True, capture_output=True, text=True, cwd=REPO,
    )
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _spark_available() -> bool:
    try:
        import pyspark  # noqa: F401
    except ImportError:
        return False
    return bool(shutil.which("java") or os.environ.get("JAVA_HOME"))


def measure(
    export: Path, workers: int, sample: int, repeat: int, memory_limit: str
) -> dict[str, Any]:
    """The embedded engine: ``repeat`` pairs of (baseline, audit), each with its ratio."""
    out = export.parent / f"audit-{export.name}.parquet"
    runs = []
    for _ in range(repeat):
        base = _in_child("baseline", str(export), str(sample))
        audit = _in_child("embedded", str(export), str(out), str(workers), memory_limit)
        ideal_s = base["pipeline_ms"] / 1000 * audit["patients"] / workers
        ratio = audit["wall_s"] / ideal_s
        runs.append({**audit, "pipeline_ms": base["pipeline_ms"], "ratio": ratio})
    patients = runs[0]["patients"]
    wall = statistics.median(r["wall_s"] for r in runs)
    return {
        "engine": "embedded",
        "patients": patients,
        "workers": workers,
        "memory_limit": memory_limit,
        "pipeline_ms_per_patient": round(statistics.median(r["pipeline_ms"] for r in runs), 3),
        "audit_wall_s": round(wall, 2),
        "patients_per_s_per_core": round(patients / wall / workers, 1),
        "ratio_to_ideal": round(statistics.median(r["ratio"] for r in runs), 2),
        "ratios": [round(r["ratio"], 2) for r in runs],
        "peak_rss_mb_reader": max(r["rss_mb_reader"] for r in runs),
        "peak_rss_mb_worker": max(r["rss_mb_worker"] for r in runs),
    }


def measure_spark(export: Path, workers: int, sample: int) -> dict[str, Any]:
    """Spark local mode, once, against a baseline measured right before it."""
    base = _in_child("baseline", str(export), str(sample))
    out = export.parent / f"spark-{export.name}"
    run = _in_child("spark", str(export), str(out), str(workers))
    ideal_s = base["pipeline_ms"] / 1000 * run["patients"] / workers
    return {
        "engine": "spark",
        "master": f"local[{workers}]",
        "patients": run["patients"],
        "pipeline_ms_per_patient": round(base["pipeline_ms"], 3),
        "audit_wall_s": round(run["wall_s"], 2),
        "patients_per_s_per_core": round(run["patients"] / run["wall_s"] / workers, 1),
        "ratio_to_ideal": round(run["wall_s"] / ideal_s, 2),
        "peak_rss_mb_driver": run["rss_mb_driver"],
        "peak_rss_mb_jvm": run["rss_mb_jvm"],
        "peak_rss_mb_python_worker": run["rss_mb_worker"],
    }


def _child(argv: list[str]) -> int:
    kind, *args = argv
    if kind == "baseline":
        result = child_baseline(Path(args[0]), int(args[1]))
    elif kind == "embedded":
        result = child_embedded(Path(args[0]), Path(args[1]), int(args[2]), args[3])
    else:
        result = child_spark(Path(args[0]), Path(args[1]), int(args[2]))
    print(json.dumps(result))  # noqa: T201 - read by the parent process
    return 0


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        return _child(sys.argv[2:])
    from cds.bulk.audit import default_workers

    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--patients", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--workers", type=int, default=default_workers())
    parser.add_argument("--sample", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--memory-limit", default="1GB", help="DuckDB's limit (cds audit's default: 1GB)"
    )
    parser.add_argument(
        "--engines", nargs="+", choices=("embedded", "spark"),
        default=["embedded", "spark"] if _spark_available() else ["embedded"],
    )
    parser.add_argument(
        "--work", type=Path, default=Path(tempfile.gettempdir()) / "cds-bench-audit"
    )
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    results = []
    for n in args.patients:
        export = _export(args.work, n)
        if "embedded" in args.engines:
            results.append(
                measure(export, args.workers, args.sample, args.repeat, args.memory_limit)
            )
            print(json.dumps(results[-1]))  # noqa: T201 - a benchmark's report
        if "spark" in args.engines:
            results.append(measure_spark(export, args.workers, args.sample))
            print(json.dumps(results[-1]))  # noqa: T201 - a benchmark's report
    target = REPO / "bench" / "results" / f"audit-{date.today().isoformat()}.json"
    target.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
