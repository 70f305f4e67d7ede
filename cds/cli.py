"""The ``cds`` command: ``cds serve`` runs the service, ``cds evaluate`` checks one record offline,
``cds timeline`` prints one record's pathway clock, and its place in a follow-up programme after
treatment (``criteria/oppfolging/``) when it has one.

``cds db upgrade`` migrates the database of ``DATABASE_URL`` to the newest schema (what the
service does at start-up unless ``CDS_DB_MIGRATE_ON_START=false``); ``cds db prune-audit
--older-than N`` deletes audit rows older than N days (default ``CDS_AUDIT_RETENTION_DAYS``).

``cds evaluate RECORD.json`` takes a patient record Bundle, builds the CDS Hooks request an EHR
with full prefetch would send (:func:`cds.record.bundle.request_from_bundle`), and runs it through
the same gather -> facts -> evaluate -> render pipeline as the HTTP service, without a server
(``--service`` picks another service of the hook, e.g. the registration proposals). Output is
the response JSON, or (``--format text``) the cards as a GP would read them. The record commands
live in ``cds.cli_record``; ``cds audit`` in ``cds.bulk.command``.

Exit codes: 0 done; 1 the service itself failed (bad criteria, internal error); 2 usage or input
error (unreadable file, invalid JSON, not a Bundle), with the reason on stderr.
"""

from __future__ import annotations

import argparse
import os
import sys
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cds.bulk.command import add_audit_parser, run_audit_command
from cds.cli_record import UsageError, evaluate_command, timeline_command
from cds.cli_record import settings_or_usage_error as _settings
from cds.record.bundle import HOOKS

if TYPE_CHECKING:
    from cds.settings import Settings

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2



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
            code = timeline_command(
                args.record, today=args.today, fmt=args.format, pathway=args.pathway
            )
            sys.stdout.flush()
            return code
        code = evaluate_command(
            args.record,
            hook=args.hook,
            today=args.today,
            fmt=args.format,
            explain=args.explain,
            service_id=args.service,
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
        "--service",
        default=None,
        metavar="ID",
        help="the service to call (default: the hook's first; pakkeforlop-registrering for the "
        "hospital's registration proposals)",
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


if __name__ == "__main__":
    raise SystemExit(main())
