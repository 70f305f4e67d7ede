"""``make bench-audit``: patients per second per core for ``cds audit`` (embedded engine), and
its memory, on synthetic practices (``cds synth-export``).

For each size (default 10 000 and 100 000 patients; ``--patients`` to choose):

1. the export is generated (cached under ``--work``, by size and seed);
2. **pipeline time per patient**: the per-patient engine alone (``audit_patient``) over a sample
   of patients read from the export, in this process;
3. **grouping**: DuckDB reading and grouping the whole export, without the engine;
4. **the audit**: ``run_audit`` with ``--workers`` processes, wall time and peak RSS of this
   process and of its workers (``ru_maxrss`` of the children).

It prints the figures and the target ratio of issue 14: audit wall time ÷ (pipeline time per
patient × patients ÷ workers) — within 1.5 is the goal — and writes them to
``bench/results/audit-<date>.json``. Spark local mode is measured once ``--engine spark`` lands.
"""

from __future__ import annotations

import argparse
import json
import resource
import tempfile
import time
from datetime import date
from itertools import islice
from pathlib import Path

from cds.bulk.audit import default_workers, run_audit
from cds.bulk.export import ExportReader, export_files
from cds.bulk.patient import audit_patient
from cds.bulk.synth import write_export
from cds.criteria.loader import load_registry

REPO = Path(__file__).resolve().parents[1]
TODAY = date(2026, 11, 20)


def _export(work: Path, patients: int) -> Path:
    folder = work / f"synth-{patients}"
    if not (folder / "manifest.json").is_file():
        write_export(folder, patients=patients, seed=0, compress=True)
    return folder


def measure(export: Path, patients: int, workers: int, sample: int) -> dict[str, float]:
    registry = load_registry(REPO / "criteria")
    reader = ExportReader(export_files(export), memory_limit="1GB", threads=workers)
    started = time.perf_counter()
    grouped = sum(1 for _ in reader.patients())
    grouping_s = time.perf_counter() - started
    picked = list(islice(reader.patients(), sample))
    reader.close()
    started = time.perf_counter()
    for ref, resources in picked:
        audit_patient(ref, resources, registry, TODAY)
    per_patient_s = (time.perf_counter() - started) / len(picked)
    out = export.parent / f"audit-{patients}.parquet"
    started = time.perf_counter()
    run_audit(
        export, out, today=TODAY, criteria_dir=REPO / "criteria", workers=workers,
        restart=True, progress=False,
    )
    wall_s = time.perf_counter() - started
    ideal_s = per_patient_s * grouped / workers
    return {
        "patients": grouped,
        "workers": workers,
        "pipeline_ms_per_patient": round(per_patient_s * 1000, 2),
        "grouping_s": round(grouping_s, 1),
        "audit_wall_s": round(wall_s, 1),
        "patients_per_s_per_core": round(grouped / wall_s / workers, 1),
        "ratio_to_ideal": round(wall_s / ideal_s, 2),
        "peak_rss_mb_main": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024,
        "peak_rss_mb_worker": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--workers", type=int, default=default_workers())
    parser.add_argument("--sample", type=int, default=300)
    parser.add_argument(
        "--work", type=Path, default=Path(tempfile.gettempdir()) / "cds-bench-audit"
    )
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    results = []
    for n in args.patients:
        figures = measure(_export(args.work, n), n, args.workers, args.sample)
        results.append(figures)
        print(json.dumps(figures))  # noqa: T201 - a benchmark's report
    target = REPO / "bench" / "results" / f"audit-{date.today().isoformat()}.json"
    target.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
