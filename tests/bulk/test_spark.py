"""The Spark engine of ``cds audit`` (cds/bulk/spark.py) in local mode, on a hand-made Bulk export.

The export (:func:`_write_export`) has 12 patients in five NDJSON files, one of them gzipped,
and every shape of patient reference: a Patient's own id, ``subject``, ``patient``,
``beneficiary``, an Appointment's participants, an absolute URL, and lines that are left out (a
Practitioner, a Group, a versioned reference, lines that are not JSON objects). The per-patient
function is a stub with ``cds.bulk.patient.audit_patient``'s signature whose findings name every
resource it was given, so that a patient split over two groups, or a resource given to the wrong
patient, shows.

One SparkSession serves the module (its start-up, a few seconds, dominates the runtime); the
tests run on one xdist worker (``xdist_group``) so that only one JVM starts. Without Java they
skip, under CI (``CI=true``) they fail.
"""

from __future__ import annotations

import gzip
import json
import os
import shutil
import sys
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from cds.bulk.export import ExportReader, export_files
from cds.bulk.patient import FINDING_COLUMNS, audit_patient
from cds.bulk.spark import (
    SparkRunSummary,
    finding_row,
    patient_key,
    read_spark_report,
    run_spark,
    sort_resources,
)
from cds.criteria.registry import Registry

REPO = Path(__file__).resolve().parents[2]
CRITERIA = REPO / "criteria"
TODAY = date(2026, 11, 20)
SPARK = [pytest.mark.spark, pytest.mark.xdist_group("spark")]


@dataclass(frozen=True)
class StubFinding:
    """The shape of ``cds.bulk.patient.Finding``."""

    patient: str
    pathway: str
    outcome: str
    rule: str | None
    evidence_dates: str


COLUMNS = ("patient", "pathway", "outcome", "rule", "evidence_dates")
PATHWAY_OF_CODE = {"C90": "myelomatose", "C49": "sarkom", "R53": "diagnostisk"}


def stub_audit(
    patient_ref: str, resources: list[dict[str, Any]], registry: Registry, today: date
) -> list[StubFinding]:
    """One finding per pathway a Condition's code names; none for a patient without one.

    ``rule`` lists every resource the function was given (None for «diagnostisk», to carry a
    null), ``outcome`` says whether an Observation was among them, and the dates include
    ``today`` so that the date is seen to reach the workers.
    """
    assert isinstance(registry, Registry)
    given = "+".join(f"{r['resourceType']}/{r.get('id', '')}" for r in resources)
    dates = sorted(
        str(r[field])
        for r in resources
        for field in ("onsetDateTime", "effectiveDateTime")
        if field in r
    )
    has_observation = any(r["resourceType"] == "Observation" for r in resources)
    pathways = sorted(
        {
            PATHWAY_OF_CODE[coding["code"]]
            for r in resources
            if r["resourceType"] == "Condition"
            for coding in r["code"]["coding"]
            if coding["code"] in PATHWAY_OF_CODE
        }
    )
    return [
        StubFinding(
            patient=patient_ref,
            pathway=pathway,
            outcome="begrunnet" if has_observation else "mistanke",
            rule=None if pathway == "diagnostisk" else given,
            evidence_dates=";".join([*dates, today.isoformat()]),
        )
        for pathway in pathways
    ]


def _condition(rid: str, patient: str, code: str, onset: str) -> dict[str, Any]:
    return {
        "resourceType": "Condition",
        "id": rid,
        "subject": {"reference": patient},
        "code": {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10", "code": code}]},
        "onsetDateTime": onset,
    }


def _observation(rid: str, reference: str, when: str) -> dict[str, Any]:
    return {
        "resourceType": "Observation",
        "id": rid,
        "status": "final",
        "subject": {"reference": reference},
        "effectiveDateTime": when,
    }


def _export_resources() -> dict[str, list[dict[str, Any]]]:
    patients = [{"resourceType": "Patient", "id": f"p{n:02d}"} for n in range(1, 13)]
    codes = ["Z00", "C49", "R53", "C90", "C90"]  # Z00 (p05, p10): no pathway, so no findings
    conditions = [
        _condition(f"c{n:02d}", f"Patient/p{n:02d}", codes[n % len(codes)], f"2026-0{n % 9 + 1}-01")
        for n in range(1, 13)
    ]
    conditions.append(_condition("c99", "Patient/p03", "C49", "2026-10-10"))  # a second pathway
    conditions.append(_condition("c98", "Patient/orphan", "C90", "2026-10-11"))  # no Patient line
    observations = [
        _observation("o01", "Patient/p01", "2026-11-01"),
        _observation("o02", "https://fhir.example.no/r4/Patient/p02", "2026-11-02"),
        _observation("o03", "Patient/p04/_history/3", "2026-11-03"),  # versioned: p04's
        _observation("o04", "Group/g1", "2026-11-04"),  # not a patient: left out
    ]
    others = [
        {
            "resourceType": "AllergyIntolerance",
            "id": "a01",
            "patient": {"reference": "Patient/p05"},
        },
        {
            "resourceType": "Appointment",
            "id": "ap01",
            "status": "booked",
            "participant": [
                {"actor": {"reference": "Practitioner/dr1"}},
                {"actor": {"reference": "Patient/p06"}},
                {"actor": {"reference": "Patient/p07"}},
            ],
        },
        {"resourceType": "Practitioner", "id": "dr1"},
        {"resourceType": "Coverage", "id": "cov1", "beneficiary": {"reference": "Patient/p01"}},
    ]
    return {
        "Patient": patients,
        "Condition": conditions,
        "Observation": observations,
        "Other": others,
    }


def _write_export(folder: Path) -> Path:
    folder.mkdir(parents=True)
    resources = _export_resources()
    for kind in ("Patient", "Observation", "Other"):
        lines = [json.dumps(r) for r in resources[kind]]
        if kind == "Observation":
            lines.insert(2, "")  # a blank line is no resource
        if kind == "Other":
            lines += ["{not json", "[1, 2]"]  # counted as unreadable and left out
        (folder / f"{kind}.ndjson").write_text("\n".join(lines) + "\n", encoding="utf-8")
    with gzip.open(folder / "Condition.ndjson.gz", "wt", encoding="utf-8") as gz:
        gz.writelines(json.dumps(r) + "\n" for r in resources["Condition"])
    (folder / "notes.txt").write_text('{"resourceType": "Patient", "id": "x"}\n')  # not NDJSON
    return folder


def read_ndjson(path: Path) -> Iterator[str]:
    """The non-blank lines of one export file, decompressing ``.gz``: the plain-Python reader."""
    opener: Any = gzip.open if path.name.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8") as lines:
        for line in lines:
            if line.strip():
                yield line


def _plain_python_groups(export: Path) -> dict[str, list[dict[str, Any]]]:
    """The export grouped per patient in a dict, with :func:`patient_key`."""
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for path in export_files(export):
        for line in read_ndjson(path):
            try:
                resource = json.loads(line)
            except ValueError:
                continue
            key = patient_key(resource) if isinstance(resource, dict) else None
            if key is not None:
                groups[key].append(resource)
    return groups


def _names(resources: list[dict[str, Any]]) -> list[str]:
    return sorted(f"{r['resourceType']}/{r.get('id')}" for r in resources)


def _plain_python_rows(export: Path) -> list[tuple[str | None, ...]]:
    """The same audit without Spark: group in a dict, call the same per-patient function."""
    registry = _registry()
    return sorted(
        finding_row(finding, COLUMNS)
        for key, resources in _plain_python_groups(export).items()
        for finding in stub_audit(key, sort_resources(resources), registry, TODAY)
    )


_REGISTRY: list[Registry] = []


def _registry() -> Registry:
    if not _REGISTRY:
        from cds.criteria.loader import load_registry

        _REGISTRY.append(load_registry(CRITERIA))
    return _REGISTRY[0]


# -- key extraction (no Spark) ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("resource", "key"),
    [
        ({"resourceType": "Patient", "id": "p1"}, "Patient/p1"),
        ({"resourceType": "Patient"}, None),
        ({"resourceType": "Observation", "subject": {"reference": "Patient/p1"}}, "Patient/p1"),
        (
            {"resourceType": "AllergyIntolerance", "patient": {"reference": "Patient/p2"}},
            "Patient/p2",
        ),
        ({"resourceType": "Observation", "subject": {"reference": "Group/g"}}, None),
        (
            {
                "resourceType": "Observation",
                "subject": {"reference": "https://x.no/fhir/Patient/p3"},
            },
            "Patient/p3",
        ),
        # a versioned reference is the patient (as in the embedded engine's SQL)
        (
            {"resourceType": "Observation", "subject": {"reference": "Patient/p4/_history/2"}},
            "Patient/p4",
        ),
        (
            {"resourceType": "Observation", "subject": {"reference": "Patient/p4/_history"}},
            None,
        ),
        (
            {
                "resourceType": "Appointment",
                "participant": [{"actor": {"reference": "https://x.no/Patient/p7/_history/9"}}],
            },
            "Patient/p7",
        ),
        ({"resourceType": "Coverage", "beneficiary": {"reference": "Patient/p8"}}, "Patient/p8"),
        (
            {
                "resourceType": "Observation",
                "subject": {"reference": "Group/g"},
                "extension": [{"valueReference": {"reference": "Patient/p9"}}],
            },
            "Patient/p9",
        ),
        ({"resourceType": "Observation", "subject": {"reference": "Patient/"}}, None),
        ({"resourceType": "Observation", "subject": {"display": "Kari"}}, None),
        ({"resourceType": "Observation", "subject": "Patient/p1"}, None),
        (
            {
                "resourceType": "Appointment",
                "participant": [
                    {"actor": {"reference": "Location/l1"}},
                    {"type": [{"text": "no actor"}]},
                    {"actor": {"reference": "Patient/p5"}},
                    {"actor": {"reference": "Patient/p6"}},
                ],
            },
            "Patient/p5",
        ),
        (
            {
                "resourceType": "Appointment",
                "participant": [{"actor": {"reference": "Practitioner/d"}}],
            },
            None,
        ),
        ({"resourceType": "Practitioner", "id": "d"}, None),
    ],
)
def test_patient_key_of_every_reference_shape(resource: dict[str, Any], key: str | None) -> None:
    assert patient_key(resource) == key


def test_gzip_reads_like_text_and_blank_lines_are_no_resources(tmp_path: Path) -> None:
    export = _write_export(tmp_path / "export")
    assert len(list(read_ndjson(export / "Condition.ndjson.gz"))) == 14
    assert len(list(read_ndjson(export / "Observation.ndjson"))) == 4  # the blank line skipped


def test_the_key_is_the_embedded_engines(tmp_path: Path) -> None:
    """patient_key groups the export exactly as DuckDB's SQL key does (cds.bulk.export)."""
    export = _write_export(tmp_path / "export")
    reader = ExportReader(export_files(export), memory_limit="256MB", threads=1)
    try:
        embedded = {key: _names(resources) for key, resources in reader.patients()}
    finally:
        reader.close()
    plain = {key: _names(resources) for key, resources in _plain_python_groups(export).items()}
    assert plain == embedded
    assert len(plain) == 13


def test_the_criteria_are_loaded_once_per_worker_process() -> None:
    from cds.bulk import spark

    first = spark._worker_registry(str(CRITERIA))
    assert isinstance(first, Registry)
    assert spark._worker_registry(str(CRITERIA)) is first


# -- the Spark run ---------------------------------------------------------------------------


@dataclass(frozen=True)
class SparkRun:
    export: Path
    out: Path
    summary: SparkRunSummary
    rows: list[tuple[str | None, ...]]


# Session-scoped, not module-scoped: xdist's loadgroup keeps the Spark tests on one worker but may
# run other modules' tests between them, and a module fixture would then start a second JVM
# (~25 s on a busy machine).
@pytest.fixture(scope="session")
def spark() -> Iterator[Any]:
    """One local SparkSession for the test run; skip (fail under CI) without Java."""
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("CI must run the Spark tests: no java on PATH and no JAVA_HOME")
        pytest.skip("no Java runtime (java on PATH or JAVA_HOME) for Spark")
    from pyspark import cloudpickle

    from cds.bulk.spark import spark_session

    # the stub lives in this test module, which the Python workers cannot import: ship it by value
    cloudpickle.register_pickle_by_value(sys.modules[__name__])
    session = spark_session("local[2]")
    try:
        yield session
    finally:
        session.stop()
        cloudpickle.unregister_pickle_by_value(sys.modules[__name__])


@pytest.fixture(scope="session")
def run(spark: Any, tmp_path_factory: pytest.TempPathFactory) -> SparkRun:
    root = tmp_path_factory.mktemp("spark")
    export = _write_export(root / "export")
    out = root / "findings"
    summary = run_spark(
        export, out, TODAY, criteria_dir=CRITERIA, audit=stub_audit, columns=COLUMNS, session=spark
    )
    rows = sorted(tuple(row) for row in spark.read.parquet(str(out)).select(*COLUMNS).collect())
    return SparkRun(export, out, summary, rows)


@pytest.mark.spark
@pytest.mark.xdist_group("spark")
def test_each_patient_is_audited_once_with_all_its_resources(run: SparkRun) -> None:
    given = {(row[0], row[1]): row[3] for row in run.rows}
    assert len(given) == len(run.rows)  # one row per patient and pathway: never split
    assert given[("Patient/p01", "sarkom")] == (
        "Condition/c01+Coverage/cov1+Observation/o01+Patient/p01"
    )
    assert given[("Patient/p02", "diagnostisk")] is None
    assert given[("Patient/p03", "sarkom")] == "Condition/c03+Condition/c99+Patient/p03"
    assert given[("Patient/p04", "myelomatose")] == "Condition/c04+Observation/o03+Patient/p04"
    assert given[("Patient/p06", "sarkom")] == "Appointment/ap01+Condition/c06+Patient/p06"
    assert given[("Patient/orphan", "myelomatose")] == "Condition/c98"
    outcome = {(row[0], row[1]): row[2] for row in run.rows}
    assert outcome[("Patient/p01", "sarkom")] == "begrunnet"
    assert outcome[("Patient/p06", "sarkom")] == "mistanke"
    assert all(str(row[4]).endswith("2026-11-20") for row in run.rows)


@pytest.mark.spark
@pytest.mark.xdist_group("spark")
def test_patients_without_findings_give_no_rows(run: SparkRun) -> None:
    patients = {row[0] for row in run.rows}
    assert "Patient/p05" not in patients  # Z00: no pathway
    assert "Patient/p10" not in patients
    assert len(patients) == 11  # p01-p12 less p05 and p10, plus the orphan
    assert run.summary == SparkRunSummary(
        resources=32, unkeyed=2, unreadable=2, patients=13, findings=len(run.rows)
    )


@pytest.mark.spark
@pytest.mark.xdist_group("spark")
def test_parquet_is_partitioned_by_pathway(spark: Any, run: SparkRun) -> None:
    partitions = sorted(p.name for p in run.out.iterdir() if p.is_dir())
    assert partitions == ["pathway=diagnostisk", "pathway=myelomatose", "pathway=sarkom"]
    for partition in partitions:
        assert any(f.suffix == ".parquet" for f in (run.out / partition).iterdir())
    sarkom = spark.read.parquet(str(run.out / "pathway=sarkom")).collect()
    assert sarkom and {row["patient"] for row in sarkom} == {
        row[0] for row in run.rows if row[1] == "sarkom"
    }
    assert "pathway" not in spark.read.parquet(str(run.out / "pathway=sarkom")).columns


@pytest.mark.spark
@pytest.mark.xdist_group("spark")
def test_spark_equals_a_plain_python_grouping(run: SparkRun) -> None:
    assert run.rows == _plain_python_rows(run.export)
    assert len(run.rows) == 12


@pytest.mark.spark
@pytest.mark.xdist_group("spark")
def test_an_existing_output_folder_is_never_overwritten(spark: Any, run: SparkRun) -> None:
    before = sorted(p.name for p in run.out.iterdir())
    with pytest.raises(Exception, match="already exists"):
        run_spark(
            run.export,
            run.out,
            TODAY,
            criteria_dir=CRITERIA,
            audit=stub_audit,
            columns=COLUMNS,
            session=spark,
        )
    assert sorted(p.name for p in run.out.iterdir()) == before


# -- the real per-patient engine on both engines ---------------------------------------------


def test_the_stub_has_the_findings_columns() -> None:
    assert COLUMNS == FINDING_COLUMNS


def _write_examples_export(folder: Path) -> Path:
    """The example records (examples/*.json) as a Bulk export with a manifest, drafts left out."""
    by_kind: dict[str, list[str]] = defaultdict(list)
    for path in sorted((REPO / "examples").glob("*.json")):
        for entry in json.loads(path.read_text(encoding="utf-8"))["entry"]:
            resource = entry["resource"]
            if resource.get("status") != "draft":
                by_kind[resource["resourceType"]].append(json.dumps(resource, ensure_ascii=False))
    folder.mkdir(parents=True)
    output = []
    for kind, lines in by_kind.items():
        name = f"{kind}.ndjson.gz" if kind == "Observation" else f"{kind}.ndjson"
        with (
            gzip.open(folder / name, "wt", encoding="utf-8")
            if name.endswith(".gz")
            else open(folder / name, "w", encoding="utf-8") as handle
        ):
            handle.write("\n".join(lines) + "\n")
        output.append({"type": kind, "url": f"https://fhir.example/out/{name}"})
    (folder / "manifest.json").write_text(json.dumps({"output": output}), encoding="utf-8")
    return folder


def _write_synthetic_export(folder: Path) -> Path:
    """200 patients of ``cds synth-export`` (seeded, gzipped, with a manifest): every outcome
    of its mix a few times."""
    from cds.bulk.synth import write_export

    write_export(folder, patients=200, seed=3, today=TODAY, compress=True)
    return folder


@pytest.mark.spark
@pytest.mark.xdist_group("spark")
@pytest.mark.parametrize("write", [_write_examples_export, _write_synthetic_export])
def test_spark_and_the_embedded_reader_give_the_same_report(
    spark: Any, tmp_path: Path, write: Callable[[Path], Path]
) -> None:
    """audit_patient itself (not the stub) over the example records and a synthetic practice:
    Spark's Parquet, read back as the report table, equals the embedded engine's grouping
    through the same function."""
    export = write(tmp_path / "export")
    out = tmp_path / "findings"
    summary = run_spark(export, out, TODAY, criteria_dir=CRITERIA, session=spark)
    got = sorted(tuple(row.values()) for row in read_spark_report(out).to_pylist())
    reader = ExportReader(export_files(export), memory_limit="256MB", threads=1)
    try:
        expected = sorted(
            finding_row(finding, FINDING_COLUMNS)
            for key, resources in reader.patients()
            for finding in audit_patient(key, resources, _registry(), TODAY)
        )
    finally:
        reader.close()
    assert got == expected
    assert summary.findings == len(got)
    # the same lines counted the same way by both engines
    assert (summary.resources, summary.unkeyed) == (
        reader.stats.resources,
        reader.stats.without_patient,
    )
    if write is _write_examples_export:
        assert {"myelomatose", "sarkom", "sarkom-oppfolging"} <= {row[1] for row in got}
        assert summary.patients == len(list((REPO / "examples").glob("*.json")))
    else:
        assert len({row[2] for row in got}) >= 4  # the outcomes of the mix, not an empty report
        assert summary.patients == 200


@pytest.mark.spark
@pytest.mark.xdist_group("spark")
def test_identifiers_on_spark_are_the_embedded_engines(spark: Any, tmp_path: Path) -> None:
    """--with-identifiers: the same name and national id columns from both engines."""
    from cds.bulk.synth import write_export
    from cds.cli import main

    export = tmp_path / "praksis"
    write_export(export, patients=60, seed=5, compress=False)
    base = ["audit", str(export), "--today", "2026-11-20", "--no-progress", "--with-identifiers"]
    embedded, on_spark = tmp_path / "e.csv", tmp_path / "s.csv"
    assert main([*base, "--out", str(embedded), "--workers", "1"]) == 0
    folder = on_spark.with_name("s.csv.spark")
    run_spark(export, folder, TODAY, criteria_dir=CRITERIA, session=spark, with_identifiers=True)
    from cds.bulk.report import write_report

    write_report(read_spark_report(folder, with_identifiers=True), on_spark)
    head_e, *rows_e = embedded.read_text(encoding="utf-8").splitlines()
    head_s, *rows_s = on_spark.read_text(encoding="utf-8").splitlines()
    assert head_e == head_s and head_e.endswith(",name,national_id")
    assert rows_e and sorted(rows_e) == sorted(rows_s)
    assert all(row.rsplit(",", 1)[1].isdigit() for row in rows_s)  # a fødselsnummer on each


# Last in the module: ``cds audit --engine spark`` reuses the test run's session and stops it.
@pytest.mark.spark
@pytest.mark.xdist_group("spark")
def test_both_engines_give_the_same_report_from_the_command_line(
    spark: Any, tmp_path: Path
) -> None:
    from cds.bulk.synth import write_export
    from cds.cli import main

    export = tmp_path / "praksis"
    write_export(export, patients=150, seed=3, compress=True)
    base = ["audit", str(export), "--today", "2026-11-20", "--no-progress"]
    embedded, on_spark = tmp_path / "e.csv", tmp_path / "s.csv"
    assert main([*base, "--out", str(embedded), "--workers", "2", "--batch-size", "40"]) == 0
    assert main([*base, "--out", str(on_spark), "--engine", "spark"]) == 0
    head_e, *rows_e = embedded.read_text(encoding="utf-8").splitlines()
    head_s, *rows_s = on_spark.read_text(encoding="utf-8").splitlines()
    assert head_e == head_s and rows_e and sorted(rows_e) == sorted(rows_s)
    summary_e = embedded.with_name("e.csv.summary.csv").read_text(encoding="utf-8")
    assert summary_e == on_spark.with_name("s.csv.summary.csv").read_text(encoding="utf-8")

