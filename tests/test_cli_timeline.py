"""``cds timeline RECORD.json``: one patient's pathway clock, as text and as JSON."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from cds import cli

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
REFERRED = EXAMPLES / "myelomatose-allerede-henvist.json"  # marked referral sent 2026-10-31


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_text_shows_the_start_the_deadline_and_how_late(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, err = run(capsys, "timeline", str(REFERRED), "--today", "2026-11-20")
    assert code == 0 and err == ""
    assert "Pakkeforløp for myelomatose (per 20.11.2026)" in out
    assert "31.10.2026  henvisning mottatt" in out and "ikke registrert (A04A)" in out
    # 7 kalenderdager from 31.10: due 07.11; on 20.11 that is 13 days ago.
    assert "Neste: første fremmøte innen 07.11.2026" in out
    assert "fristen gikk ut for 13 dager siden" in out
    assert "Pakkeforløp for sarkom: ikke startet." in out


@pytest.mark.parametrize(
    ("today", "status", "overdue"),
    [("2026-11-06", "on_time", 0), ("2026-11-07", "due_today", 0), ("2026-11-08", "overdue", 1)],
)
def test_json_both_sides_of_the_deadline(
    capsys: pytest.CaptureFixture[str], today: str, status: str, overdue: int
) -> None:
    code, out, _ = run(
        capsys,
        "timeline",
        str(REFERRED),
        "--today",
        today,
        "--format",
        "json",
        "--pathway",
        "myelomatose",
    )
    assert code == 0
    (entry,) = json.loads(out)
    assert entry["pathway"] == "myelomatose" and entry["next"] == "first_attendance"
    assert entry["deadline"]["due"] == "2026-11-07" and entry["deadline"]["days"] == 7
    assert (entry["status"], entry["days_overdue"]) == (status, overdue)
    assert entry["unregistered"] == ["A04A"]


def test_an_attended_encounter_moves_the_clock_on(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bundle: dict[str, Any] = json.loads(REFERRED.read_text(encoding="utf-8"))
    referral = next(
        e["resource"]
        for e in bundle["entry"]
        if e["resource"]["resourceType"] == "ServiceRequest"
        and e["resource"].get("status") == "active"
    )
    encounter = {
        "resourceType": "Encounter",
        "id": "hematologi-1",
        "status": "finished",
        "class": {"code": "AMB"},
        "subject": copy.deepcopy(referral["subject"]),
        "basedOn": [{"reference": f"ServiceRequest/{referral['id']}"}],
        "period": {"start": "2026-11-05T09:00:00+01:00"},
    }
    bundle["entry"].append({"fullUrl": "urn:uuid:enc-1", "resource": encounter})
    path = tmp_path / "record.json"
    path.write_text(json.dumps(bundle), encoding="utf-8")
    code, out, _ = run(
        capsys,
        "timeline",
        str(path),
        "--today",
        "2026-11-20",
        "--format",
        "json",
        "--pathway",
        "myelomatose",
    )
    (entry,) = json.loads(out)
    assert code == 0 and entry["next"] == "decision"
    # 20 kalenderdager from first attendance 05.11 (the 7-day time is met).
    assert entry["deadline"]["due"] == "2026-11-25" and entry["status"] == "on_time"
    assert entry["unregistered"] == ["A04A", "A04S"]


def test_unknown_pathway_and_unreadable_file_are_usage_errors(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, _, err = run(capsys, "timeline", str(REFERRED), "--pathway", "lunge")
    assert code == 2 and "unknown pathway 'lunge'" in err
    code, _, err = run(capsys, "timeline", str(tmp_path / "none.json"))
    assert code == 2 and "cannot read" in err
