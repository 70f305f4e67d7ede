"""``cds evaluate`` and ``cds serve``, run in-process through ``main()``."""

from __future__ import annotations

import argparse
import io
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from cds import cli
from cds.cli_text import render_text

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
BEGRUNNET = EXAMPLES / "myelomatose-begrunnet.json"
FRISK = EXAMPLES / "frisk.json"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


# --- evaluate: the happy path ---------------------------------------------------------------------


def test_evaluate_json_prints_the_response(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "evaluate", str(BEGRUNNET), "--today", "2026-11-20")
    assert code == 0, err
    response = json.loads(out)
    assert [card["indicator"] for card in response["cards"]] == ["warning"]


def test_evaluate_text_shows_card_and_suggestions(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(
        capsys, "evaluate", str(BEGRUNNET), "--hook", "order-select", "--today", "2026-11-20",
        "--format", "text",
    )
    assert code == 0, err
    assert out.startswith("[ADVARSEL] ")
    assert "Forslag (at-most-one):" in out
    assert "update ServiceRequest «" in out  # the draft referral is updated, not duplicated


def test_evaluate_reads_stdin(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(FRISK.read_text(encoding="utf-8")))
    code, out, err = run(capsys, "evaluate", "-", "--today", "2026-11-20", "--format", "text")
    assert code == 0, err
    assert out.startswith("Ingen kort")


def test_evaluate_the_registration_service(capsys: pytest.CaptureFixture[str]) -> None:
    """--service: the hospital's registration proposals, offline (same cards as over HTTP)."""
    record = str(EXAMPLES / "sarkom-sykehus-registrering.json")
    code, out, err = run(
        capsys, "evaluate", record, "--service", "pakkeforlop-registrering", "--today",
        "2026-11-20", "--format", "text",
    )
    assert (code, err) == (0, "")
    assert "Pakkeforløp for sarkom: 2 registreringer mangler" in out
    code, out, _ = run(capsys, "evaluate", record, "--today", "2026-11-20", "--format", "text")
    assert code == 0 and "registreringer mangler" not in out  # the GP's service by default


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--service", "finnes-ikke"], "unknown service 'finnes-ikke'"),
        (
            ["--service", "pakkeforlop-order-sign"],
            "service pakkeforlop-order-sign answers order-sign, not patient-view",
        ),
    ],
)
def test_evaluate_a_service_that_does_not_fit_exits_2(
    capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    code, _, err = run(capsys, "evaluate", str(BEGRUNNET), *argv)
    assert code == 2 and message in err


def test_render_text_of_every_part() -> None:
    text = render_text(
        {
            "cards": [
                {
                    "summary": "Kort",
                    "indicator": "critical",
                    "source": {"label": "Kilde", "url": "https://example.org"},
                    "detail": "Linje\n\n| a | b |\n|---|---|",
                    "selectionBehavior": "any",
                    "suggestions": [
                        {
                            "label": "Slett",
                            "isRecommended": True,
                            "actions": [
                                {"type": "delete", "description": "Slett utkast",
                                 "resourceId": "ServiceRequest/1"}
                            ],
                        }
                    ],
                    "links": [{"label": "Les", "url": "https://example.org/l", "type": "absolute"}],
                }
            ]
        }
    )
    assert text.splitlines()[0] == "[KRITISK] Kort"
    assert "  | a | b |" in text
    assert "-> Slett (anbefalt)" in text
    assert "delete ServiceRequest/1" in text
    assert "Lenke: Les <https://example.org/l>" in text


# --- evaluate: bad input ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "is not valid JSON (line 1"),
        ("[]", "not a FHIR Bundle"),
        ('{"resourceType": "Patient", "id": "p"}', "not a FHIR Bundle"),
        ('{"resourceType": "Bundle", "type": "collection"}', "exactly one Patient (found 0)"),
        ('{"resourceType": "Bundle", "entry": [{"resource": {"id": "x"}}]}', "entry[0]"),
        ('{"resourceType": "Bundle", "entry": [{"resource": {"resourceType": "Patient"}}]}',
         "the Patient has no id"),
        ('{"resourceType": "Bundle", "entry": [{"resource": {"resourceType": "Patient", '
         '"id": "a/b"}}]}', "context.patientId"),
    ],
    ids=["bad-json", "array", "not-bundle", "no-patient", "no-resource-type", "patient-no-id",
         "patient-id-with-slash"],
)
def test_evaluate_bad_input_exits_2(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, content: str, message: str
) -> None:
    path = tmp_path / "record.json"
    path.write_text(content, encoding="utf-8")
    code, out, err = run(capsys, "evaluate", str(path))
    assert code == 2
    assert out == ""
    assert err.startswith("cds evaluate: ")
    assert message in err


def test_evaluate_missing_file_exits_2(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _, err = run(capsys, "evaluate", str(tmp_path / "finnes-ikke.json"))
    assert code == 2
    assert "cannot read" in err and "No such file" in err


def test_evaluate_directory_exits_2(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _, err = run(capsys, "evaluate", str(tmp_path))
    assert code == 2
    assert "cannot read" in err


@pytest.mark.parametrize(
    "argv",
    [
        ["evaluate"],
        ["evaluate", "x.json", "--hook", "encounter-start"],
        ["evaluate", "x.json", "--today", "20.11.2026"],
        ["evaluate", "x.json", "--format", "xml"],
        ["unknown"],
        [],
    ],
    ids=["no-record", "bad-hook", "bad-date", "bad-format", "bad-command", "no-command"],
)
def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str], argv: list[str]) -> None:
    code, _, err = run(capsys, *argv)
    assert code == 2
    assert "usage: cds" in err


def test_help_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--help")
    assert code == 0
    assert "evaluate" in out and "serve" in out


# --- serve ----------------------------------------------------------------------------------------


@pytest.fixture
def uvicorn_calls(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> list[dict[str, Any]]:
    """uvicorn.run recorded, not run: its arguments, the database's revision, the workers' env."""
    from cds.db import Database, current_revision

    calls: list[dict[str, Any]] = []
    database_url = f"sqlite:///{tmp_path / 'serve.sqlite3'}"

    def fake_run(app: str, **kwargs: Any) -> None:
        database = Database.from_url(database_url)
        try:
            revision = current_revision(database.engine)
        finally:
            database.close()
        workers_migrate = os.environ.get("CDS_DB_MIGRATE_ON_START")
        calls.append(
            {"app": app, **kwargs, "_revision": revision, "_workers_migrate": workers_migrate}
        )

    monkeypatch.setattr("uvicorn.run", fake_run)
    monkeypatch.setenv("DATABASE_URL", database_url)
    # set (not deleted), so that the value cds serve leaves for its workers is undone afterwards
    monkeypatch.setenv("CDS_DB_MIGRATE_ON_START", "true")
    monkeypatch.delenv("PORT", raising=False)
    monkeypatch.delenv("CDS_PORT", raising=False)
    monkeypatch.delenv("CDS_HOST", raising=False)
    monkeypatch.delenv("CDS_WORKERS", raising=False)
    return calls


def test_serve_defaults(
    capsys: pytest.CaptureFixture[str], uvicorn_calls: list[dict[str, Any]]
) -> None:
    assert run(capsys, "serve")[0] == 0
    [call] = uvicorn_calls
    assert call["app"] == "cds.app:create_app"
    assert call["factory"] is True
    assert (call["host"], call["port"]) == ("127.0.0.1", 8080)
    assert call["workers"] == 1
    # Ours is the access log (no query strings); no server banner; the limits of README «Settings»
    assert call["access_log"] is False
    assert call["server_header"] is False
    assert call["http"] == "h11"
    assert call["h11_max_incomplete_event_size"] == 32_768
    assert call["timeout_keep_alive"] == 5


def test_serve_migrates_once_before_the_workers_start(
    capsys: pytest.CaptureFixture[str], uvicorn_calls: list[dict[str, Any]]
) -> None:
    """Workers migrating each at start-up raced on a fresh SQLite file (UNIQUE constraint
    failed: alembic_version.version_num): the parent migrates, the workers are told not to."""
    assert run(capsys, "serve", "--workers", "2")[0] == 0
    [call] = uvicorn_calls
    assert call["workers"] == 2
    assert call["_revision"] is not None  # at head before uvicorn started a worker
    assert call["_workers_migrate"] == "false"


def test_serve_leaves_the_database_alone_when_migration_is_off(
    capsys: pytest.CaptureFixture[str],
    uvicorn_calls: list[dict[str, Any]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CDS_DB_MIGRATE_ON_START", "false")  # `cds db upgrade` is run by hand
    assert run(capsys, "serve")[0] == 0
    assert uvicorn_calls[0]["_revision"] is None


def test_serve_limits_from_environment(
    capsys: pytest.CaptureFixture[str],
    uvicorn_calls: list[dict[str, Any]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CDS_MAX_HEADER_BYTES", "8192")
    monkeypatch.setenv("CDS_KEEP_ALIVE_TIMEOUT_S", "2")
    assert run(capsys, "serve")[0] == 0
    assert uvicorn_calls[0]["h11_max_incomplete_event_size"] == 8192
    assert uvicorn_calls[0]["timeout_keep_alive"] == 2


def test_serve_port_from_environment(
    capsys: pytest.CaptureFixture[str],
    uvicorn_calls: list[dict[str, Any]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PORT", "9000")
    assert run(capsys, "serve")[0] == 0
    assert uvicorn_calls[0]["port"] == 9000


def test_serve_arguments_win(
    capsys: pytest.CaptureFixture[str],
    uvicorn_calls: list[dict[str, Any]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PORT", "9000")
    assert run(capsys, "serve", "--host", "0.0.0.0", "--port", "9100")[0] == 0
    assert (uvicorn_calls[0]["host"], uvicorn_calls[0]["port"]) == ("0.0.0.0", 9100)


def test_serve_workers_from_environment_and_argument(
    capsys: pytest.CaptureFixture[str],
    uvicorn_calls: list[dict[str, Any]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CDS_WORKERS", "2")
    assert run(capsys, "serve")[0] == 0
    assert run(capsys, "serve", "--workers", "3")[0] == 0
    assert [call["workers"] for call in uvicorn_calls] == [2, 3]
    code, _, err = run(capsys, "serve", "--workers", "0")
    assert code == 2 and "--workers" in err
    assert len(uvicorn_calls) == 2


def test_serve_invalid_settings_exit_2(
    capsys: pytest.CaptureFixture[str],
    uvicorn_calls: list[dict[str, Any]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CDS_DISABLED_CARDS", "acute,unknown-card")
    code, _, err = run(capsys, "serve")
    assert code == 2
    assert "CDS_DISABLED_CARDS" in err
    assert uvicorn_calls == []


@pytest.mark.parametrize("number", ["1e400", "1" + "0" * 5000, "123456789012345678901234567890"])
def test_evaluate_an_absurd_lab_value_keeps_the_acute_card(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, number: str
) -> None:
    text = (EXAMPLES / "myelomatose-akutt.json").read_text(encoding="utf-8")
    assert '"value": 11.8' in text  # the Hb
    path = tmp_path / "absurd.json"
    path.write_text(text.replace('"value": 11.8', f'"value": {number}', 1), encoding="utf-8")
    code, out, err = run(capsys, "evaluate", str(path), "--today", "2026-11-20", "--format", "text")
    assert code == 0, err
    assert out.startswith("[KRITISK] Akutt: mistanke om myelomatose")


def test_evaluate_a_draft_nested_too_deep_exits_2(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # The depth limit is a HookRequest check, so the CLI refuses what the HTTP route refuses (422)
    # instead of recursing into it; one level under the limit is still answered.
    from cds.cdshooks import CONTEXT_MAX_DEPTH

    def record(levels: int) -> str:
        deep = '[{"url": "u", "extension": ' * levels + "[]" + "}]" * levels
        draft = (
            '{"resourceType": "ServiceRequest", "id": "d", "status": "draft", "intent": "order",'
            ' "subject": {"reference": "Patient/p"}, "extension": ' + deep + "}"
        )
        return (
            '{"resourceType": "Bundle", "type": "collection", "entry": ['
            '{"resource": {"resourceType": "Patient", "id": "p"}}, {"resource": ' + draft + "}]}"
        )

    path = tmp_path / "record.json"
    path.write_text(record(CONTEXT_MAX_DEPTH), encoding="utf-8")
    code, out, err = run(capsys, "evaluate", str(path), "--hook", "order-select")
    assert code == 2
    assert out == ""
    assert f"context nests deeper than {CONTEXT_MAX_DEPTH} levels" in err
    path.write_text(record(CONTEXT_MAX_DEPTH // 2 - 4), encoding="utf-8")
    code, out, err = run(capsys, "evaluate", str(path), "--hook", "order-select")
    assert code == 0, err


def _actions(parser: argparse.ArgumentParser, path: str = "cds") -> list[tuple[str, Any]]:
    found = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                found.extend(_actions(sub, f"{path} {name}"))
        elif not isinstance(action, argparse._HelpAction):
            found.append((path, action))
    return found


def test_every_command_and_option_has_help_text() -> None:
    from cds.cli import _parser

    missing = [f"{path} {a.dest}" for path, a in _actions(_parser()) if not a.help]
    assert missing == []
    subcommands = [
        c for a in _parser()._actions if isinstance(a, argparse._SubParsersAction)
        for c in a._choices_actions
    ]
    assert subcommands and all(c.help for c in subcommands)


def test_empty_input_is_reported_as_empty(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    empty = tmp_path / "tom.json"
    empty.write_text("  \n", encoding="utf-8")
    code, _, err = run(capsys, "evaluate", str(empty))
    assert code == 2 and err.strip() == f"cds evaluate: {empty} is empty"
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    code, _, err = run(capsys, "evaluate", "-")
    assert code == 2 and err.strip() == "cds evaluate: standard input is empty"


def test_a_closed_pipe_ends_quietly() -> None:
    # `cds evaluate ... | head -1`: the reader closes the pipe; no traceback, no error line.
    example = str(Path(__file__).resolve().parents[1] / "examples" / "myelomatose-begrunnet.json")
    command = [sys.executable, "-m", "cds.cli", "evaluate", example, "--today", "2026-11-20"]
    reader = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    assert reader.stdout is not None and reader.stderr is not None
    reader.stdout.close()  # the «head» goes away before the output is written
    with reader.stderr:
        err = reader.stderr.read().decode()
    assert reader.wait(timeout=60) == 0
    assert err.strip() == ""
