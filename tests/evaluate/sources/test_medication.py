"""``medication``: a medicine by ATC (or name) in use, dated within the window or undated."""

from __future__ import annotations

from factories import facts as patient
from factories import medication

from cds.criteria.registry import Registry
from sources.kinds import problems, run, source

TREATED = {"kind": "medication", "codeset": "myelomatose_behandling", "window_days": 365}


def test_active_medicine_in_the_set_fires(registry: Registry) -> None:
    meds = [medication("L04AX04", "Lenalidomid")]
    found = run(registry, source(**TREATED), patient(medications=meds))
    assert found.present and found.evidence[0].text.startswith("Lenalidomid (ATC L04AX04")


def test_stopped_or_other_medicine_is_silent(registry: Registry) -> None:
    stopped = [medication("L04AX04", active=False)]
    assert not run(registry, source(**TREATED), patient(medications=stopped)).present
    with_stopped = source(**TREATED, include_inactive=True)
    assert run(registry, with_stopped, patient(medications=stopped)).present
    other = [medication("C09AA05")]
    assert not run(registry, source(**TREATED), patient(medications=other)).present


def test_by_name_when_not_coded(registry: Registry) -> None:
    src = source(**TREATED, name_patterns=["revlimid"])
    named = [medication("X00", "Revlimid 10 mg")]
    assert run(registry, src, patient(medications=named)).present


def test_unavailable_list_is_noted(registry: Registry) -> None:
    found = run(registry, source(**TREATED), patient(unavailable=["medicationStatements"]))
    assert not found.present and found.notes


def test_check_refuses_bad_name_regex(registry: Registry) -> None:
    bad = source(**TREATED, name_patterns=["(x"])
    assert "s.name_patterns[0]: invalid regex" in problems(registry, bad)[0]
