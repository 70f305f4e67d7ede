"""``lab_flag``: the laboratory's own critical flag on the newest result of an analyte."""

from __future__ import annotations

from factories import facts as patient
from factories import lab

from cds.criteria.registry import Registry
from sources.kinds import problems, run, source, texts

FLAG = {"kind": "lab_flag", "analytes": ["calcium_total"], "flags": ["HH"], "window_days": 7}


def test_critical_flag_on_newest_fires(registry: Registry) -> None:
    labs = [lab("calcium_total", 3.6, "mmol/L", days_ago=1, flags=["HH"])]
    found = run(registry, source(**FLAG), patient(labs=labs))
    assert found.present and "merket kritisk høy av laboratoriet" in texts(found)[0]


def test_replaced_or_unflagged_or_old_is_silent(registry: Registry) -> None:
    for labs in (
        [lab("calcium_total", 3.6, "mmol/L", days_ago=3, flags=["HH"]),
         lab("calcium_total", 2.4, "mmol/L", days_ago=1)],
        [lab("calcium_total", 2.9, "mmol/L", days_ago=1, flags=["H"])],
        [lab("calcium_total", 3.6, "mmol/L", days_ago=8, flags=["HH"])],
    ):
        assert not run(registry, source(**FLAG), patient(labs=labs)).present


def test_check_needs_flags(registry: Registry) -> None:
    assert problems(registry, source(**{**FLAG, "flags": []})) == [
        "s: a lab_flag source needs analytes and flags"
    ]
