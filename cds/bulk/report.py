"""The audit report: one row per patient and finding, and the summary per pathway and outcome.

Written by the suffix of ``--out``: ``.parquet`` (the default), ``.csv`` or ``.json`` (a list of
rows). Rows hold the export's own pseudonymous patient reference; names and national ids only
with ``--with-identifiers`` (columns ``name``, ``national_id``). The summary counts patients per
(pathway, outcome); ``cds audit --summary`` prints it, and it is written beside the report as
``<out>.summary.csv``.
"""

from __future__ import annotations

import csv
import json
from collections import Counter
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from cds.bulk.patient import FINDING_COLUMNS, IDENTIFIER_COLUMNS, OUTCOMES

FORMATS = (".parquet", ".csv", ".json")
# Outcomes as a practice reads them (Bokmål).
OUTCOME_WORDS = {
    "begrunnet_not_referred": "begrunnet mistanke, ikke henvist",
    "mistanke_missing_tests": "mistanke, filterprøver mangler",
    "referred_without_criteria": "henvist uten dokumenterte kriterier",
    "pathway_deadline_overdue": "forløpsfrist passert uten første fremmøte",
    "followup_overdue": "oppfølgingskontroll forfalt",
}


def write_report(table: pa.Table, out: Path) -> None:
    """The rows in the format ``out``'s suffix names (written whole, then moved in place)."""
    suffix = out.suffix.lower()
    if suffix not in FORMATS:
        raise ValueError(f"{out}: the report is .parquet, .csv or .json")
    tmp = out.with_name(f".{out.name}.tmp")
    columns = [c for c in (*FINDING_COLUMNS, *IDENTIFIER_COLUMNS) if c in table.column_names]
    rows = table.select(columns).to_pylist()
    if suffix == ".parquet":
        pq.write_table(table.select(columns), tmp)
    elif suffix == ".csv":
        with tmp.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=columns)
            writer.writeheader()
            writer.writerows(rows)
    else:
        tmp.write_text(json.dumps(rows, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    tmp.replace(out)


def summary(table: pa.Table) -> list[tuple[str, str, int]]:
    """(pathway, outcome, patients) in pathway order, outcomes in report order."""
    seen = Counter(
        (row["pathway"], row["outcome"])
        for row in {
            (r["patient"], r["pathway"], r["outcome"]): r
            for r in table.select(["patient", "pathway", "outcome"]).to_pylist()
        }.values()
    )
    return sorted(
        ((p, o, n) for (p, o), n in seen.items()),
        key=lambda t: (t[0], OUTCOMES.index(t[1]) if t[1] in OUTCOMES else 99),
    )


def write_summary(rows: list[tuple[str, str, int]], path: Path) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["pathway", "outcome", "patients"])
        writer.writerows(rows)


def summary_text(rows: list[tuple[str, str, int]], patients: int) -> str:
    """The summary for a terminal (Bokmål outcome words)."""
    lines = [f"Pasienter i eksporten: {patients}", ""]
    width = max((len(p) for p, _, _ in rows), default=8)
    for pathway, outcome, count in rows:
        lines.append(f"{pathway:<{width}}  {OUTCOME_WORDS.get(outcome, outcome):<45} {count:>7}")
    if not rows:
        lines.append("Ingen funn.")
    return "\n".join(lines)
