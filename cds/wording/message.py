"""A structured statement for the wording layer: a phrase id and its named fields.

The facts and evaluate stages produce these instead of Norwegian sentences; only the render stage
turns them into text (:func:`cds.wording.phrases.say`). Messages are frozen and hashable, so lists
of them can be deduplicated and compared in tests by value.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Protocol, TypeAlias


class QuantityLike(Protocol):
    """A number and its canonical unit (``cds.facts.model.Quantity``), without importing it."""

    @property
    def value(self) -> float: ...

    @property
    def unit(self) -> str: ...


# What a field may hold: text from the record or the criteria (passed through as it is), numbers,
# dates (None: no date), quantities, a nested message, or a tuple of those (a list).
Param: TypeAlias = "str | int | float | date | QuantityLike | Message | tuple[Param, ...] | None"


@dataclass(frozen=True, slots=True)
class Message:
    """``code`` names a phrase of ``cds.wording.phrases.PHRASES``; ``params`` fill its fields."""

    code: str
    params: tuple[tuple[str, Param], ...] = ()

    def get(self, name: str) -> Param:
        """The field ``name`` (None when the message has no such field)."""
        for key, value in self.params:
            if key == name:
                return value
        return None

    def fields(self) -> dict[str, Param]:
        """The fields as a dict, for :func:`cds.wording.phrases.say`."""
        return dict(self.params)


def msg(code: str, /, **params: Param) -> Message:
    """``Message(code, params)`` with the fields as keywords, in the order given."""
    return Message(code, tuple(params.items()))
