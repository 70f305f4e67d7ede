"""The ``cds audit`` command line: its arguments (built without importing DuckDB or the
engine, so ``cds --help`` stays fast) and the run that prints a summary.

``cds audit EXPORT --today D [--out report.parquet|.csv|.json] [--workers N]
[--batch-size N] [--memory-limit 1GB] [--restart] [--summary] [--html report.html]
[--engine embedded|spark]``
"""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path
from typing import Any

ENGINES = ("embedded", "spark")


def add_audit_parser(commands: Any, iso_date: Any) -> None:
    """The ``audit`` sub-command on the CLI's sub-parsers."""
    audit = commands.add_parser(
        "audit",
        help="run the criteria over a FHIR Bulk export (a practice, a region): who meets "
        "begrunnet mistanke but was not referred, and more (docs/audit.md)",
    )
    audit.add_argument(
        "export",
        type=Path,
        nargs="+",
        help="the export folder (NDJSON per resource type), or files",
    )
    audit.add_argument("--today", type=iso_date, required=True, help="the audit date (YYYY-MM-DD)")
    audit.add_argument(
        "--out",
        type=Path,
        default=Path("audit.parquet"),
        help="the report: .parquet, .csv or .json (default: %(default)s)",
    )
    audit.add_argument(
        "--workers", type=int, default=None, help="processes (default: one per core)"
    )
    audit.add_argument(
        "--batch-size",
        type=int,
        default=None,
        help="patients per batch (default: about 64 batches of 50-500, by the export's size)",
    )
    audit.add_argument(
        "--memory-limit",
        default="1GB",
        help="DuckDB's memory limit, at least about 128MB (default: %(default)s)",
    )
    audit.add_argument(
        "--restart", action="store_true", help="start over instead of continuing a stopped run"
    )
    audit.add_argument(
        "--summary", action="store_true", help="print the summary per pathway and outcome"
    )
    audit.add_argument(
        "--engine",
        choices=ENGINES,
        default="embedded",
        help="embedded: DuckDB and a process pool on this machine; spark: Apache Spark "
        "(pip install -e '.[spark]', Java 17+) (default: %(default)s)",
    )
    audit.add_argument(
        "--master",
        default="local[2]",
        help="Spark master URL for --engine spark (default: %(default)s)",
    )
    audit.add_argument("--no-progress", action="store_true", help="no progress bar")
    audit.add_argument(
        "--with-identifiers",
        action="store_true",
        help="add the patient's name and fødselsnummer/D-nummer to the report (default: only "
        "the export's pseudonymous reference)",
    )
    audit.add_argument(
        "--html", type=Path, default=None, help="also an HTML report with a chart per outcome"
    )


def run_audit_command(args: argparse.Namespace, criteria_dir: Path) -> str:
    """Run the audit, write the report, its summary and the HTML page; return the summary's
    text when ``--summary`` asks for it (the CLI prints it), else ""."""
    from cds.bulk.audit import default_workers, read_parts, run_audit

    export: Path | list[Path] = args.export[0] if len(args.export) == 1 else list(args.export)
    today: date = args.today
    if args.engine == "spark":
        table, patients = _spark(args, export, today, criteria_dir)
    else:
        run = run_audit(
            export,
            args.out,
            today=today,
            criteria_dir=criteria_dir,
            workers=args.workers or default_workers(),
            batch_size=args.batch_size,
            memory_limit=args.memory_limit,
            restart=args.restart,
            progress=not args.no_progress,
            with_identifiers=args.with_identifiers,
        )
        table, patients = read_parts(run.parts), run.stats.patients
    return _outputs(table, args, patients, today)


def _outputs(table: Any, args: argparse.Namespace, patients: int, today: date) -> str:
    """The same files from either engine: the report, ``<out>.summary.csv``, the HTML page."""
    from cds.bulk.report import summary, summary_text, write_report, write_summary

    write_report(table, args.out)
    rows = summary(table)
    write_summary(rows, args.out.with_name(args.out.name + ".summary.csv"))
    if args.html is not None:
        from cds.bulk.html import write_html
        from cds.version import service_version

        write_html(rows, args.html, patients=patients, today=today, version=service_version())
    return summary_text(rows, patients) if args.summary else ""


def _spark(
    args: argparse.Namespace, export: Path | list[Path], today: date, criteria: Path
) -> tuple[Any, int]:
    """``--engine spark``: Parquet partitioned by pathway in ``<out>.spark/``; the findings
    table and the number of patients."""
    from cds.bulk.spark import read_spark_report, run_spark

    folder = args.out.with_name(args.out.name + ".spark")
    if folder.exists() and args.restart:
        import shutil

        shutil.rmtree(folder)
    if folder.exists():
        raise FileExistsError(f"{folder} exists: a Spark run is not resumed (use --restart)")
    run = run_spark(
        export,
        folder,
        today,
        master=args.master,
        criteria_dir=criteria,
        with_identifiers=args.with_identifiers,
    )
    return read_spark_report(folder, with_identifiers=args.with_identifiers), run.patients
