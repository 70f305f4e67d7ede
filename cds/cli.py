"""The ``cds`` command: ``cds serve`` runs the service, ``cds evaluate`` checks one record offline,
``cds timeline`` prints one record's pathway clock, and its place in a follow-up programme after
treatment (``criteria/oppfolging/``) when it has one.

``cds db upgrade`` migrates the database of ``DATABASE_URL`` to the newest schema (what the
service does at start-up unless ``CDS_DB_MIGRATE_ON_START=false``); ``cds db prune-audit
--older-than N`` deletes audit rows older than N days (default ``CDS_AUDIT_RETENTION_DAYS``).

``cds evaluate RECORD.json`` takes a patient record Bundle, builds the CDS Hooks request an EHR
with full prefetch would send (:func:`cds.record.bundle.request_from_bundle`), and runs it through
the same gather -> facts -> evaluate -> render pipeline as the HTTP service, without a server.
Output is the response JSON, or (``--format text``) the cards as a GP would read them.

Exit codes: 0 done; 1 the service itself failed (bad criteria, internal error); 2 usage or input
error (unreadable file, invalid JSON, not a Bundle), with the reason on stderr.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from cds.bulk.command import add_audit_parser, run_audit_command
from cds.cli_text import render_text
from cds.record.bundle import HOOKS, BundleError, request_from_bundle

if TYPE_CHECKING:
    from cds.settings import Settings

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2



class UsageError(Exception):
    """Bad input from the user: reported on stderr with exit code 2."""


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit code (the console script exits with it)."""
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits on --help (0) and on usage errors (2)
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    try:
        if args.command == "serve":
            return _serve(args.host, args.port, args.workers)
        if args.command == "db":
            return _db(args.db_command, older_than=args.older_than)
        if args.command == "docs":
            return _docs(args.out, check=args.check)
        if args.command == "audit":
            text = run_audit_command(args, _settings().criteria_dir)
            if text:
                print(text)
            return EXIT_OK
        if args.command == "synth-export":
            return _synth_export(args)
        if args.command == "timeline":
            code = _timeline(args.record, today=args.today, fmt=args.format, pathway=args.pathway)
            sys.stdout.flush()
            return code
        code = _evaluate(
            args.record, hook=args.hook, today=args.today, fmt=args.format, explain=args.explain
        )
        sys.stdout.flush()  # here, not at exit: a closed pipe must reach the handler below
        return code
    except UsageError as exc:
        print(f"cds {args.command}: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:
        # The reader went away (`cds evaluate ... | head`): stop quietly, as `cat` does. Python
        # would report the failed flush at exit, so stdout goes to /dev/null first.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_OK
    except Exception as exc:  # a terminal tool: one clear line instead of a traceback
        print(f"cds {args.command}: failed: {type(exc).__name__}: {exc}", file=sys.stderr)
        return EXIT_FAILURE


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cds", description="Pakkeforløp CDS: CDS Hooks service for Norwegian GPs."
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = commands.add_parser("serve", help="run the CDS Hooks service (uvicorn)")
    serve.add_argument("--host", help="interface to bind (default: settings, 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (default: $PORT or 8080)")
    serve.add_argument(
        "--workers", type=int, help="worker processes (default: $CDS_WORKERS or 1)"
    )

    db = commands.add_parser("db", help="the database: migrate it, prune the audit log")
    db_commands = db.add_subparsers(dest="db_command", required=True, metavar="DB_COMMAND")
    db_commands.add_parser("upgrade", help="run the migrations up to the newest schema")
    prune = db_commands.add_parser("prune-audit", help="delete audit rows older than N days")
    prune.add_argument(
        "--older-than",
        type=_days,
        default=None,
        metavar="N",
        help="days to keep (default: CDS_AUDIT_RETENTION_DAYS)",
    )
    db.set_defaults(older_than=None)

    evaluate = commands.add_parser(
        "evaluate", help="evaluate one patient record Bundle and print the cards"
    )
    evaluate.add_argument("record", help="FHIR Bundle JSON file with the patient record, or -")
    evaluate.add_argument(
        "--hook", choices=HOOKS, default="patient-view", help="the hook to call (%(default)s)"
    )
    evaluate.add_argument(
        "--today", type=_iso_date, default=None, help="the date to evaluate at (YYYY-MM-DD)"
    )
    evaluate.add_argument(
        "--format",
        choices=("json", "text"),
        default="json",
        help="json: the CDS Hooks response; text: the cards as a GP reads them (default: json)",
    )
    evaluate.add_argument(
        "--explain",
        action="store_true",
        help="also explain every pathway: rules in order, features with their evidence or why "
        "they did not count (json: the response's extension; text: after the cards)",
    )

    timeline = commands.add_parser(
        "timeline",
        help="print one patient's pathway timeline (events, next event, deadline, overdue) "
        "and follow-up plan after treatment",
    )
    timeline.add_argument("record", help="FHIR Bundle JSON file with the patient record, or -")
    timeline.add_argument(
        "--today", type=_iso_date, default=None, help="the date to count at (YYYY-MM-DD)"
    )
    timeline.add_argument(
        "--format",
        choices=("json", "text"),
        default="text",
        help="text: as practice staff read it; json: for programs (default: text)",
    )
    timeline.add_argument("--pathway", default=None, help="only this pathway id (e.g. sarkom)")

    docs = commands.add_parser("docs", help="generate the pathway pages (docs/pathways/)")
    docs.add_argument("--out", type=Path, default=None, help="directory (default: docs/pathways)")
    docs.add_argument(
        "--check", action="store_true", help="write nothing; exit 1 if a committed page is stale"
    )
    add_audit_parser(commands, _iso_date)
    synth = commands.add_parser(
        "synth-export", help="write a synthetic practice as a FHIR Bulk Data $export (NDJSON)"
    )
    synth.add_argument("--patients", type=int, required=True, help="number of patients")
    synth.add_argument("--out", type=Path, required=True, help="directory to write into")
    synth.add_argument("--seed", type=int, default=0, help="random seed (default: %(default)s)")
    synth.add_argument(
        "--today", type=_iso_date, default=date(2026, 11, 20), help="the export's date"
    )
    synth.add_argument("--gzip", action="store_true", help="write .ndjson.gz files")
    return parser


def _synth_export(args: argparse.Namespace) -> int:
    """``cds synth-export``: the synthetic export of :mod:`cds.bulk.synth`."""
    from cds.bulk.synth import write_export

    if args.patients < 1:
        raise UsageError("--patients must be 1 or more")
    manifest = write_export(
        args.out, patients=args.patients, seed=args.seed, today=args.today, compress=args.gzip
    )
    files = ", ".join(f"{o['url']} ({o['count']})" for o in manifest["output"])
    print(f"wrote {args.out}: {files}, manifest.json, expected.json")
    return EXIT_OK


def _days(value: str) -> int:
    try:
        days = int(value)
    except ValueError:
        days = -1
    if days < 0:
        raise argparse.ArgumentTypeError(f"not a number of days (0 or more): {value!r}")
    return days


def _iso_date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {value!r}") from None


# --- serve ------------------------------------------------------------------------------------


def _serve(host: str | None, port: int | None, workers: int | None) -> int:
    import uvicorn

    settings = _settings()
    if workers is not None and workers < 1:
        raise UsageError("--workers must be 1 or more")
    if settings.db_migrate_on_start:
        _migrate_before_workers(settings.database_url)
    # The factory builds the app (and loads the criteria) in each worker process, once.
    uvicorn.run(
        "cds.app:create_app",
        factory=True,
        host=host or settings.host,
        port=port or settings.port,
        workers=workers or settings.workers,
        **uvicorn_options(settings),
    )
    return EXIT_OK


def _migrate_before_workers(database_url: str) -> None:
    """Migrate once here, before uvicorn starts its workers, and tell them not to.

    Workers that each migrate at start-up would race on a fresh database (cds/db.py serialises
    them too; this makes the race not happen). The workers read their settings from the
    environment, so ``CDS_DB_MIGRATE_ON_START=false`` reaches every one of them.
    """
    from cds.db import Database

    database = Database.from_url(database_url)
    try:
        database.upgrade()
    finally:
        database.close()
    os.environ["CDS_DB_MIGRATE_ON_START"] = "false"


# --- db -------------------------------------------------------------------------------------


def _db(command: str, *, older_than: int | None) -> int:
    """``cds db upgrade`` / ``cds db prune-audit``, on the database of ``DATABASE_URL``."""
    from cds.audit import prune
    from cds.db import Database, current_revision

    settings = _settings()
    database = Database.from_url(settings.database_url)
    try:
        if command == "upgrade":
            database.upgrade()
            print(f"database at revision {current_revision(database.engine)}")
            return EXIT_OK
        days = older_than if older_than is not None else settings.audit_retention_days
        if days == 0 and older_than is None:
            raise UsageError("CDS_AUDIT_RETENTION_DAYS is 0 (keep for ever): give --older-than N")
        deleted = prune(database, days)
        print(f"deleted {deleted} audit rows older than {days} days")
        return EXIT_OK
    finally:
        database.close()


def uvicorn_options(settings: Settings) -> dict[str, Any]:
    """How uvicorn serves us, besides host and port (``cds serve``; tests run a real server).

    No access log (ours is ``cds.access``: no query string, ids redacted), no ``server`` banner,
    the h11 parser (the one whose header-size limit is ``CDS_MAX_HEADER_BYTES``), and idle
    keep-alive connections closed after ``CDS_KEEP_ALIVE_TIMEOUT_S``.
    """
    return {
        "log_level": settings.log_level.lower(),
        "access_log": False,
        "server_header": False,
        "http": "h11",
        "h11_max_incomplete_event_size": settings.max_header_bytes,
        "timeout_keep_alive": settings.keep_alive_timeout_s,
    }


def _docs(out: Path | None, *, check: bool) -> int:
    """``cds docs``: write the generated pages, or (``--check``) name the stale ones."""
    from cds import docsgen

    criteria_dir = _settings().criteria_dir
    target = out or criteria_dir.parent / "docs" / "pathways"
    pages = docsgen.generate(criteria_dir)
    if not check:
        for path in docsgen.write(pages, target):
            print(f"wrote {path}")
        return EXIT_OK
    outdated = docsgen.stale(pages, target)
    for page in outdated:
        print(f"stale: {page} (run `cds docs`)", file=sys.stderr)
    return EXIT_FAILURE if outdated else EXIT_OK


# --- evaluate ---------------------------------------------------------------------------------


def _evaluate(source: str, *, hook: str, today: date | None, fmt: str, explain: bool) -> int:
    bundle = _read_json(source)
    try:
        body = request_from_bundle(bundle, hook=hook)
    except BundleError as exc:
        raise UsageError(f"{source}: {exc}") from None
    # The CLI is an edge: it may read the clock.
    response = _respond(body, today or date.today(), explain=explain)
    if fmt == "json":
        print(json.dumps(response, ensure_ascii=False, indent=2))
    else:
        print(render_text(response))
        if explain:
            from cds.render.explanation import explanation_text

            print()
            print(explanation_text(response.get("extension", {})))
    return EXIT_OK


def _read_json(source: str) -> Any:
    try:
        text = sys.stdin.read() if source == "-" else Path(source).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise UsageError(f"cannot read {source}: {reason}") from None
    from cds.wirejson import json_integer  # over-long integers: see cds.wirejson.parse_json

    if not text.strip():
        raise UsageError(f"{'standard input' if source == '-' else source} is empty")
    try:
        return json.loads(text, parse_int=json_integer)
    except json.JSONDecodeError as exc:
        raise UsageError(
            f"{source} is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
        ) from None


def _settings() -> Any:
    from cds.settings import Settings

    try:
        return Settings()
    except ValidationError as exc:
        problems = "; ".join(str(e["msg"]) for e in exc.errors())
        raise UsageError(f"invalid settings: {problems}") from None


def _gathered(body: dict[str, Any]) -> tuple[Any, Any, Any, Any]:
    """(request, record, registry, settings) for one request body, gathered as the service
    does (full prefetch: no FHIR server is called)."""
    from cds.cdshooks import HookRequest

    try:
        request = HookRequest.model_validate(body)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise UsageError(f"the record gives no valid hook request: {problems}") from None
    settings = _settings()

    # Imported only now: the pipeline pulls in fhir.resources, which is slow to import.
    from cds.criteria.loader import load_registry
    from cds.record.fhirpool import make_fhir_client
    from cds.record.prefetch import gather_record
    from cds.services import SERVICES

    service = next(s for s in SERVICES if s.hook == request.hook)
    registry = load_registry(settings.criteria_dir)

    async def gather() -> Any:
        # Gather still decodes the prefetch like the service (and with the service's client, so
        # the outbound policy would hold if a server were called).
        async with make_fhir_client(settings) as client:
            return await gather_record(request, service, settings, client)

    return request, asyncio.run(gather()), registry, settings


def _respond(body: dict[str, Any], today: date, *, explain: bool = False) -> dict[str, Any]:
    """The response JSON for one request body, through the same stages as the HTTP service."""
    from cds.cdshooks import dump
    from cds.pipeline import respond

    request, record, registry, settings = _gathered(body)
    return dump(respond(request, record, registry, settings, today=today, explain=explain))


def _timeline(source: str, *, today: date | None, fmt: str, pathway: str | None) -> int:
    """``cds timeline``: the pathway clock of one patient record."""
    bundle = _read_json(source)
    try:
        body = request_from_bundle(bundle, hook="patient-view")
    except BundleError as exc:
        raise UsageError(f"{source}: {exc}") from None
    request, record, registry, _ = _gathered(body)
    if pathway is not None and pathway not in {p.id for p in registry.pathways}:
        known = ", ".join(p.id for p in registry.pathways)
        raise UsageError(f"unknown pathway {pathway!r} (one of {known})")
    from cds.evaluate.clock import timeline
    from cds.facts.extract import extract_facts
    from cds.render.timeline import timeline_json, timeline_text

    day = today or date.today()  # the CLI is an edge: it may read the clock
    facts = extract_facts(record, registry.codebook, today=day, context=request.context)
    pairs = [
        (p, timeline(p, registry.codebook, facts, day))
        for p in registry.pathways
        if pathway is None or p.id == pathway
    ]
    from cds.followups import plans as followup_plans
    from cds.render.followup_timeline import followup_json, followup_text

    # Follow-up programmes after treatment, under the pathway that takes over at a recurrence
    # (``--pathway sarkom`` shows the sarcoma programme too); no diagnosis of one: no block.
    plans = [
        (f, plan)
        for f, plan in followup_plans(registry, facts, day)
        if pathway is None or f.pathway == pathway
    ]
    if fmt == "json":
        entries = timeline_json(pairs) + followup_json(plans, facts.patient_ref)
        print(json.dumps(entries, ensure_ascii=False, indent=2))
    else:
        print("\n\n".join(filter(None, (timeline_text(pairs), followup_text(plans)))))
    return EXIT_OK


if __name__ == "__main__":
    raise SystemExit(main())
