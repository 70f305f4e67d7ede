"""How far back the criteria can look at each analyte: the facts stage reads no older results.

A GP record holds years of lab results, and reading each one (its unit, its number, its
reference range) was most of the time of a large call (issue 10). Most of them cannot matter:
every rule looks back a bounded number of days. So the loader computes, once, per analyte, the
longest look-back any code path may use (:func:`lab_horizons`), and ``cds.facts.labs`` reads in
full only results within it. Beyond it, facts keep per analyte only the newest result and the
newest usable one (what «last taken» of a filter test, a frailty score «eldre vurdering» and
``PatientFacts.latest`` show), and no note is made about an old value that cannot be used: it
could not have been used anyway.

What may look further back than a source's own window, and is counted here:

* the change classification widens a feature's sources to ``change.baseline_days`` and reads the
  baseline that far back (``cds.evaluate.change``);
* aged-out results are looked for with every source widened to ``LOOK_BACK_DAYS``
  (``cds.evaluate.aged_out``);
* some kinds read further than their window (an albumin ``pairing_days`` before the calcium, the
  heaviest weight ``within_days`` before the newest one): each kind says so in
  ``SourceModel.lab_reach``;
* referral content (a frailty score) counts when at most ``CONTENT_MAX_AGE_DAYS`` old.

A kind that does not say how far it reads (``lab_reach`` returns None) switches the horizon off
for the whole registry: a missing declaration can only make the service slower, never blind.
``tests/evaluate/test_horizon.py`` checks that every golden case and every example answers the
same with and without the horizon, also padded with years of older history.
"""

from __future__ import annotations

from collections.abc import Iterable

from cds.criteria.schema import Pathway
from cds.evaluate.aged_out import LOOK_BACK_DAYS
from cds.evaluate.referral_state import CONTENT_MAX_AGE_DAYS

# Dates are compared as local calendar days; a day more covers a result taken late in the evening
# in another time zone than the one ``today`` was taken in.
_MARGIN_DAYS = 1


def lab_horizons(pathways: Iterable[Pathway]) -> dict[str, int] | None:
    """Analyte id -> the most days before today any code path reads its results; None: no bound.

    Analytes no rule reads are absent: their results are kept in full (cheap: they are few, and
    nothing decides on them) — only analytes with a known horizon are cut.
    """
    pathways = tuple(pathways)
    widen = max(
        [LOOK_BACK_DAYS]
        + [f.change.baseline_days for p in pathways for f in p.features.values() if f.change]
    )
    horizons: dict[str, int] = {}
    for pathway in pathways:
        for feature in pathway.features.values():
            for source in feature.sources:
                reach = source.lab_reach(widen)
                if reach is None:
                    return None
                for analyte, days in reach.items():
                    horizons[analyte] = max(horizons.get(analyte, 0), days + _MARGIN_DAYS)
        for item in pathway.referral.content:
            for analyte in item.analytes:
                days = CONTENT_MAX_AGE_DAYS + _MARGIN_DAYS
                horizons[analyte] = max(horizons.get(analyte, 0), days)
    return horizons
