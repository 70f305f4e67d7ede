"""``cds synth-export`` (cds.bulk.synth): a reproducible Bulk Data export whose patients give the
outcomes expected.json announces, checked against the engine itself."""

from __future__ import annotations

import csv
import gzip
import io
import json
from collections import defaultdict
from collections.abc import Callable
from contextlib import redirect_stdout
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from httpx import Response

from cds import cli
from cds.bulk.synth import MIX, PATIENT_VIEW_CARDS, patient_id, plan, write_export
from cds.bulk.templates import EXPORT_TYPES
from cds.record.bundle import request_from_bundle

PATIENTS = 300
CARD_TYPE = "no.pakkeforlop-cds.card-type"


@pytest.fixture(scope="module")
def export(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("synth")
    write_export(out, patients=PATIENTS, seed=7)
    return out


def _lines(path: Path) -> list[str]:
    if path.suffix == ".gz":
        with gzip.open(path, "rt", encoding="utf-8") as handle:
            return handle.read().splitlines()
    return path.read_text(encoding="utf-8").splitlines()


def _resources(out: Path) -> dict[str, list[dict[str, Any]]]:
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    return {
        entry["type"]: [json.loads(line) for line in _lines(out / entry["url"])]
        for entry in manifest["output"]
    }


def _patient_ref(resource: dict[str, Any]) -> str:
    if resource["resourceType"] == "Appointment":
        actors = [p["actor"]["reference"] for p in resource["participant"]]
        return next(a for a in actors if a.startswith("Patient/"))
    holder = resource.get("subject") or resource["patient"]
    reference: str = holder["reference"]
    return reference


def _by_patient(out: Path) -> dict[str, list[dict[str, Any]]]:
    records: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for resources in _resources(out).values():
        for resource in resources:
            key = resource["id"] if resource["resourceType"] == "Patient" else None
            records[key or _patient_ref(resource).split("/", 1)[1]].append(resource)
    return records


def _files(out: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(out.iterdir()) if path.is_file()}


def test_same_seed_gives_byte_identical_files(export: Path, tmp_path: Path) -> None:
    write_export(tmp_path / "again", patients=PATIENTS, seed=7)
    write_export(tmp_path / "other", patients=PATIENTS, seed=8)
    assert _files(tmp_path / "again") == _files(export)
    assert _files(tmp_path / "other")["Patient.ndjson"] != _files(export)["Patient.ndjson"]


def test_manifest_follows_the_bulk_data_ig(export: Path) -> None:
    manifest = json.loads((export / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["transactionTime"] == "2026-11-20T00:00:00Z"
    assert manifest["request"].endswith("/Patient/$export?_type=" + ",".join(EXPORT_TYPES))
    assert manifest["requiresAccessToken"] is False
    assert manifest["error"] == []
    assert [o["type"] for o in manifest["output"]] == list(EXPORT_TYPES)  # every type present
    for entry in manifest["output"]:
        assert entry["url"] == f"{entry['type']}.ndjson"
        assert entry["count"] == len(_lines(export / entry["url"]))


def test_every_line_is_a_resource_of_its_file(export: Path) -> None:
    ids: set[tuple[str, str]] = set()
    for kind, resources in _resources(export).items():
        for resource in resources:
            assert resource["resourceType"] == kind
            assert (kind, resource["id"]) not in ids
            ids.add((kind, resource["id"]))
            assert resource.get("status") != "draft"  # drafts are not on the FHIR server


def test_every_resource_references_an_existing_patient(export: Path) -> None:
    resources = _resources(export)
    patients = {f"Patient/{p['id']}" for p in resources["Patient"]}
    assert len(patients) == PATIENTS
    assert all(p.startswith("Patient/p") and len(p) == len("Patient/p000001") for p in patients)
    for kind, items in resources.items():
        if kind != "Patient":
            assert {_patient_ref(r) for r in items} <= patients, kind


def test_fodselsnummer_are_synthetic_and_match_the_birth_date(export: Path) -> None:
    for patient in _resources(export)["Patient"]:
        fnr = patient["identifier"][0]["value"]
        born = date.fromisoformat(patient["birthDate"])
        assert fnr[:6] == f"{born.day:02d}{born.month + 80:02d}{born.year % 100:02d}"
        assert (int(fnr[8]) % 2 == 1) == (patient["gender"] == "male")


def test_outcome_counts_are_the_mix_and_expected_json_says_them(export: Path) -> None:
    expected = json.loads((export / "expected.json").read_text(encoding="utf-8"))
    wanted = {k: int(PATIENTS * fraction + 0.5) for k, (fraction, _) in MIX.items()}
    assert expected["outcomes"] == {"none": PATIENTS - sum(wanted.values()), **wanted}
    for outcome, ids in expected["patients_by_outcome"].items():
        assert len(ids) == expected["outcomes"][outcome] == sum(
            expected["templates"][outcome].values()
        )
    records = _by_patient(export)
    for ids in expected["patients_by_outcome"].values():
        assert all(pid in records for pid in ids)


def test_gzip_variant_holds_the_same_lines(export: Path, tmp_path: Path) -> None:
    write_export(tmp_path, patients=PATIENTS, seed=7, compress=True)
    manifest = json.loads((tmp_path / "manifest.json").read_text(encoding="utf-8"))
    assert all(o["url"].endswith(".ndjson.gz") for o in manifest["output"])
    for entry in manifest["output"]:
        plain = export / f"{entry['type']}.ndjson"
        assert _lines(tmp_path / entry["url"]) == _lines(plain)
    again = tmp_path / "again"
    write_export(again, patients=PATIENTS, seed=7, compress=True)
    assert _files(again) == _files(tmp_path)


def _card_types(response: Response) -> list[str]:
    assert response.status_code == 200, response.text
    return [card["extension"][CARD_TYPE] for card in response.json()["cards"]]


def _bundle(resources: list[dict[str, Any]]) -> dict[str, Any]:
    return {"resourceType": "Bundle", "type": "collection",
            "entry": [{"resource": r} for r in resources]}


def test_one_patient_of_each_template_gives_its_outcome(
    export: Path, hook: Callable[..., Response]
) -> None:
    """The app's clock is 2026-11-20, the export's today: what a batch audit would see."""
    records = _by_patient(export)
    first: dict[tuple[str, str], str] = {}
    for index, chosen in sorted(plan(PATIENTS, seed=7).assigned.items()):
        first.setdefault(chosen, patient_id(index))
    assert {outcome for outcome, _ in first} == set(MIX)
    assert len(first) == sum(max(1, len(templates)) for _, templates in MIX.values())
    healthy = [(("none", ""), pid) for pid in records if pid not in set(first.values())][:6]
    for (outcome, template), pid in [*first.items(), *healthy]:
        body = request_from_bundle(_bundle(records[pid]), hook="patient-view")
        types = _card_types(hook(body))
        want = PATIENT_VIEW_CARDS[outcome]
        assert (types == []) if not want else (types and set(types) <= set(want)), (
            pid, template, types,
        )


def test_marked_referral_is_unsupported_when_signed_on_its_own_date(export: Path) -> None:
    expected = json.loads((export / "expected.json").read_text(encoding="utf-8"))
    pid = expected["patients_by_outcome"]["referred_without_criteria"][0]
    record = _by_patient(export)[pid]
    referral = next(r for r in record if r["resourceType"] == "ServiceRequest")
    assert referral["orderDetail"] == [{"text": "Pakkeforløp for myelomatose"}]
    referral["status"] = "draft"
    source = export.parent / f"{pid}.json"
    source.write_text(json.dumps(_bundle(record)), encoding="utf-8")
    stdout = io.StringIO()
    with redirect_stdout(stdout):
        code = cli.main(
            ["evaluate", str(source), "--hook", "order-sign", "--today", referral["authoredOn"]]
        )
    assert code == 0
    cards = json.loads(stdout.getvalue())["cards"]
    assert [card["extension"][CARD_TYPE] for card in cards] == ["unsupported_referral"]


def test_cli_writes_the_export(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = cli.main(["synth-export", "--patients", "20", "--out", str(tmp_path), "--gzip"])
    assert code == 0
    assert "Patient.ndjson.gz (20)" in capsys.readouterr().out
    assert json.loads((tmp_path / "expected.json").read_text(encoding="utf-8"))["patients"] == 20
    assert cli.main(["synth-export", "--patients", "0", "--out", str(tmp_path)]) == 2


def test_cds_audit_finds_exactly_the_expected_patients(export: Path, tmp_path: Path) -> None:
    """The lead's audit over the export (cds/bulk/audit.py) agrees patient by patient."""
    report = tmp_path / "audit.csv"
    argv = ["audit", str(export), "--today", "2026-11-20", "--out", str(report)]
    assert cli.main([*argv, "--workers", "1", "--no-progress"]) == 0
    found: dict[str, set[str]] = defaultdict(set)
    with report.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            found[row["outcome"]].add(row["patient"].removeprefix("Patient/"))
    expected = json.loads((export / "expected.json").read_text(encoding="utf-8"))
    assert dict(found) == {k: set(v) for k, v in expected["patients_by_outcome"].items() if v}
