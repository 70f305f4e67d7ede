"""``cds audit`` on one machine (cds/bulk): the export is read per patient with DuckDB, every
patient goes through the same engine as a hook call, and an interrupted run continues."""

from __future__ import annotations

import gzip
import json
import math
from collections import defaultdict
from datetime import date
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from cds.bulk.audit import auto_batch_size, parts_dir, read_parts, run_audit
from cds.bulk.export import ExportReader, MemoryLimitTooLow, export_files
from cds.bulk.lines import parse_line
from cds.bulk.patient import audit_patient
from cds.bulk.report import summary, write_report
from cds.cli import main
from cds.criteria.registry import Registry

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples"
TODAY = date(2026, 11, 20)


def _example_resources() -> dict[str, list[dict[str, Any]]]:
    """Every example record's resources by type, drafts left out (an export has none)."""
    out: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for path in sorted(EXAMPLES.glob("*.json")):
        for entry in json.loads(path.read_text(encoding="utf-8"))["entry"]:
            res = entry["resource"]
            if res["resourceType"] == "ServiceRequest" and res.get("status") == "draft":
                continue
            out[res["resourceType"]].append(res)
    return out


def _audit(export: Path, out: Path, *extra: str) -> int:
    """``cds audit`` on ``export`` into ``out`` with one worker, no progress bar, and ``extra``."""
    argv = ["audit", str(export), "--today", "2026-11-20", "--out", str(out)]
    return main([*argv, "--workers", "1", "--no-progress", *extra])


@pytest.fixture(scope="module")
def export(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example records as a Bulk export: NDJSON per type, Observations gzipped, a manifest."""
    folder = tmp_path_factory.mktemp("export")
    output = []
    for kind, resources in _example_resources().items():
        name = f"{kind}.ndjson" + (".gz" if kind == "Observation" else "")
        opener: Any = gzip.open if name.endswith(".gz") else open
        with opener(folder / name, "wt", encoding="utf-8") as handle:
            for res in resources:
                handle.write(json.dumps(res, ensure_ascii=False) + "\n")
            if kind == "Condition":
                handle.write("{not json\n")  # one broken line costs only itself
        output.append({"type": kind, "url": f"https://fhir.example/out/{name}", "count": 0})
    (folder / "manifest.json").write_text(
        json.dumps({"transactionTime": "2026-11-20T00:00:00Z", "output": output, "error": []})
    )
    return folder


def test_export_files_by_manifest_or_folder(export: Path, tmp_path: Path) -> None:
    by_manifest = export_files(export)
    assert {p.name for p in by_manifest} >= {"Patient.ndjson", "Observation.ndjson.gz"}
    (tmp_path / "Patient.ndjson").write_text("")
    assert export_files(tmp_path) == [tmp_path / "Patient.ndjson"]
    with pytest.raises(FileNotFoundError):
        export_files(tmp_path / "tomt")


def test_resources_are_keyed_by_every_patient_reference(tmp_path: Path) -> None:
    lines = [
        {"resourceType": "Patient", "id": "p1"},
        {"resourceType": "Observation", "id": "o1", "subject": {"reference": "Patient/p1"}},
        {"resourceType": "AllergyIntolerance", "id": "a1", "patient": {"reference": "Patient/p1"}},
        {
            "resourceType": "Appointment",
            "id": "t1",
            "participant": [{"actor": {"reference": "https://ehr.example/fhir/Patient/p2"}}],
        },
        {"resourceType": "Condition", "id": "c1", "subject": {"reference": "Patient/p2"}},
        # a versioned reference is its patient
        {
            "resourceType": "Condition",
            "id": "c2",
            "subject": {"reference": "Patient/p1/_history/4"},
        },
        {
            "resourceType": "Appointment",
            "id": "t2",
            "participant": [{"actor": {"reference": "Patient/p2/_history/1"}}],
        },
        {"resourceType": "Practitioner", "id": "lege"},
    ]
    (tmp_path / "all.ndjson").write_text("\n".join(json.dumps(x) for x in lines) + "\n")
    reader = ExportReader(export_files(tmp_path), memory_limit="256MB", threads=1)
    try:
        grouped = {p: sorted(r["id"] for r in res) for p, res in reader.patients(chunk=2)}
    finally:
        reader.close()
    assert grouped == {"Patient/p1": ["a1", "c2", "o1", "p1"], "Patient/p2": ["c1", "t1", "t2"]}
    assert reader.stats.without_patient == 1


def test_the_audit_is_the_engine_per_patient(
    export: Path, tmp_path: Path, repo_registry: Registry
) -> None:
    out = tmp_path / "r.parquet"
    run = run_audit(export, out, today=TODAY, criteria_dir=REPO / "criteria", progress=False)
    got = sorted(tuple(r.values()) for r in read_parts(run.parts).to_pylist())
    by_patient: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for resources in _example_resources().values():
        for res in resources:
            pid = res["id"] if res["resourceType"] == "Patient" else None
            ref = (res.get("subject") or {}).get("reference") or (pid and f"Patient/{pid}")
            if ref:
                by_patient[ref].append(res)
    expected = sorted(
        (r.patient, r.pathway, r.outcome, r.rule, r.evidence_dates)
        for ref, resources in by_patient.items()
        for r in audit_patient(ref, resources, repo_registry, TODAY)
    )
    assert got == expected
    outcomes = {(p, o) for p, o, _ in summary(read_parts(run.parts))}
    assert ("sarkom", "pathway_deadline_overdue") in outcomes
    assert ("sarkom-oppfolging", "followup_overdue") in outcomes
    assert ("myelomatose", "begrunnet_not_referred") in outcomes
    assert run.stats.patients == len(list(EXAMPLES.glob("*.json")))


def test_an_interrupted_run_continues_and_settings_must_match(export: Path, tmp_path: Path) -> None:
    out = tmp_path / "r.parquet"
    args: dict[str, Any] = {
        "today": TODAY,
        "criteria_dir": REPO / "criteria",
        "batch_size": 4,
        "progress": False,
    }
    first = run_audit(export, out, workers=2, **args)
    whole = read_parts(first.parts).to_pylist()
    parts = sorted(parts_dir(out).glob("part-*.parquet"))
    parts[1].unlink()  # as if the run had stopped there
    parts[-1].unlink()
    again = run_audit(export, out, workers=1, **args)
    assert (again.batches, again.skipped) == (2, len(parts) - 2)
    assert sorted(map(str, read_parts(again.parts).to_pylist())) == sorted(map(str, whole))
    with pytest.raises(ValueError, match="--restart"):
        run_audit(export, out, **{**args, "batch_size": 5})
    fresh = run_audit(export, out, restart=True, **{**args, "batch_size": 5})
    assert fresh.skipped == 0


def test_a_memory_limit_too_low_is_said_plainly(export: Path, tmp_path: Path) -> None:
    """DuckDB's out-of-memory becomes one line naming --memory-limit, not a traceback."""
    with pytest.raises(MemoryLimitTooLow, match="--memory-limit 16MB"):
        ExportReader(export_files(export), memory_limit="16MB", threads=1)
    assert _audit(export, tmp_path / "r.csv", "--memory-limit", "16MB") != 0


@pytest.mark.parametrize(
    ("patients", "size"),
    [(1, 50), (3200, 50), (3201, 51), (10_000, 157), (32_000, 500), (32_001, 500), (10**7, 500)],
)
def test_the_default_batch_size_follows_the_export(patients: int, size: int) -> None:
    """About 64 batches, never under 50 or over 500 patients."""
    assert auto_batch_size(patients) == size


def test_a_line_is_parsed_by_orjson_or_json_or_skipped() -> None:
    # NaN is not JSON; orjson refuses it, json (as before orjson) reads it: the line is kept
    value = parse_line('{"resourceType": "Observation", "valueDecimal": NaN}')
    assert math.isnan(value["valueDecimal"])
    assert parse_line('{"id": "p", "n": [1.5]}') == {"id": "p", "n": [1.5]}
    assert parse_line("{not json") is None


def test_the_default_batch_size_is_part_of_the_stamp(export: Path, tmp_path: Path) -> None:
    """A resumed run without --batch-size cuts the same batches; an explicit other size refuses."""
    out = tmp_path / "r.parquet"
    args: dict[str, Any] = {"today": TODAY, "criteria_dir": REPO / "criteria", "progress": False}
    run_audit(export, out, **args)
    assert "batch_size=50 " in (parts_dir(out) / "RUN").read_text()
    assert run_audit(export, out, **args).skipped == 1
    with pytest.raises(ValueError, match="--restart"):
        run_audit(export, out, batch_size=7, **args)


@pytest.mark.parametrize("suffix", [".parquet", ".csv", ".json"])
def test_report_formats(export: Path, tmp_path: Path, suffix: str) -> None:
    out = tmp_path / f"rapport{suffix}"
    code = _audit(export, out, "--summary")
    assert code == 0 and out.is_file()
    if suffix == ".parquet":
        rows = pq.read_table(out).to_pylist()
    elif suffix == ".json":
        rows = json.loads(out.read_text(encoding="utf-8"))
    else:
        rows = out.read_text(encoding="utf-8").splitlines()[1:]
    assert rows
    assert (out.with_name(out.name + ".summary.csv")).read_text().startswith("pathway,outcome")
    text = out.read_text(encoding="utf-8", errors="replace") if suffix != ".parquet" else ""
    assert "Kari" not in text and "09837440251" not in text  # no names, no national ids


def test_an_unknown_format_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"\.parquet, \.csv or \.json"):
        write_report(read_parts(tmp_path), tmp_path / "r.xlsx")


def test_html_report_is_self_contained(export: Path, tmp_path: Path) -> None:
    out, html = tmp_path / "r.csv", tmp_path / "rapport.html"
    code = _audit(export, out, "--html", str(html))
    page = html.read_text(encoding="utf-8")
    assert code == 0 and page.count("<svg") >= 3  # one chart per outcome found
    assert "Begrunnet mistanke, ikke henvist" in page and "20.11.2026" in page
    assert "<script" not in page and "http" not in page.split("<svg", 1)[0]
    assert "Patient/" not in page  # counts only, no patient rows


def test_identifiers_only_when_asked(export: Path, tmp_path: Path) -> None:
    plain, named = tmp_path / "a.csv", tmp_path / "b.csv"
    assert _audit(export, plain) == 0
    assert _audit(export, named, "--with-identifiers") == 0
    head, *rows = named.read_text(encoding="utf-8").splitlines()
    assert head.endswith(",name,national_id") and not plain.read_text().count("national_id")
    osteo = next(r for r in rows if r.startswith("Patient/sarkom-oppfolging-osteosarkom,"))
    assert osteo.endswith(",Jonas Lie,15819513322")
