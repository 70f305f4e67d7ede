"""``cds synth-export``: a seeded synthetic GP practice as a FHIR Bulk Data ``$export`` result.

The output folder holds what a Bulk Data Access IG server leaves for the client to download: one
NDJSON file per resource type (``Patient.ndjson`` … ``Appointment.ndjson``, or ``.ndjson.gz``),
the ``manifest.json`` (``transactionTime``, ``request``, ``requiresAccessToken: false``,
``output`` with ``type``, ``url`` — here the file name, relative to the manifest — and
``count``, ``error: []``), and ``expected.json``: how many patients should give each outcome, and
which ones, so that a batch run over the export can be audited.

The patient mix (fractions of ``--patients``, each rounded half up; the rest is ``none``):

======================================  ========  ============================================
outcome                                 fraction  built from
======================================  ========  ============================================
``none`` (healthy, no card)             ~94.5 %   :mod:`cds.bulk.healthy`: normal labs,
                                                  ordinary GP problems
``begrunnet_not_referred``              1.5 %     examples myelomatose-begrunnet,
                                                  sarkom-mr-malignitetssuspekt,
                                                  diagnostisk-begrunnet (in turn)
``mistanke_missing_tests``              2.0 %     examples myelomatose-mistanke, sarkom-dyp-lar
``referred_without_criteria``           1.0 %     a healthy record + a sent referral marked
                                                  «Pakkeforløp for myelomatose» (1-5 days old)
``pathway_deadline_overdue``            0.5 %     example sarkom-henvist-ingen-time
``followup_overdue``                    0.5 %     example sarkom-oppfolging-osteosarkom
======================================  ========  ============================================

A template's dates move by ``today - 2026-11-20`` (the examples' today) minus 0-5 days drawn per
patient: backwards only, so nothing lands after ``--today`` and the findings stay inside the
rules' look-back windows (checked with ``cds evaluate`` for every template at both ends).

Determinism: which patients get which outcome comes from ``Random(f"synth:{seed}")``, and each
patient's record from its own ``Random(f"synth:{seed}:{index}")``, so the same seed, count and
today give byte-identical files (gzip with ``mtime=0`` and no file name). Records are written one
patient at a time; only the outcome of the few non-healthy patients is held in memory.
"""

from __future__ import annotations

import gzip
import json
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import IO, Any

from cds.bulk.healthy import healthy_resources, marked_referral
from cds.bulk.templates import EXAMPLES_DIR, EXPORT_TYPES, TEMPLATE_TODAY, template_resources

NONE = "none"
# outcome -> (fraction of the patients, templates used in turn; () = a healthy record + referral)
MIX: dict[str, tuple[float, tuple[str, ...]]] = {
    "begrunnet_not_referred": (
        0.015,
        ("myelomatose-begrunnet", "sarkom-mr-malignitetssuspekt", "diagnostisk-begrunnet"),
    ),
    "mistanke_missing_tests": (0.02, ("myelomatose-mistanke", "sarkom-dyp-lar")),
    "referred_without_criteria": (0.01, ()),
    "pathway_deadline_overdue": (0.005, ("sarkom-henvist-ingen-time",)),
    "followup_overdue": (0.005, ("sarkom-oppfolging-osteosarkom",)),
}
# The card types (extension «no.pakkeforlop-cds.card-type») each outcome gives in patient-view,
# as checked with the engine; begrunnet_group is the begrunnet card when two pathways are met.
PATIENT_VIEW_CARDS: dict[str, list[str]] = {
    NONE: [],
    "begrunnet_not_referred": ["begrunnet", "begrunnet_group"],
    "mistanke_missing_tests": ["mistanke"],
    "referred_without_criteria": [],
    "pathway_deadline_overdue": ["safety_net"],
    "followup_overdue": ["followup"],
}
MAX_JITTER_DAYS = 5
BASE_URL = "https://ehr.legekontor.example/fhir"


@dataclass(frozen=True)
class Plan:
    """Which patient index gets which (outcome, template); every other index is healthy."""

    patients: int
    assigned: dict[int, tuple[str, str]] = field(default_factory=dict)

    def counts(self) -> dict[str, int]:
        """Patients per outcome, ``none`` first, then in :data:`MIX` order."""
        counts = {NONE: self.patients - len(self.assigned), **dict.fromkeys(MIX, 0)}
        for outcome, _template in self.assigned.values():
            counts[outcome] += 1
        return counts


def plan(patients: int, seed: int) -> Plan:
    """Draw the positions of the non-healthy patients (exact counts from :data:`MIX`)."""
    wanted = {outcome: int(patients * fraction + 0.5) for outcome, (fraction, _) in MIX.items()}
    total = sum(wanted.values())
    if total > patients:  # only for a handful of patients: fill what fits, in MIX order
        total = patients
    # Synthetic data, not secrets: a seeded, reproducible generator is the point (S311).
    positions = random.Random(f"synth:{seed}").sample(range(patients), total)  # noqa: S311
    assigned: dict[int, tuple[str, str]] = {}
    slots = iter(positions)
    for outcome, count in wanted.items():
        templates = MIX[outcome][1]
        for number in range(count):
            index = next(slots, None)
            if index is None:
                break
            assigned[index] = (outcome, templates[number % len(templates)] if templates else "")
    return Plan(patients, assigned)


def patient_id(index: int) -> str:
    """The pseudonymous id of patient ``index`` (0-based): ``p000001`` is the first."""
    return f"p{index + 1:06d}"


def patient_resources(
    index: int,
    seed: int,
    today: date,
    chosen: tuple[str, str] | None,
    *,
    examples: Path = EXAMPLES_DIR,
) -> Iterator[dict[str, Any]]:
    """Every resource of one patient, the Patient first."""
    rng = random.Random(f"synth:{seed}:{index}")  # noqa: S311 (reproducible, not a secret)
    pid = patient_id(index)
    if chosen is None:
        yield from healthy_resources(pid, today, rng)
        return
    template = chosen[1]
    if not template:  # referred_without_criteria
        yield from healthy_resources(pid, today, rng)
        # 1-5 days old: from day 8 without a first attendance patient-view rightly shows the
        # safety-net card (myelomatose: 7 days), and this outcome is about the referral alone.
        yield marked_referral(pid, today - timedelta(days=rng.randint(1, MAX_JITTER_DAYS)))
        return
    days = (today - TEMPLATE_TODAY).days - rng.randint(0, MAX_JITTER_DAYS)
    yield from template_resources(template, pid, days, rng, folder=examples)


class _Files:
    """One NDJSON file per resource type, opened when its first resource comes."""

    def __init__(self, out: Path, *, compress: bool) -> None:
        self.out = out
        self.compress = compress
        self.handles: dict[str, IO[bytes] | gzip.GzipFile] = {}
        self.raw: dict[str, IO[bytes]] = {}
        self.counts: dict[str, int] = {}

    def name(self, resource_type: str) -> str:
        return f"{resource_type}.ndjson" + (".gz" if self.compress else "")

    def write(self, resource: dict[str, Any]) -> None:
        kind = resource["resourceType"]
        if kind not in self.handles:
            raw = (self.out / self.name(kind)).open("wb")
            self.raw[kind] = raw
            # mtime=0 and no file name in the header: the same input gives the same bytes.
            self.handles[kind] = (
                gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=6)
                if self.compress
                else raw
            )
            self.counts[kind] = 0
        line = json.dumps(resource, ensure_ascii=False, separators=(",", ":")) + "\n"
        self.handles[kind].write(line.encode("utf-8"))
        self.counts[kind] += 1

    def close(self) -> None:
        for kind, handle in self.handles.items():
            handle.close()
            self.raw[kind].close()


def write_export(
    out: Path,
    *,
    patients: int,
    seed: int = 0,
    today: date = TEMPLATE_TODAY,
    compress: bool = False,
    examples: Path = EXAMPLES_DIR,
) -> dict[str, Any]:
    """Write the export into ``out`` (created; files of the same names overwritten).

    Returns the manifest. Memory stays flat in ``patients``: each patient's resources go to the
    files as they are built.
    """
    if patients < 1:
        raise ValueError("patients must be 1 or more")
    out.mkdir(parents=True, exist_ok=True)
    chosen = plan(patients, seed)
    files = _Files(out, compress=compress)
    try:
        for index in range(patients):
            for resource in patient_resources(
                index, seed, today, chosen.assigned.get(index), examples=examples
            ):
                files.write(resource)
    finally:
        files.close()
    manifest = {
        # The export is "as of" the start of --today (UTC): fixed, so the files are reproducible.
        "transactionTime": f"{today.isoformat()}T00:00:00Z",
        "request": f"{BASE_URL}/Patient/$export?_type={','.join(EXPORT_TYPES)}",
        "requiresAccessToken": False,
        "output": [
            {"type": kind, "url": files.name(kind), "count": files.counts[kind]}
            for kind in EXPORT_TYPES
            if kind in files.counts
        ],
        "error": [],
    }
    _write_json(out / "manifest.json", manifest)
    _write_json(out / "expected.json", _expected(chosen, seed, today))
    return manifest


def _expected(chosen: Plan, seed: int, today: date) -> dict[str, Any]:
    by_outcome: dict[str, list[str]] = {outcome: [] for outcome in MIX}
    templates: dict[str, dict[str, int]] = {outcome: {} for outcome in MIX}
    for index in sorted(chosen.assigned):
        outcome, template = chosen.assigned[index]
        by_outcome[outcome].append(patient_id(index))
        name = template or "healthy+marked-referral"
        templates[outcome][name] = templates[outcome].get(name, 0) + 1
    return {
        "seed": seed,
        "today": today.isoformat(),
        "patients": chosen.patients,
        "outcomes": chosen.counts(),
        "templates": templates,
        "patient_view_card_types": PATIENT_VIEW_CARDS,
        "referred_without_criteria_audit": (
            "evaluate the referral marked «Pakkeforløp for myelomatose» as a draft with hook "
            "order-sign at its authoredOn date: card type unsupported_referral"
        ),
        "patients_by_outcome": by_outcome,
    }


def _write_json(path: Path, data: dict[str, Any]) -> None:
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
