"""A CQL peer on the same records: one simple rule in cql-execution (``bench/run.py``, part 5).

The rule, written by hand as ELM (``bench/cql/mcomponent180.elm.json``): «an M-component
(serum protein electrophoresis, NLK NPU03300 or LOINC 33358-3/51435-6) Observation within 180
days of 2026-11-20». ``bench/cql/peer.js`` runs it with the npm packages ``cql-execution`` and
``cql-exec-fhir`` on each benchmark record (the padded Bundle), timing ``JSON.parse`` and the
rule (loading the Bundle into the FHIR patient source + executing the library) separately.

The packages are installed into a temporary directory outside the repository (nothing under
node_modules is ever committed) and removed afterwards. Without node or npm, or when the install
fails, the part is recorded as skipped with the reason.

This is one rule of one pathway against our whole service (every rule of three pathways, plus
the card): a floor for what a generic CQL engine costs on the same data, not a like-for-like.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench import records

HERE = Path(__file__).resolve().parent / "cql"
ELM = "mcomponent180.elm.json"
PACKAGES = ("cql-execution@^3.3", "cql-exec-fhir@^2.2")


def run(
    patients: tuple[records.Patient, ...],
    sizes: tuple[int, ...],
    repeats: dict[int, int],
    log: Callable[[str], None],
) -> dict[str, Any]:
    """``{"skipped": reason}`` or ``{"skipped": None, "rows": [...]}`` (one row per record)."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        return {"skipped": "skipped: node/npm not found on PATH"}
    with tempfile.TemporaryDirectory(prefix="cqlpeer-") as tmp:
        work = Path(tmp)
        for name in ("peer.js", ELM):
            shutil.copy(HERE / name, work / name)
        (work / "package.json").write_text('{"private": true}\n', encoding="utf-8")
        try:
            subprocess.run(  # noqa: S603 (npm from PATH, fixed arguments)
                [npm, "install", "--no-audit", "--no-fund", "--silent", *PACKAGES],
                cwd=work, check=True, capture_output=True, timeout=300,
            )
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
            return {"skipped": f"skipped: npm install failed ({type(exc).__name__})"}
        rows = []
        for size in sizes:
            files = []
            for patient in patients:
                path = work / f"{patient.name}-{size}.json"
                path.write_text(json.dumps(records.bundle(patient, size)), encoding="utf-8")
                files.append(str(path))
            done = subprocess.run(  # noqa: S603 (node from PATH, our script)
                [node, "peer.js", ELM, str(repeats[size]), *files],
                cwd=work, check=True, capture_output=True, text=True, timeout=600,
            )
            for line in done.stdout.splitlines():
                row = json.loads(line)
                row["patient"] = row.pop("file").removesuffix(f"-{size}.json")
                row["resources"] = size
                rows.append(row)
                log(f"  cql {row['patient']:20} {size:>6}: rule {row['rule_ms']:8.1f} ms, "
                    f"JSON.parse {row['parse_ms']:.1f} ms, answer {row['answer']}")
    return {"skipped": None, "packages": list(PACKAGES), "rows": rows}


def table(peer: dict[str, Any], stages: list[dict[str, Any]]) -> list[str]:
    """Markdown: the peer's milliseconds next to our whole call on the same record."""
    if peer.get("skipped"):
        return [f"CQL peer {peer['skipped']}"]
    ours = {(r["patient"], r["resources"]): r["ms"]["whole"]["median"] for r in stages}
    lines = [
        "One hand-written ELM rule («M-component Observation within 180 days») in cql-execution "
        "+ cql-exec-fhir (node), median ms; «rule» = load the Bundle + execute; ours = our whole "
        "in-process call (all rules of three pathways, bytes to bytes).",
        "",
        "| patient | resources | CQL JSON.parse | CQL rule | CQL answer | ours whole "
        "| CQL rule / ours |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in peer["rows"]:
        mine = ours.get((r["patient"], r["resources"]))
        ratio = f"{r['rule_ms'] / mine:.1f}x" if mine else "-"
        lines.append(
            f"| {r['patient']} | {r['resources']} | {r['parse_ms']:.1f} | {r['rule_ms']:.1f} "
            f"| {r['answer']} | {f'{mine:.1f}' if mine else '-'} | {ratio} |"
        )
    return lines
