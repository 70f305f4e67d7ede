"""``cds audit`` on one machine: a Bulk export, grouped per patient by DuckDB, through the
per-patient engine (``cds.bulk.patient``) in a process pool, into a resumable report.

* **Batches.** Patients come in key order (``cds.bulk.export``) and are cut into batches of
  ``batch_size``; batch *n* is always the same patients. Each finished batch is written
  atomically as ``<out>.parts/part-<n>.parquet``; a run that finds a batch's part already
  there skips it, so an interrupted audit continues where it stopped (``--restart`` starts
  over). The report is assembled from the parts at the end.
* **Bounded memory.** DuckDB works within ``memory_limit`` (spilling to disk); at most
  ``2 × workers`` batches are in flight, so memory depends on the batch size and the number of
  workers, not on the number of patients.
* **Workers** run exactly the engine a hook call runs; results do not depend on the number of
  workers or the batch size. Where processes are forked (Linux), the criteria are loaded once,
  before the pool starts, and the workers inherit them; the pool is started before DuckDB opens
  the export, so no process is forked while DuckDB's threads run. Elsewhere each worker loads
  the criteria itself. Workers parse the JSON lines with orjson (the reading process only moves
  text).
* **Batch size.** By default it follows the number of patients (``auto_batch_size``: about
  64 batches, 50–500 patients each), so the last batch a worker runs is short and no core waits
  long at the end; the size is part of the run's stamp, so a resumed run cuts the same batches.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from tqdm import tqdm

from cds.bulk.export import ExportReader, ExportStats, export_files
from cds.bulk.lines import parse_line
from cds.bulk.patient import FINDING_COLUMNS, IDENTIFIER_COLUMNS, audit_patient, identifiers
from cds.criteria.loader import load_registry
from cds.criteria.registry import Registry

Batch = list[tuple[str, list[str]]]  # patient reference, its resources as JSON lines
SCHEMA = pa.schema([(name, pa.string()) for name in FINDING_COLUMNS])
WITH_IDENTIFIERS = pa.schema([(n, pa.string()) for n in (*FINDING_COLUMNS, *IDENTIFIER_COLUMNS)])

_worker: dict[str, Any] = {}


@dataclass(frozen=True, slots=True)
class AuditRun:
    """What one run did: the export's figures, the batches run now and skipped (resumed)."""

    stats: ExportStats
    batches: int
    skipped: int
    parts: Path


def _init_worker(criteria_dir: str, today: str, with_identifiers: bool = False) -> None:
    if _worker.get("criteria_dir") != criteria_dir:  # not inherited from a forking parent
        _worker["registry"] = load_registry(Path(criteria_dir))
        _worker["criteria_dir"] = criteria_dir
    _worker["today"] = date.fromisoformat(today)
    _worker["identifiers"] = with_identifiers


def _ready() -> None:
    """A task that only proves a worker has started (the pool starts before DuckDB)."""


def _run_batch(index: int, batch: Batch) -> tuple[int, int, list[dict[str, Any]]]:
    registry: Registry = _worker["registry"]
    today: date = _worker["today"]
    rows: list[dict[str, Any]] = []
    for patient, lines in batch:
        resources = [v for v in map(parse_line, lines) if isinstance(v, dict)]
        found = audit_patient(patient, resources, registry, today)
        who = identifiers(resources) if found and _worker.get("identifiers") else {}
        rows.extend({**asdict(row), **who} for row in found)
    return index, len(batch), rows


def batches(patients: Iterable[tuple[str, list[str]]], size: int) -> Iterator[Batch]:
    """Consecutive batches of ``size`` patients."""
    batch: Batch = []
    for item in patients:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def auto_batch_size(patients: int) -> int:
    """The default batch size for an export of ``patients``: about 64 batches, 50–500 each."""
    return max(50, min(500, -(-patients // 64)))


def _pool_context() -> Any:
    """Fork where the platform has it (the workers inherit the loaded criteria), else spawn."""
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("fork" if "fork" in methods else "spawn")


def parts_dir(out: Path) -> Path:
    """Where the finished batches of a report lie (``report.parquet.parts/``)."""
    return out.with_name(out.name + ".parts")


def _write_part(parts: Path, index: int, rows: list[dict[str, Any]], schema: pa.Schema) -> None:
    table = pa.Table.from_pylist(rows, schema=schema)
    tmp = parts / f".part-{index:06d}.parquet.tmp"
    pq.write_table(table, tmp)
    tmp.replace(parts / f"part-{index:06d}.parquet")  # atomic: a part is whole or absent


def run_audit(
    export: Path | list[Path],
    out: Path,
    *,
    today: date,
    criteria_dir: Path,
    workers: int = 1,
    batch_size: int | None = None,
    memory_limit: str = "1GB",
    restart: bool = False,
    progress: bool = True,
    with_identifiers: bool = False,
) -> AuditRun:
    """Audit every patient of the export into ``parts_dir(out)`` (see the module docstring)."""
    parts = parts_dir(out)
    if restart and parts.exists():
        for old in (*parts.glob("*.parquet"), parts / "RUN"):
            old.unlink(missing_ok=True)
    parts.mkdir(parents=True, exist_ok=True)
    files = export_files(export)
    schema = WITH_IDENTIFIERS if with_identifiers else SCHEMA
    workers = max(1, workers)
    context = _pool_context()
    settings = (str(criteria_dir), today.isoformat(), with_identifiers)
    if context.get_start_method() == "fork":
        _init_worker(*settings)  # loaded once here; the forked workers inherit it
        # The inherited objects out of the workers' garbage collection: scanning them would
        # touch (and copy) every inherited page in each worker.
        gc.freeze()
    ran = skipped = 0
    with ProcessPoolExecutor(
        max_workers=workers, mp_context=context, initializer=_init_worker, initargs=settings
    ) as pool:
        for started in [pool.submit(_ready) for _ in range(workers)]:
            started.result()  # every worker forked before DuckDB starts its threads
        gc.unfreeze()  # this process collects as before (a no-op without the freeze)
        reader = ExportReader(files, memory_limit=memory_limit, threads=workers)
        try:
            size = batch_size or auto_batch_size(reader.stats.patients)
            done = _resume(parts, f"today={today.isoformat()} batch_size={size} "
                           f"identifiers={with_identifiers}\n")
            bar = tqdm(total=reader.stats.patients, unit="pas", disable=not progress, leave=False)
            pending: deque[Future[tuple[int, int, list[dict[str, Any]]]]] = deque()
            for index, batch in enumerate(batches(reader.patient_lines(), size)):
                if index in done:
                    skipped += 1
                    bar.update(len(batch))
                    continue
                pending.append(pool.submit(_run_batch, index, batch))
                ran += 1
                while len(pending) >= 2 * workers:
                    _finish(pending.popleft(), parts, bar, schema)
            while pending:
                _finish(pending.popleft(), parts, bar, schema)
            bar.close()
        finally:
            reader.close()
    return AuditRun(stats=reader.stats, batches=ran, skipped=skipped, parts=parts)


def _resume(parts: Path, key: str) -> set[int]:
    """The batches a stopped run with the same settings (``key``) finished; another run's
    parts are refused (``--restart``)."""
    stamp = parts / "RUN"
    if stamp.exists() and stamp.read_text() != key:
        raise ValueError(
            f"{parts} holds a run with other settings ({stamp.read_text().strip()}): use --restart"
        )
    stamp.write_text(key)
    return {int(p.stem.split("-")[1]) for p in parts.glob("part-*.parquet")}


def _finish(
    future: Future[tuple[int, int, list[dict[str, Any]]]],
    parts: Path,
    bar: Any,
    schema: pa.Schema,
) -> None:
    index, size, rows = future.result()
    _write_part(parts, index, rows, schema)
    bar.update(size)


def read_parts(parts: Path) -> pa.Table:
    """Every finished batch as one table, in batch order (an empty table without any)."""
    files = sorted(parts.glob("part-*.parquet"))
    if not files:
        return SCHEMA.empty_table()
    return pa.concat_tables(pq.read_table(f) for f in files)


def default_workers() -> int:
    """One worker per core the process may use."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
