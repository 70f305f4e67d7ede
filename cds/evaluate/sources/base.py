"""What every source kind shares: its result, its table entry, and the widened look-back.

A source kind is one module in this package (``lab``, ``text``, ...) that holds its pydantic
model (a :class:`~cds.criteria.schema.SourceModel`), its load-time ``check`` and its
``evaluate``, and ends with ``KIND = SourceKind(...)``; ``cds.evaluate.sources`` collects the
entries in one table. Nothing else in the code names a kind.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from typing import Generic, TypeVar, get_args

from cds.criteria.codebook import CodeBook
from cds.criteria.schema import SourceModel
from cds.evaluate.model import Evidence, Uncounted, Words
from cds.facts.model import PatientFacts

S = TypeVar("S", bound=SourceModel)


@dataclass(slots=True)
class SourceResult:
    """What one source found. ``assessed``: a lab-type source had a usable number to judge."""

    present: bool = False
    assessed: bool = False
    evidence: list[Evidence] = field(default_factory=list)
    notes: list[Words] = field(default_factory=list)
    # Why the source could not be assessed (cds.evaluate.unassessed), when it is not present.
    unassessed: Words | None = None


@dataclass(frozen=True, slots=True)
class SourceKind(Generic[S]):
    """One row of the source-kind table.

    ``evaluate``: what the source finds for a patient on ``today``. ``check``: load-time problems
    the schema cannot see (unknown analytes and code sets, non-canonical units, regexes that do
    not compile), each prefixed with ``at``, the source's field path. ``run_start``: for kinds
    that judge a series of values, the start of the unbroken run of abnormal values within
    ``days`` (``cds.evaluate.change``); other kinds are evaluated again with their window widened
    to ``days``, or to ``since_days`` when given (an old diagnosis is old however long ago).
    """

    model: type[S]
    evaluate: Callable[[S, CodeBook, PatientFacts, date], SourceResult]
    check: Callable[[S, CodeBook, str], list[str]]
    run_start: Callable[[S, CodeBook, PatientFacts, date, int], date | None] | None = None
    since_days: int | None = None
    # For the explain view: what the source read and did not count (a negated clause ...).
    uncounted: Callable[[S, CodeBook, PatientFacts, date], list[Uncounted]] | None = None
    kinds: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        # The ``kind`` literal(s) of the model: one model may serve several kinds.
        kinds = get_args(self.model.model_fields["kind"].annotation)
        object.__setattr__(self, "kinds", tuple(str(k) for k in kinds))

    def since(
        self, source: S, codebook: CodeBook, facts: PatientFacts, today: date, days: int
    ) -> date | None:
        """The earliest dated evidence of the finding looking back ``days`` (see class doc)."""
        if self.run_start is not None:
            return self.run_start(source, codebook, facts, today, days)
        wide = widened_source(source, self.since_days or days)
        found = self.evaluate(wide, codebook, facts, today) if wide is not None else None
        dates = [e.when for e in found.evidence if e.when] if found and found.present else []
        return min(dates, default=None)


@lru_cache(maxsize=256)
def widened_source(source: S, days: int) -> S | None:
    """The source with its look-back widened to ``days`` (None: the kind has no window)."""
    window = getattr(source, "window_days", None)
    if window is None:
        return None
    return source.model_copy(update={"window_days": max(window, days)})


def round_half_up(value: float, places: str) -> float:
    """``value`` rounded half up to ``places`` ("0.1", "0.01"), as a GP reads it: the number shown
    is the number compared (9.35 -> 9.4, where float rounding would give 9.3).

    Never raises: a value the decimal context cannot quantize (non-finite, or more digits than
    its precision, which the facts stage's bounds make impossible for lab values) is returned
    unrounded.
    """
    try:
        return float(Decimal(repr(value)).quantize(Decimal(places), rounding=ROUND_HALF_UP))
    except ArithmeticError:  # decimal.InvalidOperation is one
        return value
