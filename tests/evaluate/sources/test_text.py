"""``text``: a finding in lab text, report conclusions or notes, read by the assertion lexicon."""

from __future__ import annotations

from factories import facts as patient
from factories import lab, report

from cds.criteria.registry import Registry
from sources.kinds import problems, run, source, texts

SPEP = {"kind": "text", "analytes": ["spep"], "patterns": ["m-komponent"], "window_days": 365}
XRAY = {
    "kind": "text",
    "report_kinds": ["radiology"],
    "patterns": ["osteolyt"],
    "window_days": 90,
}


def test_affirmed_finding_fires(registry: Registry) -> None:
    labs = [lab("spep", None, text="Liten M-komponent i gammaområdet.")]
    found = run(registry, source(**SPEP), patient(labs=labs))
    assert found.present and texts(found)[0].startswith("Proteinelektroforese: «")


def test_negated_finding_is_silent(registry: Registry) -> None:
    labs = [lab("spep", None, text="Ingen M-komponent påvist.")]
    assert not run(registry, source(**SPEP), patient(labs=labs)).present


def test_report_conclusion_fires_and_old_report_is_silent(registry: Registry) -> None:
    new = report("radiology", "Rtg bekken", "Osteolytiske forandringer i os ilium.")
    old = report("radiology", "Rtg bekken", "Osteolytiske forandringer.", days_ago=91)
    assert run(registry, source(**XRAY), patient(reports=[new])).present
    assert not run(registry, source(**XRAY), patient(reports=[old])).present


def test_hedged_counts_only_when_asked(registry: Registry) -> None:
    hedged = [report("radiology", "CT", "Mulig osteolytisk lesjon i costa.")]
    assert not run(registry, source(**XRAY), patient(reports=hedged)).present
    assert run(registry, source(**XRAY, hedged="count"), patient(reports=hedged)).present


def test_check_needs_something_to_read_and_valid_regexes(registry: Registry) -> None:
    bad = source(kind="text", patterns=["(x"], window_days=1)
    found = problems(registry, bad)
    assert any("s.patterns[0]: invalid regex" in p for p in found)
    assert "s: a text source needs analytes, report_kinds or clinical_notes" in found
