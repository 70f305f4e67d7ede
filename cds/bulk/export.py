"""Reading a FHIR Bulk Data ``$export`` result per patient, with DuckDB, in bounded memory.

An export is a folder of NDJSON files, one resource type per file (``Patient.ndjson``,
``Observation.1.ndjson.gz`` …), optionally with the Bulk Data Access IG's ``manifest.json``
(whose ``output[].type``/``url`` name the files; relative URLs are read from the folder). A list
of files works too.

DuckDB reads each line as a JSON value (``read_ndjson_objects``, gzip by extension), keys it by
its patient — a Patient by its own id; anything else by ``subject``/``patient``/``beneficiary``
reference, else the first ``Patient/…`` reference anywhere in it (an Appointment's participant) —
and sorts by that key into its own temporary storage, spilling to disk under
``memory_limit``: the export is never held in memory. :func:`patients` then streams patients in
key order, one patient's resources at a time, so batches can be numbered the same way on every
run (what makes an interrupted audit resumable, ``cds.bulk.audit``). Resources with no patient
(Practitioner, Organization, Medication) are not needed by the per-patient engine and are left
out; a line that is not JSON is counted, not fatal.
"""

from __future__ import annotations

import json
import re
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

_SUFFIXES = (".ndjson", ".ndjson.gz", ".jsonl", ".jsonl.gz")
# The patient key of one line (``j`` is the JSON value): see the module docstring.
_REF = "nullif(regexp_extract(json_extract_string(j, '$.{field}.reference'), '{tail}', 1), '')"
# A reference ending in Patient/<id>, or in Patient/<id>/_history/<version> (the version dropped).
_TAIL = "(Patient/[^/]+)(/_history/[^/]+)?$"
# Any «"reference": "…Patient/<id>[/_history/<v>]"» in the resource (an Appointment's participant).
_ANY_REF = r'"reference"\s*:\s*"[^"]*?(Patient/[^"/]+)(/_history/[^"/]+)?"'
_ANY = f"nullif(regexp_extract(CAST(j AS VARCHAR), '{_ANY_REF}', 1), '')"
_KEY = (
    "CASE WHEN json_extract_string(j, '$.resourceType') = 'Patient' "
    "THEN 'Patient/' || json_extract_string(j, '$.id') ELSE coalesce("
    + ", ".join(_REF.format(field=f, tail=_TAIL) for f in ("subject", "patient", "beneficiary"))
    + f", {_ANY}) END"
)
_MEMORY = re.compile(r"^\d+(\.\d+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)$", re.IGNORECASE)


class MemoryLimitTooLow(RuntimeError):
    """DuckDB could not read or sort the export within ``--memory-limit``."""

    def __init__(self, limit: str, exc: Exception) -> None:
        detail = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        super().__init__(
            f"the export cannot be read within --memory-limit {limit} ({detail}); give a larger "
            "limit, at least about 128MB"
        )


@dataclass(slots=True)
class ExportStats:
    """What reading the export found: files, lines kept, lines without a patient or not JSON."""

    files: list[str] = field(default_factory=list)
    resources: int = 0
    without_patient: int = 0
    patients: int = 0


def export_files(source: Path | Sequence[Path]) -> list[Path]:
    """The NDJSON files of an export folder (by its manifest when it has one), or the files
    given. Raises ``FileNotFoundError`` when there are none."""
    if not isinstance(source, Path):
        files = [Path(p) for p in source]
    elif source.is_dir():
        manifest = source / "manifest.json"
        if manifest.is_file():
            data = json.loads(manifest.read_text(encoding="utf-8"))
            files = [
                source / Path(str(item["url"])).name
                for item in data.get("output", [])
                if isinstance(item, dict) and "url" in item
            ]
        else:
            files = sorted(p for p in source.iterdir() if p.name.endswith(_SUFFIXES))
    else:
        files = [source]
    missing = [str(p) for p in files if not p.is_file()]
    if missing or not files:
        raise FileNotFoundError(f"no NDJSON files to read: {', '.join(missing) or source}")
    return files


class ExportReader:
    """One export, keyed per patient in a temporary DuckDB database file, read in patient
    order (:meth:`patients`); :meth:`close` removes the database."""

    def __init__(
        self,
        files: Sequence[Path],
        *,
        memory_limit: str = "1GB",
        threads: int = 2,
        temp_dir: Path | None = None,
    ) -> None:
        # A database file, not ":memory:": the keyed export lives on disk, and memory holds only
        # what memory_limit allows.
        self._tmp = tempfile.TemporaryDirectory(prefix="cds-audit-", dir=temp_dir)
        self.con = duckdb.connect(str(Path(self._tmp.name) / "export.duckdb"))
        if not _MEMORY.match(memory_limit):
            raise ValueError(f"memory limit {memory_limit!r}: give e.g. 512MB or 2GB")
        self.con.execute(f"SET memory_limit = '{memory_limit}'")
        self.con.execute(f"SET threads = {int(threads)}")
        self.con.execute("SET preserve_insertion_order = false")
        self.con.execute(f"SET temp_directory = '{_safe(self._tmp.name)}'")
        self.stats = ExportStats(files=[str(f) for f in files])
        self._limit = memory_limit
        try:
            # _KEY is our own constant; the file names go in as a parameter.
            self.con.execute(
                f"CREATE TABLE keyed AS SELECT {_KEY} AS patient, CAST(j AS VARCHAR) AS line "  # noqa: S608
                "FROM (SELECT json AS j FROM read_ndjson_objects(?, ignore_errors = true))",
                [[str(f) for f in files]],
            )
        except duckdb.OutOfMemoryException as exc:
            self.close()
            raise MemoryLimitTooLow(memory_limit, exc) from exc
        counts = self.con.execute(
            "SELECT count(*), count(*) FILTER (WHERE patient IS NULL), "
            "count(DISTINCT patient) FROM keyed"
        ).fetchone()
        total, orphans, patients = (int(c) for c in counts or (0, 0, 0))
        self.stats.resources = total - orphans
        self.stats.without_patient = orphans
        self.stats.patients = patients

    def patients(self, chunk: int = 2048) -> Iterator[tuple[str, list[dict[str, Any]]]]:
        """(patient reference, its resources) in patient order; one patient in memory at a time
        beyond DuckDB's fetch chunk."""
        for patient, lines in self.patient_lines(chunk):
            resources = [v for v in map(json.loads, lines) if isinstance(v, dict)]
            yield patient, resources

    def patient_lines(self, chunk: int = 2048) -> Iterator[tuple[str, list[str]]]:
        """The same, with each resource as its JSON line: the audit's workers parse them, so
        the reading process only moves text (``cds.bulk.audit``)."""
        try:
            result = self.con.execute(
                "SELECT patient, line FROM keyed WHERE patient IS NOT NULL ORDER BY patient"
            )
        except duckdb.OutOfMemoryException as exc:
            raise MemoryLimitTooLow(self._limit, exc) from exc
        current: str | None = None
        lines: list[str] = []
        while True:
            rows = result.fetchmany(chunk)
            if not rows:
                break
            for patient, line in rows:
                if patient != current:
                    if current is not None:
                        yield current, lines
                    current, lines = patient, []
                lines.append(line)
        if current is not None:
            yield current, lines

    def close(self) -> None:
        self.con.close()
        self._tmp.cleanup()


def _safe(text: str) -> str:
    """A value for a DuckDB string literal (file names, settings): quotes doubled."""
    return text.replace("'", "''")
