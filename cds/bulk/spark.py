"""The Spark engine of ``cds audit``: the per-patient audit of a FHIR Bulk export on Apache Spark.

Design. A FHIR Bulk Data export is a folder of NDJSON files, one resource type per file
(``Patient.ndjson``, ``Observation.ndjson.gz``, …). The audit is embarrassingly parallel per
patient, so the Spark job is one shuffle:

1. read the export's files (the embedded engine's choice: the manifest's, else every
   ``*.ndjson[.gz]`` / ``*.jsonl[.gz]``) as text lines (Spark decompresses ``.gz`` itself);
2. parse each line as JSON in the Python workers and key it by its patient
   (:func:`patient_key`, the embedded engine's key); lines without a patient (a Practitioner,
   an Organization) and lines that are not a JSON object are counted and left out;
3. ``groupByKey`` on (patient, line): all of one patient's lines arrive together, in one task,
   and are parsed again there (a line's text pickles across the shuffle several times faster
   than the parsed resource; orjson parses it again in microseconds);
4. the per-patient function (``cds.bulk.patient.audit_patient``, the same one the embedded
   engine calls) runs on each group, with the criteria loaded once per worker process
   (:func:`_worker_registry`, a module-level cache: Python workers are reused between tasks);
5. the findings become rows of ``FINDING_COLUMNS`` (all strings) written as Parquet partitioned
   by ``pathway``. A patient without findings gives no rows.

The RDD API is used rather than ``applyInPandas`` so that pandas and Arrow batches are not
needed: the records are small dicts, and only the final rows cross into the JVM. The resources of a
patient are handed over in a fixed order (:func:`sort_resources`) so that the result does not
depend on how Spark happened to split the files. Nothing here logs resource content: the counts
in :class:`SparkRunSummary` are all that leaves the job besides the Parquet files.

The per-patient function can be passed in (the tests use a stub as well as the real one).
:func:`read_spark_report` reads the Parquet folders back as the embedded engine's report table.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from cds.bulk.lines import parse_line  # the embedded engine's parsing (orjson; light to import)

if TYPE_CHECKING:
    import pyarrow as pa
    from pyspark.sql import SparkSession

    from cds.criteria.registry import Registry

PATIENT_PREFIX = "Patient/"


class AuditPatient(Protocol):
    """The per-patient function: ``cds.bulk.patient.audit_patient``'s signature."""

    def __call__(
        self, patient_ref: str, resources: list[dict[str, Any]], registry: Registry, today: date
    ) -> Sequence[Any]: ...


@dataclass(frozen=True)
class SparkRunSummary:
    """What a run read and wrote, in counts only (no patient data): JSON-object lines with a
    patient (``resources``, as the embedded engine's ``ExportStats.resources``), those without
    one (``unkeyed``, its ``without_patient``), lines that are not a JSON object
    (``unreadable``), patients audited and finding rows written.

    Counted with Spark accumulators, which a retried task may count twice: exact in local mode,
    an upper bound on a cluster with task failures.
    """

    resources: int
    unkeyed: int
    unreadable: int
    patients: int
    findings: int


# The same key as the embedded engine's (cds.bulk.export, in SQL there): a reference whose value
# ends in ``Patient/<id>``, relative or absolute, or in ``Patient/<id>/_history/<version>`` (the
# version is dropped: every version of a patient is the same patient).
_PATIENT_TAIL = re.compile(r"(Patient/[^/]+)(?:/_history/[^/]+)?$")
_KEY_FIELDS = ("subject", "patient", "beneficiary")


def _patient_reference(value: object) -> str | None:
    """``Patient/<id>`` from a Reference (``{"reference": …}``) to a Patient, else None."""
    reference = value.get("reference") if isinstance(value, dict) else None
    match = _PATIENT_TAIL.search(reference) if isinstance(reference, str) else None
    return match.group(1) if match else None


def _first_patient_reference(value: object) -> str | None:
    """The first Reference to a Patient anywhere in ``value``, in document order."""
    if isinstance(value, dict):
        found = _patient_reference(value)
        if found is not None:
            return found
        children: Iterable[object] = value.values()
    elif isinstance(value, list):
        children = value
    else:
        return None
    for child in children:
        found = _first_patient_reference(child)
        if found is not None:
            return found
    return None


def patient_key(resource: dict[str, Any]) -> str | None:
    """The patient a resource belongs to, as ``Patient/<id>``, or None.

    A Patient is its own key; other resources name theirs in ``subject``, ``patient`` or
    ``beneficiary``, else (an Appointment's ``participant[].actor``) in the first Reference to a
    Patient anywhere in the resource. The embedded engine keys the same way.
    """
    if resource.get("resourceType") == "Patient":
        patient_id = resource.get("id")
        return PATIENT_PREFIX + patient_id if isinstance(patient_id, str) and patient_id else None
    for field in _KEY_FIELDS:
        key = _patient_reference(resource.get(field))
        if key is not None:
            return key
    return _first_patient_reference(resource)


def sort_resources(resources: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """One patient's resources in a fixed order (type, id), whatever order they were read in."""
    return sorted(resources, key=lambda r: (str(r.get("resourceType", "")), str(r.get("id", ""))))


def finding_row(finding: Any, columns: Sequence[str]) -> tuple[str | None, ...]:
    """A finding (a dataclass with string fields) as a row in ``columns`` order."""
    return tuple(
        None if (value := getattr(finding, column)) is None else str(value) for column in columns
    )


_REGISTRIES: dict[str, Registry] = {}


def _worker_registry(criteria_dir: str) -> Registry:
    """The criteria, loaded once per Python worker process (workers are reused between tasks)."""
    registry = _REGISTRIES.get(criteria_dir)
    if registry is None:
        from cds.criteria.loader import load_registry

        registry = _REGISTRIES[criteria_dir] = load_registry(Path(criteria_dir))
    return registry


def spark_session(master: str = "local[2]") -> SparkSession:
    """A small local-friendly SparkSession: no UI, few partitions, quiet logs.

    The Python workers run this interpreter and import ``cds`` from the same folder as the
    driver (an editable install elsewhere would otherwise win in the workers).
    """
    from pyspark.sql import SparkSession

    if master.startswith("local"):
        # one machine: bind to loopback, not whatever the host name resolves to (a warning, and a
        # failure in containers whose host name does not resolve)
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    package_root = str(Path(__file__).resolve().parents[2])
    builder = (
        SparkSession.builder.master(master)
        .appName("cds-audit")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.driver.memory", "1g")
    )
    if master.startswith("local"):
        # One machine: few, large groups. Measured on 2 cores and 100 000 patients: 4 groups
        # 110 s, 6 groups 130 s. On a cluster Spark's own default (all executor cores) is kept;
        # a Python worker spills a group beyond spark.python.worker.memory either way.
        builder = builder.config("spark.sql.shuffle.partitions", "4").config(
            "spark.default.parallelism", "4"
        )
    spark = (
        builder.config("spark.sql.session.timeZone", "UTC")
        .config("spark.pyspark.python", sys.executable)
        .config("spark.executorEnv.PYTHONPATH", package_root)
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def _default_audit() -> tuple[AuditPatient, Sequence[str]]:
    from cds.bulk.patient import FINDING_COLUMNS, audit_patient

    return audit_patient, FINDING_COLUMNS


def run_spark(
    export: Path | Sequence[Path],
    out: Path,
    today: date,
    *,
    master: str = "local[2]",
    criteria_dir: Path,
    audit: AuditPatient | None = None,
    columns: Sequence[str] | None = None,
    session: SparkSession | None = None,
    with_identifiers: bool = False,
) -> SparkRunSummary:
    """Audit every patient of the Bulk export ``export`` on Spark; Parquet by pathway in ``out``.

    ``export`` is a folder (its ``manifest.json`` names the files when there is one) or a list of
    files, chosen as the embedded engine chooses them (``cds.bulk.export.export_files``).

    ``audit``/``columns`` default to ``cds.bulk.patient``'s ``audit_patient`` and
    ``FINDING_COLUMNS`` (the tests pass a stub). ``session`` reuses a running SparkSession, which
    is then left running; otherwise one is built for ``master`` and stopped at the end. ``out``
    must not exist yet (Spark's default mode: a mistyped folder is never overwritten).
    ``with_identifiers`` adds the patient's name and national id after the finding's columns
    (``cds.bulk.patient.identifiers``, as the embedded engine's ``--with-identifiers``).
    """
    from pyspark.sql.types import StringType, StructField, StructType

    from cds.bulk.export import export_files

    if audit is None or columns is None:
        default_audit, default_columns = _default_audit()
        audit = audit or default_audit
        columns = columns or default_columns
    if "pathway" not in columns:
        raise ValueError("the finding columns must include 'pathway' (the Parquet partitions)")
    paths = [str(p) for p in export_files(export)]
    criteria = str(criteria_dir.resolve())
    per_patient = audit
    row_columns = tuple(columns)
    extra = _identifier_columns() if with_identifiers else ()

    spark = session or spark_session(master)
    try:
        sc = spark.sparkContext
        resources = sc.accumulator(0)
        unkeyed = sc.accumulator(0)
        unreadable = sc.accumulator(0)
        patients = sc.accumulator(0)
        written = sc.accumulator(0)

        def keyed(line: str) -> Iterator[tuple[str, str]]:
            if not line.strip():
                return
            resource = parse_line(line)
            if not isinstance(resource, dict):
                unreadable.add(1)
                return
            key = patient_key(resource)
            if key is None:
                unkeyed.add(1)
                return
            resources.add(1)
            yield key, line  # the text crosses the shuffle: far cheaper to pickle than the dict

        def findings(group: tuple[str, Iterable[str]]) -> Iterator[tuple[str | None, ...]]:
            patient_ref, grouped = group
            patients.add(1)
            registry = _worker_registry(criteria)
            resources = sort_resources(r for r in map(parse_line, grouped) if isinstance(r, dict))
            found = per_patient(patient_ref, resources, registry, today)
            who = _identifiers(resources) if found and extra else {}
            for finding in found:
                written.add(1)
                yield finding_row(finding, row_columns) + tuple(who.get(c, "") for c in extra)

        lines = spark.read.text(paths).rdd.map(lambda row: row[0])
        rows = lines.flatMap(keyed).groupByKey().flatMap(findings)
        schema = StructType(
            [StructField(name, StringType(), nullable=True) for name in (*columns, *extra)]
        )
        frame = spark.createDataFrame(rows, schema)
        frame.write.partitionBy("pathway").parquet(str(out))
        return SparkRunSummary(
            resources=resources.value,
            unkeyed=unkeyed.value,
            unreadable=unreadable.value,
            patients=patients.value,
            findings=written.value,
        )
    finally:
        if session is None:
            spark.stop()


def _identifier_columns() -> tuple[str, ...]:
    from cds.bulk.patient import IDENTIFIER_COLUMNS

    return IDENTIFIER_COLUMNS


def _identifiers(resources: list[dict[str, Any]]) -> dict[str, str]:
    from cds.bulk.patient import identifiers

    return identifiers(resources)


def read_spark_report(out: Path, *, with_identifiers: bool = False) -> pa.Table:
    """What :func:`run_spark` wrote to ``out``, as the embedded engine's table (``read_parts``'s
    schema: every column a string, ``pathway`` back from the folder names), for ``write_report``
    and ``summary``; empty when no patient had a finding."""
    import pyarrow as pa
    import pyarrow.dataset as ds

    from cds.bulk.audit import SCHEMA, WITH_IDENTIFIERS

    schema = WITH_IDENTIFIERS if with_identifiers else SCHEMA
    if not any(out.rglob("*.parquet")):
        return schema.empty_table()
    partitioning = ds.partitioning(pa.schema([("pathway", pa.string())]), flavor="hive")
    table = ds.dataset(str(out), format="parquet", partitioning=partitioning).to_table()
    return table.select(schema.names).cast(schema)
