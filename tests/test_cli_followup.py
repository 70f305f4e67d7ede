"""``cds timeline``: a patient treated for a sarcoma gets a follow-up block (text) and entry
(JSON) beside the pathway clocks, built by ``cds.evaluate.followup.followup_plan``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from cds import cli

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
PATIENT_SOURCE = EXAMPLES / "sarkom-tidligere-sarkom.json"  # only its Patient and GP are used


def _bundle(tmp_path: Path, *extra: dict[str, Any]) -> Path:
    """A high-grade deep leiomyosarcoma of the thigh (group B), operated on 03.03.2025."""
    source = json.loads(PATIENT_SOURCE.read_text(encoding="utf-8"))
    keep = [
        e
        for e in source["entry"]
        if e["resource"]["resourceType"] in ("Patient", "Practitioner", "Organization")
    ]
    subject = {"reference": f"Patient/{keep[0]['resource']['id']}"}
    condition = {
        "resourceType": "Condition",
        "id": "sarkom",
        "clinicalStatus": {
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/condition-clinical",
                    "code": "resolved",
                }
            ]
        },
        "code": {
            "coding": [{"system": "http://hl7.org/fhir/sid/icd-10-no", "code": "C49.2"}],
            "text": "Høygradig leiomyosarkom høyre lår, dyptliggende",
        },
        "subject": subject,
        "recordedDate": "2025-02-10",
    }
    operation = {
        "resourceType": "Procedure",
        "id": "op",
        "status": "completed",
        "code": {
            "coding": [{"system": "http://snomed.info/sct", "code": "65801008"}],
            "text": "Vid reseksjon av sarkom høyre lår",
        },
        "subject": subject,
        "performedDateTime": "2025-03-03T10:00:00+01:00",
    }
    resources = [condition, operation, *({**r, "subject": subject} for r in extra)]
    entries = keep + [{"fullUrl": f"urn:uuid:x{n}", "resource": r} for n, r in enumerate(resources)]
    path = tmp_path / "record.json"
    path.write_text(json.dumps({**source, "entry": entries}), encoding="utf-8")
    return path


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _control(when: str) -> dict[str, Any]:
    return {
        "resourceType": "Encounter",
        "id": "kontroll-21",
        "status": "finished",
        "class": {"code": "AMB"},
        "serviceProvider": {"display": "Sarkomsenteret, ortopedisk avdeling"},
        "period": {"start": f"{when}T09:00:00+01:00"},
    }


def test_text_shows_the_group_the_start_and_the_due_control(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, out, err = run(capsys, "timeline", str(_bundle(tmp_path)), "--today", "2026-11-20")
    assert code == 0 and err == ""
    assert "Pakkeforløp for sarkom: ikke startet." in out  # the pathway clocks come first
    block = out[out.index("Oppfølgingsprogram for sarkom (per 20.11.2026): pågår") :]
    assert "  Gruppe B: høymaligne sarkomer" in block
    # One line per piece of evidence: the diagnosis shows grade, site, tissue and depth at once.
    assert (
        "  malignitetsgrad: høymalign (høygradig); lokalisasjon: ekstremitet, truncus eller "
        "hode/hals; knokkel eller bløtvev: bløtvevssarkom; dybde: dyptliggende — 10.02.2025 "
        "(Condition/sarkom: «Høygradig leiomyosarkom høyre lår, dyptliggende»)" in block
    )
    assert "  histologi: annen histologi (journalen nevner ingen av verdiene)" in block
    assert "  Start 03.03.2025 (slutt på initial behandling); siste planlagte 03.03.2030" in block
    # Month 21 is 03.12.2026: its window opened 03.11.2026, so on 20.11.2026 it is due.
    assert "     21 mnd  03.12.2026  (vindu 03.11.2026–02.01.2027): forfaller" in block


@pytest.mark.parametrize(
    ("today", "status"),
    [
        ("2026-11-02", "planned"),
        ("2026-11-03", "due"),
        ("2027-01-02", "due"),
        ("2027-01-03", "overdue"),
        ("2027-01-31", "overdue"),
        ("2027-02-01", "missed"),  # month 24's window opened
    ],
)
def test_json_both_sides_of_the_window(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, today: str, status: str
) -> None:
    path = _bundle(tmp_path)
    code, out, _ = run(
        capsys, "timeline", str(path), "--today", today, "--format", "json", "--pathway", "sarkom"
    )
    assert code == 0
    clock, plan = json.loads(out)
    assert clock["pathway"] == "sarkom" and "programme" not in clock
    assert plan["programme"] == "sarkom-oppfolging" and plan["group"] == "B"
    control = next(a for a in plan["activities"] if a["investigation"] == "kontroll")
    month_21 = next(i for i in control["instances"] if i["month"] == 21)
    assert (month_21["window_start"], month_21["window_end"]) == ("2026-11-03", "2027-01-02")
    assert month_21["status"] == status


def test_a_control_at_the_sarcoma_centre_counts_as_done(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = _bundle(tmp_path, _control("2026-11-10"))
    code, out, _ = run(
        capsys, "timeline", str(path), "--today", "2026-11-20", "--format", "json"
    )
    plan = json.loads(out)[-1]
    control = next(a for a in plan["activities"] if a["investigation"] == "kontroll")
    month_21 = next(i for i in control["instances"] if i["month"] == 21)
    assert code == 0 and month_21["status"] == "done"
    assert month_21["done_by"]["reference"] == "Encounter/kontroll-21"


def test_no_block_without_a_sarcoma_and_none_under_another_pathway(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, out, _ = run(capsys, "timeline", str(EXAMPLES / "frisk.json"), "--today", "2026-11-20")
    assert code == 0 and "Oppfølgingsprogram" not in out
    path = _bundle(tmp_path)
    code, out, _ = run(
        capsys, "timeline", str(path), "--format", "json", "--pathway", "myelomatose"
    )
    assert code == 0 and [e.get("programme") for e in json.loads(out)] == [None]


def test_explain_carries_the_plan_and_the_cards_do_not_change(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = str(_bundle(tmp_path))
    code, out, _ = run(capsys, "evaluate", path, "--today", "2026-11-20", "--explain")
    explained = json.loads(out)
    (part,) = explained["extension"]["no.pakkeforlop-cds.explain"]["followup"]
    assert code == 0 and part["programme"] == "sarkom-oppfolging"
    assert part["group"]["id"] == "B" and part["start"]["date"] == "2025-03-03"
    mr = next(a for a in part["activities"] if a["investigation"] == "mr_lokal")
    assert mr["sources"][0]["section"] == "4.6 Tidsforløb"
    _, plain, _ = run(capsys, "evaluate", path, "--today", "2026-11-20")
    assert json.loads(plain)["cards"] == explained["cards"]
    _, text, _ = run(
        capsys, "evaluate", path, "--today", "2026-11-20", "--explain", "--format", "text"
    )
    assert "== Oppfølgingsprogram for sarkom (sarkom-oppfolging 2026.12-1): pågår" in text
    assert "· Klinisk kontroll med palpasjon av tumorområdet: 03.12.2026 forfaller" in text


def test_a_failing_plan_leaves_the_explanation_without_it(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cds import followups

    def broken(*_: object) -> None:
        raise ValueError("patient text must not reach the log")

    monkeypatch.setattr(followups, "followup_plan", broken)
    path = str(_bundle(tmp_path))
    code, out, err = run(capsys, "evaluate", path, "--today", "2026-11-20", "--explain")
    explanation = json.loads(out)["extension"]["no.pakkeforlop-cds.explain"]
    assert code == 0 and "followup" not in explanation and explanation["pathways"]
    assert "patient text" not in err


@pytest.mark.parametrize(
    ("control", "today", "done_month", "month_21"),
    [
        ("2026-11-02", "2026-11-20", 18, "due"),  # before month 21's window: month 18, late
        ("2026-11-03", "2026-11-20", 21, "done"),  # the window's first day
        ("2027-01-31", "2027-02-10", 21, "done"),  # late, before month 24's window opens
        ("2027-02-01", "2027-02-10", 24, "missed"),  # month 24's window is open
    ],
)
def test_which_planned_date_a_control_counts_for(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    control: str,
    today: str,
    done_month: int,
    month_21: str,
) -> None:
    """docs/followup.md «Worked example around each boundary», second table."""
    path = _bundle(tmp_path, _control(control))
    _, out, _ = run(capsys, "timeline", str(path), "--today", today, "--format", "json")
    plan = json.loads(out)[-1]
    control_rows = next(a for a in plan["activities"] if a["investigation"] == "kontroll")
    by_month = {i["month"]: i for i in control_rows["instances"]}
    done = [m for m, i in by_month.items() if i["status"] == "done"]
    assert done == [done_month]
    assert by_month[21]["status"] == month_21
